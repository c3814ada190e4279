"""Face crops whose labels live in a file beside them, the most common shape of a published crop set.

A widely used DFDC release is ``faces_224/<video>.jpg`` with a ``metadata.csv`` (``videoname``, ``label``
REAL/FAKE, ``original``); DFDC's own parts carry a ``metadata.json`` keyed by file name; people write a
``labels.csv`` of ``filename,label`` with 0/1. :func:`find_label_file` finds such a file at the root of a crop
folder without being told (:data:`LABEL_FILE_NAMES`), :func:`read_label_file` reads it into one
:class:`LabelRow` per video, columns found by their usual names (:data:`COLUMN_NAMES`) or named by the user,
and :func:`match_files` gives each row its crop files. Nothing is read by position: a row is matched to
its files by name, a column by its header.

Each bad row (a label that is neither REAL/FAKE nor 0/1, a video named twice, a path that leaves the folder,
a video without a crop) is a :class:`~dfutils.errors.DatasetError` naming the file and the row; with
``skip_bad_rows`` it is left out and listed with its reason instead.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dfutils.data.index_files import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    read_csv,
    read_json,
    safe_relative,
)
from dfutils.errors import DatasetError

# looked for at the root of a crop folder, in this order; a root holding two of them must be told which
LABEL_FILE_NAMES = ("labels.csv", "metadata.csv", "metadata.json", "labels.json")
# the usual headers of each role, in order of preference (matched without regard to case)
COLUMN_NAMES = {
    "video": ("video", "videoname", "video_name", "video_id", "filename", "file_name", "file", "name", "path",
              "image", "image_path"),
    "label": ("label", "labels", "class", "target", "is_fake"),
    "original": ("original", "original_video", "source_video", "original_name"),
}
FAKE_WORDS, REAL_WORDS = ("fake", "1"), ("real", "0")


@dataclass(frozen=True)
class LabelRow:
    """One video the label file names: where it says so (``where``: ``line 12`` or ``entry 'x.mp4'``), the
    entry as written, its name without a media suffix, its label (1 = fake) and the original it was made from."""

    where: str
    entry: str
    stem: str
    label: int
    original: str = ""  # the original's stem ("" for a real video, or a fake whose file names none)


@dataclass
class LabelRows:
    """What :func:`read_label_file` read: the usable rows, the bad ones it skipped (``where``, ``entry``,
    ``reason``) and which header it took for each role."""

    rows: list[LabelRow]
    skipped: list[dict]
    columns: dict[str, str]


def find_label_file(root: Path) -> Path | None:
    """The label file at ``root`` (one of :data:`LABEL_FILE_NAMES`), None when there is none; two of them is an
    error naming both (the user says which)."""
    found = [root / name for name in LABEL_FILE_NAMES if (root / name).is_file()]
    if len(found) > 1:
        raise DatasetError(f"{root}: several label files ({', '.join(path.name for path in found)}); name the one "
                           "to read (--labels FILE, or labels: in the profile)")
    return found[0] if found else None


def media_stem(entry: str) -> str:
    """A video's name without the folder and the media suffix: ``part/abc.mp4`` -> ``abc``."""
    name = PurePosixPath(entry).name
    for suffix in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def parse_label(value, where: str, path: Path) -> int:
    """1 for FAKE/fake/1, 0 for REAL/real/0 (strings or numbers); anything else names the row and the value."""
    text = str(value).strip().lower()
    if isinstance(value, float) and not math.isnan(value) and value in (0.0, 1.0):
        text = str(int(value))
    if text in FAKE_WORDS:
        return 1
    if text in REAL_WORDS:
        return 0
    raise DatasetError(f"{path}: {where}: label {value!r} is not REAL/FAKE or 0/1 (1 = fake)")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _records(path: Path, columns: dict[str, str]) -> tuple[list[tuple[str, dict]], dict[str, str]]:
    """``(where, record)`` per row of a CSV or JSON label file, and the header chosen for each role."""
    if path.suffix.lower() == ".json":
        data = read_json(path)
        if isinstance(data, dict):  # DFDC: {"abc.mp4": {"label": "FAKE", "original": "xyz.mp4", ...}}
            if not all(isinstance(value, dict) for value in data.values()):
                raise DatasetError(f"{path}: expected an object of objects keyed by video ({{\"abc.mp4\": "
                                   "{\"label\": \"FAKE\"}}}) or a list of objects")
            records = [(f"entry {key!r}", {"video": key, **value}) for key, value in data.items()]
        elif isinstance(data, list) and all(isinstance(value, dict) for value in data):
            records = [(f"item {number}", value) for number, value in enumerate(data)]
        else:
            raise DatasetError(f"{path}: expected an object keyed by video or a list of objects")
    else:
        table = read_csv(path, dtype=str, keep_default_na=False)
        # header on line 1: a row's line is its position + 2
        records = [(f"line {number + 2}", row) for number, row in enumerate(table.to_dict("records"))]
    headers = sorted({key for _, record in records for key in record}, key=str)
    chosen = {}
    for role, names in COLUMN_NAMES.items():
        if columns.get(role):
            if columns[role] not in headers:
                raise DatasetError(f"{path}: no column {columns[role]!r} (the {role} column you named); it has "
                                   f"{', '.join(map(str, headers))}")
            chosen[role] = columns[role]
            continue
        lower = {str(header).strip().lower(): header for header in headers}
        found = next((lower[name] for name in names if name in lower), None)
        if found is None and role != "original":
            raise DatasetError(f"{path}: no {role} column (looked for {', '.join(names)}; it has "
                               f"{', '.join(map(str, headers))}); name it with --{role}-column")
        if found is not None:
            chosen[role] = found
    unknown = set(columns) - set(COLUMN_NAMES)
    if unknown:
        raise DatasetError(f"columns: unknown role(s) {', '.join(sorted(unknown))}; expected {', '.join(COLUMN_NAMES)}")
    return records, chosen


def read_label_file(path: str | Path, columns: dict[str, str] | None = None,
                    skip_bad_rows: bool = False) -> LabelRows:
    """Every video a label file names, with its label and original (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: label file not found")
    records, chosen = _records(path, dict(columns or {}))
    rows: list[LabelRow] = []
    skipped: list[dict] = []
    first_of: dict[str, LabelRow] = {}
    for where, record in records:
        entry = record.get(chosen["video"])
        try:
            if _blank(entry):
                raise DatasetError(f"{path}: {where}: no video named (column {chosen['video']!r} is empty)")
            entry = safe_relative(str(entry), f"{path}: {where}")  # refuses ../ and absolute paths
            label = parse_label(record.get(chosen["label"]), where, path)
            original = record.get(chosen["original"]) if "original" in chosen else None
            if not _blank(original):
                safe_relative(str(original), f"{path}: {where}")
            row = LabelRow(where, entry, media_stem(entry), label,
                           media_stem(str(original)) if label and not _blank(original) else "")
            if row.stem in first_of:
                earlier = first_of[row.stem]
                raise DatasetError(f"{path}: {where}: video {row.stem!r} is named again (first at {earlier.where})")
        except DatasetError as error:
            if not skip_bad_rows:
                raise
            skipped.append({"where": where, "entry": "" if _blank(entry) else str(entry),
                            "reason": str(error).split(": ", 2)[-1]})
            continue
        first_of[row.stem] = row
        rows.append(row)
    if not rows and not skipped:
        raise DatasetError(f"{path}: no rows")
    return LabelRows(rows, skipped, chosen)


_TRAILING_FRAME = re.compile(r"(?P<video>.+?)(?:[_-](?:frame[_-]?)?\d+)?(?:[_-]face[_-]?\d+)?")


def match_files(rows: list[LabelRow], files: list[Path], root: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """Each row's media files below ``root`` (by its stem, in frame order) and the files no row names.

    A file belongs to the row whose name is, in this order: its path relative to ``root`` without suffix
    (``faces_224/abc``), its name (``abc.jpg``), its folder (``abc/0001.jpg``: one folder per video), or its
    name less a trailing frame and face number (``abc_3.jpg``, ``abc_frame_3_face_0.jpg``).
    """
    by_entry = {PurePosixPath(row.entry).with_suffix("").as_posix() if PurePosixPath(row.entry).suffix.lower()
                in VIDEO_SUFFIXES + IMAGE_SUFFIXES else row.entry: row.stem for row in rows}
    stems = {row.stem for row in rows}
    matched: dict[str, list[Path]] = defaultdict(list)
    unlisted: list[Path] = []
    for path in files:
        relative = path.relative_to(root).with_suffix("").as_posix()
        trailing = _TRAILING_FRAME.fullmatch(path.stem)
        for candidate in (by_entry.get(relative), path.stem, path.parent.name,
                          trailing.group("video") if trailing else None):
            if candidate in stems:
                matched[candidate].append(path)
                break
        else:
            unlisted.append(path)
    return dict(matched), unlisted
