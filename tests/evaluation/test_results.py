"""The papers' tables beside ours, the breakdowns, and the report summary."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dfutils import papers
from dfutils.detectors import registry
from dfutils.evaluation import results
from dfutils.predictions import write_predictions


def fake_predictions(model: str, seed: int, quality: float) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    rows = []
    for split in ("val", "test"):
        for compression in ("c23", "c40"):
            for method in ("real", "Deepfakes", "FaceSwap"):
                for k in range(6 if method == "real" else 12):
                    label = int(method != "real")
                    score = float(np.clip(0.5 + quality * (label - 0.5) + generator.normal(0, 0.35), 0, 1))
                    rows.append({"video_id": f"{split}/{compression}/{method}/{k}", "label": label, "method": method,
                                 "compression": compression, "split": split, "score": score})
    return pd.DataFrame(rows).assign(model=model)


@pytest.fixture
def artifacts(tmp_path):
    runs = (
        (
            "time-distributed efficientnet_b0",
            "A",
            0.6,
            {"backbone": "efficientnet_b0", "weights": "none", "parameters": 4_779_300},
        ),
        (
            "time-distributed efficientnet_lite0",
            "A",
            0.7,
            {"backbone": "efficientnet_lite0", "weights": "imagenet", "parameters": 4_100_000},
        ),
        ("frames", "B", 0.2, {}),
        ("triplets (semi-hard) + RF", "B", 0.8, {}),
        ("crop statistics", "baseline", 0.1, {}),
    )
    for model, paper, quality, info in runs:
        table = fake_predictions(model, len(model), quality).drop(columns="model")
        folder = registry.entry(model).folder.format(backbone=info.get("backbone", "xception"))
        write_predictions(table, tmp_path / "models" / folder, model, paper=paper, **info)
    return tmp_path


def test_collect_and_headline(artifacts):
    predictions = results.collect_predictions(artifacts)
    assert set(predictions["model"]) == {"time-distributed efficientnet_b0", "time-distributed efficientnet_lite0",
                                         "frames", "triplets (semi-hard) + RF", "crop statistics"}
    headline = results.headline(predictions)
    assert headline["auc"].is_monotonic_decreasing  # best AUC first
    assert headline.loc["frames", "auc"] < headline.loc["triplets (semi-hard) + RF", "auc"]
    assert (headline["videos"] == 2 * (6 + 24)).all()
    rows = results.summary_rows(artifacts)
    assert [row["model"] for row in rows] == list(headline.index) and 0 <= rows[0]["auc"] <= 1
    assert "triplets (semi-hard) + RF" in results.format_summary(rows)
    assert results.collect_info(artifacts)["time-distributed efficientnet_b0"]["parameters"] == 4_779_300


def test_summary_csv_has_a_row_per_model_with_its_paper_and_interval(artifacts):
    path = results.write_summary(artifacts)
    table = pd.read_csv(path)
    assert list(table.columns) == results.SUMMARY_COLUMNS
    assert dict(zip(table["model"], table["paper"], strict=True)) == {
        "time-distributed efficientnet_b0": "A", "time-distributed efficientnet_lite0": "A", "frames": "B",
        "triplets (semi-hard) + RF": "B", "crop statistics": "baseline"}
    assert (table["auc_low"] <= table["auc"]).all() and (table["auc"] <= table["auc_high"]).all()
    assert table["auc"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="paper"):
        write_predictions(fake_predictions("x", 0, 0.5), artifacts / "models" / "x", "x", paper="C")


def test_paper_a_table_puts_ours_beside_the_paper_in_every_cell(artifacts):
    predictions = results.collect_predictions(artifacts)
    table = results.paper_a_table(predictions, results.collect_info(artifacts), repeats=4, seed=0)
    # every backbone of the paper keeps its row; the offline stand-in that ran gets one beside them
    assert list(table.index) == [*papers.PAPER_A_TABLE2.index, "EfficientNet-Lite0 (for EfficientNet-B0)"]
    b0 = table.loc["EfficientNet-B0"]
    assert b0["AUC %"].endswith(" / 99.60") and b0["parameters"] == "4,779,300 / 4,779,293"
    assert b0["accuracy %"].split(" / ")[0] != "n/a" and b0["our weights"] == "from scratch"
    lite = table.loc["EfficientNet-Lite0 (for EfficientNet-B0)"]
    assert lite["our weights"] == "ImageNet" and lite["AUC %"].endswith(" / 99.60")
    assert table.loc["XceptionNet", "AUC %"] == "n/a / 96.41"  # not run: said so, not invented
    assert table.loc["XceptionNet", "our weights"] == "not run"


def test_paper_b_tables_use_c40_for_tables_two_and_three(artifacts):
    predictions = results.collect_predictions(artifacts)
    tables = results.paper_b_tables(predictions)
    assert tables["III"].loc["triplets + RF", "our model"] == "triplets (semi-hard) + RF"
    assert tables["III"].loc["triplets + RF", "AUC %"].endswith(" / 92.85")
    assert tables["II"].loc["3D convolution", "our model"] == "not run"
    c40 = predictions[
        (predictions["model"] == "frames") & (predictions["split"] == "test") & (predictions["compression"] == "c40")
    ]
    from dfutils.evaluation.metrics import video_metrics

    expected = video_metrics(c40["label"], c40["score"])["accuracy"] * 100
    cell = tables["II"].loc["frames only", "accuracy %"]
    low, high = map(float, re.fullmatch(rf"{expected:.2f} \(([\d.]+)-([\d.]+)\) / 49\.82", cell).groups())
    assert low <= expected <= high and high - low > 1  # ours with its 95% interval, beside the paper's
    # Table I keeps the baselines Paper B quotes, marked as not run here; Table IV sets our detectors beside its rows
    assert tables["I"].loc["Xception", "AUC %"] == "- / 65.50" and "not run" in tables["I"].loc["Xception", "our model"]
    assert tables["IV"].loc["paper: triplets (semi-hard)", "NeuralTextures accuracy %"] == "90.71"


def test_table_four_and_the_method_table_score_each_method_against_the_reals(artifacts):
    predictions = results.collect_predictions(artifacts)
    test = predictions[(predictions["split"] == "test") & (predictions["model"] == "frames")]
    test = test.assign(method=test["method"].replace({"FaceSwap": "NeuralTextures"}))  # one method renamed
    table = results.paper_b_table4(test, seed=0)
    reals, textures = test[test["label"] == 0], test[test["method"] == "NeuralTextures"]
    assert table.loc["ours: frames", "pristine accuracy %"].startswith(f"{(reals['score'] <= 0.5).mean() * 100:.2f} (")
    assert table.loc["ours: frames", "NeuralTextures accuracy %"].startswith(
        f"{(textures['score'] > 0.5).mean() * 100:.2f} (")
    methods = results.method_table(predictions, "B", seed=0)
    assert set(methods.columns) == {"Deepfakes", "FaceSwap"} and "frames" in methods.index
    assert methods.loc["frames", "FaceSwap"].startswith(
        f"{results.breakdown(predictions, 'method').loc['frames', 'FaceSwap']:.3f} ("
    )


def test_the_majority_class_accuracy_is_the_share_of_fakes():
    table = pd.DataFrame({"video_id": ["a", "b", "c", "d", "a"], "label": [1, 1, 1, 0, 1], "split": "test",
                          "model": ["m", "m", "m", "m", "n"]})
    found = results.majority_accuracy(table)
    assert found == {"videos": 4, "fake": 3, "real": 1, "all_fake_accuracy": 0.75, "all_real_accuracy": 0.25}


def test_method_breakdown_scores_each_method_against_all_reals(artifacts):
    predictions = results.collect_predictions(artifacts)
    by_method = results.breakdown(predictions, "method")
    assert set(by_method.columns) == {"Deepfakes", "FaceSwap"}
    part = predictions[(predictions["model"] == "frames") & (predictions["split"] == "test")]
    both = part[part["method"].isin(["real", "FaceSwap"])]
    from sklearn.metrics import roc_auc_score

    assert by_method.loc["frames", "FaceSwap"] == pytest.approx(roc_auc_score(both["label"], both["score"]))
    assert set(results.breakdown(predictions, "compression").columns) == {"c23", "c40"}
    assert results.confusions(predictions)["frames"].to_numpy().sum() == 60


def test_model_file_is_found_by_the_detectors_name_and_no_predictions_is_an_error(artifacts, tmp_path):
    folder = artifacts / "models" / "frames-xception"
    (folder / "model.keras").write_bytes(b"")
    assert results.model_file(artifacts, "frames") == folder / "model.keras"
    assert results.model_file(artifacts, "3D CNN") is None  # it left no model file
    with pytest.raises(FileNotFoundError, match="run the training notebooks"):
        results.collect_predictions(tmp_path / "empty", required=True)


def test_dropped_videos_are_those_of_the_index_without_crops_with_the_reason(tmp_path):
    (tmp_path / "faces").mkdir()
    pd.DataFrame({"video_id": ["a", "b", "c", "d"], "split": ["test", "test", "train", "test"], "label": [0, 1, 1, 0],
                  "path": "", "dataset": "x", "method": "real", "compression": "c23", "original": "", "group": "g"}
                 ).to_csv(tmp_path / "index.csv", index=False)
    pd.DataFrame(
        {
            "video_id": ["a", "b", "c"],
            "status": ["ok", "failed", "cached"],
            "crops": ["a.npz", "", "c.npz"],
            "error": ["", "b.mp4: no face found in 8 sampled frames", ""],
        }
    ).to_csv(tmp_path / "faces" / "faces.csv", index=False)
    dropped = results.dropped_videos(tmp_path)
    assert dropped["video_id"].tolist() == ["b", "d"]
    assert dropped["reason"].tolist() == ["b.mp4: no face found in 8 sampled frames", "not extracted"]
    assert results.dropped_videos(tmp_path / "absent").empty
    from dfutils.run.runner import _dropped

    assert _dropped(tmp_path) == {"by_split": {"test": 2}, "reasons": {"no face found in 8 sampled frames": 1,
                                                                      "not extracted": 1}}
    pd.DataFrame({"video_id": ["a", "b", "c", "d"], "status": "ok", "crops": "x.npz", "error": ""}).to_csv(
        tmp_path / "faces" / "faces.csv", index=False)
    assert _dropped(tmp_path) == {"by_split": {}, "reasons": {}}  # nothing dropped: nothing to say, no error
