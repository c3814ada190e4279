"""The face detectors behind one interface, ``detect(frames) -> [[{"box", "score"}, ...], ...]``: ``mtcnn`` (the
``mtcnn`` package, batched, its networks traced as graphs) and ``ssd`` (Paper A's SSD MobileNet v1 WIDERFACE
detector, :mod:`dfutils.faces.ssd`); one per process and thread setting (:func:`get_detector`), and detection on
downscaled frames with boxes in full-resolution pixels (:func:`detect_downscaled`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dfutils.errors import UserInputError
from dfutils.faces.extraction_settings import DETECTORS


class _OnOneTensor:
    """An MTCNN stage that receives the batch as one TensorFlow tensor. mtcnn 1.x passes it as a NumPy
    array, which TensorFlow copied again for every pyramid scale and every stage: 15% of the extraction
    time on the real samples went to those copies."""

    def __init__(self, stage, shared: dict):
        self.stage, self.shared = stage, shared

    def __getattr__(self, name):
        return getattr(self.stage, name)

    def __call__(self, *args, images_normalized=None, **kwargs):
        import tensorflow as tf

        if images_normalized is not None and not tf.is_tensor(images_normalized):
            if self.shared.get("source") is not images_normalized:
                self.shared.update(source=images_normalized, tensor=tf.convert_to_tensor(images_normalized))
            images_normalized = self.shared["tensor"]
        return self.stage(*args, images_normalized=images_normalized, **kwargs)


class MTCNNDetector:
    def __init__(self, compiled: bool = True):
        from mtcnn import MTCNN

        self.model = MTCNN()
        self._shared: dict = {}  # the batch of the current call, as a tensor
        if compiled:
            # mtcnn 1.x calls its three networks eagerly, layer by layer; traced as graphs (once per
            # input shape) they run 1.8x faster here with the same boxes (tests/test_extract.py)
            import tensorflow as tf

            for stage in self.model.stages:
                if getattr(stage, "_model", None) is not None:
                    stage._model = tf.function(stage._model, reduce_retracing=True)
            self.model = MTCNN(stages=[_OnOneTensor(stage, self._shared) for stage in self.model.stages])

    def detect(self, frames: list[np.ndarray]) -> list[list[dict]]:
        if not frames:
            return []
        outputs = self.model.detect_faces(list(frames) if len(frames) > 1 else frames[0], box_format="xyxy")
        if len(frames) == 1:
            outputs = [outputs]
        result = [
            [{"box": tuple(float(v) for v in face["box"]), "score": float(face["confidence"])} for face in faces]
            for faces in outputs
        ]
        self._shared.clear()
        return result


@lru_cache(maxsize=4)
def get_detector(name: str, threads: int | None = None):
    """One detector per process and thread setting (the models load once per worker). ``threads``: TensorFlow's
    thread pools for it (a Dask worker's share of the cores: one each, parallelism comes from the workers); None
    leaves them as the process has them."""
    limit_threads(threads)
    if name == "mtcnn":
        return MTCNNDetector()
    if name == "ssd":
        from dfutils.faces.ssd import SSDFaceDetector

        return SSDFaceDetector()
    raise UserInputError(f"detector: unknown {name!r}; expected one of {', '.join(DETECTORS)}")


def limit_threads(threads: int | None) -> None:
    """OpenCV on one thread (frames are resized one by one), and TensorFlow's pools at ``threads`` when given."""
    import cv2

    cv2.setNumThreads(1)
    if threads:
        try:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except (ImportError, RuntimeError):  # no TensorFlow, or it is already running (its pools are fixed)
            pass


def detect_downscaled(detector, frames: np.ndarray, max_side: int) -> list[list[dict]]:
    """Detect on copies whose longest side is at most ``max_side``; boxes in full-resolution pixels."""
    import cv2

    height, width = frames.shape[1:3]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        small = [
            cv2.resize(f, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA) for f in frames
        ]
    else:
        small = list(frames)
    detections = detector.detect(small)
    return [
        [{"box": tuple(v / scale for v in face["box"]), "score": face["score"]} for face in faces]
        for faces in detections
    ]
