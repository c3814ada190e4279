"""The split policy: whole groups (the original video a fake was made from, or the person) to train, val and
test, seeded, and a check that no group is on two sides (following another index's split for the people both
show is :func:`dfutils.data.datasets.follow_split`, which reads people from the names)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dfutils.seeding import rng

SPLITS = ("train", "val", "test")

DEFAULT_FRACTIONS = {"train": 0.72, "val": 0.14, "test": 0.14}


def grouped_split(
    groups: Iterable[str], seed: int, fractions: dict[str, float] | None = None
) -> dict[str, str]:
    """Assign whole groups to train/val/test at random (seeded).

    Groups are sorted before shuffling, so the answer depends only on the set of
    groups and the seed. With three or more groups, val and test get at least one.
    """
    fractions = dict(fractions or DEFAULT_FRACTIONS)
    if set(fractions) != set(SPLITS) or any(v < 0 for v in fractions.values()) or sum(fractions.values()) <= 0:
        raise ValueError(f"fractions must give non-negative shares for {SPLITS}, got {fractions}")
    unique = sorted(set(groups))
    order = rng(seed, "grouped_split").permutation(len(unique))
    shuffled = [unique[i] for i in order]
    total = sum(fractions.values())
    count = len(shuffled)
    n_test = round(count * fractions["test"] / total)
    n_val = round(count * fractions["val"] / total)
    if count >= 3:
        n_test = max(n_test, 1 if fractions["test"] > 0 else 0)
        n_val = max(n_val, 1 if fractions["val"] > 0 else 0)
    n_test = min(n_test, count)
    n_val = min(n_val, count - n_test)
    assignment = {}
    for position, group in enumerate(shuffled):
        if position < n_test:
            assignment[group] = "test"
        elif position < n_test + n_val:
            assignment[group] = "val"
        else:
            assignment[group] = "train"
    return assignment


def split_index(df: pd.DataFrame, seed: int, fractions: dict[str, float] | None = None) -> pd.DataFrame:
    """What every indexer ends with: the videos whose split the dataset fixes keep it (an official list, split
    folders, parts), whole groups of the rest get a seeded split (:func:`grouped_split`), and no video or group
    is on two sides (:func:`check_no_leak`). ``df`` is changed in place and returned."""
    todo = df["split"] == ""
    if todo.any():
        assignment = grouped_split(df.loc[todo, "group"], seed, fractions)
        df.loc[todo, "split"] = df.loc[todo, "group"].map(assignment)
    check_no_leak(df)
    return df


def check_no_leak(df: pd.DataFrame) -> None:
    """Raise ValueError if any video or group appears in more than one split."""
    for column in ("video_id", "group"):
        spread = df.groupby(column)["split"].nunique()
        leaking = spread[spread > 1]
        if len(leaking):
            examples = ", ".join(map(str, leaking.index[:5]))
            raise ValueError(f"{len(leaking)} {column} value(s) span several splits: {examples}")
