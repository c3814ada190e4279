"""Prediction tables on disk, and several models' tables as one."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dfutils.predictions import combine, write_predictions


def table(scores, split="test"):
    return pd.DataFrame(
        {
            "video_id": [f"v{k}" for k in range(len(scores))],
            "label": [k % 2 for k in range(len(scores))],
            "split": split,
            "score": scores,
        }
    )


def test_written_table_carries_the_model_name_and_info_its_paper(tmp_path):
    path = write_predictions(table([0.1, 0.9]), tmp_path / "frames-xception", "frames", paper="B", backbone="xception")
    written = pd.read_csv(path)
    assert list(written["model"]) == ["frames", "frames"] and list(written["score"]) == [0.1, 0.9]
    info = json.loads((tmp_path / "frames-xception" / "info.json").read_text())
    assert info == {"model": "frames", "paper": "B", "backbone": "xception"}
    with pytest.raises(ValueError, match="paper: expected one of"):
        write_predictions(table([0.5]), tmp_path / "x", "x", paper="C")


def test_combine_names_each_row_by_its_model_and_keeps_one_split():
    both = combine({"frames": pd.concat([table([0.2, 0.8]), table([0.4], "val")]), "3D CNN": table([0.3, 0.6])})
    assert list(both["model"]) == ["frames"] * 3 + ["3D CNN"] * 2
    test = combine({"frames": pd.concat([table([0.2, 0.8]), table([0.4], "val")])}, split="test")
    assert set(test["split"]) == {"test"} and len(test) == 2
