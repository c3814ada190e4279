"""The trivial-cue baseline as a detector: logistic regression on colour, sharpness and motion of the
central crop of raw frames (:mod:`dfutils.baselines`). It reads videos, not face crops, so it runs
right after indexing; a detector that does not beat it has learnt nothing a face detector adds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import baselines, model_files
from .base import Detector, RunData, video_columns
from .settings import CropStatisticsSettings


class CropStatistics(Detector):
    architecture = "crop_statistics"
    input = "video"

    def __init__(self, entry, settings: CropStatisticsSettings, seed: int):
        super().__init__(entry, settings, seed)
        self.model = None
        self.features: dict[str, np.ndarray] = {}

    def features_of(self, table: pd.DataFrame, progress: bool = True) -> np.ndarray:
        """The statistics of every video of ``table`` (each video read once per detector)."""
        todo = table[~table["video_id"].isin(self.features)]
        if len(todo):
            computed = baselines.crop_statistics_features(todo, frames=self.settings.frames, progress=progress)
            self.features.update(zip(todo["video_id"], computed, strict=True))
        return np.stack([self.features[video_id] for video_id in table["video_id"]])

    def fit(self, data: RunData) -> None:
        self.features_of(data.clips)  # every video at once: one progress bar
        train = data.split("train")
        self.model = baselines.fitted_baseline(self.features_of(train), train["label"].to_numpy(), self.seed)
        return None

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        table = data.split(split)
        return video_columns(table).assign(score=self.model.predict_proba(self.features_of(table))[:, 1])

    def info(self) -> dict:
        return {"frames": self.settings.frames}

    def save(self, path: str | Path) -> Path:
        return model_files.save_classifier_file(self.model, path, self.model_settings({}, frames=self.settings.frames))

    @classmethod
    def load(cls, path: str | Path, settings: dict) -> Detector:
        detector = cls(None, SimpleNamespace(frames=int(settings["frames"])), 0)
        detector.model = model_files.load_classifier(path)
        return detector

    def score_video(self, path: Path) -> tuple[float, np.ndarray]:
        features = baselines.crop_statistics(path, self.settings.frames)
        score = float(self.model.predict_proba(features[None])[0, 1])
        return score, np.full(self.settings.frames, score)
