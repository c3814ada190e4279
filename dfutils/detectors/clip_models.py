"""Detectors that read a clip of a video's face crops at once: Paper A's time-distributed CNN +
LSTM, Paper B's 3D CNN, and the loaded form of any clip model file (LSTM/GRU files included)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from .. import datasets, model_files, models, training
from ..clips import Augmentation, ClipDataset, fit_clip
from .base import Detector, RunData
from .settings import Conv3DSettings, PaperASettings


class KerasClipModel(Detector):
    """A Keras network that maps a clip ``(frames, size, size, 3)`` to the fake probability."""

    input = "clip"

    def __init__(self, entry, settings, seed: int):
        super().__init__(entry, settings, seed)
        self.model: keras.Model | None = None
        self.extraction: dict = {}

    @property
    def clip_shape(self) -> tuple[int, int]:
        return self.settings.frames, self.settings.size

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        frames, size = self.clip_shape
        dataset = ClipDataset(data.split(split), data.faces, frames, size, self.settings.batch_size)
        return training.predict_table(self.model, dataset)

    def save(self, path: str | Path) -> Path:
        frames, size = self.clip_shape
        return model_files.save_model(self.model, path, self.model_settings(self.extraction, frames=frames, size=size,
                                                                             **self.file_settings()))

    def file_settings(self) -> dict:
        return {}

    @classmethod
    def load(cls, path: str | Path, settings: dict) -> KerasClipModel:
        from types import SimpleNamespace

        detector = KerasClipModel(None, SimpleNamespace(frames=int(settings["frames"]), size=int(settings["size"]),
                                                        batch_size=8), seed=0)
        detector.model, _ = model_files.load_model(path)
        detector.architecture, detector.extraction = settings["architecture"], {"extraction": settings["extraction"]}
        return detector

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """The clip's score; the per-frame strip scores each frame as a clip of that frame repeated."""
        frames, size = self.clip_shape
        clip = fit_clip(crops, frames, size)
        score = float(np.asarray(self.model.predict_on_batch(clip[None])).reshape(-1)[0])
        repeated = np.repeat(clip[:, None], frames, axis=1)
        return score, np.asarray(self.model.predict_on_batch(repeated)).reshape(-1)


class TimeDistributed(KerasClipModel):
    """Paper A: 30 face crops through an ImageNet CNN each, an LSTM over the frame features, dense layers."""

    architecture = "time_distributed"

    def __init__(self, entry, settings: PaperASettings, seed: int, backbone: str = "", weights: str = ""):
        if (backbone, weights) != (settings.backbone, settings.weights):
            raise ValueError(f"{entry.name}: settings name backbone {settings.backbone!r} with weights "
                             f"{settings.weights!r}; use the entry of that backbone (registry.paper_a_name)")
        super().__init__(entry, settings, seed)
        self.datasets: dict[str, ClipDataset] = {}

    def build(self, data: RunData) -> keras.Model:
        """The training data (fakes down-sampled to the reals, as Paper A) and the compiled model."""
        s = self.settings
        train_table = datasets.downsample_fakes(data.split("train"), seed=self.seed)
        augmentation = Augmentation(flip=True, brightness_contrast=0.2, jpeg_quality=40) if s.augment else None
        self.datasets = {
            "train": ClipDataset(train_table, data.faces, s.frames, s.size, s.batch_size, shuffle=True,
                                 augmentation=augmentation, seed=self.seed),
            "val": ClipDataset(data.split("val"), data.faces, s.frames, s.size, s.batch_size),
        }
        self.model = models.build_time_distributed(s.backbone, s.frames, s.size, weights=s.weights,
                                                   lstm_units=s.lstm_units, dense_units=s.dense_units,
                                                   dropout_rate=s.dropout_rate)
        training.compile_model(self.model, keras.optimizers.Adam(learning_rate=s.learning_rate, beta_1=0.9, beta_2=0.999))
        self.extraction = data.extraction
        return self.model

    def class_counts(self, data: RunData) -> pd.DataFrame:
        """Reals and fakes per split, training after the down-sampling."""
        tables = {"train": self.datasets["train"].table, "val": data.split("val"), "test": data.split("test")}
        return pd.DataFrame({name: table["label"].value_counts().rename({0: "real", 1: "fake"})
                             for name, table in tables.items()}).fillna(0).astype(int)

    def fit(self, data: RunData) -> pd.DataFrame:
        if self.model is None:
            self.build(data)
        s = self.settings
        return training.fit(self.model, self.datasets["train"], self.datasets["val"], self.model_dir(data),
                            epochs=s.epochs, patience=s.patience)

    def info(self) -> dict:
        return {"backbone": self.settings.backbone, "weights": self.settings.weights,
                "parameters": self.model.count_params()}

    def file_settings(self) -> dict:
        return {"backbone": self.settings.backbone}


class Conv3D(KerasClipModel):
    """Paper B's 3D CNN over clips, trained from scratch."""

    architecture = "conv3d"

    def __init__(self, entry, settings: Conv3DSettings, seed: int):
        super().__init__(entry, settings, seed)

    def fit(self, data: RunData) -> pd.DataFrame:
        s = self.settings
        keras.utils.set_random_seed(self.seed)
        self.model = models.build_conv3d(s.frames, s.size, s.filters)
        training.compile_model(self.model, keras.optimizers.Adam(s.learning_rate))
        train = ClipDataset(data.split("train"), data.faces, s.frames, s.size, s.batch_size, shuffle=True, seed=self.seed)
        validation = ClipDataset(data.split("val"), data.faces, s.frames, s.size, s.batch_size)
        self.extraction = data.extraction
        return training.fit(self.model, train, validation, self.model_dir(data), epochs=s.epochs, patience=s.patience,
                            class_weight=training.balanced_class_weight(data.split("train")["label"]))

    def info(self) -> dict:
        return {"parameters": self.model.count_params()}


def as_clip_model(network: keras.Model, frame_model: keras.Model, frames: int) -> keras.Model:
    """One clip model from a per-frame model and a network over its per-frame outputs (Paper B's
    LSTM/GRU on the frame classifier's embeddings), so that one file scores raw videos."""
    from ..layers import FoldTime, UnfoldTime

    clip = keras.Input((frames, *frame_model.input_shape[1:]), name="clip")
    per_frame = UnfoldTime(frames, name="unfold_time")(frame_model(FoldTime(name="fold_time")(clip)))
    return keras.Model(clip, network(per_frame), name=network.name)



