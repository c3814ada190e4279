"""Training-time sampling of an index: fakes down-sampled to the reals (Paper A), the parts of Paper B's bagging,
and the composition of a table (reals and fakes per split and method)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfutils.data.splits import SPLITS
from dfutils.seeding import rng


def downsample_fakes(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Paper A: keep every real video and as many fakes as reals, drawn at random (seeded)."""
    reals = df[df["label"] == 0]
    fakes = df[df["label"] == 1]
    if len(fakes) > len(reals):
        chosen = rng(seed, "downsample_fakes").choice(len(fakes), size=len(reals), replace=False)
        fakes = fakes.iloc[np.sort(chosen)]
    return pd.concat([reals, fakes]).sort_index()


def bagging_parts(df: pd.DataFrame, parts: int, seed: int) -> list[pd.DataFrame]:
    """Paper B: cut the fakes into ``parts`` near-equal random parts, each paired with all reals."""
    fakes = df[df["label"] == 1]
    reals = df[df["label"] == 0]
    if parts < 1 or parts > len(fakes):
        raise ValueError(f"parts must be between 1 and the number of fakes ({len(fakes)}), got {parts}")
    order = rng(seed, "bagging_parts").permutation(len(fakes))
    return [
        pd.concat([reals, fakes.iloc[np.sort(chunk)]]).sort_index()
        for chunk in np.array_split(order, parts)
    ]


def composition(df: pd.DataFrame) -> pd.DataFrame:
    """Videos per split, method and label: the table behind the class-balance plot."""
    table = (
        df.assign(label_name=df["label"].map({0: "real", 1: "fake"}))
        .groupby(["split", "method", "label_name"], observed=True)
        .size()
        .rename("videos")
        .reset_index()
    )
    table["split"] = pd.Categorical(table["split"], categories=SPLITS, ordered=True)
    return table.sort_values(["split", "label_name", "method"]).reset_index(drop=True)
