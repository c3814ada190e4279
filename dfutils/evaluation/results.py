"""Runs turned into what a reader compares with the papers.

Every training notebook writes ``artifacts/<profile>/models/<run>/predictions.csv``
(one row per validation and test video, with the model's name); this module
collects them, computes the headline metrics, and lays our figures beside the
papers' numbers (:mod:`dfutils.papers`) in the papers' own table shapes; each table
says which dataset each side was measured on, since a SynthDF figure is not a DFDC, Celeb-DF or FF++ figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.atomic import write_csv
from dfutils.detectors import backbone_files
from dfutils.detectors.registry import models_for_row
from dfutils.evaluation import metrics
from dfutils.papers import (
    PAPER_A_BACKBONES,
    PAPER_A_TABLE2,
    PAPER_B_TABLE1,
    PAPER_B_TABLE1_QUOTED,
    PAPER_B_TABLE2,
    PAPER_B_TABLE3,
    PAPER_B_TABLE4,
)
from dfutils.seeding import rng

PERCENT = {
    "accuracy": "accuracy %",
    "auc": "AUC %",
    "precision": "precision %",
    "recall": "recall %",
    "f1": "F1 %",
    "eer": "EER %",
}


# --------------------------------------------------------------------------- collecting runs
def collect_predictions(artifacts: str | Path, required: bool = False) -> pd.DataFrame:
    """Every model's per-video predictions under ``artifacts/models/*/predictions.csv``
    (``required``: none is an error that says to run the training notebooks first)."""
    if required and not any(Path(artifacts).glob("models/*/predictions.csv")):
        raise FileNotFoundError(f"{Path(artifacts) / 'models'}: no predictions.csv yet; run the training "
                                "notebooks (03 to 05) first")
    tables = []
    for path in sorted(Path(artifacts).glob("models/*/predictions.csv")):
        table = pd.read_csv(path, keep_default_na=False)
        if "model" not in table:
            table["model"] = path.parent.name
        tables.append(table.assign(run=path.parent.name))
    if not tables:
        return pd.DataFrame(columns=["video_id", "label", "split", "score", "model", "run"])
    return pd.concat(tables, ignore_index=True)


def dropped_videos(data_root: str | Path) -> pd.DataFrame:
    """The videos of a run's index that no model scored, because they have no face crops, with the reason
    (``video_id, split, label, reason``; empty when every video has crops)."""
    data_root = Path(data_root)
    columns = ["video_id", "split", "label", "reason"]
    if not (data_root / "index.csv").is_file() or not (data_root / "faces" / "faces.csv").is_file():
        return pd.DataFrame(columns=columns)
    index = pd.read_csv(data_root / "index.csv", keep_default_na=False)
    faces = pd.read_csv(data_root / "faces" / "faces.csv", keep_default_na=False)
    usable = faces[(faces["status"] != "failed") & (faces["crops"] != "")]
    dropped = index[~index["video_id"].isin(usable["video_id"])]
    reasons = faces.set_index("video_id")["error"].to_dict()
    return dropped.assign(reason=[reasons.get(video) or "not extracted" for video in dropped["video_id"]])[columns]


def collect_info(artifacts: str | Path) -> dict[str, dict]:
    """What each run recorded about its model (``info.json``: parameters, backbone...), by model name."""
    import json

    info = {}
    for path in sorted(Path(artifacts).glob("models/*/info.json")):
        record = json.loads(path.read_text())
        info[record.get("model", path.parent.name)] = record
    return info


def model_file(artifacts: str | Path, model: str) -> Path | None:
    """The model file the detector of that name left in this run (``None`` when it left none)."""
    import json

    from dfutils.layout import model_file_in

    for path in sorted(Path(artifacts).glob("models/*/info.json")):
        if json.loads(path.read_text()).get("model") == model and model_file_in(path.parent):
            return model_file_in(path.parent)
    return None


def collect_histories(artifacts: str | Path) -> dict[str, pd.DataFrame]:
    """Training histories (``history.csv``) by run folder name."""
    return {path.parent.name: pd.read_csv(path) for path in sorted(Path(artifacts).glob("models/*/history.csv"))}


def headline(predictions: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """Every model's video-level metrics on ``split``, best AUC first, with the AUC's 95%
    bootstrap interval (``auc_low``, ``auc_high``): on a few hundred videos, the interval
    says which differences between models, and from chance (0.5), mean anything."""
    part = predictions[predictions["split"] == split]
    if part.empty:
        return pd.DataFrame(columns=metrics.METRIC_COLUMNS[:3] + ["auc_low", "auc_high"] + metrics.METRIC_COLUMNS[3:])
    table = metrics.metrics_table(part, "model").sort_values("auc", ascending=False)
    return metrics.with_auc_interval(table, part, "model")


SUMMARY_COLUMNS = ["model", "paper", "videos", "auc", "auc_low", "auc_high", "accuracy", "f1", "eer",
                   "precision", "recall", "mae"]


def summary_table(artifacts: str | Path) -> pd.DataFrame:
    """Every model's test metrics with the paper it reproduces (``A``, ``B``, ``baseline`` or ``beyond``), best AUC
    first: the table written to ``artifacts/<profile>/summary.csv``."""
    table = headline(collect_predictions(artifacts))
    info = collect_info(artifacts)
    table = table.assign(paper=[info.get(model, {}).get("paper", "") for model in table.index])
    return table.rename_axis("model").reset_index().reindex(columns=SUMMARY_COLUMNS)


def write_summary(artifacts: str | Path) -> Path:
    """``artifacts/summary.csv``: one row per model (written after every notebook of a run)."""
    return write_csv(summary_table(artifacts), Path(artifacts) / "summary.csv", float_format="%.4f")


def seed_spread(runs: dict[int, str | Path]) -> pd.DataFrame:
    """Each model's test AUC over the runs of a seeds study (``{seed: artifacts folder}``): how many
    seeds, mean, min, max and standard deviation, and the AUC of every seed (``auc[<seed>]``)."""
    tables = [summary_table(folder).assign(seed=seed) for seed, folder in runs.items()]
    long = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["model", "paper", "auc", "seed"])
    if long.empty:
        return pd.DataFrame(columns=["model", "paper", "seeds", "auc_mean", "auc_min", "auc_max", "auc_sd"])
    spread = long.groupby(["model", "paper"])["auc"].agg(seeds="count", auc_mean="mean", auc_min="min",
                                                       auc_max="max", auc_sd="std").reset_index()
    per_seed = long.pivot_table(index="model", columns="seed", values="auc")
    per_seed.columns = [f"auc[{seed}]" for seed in per_seed.columns]
    return spread.merge(per_seed, left_on="model", right_index=True).sort_values("auc_mean", ascending=False,
                                                                                 ignore_index=True)


def add_seed_spread(rows: list[dict], seeds_csv: str | Path) -> list[int]:
    """Give each summary row the spread of its model's test AUC in a seeds study (``seeds.csv``):
    ``seeds``, ``auc_mean``, ``auc_min``, ``auc_max``; rows of models the study lacks are left as they
    are. Returns the study's seeds."""
    spread = pd.read_csv(seeds_csv)
    by_model = spread.set_index("model")
    for row in rows:
        if row.get("model") in by_model.index:
            found = by_model.loc[row["model"]]
            row.update(seeds=int(found["seeds"]), auc_mean=float(found["auc_mean"]),
                       auc_min=float(found["auc_min"]), auc_max=float(found["auc_max"]))
    return sorted(int(column[4:-1]) for column in spread.columns if column.startswith("auc["))


def summary_rows(artifacts: str | Path) -> list[dict]:
    """The summary table as plain rows for the report index (empty when nothing was trained)."""
    table = summary_table(artifacts)
    return [{key: (None if isinstance(value, float) and pd.isna(value) else value) for key, value in row.items()}
            for row in table.to_dict("records")]


def format_summary(rows: list[dict]) -> str:
    """The headline rows as an aligned text table (printed at the end of ``make reproduce``)."""
    if not rows:
        return "no model predictions yet"
    table = pd.DataFrame(rows).set_index("model")
    if "videos" in table:
        table["videos"] = table["videos"].astype("Int64")
    return table.to_string(float_format=lambda v: f"{v:.3f}")


# --------------------------------------------------------------------------- side by side
def _cell(ours, paper, digits: int) -> str:
    """"ours / paper"; integers (parameter counts) with thousands separators."""
    if isinstance(paper, int):
        return f"{'n/a' if ours is None else f'{int(ours):,}'} / {paper:,}"
    ours_text = "n/a" if ours is None or pd.isna(ours) else f"{ours:.{digits}f}"
    return f"{ours_text} / {paper:.{digits}f}"


STAND_IN_NAMES = {"efficientnet_lite0": "EfficientNet-Lite0", "efficientnet_lite1": "EfficientNet-Lite1",
                  "efficientnet_lite2": "EfficientNet-Lite2"}


def paper_a_table(predictions: pd.DataFrame, info: dict[str, dict], repeats: int = 10, seed: int = 0) -> pd.DataFrame:
    """Table 2 of Paper A, "ours / paper" in every cell, a row per run of each backbone.

    Each of the paper's four backbones has its rows (``not run`` when this run
    trained none). Offline stand-ins (EfficientNet-Lite with its ImageNet weights)
    get rows of their own, set beside the paper backbone they stand in for. Ours
    follows the paper's protocol on the test split: ``repeats`` draws that
    down-sample the fakes to the number of reals; the mode is shown as in the
    paper (of values rounded to 0.01; the median when none repeats, see
    :func:`metrics.summarise_repeats`), and the mean and spread of the AUC beside it.
    """
    from dfutils.nets.architectures import BACKBONES

    runs = {name: record for name, record in info.items() if record.get("paper") == "A" and "backbone" in record}
    rows = []
    for backbone, label in [*PAPER_A_BACKBONES.items(), *STAND_IN_NAMES.items()]:
        stands_for = BACKBONES[backbone].stands_for
        paper = PAPER_A_TABLE2.loc[PAPER_A_BACKBONES[BACKBONES[backbone].paper_backbone(backbone)]]
        mine = sorted((name, record) for name, record in runs.items() if record["backbone"] == backbone)
        if not mine and stands_for:
            continue  # a stand-in that was not run has no row
        for name, record in mine or [(None, {})]:
            ours = _repeated_test(predictions[(predictions["model"] == name) & (predictions["split"] == "test")],
                                  repeats, seed)
            weights = backbone_files.describe(record["weights"]) if record.get("weights") else "not run"
            rows.append(
                {
                    "backbone": label + (f" (for {PAPER_A_BACKBONES[stands_for]})" if stands_for else ""),
                    "our weights": weights,
                    "accuracy %": _cell(ours.get("accuracy"), paper["accuracy %"], 2),
                    "AUC %": _cell(ours.get("auc"), paper["AUC %"], 2),
                    "MAE": _cell(ours.get("mae"), paper["MAE"], 4),
                    "F1": _cell(ours.get("f1"), paper["F1"], 3),
                    "parameters": _cell(record.get("parameters"), int(paper["parameters"]), 0),
                    "our AUC % over repeats (mean ± sd)": ours.get("auc_mean_std", "not run"),
                }
            )
    return pd.DataFrame(rows).set_index("backbone")


def _repeated_test(scored: pd.DataFrame, repeats: int, seed: int) -> dict:
    if scored.empty or scored["label"].nunique() < 2:
        return {}
    summary = metrics.summarise_repeats(metrics.repeated_balanced_test(scored, repeats, seed))
    return {"accuracy": summary.loc["accuracy", "mode"] * 100, "auc": summary.loc["auc", "mode"] * 100,
            "mae": summary.loc["mae", "mode"], "f1": summary.loc["f1", "mode"],
            "auc_mean_std": f"{summary.loc['auc', 'mean'] * 100:.1f} ± {summary.loc['auc', 'std'] * 100:.1f}"}


def _hard_part(predictions: pd.DataFrame, compression: str | None) -> pd.DataFrame:
    """The test videos at ``compression`` where the run has some, else every test video."""
    part = predictions[predictions["split"] == "test"]
    if compression and compression in set(part.get("compression", [])):
        part = part[part["compression"] == compression]
    return part


def _ours(part: pd.DataFrame, row: str, seed: int = 0) -> dict | None:
    """Our metrics for a paper row: the best (by AUC) of the models that stand for it, with a 95% bootstrap
    interval of each metric (``<metric>_low``, ``<metric>_high``)."""
    candidates = []
    for model in models_for_row(row):
        scored = part[part["model"] == model]
        if not scored.empty and scored["label"].nunique() == 2:
            candidates.append((model, scored, metrics.video_metrics(scored["label"], scored["score"])))
    if not candidates:
        return None
    model, scored, values = max(candidates, key=lambda item: item[2]["auc"])
    intervals = {}
    for key in PERCENT:
        low, high = metrics.metric_interval(scored["label"], scored["score"], key, seed=seed)
        intervals.update({f"{key}_low": low, f"{key}_high": high})
    return {"model": model, **values, **intervals}


def _cell_with_interval(ours: dict | None, key: str, paper: float) -> str:
    """"ours (low-high) / paper" in percent, or "not run / paper"."""
    if ours is None or pd.isna(ours[key]):
        return f"not run / {paper:.2f}"
    low, high = ours[f"{key}_low"], ours[f"{key}_high"]
    interval = "" if pd.isna(low) else f" ({low * 100:.1f}-{high * 100:.1f})"
    return f"{ours[key] * 100:.2f}{interval} / {paper:.2f}"


def paper_b_tables(predictions: pd.DataFrame, hard_compression: str = "c40", seed: int = 0) -> dict[str, pd.DataFrame]:
    """Tables I to IV of Paper B, "ours (95% interval) / paper" in every cell, with the model that stands for
    each row. Table I uses every test video, with the baselines Paper B quotes from the Celeb-DF paper; Tables II
    to IV the ``hard_compression`` ones (the paper's FF++ c40) when the run has them (else all). Table IV is
    accuracy on NeuralTextures fakes and on pristine (real) videos, our triplet row beside Paper B's."""
    out = {}
    for number, (paper, compression) in {"I": (PAPER_B_TABLE1, None), "II": (PAPER_B_TABLE2, hard_compression),
                                          "III": (PAPER_B_TABLE3, hard_compression)}.items():
        part = predictions[predictions["split"] == "test"] if compression is None else _hard_part(predictions,
                                                                                                   compression)
        rows = []
        for row, values in paper.iterrows():
            ours = _ours(part, row, seed)
            cells = {"our model": ours["model"] if ours else "not run"}
            for key, column in PERCENT.items():
                if column in paper.columns:
                    cells[column] = _cell_with_interval(ours, key, float(values[column]))
            rows.append({"model": row, **cells})
        if number == "I":
            rows += [{"model": row, "our model": "quoted by Paper B (Celeb-DF paper); not run here",
                      "AUC %": f"- / {values['AUC %']:.2f}"} for row, values in PAPER_B_TABLE1_QUOTED.iterrows()]
        out[number] = pd.DataFrame(rows).set_index("model")
    out["IV"] = paper_b_table4(_hard_part(predictions, hard_compression), seed)
    return out


def paper_b_table4(part: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Paper B's Table IV: accuracy on the NeuralTextures fakes and on the pristine videos, each of our Paper B
    detectors (with 95% intervals) beside the paper's rows."""
    from dfutils.detectors.registry import names

    rows = []
    reals = part[part["label"] == 0]
    textures = part[(part["label"] == 1) & (part["method"] == "NeuralTextures")]
    for model in names("B"):
        ours = {}
        for name, videos in (("NeuralTextures accuracy %", textures), ("pristine accuracy %", reals)):
            scored = videos[videos["model"] == model]
            if scored.empty:
                continue
            correct = ((scored["score"] > 0.5).astype(int) == scored["label"]).to_numpy(float)
            draws = rng(seed, "table4", model, name).choice(correct, (1000, len(correct))).mean(axis=1)
            ours[name] = f"{correct.mean() * 100:.2f} ({np.percentile(draws, 2.5) * 100:.1f}-" \
                         f"{np.percentile(draws, 97.5) * 100:.1f})"
        if len(ours) == 2:
            rows.append({"model": f"ours: {model}", **ours})
    rows += [{"model": f"paper: {row}", **{column: f"{value:.2f}" for column, value in values.items()}}
             for row, values in PAPER_B_TABLE4.iterrows()]
    return pd.DataFrame(rows, columns=["model", *PAPER_B_TABLE4.columns]).set_index("model")


def method_table(predictions: pd.DataFrame, paper: str = "B", split: str = "test", seed: int = 0) -> pd.DataFrame:
    """Test AUC (95% interval) of a paper's detectors per manipulation method, each method's fakes against every
    real of the split: models x methods, as text cells."""
    from dfutils.detectors.registry import names

    part = predictions[(predictions["split"] == split) & predictions["model"].isin(names(paper))]
    cells: dict[str, dict[str, str]] = {}
    for model, scored in part.groupby("model", sort=False):
        reals = scored[scored["label"] == 0]
        for method, fakes in scored[scored["label"] == 1].groupby("method"):
            both = pd.concat([reals, fakes])
            auc = metrics.video_metrics(both["label"], both["score"])["auc"]
            low, high = metrics.auc_interval(both["label"], both["score"], seed=seed)
            cells.setdefault(model, {})[method] = f"{auc:.3f} ({low:.2f}-{high:.2f})"
    return pd.DataFrame.from_dict(cells, orient="index").rename_axis("model")


def compare(predictions: pd.DataFrame, first: str, second: str, split: str | None = None, seed: int = 0) -> dict:
    """Two models on the same videos (of ``split``, or every video of the table): each one's AUC and accuracy,
    and the paired bootstrap interval of the AUC difference (:func:`dfutils.evaluation.metrics.auc_difference`)."""
    part = predictions[predictions["split"] == split] if split else predictions
    scores = part.pivot_table(index="video_id", columns="model", values="score", aggfunc="first")[[first, second]]
    labels = part.drop_duplicates("video_id").set_index("video_id")["label"].reindex(scores.index)
    scores = scores.dropna()
    labels = labels.reindex(scores.index).to_numpy(int)
    found = metrics.auc_difference(labels, scores[first], scores[second], seed=seed)
    return {"first": first, "second": second, "videos": len(labels), **found,
            "accuracy_first": float(((scores[first] > 0.5).astype(int) == labels).mean()),
            "accuracy_second": float(((scores[second] > 0.5).astype(int) == labels).mean())}


def claim_sentence(found: dict, where: str) -> str:
    """One plain sentence on Paper B's compression claim (its triplet pipeline holds where the frame classifier
    falls) from :func:`compare` of the triplets (``first``) against the frame classifier (``second``)."""
    figures = (f"{found['first']} AUC {found['auc_first']:.3f} (accuracy {found['accuracy_first']:.2f}) against "
               f"{found['second']} {found['auc_second']:.3f} ({found['accuracy_second']:.2f}), a difference of "
               f"{found['difference']:+.3f} (95% interval {found['difference_low']:+.3f} to "
               f"{found['difference_high']:+.3f}) on {found['videos']} videos")
    if found["difference_low"] > 0:
        verdict = "Paper B's claim holds here: the triplet pipeline ranks the videos better than the frame classifier"
    elif found["difference_high"] < 0:
        verdict = "Paper B's claim does not hold here: the frame classifier ranks the videos better than the triplets"
    else:
        verdict = "Paper B's claim is not shown here: the triplets and the frame classifier cannot be told apart"
    return f"{verdict} on {where}: {figures}."


def majority_accuracy(predictions: pd.DataFrame, split: str = "test") -> dict:
    """What calling every video of ``split`` fake (or real) would score: the bar an accuracy on unbalanced
    classes must clear."""
    videos = predictions[predictions["split"] == split].drop_duplicates("video_id")
    fakes = int(videos["label"].sum())
    return {"videos": len(videos), "fake": fakes, "real": len(videos) - fakes,
            "all_fake_accuracy": fakes / max(len(videos), 1), "all_real_accuracy": 1 - fakes / max(len(videos), 1)}


def breakdown(predictions: pd.DataFrame, by: str, split: str = "test") -> pd.DataFrame:
    """Test AUC per model and per value of ``by`` (method or compression). For ``method`` each
    manipulation is scored against all reals of the split (reals have method 'real')."""
    part = predictions[predictions["split"] == split]
    rows = []
    for model, scored in part.groupby("model"):
        if by == "method":
            reals = scored[scored["label"] == 0]
            for method, fakes in scored[scored["label"] == 1].groupby("method"):
                both = pd.concat([reals, fakes])
                rows.append(
                    {"model": model, by: method, "auc": metrics.video_metrics(both["label"], both["score"])["auc"]}
                )
        else:
            for value, group in scored.groupby(by):
                rows.append(
                    {"model": model, by: value, "auc": metrics.video_metrics(group["label"], group["score"])["auc"]}
                )
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).pivot(index="model", columns=by, values="auc")


def confusions(predictions: pd.DataFrame, split: str = "test") -> dict[str, pd.DataFrame]:
    part = predictions[predictions["split"] == split]
    return {model: metrics.confusion(scored["label"], scored["score"]) for model, scored in part.groupby("model")}

