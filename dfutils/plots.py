"""Plots the notebooks share (seaborn on matplotlib). Each returns its Figure."""

from __future__ import annotations

import pandas as pd


def plot_composition(df: pd.DataFrame, title: str = "Videos per split and method"):
    """Bar plot of videos per split, coloured by method (reals are the 'real' method)."""
    import seaborn as sns

    from .datasets import SPLITS, composition

    table = composition(df)
    grid = sns.catplot(
        data=table, x="split", y="videos", hue="method", kind="bar",
        order=[s for s in SPLITS if s in set(table["split"])], height=3.5, aspect=1.6,
    )
    grid.set_axis_labels("split", "videos")
    grid.figure.suptitle(title, y=1.02)
    for axis in grid.axes.flat:
        for container in axis.containers:
            axis.bar_label(container, fontsize=8)
    return grid.figure
