"""Prediction tables on disk: one folder per trained model under ``artifacts/<profile>/models/``.

Every detector, the crop-statistics baseline included, leaves
``predictions.csv`` (one row per validation and test video: ``video_id``,
``label``, the video's ``method``, ``compression``, ``split``, ``group``, and
``score``, the fake probability) and ``info.json`` (its name, which paper it
reproduces, and what else it recorded, e.g. parameters). :mod:`dfutils.evaluation.results`
reads them back; nothing here needs Keras.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from dfutils.atomic import write_csv, write_text

PAPERS = ("A", "B", "baseline", "beyond")
VIDEO_COLUMNS = ["video_id", "label", "method", "compression", "split", "group"]


def video_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The identifying columns of a table's videos (those it has): the left half of a prediction table."""
    return table[[column for column in VIDEO_COLUMNS if column in table]].copy()


def write_predictions(table: pd.DataFrame, run_dir: str | Path, model_name: str, paper: str, **info) -> Path:
    """``run_dir/predictions.csv`` (the per-video table with the model's name) and ``run_dir/info.json``."""
    if paper not in PAPERS:
        raise ValueError(f"paper: expected one of {PAPERS}, got {paper!r}")
    run_dir = Path(run_dir)
    path = write_csv(table.assign(model=model_name), run_dir / "predictions.csv")
    write_text(run_dir / "info.json", json.dumps({"model": model_name, "paper": paper, **info}, indent=1, default=str))
    return path


def combine(tables: dict[str, pd.DataFrame], split: str | None = None) -> pd.DataFrame:
    """Prediction tables by model name as one table with a ``model`` column (only ``split``'s rows when given)."""
    table = pd.concat([part.assign(model=name) for name, part in tables.items()], ignore_index=True)
    return table if split is None else table[table["split"] == split]
