"""The Celeb-DF (v1/v2) indexer: the official test list or an identity-disjoint split, fakes grouped with their
target person."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.data.index_files import (
    VIDEO_SUFFIXES,
    MissingFile,
    VideoRow,
    dataset_root,
    index_frame,
    read_text,
    safe_relative,
)
from dfutils.data.splits import DEFAULT_FRACTIONS, split_index
from dfutils.errors import DatasetError

LAYOUT = ("Celeb-real/, YouTube-real/, Celeb-synthesis/ (videos in them or in a videos/ folder inside) "
          "and List_of_testing_videos.txt")


CELEBDF_FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}
CELEBDF_TEST_LIST = "List_of_testing_videos.txt"


def _celebdf_identity(folder: str, stem: str) -> tuple[str, str]:
    """(group, original video_id) of a Celeb-DF video from its name."""
    if folder == "Celeb-synthesis":
        match = re.fullmatch(r"(id\d+)_(id\d+)_(\d+)", stem)
        if not match:
            return f"celebdf/{folder}/{stem}", ""
        target, _source, number = match.groups()
        return f"celebdf/{target}", f"Celeb-real/{target}_{number}.mp4"
    if folder == "Celeb-real":
        match = re.fullmatch(r"(id\d+)_\d+", stem)
        return (f"celebdf/{match.group(1)}" if match else f"celebdf/{folder}/{stem}"), ""
    return f"celebdf/{folder}/{stem}", ""  # YouTube-real: identity unknown, one group per video


def read_celebdf_test_list(path: Path, real_label: int = 1) -> dict[str, int]:
    """``List_of_testing_videos.txt`` as {video_id: label with 1 = fake}.

    The official file writes ``1 = real`` (``real_label=1``), has no header and
    no trailing newline; every line, the first included, is a video.
    """
    if real_label not in (0, 1):
        raise DatasetError(f"real_label: expected 0 or 1, got {real_label!r}")
    text = read_text(path)
    listed: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ("0", "1"):
            raise DatasetError(f"{path}: line {number}: expected '<0|1> <folder>/<file>.mp4', got {line.strip()!r}")
        video_id = safe_relative(parts[1], path)
        listed[video_id] = 0 if int(parts[0]) == real_label else 1
    if not listed:
        raise DatasetError(f"{path}: file is empty")
    return listed


CELEBDF_PROTOCOLS = ("official", "identity-disjoint")


def index_celebdf(
    root: str | Path,
    *,
    seed: int = 0,
    real_label: int = 1,
    fractions: dict[str, float] | None = None,
    protocol: str = "official",
) -> pd.DataFrame:
    """Index Celeb-DF (v2): the three folders and the official test list.

    ``protocol="official"`` (the default, as Paper B and every published
    Celeb-DF figure): exactly the videos of ``List_of_testing_videos.txt`` are
    the test set; every other video goes to train or val, whole identities at
    random (seeded). The official list tests on 56 of the 59 identities, so
    most test identities also appear in training: that overlap is part of the
    protocol, counted in ``df.attrs["notes"]`` (printed by ``dfutils data
    index``), not hidden. The test videos' ``group`` is their identity within
    the test list (``celebdf-test/idN``), so no group spans two splits.

    ``protocol="identity-disjoint"``: every video of an identity the list tests
    on goes to test (a superset of the list), so no face of the test set is ever
    trained on; the notes say how many videos that moves out of training.

    Groups are identities (a fake ``idA_idB_NNNN`` belongs to ``idA``, the person
    in the target video). The list's labels are checked against the folders: a
    list whose labels all disagree says to flip ``real_label``.
    """
    if protocol not in CELEBDF_PROTOCOLS:
        raise DatasetError(f"protocol: unknown {protocol!r}; expected one of {', '.join(CELEBDF_PROTOCOLS)}")
    root = dataset_root(root, "Celeb-DF")
    present = [folder for folder in CELEBDF_FOLDERS if (root / folder).is_dir()]
    if not present:
        raise DatasetError(f"{root}: none of the Celeb-DF folders {', '.join(CELEBDF_FOLDERS)} is here")
    rows = []
    listed_as: dict[str, str] = {}  # video_id -> the name the test list uses (<folder>/<file>)
    for folder in present:
        # the release puts the videos straight in each folder; some tools' instructions add a videos/ level
        for where in (root / folder, root / folder / "videos"):
            for path in sorted(where.iterdir()) if where.is_dir() else []:
                if path.suffix.lower() not in VIDEO_SUFFIXES or not path.is_file():
                    continue
                group, original = _celebdf_identity(folder, path.stem)
                label = CELEBDF_FOLDERS[folder]
                video_id = path.relative_to(root).as_posix()
                listed_as[video_id] = f"{folder}/{path.name}"
                rows.append(VideoRow(video_id, str(path), label, "celebdf", "Celeb-synthesis" if label else "real",
                                     "release", original, group))
    if not rows:
        raise DatasetError(f"{root}: no videos in {', '.join(f'{folder}/ or {folder}/videos/' for folder in present)} "
                           f"(expected the Celeb-DF v2 layout: {LAYOUT})")
    df = index_frame(rows, [])
    # the list is matched without regard to case (a copy made on Windows or macOS may write .MP4 for .mp4): a
    # listed video on disk is always tested, never trained on
    as_listed = df["video_id"].map(listed_as).str.lower()
    missing, notes = [], []
    test_list = root / CELEBDF_TEST_LIST
    listed: dict[str, int] = {}
    if test_list.is_file():
        as_written = read_celebdf_test_list(test_list, real_label)
        listed = {video.lower(): label for video, label in as_written.items()}
        folder_label = dict(zip(as_listed, df["label"], strict=True))
        compared = [(vid, label) for vid, label in as_written.items() if vid.lower() in folder_label]
        disagree = [vid for vid, label in compared if folder_label[vid.lower()] != label]
        if compared and len(disagree) == len(compared):
            raise DatasetError(
                f"{test_list}: every label disagrees with its folder; the file's convention looks "
                f"inverted (real_label={real_label}); try real_label={1 - real_label}"
            )
        if disagree:
            raise DatasetError(
                f"{test_list}: label disagrees with the folder for {disagree[0]} (and {len(disagree) - 1} more)"
            )
        for video_id in as_written:
            if video_id.lower() not in folder_label:
                missing.append(
                    MissingFile(video_id, str(root / video_id), f"listed in {CELEBDF_TEST_LIST}, file absent")
                )
    in_list = as_listed.isin(listed)
    test_groups = set(df.loc[in_list, "group"])
    if protocol == "official":
        df.loc[in_list, "split"] = "test"
    else:
        df["split"] = np.where(df["group"].isin(test_groups), "test", "")
        moved = int((df["split"].eq("test") & ~in_list).sum())
        notes.append(f"identity-disjoint protocol: every video of the {len(test_groups)} identities the official list "
                     f"tests on is tested, which moves {moved} unlisted videos from training to test "
                     f"({int(df['split'].eq('test').sum())} test videos instead of {int(in_list.sum())})")
    if listed:
        # the test set is fixed by the list: share the rest between train and val
        shares = dict(fractions or DEFAULT_FRACTIONS)
        fractions = {"train": shares["train"], "val": shares["val"], "test": 0.0}
    people_of = df["group"].copy()  # each video's person, before the listed ones get a test group of their own
    if protocol == "official" and listed:
        # a listed video's group is its identity within the test list: no group spans two splits
        df.loc[in_list, "group"] = df.loc[in_list, "group"].str.replace("celebdf/", "celebdf-test/", regex=False)
    split_index(df, seed, fractions)
    if protocol == "official" and listed:
        people = {group for group in test_groups if group.startswith("celebdf/id")}  # YouTube-real: one group a video
        overlap = sorted(people & set(people_of[df["split"] == "train"]))
        notes.append(
            f"official protocol: the {int(in_list.sum())} listed videos are the test set; {len(overlap)} of its "
            f"{len(people)} identities also appear in training "
            f"({int(people_of.isin(overlap).sum() - people_of[in_list].isin(overlap).sum())} "
            "videos of theirs are not listed), as in every published Celeb-DF figure; "
            "`--protocol identity-disjoint` tests every video of those identities instead"
        )
    df.attrs["missing"] = sorted((asdict(row) for row in missing), key=lambda row: row["video_id"])
    df.attrs["notes"] = notes
    return df
