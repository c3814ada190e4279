"""Stage 5, measuring: prediction tables on disk (:mod:`.predictions`), metrics with their intervals
(:mod:`.metrics`), the papers' tables and a run's results (:mod:`.results`), scoring raw videos with
a model file (:mod:`.video_scoring`, ``dfutils predict``), cross-dataset evaluation
(:mod:`.cross_dataset`, ``dfutils evaluate``), Grad-CAM (:mod:`.explain`), plots (:mod:`.plots`)
and speed benchmarks (:mod:`.bench`)."""
