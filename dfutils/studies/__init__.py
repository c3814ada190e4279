"""Studies around the detectors: what the triplet embedding does to the frames (:mod:`.embeddings`:
t-SNE maps, the leaky split, the compression matrix) and what each lever behind the demo's frame
classifier is worth (:mod:`.levers`)."""
