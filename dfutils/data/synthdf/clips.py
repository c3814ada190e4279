"""SynthDF's real clips: a person's photo (or a morph of two) moved as a talking head, or the real carphone
video, with a face tracker's landmark jitter."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dfutils import assets
from dfutils.data.synthdf.catalogue import FPS, Identity, SynthConfig, identity
from dfutils.data.synthdf.geometry import (
    FaceGeometry,
    apply_similarity,
    blink_signal,
    canonical_transform,
    compose,
    expression_field,
    grid,
    smooth_signal,
    speech_signal,
)
from dfutils.seeding import rng


# --------------------------------------------------------------------------- real clips
@dataclass
class Clip:
    """Frames of one clip with what the fakes need to know about them."""

    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    landmarks: np.ndarray  # (T, 5, 2) detected landmarks (with tracker jitter)
    mouth_open: np.ndarray  # (T,) expression signals
    blink: np.ndarray


@lru_cache(maxsize=2)
def _load_video(asset_name: str) -> np.ndarray:
    from dfutils.data.video import read_frames

    return read_frames(assets.fetch(asset_name))


CARPHONE_ASSET = "video-carphone"


@lru_cache(maxsize=1)
def _carphone_landmarks() -> np.ndarray:
    path = Path(__file__).parent / "carphone_landmarks.json"
    return np.asarray(json.loads(path.read_text()), dtype=np.float64)


def _tracker_jitter(generator: np.random.Generator, frames: int, scale: float) -> np.ndarray:
    """Detector-like noise: per-frame jitter plus a slowly wandering offset per point."""
    wander = np.cumsum(generator.normal(0, 0.15, (frames, 5, 2)), axis=0)
    wander -= wander.mean(axis=0)
    return (generator.normal(0, 0.012, (frames, 5, 2)) + 0.01 * np.tanh(wander)) * scale


def render_real_clip(identity_name: str, clip_index: int, seed: int, config: SynthConfig) -> Clip:
    """Render real clip ``clip_index`` of an identity (deterministic in the seed).

    A person with several photos is filmed from a different photo in each clip
    (a new recording of the same person); a morph from the two parents' photos.
    """
    person = identity(identity_name)
    generator = rng(seed, "clip", identity_name, clip_index)
    if person.kind == "video":
        return _video_clip(clip_index, generator, config)
    photo, landmarks = photo_of(person, clip_index, seed)
    return _photo_clip(photo, landmarks, generator, config)


def photo_of(person: Identity, clip_index: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The picture (float32 RGB) and landmarks that clip ``clip_index`` of ``person`` is filmed from."""
    from dfutils.data.synthdf.identities import prepare_photo

    if person.kind == "morph":  # from each parent's best photo, the one morph parents are chosen by
        return morph_photos([prepare_photo(identity(name).faces[0]) for name in person.parents])
    order = rng(seed, "photo-order", person.name).permutation(len(person.faces))
    return prepare_photo(person.faces[int(order[clip_index % len(person.faces)])])


MORPH_SIDE = 512  # morphs are composed at this size, their face twice as large as in a frame


def morph_photos(photos: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The mean of whole pictures aligned on their landmarks: a face between the parents'.

    Each picture is put upright at one position and scale (the canonical frame),
    then all are averaged everywhere, background included: no region is pasted,
    so a morph's real clips hold no blending boundary a detector could take for a fake's.
    """
    import cv2

    aligned, points = [], []
    for photo, landmarks in photos:
        transform = canonical_transform(landmarks, MORPH_SIDE)
        aligned.append(cv2.warpAffine(photo, transform, (MORPH_SIDE, MORPH_SIDE), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REFLECT101))
        points.append(apply_similarity(transform, landmarks))
    return np.mean(aligned, axis=0).astype(np.float32), np.mean(points, axis=0)


def _photo_clip(photo: np.ndarray, photo_landmarks: np.ndarray, generator: np.random.Generator,
                config: SynthConfig) -> Clip:
    import cv2

    size, frames = config.frame_size, config.frames
    photo_landmarks = np.asarray(photo_landmarks, np.float64)
    canonical = canonical_transform(photo_landmarks, size)
    times = np.arange(frames) / FPS
    # camera/head motion: a similarity about the frame centre, drifting smoothly
    base_scale = generator.uniform(0.85, 1.15)
    shift_x = generator.uniform(-0.05, 0.05) * size + smooth_signal(generator, times, 0.035 * size)
    shift_y = generator.uniform(-0.04, 0.04) * size + smooth_signal(generator, times, 0.03 * size)
    zoom = base_scale * np.exp(smooth_signal(generator, times, 0.06))
    rotation = np.radians(generator.uniform(-5, 5) + smooth_signal(generator, times, 5.0))
    # light: overall gain drifting, a directional gradient turning, a colour cast
    gain = generator.uniform(0.85, 1.12) * (1 + smooth_signal(generator, times, 0.08, 0.1, 0.4))
    gradient_angle = generator.uniform(0, 2 * np.pi) + smooth_signal(generator, times, 0.8, 0.05, 0.2)
    gradient_strength = generator.uniform(0.05, 0.18)
    colour = 1 + generator.uniform(-0.04, 0.04, 3)
    noise_sigma = generator.uniform(1.5, 3.5)
    mouth_open = speech_signal(generator, times)
    blink = blink_signal(generator, times)

    xs, ys = grid(size)
    centre = size / 2
    out = np.empty((frames, size, size, 3), np.uint8)
    true_landmarks = np.empty((frames, 5, 2))
    noise = rng(int(generator.integers(1 << 31)), "sensor-noise")
    for t in range(frames):
        cos, sin = math.cos(rotation[t]) * zoom[t], math.sin(rotation[t]) * zoom[t]
        motion = np.array([[cos, -sin, centre - cos * centre + sin * centre + shift_x[t]],
                           [sin, cos, centre - sin * centre - cos * centre + shift_y[t]]])
        photo_to_frame = compose(motion, canonical)
        landmarks = apply_similarity(photo_to_frame, photo_landmarks)
        true_landmarks[t] = landmarks
        geometry = FaceGeometry.from_landmarks(landmarks)
        dx, dy = expression_field(geometry, size, mouth_open[t], blink[t])
        frame_to_photo = cv2.invertAffineTransform(photo_to_frame)
        sample_x, sample_y = xs - dx, ys - dy
        map_x = (frame_to_photo[0, 0] * sample_x + frame_to_photo[0, 1] * sample_y + frame_to_photo[0, 2]).astype(
            np.float32
        )
        map_y = (frame_to_photo[1, 0] * sample_x + frame_to_photo[1, 1] * sample_y + frame_to_photo[1, 2]).astype(
            np.float32
        )
        frame = cv2.remap(photo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        direction = np.array([math.cos(gradient_angle[t]), math.sin(gradient_angle[t])])
        light = gain[t] * (1 + gradient_strength * ((xs - centre) * direction[0] + (ys - centre) * direction[1]) / size)
        frame = frame * light[..., None] * colour + noise.normal(0, noise_sigma, frame.shape)
        out[t] = np.clip(frame, 0, 255).astype(np.uint8)
    geometry = FaceGeometry.from_landmarks(true_landmarks[0])
    detected = true_landmarks + _tracker_jitter(generator, frames, geometry.scale)
    return Clip(out, detected, mouth_open, blink)


def _video_clip(clip_index: int, generator: np.random.Generator, config: SynthConfig) -> Clip:
    """A window of the real talking-face video: its own motion, light and detections."""
    import cv2

    size, frames = config.frame_size, config.frames
    video = _load_video(CARPHONE_ASSET)
    detections = _carphone_landmarks()
    source_fps = 30000 / 1001
    available = len(video) / source_fps
    duration = frames / FPS
    start = (available - duration) * generator.uniform(0, 1)
    indices = np.minimum(np.round((start + np.arange(frames) / FPS) * source_fps).astype(int), len(video) - 1)
    mirror = clip_index % 2 == 1
    width = video.shape[2]
    points = detections[indices].copy()
    if mirror:  # a mirrored real video is still real; image-left eye and mouth corner swap
        points[..., 0] = width - 1 - points[..., 0]
        points = points[:, [1, 0, 2, 4, 3]]
    canonical = canonical_transform(np.median(points, axis=0), size)
    zoom = generator.uniform(0.9, 1.1)
    centre = size / 2
    adjust = np.array([[zoom, 0, (1 - zoom) * centre + generator.uniform(-0.04, 0.04) * size],
                       [0, zoom, (1 - zoom) * centre + generator.uniform(-0.03, 0.03) * size]])
    transform = compose(adjust, canonical)
    out = np.empty((frames, size, size, 3), np.uint8)
    for t, index in enumerate(indices):
        frame = video[index][:, ::-1] if mirror else video[index]
        out[t] = cv2.warpAffine(np.ascontiguousarray(frame), transform, (size, size),
                                flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
    landmarks = apply_similarity(transform, points.reshape(-1, 2)).reshape(frames, 5, 2)
    # expression signals from the detections (mouth-to-eye distance relative to its own low)
    geometry = [FaceGeometry.from_landmarks(points) for points in landmarks]
    opening = np.array([np.linalg.norm(g.mouth - g.eye_mid) / g.scale for g in geometry])
    mouth_open = np.clip((opening - np.percentile(opening, 10)) / 0.15, 0, 1)
    return Clip(out, landmarks, mouth_open, np.zeros(frames))
