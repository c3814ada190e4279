"""Every detector on the JAX and the PyTorch backend, model files across backends, and data-parallel training.

Each step runs in a fresh process (a Keras backend is fixed when Keras is first imported):
tests/backend_worker.py builds and trains, saves, loads and scores. Needs jax (a development
dependency, installed by ``make setup``); PyTorch joins where it is installed (``make setup TORCH=1``, the
``torch`` extra: the GPU machines carry it, and a CPU build is a large download, so it is not a default).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax", reason="the JAX backend tests need jax[cpu] (make setup installs it)")
pytestmark = [pytest.mark.slow, pytest.mark.minutes(4)]

WORKER = Path(__file__).with_name("backend_worker.py")
DETECTORS = ("time_distributed", "frames", "lstm", "gru", "conv3d", "triplet")
# TensorFlow and JAX always (make setup installs both); PyTorch where installed
BACKENDS = ("jax", "tensorflow") + (("torch",) if importlib.util.find_spec("torch") else ())


def work(backend: str, *args, cache: Path, devices: int | None = None) -> None:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if backend == "jax":  # compiled once for all this module's JAX processes (they build the same networks)
        env.update(JAX_COMPILATION_CACHE_DIR=str(cache), JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                   JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
    if devices:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    done = subprocess.run([sys.executable, str(WORKER), *map(str, args)], env=env, capture_output=True, text=True,
                          cwd=WORKER.parent.parent, timeout=900)
    assert done.returncode == 0, f"{backend} {args}: {done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def compilations(tmp_path_factory) -> Path:
    """JAX's persistent compilation cache for this module's processes."""
    return tmp_path_factory.mktemp("jax-compilations")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, compilations):
    """Every detector trained and saved under each backend, then loaded and scored in a fresh
    process of each backend."""
    folders = {}
    for backend in BACKENDS:
        folders[backend] = tmp_path_factory.mktemp(f"saved-{backend}")
        work(backend, "train", folders[backend], cache=compilations)
    for backend in BACKENDS:
        work(backend, "predict", *folders.values(), cache=compilations)
    return folders


@pytest.mark.parametrize("saved_by", BACKENDS)
def test_every_detector_trains_saves_and_loads_in_a_fresh_process_under_every_backend(saved, saved_by):
    folder = saved[saved_by]
    for detector in DETECTORS:
        losses = np.load(folder / f"{detector}.losses.npy")
        assert np.isfinite(losses).all() and len(losses) == 2
        reference = np.load(folder / f"{detector}.scores.npy")
        assert len(reference) == 6 and np.ptp(reference) > 0, f"{detector}: scores must depend on the input"
        for loaded_by in BACKENDS:
            # the same backend repeats its scores; the other one agrees to float32 rounding
            again = np.load(folder / f"{detector}.{loaded_by}.npy")
            np.testing.assert_allclose(again, reference, atol=1e-5 if loaded_by == saved_by else 2e-4,
                                       err_msg=f"{detector} saved by {saved_by}, loaded by {loaded_by}")


def test_each_backend_trains_its_own_weights_from_the_same_seed(saved):
    # a sanity check on the test itself: each backend's files are its own, not copies
    scores = {backend: np.load(saved[backend] / "conv3d.scores.npy") for backend in BACKENDS}
    for backend in BACKENDS[1:]:
        assert not np.allclose(scores[BACKENDS[0]], scores[backend]), backend


def test_facenet_embeds_the_same_faces_alike_under_every_backend(saved):
    tf_embeddings = np.load(saved["tensorflow"] / "facenet.tensorflow.npy")
    assert tf_embeddings.shape == (4, 128)
    for backend in BACKENDS:
        np.testing.assert_allclose(np.load(saved[backend] / f"facenet.{backend}.npy"), tf_embeddings, atol=1e-3,
                                   err_msg=backend)


def test_data_parallel_training_on_two_devices_follows_the_one_device_loss_curve(tmp_path, compilations):
    work("jax", "parallel", tmp_path, 1, 2, cache=compilations, devices=2)
    one, two = np.load(tmp_path / "losses-1.npy"), np.load(tmp_path / "losses-2.npy")
    assert len(one) == len(two) == 2 and one[1] < one[0]  # it learns
    np.testing.assert_allclose(two, one, rtol=1e-4)


def test_more_devices_than_there_are_is_a_clear_error():
    from dfutils.errors import UserInputError
    from dfutils.nets.training import use_devices

    assert use_devices(1) == 1
    with pytest.raises(UserInputError, match="devices"):
        use_devices(-1)
    import keras

    if keras.backend.backend() != "jax":
        with pytest.raises(UserInputError, match="KERAS_BACKEND=jax"):
            use_devices(2)
