"""Stage 3, the networks and how they are fed and trained: the papers' architectures
(:mod:`.architectures`: backbones, Paper A's time-distributed CNN + LSTM, Paper B's frame classifier,
LSTM/GRU and 3D CNN), the offline backbones (:mod:`.efficientnet_lite`, :mod:`.inception_resnet_v1`,
:mod:`.facenet`, :mod:`.torch_weights`), layers, the triplet loss and its mining (:mod:`.triplet`),
batches of crops (:mod:`.clips`, with self-blended fakes from :mod:`.self_blending`) and the
training loop (:mod:`.training`)."""
