"""Two runs side by side: every model's test AUC and per-video scores in both, and what differs between the runs'
code, packages, CPU and parameters.

The same seed and parameters give the same figures on the same machine; a figure that moved between two runs
either moved with the code or parameters, or with the machine and packages (another CPU takes other numeric
kernels, rounds differently, and training follows another path from the first step). :func:`compare_runs` says
which models moved, by how much, and lists what differs in the two run records, so the two causes are told apart
(``dfutils compare artifacts/demo other/artifacts/demo``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dfutils.errors import UserInputError
from dfutils.evaluation.results import collect_predictions, summary_table

# record keys that are the code or the settings: a move with none of them differing is the environment's
CODE_KEYS = ("git commit", "uncommitted changes", "seed", "parameters", "notebooks")


def read_run_record(path: str | Path) -> tuple[Path, dict]:
    """A run's artifacts folder and its ``run.json`` record, from the folder or the file itself."""
    path = Path(path)
    run_json = path if path.name == "run.json" else path / "run.json"
    if not run_json.is_file():
        raise UserInputError(f"{path}: no run.json (give a run's artifacts folder, such as artifacts/demo)")
    try:
        record = json.loads(run_json.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise UserInputError(f"{run_json}: not a run record ({error})") from None
    if not isinstance(record, dict):
        raise UserInputError(f"{run_json}: not a run record (a JSON object is expected)")
    return run_json.parent, record


def _summary(folder: Path) -> pd.DataFrame:
    """The run's ``summary.csv`` (computed from its predictions where the runner wrote none)."""
    path = folder / "summary.csv"
    try:
        table = pd.read_csv(path) if path.is_file() else summary_table(folder)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserInputError(f"{path}: not a summary table ({error})") from None
    if not {"model", "auc"} <= set(table.columns):
        raise UserInputError(f"{path}: not a summary table (no model and auc columns)")
    return table.set_index("model")


def _score_differences(first: Path, second: Path) -> pd.DataFrame:
    """Per model: how many test videos both runs scored, and the largest |score difference| among them."""
    keys = ["model", "video_id"]
    tables = []
    for folder in (first, second):
        predictions = collect_predictions(folder)
        part = predictions[predictions["split"] == "test"] if "split" in predictions else predictions.iloc[:0]
        tables.append(part[keys + ["score"]] if not part.empty else pd.DataFrame(columns=keys + ["score"]))
    both = tables[0].merge(tables[1], on=keys, suffixes=("_first", "_second"))
    both["gap"] = (both["score_first"].astype(float) - both["score_second"].astype(float)).abs()
    return both.groupby("model").agg(videos=("gap", "size"), max_score_difference=("gap", "max"))


OWN_TEST = "own test split"


def scored_sets(folder: Path) -> dict[str, pd.DataFrame]:
    """What a run scored, by set: its own test split (``models/*/predictions.csv``) and each cross-dataset
    target of notebook 08 (``cross_dataset/<target>/predictions.csv``), as ``model, video_id, label, score`` rows
    (videos a model could not score left out)."""
    columns = ["model", "video_id", "label", "score"]
    predictions = collect_predictions(folder)
    sets = {OWN_TEST: predictions.loc[predictions["split"] == "test", columns] if "split" in predictions else
            pd.DataFrame(columns=columns)}
    names = {}
    metrics_file = folder / "cross_dataset" / "metrics.csv"
    if metrics_file.is_file():  # the folders are the targets' names as slugs: their own names from the metrics
        from dfutils.evaluation.cross_dataset import slug

        names = {slug(name): name for name in pd.read_csv(metrics_file, keep_default_na=False)["dataset"].unique()}
    for path in sorted((folder / "cross_dataset").glob("*/predictions.csv")):
        table = pd.read_csv(path, keep_default_na=False)
        if "error" in table:
            table = table[table["error"] == ""]
        sets[names.get(path.parent.name, path.parent.name)] = table[columns]
    return sets


def paired_aucs(first: Path, second: Path, seed: int = 0) -> pd.DataFrame:
    """Per model and set both runs scored (:func:`scored_sets`), on the videos both scored: each run's AUC with
    its 95% stratified bootstrap interval and the paired bootstrap of the difference (second minus first), so a
    change of start, data or settings is told from the draw of the test videos."""
    from dfutils.evaluation.metrics import auc_difference, auc_interval

    sets = [scored_sets(folder) for folder in (first, second)]
    rows = []
    for name in [name for name in sets[0] if name in sets[1]]:
        both = sets[0][name].merge(sets[1][name], on=["model", "video_id", "label"], suffixes=("_first", "_second"))
        for model, table in both.groupby("model", sort=False):
            labels = table["label"].astype(int).to_numpy()
            if len(set(labels)) < 2:
                continue
            scores = [table[f"score_{which}"].astype(float).to_numpy() for which in ("first", "second")]
            found = auc_difference(labels, scores[1], scores[0], seed=seed)
            intervals = [auc_interval(labels, values, seed=seed) for values in scores]
            rows.append({"model": model, "scored on": name, "videos": len(table),
                         "auc_first": found["auc_second"], "first_low": intervals[0][0], "first_high": intervals[0][1],
                         "auc_second": found["auc_first"], "second_low": intervals[1][0],
                         "second_high": intervals[1][1], "difference": found["difference"],
                         "difference_low": found["difference_low"], "difference_high": found["difference_high"]})
    return pd.DataFrame(rows, columns=["model", "scored on", "videos", "auc_first", "first_low", "first_high",
                                       "auc_second", "second_low", "second_high", "difference", "difference_low",
                                       "difference_high"])


def _flat(mapping: dict, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _changed(name: str, first: dict, second: dict) -> list[str]:
    """``name: key a -> b`` for every key whose value differs (``unset`` where a record lacks it)."""
    first, second = _flat(first), _flat(second)
    changes = [f"{key} {first.get(key, 'unset')} -> {second.get(key, 'unset')}"
               for key in sorted(set(first) | set(second)) if first.get(key) != second.get(key)]
    return [f"{name}: {'; '.join(changes)}"] if changes else []


def _cpu_text(cpu: dict | None) -> str:
    if not cpu:
        return "not recorded"
    return (f"{cpu.get('model', 'unknown')} (vendor {cpu.get('vendor') or '?'}, family {cpu.get('family') or '?'}, "
            f"model {cpu.get('model_number') or '?'}; {cpu.get('vector_isa', '?')}; {cpu.get('cores', '?')} cores)")


def record_differences(first: dict, second: dict) -> list[str]:
    """What differs between two run records, a line each, the code and settings first, then the environment."""
    lines = []
    git_first, git_second = (record.get("environment", {}).get("git") or {} for record in (first, second))
    if git_first.get("commit") != git_second.get("commit"):
        lines.append(f"git commit: {str(git_first.get('commit'))[:10]} -> {str(git_second.get('commit'))[:10]}")
    if (git_first.get("changes") or "") != (git_second.get("changes") or ""):  # older records lack the key
        lines.append(
            f"uncommitted changes: {git_first.get('changes') or 'none'} -> {git_second.get('changes') or 'none'}"
        )
    if first.get("seed") != second.get("seed"):
        lines.append(f"seed: {first.get('seed')} -> {second.get('seed')}")
    notebooks = [{entry.get("name"): entry.get("parameters", {}) for entry in record.get("notebooks", [])}
                 for record in (first, second)]
    if set(notebooks[0]) != set(notebooks[1]):
        lines.append(f"notebooks: {', '.join(sorted(notebooks[0]))} -> {', '.join(sorted(notebooks[1]))}")
    shared = {name: notebooks[0][name] for name in notebooks[0] if name in notebooks[1]}
    lines += _changed("parameters", shared, {name: notebooks[1][name] for name in shared})
    environments = [record.get("environment", {}) for record in (first, second)]
    lines += _changed("packages", environments[0].get("packages", {}), environments[1].get("packages", {}))
    cpus = [environment.get("cpu") or {} for environment in environments]
    if {key: value for key, value in cpus[0].items() if key != "numeric_variables"} != \
            {key: value for key, value in cpus[1].items() if key != "numeric_variables"}:
        lines.append(f"cpu: {_cpu_text(cpus[0])} -> {_cpu_text(cpus[1])}")
    lines += _changed("numeric variables", cpus[0].get("numeric_variables", {}), cpus[1].get("numeric_variables", {}))
    for key in ("python", "platform"):
        if environments[0].get(key) != environments[1].get(key):
            lines.append(f"{key}: {environments[0].get(key)} -> {environments[1].get(key)}")
    return lines


@dataclass
class RunComparison:
    """Two runs compared: ``models`` (per model: both test AUCs, their difference, the videos both scored and the
    largest per-video score difference) and ``differences`` (what differs in their records)."""

    first: Path
    second: Path
    models: pd.DataFrame
    differences: list[str]
    paired: pd.DataFrame | None = None  # paired_aucs: every set both runs scored, with intervals

    @property
    def moved(self) -> list[str]:
        """The models whose test scores are not the same in both runs (or that only one run has)."""
        same = (self.models["max_score_difference"] == 0) & self.models["auc_first"].notna() & \
            self.models["auc_second"].notna()
        return list(self.models.index[~same])

    @property
    def identical(self) -> bool:
        return not self.moved

    def verdict(self) -> str:
        count = len(self.models)
        if not count:
            return "neither run has a model's test scores yet (its training notebooks have not run)"
        if self.identical:
            return f"{count} of {count} models score every test video the same in both runs"
        worst = self.models["auc_difference"].abs().idxmax() if self.models["auc_difference"].notna().any() else None
        text = f"{len(self.moved)} of {count} models moved"
        if worst is not None:
            text += f"; the largest AUC move {self.models.at[worst, 'auc_difference']:+.4f} ({worst})"
        code = [line for line in self.differences if line.startswith(CODE_KEYS)]
        if code:
            return text + ": the code or settings differ (below), and the environment may too"
        if self.differences:
            return text + ": the same code and settings, so the environment moved them (below)"
        return (text + ": the same code, settings and recorded environment, yet the scores differ: this machine did "
                       "not reproduce its own run (something unrecorded changed, or a nondeterministic kernel ran)")

    def __str__(self) -> str:
        table = self.models.rename(columns={"auc_first": "AUC first", "auc_second": "AUC second",
                                            "auc_difference": "difference", "max_score_difference": "max |score diff|"})
        lines = [f"first:  {self.first}", f"second: {self.second}", ""]
        if len(table):
            lines += [table.to_string(float_format=lambda value: f"{value:.4f}"), ""]
        lines.append(self.verdict())
        if self.paired is not None and len(self.paired):
            lines += ["", "AUC [95% interval] on the videos both runs scored, and the paired bootstrap of the "
                          "difference (second - first):", paired_text(self.paired)]
        lines += ["", "What differs in the run records:"] + [f"  {line}" for line in self.differences or ["nothing"]]
        return "\n".join(lines)


def paired_text(paired: pd.DataFrame) -> str:
    """:func:`paired_aucs` as a table of ``0.812 [0.74, 0.88]`` cells."""
    def cell(row, key: str, low: str, high: str, sign: str = "") -> str:
        return f"{row[key]:{sign}.3f} [{row[low]:{sign}.2f}, {row[high]:{sign}.2f}]"

    shown = pd.DataFrame({
        "model": paired["model"], "scored on": paired["scored on"], "videos": paired["videos"],
        "first": [cell(row, "auc_first", "first_low", "first_high") for _, row in paired.iterrows()],
        "second": [cell(row, "auc_second", "second_low", "second_high") for _, row in paired.iterrows()],
        "second - first": [cell(row, "difference", "difference_low", "difference_high", "+")
                           for _, row in paired.iterrows()]})
    return shown.to_string(index=False)


def compare_runs(first: str | Path, second: str | Path) -> RunComparison:
    """Compare two runs (artifacts folders or their ``run.json``): every model's test AUC in both, the largest
    difference of any test video's score, and what differs between the two run records."""
    (first_folder, first_record), (second_folder, second_record) = read_run_record(first), read_run_record(second)
    summaries = [_summary(folder)["auc"] for folder in (first_folder, second_folder)]
    models = pd.DataFrame({"auc_first": summaries[0], "auc_second": summaries[1]})
    models["auc_difference"] = models["auc_second"] - models["auc_first"]
    models = models.join(_score_differences(first_folder, second_folder), how="left")
    models["videos"] = models["videos"].fillna(0).astype(int)
    models = models.sort_values("auc_first", ascending=False)
    models.index.name = "model"
    return RunComparison(first_folder, second_folder, models, record_differences(first_record, second_record),
                         paired_aucs(first_folder, second_folder))
