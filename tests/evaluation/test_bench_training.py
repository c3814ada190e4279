"""``dfutils bench train``: every installed backend and precision beside TensorFlow float32, from the same weights."""

from __future__ import annotations

import json

import pytest

from dfutils.cli import main
from dfutils.errors import UserInputError
from dfutils.evaluation import bench_training


@pytest.mark.slow
def test_bench_train_prints_each_backend_beside_tensorflow_float32(capsys, monkeypatch):
    """A tiny run (32 px, one timed step): TensorFlow float32 first, JAX in float32; each line's rates, its ratios
    to the first line, its loss gap within the tolerance (the same weights and data), and the data's share."""
    real_bench = bench_training.bench_train
    monkeypatch.setattr(bench_training, "bench_train", lambda backends, **kw: real_bench(
        backends, precisions=("float32",), size=32, steps=1, frames_batch=4, clips_batch=1, frames=2))
    assert main(["bench", "train", "--backend", "tensorflow", "--backend", "jax"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["backend"], line["precision"]) for line in lines] == [("tensorflow", "float32"), ("jax", "float32")]
    base, jax = lines
    assert base["frames_train_speedup"] == base["clips_predict_speedup"] == 1.0 and base["frames_loss_gap"] == 0
    for line in lines:
        assert line["frames_train_images_per_s"] > 0 and line["clips_predict_images_per_s"] > 0
        assert 0 < line["frames_data_share"] < 1
    assert jax["frames_train_speedup"] == pytest.approx(
        jax["frames_train_images_per_s"] / base["frames_train_images_per_s"], abs=0.01)
    # the same computation: the first step's loss agrees (a tiny batch's updates may then part the curves)
    assert jax["frames_same_first_loss"] and jax["clips_same_first_loss"], (jax["frames_first_loss_gap"],
                                                                           jax["clips_first_loss_gap"])


def test_a_backend_not_installed_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(bench_training, "installed_backends", lambda: ["tensorflow", "jax"])
    with pytest.raises(UserInputError, match="torch not installed"):
        bench_training.bench_train(["tensorflow", "torch"])
    with pytest.raises(UserInputError, match="TensorFlow float32 is the baseline"):
        bench_training.bench_train(["jax"])


def test_ratios_and_loss_agreement_against_the_first_line():
    lines = bench_training.with_ratios([
        {"precision": "float32", **{f"{k}_train_images_per_s": 10.0 for k in ("frames", "clips")},
         **{f"{k}_predict_images_per_s": 100.0 for k in ("frames", "clips")}, "frames_loss": 0.5, "clips_loss": 0.6},
        {"precision": "mixed_bfloat16", **{f"{k}_train_images_per_s": 5.0 for k in ("frames", "clips")},
         **{f"{k}_predict_images_per_s": 150.0 for k in ("frames", "clips")}, "frames_loss": 0.52, "clips_loss": 0.66},
        {"precision": "float32", "error": "ImportError: no module"}])
    assert "frames_first_loss_gap" not in lines[1]  # lines that did not record a first step's loss
    assert lines[1]["frames_train_speedup"] == 0.5 and lines[1]["clips_predict_speedup"] == 1.5
    assert lines[1]["frames_loss_gap"] == 0.04 and lines[1]["frames_same_loss"]  # bfloat16: within 5%
    assert lines[1]["clips_loss_gap"] == 0.1 and not lines[1]["clips_same_loss"]
    assert "frames_train_speedup" not in lines[2]
