"""The real-data profiles end to end on slices of the real face crops of ``../shared/real-faces``.

``ffpp_real_c40`` (which extends ``ffpp_real``: the clean FF++ crops, here re-encoded at c40), ``ffpp_c40``
(crops cut from real FF++ c40 videos, split as ``ffpp_real`` for the people both show) and ``celebdf_real``
(Celeb-DF v2 crops) run as a user runs them (``dfutils run PROFILE --set ...``) on a few groups of people, their
shape kept (face-crop index split by people, crops packed with the matching margin, compression, cross-run
targets, the gathering notebook) and epochs, sizes and counts shrunk. Skips, with the reason, where the crops
are absent.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from dfutils import config
from dfutils.cli import main
from dfutils.config import PROJECT_ROOT

from ..data.test_crop_folders import REAL_FACES

pytestmark = [pytest.mark.slow, pytest.mark.real_samples, pytest.mark.minutes(3)]  # each

FFPP_PAIRS = ["000_003", "012_026", "024_073", "029_048", "035_036", "102_114", "138_142", "141_161"]
CNNS = ("paper_a", "frame_classifier", "self_blended")  # the settings families with a CNN


def _each(families, key: str, value) -> list[str]:
    """``--set FAMILY.KEY=VALUE`` for each family."""
    return [f"{family}.{key}={value}" for family in families]


SMALL = [*_each(("extraction", *CNNS), "size", 48), *_each(("extraction", "paper_a"), "frames", 3),
         *_each((*CNNS, "triplet"), "epochs", 1), *_each((*CNNS, "triplet"), "batch_size", 8),
         "02_faces.crop_statistics.frames=3"]
PAPER_B_SMALL = [
    "frame_classifier.frames_per_video=2",
    "frame_classifier.bagging_parts=0",  # bagging: smoke run
    "sequence.frames=3",
    "sequence.epochs=2",
    "conv3d.frames=3",
    "conv3d.size=32",
    "conv3d.filters=[4, 8]",
    "conv3d.epochs=1",
    "triplet.frames_per_video=2",
    "triplet.epochs=2",
    "triplet.trees=10",
    "tsne_frames=40",
    "05_triplet.identity_check=false",
    "06_results.gradcam_faces=0",
]


def _need(*folders: Path) -> None:
    for folder in folders:
        if not folder.is_dir():
            pytest.skip(f"{folder} not found (the real face crops sit beside the checkout on the development machines)")


def _copy(files, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy(file, folder / file.name)


def _ffpp_slices(root: Path) -> tuple[Path, Path]:
    """The clean (ffpp-256) and c40 (ffpp-c40) crops of the same eight FF++ pairs of people."""
    for pair in FFPP_PAIRS:
        a, b = pair.split("_")
        for video, folder in ((a, "real"), (b, "real"), (f"{a}_{b}", "manipulated"), (f"{b}_{a}", "manipulated")):
            _copy((REAL_FACES / "ffpp-256" / folder).glob(f"{video}_[0-9].jpg"), root / "clean" / folder)
        for video in (a, b):
            _copy((REAL_FACES / "ffpp-c40" / "original").glob(f"{video}_[0-9].jpg"), root / "c40" / "original")
        for method in ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"):
            _copy((REAL_FACES / "ffpp-c40" / method).glob(f"{pair}_[0-9].jpg"), root / "c40" / method)
    return root / "clean", root / "c40"


def _run(profile: str, only: list[str], overrides: list[str]) -> tuple[int, dict]:
    argv = ["run", str(PROJECT_ROOT / "params" / f"{profile}.yaml")] + [a for o in only for a in ("--only", o)]
    status = main(argv + [a for o in overrides for a in ("--set", o)])
    record = json.loads((config.ARTIFACTS_DIR / profile / "run.json").read_text())
    return status, {run["name"]: run.get("figures", {}) for run in record["notebooks"]}


def _isolated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(config, "ARTIFACTS_DIR", tmp_path / "artifacts")
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setenv("DFUTILS_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("DFUTILS_REPORTS", str(tmp_path / "reports"))


def test_the_clean_ffpp_profile_reencoded_at_c40_runs_on_a_slice_of_the_real_crops(tmp_path, monkeypatch):
    """params/ffpp_real_c40.yaml (ffpp_real's shape: a face-crop index split by people, crops packed with the
    matching margin, the crop-statistics baseline scored on them, cross-dataset scoring of real FF++ videos)
    with its crops re-encoded at c40, and notebook 10 comparing them with the real c40 crops of the same
    people. Its detectors are the smoke run's and the paper tier's, trained there."""
    _need(REAL_FACES / "ffpp-256", REAL_FACES / "ffpp-c40", config.REAL_SAMPLES_DIR / "ffpp")
    _isolated(tmp_path, monkeypatch)
    clean, c40 = _ffpp_slices(tmp_path / "slices")
    target = "{FF++ c23: {dataset: ffpp, root: %s, split: all}}" % (config.REAL_SAMPLES_DIR / "ffpp")
    only = ["01_data", "02_faces", "08_cross_dataset", "10_compression"]  # its models: the smoke run and the paper tier
    status, figures = _run(
        "ffpp_real_c40",
        only,
        [
            f"01_data.dataset_root={clean}",
            "01_data.split_fractions={train: 0.5, val: 0.25, test: 0.25}",
            *SMALL,
            f"08_cross_dataset.targets={target}",
            f"10_compression.clean_root={clean}",
            f"10_compression.compressed_root={c40}",
            "face_sides=[100]",
            "analysis_size=64",
            "10_compression.clean_videos_root=",
        ],
    )
    assert status == 0
    artifacts = config.ARTIFACTS_DIR / "ffpp_real_c40"
    index = pd.read_csv(artifacts / "index.csv")
    assert len(index) == 32 and index.groupby("group")["split"].nunique().max() == 1
    assert -0.25 < figures["02_faces"]["margin"] < -0.05  # the tight FF++ crops, matched
    faces = pd.read_csv(artifacts / "faces" / "faces.csv")
    from dfutils.faces.crop_files import load_crops

    settings = load_crops(artifacts / "faces" / faces["crops"].iloc[0], decode=False).settings
    assert settings["crf"] == 40 and settings["crf_face_side"] == 200  # re-encoded as FF++ c40, and says so
    metrics = pd.read_csv(artifacts / "cross_dataset" / "metrics.csv")
    scored = metrics[(metrics["dataset"] == "FF++ c23") & (metrics["method"] == "all")]
    assert set(scored["model"]) == {"crop statistics"}
    assert (scored["videos"] >= 6).all() and scored["auc"].notna().all()
    domain = {key: value for key, value in figures["10_compression"].items() if key.startswith("domain_auc[")}
    assert set(domain) == {"domain_auc[real c40 vs clean]", "domain_auc[real c40 vs simulated c23]",
                           "domain_auc[real c40 vs simulated c40]"}
    assert all(0 <= value <= 1 for value in domain.values())


def test_the_real_c40_and_celebdf_profiles_run_on_slices_and_score_each_other(tmp_path, monkeypatch):
    """params/ffpp_c40.yaml (real c40 crops, split as ffpp_real for the people both show) with Paper B's models
    and tables, and params/celebdf_real.yaml (Celeb-DF crops grouped by target person) with the triplets,
    each scored on the other's test split as a cross-run target; then notebook 11 gathers both."""
    _need(REAL_FACES / "ffpp-256", REAL_FACES / "ffpp-c40", REAL_FACES / "celebdf")
    _isolated(tmp_path, monkeypatch)
    _, c40 = _ffpp_slices(tmp_path / "slices")
    people = ["id0", "id1", "id2", "id3", "id4", "id5"]
    for label in ("real", "fake"):
        _copy((file for file in (REAL_FACES / "celebdf" / label).glob("*.jpg")
               if file.name.split("_")[0] in people or (label == "real" and file.name[:5] in ("00006", "00008"))),
              tmp_path / "slices" / "celebdf" / label)
    # the c40 slice trains Paper B's frame models, the Celeb-DF slice its triplets
    only = ["01_data", "02_faces", "04_frame_baselines", "05_triplet", "06_results", "08_cross_dataset",
            "11_real_profiles"]
    ffpp_c40 = ["01_data.split_fractions={train: 0.5, val: 0.25, test: 0.25}", *SMALL, *PAPER_B_SMALL,
                "08_cross_dataset.models=[frames, frames + LSTM]"]
    status, _ = _run(
        "ffpp_c40",
        [name for name in only[:-1] if name != "05_triplet"],
        [
            f"01_data.dataset_root={c40}",
            *ffpp_c40,
            "08_cross_dataset.targets={ffpp_real test: {run: ffpp_real, split: test}}",
        ],
    )
    assert status == 0
    index = pd.read_csv(config.ARTIFACTS_DIR / "ffpp_c40" / "index.csv")
    # the 16 originals of the 8 pairs and the fakes of the pair's first person by each method
    assert len(index) == 48 and set(index["method"]) == {"real", "Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"}
    from dfutils.run.reference import reference_index

    clean = reference_index("ffpp_real")  # ffpp_real not run: its split from its profile
    side = {re.sub(r"^\w+/", "", video): split for video, split in zip(clean["video_id"], clean["split"], strict=True)}
    for row in index[index["label"] == 0].itertuples():  # each person on ffpp_real's side of its split
        assert side.get(row.video_id.split("/")[-1], row.split) == row.split
    metrics = pd.read_csv(config.ARTIFACTS_DIR / "ffpp_c40" / "cross_dataset" / "metrics.csv")
    assert set(metrics.loc[metrics["dataset"] == "ffpp_real test", "model"]) == {"frames", "frames + LSTM"}
    report = (config.REPORTS_DIR / "ffpp_c40" / "06_results.html").read_text()
    assert "Table II" in report and "Table IV" in report and "calling every one fake" in report

    status, figures = _run(
        "celebdf_real",
        [name for name in only if name not in ("04_frame_baselines", "06_results")],
        [
            f"01_data.dataset_root={tmp_path / 'slices' / 'celebdf'}",
            *ffpp_c40,
            "08_cross_dataset.models=[triplets (semi-hard) + RF]",
            "08_cross_dataset.targets={ffpp_c40 test: {run: ffpp_c40, split: test}}",
            "11_real_profiles.profiles=[ffpp_c40, celebdf_real, ffpp_real]",
            "11_real_profiles.claim_pairs=[[frames + LSTM, frames]]",
        ],
    )  # the c40 slice trained no triplets
    assert status == 0
    index = pd.read_csv(config.ARTIFACTS_DIR / "celebdf_real" / "index.csv")
    fakes = index[index["label"] == 1]
    targets = fakes["video_id"].str.extract(r"/(id\d+)_id\d+_", expand=False)
    reals = index[index["video_id"].str.contains("/id")].assign(
        person=lambda t: t["video_id"].str.extract(r"/(id\d+)_")
    )
    for person, split in zip(targets, fakes["split"], strict=True):  # a fake sits with its target person's videos
        assert set(reals.loc[reals["person"] == person, "split"]) <= {split}
    metrics = pd.read_csv(config.ARTIFACTS_DIR / "celebdf_real" / "cross_dataset" / "metrics.csv")
    assert (metrics.loc[metrics["dataset"] == "ffpp_c40 test", "videos"] > 0).all()
    gathered = figures["11_real_profiles"]
    assert any(key.startswith("auc_difference[frames + LSTM - frames | ffpp_c40 test]") for key in gathered)
    notebook = (config.REPORTS_DIR / "celebdf_real" / "11_real_profiles.html").read_text()
    assert "ffpp_real: no cross-dataset metrics yet" in notebook and "no predictions on 'FF++ c40 videos'" in notebook
    assert re.search(r"claim (holds here|does not hold here|is not shown here)", notebook)


def _dfdc_release_slice(root: Path) -> Path:
    """A slice in the layout of DFDC's public crop release (faces_224/<video>.jpg, metadata.csv): the real
    dfdc-224 crops where present, else one shaped like it from the clean FF++ crops, where each person has two
    real "videos" (two frames of the original) that no name links, and a fake of the first."""
    release = REAL_FACES / "dfdc-224"
    rows = []
    if release.is_dir():
        metadata = pd.read_csv(release / "metadata.csv", keep_default_na=False)
        fakes = metadata[metadata["label"] == "FAKE"].head(24)
        chosen = pd.concat([metadata[metadata["videoname"].isin(set(fakes["original"]))], fakes])
        for video in chosen["videoname"]:
            _copy([release / "faces_224" / f"{Path(video).stem}.jpg"], root / "faces_224")
        chosen.to_csv(root / "metadata.csv", index=False)
        return root
    for pair in FFPP_PAIRS:
        target, source = pair.split("_")
        for video, frame in ((f"real{target}a", 0), (f"real{target}b", 9)):
            (root / "faces_224").mkdir(parents=True, exist_ok=True)
            shutil.copy(REAL_FACES / "ffpp-256" / "real" / f"{target}_{frame}.jpg", root / "faces_224" / f"{video}.jpg")
            rows.append({"videoname": f"{video}.mp4", "label": "REAL", "original": ""})
        shutil.copy(REAL_FACES / "ffpp-256" / "manipulated" / f"{pair}_0.jpg", root / "faces_224" / f"fake{pair}.jpg")
        rows.append({"videoname": f"fake{pair}.mp4", "label": "FAKE", "original": f"real{target}a.mp4"})
    pd.DataFrame(rows).to_csv(root / "metadata.csv", index=False)
    return root


def test_the_dfdc_profile_runs_on_a_slice_of_crops_labelled_by_their_metadata(tmp_path, monkeypatch):
    """params/dfdc_real.yaml on a slice of DFDC's crop release (or one shaped like it): labels from metadata.csv,
    people found by their faces, one crop per video (no LSTM/GRU/3D CNN), and the frame classifier's backbone left
    for the *_dfdc_start profiles."""
    _need(REAL_FACES / "ffpp-256")
    _isolated(tmp_path, monkeypatch)
    root = _dfdc_release_slice(tmp_path / "dfdc-224")
    status, figures = _run("dfdc_real", ["01_data", "02_faces", "04_frame_baselines"], [
        f"01_data.dataset_root={root}", "01_data.split_fractions={train: 0.5, val: 0.25, test: 0.25}",
        *_each(CNNS, "size", 48), *_each((*CNNS, "triplet"), "epochs", 1), *_each((*CNNS, "triplet"), "batch_size", 8),
        "frame_classifier.bagging_parts=0"])
    assert status == 0
    index = pd.read_csv(config.ARTIFACTS_DIR / "dfdc_real" / "index.csv", keep_default_na=False)
    members = pd.read_csv(config.ARTIFACTS_DIR / "dfdc_real" / "index.crops.csv")
    assert len(members) == len(index) and (index["label"] == 1).sum() > 0
    if not (REAL_FACES / "dfdc-224").is_dir():  # each person's two unlinked videos: found one person by the face
        group = index.set_index("video_id")["group"]
        joined = sum(group[f"faces_224/real{pair[:3]}a"] == group[f"faces_224/real{pair[:3]}b"] for pair in FFPP_PAIRS)
        assert joined >= len(FFPP_PAIRS) - 1
    report = (config.REPORTS_DIR / "dfdc_real" / "01_data.html").read_text()
    assert "labels from" in report and "face identity (FaceNet" in report
    assert set(figures["04_frame_baselines"]) == {"test_auc[frames]", "test_accuracy[frames]"}  # no time axis
    backbone = config.ARTIFACTS_DIR / "dfdc_real" / "models" / "frames-efficientnet_lite0" / "backbone.keras"
    assert backbone.is_file()
