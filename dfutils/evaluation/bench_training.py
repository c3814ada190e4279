"""``dfutils bench train``: training and scoring speed of the networks under every installed Keras backend, in
float32 and in bfloat16 mixed precision, beside TensorFlow float32, and whether they compute the same thing.

Two networks, as the profiles train them: Paper B's frame classifier (EfficientNet-Lite0 with its ImageNet
weights, a face crop per image, batch 32) and Paper A's clip model (the same backbone on each frame of a clip,
then the LSTM and dense head, batch 4 clips). Each backend runs in a process of its own (Keras fixes its backend
when first imported). Every process starts from the same weights (the first writes them, the others load
them: random initialisers differ between backends), with dropout off and the same random images and labels,
so their losses must agree: ``first_loss_gap`` is the first step's relative distance from TensorFlow float32's
(the same computation: within :data:`FIRST_LOSS_TOLERANCE`, ``same_first_loss``), ``loss_gap`` the distance after
the timed steps (within :data:`LOSS_TOLERANCE` at the profiles' size, ``same_loss``); bfloat16, whose 8-bit
mantissa rounds every product, within :data:`BF16_LOSS_TOLERANCE`.

One JSON line per backend and precision: images/s trained and scored for each network, the first step's time
(tracing or compiling), the loss, the ratios to TensorFlow float32 (``train_speedup``...), and the time the
frame classifier's data (a JPEG crop cache read and resized by ``FrameDataset``) takes to serve a batch with its
share of a training step (``frames_data_share``: what training waits for its data at most, with no prefetching).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dfutils.errors import UserInputError

BACKENDS = ("tensorflow", "jax", "torch")
PRECISIONS = ("float32", "mixed_bfloat16")
# relative: the first step's loss (the same weights and batch through each backend's arithmetic) and the loss after
# the timed steps (each update carries the backends' rounding on: at 160 px after 7 steps float32 agrees within 0.3%,
# on a tiny test input one update on 4 images can already part them by several percent)
FIRST_LOSS_TOLERANCE = 1e-3
LOSS_TOLERANCE = 0.01
BF16_LOSS_TOLERANCE = 0.05
NETWORKS = ("frames", "clips")


def installed_backends() -> list[str]:
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def _network(kind: str, size: int, frames: int):
    """The network of ``kind`` as the profiles train it (ImageNet start, the papers' heads), every dropout off
    (the head's and the backbone's stochastic depth: random draws differ between backends)."""
    import keras

    from dfutils.nets import architectures, training

    if kind == "frames":
        model = architectures.build_frame_classifier("efficientnet_lite0", size, "imagenet", 512, 0.0)
        optimizer = training.paper_b_nadam(3e-4, 0.004)
    else:
        model = architectures.build_time_distributed("efficientnet_lite0", frames, size, "imagenet", 128, 64, 0.0)
        optimizer = keras.optimizers.Adam(3e-4)
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    return training.compile_model(model, optimizer)


def measure(kind: str, size: int, batch_size: int, steps: int, frames: int, weights: Path) -> dict:
    """One network's figures in this process's backend and precision (see the module docstring)."""
    import numpy as np

    model = _network(kind, size, frames)
    if weights.is_file():
        model.load_weights(weights)
    else:
        model.save_weights(weights)
    shape = (size, size, 3) if kind == "frames" else (frames, size, size, 3)
    generator = np.random.default_rng(0)
    images = generator.uniform(0, 255, (batch_size * (steps + 1), *shape)).astype("float32")
    labels = (np.arange(len(images)) % 2).astype("float32")
    per_item = 1 if kind == "frames" else frames
    start = time.perf_counter()
    first_loss = model.train_on_batch(images[:batch_size], labels[:batch_size])
    first = time.perf_counter() - start
    start = time.perf_counter()
    for step in range(1, steps + 1):
        batch = slice(step * batch_size, (step + 1) * batch_size)
        loss = model.train_on_batch(images[batch], labels[batch])
    train_seconds = time.perf_counter() - start
    model.predict_on_batch(images[:batch_size])
    start = time.perf_counter()
    for step in range(steps):
        model.predict_on_batch(images[step * batch_size:(step + 1) * batch_size])
    predict_seconds = time.perf_counter() - start
    loss = float(np.ravel(loss)[0])
    return {f"{kind}_first_step_s": round(first, 2), f"{kind}_first_loss": float(np.ravel(first_loss)[0]),
            f"{kind}_train_images_per_s": round(steps * batch_size * per_item / train_seconds, 1),
            f"{kind}_predict_images_per_s": round(steps * batch_size * per_item / predict_seconds, 1),
            f"{kind}_loss": loss}


def worker(backend: str, precision: str, options: dict) -> dict:
    """What one process measures (run with ``KERAS_BACKEND`` set to ``backend``)."""
    import keras

    if keras.backend.backend() != backend:
        raise RuntimeError(f"KERAS_BACKEND={backend}, but Keras runs {keras.backend.backend()}")
    keras.mixed_precision.set_global_policy(precision)
    figures = {"bench": "train", "backend": backend, "precision": precision}
    for kind in NETWORKS:
        figures.update(measure(kind, options["size"], options[f"{kind}_batch"], options["steps"], options["frames"],
                               Path(options["weights"]) / f"{kind}.weights.h5"))
    return figures


def data_seconds_per_batch(size: int, batch_size: int, frames: int, batches: int = 20) -> float:
    """Seconds the training data takes to serve one batch of the frame classifier: a crop cache of random faces
    (JPEG, as extraction stores them, cut at 240 px and resized as training reads them) through ``FrameDataset``
    with its shuffling, in this process and thread, as ``fit`` reads it."""
    import numpy as np
    import pandas as pd

    from dfutils.faces.crop_files import FaceCrops, save_crops
    from dfutils.nets.clips import FrameDataset

    videos = batches * batch_size // frames + 1
    generator = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as scratch:
        rows = []
        for number in range(videos):
            crops = generator.integers(0, 256, (frames, 240, 240, 3), dtype=np.uint8)
            save_crops(FaceCrops(f"v{number}", crops, np.arange(frames), np.zeros((frames, 4)), np.ones(frames, bool),
                                 1, frames, {"codec": "jpeg", "quality": 95}), Path(scratch) / f"v{number}.npz")
            rows.append({"video_id": f"v{number}", "label": number % 2, "crops": f"v{number}.npz"})
        dataset = FrameDataset(pd.DataFrame(rows), scratch, frames, size, batch_size, shuffle=True, seed=0)
        start = time.perf_counter()
        for index in range(batches):
            dataset[index]
        return (time.perf_counter() - start) / batches


def bench_train(backends: list[str] | None = None, precisions=PRECISIONS, size: int = 160, steps: int = 6,
                frames_batch: int = 32, clips_batch: int = 4, frames: int = 5) -> list[dict]:
    """Every backend and precision (see the module docstring), TensorFlow float32 first: its figures are the
    baseline every other line's ratios and loss gaps are taken against."""
    available = installed_backends()
    backends = list(backends or available)
    missing = [name for name in backends if name not in available]
    if missing or "tensorflow" not in backends:
        raise UserInputError(f"bench train: {', '.join(missing) or 'tensorflow'} not installed (installed: "
                             f"{', '.join(available)}); TensorFlow float32 is the baseline, so it runs first")
    order = [("tensorflow", "float32")] + [
        (b, p) for b in backends for p in precisions if (b, p) != ("tensorflow", "float32")
    ]
    lines = []
    with tempfile.TemporaryDirectory() as scratch:
        options = {"size": size, "steps": steps, "frames_batch": frames_batch, "clips_batch": clips_batch,
                   "frames": frames, "weights": scratch}
        for backend, precision in order:
            environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
            done = subprocess.run([sys.executable, "-m", "dfutils.evaluation.bench_training", backend, precision,
                                   json.dumps(options)], env=environment, capture_output=True, text=True)
            if done.returncode != 0:
                lines.append({"bench": "train", "backend": backend, "precision": precision,
                              "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"})
                continue
            lines.append(json.loads(done.stdout.strip().splitlines()[-1]))
    data = data_seconds_per_batch(size, frames_batch, frames)
    for line in lines:  # the share of a training step spent waiting for its batch, were the batch not prefetched
        if "error" not in line:
            step = frames_batch / line["frames_train_images_per_s"]
            line["frames_data_s_per_batch"] = round(data, 4)
            line["frames_data_share"] = round(data / (data + step), 4)
    return with_ratios(lines)


def with_ratios(lines: list[dict]) -> list[dict]:
    """Each line with its ratios to the first (TensorFlow float32) and its loss gap from it."""
    base = lines[0]
    for line in lines:
        if "error" in line:
            continue
        for kind in NETWORKS:
            line[f"{kind}_train_speedup"] = round(
                line[f"{kind}_train_images_per_s"] / base[f"{kind}_train_images_per_s"], 2
            )
            line[f"{kind}_predict_speedup"] = round(
                line[f"{kind}_predict_images_per_s"] / base[f"{kind}_predict_images_per_s"], 2)
            gap = abs(line[f"{kind}_loss"] - base[f"{kind}_loss"]) / max(abs(base[f"{kind}_loss"]), 1e-12)
            tolerance = LOSS_TOLERANCE if line["precision"] == "float32" else BF16_LOSS_TOLERANCE
            line[f"{kind}_loss_gap"] = round(gap, 5)
            line[f"{kind}_same_loss"] = bool(gap <= tolerance)
            if f"{kind}_first_loss" in line:  # the first step's loss: the same weights, data and arithmetic
                first = abs(line[f"{kind}_first_loss"] - base[f"{kind}_first_loss"]) / max(
                    abs(base[f"{kind}_first_loss"]), 1e-12
                )
                line[f"{kind}_first_loss_gap"] = round(first, 6)
                line[f"{kind}_same_first_loss"] = bool(first <= (FIRST_LOSS_TOLERANCE if line["precision"] == "float32"
                                                                 else BF16_LOSS_TOLERANCE))
    return lines


if __name__ == "__main__":  # one worker process: backend, precision, options (JSON)
    print(json.dumps(worker(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))), flush=True)
