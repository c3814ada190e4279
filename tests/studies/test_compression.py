"""The simulated-compression study: its statistics and its domain classifier."""

from __future__ import annotations

import cv2
import numpy as np

from dfutils.studies import compression


def noisy_crops(count: int, seed: int, blur: float = 0.0) -> np.ndarray:
    generator = np.random.default_rng(seed)
    crops = []
    for _ in range(count):
        crop = cv2.resize(generator.integers(0, 255, (16, 16, 3)).astype(np.uint8), (64, 64),
                          interpolation=cv2.INTER_CUBIC)
        crop = np.clip(crop.astype(int) + generator.integers(-20, 20, crop.shape), 0, 255).astype(np.uint8)
        crops.append(cv2.GaussianBlur(crop, (0, 0), blur) if blur else crop)
    return np.stack(crops)


def test_statistics_see_blur_and_the_domain_classifier_tells_sets_apart_only_when_they_differ():
    sharp, other_sharp, blurred = noisy_crops(40, 0), noisy_crops(40, 1), noisy_crops(40, 2, blur=1.5)
    table = compression.image_statistics(blurred)
    assert list(table.columns) == list(compression.STATISTICS) and len(table) == 40
    assert (
        table["laplacian_variance"].median() < 0.5 * compression.image_statistics(sharp)["laplacian_variance"].median()
    )
    people = [f"p{k % 8}" for k in range(40)]  # eight people per set, folds keep each person on one side
    features = {name: compression.domain_features(crops) for name, crops in
                (("sharp", sharp), ("other", other_sharp), ("blurred", blurred))}
    apart = compression.domain_auc(features["sharp"], features["blurred"], people, people, seed=0)
    alike = compression.domain_auc(features["sharp"], features["other"], people, people, seed=0)
    assert apart["auc"] > 0.95 and apart["auc_low"] <= apart["auc"] <= apart["auc_high"]
    assert abs(alike["auc"] - 0.5) < 0.2


def test_blockiness_finds_the_grid_at_its_offset():
    flat_blocks = np.kron(np.random.default_rng(0).integers(0, 255, (8, 8)), np.ones((8, 8)))  # 64 px of 8x8 blocks
    shifted = np.roll(flat_blocks, 3, axis=(0, 1))
    smooth = cv2.GaussianBlur(np.random.default_rng(1).integers(0, 255, (64, 64)).astype(float), (0, 0), 2)
    assert compression.blockiness(flat_blocks) > 5 and compression.blockiness(shifted) > 5
    assert compression.blockiness(smooth) < 1.5
