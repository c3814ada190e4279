"""The crop cache's files: one ``.npz`` per video (its crops encoded by the settings' codec, the frames they came
from, the boxes, whether the face was detected there, the settings), every other face track beside it, written
atomically and read back whole or only the crops a clip uses; and the faces table (``faces/faces.csv``)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dfutils.atomic import atomic_path
from dfutils.errors import UserInputError
from dfutils.faces.crop_codec import decode_crops, encode_crops
from dfutils.faces.extraction_settings import CACHE_FORMAT, ExtractionSettings

# the faces table (faces/faces.csv): one row per video, its crop file relative to the faces folder
FACES_COLUMNS = ["video_id", "frames_sampled", "frames_with_face", "faces_seen", "tracks", "status", "error", "crops"]


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
    buffer, offsets = result.encoded or encode_crops(
        result.crops, codec, result.settings.get("quality", ExtractionSettings.quality)
    )
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
