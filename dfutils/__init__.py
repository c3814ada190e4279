"""dfutils: the tested helper package behind the deepfake-detection notebooks.

Folders follow the data flow (each imports only the ones before it, and the shared modules):

- ``data/``: dataset indexers, splits by identity, face-crop folders, video reading, SynthDF;
- ``faces/``: face detection and cropping, the crop cache;
- ``nets/``: the papers' networks, the offline backbones, the triplet loss, batches, training;
- ``detectors/``: every detector of both papers (and beyond) behind one contract, in a registry;
- ``evaluation/``: prediction tables, metrics, the papers' tables, scoring videos, cross-dataset;
- ``studies/``: the embedding studies and the levers study;
- ``run/``: profiles, the notebook runner and its report, the pre-flight check.

Shared by all: ``config`` (paths), ``layout`` (a run's artifacts), ``seeding``, ``errors``,
``atomic`` (crash-safe writes), ``progress`` (progress bars), ``assets`` (pinned registry
packages). Heavy libraries (TensorFlow, Keras, OpenCV) are imported inside the functions that
need them so that ``import dfutils`` and the command line stay fast.
"""

__version__ = "0.1.0"
