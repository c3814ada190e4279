"""Read the official dataset layouts into one index table, with leak-free splits.

Every indexer returns a :class:`pandas.DataFrame` with the columns of
``INDEX_COLUMNS`` (one row per video present on disk) and keeps the files it
could not use in ``df.attrs["missing"]`` (see :func:`missing_files`): a
partial download is normal for a 470 GB dataset and is reported, not fatal.

Conventions: ``label`` 1 = fake, 0 = real; ``video_id`` is the path relative
to the dataset root; ``group`` is the leak-free key (the original video a
fake was made from, or the identity), and no group is ever on two sides of a
split; ``split`` is ``train``, ``val`` or ``test``.

This module is the indexers' registry (:func:`index_dataset`, :func:`index_request`); each dataset's indexer
lives in its own module (:mod:`.dfdc`, :mod:`.celebdf`, :mod:`.ffpp`, :mod:`.crop_folders`), beside the split
policy (:mod:`.splits`), the index files (:mod:`.index_files`) and training-time sampling (:mod:`.sampling`),
whose names it also offers, so ``datasets.read_index`` and the like read as before.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dfutils.data import celebdf, crop_folders, dfdc, ffpp
from dfutils.data.celebdf import CELEBDF_PROTOCOLS, index_celebdf, read_celebdf_test_list
from dfutils.data.crop_folders import index_faces, people_of
from dfutils.data.dfdc import index_dfdc
from dfutils.data.ffpp import FFPP_COMPRESSIONS, FFPP_METHODS, index_ffpp, read_ffpp_splits
from dfutils.data.index_files import (
    INDEX_COLUMNS,
    MISSING_COLUMNS,
    VIDEO_SUFFIXES,
    crop_members_path,
    missing_files,
    read_crop_members,
    read_csv,
    read_index,
    read_text,
    safe_relative,
    write_index,
)
from dfutils.data.sampling import bagging_parts, composition, downsample_fakes
from dfutils.data.splits import (
    DEFAULT_FRACTIONS,
    SPLITS,
    check_no_leak,
    grouped_split,
)
from dfutils.errors import DatasetError

__all__ = [
    "CELEBDF_PROTOCOLS", "DATASETS", "DEFAULT_FRACTIONS", "FFPP_COMPRESSIONS", "FFPP_METHODS", "INDEXERS",
    "INDEX_COLUMNS", "LAYOUTS", "MISSING_COLUMNS", "SPLITS", "VIDEO_SUFFIXES", "bagging_parts", "check_no_leak",
    "composition", "crop_members_path", "data_root", "downsample_fakes", "follow_split", "grouped_split",
    "index_celebdf", "index_dataset", "index_dfdc", "index_faces", "index_ffpp", "index_request", "index_request_of",
    "missing_files",
    "read_celebdf_test_list", "read_crop_members", "read_csv", "read_ffpp_splits", "read_index", "read_text",
    "safe_relative", "write_index",
]

DATASETS = ("dfdc", "celebdf", "ffpp", "faces")

INDEXERS = {"dfdc": index_dfdc, "celebdf": index_celebdf, "ffpp": index_ffpp, "faces": index_faces}
# what each indexer expects to find, for the error when it finds no video
LAYOUTS = {"dfdc": dfdc.LAYOUT, "celebdf": celebdf.LAYOUT, "ffpp": ffpp.LAYOUT, "faces": crop_folders.LAYOUT}


def index_dataset(dataset: str, root: str | Path, **options) -> pd.DataFrame:
    """Dispatch to the indexer of ``dataset`` (``dfdc``, ``celebdf``, ``ffpp`` or ``faces``); an index
    without a single video is an error saying where it looked and which layout it expected."""
    if dataset not in INDEXERS:
        raise DatasetError(f"dataset: unknown {dataset!r}; expected one of {', '.join(INDEXERS)}")
    df = INDEXERS[dataset](root, **options)
    if df.empty:
        absent = len(missing_files(df))
        raise DatasetError(f"{Path(root).resolve()}: no {dataset} video found"
                           + (f" ({absent} listed but absent)" if absent else "")
                           + f"; expected the layout {LAYOUTS[dataset]}")
    return df


def data_root(folder: str | Path) -> Path:
    """A dataset folder as a profile names it: absolute, or relative to the project root (not to the
    notebooks' working folder), so ``../shared/real-faces/ffpp-256`` means the same from anywhere;
    ``{artifacts}`` stands for the artifacts folder (another run's SynthDF, say)."""
    from dfutils import config

    folder = Path(str(folder).replace("{artifacts}", str(config.ARTIFACTS_DIR))).expanduser()
    return folder if folder.is_absolute() else (config.PROJECT_ROOT / folder).resolve()


def index_request(dataset: str, dataset_root: str, synth_root: Path, seed: int, compressions=(), methods=(),
                  celebdf_protocol: str = "official", fractions: dict | None = None,
                  crop_pattern: str = "", min_crops: int = 1, *, labels_file: str = "",
                  label_columns: dict | None = None, skip_bad_rows: bool = False, group_faces: bool = False,
                  face_threshold: float = 0.0) -> tuple[Path, str, dict]:
    """What a run's dataset parameters ask to index: ``(root folder, indexer, its options)``. SynthDF
    is built at ``synth_root`` unless ``dataset_root`` names a folder, and indexed as FF++ (its layout).
    A dataset folder that does not exist is an error naming it and the parameter; an option of crop folders
    (``crop_pattern`` to ``face_threshold``) with another dataset is an error naming the option."""
    if dataset == "synth":
        root = data_root(dataset_root) if dataset_root else Path(synth_root)
    elif dataset_root:
        root = data_root(dataset_root)
        if not root.is_dir():
            raise DatasetError(f"dataset_root: {root} is not a folder; point the profile's dataset_root (or "
                               f"--set 01_data.dataset_root=...) at your {dataset} download")
    else:
        raise DatasetError(f"dataset_root: required for dataset {dataset!r} (the folder of the official download)")
    indexer = "ffpp" if dataset == "synth" else dataset
    if indexer not in INDEXERS:
        raise DatasetError(f"dataset: unknown {dataset!r}; expected synth or one of {', '.join(INDEXERS)}")
    options: dict = {"seed": seed}
    if fractions:
        options["fractions"] = dict(fractions)
    if indexer == "ffpp":
        options.update(compressions=list(compressions) or None, methods=list(methods) or None)
    if indexer == "celebdf":
        options["protocol"] = celebdf_protocol
    if indexer == "faces" and crop_pattern:
        options["pattern"] = crop_pattern
    crop_options = {"min_crops": min_crops if min_crops > 1 else None, "labels": labels_file or None,
                    "columns": dict(label_columns) if label_columns else None, "skip_bad_rows": skip_bad_rows or None,
                    "group_faces": group_faces or None, "face_threshold": face_threshold or None}  # 0: the default
    for name, value in crop_options.items():
        if value is None:
            continue
        if indexer != "faces":
            shown = {"labels": "labels_file", "columns": "label_columns"}.get(name, name)
            raise DatasetError(f"{shown} applies to folders of face crops (dataset faces), not {dataset!r}")
        options[name] = value
    return root, indexer, options


def index_request_of(parameters: dict, synth_root: Path) -> tuple[Path, str, dict]:
    """:func:`index_request` of notebook 01_data's parameters, by their names there (every one of them: a profile's
    values over the notebook's defaults)."""
    return index_request(
        parameters["dataset"], parameters["dataset_root"], synth_root, parameters["seed"], parameters["compressions"],
        parameters["methods"], parameters["celebdf_protocol"], parameters["split_fractions"] or None,
        parameters["crop_pattern"], parameters["min_crops"], labels_file=parameters["labels_file"],
        label_columns=parameters["label_columns"], skip_bad_rows=parameters["skip_bad_rows"],
        group_faces=parameters["group_faces"], face_threshold=parameters["face_threshold"])


def follow_split(df: pd.DataFrame, reference: pd.DataFrame, seed: int,
                 fractions: dict[str, float] | None = None) -> pd.DataFrame:
    """``df`` split as ``reference`` is for the people both show, the rest by a seeded split of whole groups.

    Two runs over the same people (the same FF++ videos at two compressions, say) can then be scored on
    each other's test splits without testing anyone a model trained on. People are read from the video
    names (:func:`dfutils.data.crop_folders.people_of`); a group whose people the reference put on several
    sides goes to the first of test, val and train among them (counted in ``attrs["notes"]``).
    """
    side_of: dict[str, set[str]] = {}
    for video_id, label, split in zip(reference["video_id"], reference["label"], reference["split"], strict=True):
        for person in people_of(video_id, int(label)):
            side_of.setdefault(person, set()).add(split)
    sides: dict[str, set[str]] = {}
    for video_id, label, group in zip(df["video_id"], df["label"], df["group"], strict=True):
        found = sides.setdefault(group, set())
        for person in people_of(video_id, int(label)):
            found |= side_of.get(person, set())
    followed = {
        group: next(s for s in ("test", "val", "train") if s in found) for group, found in sides.items() if found
    }
    rest = [group for group in sides if group not in followed]
    df = df.copy()
    df["split"] = df["group"].map({**grouped_split(rest, seed, fractions), **followed} if rest else followed)
    conflicts = sum(len(found) > 1 for found in sides.values())
    df.attrs["notes"] = [*df.attrs.get("notes", []),
                         f"{len(followed)} of {len(sides)} groups share people with the reference split and follow it"
                         + (f" ({conflicts} touch several of its sides: put on the first of test, val, train)"
                            if conflicts else "")]
    check_no_leak(df)
    return df
