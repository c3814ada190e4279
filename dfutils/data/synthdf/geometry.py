"""The face's geometry and motion in a SynthDF clip: landmarks, the non-rigid expression field (mouth, eyes),
similarity transforms, and the smooth head, speech and blink signals that drive a clip."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dfutils.data.synthdf.catalogue import FPS


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


def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return xs, ys


def expression_field(geometry: FaceGeometry, size: int, mouth_open: float, blink: float,
                     eyes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) of a jaw opening and an eyelid closing, in frame pixels.

    A pixel at p shows the content at p - D(p): positive ``mouth_open`` pulls
    the lower lip and chin down, negative closes the mouth; ``blink`` pulls the
    upper eyelids over the eyes.
    """
    xs, ys = grid(size)
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


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (2x3) taking source points onto target points."""
    import cv2

    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(source, np.float32), np.asarray(target, np.float32), method=cv2.LMEDS
    )
    if matrix is None:
        raise ValueError("could not align landmarks")
    return matrix


def apply_similarity(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 affine of applying ``inner`` then ``outer``."""
    a = np.vstack([outer, [0, 0, 1]])
    b = np.vstack([inner, [0, 0, 1]])
    return (a @ b)[:2]


def canonical_transform(landmarks: np.ndarray, size: int) -> np.ndarray:
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
def smooth_signal(generator: np.random.Generator, times: np.ndarray, amplitude: float,
                   low_hz: float = 0.1, high_hz: float = 0.6, components: int = 3) -> np.ndarray:
    """A smooth random signal: a few low-frequency sinusoids plus a linear drift."""
    signal = np.zeros_like(times)
    for _ in range(components):
        frequency = generator.uniform(low_hz, high_hz)
        signal += generator.uniform(0.3, 1.0) * np.sin(2 * np.pi * frequency * times + generator.uniform(0, 2 * np.pi))
    signal = signal / components
    drift = generator.uniform(-1, 1) * times / max(times[-1], 1e-6)
    return amplitude * (signal + 0.6 * drift)


def speech_signal(generator: np.random.Generator, times: np.ndarray) -> np.ndarray:
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


def blink_signal(generator: np.random.Generator, times: np.ndarray) -> np.ndarray:
    signal = np.zeros_like(times)
    t = generator.uniform(0.2, 1.5)
    while t < times[-1]:
        duration = generator.uniform(0.12, 0.2)
        signal = np.maximum(signal, np.clip(1 - np.abs(times - t) / (duration / 2), 0, 1))
        t += generator.uniform(1.5, 4.0)
    return signal
