"""dfutils: the tested helper package behind the deepfake-detection notebooks.

One module per concern: ``config`` (paths), ``params`` (profile files),
``runner`` (papermill + HTML reports), ``seeding``, ``provenance`` (run record),
``datasets`` (indexers, splits, balancing), ...  Heavy libraries (TensorFlow,
Keras, OpenCV) are imported inside the functions that need them so that
``import dfutils`` and the command line stay fast.
"""

__version__ = "0.1.0"
