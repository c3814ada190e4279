"""The levers study: one lever changed at a time, training people drawn by identity, gains against the demo setting."""

from __future__ import annotations

from dataclasses import asdict, fields

import numpy as np
import pandas as pd
import pytest

from dfutils.detectors import RunData
from dfutils.detectors.settings import FrameSettings
from dfutils.errors import UserInputError
from dfutils.layout import RunLayout
from dfutils.studies import levers

DEMO = FrameSettings(backbone="efficientnet_lite0", size=112, frames_per_video=2, epochs=3, learning_rate=3e-4)


def test_each_variant_changes_exactly_one_setting_of_the_demo_detector():
    plan = levers.variants(DEMO, few_identities=8, epoch_levels=[1, 3, 6], size_levels=[64, 112],
                           self_blended_share=0.5)
    assert [v.lever for v in plan] == ["demo setting", "identities", "pretraining", "schedule", "schedule",
                                       "resolution", "self-blending"]
    assert plan[0].settings(DEMO) == DEMO and plan[0].label == "ImageNet, all identities, 3 epochs, 112 px"
    for variant in plan[1:]:
        settings = variant.settings(DEMO)
        changed = {f.name for f in fields(FrameSettings) if getattr(settings, f.name) != getattr(DEMO, f.name)}
        assert len(changed) + (variant.identities > 0) == 1, variant
        # everything else is the demo detector's: Nadam's rate and decay, frames, batch, patience
        assert {k: v for k, v in asdict(settings).items() if k not in changed} == {
            k: v for k, v in asdict(DEMO).items() if k not in changed}
    assert len({v.slug for v in plan}) == len(plan) and all(v.slug.startswith("levers-") for v in plan)
    assert [v.lever for v in levers.variants(DEMO, 0, [], [], 0.0)] == ["demo setting", "pretraining"]
    assert plan[-1].settings(DEMO).self_blended_share == 0.5


def test_keep_identities_draws_whole_people_and_says_when_there_are_too_few():
    train = pd.DataFrame({"video_id": [f"v{k}" for k in range(40)], "split": "train"})
    people = pd.Series([f"person{k % 10}" for k in range(40)], index=train.index)
    kept = levers.keep_identities(train, people, 3, seed=0)
    assert people.loc[kept.index].nunique() == 3 and len(kept) == 12  # every video of the 3 people
    assert levers.keep_identities(train, people, 3, seed=0).equals(kept)  # seeded
    assert levers.keep_identities(train, people, 0, seed=0).equals(train)
    with pytest.raises(UserInputError, match="10 identities, fewer than 11"):
        levers.keep_identities(train, people, 11, seed=0)


def test_lever_table_scores_each_variant_on_its_own_test_videos():
    generator = np.random.default_rng(0)
    rows = []
    for model, quality in (("frames (levers: a)", 0.6), ("frames (levers: b)", 0.1)):
        for k in range(120):
            label = int(k % 3 != 0)
            rows.append(
                {
                    "model": model,
                    "split": "test",
                    "label": label,
                    "method": "real" if not label else "Deepfakes",
                    "score": float(np.clip(0.5 + quality * (label - 0.5) + generator.normal(0, 0.2), 0, 1)),
                }
            )
    predictions = pd.DataFrame(rows)
    records = [{"lever": "demo setting", "variant": "a", "model": "frames (levers: a)", "seconds": 1.0},
               {"lever": "pretraining", "variant": "b", "model": "frames (levers: b)", "seconds": 1.0}]
    table = levers.lever_table(records, predictions)
    assert table.loc[0, "test_auc"] > 0.9 > table.loc[1, "test_auc"]
    assert (table["auc_low"] <= table["test_auc"]).all() and (table["test_auc"] <= table["auc_high"]).all()
    gain = levers.auc_gain(table)
    assert gain.iloc[0] == 0 and gain.iloc[1] == pytest.approx(table.loc[1, "test_auc"] - table.loc[0, "test_auc"])
    assert "auc Deepfakes" in table


def test_identities_come_from_the_synthdf_manifest_when_there_is_one(tmp_path):
    clips = pd.DataFrame({"video_id": ["a.mp4", "b.mp4", "c.mp4"], "group": ["g1", "g2", "g3"]})
    assert levers.identities_of(clips, tmp_path).tolist() == ["g1", "g2", "g3"]
    (tmp_path / "synthdf").mkdir()
    pd.DataFrame({"video_id": ["a.mp4", "b.mp4"], "identity": ["madonna", "madonna"]}).to_csv(
        tmp_path / "synthdf" / "manifest.csv", index=False)
    assert levers.identities_of(clips, tmp_path).tolist() == ["madonna", "madonna", "g3"]


def _run_data(crop_cache, tmp_path) -> RunData:
    folder, table = crop_cache  # folder/crops/*.npz: the faces folder of a run rooted at tmp_path/run
    root = tmp_path / "run"
    (root / "faces").parent.mkdir(parents=True, exist_ok=True)
    (root / "faces").symlink_to(folder, target_is_directory=True)
    clips = table.assign(split=["train"] * 16 + ["val"] * 4 + ["test"] * 4, group=table["video_id"],
                         method=np.where(table["label"] == 1, "Fake", "real"), compression="c23")
    return RunData(RunLayout(root, root), clips, {"margin": 0.1, "size": 32})


SMALL = FrameSettings(backbone="efficientnet_lite0", size=32, frames_per_video=2, epochs=1, batch_size=8,
                      learning_rate=1e-3)


@pytest.mark.slow
def test_a_variant_is_the_registry_detector_trained_on_its_identities(crop_cache, tmp_path):
    data = _run_data(crop_cache, tmp_path)
    people = pd.Series([f"p{k // 2}" for k in range(len(data.clips))], index=data.clips.index)
    variant = levers.Variant("identities", "4 people", (("weights", "none"),), identities=4)
    scored, record = levers.train_variant(variant, data, SMALL, people, seed=0)
    assert sorted(scored["split"].unique()) == ["test", "val"] and len(scored) == 8
    assert scored["score"].between(0, 1).all()
    assert record["training_videos"] == 8 and record["training_identities"] == 4 and record["epochs_run"] == 1
    written = pd.read_csv(data.layout.model_dir(variant.slug) / "predictions.csv")
    assert set(written["model"]) == {variant.model_name} and len(written) == 8


@pytest.mark.slow
def test_the_self_blending_variant_trains_with_blended_fakes_in_its_batches(crop_cache, tmp_path, monkeypatch):
    import dfutils.nets.clips as clips_module

    data = _run_data(crop_cache, tmp_path)
    served = []
    original = clips_module.SelfBlendedFrames.__getitem__
    monkeypatch.setattr(clips_module.SelfBlendedFrames, "__getitem__",
                        lambda self, index: served.append(index) or original(self, index))
    variant = levers.Variant("self-blending", "+ blends", (("weights", "none"), ("self_blended_share", 0.5)))
    scored, record = levers.train_variant(variant, data, SMALL, data.clips["group"], seed=0)
    assert served and len(scored) == 8 and record["lever"] == "self-blending"
