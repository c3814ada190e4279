"""Face extraction over a whole index, on Dask: a local cluster or an existing one.

``extract_index(index, out, settings)`` crops faces from every video of an
index table into ``out/crops/`` (one ``.npz`` of encoded crops per video, keyed
by the video file's identity and the settings) and writes ``out/faces.csv``
with ``video_id, frames_sampled, frames_with_face, faces_seen, tracks, status,
error, crops`` (``tracks``: the face tracks cropped, 1 unless ``every_face``).
Finished videos are skipped, so a run killed at any point and started
again does only the rest; a video that cannot be read becomes a row with its
error and the run goes on.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from dfutils.atomic import exclusive, stray_temporaries, write_csv
from dfutils.errors import UserInputError
from dfutils.faces.crop_files import (
    FACES_COLUMNS,
    cache_path,
    cached_summary,
    load_crops,
    save_crops,
    video_cache_key,
)
from dfutils.faces.detectors import get_detector
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.faces.tracking import extract_video
from dfutils.progress import progress_bar


def _failure(video_id: str, error: str) -> dict:
    return {"video_id": video_id, "frames_sampled": 0, "frames_with_face": 0, "faces_seen": 0, "tracks": 0,
            "status": "failed", "error": error, "crops": ""}


def process_video(path: str, video_id: str, out: str, settings: ExtractionSettings, threads: int | None) -> dict:
    """Extract one video into the cache (a Dask task; ``threads``: the detector's thread pools in that worker,
    :func:`dfutils.faces.detectors.get_detector`); never raises for a bad video."""
    out_path = Path(out)
    try:
        source = Path(path)
        if not source.is_file():
            raise UserInputError(f"{path}: video file not found")
        target = cache_path(out_path, video_id, video_cache_key(source, settings))
        row = cached_summary(target)
        if row is not None:
            status = "cached"
        else:
            result = extract_video(source, video_id, settings, detector=get_detector(settings.detector, threads))
            save_crops(result, target)
            row = result.summary()
            status = "ok"
        return {**row, "status": status, "error": "", "crops": target.relative_to(out_path).as_posix()}
    except UserInputError as error:
        return _failure(video_id, str(error))
    except Exception as error:  # noqa: BLE001 - a decoder or model error on one file must not end the run
        return _failure(video_id, f"{type(error).__name__}: {error}")


@contextmanager
def _stderr_into(path: Path):
    """Point file descriptor 2 at ``path`` while worker processes start, so they inherit it.

    TensorFlow writes start-up lines from C++ straight to stderr, which would
    fill a notebook's output; they go to the log file instead, kept for debugging.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(target, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


@contextmanager
def _environment_kept():
    """This process's environment as it was on entry, whatever ran inside: Dask's nanny writes its workers' settings
    (``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``, ``PYTHONHASHSEED``...: ``distributed.nanny.pre-spawn-environ``)
    into the environment of the process that starts them, where scoring after an extraction, or a process it
    starts, would read them."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@contextmanager
def dask_client(workers: int, scheduler: str | None, log: Path):
    """A client of the scheduler at ``scheduler``, or of a new local cluster of ``workers`` single-threaded
    processes, as ``(client, cluster)`` (cluster None for an existing scheduler); both closed on exit, and this
    process's environment left as it was."""
    from dask.distributed import Client, LocalCluster

    with _environment_kept():
        cluster = None
        if not scheduler:  # one single-threaded process per worker (each task says how many threads its detector has)
            with _stderr_into(log):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=40)
        try:
            client = Client(scheduler or cluster)
            try:
                yield client, cluster
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def extract_index(index: pd.DataFrame, out: str | Path, settings: ExtractionSettings, workers: int = 2,
                  scheduler: str | None = None, progress: bool = True, worker_threads: int = 1) -> pd.DataFrame:
    """Extract every video of ``index`` (columns ``video_id``, ``path``); returns the faces table. Holds the
    folder's lock (:func:`dfutils.atomic.exclusive`) while it writes. ``worker_threads``: each worker's detector
    threads (one: parallelism comes from the workers)."""
    missing_columns = {"video_id", "path"} - set(index.columns)
    if missing_columns:
        raise UserInputError(f"index: missing column(s) {', '.join(sorted(missing_columns))}")
    if workers < 1:
        raise UserInputError(f"workers: must be at least 1, got {workers}")
    out = Path(out).resolve()
    (out / "crops").mkdir(parents=True, exist_ok=True)
    with exclusive(out, "dfutils extract"):  # one extraction per folder; a second is refused, naming this one
        for stray in stray_temporaries(out / "crops"):  # a killed run's; the finished files are intact
            stray.unlink(missing_ok=True)
        table = _extract(index, out, settings, workers, scheduler, progress, worker_threads)
    write_csv(table, out / "faces.csv")
    return table


def _extract(index: pd.DataFrame, out: Path, settings: ExtractionSettings, workers: int, scheduler: str | None,
             progress: bool, worker_threads: int) -> pd.DataFrame:
    from dask.distributed import as_completed

    rows: list[dict] = []
    with dask_client(workers, scheduler, out / "workers.log") as (client, _):
        started = time.perf_counter()
        frames_done = 0
        futures = [
            client.submit(process_video, str(path), video_id, str(out), settings, worker_threads, pure=False,
                          key=f"extract-{n}")
            for n, (video_id, path) in enumerate(zip(index["video_id"], index["path"], strict=True))
        ]
        with progress_bar(
            total=len(futures), unit="video", desc=f"faces ({settings.detector})", disable=not progress
        ) as bar:
            for future in as_completed(futures):
                row = future.result()
                rows.append(row)
                frames_done += row["frames_sampled"] if row["status"] == "ok" else 0
                elapsed = max(time.perf_counter() - started, 1e-6)
                bar.set_postfix(frames_per_s=f"{frames_done / elapsed:.1f}",
                                failed=sum(r["status"] == "failed" for r in rows), refresh=False)
                bar.update(1)
    order = {video_id: n for n, video_id in enumerate(index["video_id"])}
    table = pd.DataFrame(rows, columns=FACES_COLUMNS).sort_values("video_id", key=lambda s: s.map(order))
    return table.reset_index(drop=True)


def faces_of_index(index: pd.DataFrame, out: str | Path, settings: ExtractionSettings, *,
                   members: pd.DataFrame | None = None, workers: int = 2, scheduler: str | None = None,
                   seed: int = 0, geometry_crops: int = 60, match_crops: bool = True,
                   progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Face crops for every video of an index; returns the faces table (also written to ``out/faces.csv``)
    and what the crops' settings are.

    Videos are extracted with ``settings``. The videos of a face-crop index (``members``, see
    :func:`dfutils.data.datasets.index_faces`) are packed into the same cache: their crops are already cut,
    so the detector is run on a sample of them to measure how (:func:`packing.crop_geometry`),
    and the extraction settings that cut crops alike from a video (the margin that matches) are what
    every packed cache file, and so every model file trained on them, records. Face-only clips of such
    an index are extracted with those matching settings. ``match_crops=False`` keeps ``settings`` as they
    are (scoring a model on someone's crops: the model's settings, not the crops') and cuts crops that
    were cut looser than its margin to match it (:func:`packing.matching_keep`).
    """
    from dataclasses import asdict

    from dfutils.faces import packing

    is_crops = index["compression"].eq("crops") & index["video_id"].isin(members["video_id"]) \
        if members is not None else pd.Series(False, index=index.index)
    geometry: dict = {}
    keep = 1.0
    if is_crops.any():
        sample = packing.sample_files(members[members["video_id"].isin(index.loc[is_crops, "video_id"])],
                                           geometry_crops, seed)
        geometry = packing.crop_geometry(sample, settings.detector)
        if geometry["side_ratio"] is None:
            import warnings

            warnings.warn(f"{settings.detector} found no face in {geometry['crops_tried']} sampled crops: they are "
                          f"packed as they are, and videos are cut with margin {settings.margin}", stacklevel=2)
        elif match_crops:  # training: videos are cut later the way these crops were
            settings = packing.matching_extraction(geometry, settings)
        else:  # scoring with a model's settings: looser crops are cut to its margin
            keep = packing.matching_keep(geometry, settings.margin)
    tables = []
    if is_crops.any():
        recorded = {**asdict(settings), "packed_from_crops": {**geometry, "keep": keep}}
        pack = packing.PackSettings(size=settings.size, codec=settings.codec, quality=settings.quality, keep=keep,
                                    crf=settings.crf, crf_side=packing.source_side(geometry, settings, keep))
        tables.append(packing.pack_crops(index[is_crops], members, out, pack, recorded, progress=progress))
    if (~is_crops).any():
        tables.append(extract_index(index[~is_crops], out, settings, workers=workers, scheduler=scheduler,
                                    progress=progress))
    order = {video_id: n for n, video_id in enumerate(index["video_id"])}
    table = pd.concat(tables).sort_values("video_id", key=lambda s: s.map(order)).reset_index(drop=True)
    write_csv(table, Path(out) / "faces.csv")
    return table, {"extraction": asdict(settings), "packed_from_crops": geometry}


def detection_rates(faces: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    """Per method: videos, failures, and the share of sampled frames where the main face was detected."""
    table = faces.merge(index[["video_id", "method", "label"]], on="video_id", how="left")
    grouped = table.groupby("method")
    return pd.DataFrame({
        "videos": grouped.size(),
        "failed": grouped["status"].apply(lambda s: int((s == "failed").sum())),
        "frames_sampled": grouped["frames_sampled"].sum(),
        "detection_rate": grouped["frames_with_face"].sum() / grouped["frames_sampled"].sum().clip(lower=1),
        "mean_faces_seen": grouped["faces_seen"].mean(),
    })


def crops_by_method(out: str | Path, faces: pd.DataFrame, index: pd.DataFrame, per_method: int = 6,
                    frame: int | None = None) -> dict[str, list]:
    """A few crops per method (the middle sampled frame of each video) for a grid plot."""
    out = Path(out)
    table = faces[faces["status"] != "failed"].merge(index[["video_id", "method"]], on="video_id")
    grid = {}
    for method, rows in table.groupby("method"):
        crops = []
        for crops_file in rows["crops"].head(per_method):
            video = load_crops(out / crops_file)
            crops.append(video.crops[len(video.crops) // 2 if frame is None else min(frame, len(video.crops) - 1)])
        grid[method] = crops
    return grid


def check_failures(faces: pd.DataFrame, max_share: float) -> pd.DataFrame:
    """The videos without crops (no face in any sampled frame, unreadable); a share of them above ``max_share``
    is an error that lists them, so a run never trains and reports on what is left of a broken extraction
    without saying so. Below it they are returned, to be shown and counted."""
    failed = faces[faces["status"] == "failed"][["video_id", "error"]]
    share = len(failed) / max(len(faces), 1)
    if share > max_share:
        shown = "; ".join(f"{row.video_id}: {row.error}" for row in failed.head(5).itertuples())
        raise UserInputError(f"{len(failed)} of {len(faces)} videos ({share:.0%}) have no face crops, more than "
                             f"max_failed_share={max_share:g}: {shown}" + (" ..." if len(failed) > 5 else "")
                             + "; check the videos and the detector settings, or raise max_failed_share")
    return failed.reset_index(drop=True)
