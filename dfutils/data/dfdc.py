"""The DFDC indexer: training parts with metadata.json, the Kaggle sample, the public test set with labels.csv."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dfutils.data.index_files import (
    MissingFile,
    VideoRow,
    dataset_root,
    index_frame,
    read_csv,
    read_json,
    safe_relative,
)
from dfutils.data.splits import split_index
from dfutils.errors import DatasetError

LAYOUT = "dfdc_train_part_N/metadata.json, train_sample_videos/metadata.json or test/labels.csv, beside the mp4 files"


def _dfdc_part(folder_name: str) -> int | None:
    match = re.fullmatch(r"dfdc_train_part_(\d+)", folder_name)
    return int(match.group(1)) if match else None


def index_dfdc(
    root: str | Path,
    *,
    seed: int = 0,
    split_by: str = "group",
    val_parts: Iterable[int] = (),
    test_parts: Iterable[int] = (),
    fractions: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Index a DFDC download (full release parts, Kaggle sample, full test set).

    Reads every ``dfdc_train_part_*/metadata.json`` and
    ``train_sample_videos/metadata.json`` below ``root`` and, if present,
    ``test/labels.csv``. Fakes are grouped with their original. ``split_by``:
    ``"group"`` (seeded split of whole families) or ``"part"`` (``val_parts`` /
    ``test_parts`` name part numbers, the rest is train, as the DFDC winners
    did). Videos of the official test set are always ``test``.
    """
    root = dataset_root(root, "DFDC")
    if split_by not in ("group", "part"):
        raise DatasetError(f"split_by: expected 'group' or 'part', got {split_by!r}")
    val_parts, test_parts = set(val_parts), set(test_parts)
    metadata_files = sorted(
        root.glob("dfdc_train_part_*/metadata.json"), key=lambda p: (_dfdc_part(p.parent.name) or -1, str(p))
    )
    metadata_files += sorted(root.glob("train_sample_videos/metadata.json"))
    labels_csv = root / "test" / "labels.csv"
    if not metadata_files and not labels_csv.is_file():
        raise DatasetError(
            f"{root}: no DFDC metadata found (expected dfdc_train_part_N/metadata.json, "
            "train_sample_videos/metadata.json or test/labels.csv)"
        )
    rows, missing = [], []
    part_of: dict[str, int | None] = {}
    for metadata_path in metadata_files:
        metadata = read_json(metadata_path)
        if not isinstance(metadata, dict) or not metadata:
            raise DatasetError(f"{metadata_path}: expected a non-empty JSON object keyed by file name")
        folder = metadata_path.parent
        for file_name, entry in metadata.items():
            relative = safe_relative(f"{folder.name}/{safe_relative(file_name, metadata_path)}", metadata_path)
            if not isinstance(entry, dict) or str(entry.get("label", "")).upper() not in ("FAKE", "REAL"):
                raise DatasetError(f"{metadata_path}: entry {file_name!r} needs a label FAKE or REAL, got {entry!r}")
            label = 1 if entry["label"].upper() == "FAKE" else 0
            original_name = entry.get("original") if label else None
            original = (
                f"{folder.name}/{safe_relative(original_name, metadata_path)}" if original_name else ""
            )
            path = root / relative
            if not path.is_file():
                missing.append(
                    MissingFile(relative, str(path), f"listed in {metadata_path.relative_to(root)}, file absent")
                )
                continue
            part_of[relative] = _dfdc_part(folder.name)
            rows.append(
                VideoRow(
                    relative,
                    str(path),
                    label,
                    "dfdc",
                    "unknown" if label else "real",
                    "release",
                    original,
                    f"dfdc/{original or relative}",
                )
            )
    if labels_csv.is_file():
        labels = read_csv(labels_csv, dtype={"filename": str})
        if not {"filename", "label"} <= set(labels.columns):
            raise DatasetError(
                f"{labels_csv}: expected columns filename,label, got {','.join(map(str, labels.columns))}"
            )
        for line, (file_name, label) in enumerate(zip(labels["filename"], labels["label"], strict=True), start=2):
            if label not in (0, 1):
                raise DatasetError(f"{labels_csv}: line {line}: label must be 0 or 1, got {label!r}")
            relative = f"test/{safe_relative(file_name, labels_csv)}"
            path = root / relative
            if not path.is_file():
                missing.append(MissingFile(relative, str(path), "listed in test/labels.csv, file absent"))
                continue
            part_of[relative] = None
            rows.append(VideoRow(relative, str(path), int(label), "dfdc", "unknown" if label else "real", "release", "",
                                 f"dfdc/{relative}", "test"))  # the official test set is always test
    df = index_frame(rows, missing)
    todo = df["split"] == ""
    if split_by == "part":
        def by_part(video_id: str) -> str:
            part = part_of.get(video_id)
            return "test" if part in test_parts else "val" if part in val_parts else "train"
        df.loc[todo, "split"] = df.loc[todo, "video_id"].map(by_part)
        # a family split across parts would leak: keep each group where most of it is
        df.loc[todo, "split"] = df[todo].groupby("group")["split"].transform(lambda s: s.mode().iloc[0])
    return split_index(df, seed, fractions)
