"""Saved models scored on another dataset: the cross-dataset protocol (``dfutils evaluate``, notebook 08).

A model file carries the extraction settings its crops were made with, so any dataset can be
scored the way the model saw its training data: the dataset is indexed (any of
:data:`dfutils.data.datasets.INDEXERS`, a folder of face crops included), the chosen split's videos are
cut with each model's own settings (one crop cache per distinct setting, shared by the models that
agree, resumable), crop folders are packed at the model's crop size, and each video is scored
through the detector's own ``score_crops`` (or ``score_video``). A video that cannot be read or has no
face is a row with its error; the rest go on.

``metrics.csv`` holds one row per model and dataset (``method`` = ``all``), and one per manipulation
method where the dataset names several (that method's fakes against all reals): ``model``,
``dataset``, ``method``, ``videos``, ``real``, ``fake``, ``auc``, ``auc_low``, ``auc_high`` (95%
stratified bootstrap), ``accuracy``, ``eer``, ``failed`` and the model ``file``. ``predictions.csv`` holds
every scored video of every model. DeepfakeBench's cross-dataset table is :func:`auc_matrix` of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.errors import UserInputError
from dfutils.predictions import video_columns

METRICS_COLUMNS = ["model", "dataset", "method", "videos", "real", "fake", "auc", "auc_low", "auc_high", "accuracy",
                   "eer", "failed", "file"]
PREDICTION_COLUMNS = ["model", "video_id", "label", "method", "compression", "split", "group", "score",
                      "frames_used", "error"]
SPLIT_CHOICES = ("test", "all")


@dataclass(frozen=True)
class Target:
    """A dataset to score models on: its indexer (``dataset``), folder, split (``test`` or ``all``), for FF++
    layouts the compression levels, and a re-encoding of its crops (``crf``, ``crf_face_side``: see
    :mod:`dfutils.faces.compression`; the target's own, never the model's, since a model's ``crf`` says how its
    training data was made). Or an index already made (``index``: an index CSV, as ``dfutils data index`` or a
    run writes it, with its split and, for crop folders, its ``.crops.csv``): another run's videos.
    ``every_face``: crop every face track of a video, not only the main one, and score it by its most confident
    track (DFDC's videos show several people, and a fake may swap only one of them)."""

    name: str
    dataset: str = ""
    root: str = ""
    split: str = "test"
    compressions: tuple = field(default_factory=tuple)
    crf: int = 0
    crf_face_side: int = 0
    index: str = ""
    every_face: bool = False

    @classmethod
    def from_parameters(cls, name: str, values: dict) -> Target:
        optional = {"split", "compressions", "crf", "crf_face_side", "every_face"}
        required = {"index"} if "index" in values else {"dataset", "root"}
        unknown = set(values) - required - optional
        if unknown or not required <= set(values):
            raise UserInputError(f"target {name!r}: expected keys dataset, root (or index: an index CSV; or run: "
                                 f"another profile's videos) and optionally {', '.join(sorted(optional))}; got "
                                 f"{', '.join(sorted(values))}")
        return cls(
            name,
            values.get("dataset", ""),
            str(values.get("root", "")),
            values.get("split", "test"),
            tuple(values.get("compressions", ())),
            int(values.get("crf", 0)),
            int(values.get("crf_face_side", 0)),
            str(values.get("index", "")),
            bool(values.get("every_face", False)),
        )

    @property
    def source(self) -> Path:
        """What the target reads: the index file, or the dataset's folder."""
        from dfutils.data.datasets import data_root

        return data_root(self.index) if self.index else data_root(self.root)


def index_target(target: Target, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The videos of a target's split, and their crop files when it is a folder of crops."""
    from dfutils.data.datasets import data_root, index_dataset, read_crop_members, read_index

    if target.split not in SPLIT_CHOICES:
        raise UserInputError(f"split: expected one of {', '.join(SPLIT_CHOICES)}, got {target.split!r}")
    if target.index:
        index, members = read_index(target.source), read_crop_members(target.source)
    else:
        options: dict = {"seed": seed}
        if target.compressions:
            if target.dataset != "ffpp":
                raise UserInputError(f"compressions apply to the ffpp layout only, not {target.dataset!r}")
            options["compressions"] = list(target.compressions)
        index = index_dataset(target.dataset, data_root(target.root), **options)
        members = index.attrs.get("members")
    if target.split == "test":
        index = index[index["split"] == "test"]
        if index.empty:
            raise UserInputError(f"{target.source}: the index has no test video (try split all)")
    return index.reset_index(drop=True), members


def trained_people(index: pd.DataFrame) -> frozenset[str]:
    """Everyone a run's models trained on (or stopped early by): the people of its train and val videos."""
    from dfutils.data.crop_folders import people_of

    seen = index[index["split"].isin(("train", "val"))]
    return frozenset().union(*(people_of(video, int(label)) for video, label in zip(seen["video_id"], seen["label"],
                                                                                   strict=True)))


def leave_out_people(index: pd.DataFrame, people: frozenset[str]) -> tuple[pd.DataFrame, int]:
    """``index`` without the videos that show one of ``people``, and how many were left out."""
    from dfutils.data.crop_folders import people_of

    shown = [bool(people_of(video, int(label)) & people) for video, label in zip(index["video_id"], index["label"],
                                                                                 strict=True)]
    return index[~np.array(shown, bool)].reset_index(drop=True), int(sum(shown))


@dataclass
class LoadedModel:
    path: Path
    name: str
    detector: object
    settings: dict

    @property
    def extraction(self):
        from dfutils.faces.extraction_settings import ExtractionSettings

        extraction = self.settings.get("extraction")
        return ExtractionSettings.from_dict(extraction) if extraction else None


def load_models(paths: list[str | Path]) -> list[LoadedModel]:
    """Each model file with its detector and settings; the ``model`` name is the detector's, with the
    file's run folder added where two files carry the same name."""
    from dfutils import detectors
    from dfutils.detectors.model_files import read_settings

    if not paths:
        raise UserInputError("no model file given")
    loaded = []
    for path in map(Path, paths):
        if not path.is_file():
            raise UserInputError(f"{path}: model file not found")
        settings = read_settings(path)
        loaded.append(LoadedModel(path, settings.get("detector") or path.parent.name, detectors.load(path), settings))
    names = pd.Series([model.name for model in loaded])
    for model, duplicated in zip(loaded, names.duplicated(keep=False), strict=True):
        if duplicated:
            model.name = f"{model.name} ({model.path.parent})"
    return loaded


SCORING_CHUNK = 256  # videos whose crops are decoded once and scored by every model before the next ones ...
CHUNK_BYTES = 512 * 2 ** 20  # ... or fewer, when their decoded crops would hold more than this


def score_table(model: LoadedModel, index: pd.DataFrame, faces_dir: Path | None, faces: pd.DataFrame | None,
                progress: bool = True) -> pd.DataFrame:
    """One model's prediction rows for every video of ``index`` (crops read from ``faces_dir``; a video with
    several face tracks scored by its most confident, ``Detector.score_tracks``)."""
    return score_tables([model], index, faces_dir, faces, progress)[0]


def score_tables(models: list[LoadedModel], index: pd.DataFrame, faces_dir: Path | None, faces: pd.DataFrame | None,
                 progress: bool = True, chunk: int = SCORING_CHUNK) -> list[pd.DataFrame]:
    """Each model's prediction rows for every video of ``index``, the models reading the same crops (one
    extraction setting, ``faces_dir``): each chunk of videos is decoded once and scored by every model in turn, each
    batching across the chunk (``Detector.score_batch``; the heads on FaceNet share its embeddings). A video that
    cannot be read or scored is its row with the error; the rest go on."""
    from dfutils.progress import progress_bar

    crops_of = {} if faces is None else dict(zip(faces["video_id"], zip(faces["crops"], faces["error"], strict=True),
                                                  strict=True))
    rows: list[list[dict]] = [[] for _ in models]
    bar = progress_bar(total=len(index) * len(models), unit="video",
                       desc=f"scoring: {models[0].name}" + (f" and {len(models) - 1} more" if len(models) > 1 else ""),
                       disable=not progress)
    for part, tracks, errors in _chunks(index, faces_dir, crops_of, chunk):
        shared: dict = {}  # what the models of this chunk compute once
        for found, model in zip(rows, models, strict=True):
            found += _score_chunk(model, part, tracks, errors, shared)
            bar.update(len(part))
    bar.close()
    tables = []
    for found, model in zip(rows, models, strict=True):
        table = pd.concat([video_columns(index).reset_index(drop=True), pd.DataFrame(found)], axis=1)
        tables.append(table.assign(model=model.name)[PREDICTION_COLUMNS])
    return tables


def _chunks(index: pd.DataFrame, faces_dir: Path | None, crops_of: dict, chunk: int):
    """``(videos, their face tracks, their errors)`` a chunk at a time: at most ``chunk`` videos and about
    :data:`CHUNK_BYTES` of decoded crops (an empty list of tracks and the error where a video could not be read;
    no tracks at all for models that read whole videos, ``faces_dir`` None)."""
    from dfutils.faces.crop_files import read_tracks

    start, tracks, errors, held = 0, [], [], 0
    for position, video_id in enumerate(index["video_id"]):
        if faces_dir is not None:
            crops_file, extraction_error = crops_of.get(video_id, ("", "no crops"))
            try:
                if not crops_file:
                    raise UserInputError(extraction_error or "no face crops")
                tracks.append(read_tracks(faces_dir / crops_file))
                errors.append("")
                held += sum(track.nbytes for track in tracks[-1])
            except Exception as problem:  # noqa: BLE001 - one unreadable video is its row, not the end of the run
                tracks.append([])
                errors.append(_error_text(problem))
        if position + 1 - start >= chunk or held >= CHUNK_BYTES or position + 1 == len(index):
            yield index.iloc[start:position + 1], tracks, errors
            start, tracks, errors, held = position + 1, [], [], 0


def _error_text(problem: BaseException) -> str:
    return str(problem).splitlines()[0] if str(problem) else type(problem).__name__


def _score_chunk(model: LoadedModel, part: pd.DataFrame, tracks: list, errors: list[str], shared: dict) -> list[dict]:
    """One model's rows for a chunk: whole videos one at a time for a model that reads them, else the readable
    videos' tracks in one batch (a video at a time if the batch fails, so one bad video is one error row)."""
    detector = model.detector
    if detector.input == "video":
        rows = []
        for path in part["path"]:
            try:
                score, per_frame = detector.score_video(Path(path))
                rows.append({"score": score, "frames_used": len(per_frame), "error": ""})
            except Exception as problem:  # noqa: BLE001 - as above
                rows.append({"score": float("nan"), "frames_used": 0, "error": _error_text(problem)})
        return rows
    readable = [number for number, error in enumerate(errors) if not error]
    scored: dict[int, tuple[float, int] | str] = {}
    try:
        scored.update(zip(readable, detector.score_batch([tracks[n] for n in readable], shared), strict=True))
    except Exception:  # noqa: BLE001 - find the video that fails, score the rest
        for number in readable:
            try:
                scored[number] = detector.score_batch([tracks[number]], shared={})[0]
            except Exception as problem:  # noqa: BLE001 - as above
                scored[number] = _error_text(problem)
    rows = []
    for number, error in enumerate(errors):
        found = scored.get(number, error)
        if isinstance(found, str):
            rows.append({"score": float("nan"), "frames_used": 0, "error": found})
        else:
            rows.append({"score": found[0], "frames_used": found[1], "error": ""})
    return rows


def model_metrics(table: pd.DataFrame, dataset: str, file: str, seed: int = 0) -> list[dict]:
    """Metrics of one model's predictions on one dataset: all videos, then each method's fakes against all reals."""
    from dfutils.evaluation.metrics import auc_interval, video_metrics

    scored = table[table["error"] == ""]
    failed = int((table["error"] != "").sum())
    parts = [("all", scored)]
    methods = sorted(set(scored.loc[scored["label"] == 1, "method"]))
    if len(methods) > 1:
        reals = scored[scored["label"] == 0]
        parts += [(method, pd.concat([reals, scored[(scored["label"] == 1) & (scored["method"] == method)]]))
                  for method in methods]
    rows = []
    for method, part in parts:
        labels, scores = part["label"].to_numpy(int), part["score"].to_numpy(float)
        both = len(np.unique(labels)) == 2
        found = video_metrics(labels, scores) if len(part) else {"accuracy": float("nan"), "auc": float("nan"),
                                                                 "eer": float("nan")}
        low, high = auc_interval(labels, scores, seed=seed) if both else (float("nan"), float("nan"))
        rows.append({"model": table["model"].iloc[0], "dataset": dataset, "method": method, "videos": len(part),
                     "real": int((labels == 0).sum()), "fake": int((labels == 1).sum()), "auc": found["auc"],
                     "auc_low": low, "auc_high": high, "accuracy": found["accuracy"], "eer": found["eer"],
                     "failed": failed if method == "all" else 0, "file": file})
    return rows


def evaluate(model_paths: list[str | Path], target: Target, out: str | Path, seed: int = 0, workers: int = 2,
             progress: bool = True, leave_out: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every model file on ``target``; writes and returns ``(metrics, predictions)`` (see the module
    docstring). Crops are cached in ``out/faces/<settings key>/``, so a second call extracts nothing. Videos
    showing one of the people ``leave_out`` are not scored (``predictions.attrs["left_out"]`` counts them)."""
    from dfutils.atomic import exclusive

    with exclusive(out, f"dfutils evaluate ({target.name})"):  # one evaluation per folder at a time
        return _evaluate(model_paths, target, Path(out), seed, workers, progress, leave_out)


def _evaluate(model_paths, target: Target, out: Path, seed: int, workers: int, progress: bool,
              leave_out: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from dataclasses import replace

    from dfutils.atomic import write_csv
    from dfutils.faces.extract import faces_of_index

    models = load_models(model_paths)
    index, members = index_target(target, seed)
    index, left_out = leave_out_people(index, leave_out) if leave_out else (index, 0)
    if index.empty:
        raise UserInputError(f"target {target.name!r}: every video shows someone the models trained on")
    faces_by_key: dict[str, tuple[Path, pd.DataFrame]] = {}
    readers: dict[str, list[LoadedModel]] = {}  # the models that read the same crops, by extraction key
    for model in models:
        extraction = model.extraction
        key = ""
        if model.detector.input != "video":
            if extraction is None:
                raise UserInputError(f"{model.path}: the model file lacks its extraction settings")
            # the model's crops as it saw them, re-encoded as the target is (its crf: how its training data was made)
            extraction = replace(extraction, crf=target.crf, crf_face_side=target.crf_face_side,
                                 every_face=target.every_face)
            key = extraction.key()
            if key not in faces_by_key:
                folder = out / "faces" / key
                table, _ = faces_of_index(index, folder, extraction, members=members, workers=workers, seed=seed,
                                          match_crops=False, progress=progress)
                faces_by_key[key] = (folder.resolve(), table)
        readers.setdefault(key, []).append(model)
    scored: dict[str, pd.DataFrame] = {}
    for key, group in readers.items():
        faces_dir, faces = faces_by_key.get(key, (None, None))
        scored.update(zip((model.name for model in group),
                          score_tables(group, index, faces_dir, faces, progress=progress), strict=True))
    tables = [scored[model.name] for model in models]  # in the order the models were given
    metric_rows = [row for model, table in zip(models, tables, strict=True)
                   for row in model_metrics(table, target.name, str(model.path), seed=seed)]
    predictions = pd.concat(tables, ignore_index=True)
    metrics = pd.DataFrame(metric_rows, columns=METRICS_COLUMNS)
    write_csv(predictions, out / "predictions.csv")
    write_csv(metrics, out / "metrics.csv")
    predictions.attrs["left_out"] = left_out
    return metrics, predictions


def auc_matrix(metrics: pd.DataFrame, value: str = "auc") -> pd.DataFrame:
    """Models x datasets (``method == "all"`` rows), DeepfakeBench's cross-dataset table shape."""
    overall = metrics[metrics["method"] == "all"]
    matrix = overall.pivot_table(index="model", columns="dataset", values=value, aggfunc="first", sort=False)
    return matrix.reindex(columns=list(dict.fromkeys(overall["dataset"])))


def interval_matrix(metrics: pd.DataFrame, index=("model",)) -> pd.DataFrame:
    """Rows (``index`` columns) x datasets of ``method == "all"`` rows, each cell "AUC (low-high)": the AUC
    matrix with its intervals, as text (a blank interval: a class of one video)."""
    overall = metrics[metrics["method"] == "all"].copy()
    overall["cell"] = [f"{row.auc:.2f}" + ("" if pd.isna(row.auc_low) else f" ({row.auc_low:.2f}-{row.auc_high:.2f})")
                       for row in overall.itertuples()]
    matrix = overall.pivot_table(index=list(index), columns="dataset", values="cell", aggfunc="first", sort=False)
    return matrix.reindex(columns=list(dict.fromkeys(overall["dataset"])))


def run_models(models_dir: str | Path, names: list[str] | None = None) -> list[Path]:
    """The model files of a run (``models/<detector>/model.keras`` or ``model.skops``), only ``names`` when given."""
    from dfutils.detectors.model_files import read_settings
    from dfutils.layout import model_file_in

    files = sorted(filter(None, (model_file_in(folder) for folder in Path(models_dir).iterdir()
                                 if folder.is_dir()))) if Path(models_dir).is_dir() else []
    if names:
        files = [f for f in files if read_settings(f).get("detector") in names]
        found = {read_settings(f).get("detector") for f in files}
        absent = [name for name in names if name not in found]
        if absent:
            raise UserInputError(f"{models_dir}: no model file of {', '.join(absent)}")
    if not files:
        raise UserInputError(
            f"{models_dir}: no model files (models/<detector>/model.keras or .skops); train the run first"
        )
    return files


def own_test_metrics(predictions: pd.DataFrame, dataset: str, seed: int = 0) -> pd.DataFrame:
    """The run's own test split as metric rows (the in-dataset column beside the cross-dataset ones)."""
    test = predictions[predictions["split"] == "test"].assign(error="")
    rows = []
    for _, table in test.groupby("model", sort=False):
        rows += [row for row in model_metrics(table, dataset, "", seed=seed) if row["method"] == "all"]
    return pd.DataFrame(rows, columns=METRICS_COLUMNS)


def cross_dataset(models_dir: str | Path, targets: dict[str, dict], out: str | Path, seed: int = 0, workers: int = 2,
                  names: list[str] | None = None, progress: bool = True,
                  trained_on: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Every model of a run on every target whose folder (or index file) exists: ``(metrics, predictions,
    notes)``, each target's results also in ``out/<target>/``. An absent target is skipped; from an ``index``
    target (another run's split) the videos that show people of ``trained_on``'s train and val videos (the
    scoring run's index) are left out. ``notes`` says both, a line each ("skipped ..." / "left out ...")."""
    files = run_models(models_dir, names)
    people = trained_people(trained_on) if trained_on is not None else frozenset()
    metrics, predictions, notes = [], [], []
    for name, values in targets.items():
        target = Target.from_parameters(name, values)
        if not (target.source.is_file() if target.index else target.source.is_dir()):
            notes.append(f"skipped {name}: {target.source} is absent")
            continue
        found, scored = evaluate(files, target, Path(out) / slug(name), seed=seed, workers=workers, progress=progress,
                                 leave_out=people if target.index else frozenset())
        if scored.attrs.get("left_out"):
            notes.append(
                f"left out {scored.attrs['left_out']} videos of {name}: they show people the models trained on"
            )
        metrics.append(found)
        predictions.append(scored.assign(dataset=name))
    if not metrics:
        return pd.DataFrame(columns=METRICS_COLUMNS), pd.DataFrame(columns=PREDICTION_COLUMNS + ["dataset"]), notes
    return pd.concat(metrics, ignore_index=True), pd.concat(predictions, ignore_index=True), notes


def slug(name: str) -> str:
    """A target's name as a folder name."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "target"
