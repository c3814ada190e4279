"""SynthDF: a small, offline deepfake benchmark in FaceForensics++ layout.

Real faces (photos and one real talking-face video that ship inside registry
packages, see :mod:`dfutils.assets`) become short "real" clips with natural
motion: smooth head/camera movement with scale and rotation drift, lighting
change, sensor noise, and non-rigid mouth and eye movement. Every fake is made
*from* a real clip the way FF++ makes them, so the manipulation is the only
systematic difference between a fake and its original: the same motion, light,
noise, length and encoding. One generator per FF++ method:

- ``FaceSwap``: the source identity's face aligned to the target's landmarks,
  convex-hull mask, colour transfer, seamless or feathered blending;
- ``Deepfakes``: the swapped face squeezed through a 64-px aligned bottleneck
  (the blur of an autoencoder), per-frame flicker, soft-mask blending;
- ``Face2Face``: the target's own face with its mouth and eyes re-driven by
  another clip's expression;
- ``NeuralTextures``: only the mouth re-driven and re-rendered, subtly.

Fakes align on *detected* landmarks: the true ones plus the frame-to-frame
jitter of a face tracker (the carphone clip uses real per-frame MTCNN
detections). Videos are H.264 at FF++'s ``c0`` (lossless), ``c23`` and
``c40`` through the ffmpeg of ``imageio-ffmpeg``.

``build_synthdf(out, size="demo", seed=0)`` writes ``original_sequences/``,
``manipulated_sequences/``, ``splits/{train,val,test}.json`` (grouped by
identity) and ``manifest.csv``; :func:`dfutils.data.datasets.index_ffpp` reads it
unchanged. The same seed gives the same decoded frames. Interrupted builds
resume: finished videos are kept.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils import assets
from dfutils.atomic import atomic_path
from dfutils.data.synthdf.identities import image_path
from dfutils.errors import UserInputError
from dfutils.seeding import rng

METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")
COMPRESSION_CRF = {"c0": 0, "c23": 23, "c40": 40}
FPS = 25
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # image-left first
SYNTH_VERSION = 3  # bump when the generator changes what it draws


@dataclass(frozen=True)
class Identity:
    """A real person: several photos (:mod:`dfutils.data.synthdf.identities`), the real carphone video, or a
    morph of two catalogue people (an identity nobody has, for when real people run out)."""

    name: str
    kind: str  # "photos", "video" or "morph"
    faces: tuple = ()  # CatalogueFace entries (photos), best first
    parents: tuple = ()  # two identity names (morph)


VIDEO_IDENTITY = Identity("carphone", "video")
MORPH_PREFIX = "morph_"


@lru_cache(maxsize=1)
def catalogue_identities() -> dict[str, Identity]:
    """Every identity SynthDF can draw from: the face catalogue's people and the carphone video."""
    from dfutils.data.synthdf.identities import default_catalogue

    people = {name: Identity(name, "photos", tuple(faces)) for name, faces in default_catalogue().identities().items()}
    return {**people, VIDEO_IDENTITY.name: VIDEO_IDENTITY}


def catalogue_fingerprint() -> str:
    """Part of a build's settings: a rebuilt face catalogue must not be mixed into an older build."""
    import hashlib

    from dfutils.data.synthdf.identities import CATALOGUE_PATH

    return hashlib.sha256(CATALOGUE_PATH.read_bytes()).hexdigest()[:16]


def morph_name(first: str, second: str) -> str:
    return f"{MORPH_PREFIX}{first}+{second}"


def identity(name: str) -> Identity:
    """The identity called ``name`` (a catalogue person, ``carphone``, or ``morph_<a>+<b>``)."""
    known = catalogue_identities()
    if name in known:
        return known[name]
    if name.startswith(MORPH_PREFIX) and "+" in name:
        parents = tuple(name[len(MORPH_PREFIX):].split("+", 1))
        if all(known.get(parent, VIDEO_IDENTITY).kind == "photos" for parent in parents) and parents[0] != parents[1]:
            return Identity(name, "morph", parents=parents)
    raise UserInputError(f"identity: unknown {name!r}; known: {', '.join(sorted(known))} (or morph_<a>+<b> of two of them)")


@dataclass(frozen=True)
class SynthConfig:
    """How big a benchmark to build. ``clips_per_identity`` must be even (FF++ pairs)."""

    identities: tuple[str, ...]  # () means every catalogue identity and the carphone video
    clips_per_identity: int
    seconds: float
    compressions: tuple[str, ...]
    frame_size: int = 256
    methods: tuple[str, ...] = METHODS
    morphs: int = 0  # extra identities, each a morph of two real people of the same split
    val_fraction: float = 0.2  # of the real identities
    test_fraction: float = 0.2

    @property
    def frames(self) -> int:
        return int(round(self.seconds * FPS))


SIZES = {
    # CI: 8 identities x 2 clips, 2 s, c23 -> 16 real + 64 fake videos
    "smoke": SynthConfig(
        identities=("ben_afflek", "jerry_seinfeld", "madonna", "mindy_kaling", "friends_1", "faceapi4_1",
                    "portrait_1", "carphone"),
        clips_per_identity=2, seconds=2.0, compressions=("c23",),
    ),
    # make reproduce: every catalogue identity (54 people from photos, the carphone video) and
    # 10 morphs -> 65 identities x 2 clips, 1.2 s, c23 and c40 -> 1300 videos; a quarter of the real
    # identities in test and a sixth in val, each split with its share of the morphs.
    "demo": SynthConfig(
        identities=(), clips_per_identity=2, seconds=1.2, compressions=("c23", "c40"), morphs=10,
        val_fraction=0.17, test_fraction=0.25,
    ),
}


# --------------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class FaceGeometry:
    """Where the face is in a frame, from its 5 landmarks."""

    eye_left: np.ndarray
    eye_right: np.ndarray
    mouth: np.ndarray  # mouth centre
    mouth_width: float
    scale: float  # mean of eye distance and eye-to-mouth distance
    down: np.ndarray  # unit vector from the eyes towards the mouth
    across: np.ndarray  # unit vector from image-left eye to image-right eye, made orthogonal

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> FaceGeometry:
        landmarks = np.asarray(landmarks, dtype=np.float64)
        eye_left, eye_right, _, mouth_left, mouth_right = landmarks
        eye_mid = (eye_left + eye_right) / 2
        mouth = (mouth_left + mouth_right) / 2
        down = mouth - eye_mid
        eye_mouth = float(np.linalg.norm(down))
        down = down / max(eye_mouth, 1e-6)
        across = np.array([-down[1], down[0]]) * -1.0  # perpendicular, pointing image-right when upright
        if np.dot(across, eye_right - eye_left) < 0:
            across = -across
        eye_distance = float(np.linalg.norm(eye_right - eye_left))
        return cls(eye_left, eye_right, mouth, float(np.linalg.norm(mouth_right - mouth_left)),
                   (eye_distance + eye_mouth) / 2, down, across)

    @property
    def eye_mid(self) -> np.ndarray:
        return (self.eye_left + self.eye_right) / 2

    def outline(self, grow: float = 1.0, points: int = 40) -> np.ndarray:
        """Face outline (brows to chin) as a polygon: the hull the masks are drawn from."""
        centre = self.eye_mid + 0.45 * self.scale * self.down
        angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
        half_width, half_height = 1.0 * self.scale * grow, 1.3 * self.scale * grow
        return (centre + np.outer(np.cos(angles) * half_width, self.across)
                + np.outer(np.sin(angles) * half_height, self.down))

    def box(self, grow: float = 1.0) -> tuple[int, int, int, int]:
        """Axis-aligned (x0, y0, x1, y1) box around the outline."""
        outline = self.outline(grow)
        (x0, y0), (x1, y1) = outline.min(axis=0), outline.max(axis=0)
        return int(math.floor(x0)), int(math.floor(y0)), int(math.ceil(x1)), int(math.ceil(y1))


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return xs, ys


def expression_field(geometry: FaceGeometry, size: int, mouth_open: float, blink: float,
                     eyes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) of a jaw opening and an eyelid closing, in frame pixels.

    A pixel at p shows the content at p - D(p): positive ``mouth_open`` pulls
    the lower lip and chin down, negative closes the mouth; ``blink`` pulls the
    upper eyelids over the eyes.
    """
    xs, ys = _grid(size)
    dx = np.zeros((size, size), np.float32)
    dy = np.zeros((size, size), np.float32)
    if mouth_open:
        rel_x, rel_y = xs - geometry.mouth[0], ys - geometry.mouth[1]
        along = rel_x * geometry.across[0] + rel_y * geometry.across[1]
        below = rel_x * geometry.down[0] + rel_y * geometry.down[1]
        width = max(geometry.mouth_width, 4.0)
        weight = np.exp(-(along / (0.9 * width)) ** 2 - ((below - 0.45 * width) / (0.6 * width)) ** 2)
        weight *= 1.0 / (1.0 + np.exp(-(below + 0.04 * width) / (0.05 * width)))  # upper lip stays
        amount = mouth_open * 0.24 * width * weight
        dx += amount * geometry.down[0]
        dy += amount * geometry.down[1]
    if blink and eyes:
        radius = 0.3 * float(np.linalg.norm(geometry.eye_right - geometry.eye_left))
        for eye in (geometry.eye_left, geometry.eye_right):
            rel_x, rel_y = xs - eye[0], ys - eye[1]
            along = rel_x * geometry.across[0] + rel_y * geometry.across[1]
            below = rel_x * geometry.down[0] + rel_y * geometry.down[1]
            weight = np.exp(-(along / (0.9 * radius)) ** 2 - ((below + 0.1 * radius) / (0.6 * radius)) ** 2)
            amount = blink * 0.8 * radius * weight
            dx += amount * geometry.down[0]
            dy += amount * geometry.down[1]
    return dx, dy


def _similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (2x3) taking source points onto target points."""
    import cv2

    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(source, np.float32), np.asarray(target, np.float32), method=cv2.LMEDS
    )
    if matrix is None:
        raise ValueError("could not align landmarks")
    return matrix


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 affine of applying ``inner`` then ``outer``."""
    a = np.vstack([outer, [0, 0, 1]])
    b = np.vstack([inner, [0, 0, 1]])
    return (a @ b)[:2]


def _canonical_transform(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Photo -> frame similarity that puts the face upright, centred, at a fixed scale."""
    geometry = FaceGeometry.from_landmarks(landmarks)
    angle = math.atan2(geometry.down[1], geometry.down[0]) - math.pi / 2
    # the larger of eye distance and eye-to-mouth distance: a turned head shortens the first,
    # a tilted one the second, and scaling by either alone would blow the face up
    eye_distance = float(np.linalg.norm(geometry.eye_right - geometry.eye_left))
    eye_mouth = float(np.linalg.norm(geometry.mouth - geometry.eye_mid))
    scale = 0.22 * size / max(eye_distance, eye_mouth)
    cos, sin = math.cos(-angle) * scale, math.sin(-angle) * scale
    rotation = np.array([[cos, -sin], [sin, cos]])
    target_eye_mid = np.array([size / 2, 0.40 * size])
    offset = target_eye_mid - rotation @ geometry.eye_mid
    return np.hstack([rotation, offset[:, None]])


# --------------------------------------------------------------------------- motion signals
def _smooth_signal(generator: np.random.Generator, times: np.ndarray, amplitude: float,
                   low_hz: float = 0.1, high_hz: float = 0.6, components: int = 3) -> np.ndarray:
    """A smooth random signal: a few low-frequency sinusoids plus a linear drift."""
    signal = np.zeros_like(times)
    for _ in range(components):
        frequency = generator.uniform(low_hz, high_hz)
        signal += generator.uniform(0.3, 1.0) * np.sin(2 * np.pi * frequency * times + generator.uniform(0, 2 * np.pi))
    signal = signal / components
    drift = generator.uniform(-1, 1) * times / max(times[-1], 1e-6)
    return amplitude * (signal + 0.6 * drift)


def _speech(generator: np.random.Generator, times: np.ndarray) -> np.ndarray:
    """Mouth opening in [0, 1]: syllable rhythm inside talk/pause segments."""
    envelope = np.zeros_like(times)
    t = generator.uniform(-0.3, 0.3)
    while t < times[-1]:
        talk = generator.uniform(0.7, 1.8)
        envelope[(times >= t) & (times < t + talk)] = 1.0
        t += talk + generator.uniform(0.15, 0.5)
    kernel = np.hanning(5)
    envelope = np.convolve(envelope, kernel / kernel.sum(), mode="same")
    rate = generator.uniform(3.0, 5.0) + 0.5 * np.sin(2 * np.pi * generator.uniform(0.2, 0.5) * times)
    phase = 2 * np.pi * np.cumsum(rate) / FPS + generator.uniform(0, 2 * np.pi)
    syllables = (0.5 + 0.5 * np.sin(phase)) ** 1.5
    return np.clip(envelope * syllables * generator.uniform(0.6, 1.0), 0, 1)


def _blinks(generator: np.random.Generator, times: np.ndarray) -> np.ndarray:
    signal = np.zeros_like(times)
    t = generator.uniform(0.2, 1.5)
    while t < times[-1]:
        duration = generator.uniform(0.12, 0.2)
        signal = np.maximum(signal, np.clip(1 - np.abs(times - t) / (duration / 2), 0, 1))
        t += generator.uniform(1.5, 4.0)
    return signal


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
        transform = _canonical_transform(landmarks, MORPH_SIDE)
        aligned.append(cv2.warpAffine(photo, transform, (MORPH_SIDE, MORPH_SIDE), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REFLECT101))
        points.append(_apply(transform, landmarks))
    return np.mean(aligned, axis=0).astype(np.float32), np.mean(points, axis=0)


def _photo_clip(photo: np.ndarray, photo_landmarks: np.ndarray, generator: np.random.Generator,
                config: SynthConfig) -> Clip:
    import cv2

    size, frames = config.frame_size, config.frames
    photo_landmarks = np.asarray(photo_landmarks, np.float64)
    canonical = _canonical_transform(photo_landmarks, size)
    times = np.arange(frames) / FPS
    # camera/head motion: a similarity about the frame centre, drifting smoothly
    base_scale = generator.uniform(0.85, 1.15)
    shift_x = generator.uniform(-0.05, 0.05) * size + _smooth_signal(generator, times, 0.035 * size)
    shift_y = generator.uniform(-0.04, 0.04) * size + _smooth_signal(generator, times, 0.03 * size)
    zoom = base_scale * np.exp(_smooth_signal(generator, times, 0.06))
    rotation = np.radians(generator.uniform(-5, 5) + _smooth_signal(generator, times, 5.0))
    # light: overall gain drifting, a directional gradient turning, a colour cast
    gain = generator.uniform(0.85, 1.12) * (1 + _smooth_signal(generator, times, 0.08, 0.1, 0.4))
    gradient_angle = generator.uniform(0, 2 * np.pi) + _smooth_signal(generator, times, 0.8, 0.05, 0.2)
    gradient_strength = generator.uniform(0.05, 0.18)
    colour = 1 + generator.uniform(-0.04, 0.04, 3)
    noise_sigma = generator.uniform(1.5, 3.5)
    mouth_open = _speech(generator, times)
    blink = _blinks(generator, times)

    xs, ys = _grid(size)
    centre = size / 2
    out = np.empty((frames, size, size, 3), np.uint8)
    true_landmarks = np.empty((frames, 5, 2))
    noise = rng(int(generator.integers(1 << 31)), "sensor-noise")
    for t in range(frames):
        cos, sin = math.cos(rotation[t]) * zoom[t], math.sin(rotation[t]) * zoom[t]
        motion = np.array([[cos, -sin, centre - cos * centre + sin * centre + shift_x[t]],
                           [sin, cos, centre - sin * centre - cos * centre + shift_y[t]]])
        photo_to_frame = _compose(motion, canonical)
        landmarks = _apply(photo_to_frame, photo_landmarks)
        true_landmarks[t] = landmarks
        geometry = FaceGeometry.from_landmarks(landmarks)
        dx, dy = expression_field(geometry, size, mouth_open[t], blink[t])
        frame_to_photo = cv2.invertAffineTransform(photo_to_frame)
        sample_x, sample_y = xs - dx, ys - dy
        map_x = (frame_to_photo[0, 0] * sample_x + frame_to_photo[0, 1] * sample_y + frame_to_photo[0, 2]).astype(np.float32)
        map_y = (frame_to_photo[1, 0] * sample_x + frame_to_photo[1, 1] * sample_y + frame_to_photo[1, 2]).astype(np.float32)
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
    canonical = _canonical_transform(np.median(points, axis=0), size)
    zoom = generator.uniform(0.9, 1.1)
    centre = size / 2
    adjust = np.array([[zoom, 0, (1 - zoom) * centre + generator.uniform(-0.04, 0.04) * size],
                       [0, zoom, (1 - zoom) * centre + generator.uniform(-0.03, 0.03) * size]])
    transform = _compose(adjust, canonical)
    out = np.empty((frames, size, size, 3), np.uint8)
    for t, index in enumerate(indices):
        frame = video[index][:, ::-1] if mirror else video[index]
        out[t] = cv2.warpAffine(np.ascontiguousarray(frame), transform, (size, size),
                                flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
    landmarks = _apply(transform, points.reshape(-1, 2)).reshape(frames, 5, 2)
    # expression signals from the detections (mouth-to-eye distance relative to its own low)
    geometry = [FaceGeometry.from_landmarks(points) for points in landmarks]
    opening = np.array([np.linalg.norm(g.mouth - g.eye_mid) / g.scale for g in geometry])
    mouth_open = np.clip((opening - np.percentile(opening, 10)) / 0.15, 0, 1)
    return Clip(out, landmarks, mouth_open, np.zeros(frames))


# --------------------------------------------------------------------------- manipulations
def _mask(geometry: FaceGeometry, size: int, grow: float = 1.0) -> np.ndarray:
    import cv2

    mask = np.zeros((size, size), np.uint8)
    hull = cv2.convexHull(np.round(geometry.outline(grow)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    return mask


def _feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), max(sigma, 0.5))[..., None]


def _colour_transfer(source: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Reinhard colour transfer in Lab, statistics taken inside the mask."""
    import cv2

    inside = mask > 127
    if inside.sum() < 20:
        return source
    source_lab = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    target_lab = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    for channel in range(3):
        s, t = source_lab[..., channel][inside], target_lab[..., channel][inside]
        source_lab[..., channel] = (source_lab[..., channel] - s.mean()) * (t.std() / max(s.std(), 1e-3)) + t.mean()
    return cv2.cvtColor(np.clip(source_lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _blend(face: np.ndarray, frame: np.ndarray, mask: np.ndarray, mode: str, feather_sigma: float) -> np.ndarray:
    import cv2

    if mode == "seamless":
        ys, xs = np.nonzero(mask)
        if len(xs) and xs.min() > 1 and ys.min() > 1 and xs.max() < frame.shape[1] - 2 and ys.max() < frame.shape[0] - 2:
            centre = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
            return cv2.seamlessClone(face, frame, mask, centre, cv2.NORMAL_CLONE)
    alpha = _feather(mask, feather_sigma)
    return np.clip(face * alpha + frame * (1 - alpha), 0, 255).astype(np.uint8)


def _remap(frame: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    import cv2

    xs, ys = _grid(frame.shape[0])
    return cv2.remap(frame, xs - dx, ys - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def fake_settings(method: str, generator: np.random.Generator) -> dict:
    """The per-video choices of a manipulation, drawn before any frame is rendered."""
    if method == "FaceSwap":
        return {"blend": "seamless" if generator.uniform() < 0.5 else "feathered"}
    if method == "Deepfakes":
        return {"blend": "feathered", "bottleneck_px": _BOTTLENECK, "flicker_seed": int(generator.integers(1 << 31))}
    return {"blend": "feathered"}


def fake_faceswap(target: Clip, source: Clip, settings: dict) -> np.ndarray:
    """Graphics-based swap: source face aligned on target landmarks, hull mask, colour transfer, blend."""
    import cv2

    size = target.frames.shape[1]
    mode = settings["blend"]
    out = np.empty_like(target.frames)
    for t in range(len(target.frames)):
        geometry = FaceGeometry.from_landmarks(target.landmarks[t])
        matrix = _similarity(source.landmarks[t], target.landmarks[t])
        face = cv2.warpAffine(source.frames[t], matrix, (size, size), borderMode=cv2.BORDER_REFLECT101)
        mask = _mask(geometry, size, grow=0.92)
        face = _colour_transfer(face, target.frames[t], mask)
        out[t] = _blend(face, target.frames[t], mask, mode, 0.08 * geometry.scale)
    return out


# Where the 5 landmarks sit in the 64-px face of the Deepfakes "autoencoder" (face scale 22 px).
_BOTTLENECK = 64
_TEMPLATE = np.array([(-0.5, -0.45), (0.5, -0.45), (0.0, 0.1), (-0.42, 0.55), (0.42, 0.55)]) * 22 + 32


def fake_deepfakes(target: Clip, source: Clip, settings: dict) -> np.ndarray:
    """Autoencoder-like swap: source face through a 64-px aligned bottleneck, flicker, soft mask."""
    import cv2

    size = target.frames.shape[1]
    flicker = 1 + np.random.default_rng(settings["flicker_seed"]).normal(0, 0.015, len(target.frames))
    out = np.empty_like(target.frames)
    for t in range(len(target.frames)):
        geometry = FaceGeometry.from_landmarks(target.landmarks[t])
        to_template = _similarity(source.landmarks[t], _TEMPLATE)
        code = cv2.warpAffine(source.frames[t], to_template, (_BOTTLENECK, _BOTTLENECK), flags=cv2.INTER_AREA)
        code = cv2.GaussianBlur(code, (0, 0), 0.7)
        decoded = cv2.warpAffine(code, _similarity(_TEMPLATE, target.landmarks[t]), (size, size),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        mask = _mask(geometry, size, grow=0.9)
        decoded = _colour_transfer(decoded, target.frames[t], mask)
        decoded = np.clip(decoded.astype(np.float32) * flicker[t], 0, 255).astype(np.uint8)
        out[t] = _blend(decoded, target.frames[t], mask, "feathered", 0.12 * geometry.scale)
    return out


def fake_face2face(target: Clip, driver: Clip, settings: dict) -> np.ndarray:
    """Reenactment: the target's own face, its mouth and eyes re-driven by the driver's expression."""
    import cv2

    size = target.frames.shape[1]
    out = np.empty_like(target.frames)
    for t in range(len(target.frames)):
        geometry = FaceGeometry.from_landmarks(target.landmarks[t])
        dx, dy = expression_field(geometry, size, driver.mouth_open[t] - target.mouth_open[t],
                                  driver.blink[t] - target.blink[t])
        rendered = cv2.GaussianBlur(_remap(target.frames[t], dx, dy), (0, 0), 0.8)
        mask = _mask(geometry, size, grow=0.85)
        out[t] = _blend(rendered, target.frames[t], mask, "feathered", 0.1 * geometry.scale)
    return out


def fake_neuraltextures(target: Clip, driver: Clip, settings: dict) -> np.ndarray:
    """Neural rendering of the mouth only: re-driven, re-rendered at half detail, small soft mask."""
    import cv2

    size = target.frames.shape[1]
    out = np.empty_like(target.frames)
    for t in range(len(target.frames)):
        geometry = FaceGeometry.from_landmarks(target.landmarks[t])
        dx, dy = expression_field(geometry, size, driver.mouth_open[t] - target.mouth_open[t], 0.0, eyes=False)
        rendered = _remap(target.frames[t], dx, dy)
        rendered = cv2.resize(cv2.resize(rendered, (size // 2, size // 2), interpolation=cv2.INTER_AREA),
                              (size, size), interpolation=cv2.INTER_LINEAR)
        mask = np.zeros((size, size), np.uint8)
        centre = geometry.mouth + 0.25 * geometry.mouth_width * geometry.down
        angle = math.degrees(math.atan2(geometry.across[1], geometry.across[0]))
        axes = (int(0.85 * geometry.mouth_width), int(0.65 * geometry.mouth_width))
        cv2.ellipse(mask, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, 255, -1)
        out[t] = _blend(rendered, target.frames[t], mask, "feathered", 0.2 * geometry.mouth_width)
    return out


GENERATORS = {
    "Deepfakes": fake_deepfakes,
    "Face2Face": fake_face2face,
    "FaceSwap": fake_faceswap,
    "NeuralTextures": fake_neuraltextures,
}


# --------------------------------------------------------------------------- encoding
def encode_video(frames: np.ndarray, path: Path, compression: str) -> None:
    """Write RGB frames as H.264 at an FF++ compression level, atomically.

    ``c0`` is lossless (``-qp 0``, 4:4:4 chroma); ``c23``/``c40`` are CRF 23/40 in
    4:2:0 as FF++. One encoder thread keeps the output bit-identical run to run.
    """
    import imageio_ffmpeg

    if compression not in COMPRESSION_CRF:
        raise UserInputError(f"compression: unknown {compression!r}; expected one of {', '.join(COMPRESSION_CRF)}")
    crf = COMPRESSION_CRF[compression]
    quality = ["-qp", "0"] if crf == 0 else ["-crf", str(crf)]
    height, width = frames.shape[1:3]
    with atomic_path(path, keep_suffix=True) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (width, height), fps=FPS, codec="libx264", quality=None, macro_block_size=1,
            pix_fmt_in="rgb24", pix_fmt_out="yuv444p" if crf == 0 else "yuv420p", ffmpeg_log_level="error",
            output_params=[*quality, "-preset", "veryfast", "-threads", "1", "-bf", "0", "-x264-params", "log-level=error"],
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()


# --------------------------------------------------------------------------- the benchmark
@dataclass(frozen=True)
class ClipPlan:
    number: str  # FF++ style video number, "000"
    identity: str
    clip_index: int
    split: str
    partner: str = ""  # the clip it is paired with (source of its fakes)


def config_identities(config: SynthConfig) -> list[str]:
    """The real identities a config draws from (all of the catalogue's when it names none)."""
    names = list(config.identities) or list(catalogue_identities())
    for name in names:
        identity(name)  # unknown names fail here, with the list of known ones
    return names


def _share(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first)."""
    if not total or not sum(weights):
        return [0] * len(weights)
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for k in sorted(range(len(weights)), key=lambda k: -(exact[k] - counts[k]))[:total - sum(counts)]:
        counts[k] += 1
    return counts


def morph_candidates(people: list[str]) -> list[tuple[str, str]]:
    """Pairs of people whose best photos morph without ghosting: both fit (near-frontal, eyes
    visible), alike in pose (nose position, roll), and both thumbnails or both photos (a thumbnail's
    edge would otherwise show through the photo as a square)."""
    from dfutils.data.synthdf.identities import face_geometry

    fit = sorted(name for name in people if identity(name).faces[0].morphable)
    pairs = []
    for k, first in enumerate(fit):
        a = identity(first).faces[0]
        for second in fit[k + 1:]:
            b = identity(second).faces[0]
            ga, gb = face_geometry(a.landmarks), face_geometry(b.landmarks)
            if (abs(ga["nose_position"] - gb["nose_position"]) <= 0.15 and abs(ga["roll"] - gb["roll"]) <= 12
                    and (a.region is None) == (b.region is None)):
                pairs.append((first, second))
    return pairs


def plan_benchmark(config: SynthConfig, seed: int) -> list[ClipPlan]:
    """Number the clips, give whole identities to splits and pair clips of different people within each split.

    Real identities are split first (``val_fraction``, ``test_fraction``, the rest
    train); each split then gets its share of ``morphs``, made from two of its
    own people, so a morph never shares a face with another split.
    """
    if config.clips_per_identity < 2 or config.clips_per_identity % 2:
        raise UserInputError(f"clips_per_identity must be even and at least 2, got {config.clips_per_identity}")
    names = config_identities(config)
    shuffled = [names[i] for i in rng(seed, "identity-split").permutation(len(names))]
    test = max(2, round(config.test_fraction * len(shuffled)))
    val = max(2, round(config.val_fraction * len(shuffled)))
    if len(shuffled) < test + val + 2:
        raise UserInputError(f"need at least {test + val + 2} identities for train/val/test, got {len(shuffled)}")
    members = {"test": shuffled[:test], "val": shuffled[test:test + val], "train": shuffled[test + val:]}
    photo_people = {split: [n for n in people if identity(n).kind == "photos"] for split, people in members.items()}
    pairs = {split: morph_candidates(photo_people[split]) for split in members}
    counts = dict(zip(members, _share(config.morphs, [len(photo_people[s]) for s in members]), strict=True))
    surplus = sum(max(0, counts[split] - len(pairs[split])) for split in members)
    counts = {split: min(count, len(pairs[split])) for split, count in counts.items()}
    for split in ("train", "test", "val"):  # a split with too few fit pairs passes its surplus on
        moved = min(surplus, len(pairs[split]) - counts[split])
        counts[split], surplus = counts[split] + moved, surplus - moved
    if surplus:
        raise UserInputError(f"morphs: only {sum(map(len, pairs.values()))} pairs of people fit to morph, "
                             f"too few for {config.morphs}")
    for split, count in counts.items():
        chosen = rng(seed, "morphs", split).choice(len(pairs[split]), count, replace=False)
        members[split] = members[split] + [morph_name(*pairs[split][k]) for k in sorted(chosen)]
    plans: list[ClipPlan] = []
    pairs_per_identity = config.clips_per_identity // 2
    for split in ("train", "val", "test"):
        people = members[split]
        if len(people) <= pairs_per_identity:
            raise UserInputError(f"{split}: {len(people)} identities cannot pair {config.clips_per_identity} clips "
                                 "each with other people's")
        numbers = {(name, k): f"{len(plans) + i * config.clips_per_identity + k:03d}"
                   for i, name in enumerate(people) for k in range(config.clips_per_identity)}
        partner_of = {}
        # clip 2k of person i pairs with clip 2k+1 of person i+1+k (cyclically): never the same person
        for i, name in enumerate(people):
            for k in range(pairs_per_identity):
                other = people[(i + 1 + k) % len(people)]
                partner_of[(name, 2 * k)] = (other, 2 * k + 1)
                partner_of[(other, 2 * k + 1)] = (name, 2 * k)
        for (name, k), number in numbers.items():
            plans.append(ClipPlan(number, name, k, split, numbers[partner_of[(name, k)]]))
    return sorted(plans, key=lambda plan: plan.number)


def _clip_path(root: Path, compression: str, number: str) -> Path:
    return root / "original_sequences" / "youtube" / compression / "videos" / f"{number}.mp4"


def _fake_path(root: Path, method: str, compression: str, target: str, source: str) -> Path:
    return root / "manipulated_sequences" / method / compression / "videos" / f"{target}_{source}.mp4"


def _build_clip(task: dict) -> list[dict]:
    """Worker: the real clip and its fakes (one per method) at every compression."""
    import cv2

    cv2.setNumThreads(1)
    root, seed = Path(task["root"]), task["seed"]
    config = SynthConfig(**task["config"])
    plan, partner = ClipPlan(**task["plan"]), ClipPlan(**task["partner"])
    rows: list[dict] = []
    base = {"frames": config.frames, "fps": FPS, "seed": seed, "split": plan.split,
            "identity_kind": identity(plan.identity).kind}

    @lru_cache(maxsize=2)  # rendered only if some video of this clip is still to be written
    def clip(identity: str, index: int) -> Clip:
        return render_real_clip(identity, index, seed, config)

    def target() -> Clip:
        return clip(plan.identity, plan.clip_index)

    def source() -> Clip:
        return clip(partner.identity, partner.clip_index)

    for compression in config.compressions:
        path = _clip_path(root, compression, plan.number)
        if not path.is_file():
            encode_video(target().frames, path, compression)
        rows.append({**base, "video_id": path.relative_to(root).as_posix(), "label": 0, "method": "real",
                     "compression": compression, "identity": plan.identity, "source_identity": "",
                     "target_clip": plan.number, "source_clip": "", "settings": ""})
    for method in config.methods:
        paths = {c: _fake_path(root, method, c, plan.number, partner.number) for c in config.compressions}
        settings = fake_settings(method, rng(seed, "fake", method, plan.number, partner.number))
        if not all(p.is_file() for p in paths.values()):
            frames = GENERATORS[method](target(), source(), settings)
            for compression, path in paths.items():
                if not path.is_file():
                    encode_video(frames, path, compression)
        for compression, path in paths.items():
            rows.append({**base, "video_id": path.relative_to(root).as_posix(), "label": 1, "method": method,
                         "compression": compression, "identity": plan.identity, "source_identity": partner.identity,
                         "target_clip": plan.number, "source_clip": partner.number,
                         "settings": json.dumps(settings, sort_keys=True)})
    return rows


MANIFEST_COLUMNS = ["video_id", "label", "method", "compression", "identity", "identity_kind", "source_identity",
                    "target_clip", "source_clip", "split", "frames", "fps", "seed", "settings"]


def build_synthdf(out: str | Path, size: str = "demo", seed: int = 0, workers: int | None = None,
                  progress: bool = True, config: SynthConfig | None = None,
                  replace_stale: bool = False) -> pd.DataFrame:
    """Build (or finish building) SynthDF in ``out``; returns the manifest table.

    ``size`` picks a preset of :data:`SIZES`; ``config`` overrides it. A folder
    built with other settings (or an older generator) is refused rather than
    mixed, unless ``replace_stale`` (for folders the project manages itself).
    """
    from dfutils.progress import progress_bar

    if config is None:
        if size not in SIZES:
            raise UserInputError(f"size: unknown {size!r}; expected one of {', '.join(SIZES)}")
        config = SIZES[size]
    for compression in config.compressions:
        if compression not in COMPRESSION_CRF:
            raise UserInputError(f"compression: unknown {compression!r}; expected one of {', '.join(COMPRESSION_CRF)}")
    root = Path(out).resolve()
    root.mkdir(parents=True, exist_ok=True)
    settings = {"synth_version": SYNTH_VERSION, "seed": seed, "size": size, "config": asdict(config),
                "face_catalogue": catalogue_fingerprint()}
    settings_path = root / "synthdf.json"
    if settings_path.is_file():
        existing = json.loads(settings_path.read_text())
        if existing != json.loads(json.dumps(settings)) and replace_stale:
            import shutil

            for part in ("original_sequences", "manipulated_sequences", "splits", "manifest.csv", "synthdf.json"):
                target = root / part
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
            settings_path.write_text(json.dumps(settings, indent=1))
        elif existing != json.loads(json.dumps(settings)):
            raise UserInputError(
                f"{root}: holds a SynthDF built with other settings ({settings_path}); "
                "use another folder or delete this one"
            )
    else:
        settings_path.write_text(json.dumps(settings, indent=1))
    for name in config_identities(config):  # fail early, and once, if an asset cannot be had
        person = identity(name)
        for image in {face.image for face in person.faces}:
            image_path(image)
        if person.kind == "video":
            assets.fetch(CARPHONE_ASSET)

    plans = plan_benchmark(config, seed)
    by_number = {plan.number: plan for plan in plans}
    tasks = [
        {"root": str(root), "seed": seed, "config": asdict(config), "plan": asdict(plan),
         "partner": asdict(by_number[plan.partner])}
        for plan in plans
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    rows: list[dict] = []
    videos_per_clip = len(config.compressions) * (1 + len(config.methods))
    bar = progress_bar(total=len(tasks) * videos_per_clip, unit="video", desc="SynthDF", disable=not progress)
    try:
        if workers == 1:
            for task in tasks:
                rows += _build_clip(task)
                bar.update(videos_per_clip)
        else:
            # spawned, not forked: a fork of a process that already runs TensorFlow's threads can deadlock
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(_build_clip, task) for task in tasks]
                for future in as_completed(futures):
                    rows += future.result()
                    bar.update(videos_per_clip)
    finally:
        bar.close()

    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS).sort_values("video_id").reset_index(drop=True)
    manifest.to_csv(root / "manifest.csv", index=False)
    splits_dir = root / "splits"
    splits_dir.mkdir(exist_ok=True)
    for split in ("train", "val", "test"):
        pairs = sorted({tuple(sorted((plan.number, plan.partner))) for plan in plans if plan.split == split})
        (splits_dir / f"{split}.json").write_text(json.dumps([list(pair) for pair in pairs]))
    return manifest
