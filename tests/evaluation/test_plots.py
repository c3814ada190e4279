"""The plots people read instead of tables: each draws what its data says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from dfutils.evaluation import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_roc_draws_a_curve_per_model_with_its_auc_and_skips_one_class_models():
    labels = np.array([0, 0, 1, 1])
    predictions = pd.concat([
        pd.DataFrame({"model": "perfect", "label": labels, "score": [0.1, 0.2, 0.8, 0.9]}),
        pd.DataFrame({"model": "inverted", "label": labels, "score": [0.9, 0.8, 0.2, 0.1]}),
        pd.DataFrame({"model": "reals only", "label": [0, 0], "score": [0.3, 0.4]}),
    ])
    axis = plots.plot_roc(predictions).axes[0]
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert legend == ["inverted (AUC 0.000)", "perfect (AUC 1.000)", "chance"]


def test_history_has_a_panel_per_metric_with_train_and_validation():
    history = pd.DataFrame({"epoch": [0, 1, 2], "loss": [0.9, 0.7, 0.6], "val_loss": [1.0, 0.8, 0.75],
                            "auc": [0.5, 0.6, 0.7], "val_auc": [0.5, 0.55, 0.6]})
    figure = plots.plot_history(history)
    assert [axis.get_title() for axis in figure.axes] == ["loss", "auc"]
    train, validation = figure.axes[0].get_lines()
    assert list(train.get_xdata()) == [1, 2, 3] and list(validation.get_ydata()) == [1.0, 0.8, 0.75]


def test_matrix_annotates_every_cell_and_frame_strip_colours_fakes():
    matrix = pd.DataFrame([[0.9, 0.6], [0.7, 0.8]], index=["c23", "c40"], columns=["c23", "c40"])
    texts = [text.get_text() for text in plots.plot_matrix(matrix, "AUC").axes[0].texts]
    assert texts == ["0.900", "0.600", "0.700", "0.800"]
    bars = plots.plot_frame_strip([0.2, 0.9, 0.6]).axes[0].patches
    assert [bar.get_height() for bar in bars] == [0.2, 0.9, 0.6]
    red = matplotlib.colors.to_rgba("tab:red")
    assert [bar.get_facecolor() == red for bar in bars] == [False, True, True]


def test_auc_intervals_draw_a_bar_per_row_with_its_interval_and_the_references():
    table = pd.DataFrame({"variant": ["a", "b"], "lever": ["x", "y"], "test_auc": [0.7, 0.6],
                          "auc_low": [0.6, 0.5], "auc_high": [0.8, 0.65]})
    axis = plots.plot_auc_intervals(table, "variant", "lever", {"chance": 0.5}).axes[0]
    assert [bar.get_width() for bar in axis.patches[:2]] == [0.7, 0.6]
    assert [label.get_text() for label in axis.get_yticklabels()] == ["a", "b"]
    assert any(text.get_text().strip() == "chance" for text in axis.texts)
