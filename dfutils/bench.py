"""Benchmarks that print one JSON line of figures, each beside its baseline.

``dfutils bench extract``: frames per second of the project's extractor
(evenly sampled frames, grab-skipping, detection on downscaled frames,
batched) and of a naive baseline (decode every frame, MTCNN on every
full-resolution frame, one at a time) on the same videos, in one process
each, models loaded beforehand; their ratio; and how often our main-face box
agrees (IoU >= 0.5) with the naive detector's on the same frames.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .config import REAL_SAMPLES_DIR
from .errors import UserInputError


def _videos(paths: list[str] | None) -> list[Path]:
    if paths:
        videos = []
        for item in map(Path, paths):
            videos += sorted(item.rglob("*.mp4")) if item.is_dir() else [item]
    else:
        videos = sorted(REAL_SAMPLES_DIR.rglob("*.mp4")) if REAL_SAMPLES_DIR.is_dir() else []
    if not videos:
        raise UserInputError(
            f"no videos to benchmark: pass some (files or folders), or provide the real samples at {REAL_SAMPLES_DIR}"
        )
    return videos


def bench_extract(paths: list[str] | None = None, frames: int = 30, naive_frames: int = 10,
                  detect_side: int = 640) -> dict:
    import cv2

    from .faces import ExtractionSettings, box_iou, extract_video, get_detector
    from .video import sample_frames

    videos = _videos(paths)
    settings = ExtractionSettings(detector="mtcnn", frames=frames, size=240, detect_side=detect_side)
    detector = get_detector("mtcnn")  # loaded once, outside the timings
    mtcnn = detector.model

    ours_frames, ours_seconds, results = 0, 0.0, {}
    for video in videos:
        start = time.perf_counter()
        result = extract_video(video, video.name, settings, detector=detector)
        ours_seconds += time.perf_counter() - start
        ours_frames += len(result.frame_indices)
        results[video] = result

    naive_frames_done, naive_seconds = 0, 0.0
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        start = time.perf_counter()
        for _ in range(naive_frames):  # every frame, in order, at full resolution
            ok, frame = capture.read()
            if not ok:
                break
            mtcnn.detect_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            naive_frames_done += 1
        naive_seconds += time.perf_counter() - start
        capture.release()

    agree, compared = 0, 0
    for video, result in results.items():  # not timed: the naive detector on the frames we sampled
        sampled = sample_frames(video, frames=frames)
        for frame, box in zip(sampled.frames, result.boxes, strict=True):
            faces = mtcnn.detect_faces(frame, box_format="xyxy")
            compared += 1
            agree += any(box_iou(box, f["box"]) >= 0.5 for f in faces)

    ours_fps = ours_frames / ours_seconds
    naive_fps = naive_frames_done / naive_seconds
    return {
        "bench": "extract", "videos": len(videos), "detector": "mtcnn", "frames_per_video": frames,
        "detect_side": detect_side, "ours_fps": round(ours_fps, 2), "naive_fps": round(naive_fps, 2),
        "speedup": round(ours_fps / naive_fps, 2), "agreement_iou50": round(agree / compared, 3),
        "naive_frames_per_video": naive_frames,
    }


def print_json_line(figures: dict) -> None:
    print(json.dumps(figures), flush=True)


