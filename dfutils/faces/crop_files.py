"""Face detection, tracking of the main face, and square crops: one video at a time.

``extract_video(path, settings)`` samples frames (:mod:`dfutils.data.video`), runs
a detector on downscaled copies (boxes mapped back to full resolution),
follows one face through the video, and cuts square crops with a margin.

Which face: detections are linked frame to frame into tracks (by overlap, or
containment when a face leans into the camera) and the track with the largest
summed box side x confidence is followed; frames where it has no detection get
a second, zoomed look, and otherwise borrow the box of the nearest frame that
has one (counted as frames without a face). ``faces_seen`` is the most faces found in any one frame.

Detectors share one interface, ``detect(frames) -> [[{"box", "score"}, ...], ...]``:
``mtcnn`` (the ``mtcnn`` package, batched) and ``ssd`` (Paper A's SSD
MobileNet v1 WIDERFACE detector, :mod:`dfutils.faces.ssd`).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from dfutils.atomic import atomic_path
from dfutils.data.video import sample_frames
from dfutils.errors import UserInputError
from dfutils.faces.compression import check_crf, h264_roundtrip, resize_crops
from dfutils.faces.crop_codec import check_codec, decode_crops, encode_crops

DETECTORS = ("mtcnn", "ssd")
# MTCNN's scores are sharp; the SSD's are modest on small, compressed faces (face-api.js uses
# 0.5). A low threshold is safe because a detection joins the main face only by overlapping it.
DEFAULT_MIN_SCORE = {"mtcnn": 0.8, "ssd": 0.25}
# MTCNN's cost grows with the pixels searched, so between keyframes it looks only near the
# track (about 1.4x faster on the real samples, same detections); the SSD always runs at
# 512x512, so a window saves nothing and it detects on every sampled frame.
DEFAULT_KEYFRAME_EVERY = {"mtcnn": 5, "ssd": 1}
# 1: raw uint8 crops (still read); 2: crops encoded by the settings' codec (dfutils.faces.crop_codec)
CACHE_FORMAT = 2
# Bumped with any change to this module that changes the crops it cuts (detection, tracking, cropping): part of
# every cache key, so changed code re-extracts. tests/faces/test_extract.py's golden crop fails until it is bumped.
EXTRACTION_VERSION = 2
# the tracker's constants: linking a detection to a track, the window around it, the second, closer look
MIN_LINK = 0.3
WINDOW_FACTOR = 2.2
SECOND_LOOK = 2
# the faces table (faces/faces.csv): one row per video, its crop file relative to the faces folder
FACES_COLUMNS = ["video_id", "frames_sampled", "frames_with_face", "faces_seen", "tracks", "status", "error", "crops"]


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


# --------------------------------------------------------------------------- detectors
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


@lru_cache(maxsize=2)
def get_detector(name: str):
    """One detector per process (models load once per worker)."""
    limit_threads()
    if name == "mtcnn":
        return MTCNNDetector()
    if name == "ssd":
        from dfutils.faces.ssd import SSDFaceDetector

        return SSDFaceDetector()
    raise UserInputError(f"detector: unknown {name!r}; expected one of {', '.join(DETECTORS)}")


def limit_threads() -> None:
    """One thread per worker process: parallelism comes from the workers, not oversubscription."""
    import cv2

    cv2.setNumThreads(1)
    if os.environ.get("DFUTILS_WORKER_THREADS"):
        try:
            import tensorflow as tf

            threads = int(os.environ["DFUTILS_WORKER_THREADS"])
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except (ImportError, RuntimeError):  # no TensorFlow, or it is already running
            pass


def detect_downscaled(detector, frames: np.ndarray, max_side: int) -> list[list[dict]]:
    """Detect on copies whose longest side is at most ``max_side``; boxes in full-resolution pixels."""
    import cv2

    height, width = frames.shape[1:3]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        small = [cv2.resize(f, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA) for f in frames]
    else:
        small = list(frames)
    detections = detector.detect(small)
    return [
        [{"box": tuple(v / scale for v in face["box"]), "score": face["score"]} for face in faces]
        for faces in detections
    ]


# --------------------------------------------------------------------------- tracking and crops
def box_iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def box_link(previous, current) -> float:
    """How well ``current`` continues a track that was at ``previous``, 0 (not at all) to 1.

    Overlap (IoU) for ordinary motion; when a face jumps in scale (a person
    leaning into the camera) the smaller box lies inside the larger one, which a
    neighbour's face does not: then half the contained fraction counts.
    """
    overlap = box_iou(previous, current)
    x0, y0 = max(previous[0], current[0]), max(previous[1], current[1])
    x1, y1 = min(previous[2], current[2]), min(previous[3], current[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    smaller = min((previous[2] - previous[0]) * (previous[3] - previous[1]), (current[2] - current[0]) * (current[3] - current[1]))
    contained = inter / smaller if smaller > 0 else 0.0
    return max(overlap, 0.5 * contained)


def track_faces(detections: list[list[dict]], min_iou: float = MIN_LINK) -> list[dict]:
    """Every face track, heaviest first: ``{"boxes": {frame: box}, "weight": float}``.

    Detections are linked into tracks frame by frame (each to the track it continues best, :func:`box_link`
    at least ``min_iou``); a track's weight is its summed box side x confidence, so a face that stays
    outweighs a bigger one glimpsed in a frame or two. Raises ValueError when no frame has a face.
    """
    if not any(detections):
        raise ValueError(f"no face found in {len(detections)} sampled frames")
    tracks: list[dict] = []  # {"boxes": {frame: box}, "last": box, "weight": float}
    for t, faces in enumerate(detections):
        taken: set[int] = set()
        for face in sorted(faces, key=lambda f: -f["score"]):
            x0, y0, x1, y1 = face["box"]
            weight = np.sqrt(max(0.0, x1 - x0) * max(0.0, y1 - y0)) * face["score"]  # side, not area: staying counts
            overlaps = [(box_link(track["last"], face["box"]), k) for k, track in enumerate(tracks) if k not in taken]
            best_iou, best = max(overlaps, default=(0.0, -1))
            if best_iou >= min_iou:
                track = tracks[best]
            else:
                track = {"boxes": {}, "weight": 0.0}
                tracks.append(track)
                best = len(tracks) - 1
            taken.add(best)
            track["boxes"][t] = face["box"]
            track["last"] = face["box"]
            track["weight"] += weight
    return sorted(tracks, key=lambda track: -track["weight"])


def track_boxes(track: dict, count: int) -> tuple[np.ndarray, np.ndarray]:
    """A track's box in each of ``count`` frames, borrowed from the nearest frame where it was not detected,
    and where it was: ``(boxes (N, 4), detected (N,) bool)``."""
    found = np.array(sorted(track["boxes"]))
    boxes = np.array([track["boxes"][int(found[np.argmin(np.abs(found - t))])] for t in range(count)], dtype=np.float64)
    return boxes, np.array([t in track["boxes"] for t in range(count)])


def track_main_face(detections: list[list[dict]], min_iou: float = MIN_LINK) -> tuple[np.ndarray, np.ndarray]:
    """Follow the main face, the heaviest track (:func:`track_faces`): (boxes (N, 4), detected (N,) bool),
    borrowed boxes where not detected. Raises ValueError when no frame has a face."""
    return track_boxes(track_faces(detections, min_iou)[0], len(detections))


def detect_near(detector, frames: np.ndarray, boxes: np.ndarray, which: np.ndarray, threshold: float,
                window_side: int, min_iou: float = MIN_LINK) -> tuple[np.ndarray, np.ndarray]:
    """Detect only in a window (2.2x the box) around ``boxes[t]`` for the frames ``which``.

    A window is much cheaper to search than a whole frame and shows a small face
    larger. Returns (new boxes, found): a detection is accepted when it overlaps
    the given box (the same face), else the box is kept and ``found`` is False.
    """
    import cv2

    boxes = boxes.copy()
    found = np.zeros(len(which), bool)
    if not len(which):
        return boxes, found
    height, width = frames.shape[1:3]
    windows, crops = [], []
    for t in which:
        x0, y0, x1, y1 = boxes[t]
        side = int(min(max(height, width), WINDOW_FACTOR * max(x1 - x0, y1 - y0, 8)))
        left = int(max(0, min((x0 + x1 - side) / 2, width - side)))
        top = int(max(0, min((y0 + y1 - side) / 2, height - side)))
        crop = frames[t, top:top + side, left:left + side]
        if crop.shape[0] != crop.shape[1]:  # the frame is smaller than the window: pad to a square
            square = np.zeros((side, side, 3), np.uint8)
            square[: crop.shape[0], : crop.shape[1]] = crop
            crop = square
        scale = window_side / side
        crops.append(cv2.resize(crop, (window_side, window_side), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR))
        windows.append((left, top, scale))
    for k, (t, (left, top, scale), faces) in enumerate(zip(which, windows, detector.detect(crops), strict=True)):
        mapped = [tuple(np.array(f["box"]) / scale + [left, top, left, top]) for f in faces if f["score"] >= threshold]
        best = max(mapped, key=lambda box: box_link(box, boxes[t]), default=None)
        if best is not None and box_link(best, boxes[t]) >= min_iou:
            boxes[t] = best
            found[k] = True
    return boxes, found


def square_crop(frame: np.ndarray, box, margin: float, margin_px: int, size: int) -> np.ndarray:
    """A square around the box with the margin, moved inside the frame where it fits, padded
    with black where it does not, resized to ``size``."""
    import cv2

    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + margin) + 2 * margin_px
    height, width = frame.shape[:2]
    centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = centre_x - side / 2, centre_y - side / 2
    # clamp: slide the square inside the frame when it is small enough to fit
    if side <= width:
        left = min(max(left, 0.0), width - side)
    if side <= height:
        top = min(max(top, 0.0), height - side)
    left, top, side_px = int(round(left)), int(round(top)), max(1, int(round(side)))
    pad = max(0, -left, -top, left + side_px - width, top + side_px - height)
    if pad:
        frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        left, top = left + pad, top + pad
    region = frame[top:top + side_px, left:left + side_px]
    interpolation = cv2.INTER_AREA if side_px > size else cv2.INTER_LINEAR
    return cv2.resize(region, (size, size), interpolation=interpolation)


# --------------------------------------------------------------------------- one video, cached
def video_cache_key(path: Path, settings: ExtractionSettings) -> str:
    """Identity of (video file, settings): a changed file or setting never reuses crops."""
    stat = path.stat()
    text = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{settings.key()}"
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def cache_path(out: Path, video_id: str, key: str) -> Path:
    safe = video_id.replace("/", "__").replace("\\", "__")
    return Path(out) / "crops" / f"{safe}.{key}.npz"


@dataclass
class FaceCrops:
    video_id: str
    crops: np.ndarray  # (N, size, size, 3) uint8, as the cache gives them back (after the codec's round trip)
    frame_indices: np.ndarray
    boxes: np.ndarray  # (N, 4) x0, y0, x1, y1 in full-resolution pixels
    detected: np.ndarray  # (N,) bool: the track had its own detection in that frame
    faces_seen: int
    frames_requested: int
    settings: dict
    encoded: tuple[np.ndarray, np.ndarray] | None = None  # the codec's buffer and offsets, written as they are
    others: list[FaceCrops] = field(default_factory=list)  # every other face track (every_face), heaviest first
    tracks: int = 1  # how many face tracks the video's cache holds, this one included

    def summary(self) -> dict:
        return {
            "video_id": self.video_id, "frames_sampled": int(len(self.frame_indices)),
            "frames_with_face": int(self.detected.sum()), "faces_seen": int(self.faces_seen),
            "tracks": int(max(self.tracks, 1 + len(self.others))),
        }


def track_path(path: Path, number: int) -> Path:
    """Where the cache file ``path`` keeps its video's face track ``number`` (0: the main face, ``path`` itself)."""
    path = Path(path)
    return path if number == 0 else path.with_name(f"{path.name.removesuffix('.npz')}.track{number}.npz")


def save_crops(result: FaceCrops, path: Path) -> None:
    """Write atomically: a killed process leaves a stray temporary file, never a torn cache file. The other face
    tracks (every_face) go beside it first (:func:`track_path`), so a main file is never without them."""
    for number, other in enumerate(result.others, start=1):
        save_crops(other, track_path(path, number))
    codec = result.settings.get("codec", "raw")
    buffer, offsets = result.encoded or encode_crops(result.crops, codec, result.settings.get("quality", ExtractionSettings.quality))
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, format=CACHE_FORMAT, codec=codec, crop_shape=np.array(result.crops.shape[1:]),
                 encoded=buffer, offsets=offsets, frame_indices=result.frame_indices, boxes=result.boxes,
                 detected=result.detected, faces_seen=result.faces_seen, frames_requested=result.frames_requested,
                 video_id=result.video_id, settings=json.dumps(result.settings),
                 tracks=1 + len(result.others))


def _read_cache(path: Path, read):
    """``read(data)`` on a cache file's arrays; any unreadable file becomes one line naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return read(data)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise UserInputError(f"{path}: not a readable crop cache file ({type(error).__name__}: {error}); "
                             "delete it and extract again") from None


def _crops_in(data, pick) -> np.ndarray:
    """The crops of an open cache file, either format; ``pick(count)`` names which to decode."""
    if "crops" in data:  # format 1: raw arrays
        crops = data["crops"]
        return crops if pick is None else crops[np.unique(pick(len(crops)))]
    offsets = data["offsets"]
    which = None if pick is None else np.unique(pick(len(offsets) - 1))
    return decode_crops(data["encoded"], offsets, str(data["codec"]), tuple(int(v) for v in data["crop_shape"]), which)


def read_crops(path: Path, pick=None) -> np.ndarray:
    """Only the crop images of a cache file; ``pick(count)`` chooses which of its ``count`` crops
    (returned once each, in order), so a clip of a few frames decodes only those."""
    return _read_cache(path, lambda data: _crops_in(data, pick))


def load_crops(path: Path, decode: bool = True) -> FaceCrops:
    """A cache file, either format; ``decode=False`` leaves ``crops`` empty (for the summary alone)."""
    def read(data) -> FaceCrops:
        crops = _crops_in(data, None if decode else (lambda count: np.zeros(0, int)))
        return FaceCrops(str(data["video_id"]), crops, data["frame_indices"], data["boxes"], data["detected"],
                         int(data["faces_seen"]), int(data["frames_requested"]), json.loads(str(data["settings"])),
                         tracks=int(data["tracks"]) if "tracks" in data else 1)

    return _read_cache(path, read)


def cached_summary(target: Path) -> dict | None:
    """A finished cache file's summary; None when there is none, or it is unreadable (a torn copy, a bad disk):
    it is deleted, and the video is extracted again instead of failing on it every time."""
    if not target.is_file():
        return None
    try:
        summary = load_crops(target, decode=False).summary()
    except UserInputError:
        target.unlink(missing_ok=True)
        return None
    if not all(track_path(target, number).is_file() for number in range(1, summary["tracks"])):
        target.unlink(missing_ok=True)  # a face track lost: extract the video again
        return None
    return summary


def read_tracks(path: Path, pick=None) -> list[np.ndarray]:
    """The crops of every face track a cache file holds, the main face first (one track unless every_face)."""
    count = _read_cache(path, lambda data: int(data["tracks"]) if "tracks" in data else 1)
    return [read_crops(track_path(path, number), pick) for number in range(count)]


def as_cached(crops: np.ndarray, codec: str, quality: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Crops as the cache will serve them (after the codec's round trip), and their encoding to write: models
    see the same crops whether they were just made (extracted or packed) or read back."""
    encoded = encode_crops(crops, codec, quality)
    return decode_crops(*encoded, codec, crops.shape[1:]), encoded


def cut_crops(frames: np.ndarray, boxes: np.ndarray, settings: ExtractionSettings) -> np.ndarray:
    """The crops of ``boxes`` in ``frames`` at ``settings.size``; with ``settings.crf`` cut at the crop's side in
    the video (the median over frames, or that of a face of ``crf_face_side``), re-encoded as one H.264 clip
    there (:func:`dfutils.faces.compression.h264_roundtrip`), then resized."""
    side = settings.size
    if settings.crf:
        face_side = settings.crf_face_side or float(np.median(np.maximum(boxes[:, 2] - boxes[:, 0],
                                                                         boxes[:, 3] - boxes[:, 1])))
        side = max(16, 2 * round(settings.crop_side_in_video(face_side) / 2))
    crops = np.stack([square_crop(frame, box, settings.margin, settings.margin_px, side)
                      for frame, box in zip(frames, boxes, strict=True)])
    if settings.crf:
        crops = resize_crops(h264_roundtrip(crops, settings.crf), settings.size)
    return crops


def extract_video(path: str | Path, video_id: str, settings: ExtractionSettings, detector=None) -> FaceCrops:
    """Sample, detect, track and crop one video (no cache)."""
    path = Path(path)
    sampled = sample_frames(path, frames=settings.frames, fps=settings.fps)
    detector = detector or get_detector(settings.detector)
    count = len(sampled.frames)
    keyframes = np.unique(np.r_[np.arange(0, count, settings.keyframe_interval), count - 1])
    threshold = settings.score_threshold
    detections: list[list[dict]] = [[] for _ in range(count)]

    def detect_full(which: np.ndarray) -> None:
        for t, faces in zip(which, detect_downscaled(detector, sampled.frames[which], settings.detect_side), strict=True):
            detections[t] = [face for face in faces if face["score"] >= threshold]

    detect_full(keyframes)
    if not any(detections) and len(keyframes) < count:  # nothing on the keyframes: look at every frame
        detect_full(np.setdiff1d(np.arange(count), keyframes))
        keyframes = np.arange(count)
    try:
        tracks = track_faces(detections)
    except ValueError as error:
        raise UserInputError(f"{path}: {error}") from None
    kept = tracks[:1] + ([track for track in tracks[1:] if track["weight"] >= settings.track_share * tracks[0]["weight"]]
                         if settings.every_face else [])
    faces_seen = max((len(detections[t]) for t in keyframes), default=0)  # counted on full-frame detections
    cut = [_track_crops(detector, sampled, track, settings, threshold) for track in kept]
    others = [FaceCrops(video_id, crops, sampled.indices, boxes, detected, faces_seen, sampled.requested,
                        asdict(settings), encoded) for crops, encoded, boxes, detected in cut[1:]]
    crops, encoded, boxes, detected = cut[0]
    return FaceCrops(video_id, crops, sampled.indices, boxes, detected, faces_seen, sampled.requested,
                     asdict(settings), encoded, others)


def _track_crops(detector, sampled, track: dict, settings: ExtractionSettings, threshold: float):
    """One face track's crops: its boxes refined where it was missed (near its borrowed box, then a second,
    closer look), cut and passed through the cache's codec: ``(crops, encoded, boxes, detected)``."""
    boxes, detected = track_boxes(track, len(sampled.frames))
    # between keyframes, and wherever the track was missed, look near the track's (borrowed) box
    todo = np.flatnonzero(~detected)
    boxes, found = detect_near(detector, sampled.frames, boxes, todo, threshold, window_side=settings.window_side)
    detected[todo] = found
    todo = np.flatnonzero(~detected)  # a second, closer look at what is still missing
    boxes, found = detect_near(detector, sampled.frames, boxes, todo, threshold, window_side=SECOND_LOOK * settings.window_side)
    detected[todo] = found
    crops, encoded = as_cached(cut_crops(sampled.frames, boxes, settings), settings.codec, settings.quality)
    return crops, encoded, boxes, detected

