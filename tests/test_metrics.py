import numpy as np
import pandas as pd

from dfutils.metrics import summary_by_split


def test_summary_by_split_against_hand_computed_values():
    predictions = pd.DataFrame({
        "split": ["val"] * 4 + ["test"] * 3,
        "label": [0, 0, 1, 1, 1, 1, 1],
        "score": [0.1, 0.6, 0.4, 0.9, 0.2, 0.7, 0.8],
    })
    summary = summary_by_split(predictions)
    # val: of the 4 (real, fake) pairs, 3 are ranked right -> AUC 0.75; 0.1 and 0.9 are right at 0.5 -> accuracy 0.5
    assert summary.loc["val", "auc"] == 0.75 and summary.loc["val", "accuracy"] == 0.5
    assert summary.loc["val", "videos"] == 4
    # test: one class only -> no AUC; 2 of 3 fakes above 0.5
    assert np.isnan(summary.loc["test", "auc"]) and summary.loc["test", "accuracy"] == 2 / 3
