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


def plot_fake_comparison(root, manifest: pd.DataFrame, target_clip: str | None = None,
                         compression: str | None = None, frame: int = 12):
    """One frame of a real clip beside each method's fake of it, with difference maps."""
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np

    from .video import read_frames

    root = Path(root)
    compression = compression or sorted(manifest["compression"].unique())[0]
    fakes = manifest[(manifest["label"] == 1) & (manifest["compression"] == compression)]
    target_clip = target_clip or fakes["target_clip"].iloc[0]
    fakes = fakes[fakes["target_clip"] == target_clip].sort_values("method")
    real_row = manifest[(manifest["label"] == 0) & (manifest["compression"] == compression)
                        & (manifest["target_clip"] == target_clip)].iloc[0]
    real = read_frames(root / real_row["video_id"])[frame]
    figure, axes = plt.subplots(2, len(fakes) + 1, figsize=(2.6 * (len(fakes) + 1), 5.4))
    axes[0, 0].imshow(real)
    axes[0, 0].set_title(f"real {target_clip}\n{real_row['identity']}", fontsize=9)
    axes[1, 0].axis("off")
    for column, (_, row) in enumerate(fakes.iterrows(), start=1):
        fake = read_frames(root / row["video_id"])[frame]
        difference = np.abs(fake.astype(int) - real.astype(int)).mean(axis=2)
        axes[0, column].imshow(fake)
        axes[0, column].set_title(f"{row['method']}\nsource {row['source_identity']}", fontsize=9)
        image = axes[1, column].imshow(difference, cmap="magma", vmin=0, vmax=40)
        axes[1, column].set_title(f"|fake - real|, mean {difference.mean():.2f}", fontsize=8)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.colorbar(image, ax=axes[1, 1:].tolist(), shrink=0.8, label="grey levels")
    figure.suptitle(f"SynthDF at {compression}, frame {frame}", y=1.0)
    return figure


def plot_crop_grid(crops_by_group: dict[str, list], columns: int = 6, title: str = "Face crops"):
    """Rows of face crops, one row per group (label or method): ``{"real": [crop, ...], ...}``."""
    import matplotlib.pyplot as plt

    rows = [name for name, crops in crops_by_group.items() if len(crops)]
    figure, axes = plt.subplots(len(rows), columns, figsize=(1.6 * columns, 1.7 * len(rows)), squeeze=False)
    for row, name in enumerate(rows):
        for column in range(columns):
            axis = axes[row, column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(crops_by_group[name]):
                axis.imshow(crops_by_group[name][column])
            else:
                axis.axis("off")
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    figure.suptitle(title, y=1.0)
    figure.tight_layout()
    return figure


def plot_history(history: pd.DataFrame, title: str = "Training"):
    """Loss and AUC per epoch, training beside validation."""
    import matplotlib.pyplot as plt

    metrics = [m for m in ("loss", "auc", "accuracy") if m in history]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False)
    epochs = history["epoch"] + 1 if "epoch" in history else range(1, len(history) + 1)
    for axis, metric in zip(axes[0], metrics, strict=True):
        axis.plot(epochs, history[metric], marker="o", label="train")
        if f"val_{metric}" in history:
            axis.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.suptitle(title, y=1.02)
    figure.tight_layout()
    return figure
