"""Trivial baselines: how far a benchmark can be solved without looking at faces properly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfutils.data.video import read_frames


def crop_statistics(path, frames: int, crop: float = 0.5) -> np.ndarray:
    """Per-video statistics of the central crop (where SynthDF and most FF++ faces sit).

    Colour mean and spread per channel, sharpness (mean absolute Laplacian)
    and motion (mean absolute frame difference): cues a detector could latch on to.
    """
    return statistics_of(read_frames(path, frames), crop)


def statistics_of(frames: np.ndarray, crop: float = 0.5) -> np.ndarray:
    """:func:`crop_statistics` of frames already read (``(N, H, W, 3)``): of a video's frames, or of its face crops."""
    import cv2

    video = np.asarray(frames, dtype=np.float32)
    height, width = video.shape[1:3]
    top, left = int(height * (1 - crop) / 2), int(width * (1 - crop) / 2)
    region = video[:, top:height - top, left:width - left]
    grey = region.mean(axis=3)
    sharpness = np.mean([np.abs(cv2.Laplacian(frame, cv2.CV_32F)).mean() for frame in grey])
    motion = np.abs(np.diff(grey, axis=0)).mean() if len(grey) > 1 else 0.0
    return np.concatenate([region.mean(axis=(0, 1, 2)), region.std(axis=(0, 1, 2)), [sharpness, motion]])


COLOUR_FEATURES = list(range(6))


def crop_statistics_features(index: pd.DataFrame, frames: int, progress: bool = True) -> np.ndarray:
    """:func:`crop_statistics` of every video of the index, in its order."""
    from dfutils.progress import progress_bar

    return np.stack([crop_statistics(path, frames) for path in
                     progress_bar(index["path"], desc="crop statistics", unit="video", disable=not progress)])


def fitted_baseline(features: np.ndarray, labels: np.ndarray, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced", random_state=seed)
    )
    return model.fit(features, labels)


def crop_statistics_baseline(index: pd.DataFrame, features: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Logistic regression on :func:`crop_statistics`, trained on ``train``, scored on ``test``.

    Returns one row per feature set (colour only; colour + sharpness + motion)
    with the test ROC AUC and accuracy, per compression when there are several.
    """
    from sklearn.metrics import accuracy_score, roc_auc_score

    rows = []
    groups = [("all", index.index)] + (
        [(c, index.index[index["compression"] == c]) for c in sorted(index["compression"].unique())]
        if index["compression"].nunique() > 1 else []
    )
    for name, columns in (("colour mean/std", COLOUR_FEATURES), ("colour + sharpness + motion", slice(None))):
        for compression, rows_of in groups:
            part = index.loc[rows_of]
            train = (part["split"] == "train").to_numpy()
            test = (part["split"] == "test").to_numpy()
            x = features[index.index.get_indexer(rows_of)][:, columns]
            y = part["label"].to_numpy()
            scores = fitted_baseline(x[train], y[train], seed).predict_proba(x[test])[:, 1]
            rows.append({
                "features": name, "compression": compression, "test_videos": int(test.sum()),
                "auc": roc_auc_score(y[test], scores), "accuracy": accuracy_score(y[test], scores > 0.5),
            })
    return pd.DataFrame(rows)
