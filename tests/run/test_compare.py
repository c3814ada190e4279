"""Two runs side by side: which models moved, and whether the code or the environment differs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dfutils.cli import main
from dfutils.errors import UserInputError
from dfutils.predictions import write_predictions
from dfutils.run.compare import compare_runs, record_differences
from dfutils.run.provenance import environment_record

CPU = {"model": "AMD EPYC", "vendor": "AuthenticAMD", "family": "26", "model_number": "2", "cores": 2,
       "vector_isa": "avx512", "numeric_variables": {}}


def make_run(folder, scores: dict[str, np.ndarray], commit="a" * 40, cpu=CPU, epochs=4, seed=1):
    """An artifacts folder as the runner leaves it: run.json and each model's predictions (20 test videos)."""
    labels = np.tile([0, 1], 10)
    for name, score in scores.items():
        table = pd.DataFrame({"video_id": [f"v{k}" for k in range(20)], "label": labels, "split": "test",
                              "method": np.where(labels == 1, "Deepfakes", "real"), "score": score})
        write_predictions(table, folder / "models" / name.replace(" ", "-"), name, paper="B")
    environment = {"python": "3.11.7", "platform": "Linux", "packages": {"keras": "3.15.1"}, "cpu": cpu,
                   "git": {"commit": commit, "dirty": False, "changes": ""}}
    record = {"seed": seed, "environment": environment,
              "notebooks": [{"name": "04_frame_baselines", "parameters": {"seed": seed, "epochs": epochs}}]}
    (folder / "run.json").write_text(json.dumps(record))
    return folder


@pytest.fixture
def scores():
    generator = np.random.default_rng(0)
    return {"frames": generator.uniform(size=20), "3D CNN": generator.uniform(size=20)}


def test_the_same_scores_are_identical_and_a_moved_one_is_named_with_its_cause(tmp_path, scores):
    first = make_run(tmp_path / "first", scores)
    same = compare_runs(first, make_run(tmp_path / "same", scores))
    assert same.identical and same.differences == []
    assert same.models.loc["frames", "videos"] == 20 and same.models["max_score_difference"].max() == 0
    assert "2 of 2 models score every test video the same" in str(same)

    # one model's scores moved on another CPU: named, by how much, and put down to the environment
    moved_scores = {**scores, "3D CNN": scores["3D CNN"][::-1].copy()}
    other_cpu = {**CPU, "family": "25", "model_number": "17", "vector_isa": "avx2"}
    moved = compare_runs(first, make_run(tmp_path / "moved", moved_scores, cpu=other_cpu))
    assert moved.moved == ["3D CNN"] and not moved.identical
    assert moved.models.loc["frames", "auc_difference"] == 0
    assert moved.models.loc["3D CNN", "auc_difference"] != 0
    assert moved.differences == ["cpu: AMD EPYC (vendor AuthenticAMD, family 26, model 2; avx512; 2 cores) -> "
                                 "AMD EPYC (vendor AuthenticAMD, family 25, model 17; avx2; 2 cores)"]
    assert "the same code and settings, so the environment moved them" in moved.verdict()

    # with the commit and a parameter changed too, the verdict no longer blames the machine
    changed = compare_runs(first, make_run(tmp_path / "changed", moved_scores, commit="b" * 40, epochs=3))
    assert "git commit: aaaaaaaaaa -> bbbbbbbbbb" in changed.differences
    assert "parameters: 04_frame_baselines.epochs 4 -> 3" in changed.differences
    assert "the code or settings differ" in changed.verdict()

    # nothing recorded differs, yet the scores moved: said plainly
    unexplained = compare_runs(first, make_run(tmp_path / "unexplained", moved_scores))
    assert "did not reproduce its own run" in unexplained.verdict()


def test_a_model_only_one_run_has_counts_as_moved(tmp_path, scores):
    first = make_run(tmp_path / "first", scores)
    fewer = compare_runs(first, make_run(tmp_path / "fewer", {"frames": scores["frames"]}))
    assert fewer.moved == ["3D CNN"] and fewer.models.loc["3D CNN", "videos"] == 0


def test_runs_without_scores_say_so(tmp_path):
    (tmp_path / "run.json").write_text("{}")
    empty = compare_runs(tmp_path, tmp_path)
    assert empty.identical and "neither run has a model's test scores" in str(empty)


def test_records_differ_in_packages_variables_and_old_records_without_a_cpu():
    base = {"seed": 1, "environment": {"packages": {"keras": "3.15.0"}, "git": {"commit": "a" * 40}}}
    newer = {"seed": 1, "environment": {"packages": {"keras": "3.15.1", "jax": "0.9.2"},
                                        "git": {"commit": "a" * 40, "changes": ""},
                                        "cpu": {**CPU, "numeric_variables": {"ONEDNN_MAX_CPU_ISA": "AVX2"}}}}
    lines = record_differences(base, newer)
    assert "packages: jax unset -> 0.9.2; keras 3.15.0 -> 3.15.1" in lines
    assert any(line.startswith("cpu: not recorded -> AMD EPYC") for line in lines)
    assert "numeric variables: ONEDNN_MAX_CPU_ISA unset -> AVX2" in lines
    assert not any(line.startswith("uncommitted") for line in lines)  # a missing key is no change


def test_this_machines_record_compares_equal_to_itself():
    record = {"seed": 3, "environment": environment_record()}
    assert record_differences(record, json.loads(json.dumps(record))) == []


def test_what_is_not_a_run_is_refused_by_name(tmp_path, capsys):
    with pytest.raises(UserInputError, match="no run.json"):
        compare_runs(tmp_path, tmp_path)
    (tmp_path / "run.json").write_text("[1, 2")
    with pytest.raises(UserInputError, match="run.json: not a run record"):
        compare_runs(tmp_path / "run.json", tmp_path)
    assert main(["compare", str(tmp_path / "nowhere"), str(tmp_path)]) == 2
    assert "nowhere: no run.json" in capsys.readouterr().err
    (tmp_path / "run.json").write_text("{}")
    (tmp_path / "summary.csv").write_text("")
    with pytest.raises(UserInputError, match="summary.csv: not a summary table"):
        compare_runs(tmp_path, tmp_path)
    (tmp_path / "summary.csv").write_text("name,score\nframes,0.7\n")
    with pytest.raises(UserInputError, match="no model and auc columns"):
        compare_runs(tmp_path, tmp_path)


def test_the_command_prints_the_table_and_the_verdict(tmp_path, scores, capsys):
    first, second = make_run(tmp_path / "first", scores), make_run(tmp_path / "second", scores, seed=2)
    assert main(["compare", str(first), str(second / "run.json")]) == 0
    out = capsys.readouterr().out
    assert "3D CNN" in out and "frames" in out and "seed: 1 -> 2" in out
    assert "2 of 2 models score every test video the same" in out


def test_paired_aucs_on_the_own_test_split_and_each_cross_dataset_target(tmp_path, scores):
    """Two starts of the same profile: each model's AUC with its interval in both runs and the paired bootstrap of
    the difference, on the run's test split and on every target notebook 08 scored in both (videos both scored)."""
    from dfutils.evaluation.cross_dataset import slug
    from dfutils.evaluation.metrics import auc_difference
    from dfutils.run.compare import paired_aucs

    better = {name: np.clip(values + 0.4 * np.tile([0, 1], 10), 0, 1) for name, values in scores.items()}
    runs = [make_run(tmp_path / "imagenet", scores), make_run(tmp_path / "deepfake", better)]
    labels = np.tile([0, 1], 12)
    for run, shift in zip(runs, (0.0, 0.3), strict=True):
        folder = run / "cross_dataset" / slug("celebdf_real test")
        folder.mkdir(parents=True)
        score = np.linspace(0.2, 0.6, 24) + shift * labels
        pd.DataFrame({"model": "frames", "video_id": [f"c{k}" for k in range(24)], "label": labels, "score": score,
                      "error": ["cannot read"] + [""] * 23}).to_csv(folder / "predictions.csv", index=False)
        pd.DataFrame({"model": ["frames"], "dataset": ["celebdf_real test"], "method": ["all"]}).to_csv(
            run / "cross_dataset" / "metrics.csv", index=False)
    paired = paired_aucs(*runs).set_index(["model", "scored on"])
    assert set(paired.index) == {("frames", "own test split"), ("3D CNN", "own test split"),
                                 ("frames", "celebdf_real test")}
    row = paired.loc[("frames", "celebdf_real test")]
    assert row["videos"] == 23  # the video one run could not score is left out
    assert row["auc_second"] > row["auc_first"] and row["difference_low"] > 0
    own = paired.loc[("frames", "own test split")]
    expected = auc_difference(np.tile([0, 1], 10), better["frames"], scores["frames"])
    assert own["difference"] == pytest.approx(expected["difference"])
    assert own["first_low"] <= own["auc_first"] <= own["first_high"]
    assert "second - first" in str(compare_runs(*runs)) and "celebdf_real test" in str(compare_runs(*runs))
