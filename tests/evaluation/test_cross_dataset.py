"""``dfutils evaluate``: saved model files scored on a dataset, with the metrics a notebook gives for the same split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dfutils import detectors
from dfutils.cli import main
from dfutils.data.datasets import index_faces, write_index
from dfutils.detectors.settings import CropStatisticsSettings
from dfutils.errors import UserInputError
from dfutils.evaluation import cross_dataset
from dfutils.evaluation.metrics import auc_interval, video_metrics
from dfutils.faces.extract import faces_of_index
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.layout import RunLayout

from ..data.test_crop_folders import write_crop

PAIRS = [(f"{a:03d}", f"{a + 1:03d}") for a in range(0, 40, 2)]


def crop_tree(root, seed=0):
    """FF++-named crops; fakes are brighter on average, with noise, so a baseline ranks them imperfectly."""
    generator = np.random.default_rng(seed)
    for a, b in PAIRS:
        for video, label in ((a, 0), (b, 0), (f"{a}_{b}", 1), (f"{b}_{a}", 1)):
            level = int(generator.normal(90 + 25 * label, 20))
            for k in range(3):
                write_crop(root / ("manipulated" if label else "real") / f"{video}_{k}.jpg", np.clip(level + k, 0, 255))
    return root


@pytest.fixture
def trained_run(tmp_path, isolated_outputs):
    """A run on a folder of crops, as notebooks 01 and 02 make it, and the crop-statistics baseline trained on it."""
    root = crop_tree(tmp_path / "crops")
    layout = RunLayout.of("tiny")
    index = index_faces(root, seed=1)
    write_index(index, layout.index)
    settings = ExtractionSettings(frames=3, size=24)
    faces_of_index(index, layout.faces, settings, members=index.attrs["members"], match_crops=False, progress=False)
    detector = detectors.create("crop statistics", CropStatisticsSettings(frames=3, source="crops"), 1)
    predictions = detector.run(detectors.RunData.load(layout))
    return root, layout, predictions


def test_evaluate_on_the_runs_own_test_split_gives_the_notebooks_metrics(trained_run, tmp_path):
    root, layout, predictions = trained_run
    model_file = layout.model_dir("crop-statistics") / "model.skops"
    metrics, scored = cross_dataset.evaluate(
        [model_file],
        cross_dataset.Target("tiny crops", "faces", str(root), "test"),
        tmp_path / "eval",
        seed=1,
        progress=False,
    )
    test = predictions[predictions["split"] == "test"].sort_values("video_id")
    ours = scored.sort_values("video_id")
    assert ours["video_id"].tolist() == test["video_id"].tolist() and (ours["error"] == "").all()
    assert np.allclose(ours["score"], test["score"], atol=1e-9)
    expected = video_metrics(test["label"], test["score"])
    row = metrics.set_index("method").loc["all"]
    assert row["model"] == "crop statistics" and row["dataset"] == "tiny crops" and row["videos"] == len(test)
    assert row["auc"] == pytest.approx(expected["auc"]) and row["accuracy"] == pytest.approx(expected["accuracy"])
    assert (row["auc_low"], row["auc_high"]) == pytest.approx(auc_interval(test["label"], test["score"], seed=1))
    assert list(metrics.columns) == cross_dataset.METRICS_COLUMNS
    on_disk = pd.read_csv(tmp_path / "eval" / "metrics.csv")
    assert on_disk["auc"].iloc[0] == pytest.approx(expected["auc"])
    assert 0.5 < expected["auc"] < 1.0  # the test can tell a wrong score from a right one
    # a file of the old name (a skops zip called model.keras) is still a run's model and scores the same
    old = tmp_path / "old" / "crop-statistics" / "model.keras"
    old.parent.mkdir(parents=True)
    old.write_bytes(model_file.read_bytes())
    assert cross_dataset.run_models(tmp_path / "old") == [old]
    _, again = cross_dataset.evaluate([old], cross_dataset.Target("tiny crops", "faces", str(root), "test"),
                                      tmp_path / "eval-old", seed=1, progress=False)
    assert np.allclose(again.sort_values("video_id")["score"], ours["score"], atol=1e-9)


def test_split_all_scores_every_video_and_per_method_rows_appear(trained_run, tmp_path):
    root, layout, _ = trained_run
    for path in (root / "manipulated").glob("00[0-3]_*"):  # two methods among the fakes
        (root / "Deepfakes").mkdir(exist_ok=True)
        path.rename(root / "Deepfakes" / path.name)
    model_file = layout.model_dir("crop-statistics") / "model.skops"
    metrics, scored = cross_dataset.evaluate([model_file], cross_dataset.Target("all", "faces", str(root), "all"),
                                        tmp_path / "eval", progress=False)
    assert len(scored) == 4 * len(PAIRS)
    assert set(metrics["method"]) == {"all", "Deepfakes", "unknown"}
    deepfakes = metrics.set_index("method").loc["Deepfakes"]
    assert deepfakes["fake"] == 4 and deepfakes["real"] == 2 * len(PAIRS)  # 000_001, 001_000, 002_003, 003_002


def test_a_video_that_cannot_be_scored_is_its_row_and_the_rest_go_on(trained_run, tmp_path):
    root, layout, _ = trained_run
    (root / "real" / "notes.mp4").write_bytes(b"not a video")  # a clip: extracted, fails
    model_file = layout.model_dir("crop-statistics") / "model.skops"
    _, scored = cross_dataset.evaluate(
        [model_file], cross_dataset.Target("x", "faces", str(root), "all"), tmp_path / "eval", progress=False
    )
    failed = scored[scored["error"] != ""]
    assert failed["video_id"].tolist() == ["real/notes.mp4"] and np.isnan(failed["score"]).all()
    assert (scored["error"] == "").sum() == 4 * len(PAIRS)


def test_cli_evaluate_prints_the_table_and_bad_input_is_one_line(trained_run, tmp_path, capsys):
    root, layout, _ = trained_run
    model_file = str(layout.model_dir("crop-statistics") / "model.skops")
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", model_file, "--dataset", "faces", "--root", str(root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "crop statistics" in printed and (out / "metrics.csv").is_file() and (out / "predictions.csv").is_file()
    assert main(["evaluate", "--model", str(tmp_path / "none.keras"), "--dataset", "faces", "--root", str(root),
                 "--out", str(out)]) == 2
    assert "none.keras: model file not found" in capsys.readouterr().err
    assert main(["evaluate", "--model", model_file, "--dataset", "ffpp", "--root", str(tmp_path / "absent"),
                 "--out", str(out)]) == 2
    assert "root folder not found" in capsys.readouterr().err


def test_targets_come_from_parameters_and_the_matrix_has_the_targets_as_columns():
    with pytest.raises(UserInputError, match="target 'x': expected keys dataset, root"):
        cross_dataset.Target.from_parameters("x", {"dataset": "ffpp", "folder": "/data"})
    target = cross_dataset.Target.from_parameters("c40", {"dataset": "ffpp", "root": "/d", "compressions": ["c40"]})
    assert target.compressions == ("c40",) and target.split == "test"
    rows = pd.DataFrame([{"model": m, "dataset": d, "method": "all", "auc": a}
                         for m, d, a in (("frames", "own", 0.9), ("frames", "c40", 0.7), ("3D CNN", "own", 0.6))])
    matrix = cross_dataset.auc_matrix(rows)
    assert list(matrix.columns) == ["own", "c40"] and matrix.loc["frames", "c40"] == 0.7
    assert np.isnan(matrix.loc["3D CNN", "c40"])
    assert cross_dataset.slug("FF++ c40 videos") == "ff-c40-videos"


def test_another_runs_split_is_a_target_without_the_people_the_models_trained_on(trained_run, tmp_path):
    """An index file (another run's) is a target; its videos that show someone of the scoring run's train or val
    split are left out and counted, and what a model scores is the target's test split, nobody it has seen."""
    root, layout, _ = trained_run
    model_file = layout.model_dir("crop-statistics") / "model.skops"
    ours = pd.read_csv(layout.index)
    other = index_faces(root, seed=1)  # the same people: our test groups and two of our training groups in test
    moved = sorted(set(ours.loc[ours["split"] == "train", "group"]))[:2]
    other["split"] = ["test" if split == "test" or group in moved else "train"
                      for split, group in zip(ours["split"], ours["group"], strict=True)]
    write_index(other, tmp_path / "other" / "index.csv")
    trained = cross_dataset.trained_people(ours)
    assert len(trained) == ((ours["split"] != "test") & (ours["label"] == 0)).sum()  # each original is one person
    target = cross_dataset.Target.from_parameters("other test", {"index": str(tmp_path / "other" / "index.csv")})
    metrics, scored = cross_dataset.evaluate([model_file], target, tmp_path / "eval", progress=False, leave_out=trained)
    tested = other[other["split"] == "test"]
    from dfutils.data.crop_folders import people_of

    clear = [video for video, label in zip(tested["video_id"], tested["label"], strict=True)
             if not people_of(video, label) & trained]
    assert sorted(scored["video_id"]) == sorted(ours.loc[ours["split"] == "test", "video_id"]) == sorted(clear)
    assert scored.attrs["left_out"] == 8  # two groups: two people, their two originals and two fakes each
    with pytest.raises(UserInputError, match="every video shows someone the models trained on"):
        cross_dataset.evaluate([model_file], target, tmp_path / "eval2", progress=False,
                               leave_out=trained | cross_dataset.trained_people(other.assign(split="train")))
    notes = cross_dataset.cross_dataset(layout.models, {"other": {"index": str(tmp_path / "other" / "index.csv")},
                                                        "gone": {"index": str(tmp_path / "absent.csv")}},
                                        tmp_path / "eval3", progress=False, trained_on=ours)[2]
    assert notes[0].startswith("left out 8 videos of other") and notes[1].startswith("skipped gone:")


def test_a_target_reencoded_at_c40_is_cut_for_each_model_and_reencoded_as_the_target_says(trained_run, tmp_path):
    root, layout, _ = trained_run
    model_file = layout.model_dir("crop-statistics") / "model.skops"
    plain = cross_dataset.evaluate([model_file], cross_dataset.Target("c", "faces", str(root), "all"), tmp_path / "a",
                                   progress=False)[1]
    reencoded = cross_dataset.evaluate([model_file], cross_dataset.Target("c", "faces", str(root), "all", crf=45),
                                       tmp_path / "b", progress=False)[1]
    folders = [list((tmp_path / name / "faces").iterdir()) for name in ("a", "b")]
    assert len(folders[0]) == len(folders[1]) == 1 and folders[0][0].name != folders[1][0].name  # another crop cache
    assert not np.allclose(plain["score"], reencoded["score"])
    from dfutils.faces.crop_files import load_crops

    faces = pd.read_csv(folders[1][0] / "faces.csv")
    assert load_crops(folders[1][0] / faces["crops"].iloc[0], decode=False).settings["crf"] == 45
