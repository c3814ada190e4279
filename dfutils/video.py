"""Reading frames from videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import UserInputError


def read_frames(path: str | Path, count: int | None = None) -> np.ndarray:
    """RGB frames of a video: all of them, or ``count`` evenly spaced over its length.

    Frames are read in order and only the wanted ones are decoded (the rest
    are grabbed), so the header's frame count is never trusted.
    """
    import cv2

    path = Path(path)
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise UserInputError(f"{path}: cannot open video")
    try:
        if count is None:
            frames = []
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        else:
            total = 0
            while capture.grab():
                total += 1
            capture.release()
            capture = cv2.VideoCapture(str(path))
            wanted = set(np.linspace(0, max(total - 1, 0), min(count, total)).round().astype(int).tolist())
            frames = []
            for index in range(total):
                if not capture.grab():
                    break
                if index in wanted:
                    ok, frame = capture.retrieve()
                    if ok:
                        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if not frames:
        raise UserInputError(f"{path}: no frames could be decoded")
    return np.stack(frames)
