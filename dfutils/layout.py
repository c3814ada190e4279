"""The artifacts of one run, in one object instead of path strings in notebooks.

A run writes under ``artifacts/<profile>/`` and reads its index and face crops
from ``artifacts/<data_profile>/`` (the same folder unless a profile reuses
another's crops, as the seeds study does)::

    index.csv                     the videos (read from the data profile)
    faces/faces.csv, faces/crops/ the face crop cache (read from the data profile)
    models/<detector>/            predictions.csv, info.json, history.csv and the model file: model.keras
                                  (a Keras network) or model.skops (a scikit-learn model alone)
    models/compression_matrix.csv notebook 05's train-on-one-compression table
    embeddings/                   FaceNet embeddings per video (a resumable cache)
    cross_dataset/                notebook 08: every model scored on other datasets (metrics.csv per target)
    figures/                      key figures per notebook (the report index reads them)
    summary.csv, run.json         written by the runner
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dfutils import config

# a model file's name says its format; the crop-statistics model's files written before the rename are skops zips named
# model.keras, and load as such (the loader reads what a file holds, not its name)
MODEL_FILE_NAMES = ("model.keras", "model.skops")


def model_file_in(folder: str | Path) -> Path | None:
    """The model file a detector left in its folder, ``None`` when none."""
    return next((Path(folder) / name for name in MODEL_FILE_NAMES if (Path(folder) / name).is_file()), None)


@dataclass(frozen=True)
class RunLayout:
    root: Path  # what this run writes
    data_root: Path  # where its index and face crops come from

    @classmethod
    def of(cls, profile: str, data_profile: str = "") -> RunLayout:
        return cls(config.artifacts_dir(profile), config.artifacts_dir(data_profile or profile))

    @property
    def index(self) -> Path:
        return self.data_root / "index.csv"

    @property
    def faces(self) -> Path:
        return self.data_root / "faces"

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model_dir(self, folder: str) -> Path:
        """One detector's folder (its predictions, info, model file and training logs)."""
        return self.models / folder

    @property
    def compression_matrix(self) -> Path:
        return self.models / "compression_matrix.csv"

    def embedding_cache(self, facenet_model: str, frames: int) -> Path:
        return self.root / "embeddings" / f"facenet-{facenet_model}-{frames}.npz"

    @property
    def cross_dataset(self) -> Path:
        """Notebook 08's folder: per target, the crop cache, ``metrics.csv`` and ``predictions.csv``."""
        return self.root / "cross_dataset"

    @property
    def summary(self) -> Path:
        return self.root / "summary.csv"
