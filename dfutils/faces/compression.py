"""Face crops re-encoded as FaceForensics++ made its compressed videos: H.264 at a constant rate factor.

FF++ made ``c23`` and ``c40`` from its raw frames with ``ffmpeg -crf 23`` / ``-crf 40 -c:v libx264`` (preset
medium; from RGB frames ffmpeg chose 4:4:4 chroma, and the published c40 videos are High 4:4:4 Predictive).
:func:`h264_roundtrip` sends a video's crops, in frame order, through the same encoder (the ffmpeg of
``imageio-ffmpeg``, a dependency already) and decodes them back:

- **at the size the face had in its source video**: the codec's damage is done per 16x16 macroblock, so a
  face of 200 pixels at CRF 40 loses far less than the same face cut at 80; crops are scaled to ``side``
  before encoding and back after (:func:`encoding_side` says which side, for extracted and packed crops);
- **in frame order, as one clip**, so later frames are predicted from earlier ones as in a video (a
  clip of crops a second apart still has far fewer reference frames than a 30-fps video: the closeness of
  the result to real c40 is measured in ``notebooks/10_compression.ipynb``);
- **deterministic**: one encoder thread; the same crops and CRF give the same bytes. A random CRF for
  augmentation is drawn from a seeded generator (:func:`random_crf`).

It serves as a dataset setting (``crf`` in :class:`~dfutils.faces.extraction_settings.ExtractionSettings`: part of the
crop cache's key and of every model file) and as training augmentation (``crf_augment`` of the detectors'
settings: a random CRF per clip).
"""

from __future__ import annotations

import subprocess
from functools import lru_cache

import numpy as np

from dfutils.errors import UserInputError

# FF++'s levels (dataset folders c23 and c40) and the encoder settings of its compress.py
FFPP_CRF = {"c23": 23, "c40": 40}
PRESET = "medium"
PIXEL_FORMAT = "yuv444p"
FRAME_RATE = 25  # the rate the clip is declared at: CRF's rate control barely depends on it
MAX_CRF = 51  # libx264's scale: 0 lossless ... 51 worst


@lru_cache(maxsize=1)
def ffmpeg() -> str:
    """The ffmpeg binary that ships in ``imageio-ffmpeg`` (built with libx264)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def check_crf(crf: int, name: str = "crf") -> None:
    if not isinstance(crf, int | np.integer) or not 0 <= crf <= MAX_CRF:
        raise UserInputError(f"{name}: a constant rate factor is an integer from 0 to {MAX_CRF} (FF++: c23 = 23, "
                             f"c40 = 40; 0 leaves crops as cut), got {crf!r}")


def check_crf_range(values, name: str = "crf_augment") -> tuple[int, ...]:
    """``()`` (off) or ``(low, high)``: the range a random CRF per clip is drawn from, both ends included."""
    values = tuple(values or ())
    if not values:
        return ()
    if len(values) != 2 or values[0] > values[1]:
        raise UserInputError(f"{name}: expected [low, high] with low <= high (e.g. [23, 40]) or [] for off, got "
                             f"{list(values)}")
    for value in values:
        check_crf(value, name)
    return int(values[0]), int(values[1])


def random_crf(generator: np.random.Generator, crf_range: tuple[int, int]) -> int:
    """A CRF drawn uniformly from ``crf_range`` (both ends included)."""
    return int(generator.integers(crf_range[0], crf_range[1] + 1))


def resize_crops(crops: np.ndarray, side: int) -> np.ndarray:
    """Square crops at ``side`` pixels (area interpolation down, linear up)."""
    import cv2

    if crops.shape[1] == side and crops.shape[2] == side:
        return crops
    interpolation = cv2.INTER_AREA if crops.shape[1] > side else cv2.INTER_LINEAR
    return np.stack([cv2.resize(crop, (side, side), interpolation=interpolation) for crop in crops])


def h264_roundtrip(crops: np.ndarray, crf: int, side: int | None = None) -> np.ndarray:
    """Square ``crops`` (frames x side x side x 3, uint8, in frame order) encoded as one H.264 clip at ``crf``
    and decoded: the same shape back. ``side`` (None: the crops' own) is the size at which they are encoded,
    the face's size in its source video (see the module docstring)."""
    check_crf(crf)
    crops = np.ascontiguousarray(crops, dtype=np.uint8)
    if crops.ndim != 4 or crops.shape[-1] != 3 or crops.shape[1] != crops.shape[2] or not len(crops):
        raise UserInputError(f"h264_roundtrip: expected frames x side x side x 3 crops, got shape {crops.shape}")
    side = int(side or crops.shape[1])
    side = max(16, side + side % 2)  # 4:4:4 needs no even size, but decoders and players do
    frames = resize_crops(crops, side)
    encode = [ffmpeg(), "-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{side}x{side}",
              "-r", str(FRAME_RATE), "-i", "-", "-c:v", "libx264", "-preset", PRESET, "-crf", str(int(crf)),
              "-pix_fmt", PIXEL_FORMAT, "-threads", "1", "-f", "h264", "-"]
    decode = [
        ffmpeg(),
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "h264",
        "-i",
        "-",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-threads",
        "1",
        "-",
    ]
    try:
        stream = subprocess.run(encode, input=frames.tobytes(), capture_output=True, check=True).stdout
        decoded = subprocess.run(decode, input=stream, capture_output=True, check=True).stdout
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"ffmpeg failed re-encoding {len(frames)} crops at CRF {crf}: "
                           f"{error.stderr.decode(errors='replace').strip()[:300]}") from None
    if len(decoded) != frames.size:
        raise RuntimeError(f"ffmpeg returned {len(decoded) // (side * side * 3)} frames for {len(frames)} crops")
    return resize_crops(np.frombuffer(decoded, np.uint8).reshape(frames.shape), crops.shape[1])


def encoding_side(face_side: float, side_ratio: float) -> int:
    """The crop's side in its source video: the face box side there (``face_side``, pixels) times the crop's
    side over its face box (``side_ratio``: ``1 + margin`` for crops cut here), rounded to an even number."""
    if face_side <= 0 or side_ratio <= 0:
        raise ValueError(f"face side and side ratio must be positive, got {face_side} and {side_ratio}")
    return max(16, 2 * round(face_side * side_ratio / 2))
