"""Detectors that read a clip of a video's face crops at once: Paper A's time-distributed CNN +
LSTM and Paper B's 3D CNN, on the base they share with Paper B's LSTM/GRU files."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from dfutils.data import datasets
from dfutils.detectors import backbone_files, model_files
from dfutils.detectors.base import BatchedScoring, Detector, RunData, batched_predict
from dfutils.detectors.settings import Conv3DSettings, PaperASettings
from dfutils.nets import architectures, training
from dfutils.nets.clips import Augmentation, ClipDataset, fit_clip


class KerasClipModel(BatchedScoring, Detector):
    """A Keras network that maps a clip ``(frames, size, size, 3)`` to the fake probability: what Paper A's
    model, the 3D CNN and the LSTM/GRU files share (scoring, saving, loading)."""

    input = "clip"

    def __init__(self, entry, settings, seed: int):
        super().__init__(entry, settings, seed)
        self.model: keras.Model | None = None

    @property
    def clip_shape(self) -> tuple[int, int]:
        return self.settings.frames, self.settings.size

    def clip_network(self) -> keras.Model:
        """The network that scores a clip of crops."""
        return self.model

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        frames, size = self.clip_shape
        dataset = ClipDataset(data.split(split), data.faces, frames, size, self.settings.batch_size)
        return training.predict_table(self.model, dataset)

    def save(self, path: str | Path) -> Path:
        self.check_fitted()
        frames, size = self.clip_shape
        return model_files.save_model(self.clip_network(), path, self.file_settings(frames=frames, size=size,
                                                                                    **self.input_settings()))

    def input_settings(self) -> dict:
        """What the model file states beside frames and size (a backbone's preprocessing, a cell...)."""
        return {}

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> KerasClipModel:
        detector = cls.from_file(path, stored)
        detector.model, _ = model_files.load_model(path)
        detector.extraction = stored["extraction"]
        return detector

    @classmethod
    def from_file(cls, path: str | Path, stored: dict) -> KerasClipModel:
        """An unfitted detector of this class with the file's settings and entry."""
        return cls(cls.loaded_entry(stored), cls.settings_from_file(path, stored), 0)

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """The clip's score; the per-frame strip scores each frame as a clip of that frame repeated."""
        self.check_fitted()
        network = self.clip_network()
        frames, size = self.clip_shape
        clip = fit_clip(crops, frames, size)
        score = float(np.asarray(network.predict_on_batch(clip[None])).reshape(-1)[0])
        repeated = np.repeat(clip[:, None], frames, axis=1)
        return score, np.asarray(network.predict_on_batch(repeated)).reshape(-1)

    def track_inputs(self, crops: np.ndarray, frames: int | None = None) -> np.ndarray:
        frames, size = self.clip_shape
        return fit_clip(crops, frames, size)[None]

    def track_score(self, outputs: np.ndarray) -> tuple[float, int]:
        return float(outputs.reshape(-1)[0]), self.clip_shape[0]

    def scoring_outputs(self, inputs: np.ndarray, shared: dict) -> np.ndarray:
        return batched_predict(self.clip_network(), inputs, batch=8)  # clips, not crops


class CnnLstm(KerasClipModel):
    """Paper A: 30 face crops through an ImageNet CNN each, an LSTM over the frame features, dense layers."""

    architecture = "time_distributed"
    settings_class = PaperASettings

    def __init__(self, entry, settings: PaperASettings, seed: int):
        # an entry stands for one backbone and pretraining (its name says which): the settings must be those
        from dfutils.detectors.registry import paper_a_name

        if entry is not None and entry.name != paper_a_name(settings.backbone, settings.weights):
            raise ValueError(f"{entry.name}: settings name backbone {settings.backbone!r} with weights "
                             f"{settings.weights!r}; use the entry of that backbone (registry.paper_a_name)")
        super().__init__(entry, settings, seed)
        self.built: tuple | None = None  # (data fingerprint, network, its training and validation data): the next fit's

    def training_table(self, data: RunData) -> pd.DataFrame:
        """The training videos, fakes down-sampled to as many as the reals (as Paper A), seeded."""
        return datasets.downsample_fakes(data.split("train"), seed=self.seed)

    def build(self, data: RunData) -> keras.Model:
        """The compiled network, untrained, from the settings and the seed (shown before training), and its training
        data (:meth:`training_table`): the very network the next ``fit`` on this data trains."""
        s = self.settings
        train_table = self.training_table(data)
        augmentation = Augmentation(flip=s.augment, brightness_contrast=0.2 if s.augment else 0.0,
                                    jpeg_quality=40 if s.augment else 0, crf_range=s.crf_augment)
        loaders = {
            "train": ClipDataset(train_table, data.faces, s.frames, s.size, s.batch_size, shuffle=True,
                                 augmentation=augmentation, seed=self.seed),
            "val": ClipDataset(data.split("val"), data.faces, s.frames, s.size, s.batch_size),
        }
        keras.utils.set_random_seed(self.seed)  # the same weights and dropout whatever ran before in this process
        network = architectures.build_time_distributed(s.backbone, s.frames, s.size, lstm_units=s.lstm_units,
                                                       dense_units=s.dense_units, dropout_rate=s.dropout_rate,
                                                       **backbone_files.start_of(s.weights, s.backbone))
        training.compile_model(network, keras.optimizers.Adam(learning_rate=s.learning_rate, beta_1=0.9, beta_2=0.999))
        self.built = (data.fingerprint(), network, loaders)
        return network

    def class_counts(self, data: RunData) -> pd.DataFrame:
        """Reals and fakes per split, training after the down-sampling."""
        tables = {"train": self.training_table(data), "val": data.split("val"), "test": data.split("test")}
        return pd.DataFrame({name: table["label"].value_counts().rename({0: "real", 1: "fake"})
                             for name, table in tables.items()}).fillna(0).astype(int)

    def fit(self, data: RunData) -> CnnLstm:
        """Train the network :meth:`build` made for this data (built now when it did not): a second fit builds
        afresh, so it never continues the first's weights."""
        if self.built is None or self.built[0] != data.fingerprint():
            self.build(data)
        _, self.model, loaders = self.built
        self.built, self.extraction = None, data.extraction
        s = self.settings
        self.history = training.fit(self.model, loaders["train"], loaders["val"], self.model_dir(data),
                                    epochs=s.epochs, patience=s.patience)
        return self

    def info(self) -> dict:
        return {"backbone": self.settings.backbone, "weights": self.settings.weights,
                "parameters": self.model.count_params()}

    def input_settings(self) -> dict:
        return {"backbone": self.settings.backbone}


class Cnn3D(KerasClipModel):
    """Paper B's 3D CNN over clips, trained from scratch."""

    architecture = "conv3d"
    settings_class = Conv3DSettings

    def fit(self, data: RunData) -> Cnn3D:
        s = self.settings
        keras.utils.set_random_seed(self.seed)
        self.model = architectures.build_conv3d(s.frames, s.size, s.filters, s.dense_units, s.dropout_rate)
        training.compile_model(self.model, keras.optimizers.Adam(s.learning_rate))
        train = ClipDataset(
            data.split("train"), data.faces, s.frames, s.size, s.batch_size, shuffle=True, seed=self.seed
        )
        validation = ClipDataset(data.split("val"), data.faces, s.frames, s.size, s.batch_size)
        self.extraction = data.extraction
        self.history = training.fit(self.model, train, validation, self.model_dir(data), epochs=s.epochs,
                                    patience=s.patience,
                                    class_weight=training.balanced_class_weight(data.split("train")["label"]))
        return self

    def info(self) -> dict:
        return {"parameters": self.model.count_params()}


def as_clip_model(network: keras.Model, frame_model: keras.Model, frames: int) -> keras.Model:
    """One clip model from a per-frame model and a network over its per-frame outputs (Paper B's
    LSTM/GRU on the frame classifier's embeddings), so that one file scores raw videos."""
    from dfutils.nets.layers import FoldTime, UnfoldTime

    clip = keras.Input((frames, *frame_model.input_shape[1:]), name="clip")
    per_frame = UnfoldTime(frames, name="unfold_time")(frame_model(FoldTime(name="fold_time")(clip)))
    return keras.Model(clip, network(per_frame), name=network.name)



