"""The extraction settings: everything that decides a video's face crops, and the cache key they make.

:class:`ExtractionSettings` holds the detector, the frames sampled, the crop's size and margin, the detection
scale and thresholds, the crop codec and compression; :meth:`ExtractionSettings.key` digests them with the
defaults they resolve to, the tracker's constants, the detector's version and the code's extraction version, so a
crop cache never serves crops another setting or another version of the code would cut differently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cache

from dfutils.errors import UserInputError
from dfutils.faces.compression import check_crf
from dfutils.faces.crop_codec import check_codec

DETECTORS = ("mtcnn", "ssd")
# MTCNN's scores are sharp; the SSD's are modest on small, compressed faces (face-api.js uses
# 0.5). A low threshold is safe because a detection joins the main face only by overlapping it.
DEFAULT_MIN_SCORE = {"mtcnn": 0.8, "ssd": 0.25}
# MTCNN's cost grows with the pixels searched, so between keyframes it looks only near the
# track (about 1.4x faster on the real samples, same detections); the SSD always runs at
# 512x512, so a window saves nothing and it detects on every sampled frame.
DEFAULT_KEYFRAME_EVERY = {"mtcnn": 5, "ssd": 1}
# Bumped with any change to this module that changes the crops it cuts (detection, tracking, cropping): part of
# every cache key, so changed code re-extracts. tests/faces/test_extract.py's golden crop fails until it is bumped.
EXTRACTION_VERSION = 2
# the tracker's constants: linking a detection to a track, the window around it, the second, closer look
MIN_LINK = 0.3
WINDOW_FACTOR = 2.2
SECOND_LOOK = 2


# 1: raw uint8 crops (still read); 2: crops encoded by the settings' codec (dfutils.faces.crop_codec)
CACHE_FORMAT = 2


@dataclass(frozen=True)
class ExtractionSettings:
    """Everything that decides the crops; part of every cache key."""

    detector: str = "mtcnn"
    frames: int | None = 30  # evenly spaced frames per video (Paper A: 30) ...
    fps: float | None = None  # ... or a rate (Paper B: 1 or 5 frames per second)
    size: int = 240  # crop side in pixels (Paper A: 240)
    margin: float = 0.35  # extra margin as a fraction of the face box (Paper A: 0.35; negative cuts inside it) ...
    margin_px: int = 0  # ... plus a fixed number of pixels on each side (Paper B style)
    detect_side: int = 640  # frames are downscaled so their longest side is at most this for detection
    min_score: float | None = None  # detections below this confidence are ignored (None: the detector's default)
    keyframe_every: int | None = None  # full-frame detection on every k-th sampled frame, the others look only
    # near the track (None: the detector's default)
    window_side: int = 160  # near the track, the detector looks at a window (2.2x the face box) scaled to this side
    codec: str = "jpeg"  # how crops are stored (dfutils.faces.crop_codec; chosen by `dfutils bench codec`) ...
    quality: int = 95  # ... and the quality of a lossy codec
    crf: int = 0  # re-encode each video's crops as H.264 at this CRF, as FF++ made c23 (23) and c40 (40); 0: off
    crf_face_side: int = 0  # ... at this face box side in pixels (0: the face's own size in its video, or a
    # packed crop's own pixels), dfutils.faces.compression
    every_face: bool = False  # beyond the papers (which follow one face): also crop every other face track ...
    track_share: float = 0.25  # ... whose weight (summed box side x confidence) is at least this share of the main's

    def __post_init__(self):
        if self.detector not in DETECTORS:
            raise UserInputError(f"detector: unknown {self.detector!r}; expected one of {', '.join(DETECTORS)}")
        if (self.frames is None) == (self.fps is None):
            raise UserInputError("give exactly one of frames and fps")
        if self.frames is not None and self.frames < 1:
            raise UserInputError(f"frames: must be at least 1, got {self.frames}")
        if self.fps is not None and self.fps <= 0:
            raise UserInputError(f"fps: must be positive, got {self.fps}")
        if self.size < 8:
            raise UserInputError(f"size: must be at least 8 pixels, got {self.size}")
        if self.window_side < 48:
            raise UserInputError(f"window_side: must be at least 48 pixels, got {self.window_side}")
        if self.keyframe_every is not None and self.keyframe_every < 1:
            raise UserInputError(f"keyframe_every: must be at least 1, got {self.keyframe_every}")
        # a negative margin cuts inside the box: crops made to match tight crops cut by others (crop_folders)
        if not -0.5 <= self.margin or self.margin_px < 0:
            raise UserInputError(f"margin must be at least -0.5 and margin_px not negative, got {self.margin} "
                                 f"and {self.margin_px}")
        check_codec(self.codec, self.quality)
        check_crf(self.crf)
        if not 0 < self.track_share <= 1:
            raise UserInputError(f"track_share: a share of the main face track's weight in (0, 1], got {self.track_share}")
        if self.crf_face_side < 0:
            raise UserInputError(f"crf_face_side: a face box side in pixels, or 0 for the face's own; got {self.crf_face_side}")

    @classmethod
    def from_dict(cls, values: dict) -> ExtractionSettings:
        """The settings of a cache file or model file, which may record more (where packed crops came from)."""
        from dataclasses import fields

        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    # what a notebook parameter or a command-line option gives as 0 (or leaves empty) to mean "not set"
    UNSET_AS_ZERO = ("frames", "fps", "min_score", "keyframe_every")

    @classmethod
    def from_parameters(cls, values: dict) -> ExtractionSettings:
        """The settings from notebook 02's parameters or ``dfutils extract``'s options, by field name (the one
        source of the defaults: a field absent from ``values`` keeps its default); frames, fps, min_score and
        keyframe_every given as 0 are unset (fps instead of frames, the detector's own threshold...)."""
        from dataclasses import fields

        chosen = {f.name: values[f.name] for f in fields(cls) if f.name in values}
        chosen |= {name: None for name in cls.UNSET_AS_ZERO if name in chosen and not chosen[name]}
        if chosen.get("fps") and "frames" not in values:
            chosen["frames"] = None  # a rate alone: no default frame count beside it
        return cls(**chosen)

    @property
    def keyframe_interval(self) -> int:
        return self.keyframe_every or DEFAULT_KEYFRAME_EVERY[self.detector]

    @property
    def score_threshold(self) -> float:
        return self.min_score if self.min_score is not None else DEFAULT_MIN_SCORE[self.detector]

    def key(self) -> str:
        """Everything that decides the crops: these settings with the defaults they resolve to (thresholds,
        keyframes), the tracker's constants, the detector's version and the code's extraction version."""
        values = asdict(self)
        if not self.crf:  # no re-encoding: the setting plays no part
            del values["crf"], values["crf_face_side"]
        if not self.every_face:  # one face: the track share plays no part (and keys stay as they were)
            del values["every_face"], values["track_share"]
        decided = {"format": CACHE_FORMAT, "version": EXTRACTION_VERSION, "score_threshold": self.score_threshold,
                   "keyframe_interval": self.keyframe_interval, "detector_version": detector_version(self.detector),
                   "tracker": [MIN_LINK, WINDOW_FACTOR, SECOND_LOOK]}
        return hashlib.sha1(json.dumps({**decided, **values}, sort_keys=True).encode()).hexdigest()[:12]

    def crop_side_in_video(self, face_side: float) -> float:
        """The side a crop of a face box of ``face_side`` pixels has in its frame, before resizing."""
        return face_side * (1 + self.margin) + 2 * self.margin_px


@cache
def detector_version(name: str) -> str:
    """What a detector's boxes depend on beyond this code: the mtcnn package's version, the SSD's weights."""
    if name == "mtcnn":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"mtcnn {version('mtcnn')}"
        except PackageNotFoundError:
            return "mtcnn"
    from dfutils.assets import ASSETS

    return f"ssd {ASSETS['ssd-mobilenet-v1-weights'].sha256[:12]}"
