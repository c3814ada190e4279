"""Choosing the face-identity threshold (:mod:`dfutils.data.face_identity`) on crops whose people are known.

Two sets of real videos name their people: Celeb-DF's ``Celeb-real`` crops (``idN_NNNN``: person ``idN``;
YouTube-real videos name nobody and are left out), and FF++'s originals as clean crops (``ffpp-256/real``) and
as c40 crops (``ffpp-c40/original``), where an FF++ id is one person and 29 ids appear in both folders (the
same video at two compressions: the hard case of one person under two codecs). Each set is clustered on its
own, as an index would cluster it, at every threshold of a grid; :func:`threshold_table` gives same-person
precision and recall over pairs of videos (:func:`dfutils.data.face_identity.pair_scores`) per set and pooled,
and :func:`choose_threshold` the threshold of the best pooled F-beta (beta 2: a missed same-person pair can
put one person on both sides of a split, a stranger grouped in only makes a group larger). Choosing on each
set and reading the other (``transfer`` in :func:`threshold_table`'s attributes) shows how far a choice
carries to data it was not made on.

``dfutils data face-threshold`` prints the table; ``reports/RESULTS.md`` keeps its figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.data import face_identity
from dfutils.errors import DatasetError

THRESHOLDS = tuple(round(value, 2) for value in np.arange(0.5, 1.301, 0.05))
BETA = 2.0  # recall counts twice: a missed pair is a possible leak, a wrong one a larger group


@dataclass
class KnownPeople:
    """Videos whose person is known: their ids, people and crop files (``video_id, file, frame``)."""

    name: str
    video_ids: list[str]
    people: list[str]
    members: pd.DataFrame


def known_people(real_faces: str | Path) -> list[KnownPeople]:
    """The Celeb-DF and FF++ sets of ``real_faces`` (``../shared/real-faces``) that are present."""
    from dfutils.data.crop_folders import scan

    root = Path(real_faces)
    sets = []
    if (root / "celebdf").is_dir():
        found = scan(root / "celebdf", check_images=False)
        named = found.videos[(found.videos["label"] == 0) & (found.videos["people"].map(len) > 0)]
        sets.append(KnownPeople("Celeb-DF (Celeb-real)", named["video_id"].tolist(),
                                [sorted(people)[0] for people in named["people"]],
                                found.members[found.members["video_id"].isin(set(named["video_id"]))]))
    parts = []
    for folder in ("ffpp-256", "ffpp-c40"):
        if (root / folder).is_dir():
            found = scan(root / folder, check_images=False)
            reals = found.videos[found.videos["label"] == 0]
            members = found.members[found.members["video_id"].isin(set(reals["video_id"]))]
            # the two folders name their videos alike (real/000, original/000): keep them apart by folder
            parts.append(([f"{folder}/{v}" for v in reals["video_id"]], [sorted(p)[0] for p in reals["people"]],
                          members.assign(video_id=folder + "/" + members["video_id"])))
    if parts:
        sets.append(KnownPeople("FF++ originals (clean + c40)", sum((p[0] for p in parts), []),
                                sum((p[1] for p in parts), []), pd.concat([p[2] for p in parts], ignore_index=True)))
    if not sets:
        raise DatasetError(f"{root}: neither celebdf/ nor ffpp-256/ or ffpp-c40/ is here (the real face crops whose "
                           "people are known)")
    return sets


def f_beta(precision: float, recall: float, beta: float = BETA) -> float:
    return 0.0 if precision + recall == 0 else (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)


def threshold_table(sets: list[KnownPeople], thresholds=THRESHOLDS, cache: str | Path | None = None,
                    progress: bool = True) -> pd.DataFrame:
    """Per set and pooled (``set == "pooled"``): threshold, precision, recall, F-beta, same-person pairs, pairs
    put together, clusters and the largest cluster's size. ``attrs["transfer"]``: each set's own best threshold
    and the other sets' precision and recall there."""
    rows = []
    for known in sets:
        embeddings = face_identity.video_embeddings(known.members, known.video_ids, cache=cache, progress=progress)
        people = np.asarray(known.people)
        for threshold in thresholds:
            clusters = face_identity.cluster(embeddings, threshold)
            scores = face_identity.pair_scores(clusters, people)
            rows.append({"set": known.name, "threshold": threshold, "videos": len(people),
                         "people": len(set(known.people)), **scores, "clusters": int(clusters.max() + 1),
                         "largest_cluster": int(np.bincount(clusters).max())})
    table = pd.DataFrame(rows)
    pooled = table.groupby("threshold", as_index=False).agg(
        videos=("videos", "sum"), people=("people", "sum"), pairs_together=("pairs_together", "sum"),
        same_person_pairs=("same_person_pairs", "sum"), true_pairs=("true_pairs", "sum"), clusters=("clusters", "sum"),
        largest_cluster=("largest_cluster", "max"))
    pooled["precision"] = pooled["true_pairs"] / pooled["pairs_together"].clip(lower=1)
    pooled["recall"] = pooled["true_pairs"] / pooled["same_person_pairs"].clip(lower=1)
    table = pd.concat([table, pooled.assign(set="pooled")], ignore_index=True)
    table["f_beta"] = [f_beta(p, r) for p, r in zip(table["precision"], table["recall"], strict=True)]
    table.attrs["transfer"] = [
        {
            "chosen_on": known.name,
            "threshold": own,
            **{
                f"{other.name} {what}": float(
                    table[(table["set"] == other.name) & (table["threshold"] == own)][what].iloc[0]
                )
                for other in sets
                if other is not known
                for what in ("precision", "recall")
            },
        }
        for known in sets
        for own in [choose_threshold(table, known.name)]
    ]
    return table


def choose_threshold(table: pd.DataFrame, on: str = "pooled") -> float:
    """The threshold of the highest F-beta on set ``on`` (the pooled pairs by default); the smaller on a tie."""
    rows = table[table["set"] == on].sort_values("threshold")
    return float(rows.loc[rows["f_beta"].idxmax(), "threshold"])
