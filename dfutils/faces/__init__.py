"""Stage 2, the faces: face detection and cropping of every video (:mod:`.extract`, MTCNN and
Paper A's SSD in :mod:`.ssd`), the crop cache's files (:mod:`.crop_files`) and their codec
(:mod:`.crop_codec`)."""
