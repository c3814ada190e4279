"""Model-behaviour tier (Made With ML's third tier): what a trained detector must do, whatever its numbers.

A toy where every fake crop carries a visible artefact (a bright square at a random place) and the reals
do not: a frame classifier trained on it must score fakes above reals, and a horizontal flip of a video's
crops (which moves the artefact) must not flip its decision.

Paper A's point is temporal: on a toy where only a flicker between frames tells a fake (every frame alone is
drawn as a real one is), its network must learn it and a frame-mean model (Paper B's frames only) cannot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dfutils import detectors
from dfutils.detectors.base import RunData
from dfutils.detectors.settings import FrameSettings
from dfutils.evaluation.metrics import video_metrics
from dfutils.faces.crop_files import FaceCrops, save_crops
from dfutils.layout import RunLayout

pytestmark = pytest.mark.slow
SIZE = 32


@pytest.fixture(scope="module")
def artefact_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("artefacts")
    generator = np.random.default_rng(11)
    rows = []
    for number in range(48):
        label = number % 2
        crops = generator.integers(70, 130, (4, SIZE, SIZE, 3)).astype(np.uint8)
        if label:
            for crop in crops:
                top, left = generator.integers(2, SIZE - 12, 2)
                crop[top:top + 10, left:left + 10] = 250
        video_id = f"v{number:02d}"
        save_crops(FaceCrops(video_id, crops, np.arange(4), np.zeros((4, 4)), np.ones(4, bool), 1, 4,
                             {"detector": "mtcnn", "frames": 4, "size": SIZE, "margin": 0.1, "codec": "raw"}),
                   root / "faces" / "crops" / f"{video_id}.npz")
        split = "train" if number < 32 else ("val" if number < 40 else "test")
        rows.append({"video_id": video_id, "path": "", "label": label, "method": "Artefact" if label else "real",
                     "compression": "raw", "split": split, "group": video_id, "crops": f"crops/{video_id}.npz"})
    data = RunData(RunLayout(root, root), pd.DataFrame(rows), {"margin": 0.1, "size": SIZE})
    # ImageNet features (the offline Lite0 weights): a toy of 32 videos is too small to learn from scratch
    settings = FrameSettings(backbone="efficientnet_lite0", weights="imagenet", size=SIZE, frames_per_video=4, epochs=5,
                             patience=5, batch_size=16)  # Paper B's Nadam at 0.002
    detector = detectors.create("frames", settings, 0)
    predictions = detector.run(data, save_model=False)
    return data, detector, predictions


def test_a_trained_frame_classifier_scores_fakes_above_reals(artefact_run):
    _, _, predictions = artefact_run
    test = predictions[predictions["split"] == "test"]
    assert test.loc[test["label"] == 1, "score"].mean() > test.loc[test["label"] == 0, "score"].mean()
    found = video_metrics(test["label"], test["score"])
    assert found["auc"] >= 0.9 and found["accuracy"] >= 0.75  # it ranks them, and it decides (threshold 0.5)


def test_a_horizontal_flip_does_not_flip_a_decision(artefact_run):
    data, detector, _ = artefact_run
    from dfutils.faces.crop_files import read_crops

    agree = []
    for crops_file in data.split("test")["crops"].tolist() + data.split("val")["crops"].tolist():
        crops = read_crops(data.faces / crops_file)
        score, _ = detector.score_crops(crops)
        flipped, _ = detector.score_crops(crops[:, :, ::-1].copy())
        agree.append((score > 0.5) == (flipped > 0.5))
    assert np.mean(agree) >= 0.875  # at most 2 of 16 videos may change sides



def flicker_clips(videos: int, frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clips of plain 8-px frames: a real keeps one brightness, a fake alternates between two; each brightness
    is drawn from the same range, so a single frame of a fake looks exactly like a frame of a real."""
    generator = np.random.default_rng(seed)
    labels = np.arange(videos) % 2
    first, second = generator.uniform(40, 215, videos), generator.uniform(40, 215, videos)
    flicker = np.where(np.arange(frames) % 2 == 0, first[:, None], second[:, None])
    levels = np.where(labels[:, None] == 1, flicker, first[:, None])
    clips = np.broadcast_to(levels[:, :, None, None, None], (videos, frames, 8, 8, 3))
    return (clips + generator.normal(0, 2, clips.shape)).astype("float32"), labels.astype("float32")


def test_paper_a_network_learns_a_flicker_that_a_frame_mean_model_cannot_see():
    """Paper A's head (architectures.time_distributed_around: the LSTM over per-frame features, dense, sigmoid)
    around a feature extractor that sees only a frame's mean colour, against the same features scored frame by
    frame and averaged over the video."""
    import keras
    from sklearn.metrics import roc_auc_score

    from dfutils.nets import architectures

    frames = 4
    (train, labels), (test, truth) = flicker_clips(2000, frames, seed=0), flicker_clips(400, frames, seed=1)

    def mean_colour() -> keras.Model:
        return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 127.5, offset=-1.0),
                                 keras.layers.GlobalAveragePooling2D()], name="mean_colour")
    keras.utils.set_random_seed(0)
    temporal = architectures.time_distributed_around(mean_colour(), frames, lstm_units=32, dense_units=16,
                                                     dropout_rate=0.0)
    temporal.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy")
    temporal.fit(train, labels, epochs=40, batch_size=32, verbose=0)
    frame_model = keras.Sequential([mean_colour(), keras.layers.Dense(16, activation="relu"),
                                    keras.layers.Dense(1, activation="sigmoid")])
    frame_model.compile(keras.optimizers.Adam(3e-3), "binary_crossentropy")
    frame_model.fit(train.reshape(-1, 8, 8, 3), np.repeat(labels, frames), epochs=15, batch_size=128, verbose=0)
    frame_mean = frame_model.predict(test.reshape(-1, 8, 8, 3), verbose=0).reshape(-1, frames).mean(axis=1)
    assert roc_auc_score(truth, temporal.predict(test, verbose=0).ravel()) > 0.9
    assert roc_auc_score(truth, frame_mean) < 0.65
