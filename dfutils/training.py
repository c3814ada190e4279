"""Training machinery shared by both papers: clip datasets from the face cache, fit, predict.

- :class:`ClipDataset` streams batches of face-crop clips (``frames x size x
  size x 3``, floats in [0, 255]) from the per-video crop cache, never holding
  the dataset in memory; optional augmentation (flip, brightness/contrast,
  JPEG re-compression) is off by default.
- :func:`fit` trains with validation data, keeps the best model by validation
  AUC, stops early, logs a CSV history and TensorBoard, and resumes an
  interrupted training from its last epoch (``keras.callbacks.BackupAndRestore``).
- Model files (the network with the settings it expects) are written and read
  by :mod:`dfutils.model_files`.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from .errors import UserInputError
from .faces import load_crops
from .seeding import rng
from .video import even_indices


@dataclass(frozen=True)
class Augmentation:
    flip: bool = False
    brightness_contrast: float = 0.0  # max relative change, e.g. 0.2
    jpeg_quality: int = 0  # re-compress at a random quality in [jpeg_quality, 95]; 0 = off

    @property
    def active(self) -> bool:
        return self.flip or self.brightness_contrast > 0 or self.jpeg_quality > 0


def fit_clip(crops: np.ndarray, frames: int, size: int) -> np.ndarray:
    """``frames`` evenly spaced crops (repeating when a video has fewer) at ``size`` px, float32."""
    import cv2

    if len(crops) >= frames:
        chosen = crops[even_indices(len(crops), frames)]
    else:
        chosen = crops[np.linspace(0, len(crops) - 1, frames).round().astype(int)]
    chosen = chosen.astype(np.float32)
    if chosen.shape[1] != size:
        chosen = np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in chosen])
    return chosen


def augment_clip(clip: np.ndarray, augmentation: Augmentation, generator: np.random.Generator) -> np.ndarray:
    """The same random change for every frame of a clip (a video is flipped as a whole)."""
    import cv2

    if augmentation.flip and generator.uniform() < 0.5:
        clip = clip[:, :, ::-1]
    if augmentation.brightness_contrast > 0:
        amount = augmentation.brightness_contrast
        contrast, brightness = 1 + generator.uniform(-amount, amount), generator.uniform(-amount, amount) * 255
        clip = np.clip((clip - 127.5) * contrast + 127.5 + brightness, 0, 255)
    if augmentation.jpeg_quality > 0:
        quality = int(generator.integers(augmentation.jpeg_quality, 96))
        frames = []
        for frame in clip.astype(np.uint8):
            ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            frames.append(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED))
        clip = np.stack(frames).astype(np.float32)
    return np.ascontiguousarray(clip, dtype=np.float32)


class ClipDataset(keras.utils.PyDataset):
    """Batches of (clips, labels) read from the crop cache, one video per clip.

    ``table`` needs ``video_id``, ``label`` and ``crops`` (the cache file,
    relative to ``faces_dir``). Shuffling and augmentation are seeded and
    change every epoch.
    """

    def __init__(self, table: pd.DataFrame, faces_dir: str | Path, frames: int, size: int, batch_size: int,
                 shuffle: bool = False, augmentation: Augmentation | None = None, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        missing = {"video_id", "label", "crops"} - set(table.columns)
        if missing:
            raise UserInputError(f"clip table: missing column(s) {', '.join(sorted(missing))}")
        if table.empty:
            raise UserInputError("clip table: no videos")
        self.table = table.reset_index(drop=True)
        self.labels = self.table["label"].to_numpy(np.float32)
        self.faces_dir = Path(faces_dir)
        self.frames, self.size, self.batch_size = frames, size, batch_size
        self.shuffle, self.seed = shuffle, seed
        self.augmentation = augmentation or Augmentation()
        self.epoch = 0
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.table))
        return rng(self.seed, "clip-order", self.epoch).permutation(len(self.table))

    def __len__(self) -> int:
        return math.ceil(len(self.table) / self.batch_size)

    def clip(self, row: int) -> np.ndarray:
        crops = load_crops(self.faces_dir / self.table.at[row, "crops"]).crops
        clip = fit_clip(crops, self.frames, self.size)
        if self.augmentation.active:
            clip = augment_clip(clip, self.augmentation, rng(self.seed, "augment", self.epoch, int(row)))
        return clip

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        clips = np.stack([self.clip(int(row)) for row in rows])
        return clips, self.labels[rows]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self._order()


class FrameDataset(ClipDataset):
    """Batches of single face crops (``frames`` per video, each labelled with its video's label).

    Shuffling keeps locality: videos are shuffled, then the frames of each window of
    ``window`` videos are shuffled together, so a bounded cache of decoded videos serves
    every frame.
    """

    def __init__(self, *args, window: int = 64, **kwargs):
        self.window = window
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        super().__init__(*args, **kwargs)

    def _order(self) -> np.ndarray:
        videos, frames = len(self.table), self.frames
        pairs = np.stack(np.meshgrid(np.arange(videos), np.arange(frames), indexing="ij"), -1).reshape(-1, 2)
        if not self.shuffle:
            return pairs
        generator = rng(self.seed, "frame-order", self.epoch)
        video_order = generator.permutation(videos)
        chunks = []
        for start in range(0, videos, self.window):
            block = pairs.reshape(videos, frames, 2)[video_order[start:start + self.window]].reshape(-1, 2)
            chunks.append(block[generator.permutation(len(block))])
        return np.concatenate(chunks)

    def __len__(self) -> int:
        return math.ceil(len(self.table) * self.frames / self.batch_size)

    def _frames_of(self, row: int) -> np.ndarray:
        if row not in self._cache:
            crops = load_crops(self.faces_dir / self.table.at[row, "crops"]).crops
            self._cache[row] = fit_clip(crops, self.frames, self.size)
            while len(self._cache) > 2 * self.window:
                self._cache.popitem(last=False)
        return self._cache[row]

    def __getitem__(self, index: int):
        pairs = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = []
        for row, k in pairs:
            image = self._frames_of(int(row))[int(k)][None]
            if self.augmentation.active:
                image = augment_clip(image, self.augmentation, rng(self.seed, "augment", self.epoch, int(row), int(k)))
            images.append(image[0])
        return np.stack(images), self.labels[pairs[:, 0]]


def paper_b_nadam(learning_rate: float = 0.002, schedule_decay: float = 0.004) -> keras.optimizers.Optimizer:
    """Nadam with Paper B's settings in Keras 3.

    Keras 2's ``Nadam(schedule_decay=...)`` is gone: Keras 3's Nadam has the momentum
    warm-up built in with no argument. Paper B's ``schedule_decay`` is mapped here to a
    learning-rate decay of the same size per step, ``lr_t = lr / (1 + schedule_decay * t)``
    (``keras.optimizers.schedules.InverseTimeDecay`` with ``decay_steps=1``), the
    behaviour of Keras 2's per-step ``decay`` argument.
    """
    schedule = keras.optimizers.schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=schedule_decay)
    return keras.optimizers.Nadam(learning_rate=schedule)


def load_clips(artifacts: str | Path, compressions: list | None = None) -> tuple[pd.DataFrame, dict]:
    """A run's index joined with its face crops (only ``compressions`` when given), checked
    for leaks between splits, and the extraction settings the crops were made with."""
    from .datasets import check_no_leak, read_index

    artifacts = Path(artifacts)
    index = read_index(artifacts / "index.csv")
    if compressions:
        index = index[index["compression"].isin(compressions)]
        if index.empty:
            raise UserInputError(f"compressions: none of {compressions} in {artifacts / 'index.csv'}")
    check_no_leak(index)
    faces = pd.read_csv(artifacts / "faces" / "faces.csv", keep_default_na=False)
    return clip_table(index, faces).reset_index(drop=True), extraction_settings(artifacts / "faces", faces)


def clip_table(index: pd.DataFrame, faces: pd.DataFrame) -> pd.DataFrame:
    """Index rows joined with their crop files; videos without crops are left out (and counted)."""
    usable = faces[(faces["status"] != "failed") & (faces["crops"] != "")][["video_id", "crops"]]
    return index.merge(usable, on="video_id", how="inner")


def balanced_class_weight(labels) -> dict:
    """Weights that make both classes count equally in the loss (scikit-learn's "balanced")."""
    labels = np.asarray(labels).astype(int)
    counts = np.bincount(labels, minlength=2)
    if counts.min() == 0:
        raise UserInputError(f"training data has only one class (reals {counts[0]}, fakes {counts[1]})")
    return {k: len(labels) / (2 * counts[k]) for k in (0, 1)}


class Retrainer:
    """Train one compiled model several times from fresh weights without tracing it again.

    Each new Xception costs about 35 s of graph tracing on a 2-core CPU before its
    first step; a bagging ensemble built this way pays that once. ``restart``
    loads the given weights and puts the optimizer back in its initial state
    (step counter, moments), so every run is what a new model would do.
    """

    def __init__(self, model: keras.Model):
        if model.optimizer is None:
            raise ValueError("Retrainer needs a compiled model")
        self.model = model
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        self._optimizer_state = [np.array(variable) for variable in model.optimizer.variables]

    def restart(self, weights: list) -> keras.Model:
        self.model.set_weights(weights)
        for variable, value in zip(self.model.optimizer.variables, self._optimizer_state, strict=True):
            variable.assign(value)
        return self.model


def compile_model(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> keras.Model:
    model.compile(
        optimizer=optimizer,
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
    )
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


def fit(model: keras.Model, train, validation, out_dir: str | Path,
        epochs: int, patience: int = 5, verbose: int = 2, batch_size: int | None = None,
        class_weight: dict | None = None, checkpoint: bool = True) -> pd.DataFrame:
    """Train with checkpoints, early stopping and logs in ``out_dir``; resumes if interrupted.

    ``train`` and ``validation`` are datasets (``ClipDataset``, ``FrameDataset``) or
    ``(inputs, labels)`` array pairs (then ``batch_size`` applies). Writes
    ``best.weights.h5`` (weights of the best validation AUC, unless ``checkpoint`` is
    false), ``history.csv`` and ``tensorboard/``; ``backup/`` holds the state of an
    unfinished training and is deleted when training ends. The model ends with its
    best weights either way. Returns the history as a table.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=patience, restore_best_weights=True),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=(out / "backup").exists()),
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
    scores = np.concatenate([np.asarray(model.predict_on_batch(dataset[i][0])).reshape(-1) for i in range(len(dataset))])
    table = video_table(dataset)
    table["score"] = scores.astype(float)
    return table


VIDEO_INFO_COLUMNS = ("method", "compression", "split", "group")


def video_table(dataset: ClipDataset) -> pd.DataFrame:
    """The identifying columns of a dataset's videos, in order: the left half of a prediction table."""
    return dataset.table[["video_id", "label"] + [c for c in VIDEO_INFO_COLUMNS if c in dataset.table]].copy()


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


def extraction_settings(faces_dir: str | Path, faces: pd.DataFrame) -> dict:
    """The extraction settings the crops of a faces folder were made with (from one cache file)."""
    usable = faces[(faces["status"] != "failed") & (faces["crops"] != "")]
    if usable.empty:
        raise UserInputError(f"{faces_dir}: no face crops to read settings from")
    settings = load_crops(Path(faces_dir) / usable["crops"].iloc[0]).settings
    return {"extraction": settings}
