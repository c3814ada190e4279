"""The trivial-cue baseline as a detector: logistic regression on colour, sharpness and motion of the
central crop of raw frames (:mod:`dfutils.detectors.baselines`). It reads videos, not face crops, so it runs
right after indexing; a detector that does not beat it has learnt nothing a face detector adds.
On a dataset of face crops (no frames to read) it reads the crops instead (``source="crops"``), and
its model file then carries the crops' extraction settings, so videos are scored on crops cut alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.detectors import baselines, model_files
from dfutils.detectors.base import Detector, RunData
from dfutils.detectors.settings import CropStatisticsSettings
from dfutils.predictions import video_columns


class CropStatistics(Detector):
    architecture = "crop_statistics"
    settings_class = CropStatisticsSettings
    input = "video"
    model_file_name = "model.skops"  # a scikit-learn pipeline alone, in skops' format

    def __init__(self, entry, settings: CropStatisticsSettings, seed: int):
        super().__init__(entry, settings, seed)
        if settings.source not in ("video", "crops"):
            raise ValueError(f"source: expected 'video' or 'crops', got {settings.source!r}")
        self.input = "video" if settings.source == "video" else "clip"
        self.model = None
        self.features: dict[str, np.ndarray] = {}  # each video's statistics by id (a video is read once)

    def features_of(self, table: pd.DataFrame, progress: bool = True, faces: Path | None = None) -> np.ndarray:
        """The statistics of every video of ``table`` (each video read once per detector): of its raw frames,
        or of its face crops in ``faces`` (the crop cache) for ``source="crops"``."""
        todo = table[~table["video_id"].isin(self.features)]
        if len(todo) and self.settings.source == "crops":
            from dfutils.nets.clips import read_clip_crops
            from dfutils.progress import progress_bar

            computed = [
                self.crop_features(read_clip_crops(faces / crops, self.settings.frames))
                for crops in progress_bar(todo["crops"], desc="crop statistics", unit="video", disable=not progress)
            ]
            self.features.update(zip(todo["video_id"], computed, strict=True))
        elif len(todo):
            computed = baselines.crop_statistics_features(todo, frames=self.settings.frames, progress=progress)
            self.features.update(zip(todo["video_id"], computed, strict=True))
        return np.stack([self.features[video_id] for video_id in table["video_id"]])

    def crop_features(self, crops: np.ndarray) -> np.ndarray:
        from dfutils.nets.clips import clip_indices

        return baselines.statistics_of(crops[clip_indices(len(crops), self.settings.frames)])

    def fit(self, data: RunData) -> CropStatistics:
        self.extraction = data.extraction if self.settings.source == "crops" else {}
        self.features_of(data.clips, faces=data.faces)  # every video at once: one progress bar
        train = data.split("train")
        self.model = baselines.fitted_baseline(self.features_of(train), train["label"].to_numpy(), self.seed)
        return self

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        table = data.split(split)
        features = self.features_of(table, faces=data.faces)
        return video_columns(table).assign(score=self.model.predict_proba(features)[:, 1])

    def info(self) -> dict:
        return {"frames": self.settings.frames, "source": self.settings.source}

    def save(self, path: str | Path) -> Path:
        settings = self.file_settings(frames=self.settings.frames, source=self.settings.source)
        return model_files.save_classifier_file(self.model, path, settings)

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> CropStatistics:
        detector = cls(cls.loaded_entry(stored), cls.settings_from_file(path, stored), 0)
        detector.model = model_files.load_classifier(path)
        detector.extraction = stored.get("extraction", {})
        return detector

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        self.check_fitted()
        score = float(self.model.predict_proba(self.crop_features(crops)[None])[0, 1])
        return score, np.full(min(len(crops), self.settings.frames), score)

    def score_video(self, path: Path) -> tuple[float, np.ndarray]:
        self.check_fitted()
        features = baselines.crop_statistics(path, self.settings.frames)
        score = float(self.model.predict_proba(features[None])[0, 1])
        return score, np.full(self.settings.frames, score)
