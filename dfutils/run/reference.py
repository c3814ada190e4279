"""Other runs' splits, as a run meets them: a split to follow, and test videos to be scored on.

Runs over the same people (FF++ videos as clean crops and at c40) must split them alike to be scored on
each other's test splits (``split_like`` in ``01_data``; :func:`dfutils.data.datasets.follow_split` does the
splitting), and notebook 08 scores a run's models on another run's test split (a ``run`` target). Both need
the other run's index, and the second how its crops were re-encoded. Neither needs that run to have been
made: its split is seeded, so its profile's ``01_data`` parameters give the same index (built in memory),
and its ``02_faces`` parameters say its ``crf``. So profiles run in any order from a clean clone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dfutils import config
from dfutils.errors import ParamsError


def profile_run(profile: str, notebook: str):
    """A profile's run of ``notebook`` (:class:`~dfutils.run.params.NotebookRun`), as its params file says."""
    from dfutils.run.params import load_profile

    params_file = config.PARAMS_DIR / f"{profile}.yaml"
    if not params_file.is_file():
        raise ParamsError(
            f"{profile!r}: no profile {params_file} (and no run of it in {config.artifacts_dir(profile)})"
        )
    run = next((run for run in load_profile(params_file).runs if run.notebook == notebook), None)
    if run is None:
        raise ParamsError(f"{params_file} runs no {notebook}")
    return run


def profile_parameters(profile: str, notebook: str) -> dict:
    """Every parameter a profile's run of ``notebook`` gets: the notebook's defaults and the profile's values."""
    from dfutils.run.notebook_params import notebook_parameters

    run = profile_run(profile, notebook)
    return {**{name: parameter.default for name, parameter in notebook_parameters(run.path).items()}, **run.parameters}


def reference_index(profile: str) -> pd.DataFrame:
    """The index (with its split) of the run ``profile``: ``artifacts/<profile>/index.csv``, or indexed now
    from ``params/<profile>.yaml``'s ``01_data`` parameters when that run has not been made."""
    from dfutils.data import datasets

    made = config.artifacts_dir(profile) / "index.csv"
    if made.is_file():
        index = datasets.read_index(made)
        index.attrs["members"] = datasets.read_crop_members(made)
        return index
    values = profile_parameters(profile, "01_data")
    root, indexer, options = datasets.index_request_of(values, config.artifacts_dir(profile) / "synthdf")
    index = datasets.index_dataset(indexer, root, **options)
    if values.get("split_like"):
        index = datasets.follow_split(index, reference_index(values["split_like"]), values["seed"],
                                      options.get("fractions"))
    return index


def run_compression(profile: str) -> dict:
    """How a run's crops were re-encoded (``crf``, ``crf_face_side``): as its crop cache records, or as its
    profile's ``02_faces`` parameters say."""
    faces = config.artifacts_dir(profile) / "faces" / "faces.csv"
    if faces.is_file():
        from dfutils.nets.clips import extraction_settings

        recorded = extraction_settings(faces.parent, pd.read_csv(faces, keep_default_na=False))
    else:
        settings = profile_run(profile, "02_faces").settings("extraction")
        recorded = {"crf": settings.crf, "crf_face_side": settings.crf_face_side}
    return {"crf": int(recorded.get("crf", 0)), "crf_face_side": int(recorded.get("crf_face_side", 0))}


def resolve_targets(targets: dict[str, dict], out: str | Path) -> dict[str, dict]:
    """Notebook 08's targets with each ``{run: PROFILE, split: ...}`` turned into an ``index`` target: that run's
    index file (written to ``out/<name>/index.csv`` when the run has not been made) and its crops' re-encoding."""
    from dfutils.data.datasets import write_index
    from dfutils.evaluation.cross_dataset import slug

    resolved = {}
    for name, values in targets.items():
        if "run" not in values:
            resolved[name] = values
            continue
        unknown = set(values) - {"run", "split"}
        if unknown:
            raise ParamsError(f"target {name!r}: a run target takes run and split, not {', '.join(sorted(unknown))}")
        run = values["run"]
        path = config.artifacts_dir(run) / "index.csv"
        if not path.is_file():
            path = Path(out) / slug(name) / "index.csv"
            write_index(reference_index(run), path)
        resolved[name] = {"index": str(path), "split": values.get("split", "test"), **run_compression(run)}
    return resolved


def gathered_metrics(profiles: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Notebook 08's metrics of several runs in one table (``trained_on`` the run), every test split named
    ``<run> test``: a run's own test split and the ``run`` targets of the others (read from each profile), so
    one run's split is one column whichever run was scored on it. Returns the table and a note per run not
    (yet) scored."""
    from dfutils.evaluation.cross_dataset import METRICS_COLUMNS

    tables, notes = [], []
    for profile in profiles:
        path = config.artifacts_dir(profile) / "cross_dataset" / "metrics.csv"
        if not path.is_file():
            notes.append(f"{profile}: no cross-dataset metrics yet ({path}); run its profile (notebook 08)")
            continue
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        parameters = profile_parameters(profile, "08_cross_dataset")
        names = {parameters.get("own_test_name", "own test split"): f"{profile} test"}
        names.update({name: f"{values['run']} test" for name, values in (parameters.get("targets") or {}).items()
                      if "run" in values})
        tables.append(table.assign(trained_on=profile, dataset=table["dataset"].replace(names)))
    if not tables:
        return pd.DataFrame(columns=["trained_on", *METRICS_COLUMNS]), notes
    return pd.concat(tables, ignore_index=True), notes


def compression_matrix(gathered: pd.DataFrame, runs: dict[str, str], model: str, value: str = "auc") -> pd.DataFrame:
    """One model's test AUC trained on each run of ``runs`` (label -> profile: clean, simulated c40, real c40) and
    tested on each of their test splits (absent cells NaN)."""
    overall = gathered[(gathered["method"] == "all") & (gathered["model"] == model)]
    matrix = pd.DataFrame(index=pd.Index(list(runs), name="trained on"), columns=pd.Index(list(runs), name="tested on"),
                          dtype=float)
    for trained, trained_run in runs.items():
        for tested, tested_run in runs.items():
            found = overall[(overall["trained_on"] == trained_run) & (overall["dataset"] == f"{tested_run} test")]
            if len(found):
                matrix.loc[trained, tested] = float(found[value].iloc[0])
    return matrix


def run_predictions(profile: str, targets=()) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """A run's prediction tables: its models on its own videos (``<run> test``), then on each of ``targets``
    (notebook 08's targets, their ``predictions.csv``, failed videos left out); a note for each one absent."""
    from dfutils.evaluation.cross_dataset import slug
    from dfutils.evaluation.results import collect_predictions

    root = config.artifacts_dir(profile)
    found, notes = {}, []
    own = collect_predictions(root)
    if own.empty:
        notes.append(f"{profile}: no predictions in {root / 'models'}; run its profile first")
    else:
        found[f"{profile} test"] = own[own["split"] == "test"]
    for target in targets:
        path = root / "cross_dataset" / slug(target) / "predictions.csv"
        if not path.is_file():
            notes.append(f"{profile}: no predictions on {target!r} ({path}); run its notebook 08")
            continue
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        found[target] = table[table["error"].fillna("") == ""]
    return found, notes
