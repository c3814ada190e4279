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
from dfutils.settings_schema import Choice, Limit, Settings, above, at_least, share

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
class ExtractionSettings(Settings):
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

    # a negative margin cuts inside the box: crops made to match tight crops cut by others (crop_folders)
    LIMITS = {"detector": Choice(DETECTORS), "frames": at_least(1), "fps": above(0), "size": at_least(8),
              "margin": at_least(-0.5), "margin_px": at_least(0), "detect_side": at_least(48),
              "min_score": share(strict_maximum=False), "keyframe_every": at_least(1), "window_side": at_least(48),
              "crf_face_side": at_least(0), "track_share": Limit(0, 1, strict_minimum=True)}

    def __post_init__(self):
        super().__post_init__()
        if (self.frames is None) == (self.fps is None):
            raise UserInputError("give exactly one of frames and fps")
        check_codec(self.codec, self.quality)
        check_crf(self.crf)

    @classmethod
    def from_dict(cls, values: dict) -> ExtractionSettings:
        """The settings of a cache file or model file, which may record more (where packed crops came from)."""
        from dataclasses import fields

        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    @classmethod
    def from_mapping(cls, mapping: dict | None, where: str = "") -> ExtractionSettings:
        """As :meth:`Settings.from_mapping`; a rate given without a frame count samples by the rate alone."""
        mapping = dict(mapping or {})
        if mapping.get("fps") is not None and "frames" not in mapping:
            mapping["frames"] = None
        return super().from_mapping(mapping, where)

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
