"""Reading frames from videos: evenly spaced samples or a fixed rate, decoding only what is needed.

Headers lie (frame counts of variable-frame-rate or damaged files are often
wrong), so the sampler plans with the header's count, reads forward grabbing
frames and retrieving only the wanted ones, and re-plans with the true count
when the stream ends early or runs on past the header. OpenCV applies the
rotation flag of portrait phone videos; grey or 4-channel frames become RGB.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dfutils.errors import UserInputError

# How far past the header's last frame to look before trusting it.
_OVERRUN_PROBE = 12


@dataclass
class SampledFrames:
    frames: np.ndarray  # (N, H, W, 3) uint8 RGB
    indices: np.ndarray  # (N,) frame numbers in the video
    total_frames: int  # frames actually in the stream
    fps: float
    requested: int  # how many frames were asked for


def even_indices(total: int, count: int) -> np.ndarray:
    """``count`` frame numbers spread evenly over ``total`` frames, first and last included."""
    if total <= 0:
        return np.zeros(0, dtype=int)
    count = min(count, total)
    if count == 1:
        return np.array([total // 2])
    return np.unique(np.linspace(0, total - 1, count).round().astype(int))


def rate_indices(total: int, native_fps: float, fps: float) -> np.ndarray:
    """Frame numbers taken at ``fps`` frames per second of a ``native_fps`` video."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    native_fps = native_fps if native_fps and native_fps > 0 else 25.0
    times = np.arange(0, total / native_fps, 1.0 / fps)
    return np.unique(np.minimum((times * native_fps).round().astype(int), total - 1)) if total else np.zeros(0, int)


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    import cv2

    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _open(path: Path):
    import cv2

    if not path.is_file():
        raise UserInputError(f"{path}: video file not found")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise UserInputError(f"{path}: cannot open as a video (corrupt or unsupported)")
    return capture


def _read_at(path: Path, wanted: np.ndarray, stop_after: int | None) -> tuple[dict[int, np.ndarray], int, bool]:
    """Read forward once; keep the wanted frames. Returns (frames, frames seen, reached the end)."""
    capture = _open(path)
    wanted_set = set(int(i) for i in wanted)
    kept: dict[int, np.ndarray] = {}
    index = 0
    last = int(wanted.max()) if len(wanted) else -1
    limit = None if stop_after is None else max(stop_after, last + 1)
    ended = False
    try:
        while limit is None or index < limit:
            if not capture.grab():
                ended = True
                break
            if index in wanted_set:
                ok, frame = capture.retrieve()
                if ok and frame is not None:
                    kept[index] = _to_rgb(frame)
            index += 1
    finally:
        capture.release()
    return kept, index, ended


def sample_frames(path: str | Path, frames: int | None = None, fps: float | None = None) -> SampledFrames:
    """Sample a video: ``frames`` evenly spaced over its whole length, or ``fps`` per second.

    Short videos give what they have (with a warning). A file OpenCV cannot open
    or decode raises :class:`UserInputError` naming it.
    """
    import cv2

    if (frames is None) == (fps is None):
        raise ValueError("give exactly one of frames or fps")
    if frames is not None and frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    path = Path(path)
    capture = _open(path)
    header_total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    native_fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
    capture.release()

    def plan(total: int) -> np.ndarray:
        return even_indices(total, frames) if frames is not None else rate_indices(total, native_fps, fps)

    kept: dict[int, np.ndarray] = {}
    total: int | None = None
    if header_total > 0:
        kept, seen, ended = _read_at(path, plan(header_total), stop_after=header_total + _OVERRUN_PROBE)
        if ended:
            total = seen  # the stream ended at, before or just past the header's count
    if total is None:  # no count in the header, or the stream runs on past it: count it
        _, total, _ = _read_at(path, np.zeros(0, int), stop_after=None)
    if set(plan(total).tolist()) - set(kept):  # re-plan with the true count
        kept, _, _ = _read_at(path, plan(total), stop_after=None)
    wanted = plan(total)
    indices = np.array([i for i in wanted if i in kept], dtype=int)
    if not len(indices):
        raise UserInputError(f"{path}: no frames could be decoded")
    requested = frames if frames is not None else len(wanted)
    if frames is not None and total < frames:
        warnings.warn(f"{path.name}: only {total} frames, fewer than the {frames} asked for; using all", stacklevel=2)
    return SampledFrames(np.stack([kept[i] for i in indices]), indices, total, native_fps, requested)


def read_frames(path: str | Path, count: int | None = None) -> np.ndarray:
    """RGB frames of a video: all of them, or ``count`` evenly spaced over its length."""
    path = Path(path)
    if count is not None:
        return sample_frames(path, frames=count).frames
    capture = _open(path)
    out = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            out.append(_to_rgb(frame))
    finally:
        capture.release()
    if not out:
        raise UserInputError(f"{path}: no frames could be decoded")
    return np.stack(out)
