"""Notebook-execution tier: the smoke profile end to end, as CI and a newcomer run it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from dfutils import config
from dfutils.cli import main
from dfutils.config import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.minutes(7)]  # the smoke run and the tests that read it


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One run of params/smoke.yaml into a temporary artifacts/ and reports/."""
    root = tmp_path_factory.mktemp("smoke-run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "ARTIFACTS_DIR", root / "artifacts")
        patch.setattr(config, "REPORTS_DIR", root / "reports")
        patch.setenv("DFUTILS_ARTIFACTS", str(root / "artifacts"))  # the kernels read these
        patch.setenv("DFUTILS_REPORTS", str(root / "reports"))
        status = main(["run", str(PROJECT_ROOT / "params" / "smoke.yaml")])
    return status, root / "artifacts" / "smoke", root / "reports" / "smoke"


def test_smoke_profile_runs_every_notebook_and_writes_a_linked_report(smoke_run):
    status, artifacts, reports = smoke_run
    assert status == 0
    record = json.loads((artifacts / "run.json").read_text())
    assert record["status"] == "ok"
    assert all(entry["status"] == "ok" for entry in record["notebooks"])
    index = (reports / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert {f"{entry['name']}.html" for entry in record["notebooks"]} <= set(links)
    for link in links:
        assert (reports / link).is_file(), link
    data = next(entry for entry in record["notebooks"] if entry["notebook"] == "01_data")
    assert data["figures"]["videos"] == 80 and data["figures"]["fake"] == 64
    assert (artifacts / "index.csv").is_file()


def test_every_image_in_the_report_is_embedded(smoke_run):
    """The HTML pages must stand alone: no image refers to a file that is not there."""
    _, _, reports = smoke_run
    for page in reports.glob("*.html"):
        for source in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text()):
            assert source.startswith("data:image/") or (reports / source).is_file(), (page.name, source[:60])
    assert re.search(r'<img[^>]+src="data:image/png', (reports / "01_data.html").read_text())


def test_the_reports_show_no_start_up_lines_of_c_libraries(smoke_run):
    """TensorFlow's absl and oneDNN lines (written by C++ to the kernel's stderr before logging starts, whatever
    TF_CPP_MIN_LOG_LEVEL says) go to each notebook's kernel log, not into every report as red warnings."""
    _, artifacts, reports = smoke_run
    for path in sorted(reports.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        printed = "".join("".join(output.get("text", "")) for cell in cells for output in cell.get("outputs", []))
        assert "absl::InitializeLog" not in printed and "oneDNN custom operations" not in printed, path.name
    assert any("oneDNN" in log.read_text() for log in (artifacts / "logs").glob("*.kernel.log"))


def test_smoke_run_trains_every_model_and_the_report_opens_with_their_metrics(smoke_run):
    status, artifacts, reports = smoke_run
    assert status == 0
    expected = {"time-distributed efficientnet_lite0", "frames", "frames + bagging", "frames + LSTM", "frames + GRU",
                "3D CNN", "triplets (semi-hard) + RF", "triplets (semi-hard) + SGD", "triplets (random) + RF",
                "triplets (random) + SGD", "FaceNet + RF", "crop statistics"}
    record = json.loads((artifacts / "run.json").read_text())
    assert {row["model"] for row in record["summary"]} == expected
    summary = pd.read_csv(artifacts / "summary.csv")
    assert set(summary["model"]) == expected and set(summary["paper"]) == {"A", "B", "baseline"}
    index = (reports / "index.html").read_text()
    assert index.index("Summary: every model") < index.index("<h2>Notebooks</h2>")
    for model in expected:
        assert f"<td>{model}</td>" in index
    triplet = next(entry for entry in record["notebooks"] if entry["notebook"] == "05_triplet")
    assert {"silhouette_before", "silhouette_after"} <= set(triplet["figures"])
    results_page = (reports / "06_results.html").read_text()
    assert "Table 2" in results_page and "Table III" in results_page and " / 92.85" in results_page


def test_cross_dataset_notebook_rescoring_the_runs_own_test_videos_gives_the_notebooks_scores(smoke_run):
    """08 scores every model file on the smoke run's test videos, cut again with each file's own
    extraction settings: the same scores as the training notebooks' prediction tables, and the same AUC."""
    status, artifacts, reports = smoke_run
    assert status == 0
    rescored = pd.read_csv(artifacts / "cross_dataset" / "synthdf-test" / "predictions.csv", keep_default_na=False)
    assert (rescored["error"] == "").all() and rescored["model"].nunique() == 12
    own = pd.concat(pd.read_csv(path) for path in (artifacts / "models").glob("*/predictions.csv"))
    own = own[own["split"] == "test"]
    merged = rescored.merge(own[["model", "video_id", "score"]], on=["model", "video_id"], suffixes=("", "_notebook"))
    assert len(merged) == len(rescored)
    assert np.allclose(merged["score"].astype(float), merged["score_notebook"], atol=1e-4)
    metrics = pd.read_csv(artifacts / "cross_dataset" / "metrics.csv")
    assert {"own test split", "SynthDF test"} == set(metrics["dataset"])
    assert "AUC: trained on this run" in (reports / "08_cross_dataset.html").read_text()


def test_the_levers_study_retrains_the_runs_own_frame_classifier_through_the_registry(smoke_run):
    """07 on the smoke run's crops, with the smoke seed: its "demo setting" variant is the registry's
    frames detector with the settings read from the smoke run's model file, so it gives the smoke
    frame model's scores again; the self-blending lever adds a variant."""
    status, artifacts, _ = smoke_run
    assert status == 0
    root = artifacts.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "ARTIFACTS_DIR", root)
        patch.setattr(config, "REPORTS_DIR", root.parent / "reports")
        patch.setenv("DFUTILS_ARTIFACTS", str(root))
        patch.setenv("DFUTILS_REPORTS", str(root.parent / "reports"))
        seed = json.loads((artifacts / "run.json").read_text())["seed"]
        assert main(["run", str(PROJECT_ROOT / "params" / "levers.yaml"), "--only", "07_levers",
                     "--set", "profile=levers-smoke", "--set", f"seed={seed}", "--set", "data_profile=smoke",
                     "--set", "frames_model=frames-efficientnet_lite0", "--set", "few_identities=0",
                     "--set", "epoch_levels=[]", "--set", "size_levels=[]"]) == 0
    variants = {
        path.parent.name: pd.read_csv(path) for path in (root / "levers-smoke" / "models").glob("*/predictions.csv")
    }
    assert len(variants) == 2  # the smoke frame model is from scratch: no pretraining lever
    demo_setting = next(table for table in variants.values() if "all identities" in table["model"].iloc[0])
    frames = pd.read_csv(artifacts / "models" / "frames-efficientnet_lite0" / "predictions.csv")
    merged = demo_setting.merge(frames, on="video_id", suffixes=("", "_frames"))
    assert len(merged) == len(frames) and np.allclose(merged["score"], merged["score_frames"], atol=1e-6)


@pytest.mark.real_samples
def test_predict_with_the_smoke_frame_model_scores_real_samples_and_reports_a_corrupt_file(
    smoke_run, real_samples, tmp_path
):
    import pandas as pd

    _, artifacts, _ = smoke_run
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00" * 4096)
    out = tmp_path / "predictions.csv"
    assert main(["predict", "--model", str(artifacts / "models" / "frames-efficientnet_lite0" / "model.keras"),
                 str(real_samples), str(corrupt), "--out", str(out)]) == 3  # some failed, each recorded
    table = pd.read_csv(out, keep_default_na=False)
    videos = table[table["path"].str.endswith(".mp4")]
    scored = videos[videos["error"] == ""]
    assert len(scored) >= 9 and scored["score"].astype(float).between(0, 1).all()
    assert "corrupt.mp4" in table.loc[table["path"] == str(corrupt), "error"].iloc[0]
    assert (table[~table["path"].str.endswith(".mp4")]["error"].str.contains("not a video or image file")).all()


def test_every_notebook_opened_as_it_is_runs_the_demos_settings():
    """A student who opens a notebook and runs it top to bottom gets the demo (offline, minutes on a
    CPU): the parameters cell holds what the demo profile gives that notebook (its first run)."""
    from dfutils.run.notebook_params import notebook_parameters
    from dfutils.run.params import load_profile

    demo = load_profile(PROJECT_ROOT / "params" / "demo.yaml")
    first_runs = {}
    for run in demo.runs:
        first_runs.setdefault(run.notebook, run)
    assert {"01_data", "02_faces", "03_time_distributed", "04_frame_baselines", "05_triplet", "06_results"} <= set(
        first_runs
    )
    for notebook, run in first_runs.items():
        defaults = {name: parameter.default for name, parameter in notebook_parameters(run.path).items()}
        assert defaults["profile"] == "demo" and defaults["seed"] == demo.seed
        given = {k: v for k, v in run.parameters.items() if k not in ("profile", "seed")}
        assert given == {k: defaults[k] for k in given}, notebook


def test_the_seeds_study_trains_every_demo_model_with_the_demos_parameters():
    from dfutils.run.params import load_profile

    demo = {run.name: run.parameters for run in load_profile(PROJECT_ROOT / "params" / "demo.yaml").runs}
    seeds = load_profile(PROJECT_ROOT / "params" / "seeds.yaml")
    assert len(seeds.seeds) >= 3
    trained_in_demo = {name for name in demo if name.split("-")[0][:2] in ("03", "04", "05")}
    assert {run.name for run in seeds.runs} == trained_in_demo
    for run in seeds.runs:
        ignored = {"profile", "seed", "data_profile", "identity_check"}  # where and how, not what is trained
        ours = {k: v for k, v in run.parameters.items() if k not in ignored}
        theirs = {k: v for k, v in demo[run.name].items() if k not in ignored}
        assert ours == theirs, run.name
        assert run.parameters["data_profile"] == "demo"
