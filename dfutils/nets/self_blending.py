"""Self-blended images: fakes made from real faces alone (Shiohara and Yamasaki, "Detecting Deepfakes
with Self-Blended Images", CVPR 2022).

A real face crop ``I`` is blended with a slightly altered copy of itself::

    source = augment(I)                        colour and sharpness jitter, a small shift and scale
    mask   = ratio * blur(deform(face_mask))   a face region, deformed, blurred, scaled by a blend ratio
    I_SB   = mask * source + (1 - mask) * I

so ``I_SB`` differs from ``I`` only inside the mask's support, and only by the blending boundary and
the statistics mismatch a face swap leaves, never by an identity or a generator's fingerprint. A
detector trained to tell ``I`` from ``I_SB`` learns those generic traces, which is why it transfers
across datasets better than one trained on one dataset's fakes.

The face region: the paper takes the convex hull of 81 dlib landmarks. The crop cache keeps the face
*box*, not landmarks (MTCNN's 5 points are not stored), so the mask here is the ellipse of the inner
face inside the box, which the crop's margin places: a crop of side ``S`` cut with margin ``m`` has a
centred face box of side ``S / (1 + m)`` (:func:`face_box_in_crop`). Every step is a function of its
own, seeded through the ``numpy.random.Generator`` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)  # the paper's choice: a full blend half the time


@dataclass(frozen=True)
class BlendSettings:
    """How strongly each step alters the source and the mask (the paper's ranges, in relative units)."""

    shift: float = 0.03  # largest translation of the source, as a share of the crop side
    scale: float = 0.05  # largest relative change of the source's scale
    colour: float = 0.1  # largest relative change of each colour channel's gain, and of brightness and contrast
    sharpness: float = 0.5  # probability that the source is blurred or sharpened (either, equally likely)
    deform: float = 0.15  # largest relative stretch of the mask along each axis, and of its local warp
    blur: tuple = (0.02, 0.08)  # range of the mask's Gaussian blur (sigma), as a share of the crop side
    ratios: tuple = BLEND_RATIOS


def face_box_in_crop(size: int, margin: float) -> tuple[float, float, float, float]:
    """The face box ``(x0, y0, x1, y1)`` inside a crop of side ``size`` cut with ``margin`` (centred; it
    overflows the crop when the margin is negative, as for tight crops cut by others)."""
    side = size / (1.0 + margin)
    low = (size - side) / 2
    return low, low, low + side, low + side


def face_mask(size: int, box: tuple[float, float, float, float]) -> np.ndarray:
    """The inner face inside ``box``: a filled ellipse (width 0.72, height 0.86 of the box, a little below
    its centre, where brows, eyes, nose, mouth and chin sit), ``(size, size)`` floats of 0 or 1."""
    import cv2

    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    centre = ((x0 + x1) / 2, (y0 + y1) / 2 + 0.05 * height)
    axes = (0.36 * width, 0.43 * height)
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(mask, (round(centre[0] * 16), round(centre[1] * 16)), (round(axes[0] * 16), round(axes[1] * 16)),
                0, 0, 360, 1.0, thickness=-1, lineType=cv2.LINE_AA, shift=4)
    return (mask > 0.5).astype(np.float32)


def deform_mask(mask: np.ndarray, generator: np.random.Generator, strength: float) -> np.ndarray:
    """Stretch the mask along each axis about its centre and warp it by a smooth random field: the region a
    swap replaces is never exactly the face's ellipse. A binary mask stays binary."""
    import cv2

    size = mask.shape[0]
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return mask
    centre_x, centre_y = xs.mean(), ys.mean()
    stretch_x, stretch_y = 1 + generator.uniform(-strength, strength, 2)
    grid = 4  # a coarse random displacement field, smoothly upsampled
    field_x = cv2.resize(
        generator.uniform(-1, 1, (grid, grid)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC
    )
    field_y = cv2.resize(
        generator.uniform(-1, 1, (grid, grid)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC
    )
    amount = strength * size * 0.15
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    map_x = centre_x + (x - centre_x) / stretch_x + amount * field_x
    map_y = centre_y + (y - centre_y) / stretch_y + amount * field_y
    warped = cv2.remap(
        mask,
        map_x.astype(np.float32),
        map_y.astype(np.float32),
        interpolation=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return warped


def blur_mask(mask: np.ndarray, generator: np.random.Generator, sigma_range: tuple) -> np.ndarray:
    """A soft edge: a Gaussian blur of a random width; values stay in [0, 1]."""
    import cv2

    sigma = generator.uniform(*sigma_range) * mask.shape[0]
    return np.clip(cv2.GaussianBlur(mask, (0, 0), sigmaX=max(sigma, 0.5)), 0.0, 1.0)


def augment_source(image: np.ndarray, generator: np.random.Generator, settings: BlendSettings) -> np.ndarray:
    """The source copy: colour gain per channel, brightness and contrast, then blurred or sharpened (with
    probability ``sharpness``), then shifted and scaled slightly (edges reflected). uint8 in, float32 out."""
    import cv2

    source = image.astype(np.float32)
    gains = 1 + generator.uniform(-settings.colour, settings.colour, 3)
    contrast = 1 + generator.uniform(-settings.colour, settings.colour)
    brightness = generator.uniform(-settings.colour, settings.colour) * 255
    source = ((source * gains - 127.5) * contrast + 127.5 + brightness).astype(np.float32)
    if generator.uniform() < settings.sharpness:
        blurred = cv2.GaussianBlur(source, (0, 0), sigmaX=generator.uniform(0.5, 1.5))
        source = blurred if generator.uniform() < 0.5 else source + generator.uniform(0.3, 1.0) * (source - blurred)
    size = image.shape[0]
    scale = 1 + generator.uniform(-settings.scale, settings.scale)
    shift_x, shift_y = generator.uniform(-settings.shift, settings.shift, 2) * size
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), 0.0, scale)
    matrix[:, 2] += (shift_x, shift_y)
    source = cv2.warpAffine(source, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.clip(source, 0, 255).astype(np.float32)


def blend(target: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask * source + (1 - mask) * target`` (images float or uint8, mask ``(H, W)`` in [0, 1]); float32 out."""
    weight = mask[..., None].astype(np.float32)
    return weight * source.astype(np.float32) + (1 - weight) * target.astype(np.float32)


def self_blend(image: np.ndarray, generator: np.random.Generator, margin: float,
               settings: BlendSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One self-blended image of a square face crop and the mask used: ``(image_sb float32, mask)``."""
    settings = settings or BlendSettings()
    size = image.shape[0]
    if image.shape[:2] != (size, size):
        raise ValueError(f"self_blend needs a square crop, got {image.shape}")
    mask = face_mask(size, face_box_in_crop(size, margin))
    mask = blur_mask(deform_mask(mask, generator, settings.deform), generator, settings.blur)
    mask = mask * float(generator.choice(settings.ratios))
    return blend(image, augment_source(image, generator, settings), mask), mask


def example_rows(crops, margin: float, seed: int) -> dict[str, list[np.ndarray]]:
    """Rows for a picture grid (:func:`dfutils.evaluation.plots.plot_crop_grid`): each real crop, its mask, its
    self-blended copy and the difference between the two (x4, so a subtle blend shows)."""
    rows: dict[str, list[np.ndarray]] = {"real": [], "mask": [], "self-blended": [], "difference x4": []}
    for number, crop in enumerate(crops):
        image = np.asarray(crop, np.uint8)
        blended, mask = self_blend(image, np.random.default_rng([seed, number]), margin)
        rows["real"].append(image)
        rows["mask"].append(np.repeat(mask[..., None] * 255, 3, axis=2).astype(np.uint8))
        rows["self-blended"].append(np.clip(blended, 0, 255).astype(np.uint8))
        rows["difference x4"].append(np.clip(np.abs(blended - image) * 4, 0, 255).astype(np.uint8))
    return rows
