"""Other runs' splits as a run meets them: a split to follow, run targets, and the gathered cross-run tables."""

from __future__ import annotations

import pandas as pd
import pytest

from dfutils import config
from dfutils.data.datasets import index_faces, write_index
from dfutils.errors import ParamsError
from dfutils.run import reference

from ..data.test_crop_folders import ffpp_crop_tree

PROFILE = """profile: {name}
seed: 5
notebooks:
  - notebook: 01_data
    parameters: {{dataset: faces, dataset_root: {root}, split_fractions: {{train: 0.5, val: 0.25, test: 0.25}}}}
  - notebook: 02_faces
    settings: {{extraction: {{crf: 40, crf_face_side: 150}}}}
  - notebook: 08_cross_dataset
    parameters:
      targets: {{other test: {{run: {other}, split: test}}}}
"""


@pytest.fixture
def profiles(tmp_path, monkeypatch, isolated_outputs):
    """Two profiles over the same FF++ people (folders in tests' own tmp), in a params folder of their own."""
    monkeypatch.setattr(config, "PARAMS_DIR", tmp_path / "params")
    (tmp_path / "params").mkdir()
    root = ffpp_crop_tree(tmp_path / "crops")
    for name, other in (("first", "second"), ("second", "first")):
        (tmp_path / "params" / f"{name}.yaml").write_text(PROFILE.format(name=name, root=root, other=other))
    return root


def test_a_runs_split_comes_from_its_index_or_else_from_its_profile(profiles):
    from_profile = reference.reference_index("first")
    assert from_profile["split"].tolist() == index_faces(profiles, seed=5, fractions={"train": 0.5, "val": 0.25,
                                                                                      "test": 0.25})["split"].tolist()
    made = from_profile.assign(split="test")
    write_index(made, config.artifacts_dir("first") / "index.csv")
    assert (reference.reference_index("first")["split"] == "test").all()  # the run's own index wins once made
    assert reference.run_compression("second") == {"crf": 40, "crf_face_side": 150}  # from the profile
    with pytest.raises(ParamsError, match="no profile"):
        reference.reference_index("absent")


def test_run_targets_become_index_targets_with_the_runs_reencoding(profiles, tmp_path):
    resolved = reference.resolve_targets({"other test": {"run": "second", "split": "test"},
                                          "videos": {"dataset": "ffpp", "root": "/data"}}, tmp_path / "out")
    assert resolved["videos"] == {"dataset": "ffpp", "root": "/data"}
    target = resolved["other test"]
    assert target["crf"] == 40 and target["crf_face_side"] == 150 and target["split"] == "test"
    written = pd.read_csv(target["index"])
    assert len(written) == 24 and (tmp_path / "out" / "other-test" / "index.crops.csv").is_file()
    with pytest.raises(ParamsError, match="takes run and split"):
        reference.resolve_targets({"x": {"run": "second", "root": "/data"}}, tmp_path / "out")


def test_gathered_metrics_name_every_test_split_by_its_run_and_fill_the_compression_matrix(profiles):
    for name in ("first", "second"):
        rows = [
            {"model": "frames", "dataset": "own test split", "method": "all", "auc": 0.9 if name == "first" else 0.7},
            {"model": "frames", "dataset": "other test", "method": "all", "auc": 0.6 if name == "first" else 0.8},
        ]
        path = config.artifacts_dir(name) / "cross_dataset" / "metrics.csv"
        path.parent.mkdir(parents=True)
        pd.DataFrame(rows).to_csv(path, index=False)
    gathered, notes = reference.gathered_metrics(["first", "second", "third"])
    assert notes == [
        f"third: no cross-dataset metrics yet ({config.artifacts_dir('third')}/cross_dataset/metrics.csv); "
        "run its profile (notebook 08)"
    ]
    assert set(gathered["dataset"]) == {"first test", "second test"}
    matrix = reference.compression_matrix(gathered, {"clean": "first", "c40": "second"}, "frames")
    assert matrix.loc["clean", "clean"] == 0.9 and matrix.loc["clean", "c40"] == 0.6
    assert matrix.loc["c40", "c40"] == 0.7 and matrix.loc["c40", "clean"] == 0.8
