"""Self-blended images: each step of the blend, tested on its own."""

from __future__ import annotations

import numpy as np
import pytest

from dfutils.nets import self_blending as sb


def face(size=64, seed=0):
    generator = np.random.default_rng(seed)
    image = generator.integers(40, 200, (size, size, 3)).astype(np.uint8)
    return image


def test_the_face_box_follows_the_margin_and_the_mask_sits_inside_it():
    assert sb.face_box_in_crop(100, 0.0) == (0.0, 0.0, 100.0, 100.0)
    x0, y0, x1, y1 = sb.face_box_in_crop(100, 0.25)
    assert (x1 - x0) == pytest.approx(80) and x0 == pytest.approx(10)
    mask = sb.face_mask(100, (x0, y0, x1, y1))
    ys, xs = np.nonzero(mask)
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert xs.min() >= x0 and xs.max() <= x1 and ys.min() >= y0 and ys.max() <= y1  # inside the face box
    assert 0.3 < mask.mean() < 0.6  # the inner face, not the whole crop
    assert mask[50, 50] == 1 and mask[0, 0] == 0 and mask[50, 5] == 0
    # a tight crop (negative margin): the box overflows the crop and the mask is clipped to it
    assert sb.face_mask(100, sb.face_box_in_crop(100, -0.15)).mean() > mask.mean()


def test_deforming_keeps_a_binary_mask_near_the_face_and_depends_on_the_seed():
    mask = sb.face_mask(64, sb.face_box_in_crop(64, 0.1))
    one = sb.deform_mask(mask, np.random.default_rng(1), 0.15)
    again = sb.deform_mask(mask, np.random.default_rng(1), 0.15)
    other = sb.deform_mask(mask, np.random.default_rng(2), 0.15)
    assert np.array_equal(one, again) and not np.array_equal(one, other)
    assert set(np.unique(one)) <= {0.0, 1.0}
    overlap = (one * mask).sum() / mask.sum()
    assert 0.6 < overlap and not np.array_equal(one, mask)  # moved, not lost
    assert np.array_equal(sb.deform_mask(mask, np.random.default_rng(1), 0.0), mask)


def test_blurring_softens_the_edge_within_zero_and_one():
    mask = sb.face_mask(64, sb.face_box_in_crop(64, 0.1))
    soft = sb.blur_mask(mask, np.random.default_rng(0), (0.05, 0.05))
    assert soft.min() >= 0 and soft.max() <= 1
    edge = (soft > 0.01) & (soft < 0.99)
    assert edge.sum() > 3 * ((mask > 0) ^ (np.roll(mask, 1, axis=1) > 0)).sum()  # a wide band, not a step
    assert soft[32, 34] > 0.9 and soft[0, 0] < 0.01


def test_the_blend_is_the_masks_convex_combination():
    target, source = np.full((8, 8, 3), 100, np.uint8), np.full((8, 8, 3), 200, np.float32)
    mask = np.zeros((8, 8), np.float32)
    mask[2:6, 2:6] = 0.25
    out = sb.blend(target, source, mask)
    assert out[0, 0, 0] == 100 and out[3, 3, 0] == pytest.approx(125)


def test_the_source_is_altered_slightly():
    image = face()
    source = sb.augment_source(image, np.random.default_rng(3), sb.BlendSettings())
    assert source.dtype == np.float32 and source.shape == image.shape and 0 <= source.min() and source.max() <= 255
    difference = np.abs(source - image).mean()
    assert 1 < difference < 60
    none = sb.BlendSettings(shift=0, scale=0, colour=0, sharpness=0)
    assert np.allclose(sb.augment_source(image, np.random.default_rng(3), none), image, atol=1e-3)


def test_a_self_blended_image_differs_from_its_input_only_inside_the_masks_support():
    image = face(96)
    blended, mask = sb.self_blend(image, np.random.default_rng(5), margin=0.1)
    outside = mask == 0
    assert outside.any() and (~outside).any()
    assert np.array_equal(blended[outside], image[outside].astype(np.float32))
    assert np.abs(blended[mask > 0.5] - image[mask > 0.5]).mean() > 1
    assert any(mask.max() == pytest.approx(ratio, abs=0.05) for ratio in sb.BLEND_RATIOS)


def test_the_blend_ratio_is_respected():
    image = face(64)
    settings = sb.BlendSettings(ratios=(0.25,))
    blended, mask = sb.self_blend(image, np.random.default_rng(0), 0.0, settings=settings)
    assert mask.max() == pytest.approx(0.25, abs=1e-6)
    source_weight = np.abs(blended - image).max() / 255
    assert source_weight <= 0.25 + 1e-4


def test_same_seed_same_image_other_seed_other_image():
    image = face(64)
    one, _ = sb.self_blend(image, np.random.default_rng(9), 0.0)
    again, _ = sb.self_blend(image, np.random.default_rng(9), 0.0)
    other, _ = sb.self_blend(image, np.random.default_rng(10), 0.0)
    assert np.array_equal(one, again) and not np.array_equal(one, other)
    with pytest.raises(ValueError, match="square crop"):
        sb.self_blend(np.zeros((10, 12, 3), np.uint8), np.random.default_rng(0), 0.0)
