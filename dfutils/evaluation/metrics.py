"""Video-level metrics on scikit-learn, frame-to-video aggregation, and Paper A's test protocol.

Conventions: ``label`` 1 = fake, ``score`` = fake probability, a video is
called fake when ``score > threshold`` (0.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dfutils.seeding import rng

METRIC_COLUMNS = ["videos", "accuracy", "auc", "mae", "precision", "recall", "f1", "eer"]


def equal_error_rate(labels, scores) -> float:
    """EER from the ROC curve: the error where the false positive rate equals the false
    negative rate, linearly interpolated between the two ROC points that straddle it."""
    from sklearn.metrics import roc_curve

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(labels, scores)
    fnr = 1 - tpr
    gap = fnr - fpr  # falls from >= 0 at the first point to <= 0 at the last
    crossing = int(np.argmax(gap <= 0))
    if crossing == 0 or gap[crossing] == 0:
        return float(fpr[crossing] if gap[crossing] == 0 else (fpr[0] + fnr[0]) / 2)
    before, after = crossing - 1, crossing
    # the point t in [0, 1] along the segment where fnr - fpr = 0
    t = gap[before] / (gap[before] - gap[after])
    return float(fpr[before] + t * (fpr[after] - fpr[before]))


def video_metrics(labels, scores, threshold: float = 0.5) -> dict:
    """Accuracy, ROC AUC, MAE (|label - probability|), precision, recall, F1 (fake = positive), EER."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=float)
    predicted = (scores > threshold).astype(int)
    both = len(np.unique(labels)) == 2
    return {
        "videos": int(len(labels)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "auc": float(roc_auc_score(labels, scores)) if both else float("nan"),
        "mae": float(np.mean(np.abs(labels - scores))),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "eer": equal_error_rate(labels, scores) if both else float("nan"),
    }


def auc_interval(labels, scores, confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Bootstrap confidence interval of the ROC AUC (percentile method, ``scipy.stats.bootstrap``).

    Reals and fakes are resampled separately (a stratified bootstrap: every resample
    keeps both classes and the class sizes), with AUC computed as the Mann-Whitney
    statistic over all fake/real pairs. An interval whose lower end is above 0.5 says
    the model ranks fakes above reals more often than chance would on this many videos.
    """
    from scipy.stats import bootstrap, mannwhitneyu

    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=float)
    fakes, reals = scores[labels == 1], scores[labels == 0]
    if len(fakes) < 2 or len(reals) < 2:  # one video of a class cannot be resampled into an interval
        return float("nan"), float("nan")

    def auc(fake, real, axis=-1):
        return mannwhitneyu(fake, real, axis=axis).statistic / (fake.shape[axis] * real.shape[axis])

    result = bootstrap((fakes, reals), auc, n_resamples=resamples, confidence_level=confidence, vectorized=True,
                       paired=False, method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def metric_interval(labels, scores, metric: str, confidence: float = 0.95, resamples: int = 1000, seed: int = 0,
                    threshold: float = 0.5) -> tuple[float, float]:
    """Bootstrap confidence interval of any :func:`video_metrics` value (accuracy, precision, recall, F1, EER,
    AUC), reals and fakes resampled separately as in :func:`auc_interval` (percentiles of ``resamples``)."""
    if metric == "auc":
        return auc_interval(labels, scores, confidence, seed=seed)
    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=float)
    fakes, reals = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    if len(fakes) < 2 or len(reals) < 2:
        return float("nan"), float("nan")
    generator = rng(seed, "metric-interval", metric)
    values = []
    for _ in range(resamples):
        chosen = np.r_[generator.choice(fakes, len(fakes)), generator.choice(reals, len(reals))]
        truth, predicted = labels[chosen], scores[chosen] > threshold
        hits = int((truth & predicted).sum())
        values.append({
            "accuracy": float((truth == predicted).mean()),
            "precision": hits / max(int(predicted.sum()), 1),
            "recall": hits / max(int(truth.sum()), 1),
            "f1": 2 * hits / max(int(predicted.sum()) + int(truth.sum()), 1),
        }[metric] if metric != "eer" else equal_error_rate(truth, scores[chosen]))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def auc_difference(labels, first, second, confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> dict:
    """Two models' AUCs on the same videos and a paired bootstrap interval of their difference (first minus
    second): the same resampled videos score both (reals and fakes resampled separately). An interval that
    excludes 0 says one model ranks these videos better than the other beyond what the videos' draw explains."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels).astype(int)
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    fakes, reals = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    found = {"auc_first": float(roc_auc_score(labels, first)), "auc_second": float(roc_auc_score(labels, second))}
    found["difference"] = found["auc_first"] - found["auc_second"]
    generator = rng(seed, "auc-difference")
    draws = [(generator.choice(fakes, len(fakes)), generator.choice(reals, len(reals))) for _ in range(resamples)]
    chosen_fakes, chosen_reals = (np.stack([draw[k] for draw in draws]) for k in (0, 1))
    differences = _resampled_auc(first, chosen_fakes, chosen_reals) - _resampled_auc(second, chosen_fakes, chosen_reals)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return {**found, "difference_low": float(low), "difference_high": float(high)}


def _resampled_auc(scores: np.ndarray, fakes: np.ndarray, reals: np.ndarray) -> np.ndarray:
    """The AUC of each resample (rows of ``fakes`` and ``reals``: indices of resampled fakes and reals), as the
    Mann-Whitney statistic over fake/real pairs (ties count a half, as ``roc_auc_score``), all rows at once."""
    from scipy.stats import mannwhitneyu

    return mannwhitneyu(scores[fakes], scores[reals], axis=-1).statistic / (fakes.shape[1] * reals.shape[1])


def confusion(labels, scores, threshold: float = 0.5) -> pd.DataFrame:
    """2x2 confusion matrix, rows = true class, columns = predicted class (real, fake)."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(
        np.asarray(labels).astype(int), (np.asarray(scores) > threshold).astype(int), labels=[0, 1]
    )
    names = ["real", "fake"]
    return pd.DataFrame(matrix, index=pd.Index(names, name="true"), columns=pd.Index(names, name="predicted"))


def metrics_table(predictions: pd.DataFrame, by="split", threshold: float = 0.5) -> pd.DataFrame:
    """:func:`video_metrics` per group of ``by`` (one or more columns of a prediction table)."""
    rows = []
    for key, part in predictions.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        names = [by] if isinstance(by, str) else list(by)
        rows.append({**dict(zip(names, key, strict=True)), **video_metrics(part["label"], part["score"], threshold)})
    names = [by] if isinstance(by, str) else list(by)
    return pd.DataFrame(rows, columns=names + METRIC_COLUMNS).set_index(names)


def summary_by_split(predictions: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
    """Every metric per split (``predictions`` needs ``split``, ``label``, ``score``)."""
    return metrics_table(predictions, "split", threshold)


def with_auc_interval(table: pd.DataFrame, predictions: pd.DataFrame, by: str, seed: int = 0) -> pd.DataFrame:
    """``table`` (one row per value of ``by``) with the 95% bootstrap interval of each row's AUC
    (``auc_low``, ``auc_high``, see :func:`auc_interval`) after the ``auc`` column."""
    bounds = {key: auc_interval(part["label"], part["score"], seed=seed)
              for key, part in predictions.groupby(by, sort=False, observed=True)}
    table = table.copy()
    at = table.columns.get_loc("auc") + 1
    table.insert(at, "auc_low", [bounds.get(key, (np.nan, np.nan))[0] for key in table.index])
    table.insert(at + 1, "auc_high", [bounds.get(key, (np.nan, np.nan))[1] for key in table.index])
    return table


def repeated_balanced_test(predictions: pd.DataFrame, repeats: int = 10, seed: int = 0,
                           threshold: float = 0.5) -> pd.DataFrame:
    """Paper A's protocol: ``repeats`` times, down-sample the fake test videos to the number of
    reals (seeded) and score; one row of metrics per repeat."""
    reals = predictions[predictions["label"] == 0]
    fakes = predictions[predictions["label"] == 1]
    if reals.empty or fakes.empty:
        raise ValueError("repeated_balanced_test: needs real and fake videos")
    rows = []
    for repeat in range(repeats):
        order = rng(seed, "balanced-test", repeat).permutation(len(fakes))[:min(len(reals), len(fakes))]
        sample = pd.concat([reals, fakes.iloc[np.sort(order)]])
        rows.append({"repeat": repeat, **video_metrics(sample["label"], sample["score"], threshold)})
    return pd.DataFrame(rows).set_index("repeat")


def summarise_repeats(repeats: pd.DataFrame) -> pd.DataFrame:
    """Mode, mean and standard deviation of each metric over the repeats.

    Paper A reports the mode of its repeated tests. Metrics are continuous, so the
    mode is taken of values rounded to 0.01 (one percentage point for accuracy,
    AUC, F1...); when no rounded value occurs twice there is no mode and the median
    is given instead (column ``mode_is_median``).
    """
    rows = {}
    for column in [c for c in METRIC_COLUMNS if c in repeats and c != "videos"]:
        values = repeats[column].dropna()
        rounded = values.round(2)
        counts = rounded.value_counts()
        has_mode = len(counts) > 0 and counts.iloc[0] > 1
        mode = (
            float(counts[counts == counts.iloc[0]].index.min())
            if has_mode
            else float(values.median())
            if len(values)
            else float("nan")
        )
        rows[column] = {"mode": mode, "mode_is_median": not has_mode, "mean": float(values.mean()),
                        "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0}
    return pd.DataFrame.from_dict(rows, orient="index")
