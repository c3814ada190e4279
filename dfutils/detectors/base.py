"""What every detector is: the small interface the registry's classes share, and the run's
data they train on.

A detector is created untrained from its registry entry, a settings dataclass (its
hyperparameters) and a seed. Then:

- ``fit(data)`` trains it on a run's clips (:class:`RunData`), keeping its logs in its model
  folder, and returns the training history (or ``None`` when it has none);
- ``predict(data, split)`` is its prediction table for a split (``video_id, label, method,
  compression, split, group, score``);
- ``save(path)`` writes one model file with the settings it needs (:mod:`dfutils.model_files`),
  and the class's ``load(path, settings)`` reads it back for ``dfutils predict``, which then calls
  ``score_crops(crops)`` (or ``score_video(path)`` for a detector that reads whole videos);
- ``run(data)`` is what a notebook calls: fit, predict validation and test, write
  ``predictions.csv`` and ``info.json``, save ``model.keras``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..layout import RunLayout
from ..predictions import VIDEO_COLUMNS, video_columns  # noqa: F401 - re-exported for the detector classes
from .registry import Entry

EVALUATED_SPLITS = ("val", "test")


@dataclass
class RunData:
    """A run's videos with their face crops (``clips``: the index joined with the crop cache), the
    extraction settings the crops were made with, and where the run's artifacts live."""

    layout: RunLayout
    clips: pd.DataFrame
    extraction: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict, repr=False)  # what detectors share (FaceNet embeddings...)

    @classmethod
    def load(cls, layout: RunLayout, compressions: list | None = None) -> RunData:
        from ..clips import load_clips

        clips, extraction = load_clips(layout.data_root, compressions)
        return cls(layout, clips, extraction)

    @property
    def faces(self) -> Path:
        return self.layout.faces

    def split(self, name: str) -> pd.DataFrame:
        return self.clips[self.clips["split"] == name]

    def rows(self, name: str) -> np.ndarray:
        """Positions of a split's videos in ``clips``."""
        return np.flatnonzero(self.clips["split"].to_numpy() == name)

    def class_counts(self) -> pd.DataFrame:
        """Reals and fakes per split."""
        return pd.DataFrame({split: self.split(split)["label"].value_counts().rename({0: "real", 1: "fake"})
                             for split in ("train", "val", "test")}).fillna(0).astype(int)


class Detector:
    """The shared interface; see the module docstring."""

    architecture: str = ""  # what its model file says it is (the registry maps it back to the class)
    input: str = "clip"  # what dfutils predict gives it: "clip" or "frame" crops, or the "video" file

    def __init__(self, entry: Entry | None, settings, seed: int):
        self.entry, self.settings, self.seed = entry, settings, seed
        self.history: pd.DataFrame | None = None

    # ----------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        return self.entry.name if self.entry else self.architecture

    @property
    def folder(self) -> str:
        return self.entry.folder.format(**asdict(self.settings))

    def model_dir(self, data: RunData) -> Path:
        return data.layout.model_dir(self.folder)

    def info(self) -> dict:
        """What ``info.json`` records beside the name and paper (the results tables read it)."""
        return {}

    # ----------------------------------------------------------------- the interface
    def fit(self, data: RunData) -> pd.DataFrame | None:
        raise NotImplementedError

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        raise NotImplementedError

    def save(self, path: str | Path) -> Path:
        raise NotImplementedError

    @classmethod
    def load(cls, path: str | Path, settings: dict) -> Detector:
        raise NotImplementedError

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """A video's (or image's) score and one score per frame used, from its face crops."""
        raise NotImplementedError

    # ----------------------------------------------------------------- what a notebook calls
    def predictions(self, data: RunData, splits=EVALUATED_SPLITS) -> pd.DataFrame:
        return pd.concat([self.predict(data, split) for split in splits])

    def run(self, data: RunData, save_model: bool = True) -> pd.DataFrame:
        """Fit, score validation and test, write the prediction table, ``info.json`` and the model file."""
        from ..predictions import write_predictions

        self.history = self.fit(data)
        table = self.predictions(data)
        folder = self.model_dir(data)
        write_predictions(table, folder, self.name, paper=self.entry.paper, **self.info())
        if save_model:
            self.save(folder / "model.keras")
        return table

    def model_settings(self, data_extraction: dict, **settings) -> dict:
        """The settings a model file carries: extraction, architecture, detector name, and ``settings``."""
        return {**data_extraction, **settings, "architecture": self.architecture, "detector": self.name}
