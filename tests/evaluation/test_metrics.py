import numpy as np
import pandas as pd
import pytest

from dfutils.evaluation import metrics
from dfutils.evaluation.metrics import summary_by_split


def test_summary_by_split_against_hand_computed_values():
    predictions = pd.DataFrame({
        "split": ["val"] * 4 + ["test"] * 3,
        "label": [0, 0, 1, 1, 1, 1, 1],
        "score": [0.1, 0.6, 0.4, 0.9, 0.2, 0.7, 0.8],
    })
    summary = summary_by_split(predictions)
    # val: of the 4 (real, fake) pairs, 3 are ranked right -> AUC 0.75; 0.1 and 0.9 are right at 0.5 -> accuracy 0.5
    assert summary.loc["val", "auc"] == 0.75 and summary.loc["val", "accuracy"] == 0.5
    assert summary.loc["val", "videos"] == 4
    # test: one class only -> no AUC; 2 of 3 fakes above 0.5
    assert np.isnan(summary.loc["test", "auc"]) and summary.loc["test", "accuracy"] == 2 / 3


# --------------------------------------------------------------------------- issue 8: the full metric set


def brute_force_eer(labels, scores):
    """Sweep thresholds finely; the EER is where FPR and FNR cross (the sweep is piecewise constant)."""
    labels, scores = np.asarray(labels), np.asarray(scores)
    best = None
    for threshold in np.unique(np.r_[scores, -np.inf, np.inf]):
        fpr = np.mean(scores[labels == 0] >= threshold)
        fnr = np.mean(scores[labels == 1] < threshold)
        if best is None or abs(fpr - fnr) < best[0]:
            best = (abs(fpr - fnr), (fpr + fnr) / 2)
    return best[1]


def test_eer_on_hand_computed_cases():
    # threshold 0.6: one real of two above (FPR 1/2), one fake of two below (FNR 1/2)
    assert metrics.equal_error_rate([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]) == pytest.approx(0.5)
    # ROC points (1/3, 1/2) and (1/3, 1): FNR falls from 1/2 to 0 at FPR 1/3 -> crossing at 1/3
    assert metrics.equal_error_rate([0, 0, 0, 1, 1], [0.1, 0.2, 0.7, 0.6, 0.9]) == pytest.approx(1 / 3)
    # perfectly separated: no error
    assert metrics.equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == pytest.approx(0.0)
    # perfectly inverted: every error
    assert metrics.equal_error_rate([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == pytest.approx(1.0)
    assert np.isnan(metrics.equal_error_rate([1, 1], [0.2, 0.3]))


@pytest.mark.parametrize("seed", range(5))
def test_eer_agrees_with_a_threshold_sweep_where_the_rates_cross_exactly(seed):
    # equal class sizes and distinct scores: some threshold makes FPR == FNR exactly
    generator = np.random.default_rng(seed)
    labels = np.repeat([0, 1], 20)
    scores = generator.permutation(np.linspace(0, 1, 40)) * 0.5 + labels * generator.uniform(0, 0.5)
    assert metrics.equal_error_rate(labels, scores) == pytest.approx(brute_force_eer(labels, scores), abs=1e-9)


def test_video_metrics_on_a_hand_computed_case():
    values = metrics.video_metrics([0, 0, 1, 1, 1], [0.2, 0.7, 0.9, 0.6, 0.3])
    # predicted fake: 0.7, 0.9, 0.6 -> TP 2, FP 1, FN 1, TN 1
    assert values["accuracy"] == pytest.approx(3 / 5)
    assert values["precision"] == pytest.approx(2 / 3) and values["recall"] == pytest.approx(2 / 3)
    assert values["f1"] == pytest.approx(2 / 3)
    assert values["mae"] == pytest.approx((0.2 + 0.7 + 0.1 + 0.4 + 0.7) / 5)
    # ranked pairs: reals .2,.7 vs fakes .9,.6,.3 -> right: (.2<.9,.6,.3) 3 + (.7<.9) 1 = 4 of 6
    assert values["auc"] == pytest.approx(4 / 6)
    confusion = metrics.confusion([0, 0, 1, 1, 1], [0.2, 0.7, 0.9, 0.6, 0.3])
    assert confusion.loc["real", "real"] == 1 and confusion.loc["real", "fake"] == 1
    assert confusion.loc["fake", "fake"] == 2 and confusion.loc["fake", "real"] == 1


def test_repeated_balanced_test_balances_each_draw_and_is_seeded():
    predictions = pd.DataFrame({"label": [0] * 5 + [1] * 20, "score": np.linspace(0, 1, 25)})
    first = metrics.repeated_balanced_test(predictions, repeats=6, seed=3)
    assert (first["videos"] == 10).all()
    pd.testing.assert_frame_equal(first, metrics.repeated_balanced_test(predictions, repeats=6, seed=3))
    assert not first.equals(metrics.repeated_balanced_test(predictions, repeats=6, seed=4))
    summary = metrics.summarise_repeats(first)
    assert summary.loc["auc", "mean"] == pytest.approx(first["auc"].mean())
    rounded = first["auc"].round(2)
    if rounded.value_counts().iloc[0] > 1:
        assert summary.loc["auc", "mode"] == rounded.value_counts().index[0]
    else:
        assert summary.loc["auc", "mode"] == pytest.approx(first["auc"].median())


def test_summarise_repeats_mode_of_rounded_values_else_median():
    repeats = pd.DataFrame({"auc": [0.701, 0.704, 0.652, 0.90], "accuracy": [0.61, 0.72, 0.55, 0.99]})
    summary = metrics.summarise_repeats(repeats)
    assert summary.loc["auc", "mode"] == pytest.approx(0.70) and not summary.loc["auc", "mode_is_median"]
    assert (
        summary.loc["accuracy", "mode"] == pytest.approx((0.61 + 0.72) / 2)
        and summary.loc["accuracy", "mode_is_median"]
    )
    assert summary.loc["auc", "std"] == pytest.approx(np.std([0.701, 0.704, 0.652, 0.90], ddof=1))


def _brute_force_auc_interval(labels, scores, resamples, seed, confidence=0.95):
    """Stratified bootstrap by hand: resample reals and fakes separately, sklearn's AUC each time."""
    from sklearn.metrics import roc_auc_score

    generator = np.random.default_rng(seed)
    reals, fakes = scores[labels == 0], scores[labels == 1]
    values = []
    for _ in range(resamples):
        r = reals[generator.integers(0, len(reals), len(reals))]
        f = fakes[generator.integers(0, len(fakes), len(fakes))]
        values.append(roc_auc_score(np.r_[np.zeros(len(r)), np.ones(len(f))], np.r_[r, f]))
    tail = (1 - confidence) / 2 * 100
    return np.percentile(values, [tail, 100 - tail])


@pytest.mark.parametrize("seed", [0, 1])
def test_auc_interval_agrees_with_a_brute_force_stratified_bootstrap(seed):
    generator = np.random.default_rng(seed)
    labels = np.r_[np.zeros(24, int), np.ones(96, int)]
    scores = np.round(generator.normal(labels * 0.6, 1.0), 1)  # rounded: ties count half, as in sklearn
    low, high = metrics.auc_interval(labels, scores, resamples=4000, seed=seed)
    reference = _brute_force_auc_interval(labels, scores, 4000, seed + 100)
    assert abs(low - reference[0]) < 0.02 and abs(high - reference[1]) < 0.02
    point = metrics.video_metrics(labels, scores)["auc"]
    assert low < point < high


def test_auc_interval_extremes_and_width():
    labels = np.r_[np.zeros(20, int), np.ones(20, int)]
    assert metrics.auc_interval(labels, labels.astype(float)) == (1.0, 1.0)  # every resample is perfect
    assert all(np.isnan(metrics.auc_interval(np.ones(5), np.linspace(0, 1, 5))))  # one class: undefined
    generator = np.random.default_rng(3)
    small = metrics.auc_interval(labels, generator.random(40))
    big_labels = np.r_[np.zeros(2000, int), np.ones(2000, int)]
    big = metrics.auc_interval(big_labels, generator.random(4000))
    assert small[0] < 0.5 < small[1] and big[0] < 0.5 < big[1]  # chance-level scores include 0.5
    assert big[1] - big[0] < (small[1] - small[0]) / 4  # 100x the videos: about a tenth of the width


def test_with_auc_interval_adds_bounds_per_row():
    predictions = pd.DataFrame(
        {
            "model": ["a"] * 8 + ["b"] * 8,
            "label": [0, 0, 0, 0, 1, 1, 1, 1] * 2,
            "score": [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9] + [0.9, 0.1, 0.6, 0.4, 0.5, 0.2, 0.8, 0.3],
        }
    )
    table = metrics.with_auc_interval(metrics.metrics_table(predictions, "model"), predictions, "model")
    assert list(table.columns[:5]) == ["videos", "accuracy", "auc", "auc_low", "auc_high"]
    assert (
        table.loc["a", "auc_low"] == 1.0
        and table.loc["b", "auc_low"] < table.loc["b", "auc"] < table.loc["b", "auc_high"]
    )


def test_auc_interval_needs_two_videos_of_each_class():
    """A class of one video cannot be resampled: no interval (cross-dataset targets with one fake per method)."""
    assert np.isnan(metrics.auc_interval([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.9])).all()
    assert np.isnan(metrics.auc_interval([0, 1, 1, 1], [0.1, 0.2, 0.3, 0.9])).all()
    low, high = metrics.auc_interval([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9])
    assert 0 <= low <= high <= 1


def test_every_metric_has_a_stratified_bootstrap_interval_around_it():
    from dfutils.evaluation.metrics import metric_interval, video_metrics

    generator = np.random.default_rng(0)
    labels = np.r_[np.zeros(40), np.ones(160)].astype(int)
    scores = np.clip(labels * 0.3 + generator.uniform(0, 0.7, len(labels)), 0, 1)
    found = video_metrics(labels, scores)
    for metric in ("accuracy", "precision", "recall", "f1", "eer", "auc"):
        low, high = metric_interval(labels, scores, metric, seed=1)
        assert low <= found[metric] <= high and 0 < high - low < 0.3, metric
        assert metric_interval(labels, scores, metric, seed=1) == (low, high)  # seeded
    assert np.isnan(metric_interval([0, 1, 1], [0.2, 0.7, 0.9], "accuracy")[0])  # one real: no interval


def test_paired_auc_difference_agrees_with_roc_auc_score_on_the_same_resamples():
    """The paired bootstrap scores all resamples at once (Mann-Whitney per row); the reference scores each resample
    with scikit-learn, drawing the same videos from the same seeded stream."""
    from sklearn.metrics import roc_auc_score

    from dfutils.seeding import rng

    generator = np.random.default_rng(3)
    labels = np.r_[np.ones(30), np.zeros(12)].astype(int)
    first = np.round(generator.uniform(size=42) + 0.3 * labels, 1)  # rounded: ties, which count a half
    second = np.round(generator.uniform(size=42) + 0.1 * labels, 1)
    found = metrics.auc_difference(labels, first, second, resamples=200, seed=5)
    draw = rng(5, "auc-difference")
    fakes, reals = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    reference = []
    for _ in range(200):
        chosen = np.r_[draw.choice(fakes, len(fakes)), draw.choice(reals, len(reals))]
        reference.append(roc_auc_score(labels[chosen], first[chosen]) - roc_auc_score(labels[chosen], second[chosen]))
    low, high = np.percentile(reference, [2.5, 97.5])
    assert found["difference"] == pytest.approx(roc_auc_score(labels, first) - roc_auc_score(labels, second))
    assert (found["difference_low"], found["difference_high"]) == pytest.approx((low, high), abs=1e-12)
