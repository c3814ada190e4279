"""The index table and the files around it: its columns, reading what downloads hold (text with or without a
byte-order mark, CSVs, JSON), paths that must stay inside a dataset root, and the index CSV with its
``.missing.csv`` and crop members beside it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path, PurePosixPath

import pandas as pd

from dfutils.errors import DatasetError


@dataclass(frozen=True)
class VideoRow:
    """One video of an index, as every indexer states it (the index table's columns, in this order)."""

    video_id: str  # its path relative to the dataset root: unique, the key everything else uses
    path: str  # absolute
    label: int  # 1 = fake
    dataset: str
    method: str  # the manipulation, or "real"
    compression: str
    original: str  # the real video a fake was made from ("" when real or unknown)
    group: str  # what never sits on two sides of a split: the original's family, or the person
    split: str = ""  # "" until the split policy assigns it (dfutils.data.splits.split_index)


@dataclass(frozen=True)
class MissingFile:
    """A file an index lists or implies that is not there (or cannot be used), with why: ``<index>.missing.csv``."""

    video_id: str
    path: str
    reason: str


INDEX_COLUMNS = [field_.name for field_ in fields(VideoRow)]
MISSING_COLUMNS = [field_.name for field_ in fields(MissingFile)]
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")  # face crops as people publish them


def safe_relative(entry: str, source: Path) -> str:
    """``entry`` as a clean path relative to the dataset root, or DatasetError naming it.

    Metadata comes from downloads; an entry that is absolute or climbs out of
    the root (``../``) must never make the indexer read elsewhere.
    """
    text = str(entry).strip().replace("\\", "/")
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or re.match(r"^[A-Za-z]:", text) or ".." in pure.parts:
        raise DatasetError(f"{source}: entry {entry!r} escapes the dataset root; refusing to read it")
    return pure.as_posix()


def file_digest(path: str | Path) -> str:
    """The SHA-1 of a file's bytes: byte-identical files share it (a crop published twice), a changed file does not."""
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


def read_text(path: Path) -> str:
    """A metadata or list file as text: UTF-8 with or without a byte-order mark (Windows tools write one); any
    other encoding is one line naming the file and where it stops being UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # the codec counts after the mark
        line = data[:at].count(b"\n") + 1
        raise DatasetError(f"{path}: not UTF-8 text (byte 0x{data[at]:02x} on line {line}); save it as UTF-8") from None


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV file (UTF-8, a byte-order mark allowed); malformed or non-UTF-8 is one line naming the file."""
    from io import StringIO

    try:
        return pd.read_csv(StringIO(read_text(path)), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DatasetError(f"{path}: malformed CSV: {error}") from None


def read_json(path: Path):
    text = read_text(path)
    if not text.strip():
        raise DatasetError(f"{path}: file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}") from None


def dataset_root(root: str | Path, name: str) -> Path:
    """A dataset's root folder as an absolute path (the index then works from any folder), or DatasetError."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise DatasetError(f"{root}: {name} root folder not found")
    return root


def index_frame(rows: list[VideoRow], missing: list[MissingFile | dict]) -> pd.DataFrame:
    """The index table of ``rows`` (sorted by video), the files found missing in ``attrs["missing"]``."""
    df = pd.DataFrame([asdict(row) for row in rows], columns=INDEX_COLUMNS)
    df["label"] = df["label"].astype("int64")
    df = df.sort_values("video_id", kind="stable").reset_index(drop=True)
    missing = [asdict(row) if isinstance(row, MissingFile) else row for row in missing]
    df.attrs["missing"] = sorted(missing, key=lambda row: row["video_id"])
    return df


def missing_files(df: pd.DataFrame) -> pd.DataFrame:
    """The files an indexer found listed (or implied) but absent, with the reason."""
    return pd.DataFrame(df.attrs.get("missing", []), columns=MISSING_COLUMNS)


def write_index(df: pd.DataFrame, out: str | Path) -> Path | None:
    """Write the index CSV, and ``<name>.missing.csv`` beside it when files were missing."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df[INDEX_COLUMNS].to_csv(out, index=False)
    members = df.attrs.get("members")
    members_path = crop_members_path(out)
    if members is not None:
        members.to_csv(members_path, index=False)
    else:
        members_path.unlink(missing_ok=True)
    missing = missing_files(df)
    missing_path = out.with_name(out.stem + ".missing.csv")
    if len(missing):
        missing.to_csv(missing_path, index=False)
        return missing_path
    missing_path.unlink(missing_ok=True)
    return None


def crop_members_path(index_path: str | Path) -> Path:
    """Where a face-crop index keeps its videos' crop files: ``<index>.crops.csv`` beside it."""
    index_path = Path(index_path)
    return index_path.with_name(index_path.stem + ".crops.csv")


def read_crop_members(index_path: str | Path) -> pd.DataFrame | None:
    """The crop files of a face-crop index (``video_id, file, frame``), or None for an index of videos."""
    path = crop_members_path(index_path)
    if not path.is_file():
        return None
    members = read_csv(path, dtype={"video_id": str, "file": str}, keep_default_na=False)
    if list(members.columns) != ["video_id", "file", "frame"]:
        raise DatasetError(f"{path}: expected columns video_id,file,frame, got {','.join(members.columns)}")
    return members


def read_index(path: str | Path) -> pd.DataFrame:
    """Read an index CSV written by :func:`write_index`, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: index file not found")
    df = read_csv(path, dtype=str, keep_default_na=False)
    absent = [column for column in INDEX_COLUMNS if column not in df.columns]
    if absent:
        raise DatasetError(f"{path}: not an index table, missing column(s) {', '.join(absent)}")
    bad = df.loc[~df["label"].isin(["0", "1"]), "label"]
    if len(bad):
        raise DatasetError(f"{path}: label must be 0 or 1, got {bad.iloc[0]!r}")
    df["label"] = df["label"].astype("int64")
    return df
