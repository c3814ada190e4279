"""The crop-statistics baseline: its features respond to the cues they name, and it is scored per split."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from dfutils.detectors import baselines


def write_video(path, frames: list[np.ndarray]) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def test_features_follow_colour_sharpness_and_motion(tmp_path):
    grey = np.full((64, 64, 3), 100, np.uint8)
    bright = grey.copy()
    bright[16:48, 16:48] = 200  # only inside the central crop
    stripes = grey.copy()
    stripes[:, ::4] = 200
    moving = [np.roll(stripes, shift, axis=1) for shift in range(8)]
    static, lit, sharp, motion = (baselines.crop_statistics(write_video(tmp_path / f"{name}.avi", frames), frames=8)
                                  for name, frames in (("grey", [grey] * 8), ("bright", [bright] * 8),
                                                       ("stripes", [stripes] * 8), ("moving", moving)))
    assert lit[:3].mean() > static[:3].mean() + 80  # colour mean of the central crop
    assert sharp[6] > static[6] + 10  # mean absolute Laplacian
    assert static[7] == pytest.approx(0, abs=0.5) and sharp[7] == pytest.approx(0, abs=0.5)
    assert motion[7] > 10  # mean absolute frame difference


def test_baseline_table_scores_each_feature_set_overall_and_per_compression():
    generator = np.random.default_rng(0)
    rows = 80
    index = pd.DataFrame({"label": np.arange(rows) % 2, "split": np.where(np.arange(rows) < 60, "train", "test"),
                          "compression": np.where(np.arange(rows) % 4 < 2, "c23", "c40")})
    features = generator.normal(size=(rows, 8))
    features[:, 0] += 6 * index["label"]  # the colour mean gives fakes away
    table = baselines.crop_statistics_baseline(index, features, seed=0)
    assert set(table["features"]) == {"colour mean/std", "colour + sharpness + motion"}
    assert set(table["compression"]) == {"all", "c23", "c40"} and (table["test_videos"] > 0).all()
    assert (table["auc"] > 0.9).all()
    shuffled = baselines.crop_statistics_baseline(
        index.assign(label=generator.permutation(index["label"])), features, 0
    )
    assert shuffled["auc"].max() < 0.9
