"""Plots the notebooks share (seaborn on matplotlib). Each returns its Figure."""

from __future__ import annotations

import pandas as pd


def plot_composition(df: pd.DataFrame, title: str = "Videos per split and method"):
    """Bar plot of videos per split, coloured by method (reals are the 'real' method)."""
    import seaborn as sns

    from dfutils.data.datasets import SPLITS, composition

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

    from dfutils.data.video import read_frames

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


def plot_tsne(maps: dict[str, pd.DataFrame], hues=("label_name", "method"), title: str = "t-SNE"):
    """One row per embedding space (``maps``: name -> table with x, y and the hue columns),
    one column per colouring, like Paper B's Figs. 5 and 6."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    figure, axes = plt.subplots(len(maps), len(hues), figsize=(5 * len(hues), 4.3 * len(maps)), squeeze=False)
    for row, (name, table) in enumerate(maps.items()):
        for column, hue in enumerate(hues):
            axis = axes[row][column]
            sns.scatterplot(data=table, x="x", y="y", hue=hue, s=9, linewidth=0, alpha=0.75, ax=axis,
                            hue_order=sorted(table[hue].unique()))
            axis.set_title(f"{name}: by {hue.replace('_name', '')}")
            axis.set_xticks([]), axis.set_yticks([])
            axis.set_xlabel(""), axis.set_ylabel("")
            axis.legend(fontsize=7, markerscale=1.5, loc="best")
    figure.suptitle(title, y=1.0)
    figure.tight_layout()
    return figure


def plot_roc(predictions: pd.DataFrame, by: str = "model", title: str = "ROC curves (test videos)"):
    """ROC curve of every model on one plot, AUC in the legend."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    figure, axis = plt.subplots(figsize=(5.6, 5))
    for name, part in predictions.groupby(by, sort=True):
        if part["label"].nunique() < 2:
            continue
        fpr, tpr, _ = roc_curve(part["label"], part["score"])
        axis.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(part['label'], part['score']):.3f})")
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    axis.set_xlabel("false positive rate (reals called fake)")
    axis.set_ylabel("true positive rate (fakes caught)")
    axis.set_title(title)
    axis.legend(fontsize=7, loc="lower right")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_confusions(
    matrices: dict[str, pd.DataFrame], columns: int = 4, title: str = "Confusion matrices (test videos)"
):
    """A seaborn heatmap per model (counts, rows = true class)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = -(-len(matrices) // columns)
    figure, axes = plt.subplots(
        rows, min(columns, len(matrices)), figsize=(3.2 * min(columns, len(matrices)), 2.9 * rows), squeeze=False
    )
    for axis in axes.flat[len(matrices):]:
        axis.axis("off")
    for axis, (name, matrix) in zip(axes.flat, matrices.items(), strict=False):
        sns.heatmap(matrix, annot=True, fmt="d", cmap="Blues", cbar=False, ax=axis)
        axis.set_title(name, fontsize=9)
    figure.suptitle(title, y=1.0)
    figure.tight_layout()
    return figure


def plot_matrix(matrix: pd.DataFrame, title: str, fmt: str = ".3f", cmap: str = "viridis", vmin=0.0, vmax=1.0):
    """A labelled heatmap of a small table (e.g. train compression x test compression AUC)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    figure, axis = plt.subplots(figsize=(1.6 + 1.3 * matrix.shape[1], 1.2 + 0.8 * matrix.shape[0]))
    sns.heatmap(matrix.astype(float), annot=True, fmt=fmt, cmap=cmap, vmin=vmin, vmax=vmax, ax=axis)
    axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_frame_strip(frame_scores, crops=None, title: str = "", threshold: float = 0.5):
    """Per-frame fake probability of one video as a strip (with the crops above it when given)."""
    import matplotlib.pyplot as plt
    import numpy as np

    scores = np.asarray(frame_scores, dtype=float)
    has_crops = crops is not None and len(crops)
    figure, axes = plt.subplots(
        2 if has_crops else 1,
        1,
        figsize=(max(6, 0.45 * len(scores)), 3.6 if has_crops else 2.2),
        squeeze=False,
        gridspec_kw={"height_ratios": [1, 1.2] if has_crops else [1]},
    )
    if has_crops:
        axes[0][0].imshow(np.concatenate(list(crops), axis=1))
        axes[0][0].axis("off")
    axis = axes[-1][0]
    axis.bar(np.arange(len(scores)), scores, color=np.where(scores > threshold, "tab:red", "tab:blue"))
    axis.axhline(threshold, color="grey", linestyle=":")
    axis.set_ylim(0, 1)
    axis.set_xlabel("sampled frame")
    axis.set_ylabel("fake probability")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


def plot_loss_curves(histories: pd.DataFrame, by: str, title: str = "loss"):
    """Training and validation loss per epoch, one panel per value of ``by``."""
    import seaborn as sns

    long = histories.melt(id_vars=["epoch", by], value_vars=[c for c in ("loss", "val_loss") if c in histories])
    grid = sns.relplot(data=long.replace({"loss": "train", "val_loss": "validation"}), x="epoch", y="value",
                       hue="variable", col=by, kind="line", height=3, aspect=1.3)
    grid.set_axis_labels("epoch", title)
    return grid.figure


def plot_auc_intervals(table: pd.DataFrame, label: str, hue: str, reference: dict[str, float] | None = None,
                       title: str = "Test AUC with its 95% interval"):
    """One horizontal bar per row (``test_auc``, error bar ``auc_low``..``auc_high``), coloured by ``hue``;
    ``reference`` draws labelled vertical lines (chance, a baseline)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    figure, axis = plt.subplots(figsize=(8, 0.45 * len(table) + 1.5))
    palette = dict(zip(table[hue].unique(), sns.color_palette("tab10"), strict=False))
    positions = range(len(table))
    axis.barh(list(positions), table["test_auc"], color=[palette[v] for v in table[hue]],
              xerr=[table["test_auc"] - table["auc_low"], table["auc_high"] - table["test_auc"]], capsize=3)
    axis.set_yticks(list(positions), table[label])
    axis.invert_yaxis()
    for name, value in (reference or {}).items():
        axis.axvline(value, color="grey", linestyle="--", linewidth=1)
        axis.text(value, len(table) - 0.4, f" {name}", color="grey", fontsize=8, va="bottom")
    axis.set_xlim(0.4, 1.0)
    axis.set_xlabel("test AUC (video level)")
    axis.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in palette.values()], labels=list(palette),
                loc="lower right", fontsize=8)
    axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_distributions(table: pd.DataFrame, columns, hue: str, title: str = "", log_columns=()):
    """One panel per column of ``table``: each ``hue`` group's distribution (kernel density), side by side;
    ``log_columns`` on a log scale."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    columns = list(columns)
    figure, axes = plt.subplots(1, len(columns), figsize=(4.3 * len(columns), 3.3), squeeze=False)
    for axis, column in zip(axes[0], columns, strict=True):
        sns.kdeplot(data=table, x=column, hue=hue, ax=axis, common_norm=False, fill=True, alpha=0.15,
                    log_scale=column in log_columns, legend=axis is axes[0][-1])
        axis.set_title(column.replace("_", " "))
    if axes[0][-1].get_legend() is not None:
        sns.move_legend(axes[0][-1], "upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
