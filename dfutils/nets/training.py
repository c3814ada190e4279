"""Training machinery shared by both papers: optimizers, devices, fit, predict.

- The clips models train on come from :mod:`dfutils.nets.clips`.
- :func:`fit` trains with validation data, keeps the best model by validation
  AUC, stops early, logs a CSV history and TensorBoard, and resumes an
  interrupted training from its last epoch (``keras.callbacks.BackupAndRestore``).
- Model files (the network with the settings it expects) are written and read
  by :mod:`dfutils.detectors.model_files`.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from dfutils.errors import UserInputError
from dfutils.nets.clips import ClipDataset
from dfutils.predictions import video_columns


def paper_b_nadam(learning_rate: float, schedule_decay: float) -> keras.optimizers.Optimizer:
    """Nadam with Paper B's settings in Keras 3.

    Keras 2's ``Nadam(schedule_decay=...)`` is gone: Keras 3's Nadam has the momentum
    warm-up built in with no argument. Paper B's ``schedule_decay`` is mapped here to a
    learning-rate decay of the same size per step, ``lr_t = lr / (1 + schedule_decay * t)``
    (``keras.optimizers.schedules.InverseTimeDecay`` with ``decay_steps=1``), the
    behaviour of Keras 2's per-step ``decay`` argument.
    """
    schedule = keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=schedule_decay)
    return keras.optimizers.Nadam(learning_rate=schedule)


def balanced_class_weight(labels) -> dict:
    """Weights that make both classes count equally in the loss (scikit-learn's "balanced")."""
    labels = np.asarray(labels).astype(int)
    counts = np.bincount(labels, minlength=2)
    if counts.min() == 0:
        raise UserInputError(f"training data has only one class (reals {counts[0]}, fakes {counts[1]})")
    return {k: len(labels) / (2 * counts[k]) for k in (0, 1)}


class Retrainer:
    """Train one compiled model several times from fresh starts without tracing it again.

    Each new Xception costs about 20 s of graph tracing on a 2-core CPU before its
    first step; a bagging ensemble built this way pays that once. ``restart(initial)``
    gives the model every variable of ``initial``, a new model of the same architecture
    (its weights and its dropout layers' random-number states), and puts the optimizer
    back in its initial state (step counter, moments), so every run is what training
    ``initial`` itself would do.
    """

    def __init__(self, model: keras.Model):
        self.model = build_optimizer(model)  # raises for a model that is not compiled
        self._optimizer_state = [np.array(variable) for variable in model.optimizer.variables]

    def restart(self, initial: keras.Model) -> keras.Model:
        for variable, value in zip(self.model.variables, initial.variables, strict=True):
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(f"restart: {initial.name} is not {self.model.name}'s architecture "
                                 f"({value.path} {tuple(value.shape)} for {variable.path} {tuple(variable.shape)})")
            variable.assign(value)
        for variable, value in zip(self.model.optimizer.variables, self._optimizer_state, strict=True):
            variable.assign(value)
        return self.model


def compile_model(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> keras.Model:
    model.compile(
        optimizer=optimizer,
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return build_optimizer(model)


def build_optimizer(model: keras.Model) -> keras.Model:
    """Create a compiled model's optimizer variables now, before its first training step.

    Left to that step, TensorFlow creates them while tracing it and then traces the step again
    without them: the graph of a whole training step built twice (an Xception's first step on a
    2-core CPU took 35 s instead of 22). Creating zeros draws no random numbers: training is unchanged.
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"build_optimizer: {model.name} is not compiled")
    if model.built and model.trainable_variables and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model


def use_mixed_precision_if_gpu() -> bool:
    """Mixed float16 on a GPU (the output layer stays float32); nothing changes on a CPU."""
    import keras.backend as K

    backend = K.backend()
    try:
        if backend == "jax":
            import jax

            gpu = any(device.platform == "gpu" for device in jax.devices())
        elif backend == "tensorflow":
            import tensorflow as tf

            gpu = bool(tf.config.list_physical_devices("GPU"))
        else:
            gpu = False
    except Exception:  # noqa: BLE001 - no device query means no GPU to use
        gpu = False
    if gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
    return gpu


def use_devices(devices: int) -> int:
    """Train data-parallel on the first ``devices`` accelerators through Keras' distribution API (each
    batch split across them, gradients combined by the backend); 1 leaves Keras' default placement,
    0 takes every device. Returns the number used. Keras distributes on the JAX backend only."""
    if devices < 0:
        raise UserInputError(f"devices: must be 0 (all) or more, got {devices}")
    if devices == 1:
        return 1
    backend = keras.backend.backend()
    if backend != "jax":
        raise UserInputError(f"devices: {devices} needs KERAS_BACKEND=jax (Keras distributes training on JAX "
                             f"only); this process runs {backend}; set devices: 1 or start Jupyter/the runner "
                             "with KERAS_BACKEND=jax")
    available = keras.distribution.list_devices()
    if devices > len(available):
        raise UserInputError(f"devices: {devices} asked for, {len(available)} available ({', '.join(available)})")
    chosen = available[: devices or len(available)]
    if len(chosen) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=chosen))
    return len(chosen)


class _Backup(keras.callbacks.BackupAndRestore):
    """Keras' backup of an unfinished training, less the one after the last epoch: training ends
    a moment later and deletes it (writing an Xception's weights and optimizer state takes seconds)."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.params.get("epochs", epoch + 2):
            super().on_epoch_end(epoch, logs)


def _data_digest(data) -> str:
    """What a training or validation set is: a dataset's videos, labels and reading settings, or the arrays."""
    import hashlib

    digest = hashlib.sha1()
    if isinstance(data, tuple):
        for array in data:
            value = np.ascontiguousarray(array)
            digest.update(f"{value.shape}{value.dtype}".encode())
            digest.update(value.tobytes())
        return digest.hexdigest()
    table = data.table[[column for column in ("video_id", "label", "crops") if column in data.table]]
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    settings = {key: value for key, value in vars(data).items() if isinstance(value, (int, float, str, bool, tuple))
                and key not in ("epoch",)}
    digest.update(repr((type(data).__name__, sorted(settings.items()), getattr(data, "augmentation", None))).encode())
    return digest.hexdigest()


def training_key(model: keras.Model, train, validation, **settings) -> str:
    """A digest of everything an interrupted training would resume: the model's starting weights (its architecture,
    pretrained start and seed), its optimizer's configuration (learning rate, schedule...), the training and
    validation data and the fit's own settings (epochs, patience, class weights...)."""
    import hashlib
    import json

    optimizer = json.dumps(keras.optimizers.serialize(model.optimizer), sort_keys=True, default=str)
    parts = [weights_fingerprint(model), optimizer, _data_digest(train), _data_digest(validation),
             json.dumps(settings, sort_keys=True, default=str)]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def fit(model: keras.Model, train, validation, out_dir: str | Path,
        epochs: int, patience: int, verbose: int = 2, batch_size: int | None = None,
        class_weight: dict | None = None, checkpoint: bool = True) -> pd.DataFrame:
    """Train with checkpoints, early stopping and logs in ``out_dir``; resumes if interrupted.

    ``train`` and ``validation`` are datasets (``ClipDataset``, ``FrameDataset``) or
    ``(inputs, labels)`` array pairs (then ``batch_size`` applies). Writes
    ``best.weights.h5`` (weights of the best validation AUC, unless ``checkpoint`` is
    false), ``history.csv`` and ``tensorboard/``; ``backup-<key>/`` holds the state of an
    unfinished training and is deleted when training ends. The model ends with its
    best weights either way. Returns the history as a table.

    The backup is keyed by :func:`training_key`: an interrupted fit resumes only when the model's start, its
    optimizer, the data and these settings are all unchanged; any other fit in the folder starts fresh and drops
    the stale backup (a changed learning rate never continues the old weights).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = training_key(model, train, validation, epochs=epochs, patience=patience, batch_size=batch_size,
                       class_weight=class_weight)
    backup = out / f"backup-{key[:16]}"
    for stale in out.glob("backup*"):  # another fit's unfinished state (or a backup of before the key): never read
        if stale != backup and stale.is_dir():
            import shutil

            shutil.rmtree(stale)
    callbacks = [
        _Backup(str(backup)),
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=patience, restore_best_weights=True),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=backup.exists()),
        keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False, profile_batch=0),
    ]
    if checkpoint:
        # weights only: the optimizer state would triple the file (Xception: 88 MB -> 263 MB)
        callbacks.append(keras.callbacks.ModelCheckpoint(str(out / "best.weights.h5"), monitor="val_auc", mode="max",
                                                         save_best_only=True, save_weights_only=True))
    # datasets shuffle themselves (seeded, per epoch); Keras would also reorder their batches
    # with the global NumPy generator, which makes two seeded runs differ
    inputs = ({"x": train[0], "y": train[1], "batch_size": batch_size, "shuffle": True} if isinstance(train, tuple)
              else {"x": train, "shuffle": False})
    model.fit(**inputs, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose,
              class_weight=class_weight)
    return pd.read_csv(out / "history.csv")


def predict_table(model: keras.Model, dataset: ClipDataset) -> pd.DataFrame:
    """Per-video fake probability beside the label."""
    scores = np.concatenate(
        [np.asarray(model.predict_on_batch(dataset[i][0])).reshape(-1) for i in range(len(dataset))]
    )
    table = video_table(dataset)
    table["score"] = scores.astype(float)
    return table


def video_table(dataset: ClipDataset) -> pd.DataFrame:
    """The identifying columns of a dataset's videos, in order: the left half of a prediction table."""
    return video_columns(dataset.table)


def _per_frame(model: keras.Model, dataset: ClipDataset) -> np.ndarray:
    """``model`` applied to every frame of every clip, shape (videos, frames, outputs)."""
    out = []
    for i in range(len(dataset)):
        clips = dataset[i][0]
        flat = clips.reshape(-1, *clips.shape[2:])
        out.append(np.asarray(model.predict_on_batch(flat)).reshape(len(clips), clips.shape[1], -1))
    return np.concatenate(out)


def frame_scores(model: keras.Model, dataset: ClipDataset) -> np.ndarray:
    """Per-frame fake probabilities of a frame classifier, shape (videos, frames)."""
    return _per_frame(model, dataset)[..., 0].astype(float)


def frame_predict_table(model: keras.Model, dataset: ClipDataset) -> pd.DataFrame:
    """Per-video table of a frame classifier: video score = mean of its frame scores (Paper B)."""
    table = video_table(dataset)
    table["score"] = frame_scores(model, dataset).mean(axis=1)
    return table


def clip_embeddings(extractor: keras.Model, dataset: ClipDataset) -> np.ndarray:
    """Per-frame embeddings of every clip, shape (videos, frames, features)."""
    return _per_frame(extractor, dataset).astype(np.float32)


def weights_fingerprint(model: keras.Model) -> str:
    """A digest of every weight of ``model`` (its values, shapes and order): two models with the same weights share
    it, any trained change to one weight changes it. Keys what is computed from a model's outputs."""
    import hashlib

    digest = hashlib.sha1()
    for weight in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()
