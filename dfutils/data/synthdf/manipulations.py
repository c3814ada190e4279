"""SynthDF's fakes, one generator per FF++ method, each made from a real clip as FF++ made them: FaceSwap,
Deepfakes (an aligned 64-px bottleneck), Face2Face and NeuralTextures (expressions re-driven)."""

from __future__ import annotations

import math

import numpy as np

from dfutils.data.synthdf.clips import Clip
from dfutils.data.synthdf.geometry import FaceGeometry, expression_field, grid, similarity


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
        if (
            len(xs)
            and xs.min() > 1
            and ys.min() > 1
            and xs.max() < frame.shape[1] - 2
            and ys.max() < frame.shape[0] - 2
        ):
            centre = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
            return cv2.seamlessClone(face, frame, mask, centre, cv2.NORMAL_CLONE)
    alpha = _feather(mask, feather_sigma)
    return np.clip(face * alpha + frame * (1 - alpha), 0, 255).astype(np.uint8)


def _remap(frame: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    import cv2

    xs, ys = grid(frame.shape[0])
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
        matrix = similarity(source.landmarks[t], target.landmarks[t])
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
        to_template = similarity(source.landmarks[t], _TEMPLATE)
        code = cv2.warpAffine(source.frames[t], to_template, (_BOTTLENECK, _BOTTLENECK), flags=cv2.INTER_AREA)
        code = cv2.GaussianBlur(code, (0, 0), 0.7)
        decoded = cv2.warpAffine(code, similarity(_TEMPLATE, target.landmarks[t]), (size, size),
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
