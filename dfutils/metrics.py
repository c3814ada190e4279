"""Video-level metrics on scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd


def summary_by_split(predictions: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
    """Per split: videos, ROC AUC (NaN when only one class is present) and accuracy at ``threshold``.

    ``predictions`` needs ``split``, ``label`` (1 = fake) and ``score`` (fake probability).
    """
    from sklearn.metrics import accuracy_score, roc_auc_score

    rows = {}
    for split, part in predictions.groupby("split", sort=True):
        rows[split] = {
            "videos": len(part),
            "auc": roc_auc_score(part["label"], part["score"]) if part["label"].nunique() == 2 else np.nan,
            "accuracy": accuracy_score(part["label"], part["score"] > threshold),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("split")
