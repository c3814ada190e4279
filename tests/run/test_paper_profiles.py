"""The paper profiles end to end on real layouts, before a user spends hours on them.

Each of ``singh2020_dfdc``, ``kumar2020_celebdf`` and ``kumar2020_ffpp_c40`` runs as a user would run
it (``dfutils run PROFILE --set ...``) on real videos in its dataset's official layout: the FF++ c40
tree of ``../shared/real-videos`` as it is, and a DFDC and a Celeb-DF tree of links to the real FF++,
DFD and DFDC videos, named and listed as those downloads are. The overrides keep each protocol's
shape (face detector, margin, frame sampling rule, backbones, heads) and shrink epochs, sizes and
frame counts; the two downloads offline runs cannot make are swapped for what ships in registry
packages, and said so (ImageNet weights for Paper A's and Paper B's backbones: from scratch;
FaceNet's 512-d model: the 128-d one; their download paths are tested in tests/nets/test_downloads.py).
Every notebook must run and the report render. Skips, with the reason, where the videos are absent.

Part of ``make test`` (CI), where the three run beside the other tests on a worker per core; alone:
``make test-paper-profiles`` (about 12 minutes of one core).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dfutils import config
from dfutils.cli import main
from dfutils.config import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.real_samples, pytest.mark.paper_profiles, pytest.mark.minutes(4)]  # each

REAL_VIDEOS = config.REAL_SAMPLES_DIR.parent / "real-videos"
OFFLINE_B = [
    "frame_classifier.weights=none",
    "triplet.facenet_model=keras-facenet-128",
    "05_triplet.identity_check=false",
]
PAPER_B_SMALL = [  # sizes, counts and epochs only: 7-way bagging, LSTM/GRU, the 3D CNN and both heads stay
    "extraction.fps=0.5",
    "extraction.size=71",
    "extraction.detect_side=320",
    "extraction.window_side=96",
    "02_faces.workers=1",
    "01_data.crop_statistics.frames=2",
    "frame_classifier.size=71",
    "frame_classifier.frames_per_video=2",
    "frame_classifier.epochs=1",
    "frame_classifier.batch_size=8",
    "frame_classifier.bagging_epochs=1",
    "sequence.frames=2",
    "sequence.epochs=1",
    "conv3d.frames=4",
    "conv3d.size=32",
    "conv3d.filters=[4, 8]",
    "conv3d.epochs=1",
    "triplet.frames_per_video=2",
    "triplet.epochs=1",
    "triplet.batch_size=16",
    "triplet.trees=10",
    "05_triplet.tsne_frames=20",
]


def _videos(*patterns: str) -> list[Path]:
    found = sorted(path for pattern in patterns for path in REAL_VIDEOS.parent.glob(pattern))
    if not found:
        pytest.skip(f"real videos not found under {REAL_VIDEOS.parent} ({patterns[0]}...)")
    return found


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.resolve())


def _run(profile: str, root: Path, overrides: list[str], monkeypatch, tmp_path: Path) -> tuple[dict, Path]:
    """``dfutils run params/PROFILE.yaml`` with the overrides, into a temporary artifacts/ and reports/."""
    monkeypatch.setattr(config, "ARTIFACTS_DIR", tmp_path / "artifacts")
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setenv("DFUTILS_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("DFUTILS_REPORTS", str(tmp_path / "reports"))
    argv = ["run", str(PROJECT_ROOT / "params" / f"{profile}.yaml"), "--set", f"01_data.dataset_root={root}"]
    status = main(argv + [a for override in overrides for a in ("--set", override)])
    record = json.loads((tmp_path / "artifacts" / profile / "run.json").read_text())
    assert status == 0, [(e["name"], e["status"]) for e in record["notebooks"]]
    reports = tmp_path / "reports" / profile
    links = set(re.findall(r'href="([^"]+)"', (reports / "index.html").read_text()))
    for entry in record["notebooks"]:
        assert (
            entry["status"] == "ok"
            and f"{entry['name']}.html" in links
            and (reports / f"{entry['name']}.html").is_file()
        )
    return record, tmp_path / "artifacts" / profile


def _parameters(record: dict, name: str) -> dict:
    return next(entry["parameters"] for entry in record["notebooks"] if entry["name"] == name)


def _settings(record: dict, name: str, family: str):
    """The settings a run recorded for a family, as its dataclass."""
    from dfutils.run.settings_families import FAMILIES

    return FAMILIES[family].from_mapping(_parameters(record, name)[family])


def _assert_paper_b_shape(record: dict, artifacts: Path) -> None:
    faces = _settings(record, "02_faces", "extraction")
    assert (faces.detector, faces.margin, faces.frames) == ("mtcnn", 0.2, None) and faces.fps > 0  # MTCNN at a rate
    frames = _settings(record, "04_frame_baselines", "frame_classifier")
    assert (frames.backbone, frames.bagging_parts) == ("xception", 7)
    assert _settings(record, "04_frame_baselines", "sequence").units == 32
    trained = {path.parent.name for path in (artifacts / "models").glob("*/predictions.csv")}
    assert {"frames-xception", "frames-xception-bagging", "frames-lstm", "frames-gru", "conv3d",
            "triplets-semi-hard-rf", "triplets-semi-hard-sgd", "crop-statistics"} <= trained


def test_kumar2020_ffpp_c40_runs_on_the_real_ffpp_c40_tree(tmp_path, monkeypatch):
    """Paper B's FF++ c40 protocol on FF++'s own layout: 4 originals, their 16 fakes (all four methods),
    5 DFD actors, every video c40."""
    _videos("real-videos/ffpp/manipulated_sequences/*/c40/videos/*.mp4")
    record, artifacts = _run(
        "kumar2020_ffpp_c40", REAL_VIDEOS / "ffpp", OFFLINE_B + PAPER_B_SMALL, monkeypatch, tmp_path
    )
    _assert_paper_b_shape(record, artifacts)
    assert _parameters(record, "01_data")["compressions"] == ["c40"]
    figures = record["notebooks"][0]["figures"]
    assert figures["videos"] == 25 and figures["fake"] == 16


def test_kumar2020_celebdf_runs_on_a_celebdf_tree_of_real_videos(tmp_path, monkeypatch):
    """Paper B's Celeb-DF protocol (the official test list) on Celeb-DF v2's layout, made of real FF++
    videos: each FF++ person an ``idN``, their fakes ``idT_idS_NNNN`` in Celeb-synthesis, the DFD actors
    in YouTube-real, and a List_of_testing_videos.txt (``1`` = real) naming one pair of people."""
    originals = {path.stem: path for path in _videos("real-*/ffpp/original_sequences/youtube/*/videos/*.mp4")}
    fakes = _videos("real-*/ffpp/manipulated_sequences/*/*/videos/*.mp4")
    people = {
        number: f"id{k}"
        for k, number in enumerate(sorted({*originals, *(n for f in fakes for n in f.stem.split("_"))}))
    }
    root = tmp_path / "Celeb-DF-v2"
    for number, path in originals.items():
        _link(path, root / "Celeb-real" / f"{people[number]}_0000.mp4")
    for k, path in enumerate(fakes):
        target, source = path.stem.split("_")
        _link(path, root / "Celeb-synthesis" / f"{people[target]}_{people[source]}_{k:04d}.mp4")
    for k, path in enumerate(_videos("real-videos/ffpp/original_sequences/actors/*/videos/*.mp4")):
        _link(path, root / "YouTube-real" / f"{k:05d}.mp4")
    test_people = {people["672"], people["720"]}
    listed = [
        f"1 Celeb-real/{p.name}" for p in sorted((root / "Celeb-real").iterdir()) if p.stem.split("_")[0] in test_people
    ]
    listed += [f"0 Celeb-synthesis/{p.name}" for p in sorted((root / "Celeb-synthesis").iterdir())
               if p.stem.split("_")[0] in test_people]
    (root / "List_of_testing_videos.txt").write_text("\n".join(listed + ["1 YouTube-real/00000.mp4"]))
    record, artifacts = _run("kumar2020_celebdf", root, OFFLINE_B + PAPER_B_SMALL, monkeypatch, tmp_path)
    _assert_paper_b_shape(record, artifacts)
    assert _parameters(record, "01_data")["celebdf_protocol"] == "official"
    index = pd.read_csv(artifacts / "index.csv")
    assert (index["split"] == "test").sum() == len(listed) + 1  # exactly the official list


def test_singh2020_dfdc_runs_on_a_dfdc_tree_of_real_videos(tmp_path, monkeypatch):
    """Paper A's DFDC protocol on DFDC's layout (``dfdc_train_part_N/metadata.json``, ``test/labels.csv``),
    made of the real DFDC fakes beside real FF++ and DFD originals; Paper A's four backbones, SSD faces
    with a 35% margin on frames spread evenly over each video."""
    dfdc_fakes = _videos("real-samples/dfdc/*/*.mp4", "real-videos/dfdc/train_sample_videos/*.mp4")
    reals = _videos("real-*/ffpp/original_sequences/*/*/videos/*.mp4")
    root = tmp_path / "dfdc"
    metadata = {}
    for k, path in enumerate(dfdc_fakes[:-1] + reals[:-3]):
        name = f"{k:02d}{path.stem.replace('_', '')[:8]}.mp4"
        _link(path, root / "dfdc_train_part_0" / name)
        fake = path in dfdc_fakes
        metadata[name] = {
            "label": "FAKE" if fake else "REAL",
            "split": "train",
            **({"original": f"o{k}.mp4"} if fake else {}),
        }
    (root / "dfdc_train_part_0" / "metadata.json").write_text(json.dumps(metadata))
    test = [(dfdc_fakes[-1], 1), *((path, 0) for path in reals[-3:])]
    for path, _ in test:
        _link(path, root / "test" / path.name)
    (root / "test" / "labels.csv").write_text("filename,label\n" + "".join(f"{p.name},{y}\n" for p, y in test))
    overrides = ["extraction.frames=2", "paper_a.frames=2", "extraction.size=75", "paper_a.size=75",
                 "extraction.detect_side=320", "extraction.window_side=96", "02_faces.workers=1",
                 "01_data.crop_statistics.frames=2", "paper_a.epochs=1", "06_results.repeats=2",
                 "06_results.gradcam_faces=0", "paper_a.weights=none"]
    record, artifacts = _run("singh2020_dfdc", root, overrides, monkeypatch, tmp_path)
    faces = _settings(record, "02_faces", "extraction")
    # SSD, 35% margin, a count of frames spread over the video (no rate)
    assert (faces.detector, faces.margin, faces.fps) == ("ssd", 0.35, None) and faces.frames > 0
    for backbone in ("efficientnet_b1", "efficientnet_b0", "xception", "inception_v3"):
        paper_a = _settings(record, f"03_time_distributed-{backbone}", "paper_a")
        assert (paper_a.backbone, paper_a.batch_size, paper_a.learning_rate) == (backbone, 2, 0.0001)
        assert (artifacts / "models" / f"time_distributed-{backbone}-scratch" / "predictions.csv").is_file()
