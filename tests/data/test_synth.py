"""SynthDF: plan invariants, determinism, layout, resumability and what makes a fake a fake."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pandas as pd
import pytest

from dfutils.data.datasets import check_no_leak, index_ffpp
from dfutils.data.synthdf import generator
from dfutils.data.synthdf.generator import (
    FaceGeometry,
    SynthConfig,
    build_synthdf,
    expression_field,
    plan_benchmark,
)
from dfutils.data.video import read_frames as decode
from dfutils.errors import UserInputError

TINY = SynthConfig(
    identities=("elton_john", "jerry_seinfeld", "madonna", "friends_3", "grid_4", "carphone"),
    clips_per_identity=2, seconds=1.0, compressions=("c0", "c23"),
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthdf") / "tiny"
    manifest = build_synthdf(root, size="tiny", seed=5, workers=2, progress=False, config=TINY)
    return root, manifest


def test_plan_keeps_identities_in_one_split_and_pairs_different_people():
    plans = plan_benchmark(generator.SIZES["smoke"], seed=3)
    assert len(plans) == 8 * 2 and len({p.number for p in plans}) == len(plans)
    split_of_identity = {}
    for plan in plans:
        assert split_of_identity.setdefault(plan.identity, plan.split) == plan.split
    by_number = {p.number: p for p in plans}
    for plan in plans:
        partner = by_number[plan.partner]
        assert partner.partner == plan.number and partner.split == plan.split and partner.identity != plan.identity
    assert sorted(pd.Series(split_of_identity).value_counts().tolist()) == [2, 2, 4]
    assert plan_benchmark(generator.SIZES["smoke"], seed=3) == plans
    assert plan_benchmark(generator.SIZES["smoke"], seed=4) != plans


def test_pairing_never_pairs_a_person_with_themself_whatever_the_split_size():
    for people in range(3, 12):
        config = replace(TINY, identities=tuple(generator.config_identities(generator.SIZES["demo"])[:people * 3]),
                         clips_per_identity=4, val_fraction=0.3, test_fraction=0.3)
        plans = plan_benchmark(config, seed=people)
        by_number = {p.number: p for p in plans}
        assert all(by_number[p.partner].identity != p.identity for p in plans)


@pytest.mark.parametrize("bad", [{"clips_per_identity": 3}, {"identities": ("nobody",) * 6},
                                 {"identities": ("madonna", "carphone")}, {"morphs": 500}])
def test_plan_rejects_impossible_configs(bad):
    with pytest.raises(UserInputError):
        plan_benchmark(replace(TINY, **bad), seed=0)


def test_expression_field_moves_only_the_mouth_region():
    landmarks = np.array([(100, 100), (150, 100), (125, 125), (105, 155), (145, 155)], float)
    geometry = FaceGeometry.from_landmarks(landmarks)
    dx, dy = expression_field(geometry, 256, mouth_open=1.0, blink=0.0)
    assert dy[175, 125] > 3  # below the mouth: pulled down
    assert abs(dy[140, 125]) < 0.5  # upper lip stays
    assert np.abs(dy[:, :40]).max() < 0.05 and np.abs(dy[10:60]).max() < 1e-3  # far away: sub-pixel at most
    zero_x, zero_y = expression_field(geometry, 256, 0.0, 0.0)
    assert not zero_x.any() and not zero_y.any()
    _, blink_dy = expression_field(geometry, 256, 0.0, 1.0)
    assert blink_dy[98, 100] > 1 and blink_dy[98, 150] > 1


def test_real_clip_rendering_is_deterministic_in_the_seed():
    first = generator.render_real_clip("madonna", 0, seed=1, config=TINY)
    again = generator.render_real_clip("madonna", 0, seed=1, config=TINY)
    other = generator.render_real_clip("madonna", 0, seed=2, config=TINY)
    assert np.array_equal(first.frames, again.frames) and np.array_equal(first.landmarks, again.landmarks)
    assert not np.array_equal(first.frames, other.frames)
    assert first.frames.shape == (25, 256, 256, 3)
    # not a rigid still: consecutive frames differ, and the mouth moves
    assert np.abs(np.diff(first.frames.astype(int), axis=0)).mean() > 1
    assert first.mouth_open.max() > 0.3


def test_layout_is_read_unchanged_by_the_ffpp_indexer(tiny):
    root, manifest = tiny
    assert len(manifest) == 12 * 5 * 2
    index = index_ffpp(root, seed=0)
    assert len(index) == len(manifest)
    assert set(index["method"]) == {"real", *generator.METHODS} and set(index["compression"]) == {"c0", "c23"}
    splits = {s: json.loads((root / "splits" / f"{s}.json").read_text()) for s in ("train", "val", "test")}
    merged = manifest.merge(index[["video_id", "split"]], on="video_id", suffixes=("_manifest", "_index"))
    assert (merged["split_manifest"] == merged["split_index"]).all()  # the official pairs decided
    assert sum(len(pairs) for pairs in splits.values()) == 6
    check_no_leak(index)
    assert manifest.groupby("identity")["split"].nunique().max() == 1
    assert set(manifest["identity_kind"]) == {"photos", "video"}
    fakes = manifest[manifest["label"] == 1]
    assert (fakes["identity"] != fakes["source_identity"]).all()


def test_same_seed_gives_the_same_decoded_frames(tiny, tmp_path):
    root, manifest = tiny
    plans = plan_benchmark(TINY, seed=5)
    by_number = {p.number: p for p in plans}
    plan = plans[0]
    task = {"root": str(tmp_path), "seed": 5, "config": asdict(TINY), "plan": asdict(plan),
            "partner": asdict(by_number[plan.partner])}
    generator._build_clip(task)
    for relative in (f"original_sequences/youtube/c23/videos/{plan.number}.mp4",
                     f"manipulated_sequences/FaceSwap/c23/videos/{plan.number}_{plan.partner}.mp4"):
        assert np.array_equal(decode(root / relative), decode(tmp_path / relative)), relative


def test_interrupted_build_resumes_and_refuses_other_settings(tiny):
    root, manifest = tiny
    victim = root / manifest[manifest["method"] == "Deepfakes"]["video_id"].iloc[0]
    keeper = root / manifest[manifest["method"] == "real"]["video_id"].iloc[0]
    expected = decode(victim)
    victim.unlink()
    kept_mtime = keeper.stat().st_mtime_ns
    again = build_synthdf(root, size="tiny", seed=5, workers=1, progress=False, config=TINY)
    assert again.equals(manifest)
    assert np.array_equal(decode(victim), expected)
    assert keeper.stat().st_mtime_ns == kept_mtime  # finished videos are not redone
    with pytest.raises(UserInputError, match="holds a SynthDF built with other settings"):
        build_synthdf(root, size="tiny", seed=6, workers=1, progress=False, config=TINY)


@pytest.fixture(scope="module")
def detector():
    from mtcnn import MTCNN

    return MTCNN()


def _largest_face(detector, frame):
    faces = detector.detect_faces(frame)
    return max(faces, key=lambda f: f["box"][2] * f["box"][3]) if faces else None


@pytest.mark.slow
def test_mtcnn_finds_a_face_in_sampled_frames_of_every_method(tiny, detector):
    root, manifest = tiny
    sample = manifest[manifest["compression"] == "c23"].groupby("method").head(2)
    found = total = 0
    for video_id in sample["video_id"]:
        frames = decode(root / video_id)
        for frame in frames[:: max(1, len(frames) // 4)]:
            total += 1
            found += _largest_face(detector, frame) is not None
    assert found / total >= 0.95, f"faces in {found}/{total} sampled frames"


@pytest.mark.slow
def test_fakes_differ_from_their_original_only_inside_the_face(tiny, detector):
    root, manifest = tiny
    lossless = manifest[(manifest["compression"] == "c0") & (manifest["label"] == 1)]
    for method, rows in lossless.groupby("method"):
        row = rows.iloc[0]
        original = decode(root / f"original_sequences/youtube/c0/videos/{row['target_clip']}.mp4").astype(np.float32)
        fake = decode(root / row["video_id"]).astype(np.float32)
        assert original.shape == fake.shape  # same length and size
        inside, outside = [], []
        for t in range(0, len(original), 6):
            face = _largest_face(detector, original[t].astype(np.uint8))
            x, y, w, h = face["box"]
            grow = 0.35  # dilate the detector's box by 35% of its size on every side
            mask = np.zeros(original.shape[1:3], bool)
            mask[
                max(0, int(y - grow * h)) : int(y + h + grow * h), max(0, int(x - grow * w)) : int(x + w + grow * w)
            ] = True
            difference = np.abs(fake[t] - original[t]).mean(axis=2)
            outside.append(difference[~mask].mean())
            core = np.zeros_like(mask)
            core[y:y + h, x:x + w] = True
            inside.append(difference[core].mean())
        assert np.mean(outside) < 0.05, (method, np.mean(outside))
        assert np.mean(inside) > 0.4, (method, np.mean(inside))
