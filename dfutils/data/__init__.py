"""Stage 1, the videos: dataset indexers in the official layouts and splits by identity
(:mod:`.datasets`), face-crop folders (:mod:`.crop_folders`), reading video frames (:mod:`.video`),
and SynthDF, the built-in demo dataset made from faces in registry packages (:mod:`.synthdf`)."""
