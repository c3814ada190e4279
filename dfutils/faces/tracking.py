"""Following the main face through a video and cutting its crops: ``extract_video(path, settings)`` samples frames
(:mod:`dfutils.data.video`), runs a detector on downscaled copies (:mod:`dfutils.faces.detectors`), follows one face
through the video, and cuts square crops with a margin.

Which face: detections are linked frame to frame into tracks (by overlap, or
containment when a face leans into the camera) and the track with the largest
summed box side x confidence is followed; frames where it has no detection get
a second, zoomed look, and otherwise borrow the box of the nearest frame that
has one (counted as frames without a face). ``faces_seen`` is the most faces found in any one frame.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from dfutils.data.video import sample_frames
from dfutils.errors import UserInputError
from dfutils.faces.compression import h264_roundtrip, resize_crops
from dfutils.faces.crop_files import FaceCrops, as_cached
from dfutils.faces.detectors import detect_downscaled, get_detector
from dfutils.faces.extraction_settings import (
    MIN_LINK,
    SECOND_LOOK,
    WINDOW_FACTOR,
    ExtractionSettings,
)


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
    smaller = min(
        (previous[2] - previous[0]) * (previous[3] - previous[1]), (current[2] - current[0]) * (current[3] - current[1])
    )
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
        crops.append(
            cv2.resize(
                crop, (window_side, window_side), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            )
        )
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
        for t, faces in zip(
            which, detect_downscaled(detector, sampled.frames[which], settings.detect_side), strict=True
        ):
            detections[t] = [face for face in faces if face["score"] >= threshold]

    detect_full(keyframes)
    if not any(detections) and len(keyframes) < count:  # nothing on the keyframes: look at every frame
        detect_full(np.setdiff1d(np.arange(count), keyframes))
        keyframes = np.arange(count)
    try:
        tracks = track_faces(detections)
    except ValueError as error:
        raise UserInputError(f"{path}: {error}") from None
    kept = tracks[:1] + (
        [track for track in tracks[1:] if track["weight"] >= settings.track_share * tracks[0]["weight"]]
        if settings.every_face
        else []
    )
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
    boxes, found = detect_near(
        detector, sampled.frames, boxes, todo, threshold, window_side=SECOND_LOOK * settings.window_side
    )
    detected[todo] = found
    crops, encoded = as_cached(cut_crops(sampled.frames, boxes, settings), settings.codec, settings.quality)
    return crops, encoded, boxes, detected
