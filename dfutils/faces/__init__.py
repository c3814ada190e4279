"""Stage 2, the faces: what decides a video's crops (:mod:`.extraction_settings`), the detectors (:mod:`.detectors`:
MTCNN, and Paper A's SSD in :mod:`.ssd`), following the main face through a video and cutting its crops
(:mod:`.tracking`), the crop cache's files (:mod:`.crop_files`) and their codec (:mod:`.crop_codec`), every video of an
index on Dask (:mod:`.extract`), crop folders packed into the cache (:mod:`.packing`) and FF++'s compression re-made
(:mod:`.compression`)."""
