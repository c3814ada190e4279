"""How face crops are stored: a stack of uint8 images as one byte buffer of encoded images.

Paper A's 30 crops of 240 px are 5.2 MB per video raw (about 620 GB for DFDC); as JPEG at
quality 95 they are a few hundred kB. The buffer and its offsets are plain NumPy arrays, so
a crop file loads with ``allow_pickle=False`` and never runs code. ``dfutils bench codec``
measures every codec on the real samples (bytes per video, encode and decode time).
"""

from __future__ import annotations

import numpy as np

from dfutils.errors import UserInputError

# name -> the file extension OpenCV encodes by (None: the raw array, not encoded)
CODECS = {"raw": None, "png": ".png", "jpeg": ".jpg", "webp": ".webp"}
LOSSY = ("jpeg", "webp")


def check_codec(codec: str, quality: int) -> None:
    if codec not in CODECS:
        raise UserInputError(f"codec: unknown {codec!r}; expected one of {', '.join(CODECS)}")
    if codec in LOSSY and not 1 <= quality <= 100:
        raise UserInputError(f"quality: must be 1-100 for {codec}, got {quality}")


def _quality_flags(codec: str, quality: int) -> list[int]:
    import cv2

    if codec == "jpeg":
        return [cv2.IMWRITE_JPEG_QUALITY, quality]
    if codec == "webp":
        return [cv2.IMWRITE_WEBP_QUALITY, quality]
    return [cv2.IMWRITE_PNG_COMPRESSION, 3]


def encode_crops(crops: np.ndarray, codec: str, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """``(N, H, W, 3)`` RGB uint8 -> (one uint8 buffer, ``N + 1`` offsets into it)."""
    check_codec(codec, quality)
    crops = np.ascontiguousarray(crops, dtype=np.uint8)
    if codec == "raw":
        sizes = [crop.nbytes for crop in crops]
        return crops.reshape(-1), np.r_[0, np.cumsum(sizes)].astype(np.int64)
    import cv2

    flags = _quality_flags(codec, quality)
    parts = []
    for crop in crops:
        ok, encoded = cv2.imencode(CODECS[codec], cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), flags)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode a {crop.shape} crop as {codec}")
        parts.append(encoded.reshape(-1))
    offsets = np.r_[0, np.cumsum([len(part) for part in parts])].astype(np.int64)
    return (np.concatenate(parts) if parts else np.zeros(0, np.uint8)), offsets


def decode_crops(buffer: np.ndarray, offsets: np.ndarray, codec: str, shape: tuple[int, int, int],
                 which: np.ndarray | None = None) -> np.ndarray:
    """The inverse of :func:`encode_crops`; ``shape`` is one crop's ``(H, W, 3)``. ``which`` decodes only
    those crops (by position), in that order."""
    count = len(offsets) - 1
    which = np.arange(count) if which is None else np.asarray(which, dtype=int)
    if codec == "raw":
        return buffer.reshape(count, *shape)[which]
    import cv2

    crops = np.empty((len(which), *shape), np.uint8)
    for slot, k in enumerate(which):
        image = cv2.imdecode(buffer[offsets[k]:offsets[k + 1]], cv2.IMREAD_COLOR)
        if image is None or image.shape != tuple(shape):
            raise ValueError(f"crop {k} does not decode as a {shape} {codec} image")
        cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=crops[slot])
    return crops
