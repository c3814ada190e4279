"""Execute a profile's notebooks with papermill and write the HTML report.

``run_profile("params/demo.yaml")`` runs every notebook of the profile in
order, each with its parameters injected, and writes into ``reports/<profile>/``
the executed notebook, one HTML page per notebook and an ``index.html``; into
``artifacts/<profile>/run.json`` the run record (params, versions, git
revision, seed, timings, key figures). Both are rewritten after every notebook,
so an interrupted run still leaves a readable record. A failing notebook stops
the run: its partial HTML (with the error visible) is still written and
:class:`NotebookFailed` names the notebook and the cell. A run stopped with Ctrl-C
or SIGTERM says "interrupted" and in which notebook, with that notebook's partial
HTML; its kernel is shut down and the lock released. The next run of the profile
**resumes**: a notebook that finished with the same parameters, the same code
(commit, uncommitted changes, package versions) and after nothing rerun before it
is kept, not run again (``force=True``, ``dfutils run --force``, reruns all).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dfutils.atomic import exclusive, write_text
from dfutils.config import artifacts_dir, reports_dir
from dfutils.errors import UserInputError
from dfutils.progress import HEADLESS_ENV
from dfutils.run.key_figures import read_figures
from dfutils.run.params import NotebookRun, Profile, load_profile
from dfutils.run.provenance import environment_record

KERNEL_NAME = "python3"


def _kernel_manager_class(log: Path | None = None):
    """Kernels whose messages are encrypted (CurveZMQ keys provisioned by the manager, where the kernel declares
    support, as ipykernel 7.4 does: it warns on every start over plain TCP), and, with ``log``, whose
    process-level output (C++ libraries writing to file descriptors 1 and 2: TensorFlow's absl and oneDNN
    start-up lines in every notebook) goes to that file instead of the notebook; Python's own output and
    warnings still reach the notebook."""
    from jupyter_client.manager import AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if self.has_trait("transport_encryption"):  # jupyter_client >= 8.8
                self.transport_encryption = "auto"

        def format_kernel_cmd(self, extra_arguments=None):
            command = super().format_kernel_cmd(extra_arguments)
            return command + ["--IPKernelApp.capture_fd_output=False"] if log else command

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if log is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as handle:  # the child keeps its own copy of the descriptor
                kw.update(stdout=handle, stderr=handle)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return EncryptedKernelManager


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""


@dataclass
class RunResult:
    profile: Profile
    index_html: Path
    run_json: Path
    record: dict


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, default=str))


def _format_figure(value: object) -> str:
    if isinstance(value, float):
        if math.isfinite(value) and value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def export_html(notebook_path: Path, html_path: Path) -> None:
    """Render an executed notebook to a stand-alone HTML page (images inlined, equations as MathML: the page
    needs no network)."""
    import nbformat
    from nbconvert import HTMLExporter

    from dfutils.run.mathml import notebook_to_mathml

    notebook = nbformat.read(str(notebook_path), as_version=4)
    notebook_to_mathml(notebook)
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(Path(__file__).parent / "templates")])
    body, _ = exporter.from_notebook_node(notebook)
    html_path.write_text(body, encoding="utf-8")


def render_index(record: dict, path: Path, template: str = "index.html.j2") -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    environment.filters["figure"] = _format_figure
    write_text(path, environment.get_template(template).render(**record))


def _summary(artifact_dir: Path) -> list[dict]:
    """Headline metrics of every model trained so far, also written to ``summary.csv``; a broken
    predictions file must not stop the run."""
    from dfutils.evaluation.results import summary_rows, write_summary

    try:
        rows = summary_rows(artifact_dir)
        if rows:
            write_summary(artifact_dir)
        return rows
    except Exception as error:  # noqa: BLE001 - the report still renders, with the reason
        return [{"model": f"(summary unavailable: {type(error).__name__}: {error})"}]


def _dropped(artifact_dir: Path) -> dict:
    """How many videos of each split no model could score (no face crops), and why, for the report."""
    from dfutils.evaluation.results import dropped_videos

    try:
        dropped = dropped_videos(artifact_dir)
        reasons = [str(reason).split(":")[-1].strip() for reason in dropped["reason"]]
        return {"by_split": {str(k): int(v) for k, v in dropped.groupby("split").size().items()},
                "reasons": dict(Counter(reasons).most_common(5))}
    except Exception as error:  # noqa: BLE001 - the report still renders, with the reason
        return {"error": f"{type(error).__name__}: {error}"}


def _seeds_study(profile: Profile, summary: list[dict]) -> dict | None:
    """The seeds study named by the profile (``seeds_study``), its spread added to the summary rows when it
    has been run; None when the profile names none."""
    if not profile.seeds_study:
        return None
    from dfutils.evaluation.results import add_seed_spread

    seeds_csv = artifacts_dir(profile.seeds_study) / "seeds.csv"
    study = {"profile": profile.seeds_study, "params_file": f"params/{profile.seeds_study}.yaml",
             "report": f"../{profile.seeds_study}/index.html", "seeds": []}
    if seeds_csv.is_file():
        try:
            study["seeds"] = add_seed_spread(summary, seeds_csv)
        except Exception as error:  # noqa: BLE001 - a damaged study file must not stop the run's report
            study["error"] = f"{seeds_csv}: {type(error).__name__}: {error}"
    return study


def _failure_message(run: NotebookRun, error: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        first_line = next((line for line in error.source.splitlines() if line.strip()), "")
        cell = f"cell [{error.exec_count}]" if error.exec_count else f"cell #{error.cell_index}"
        evalue = error.evalue.strip().splitlines()[0] if error.evalue.strip() else ""
        return f"notebook {run.name} failed in {cell} `{first_line.strip()[:80]}`: {error.ename}: {evalue}"
    return f"notebook {run.name} failed: {type(error).__name__}: {error}"


def _previous_entries(run_json: Path) -> dict[str, dict]:
    """Results of an earlier run of the same profile, for runs not repeated now (--only)."""
    if not run_json.is_file():
        return {}
    try:
        previous = json.loads(run_json.read_text())
    except json.JSONDecodeError:
        return {}
    return {entry["name"]: entry for entry in previous.get("notebooks", []) if "name" in entry}


def run_profile(
    params_path: str | Path,
    only: list[str] | None = None,
    *,
    progress: bool | None = None,
    echo=None,
    notebooks_dir: Path | None = None,
    overrides: tuple[str, ...] | list = (),
    force: bool = False,
) -> RunResult:
    """Run the profile's notebooks (all, or those named by ``only``), with ``overrides`` (``--set``) applied;
    a profile that lists ``seeds`` runs them once per seed (:func:`run_seeds`). Without ``only`` or ``force``,
    what an earlier run finished unchanged is kept (see the module docstring)."""
    if echo is None:
        def echo(line: str) -> None:
            print(line, flush=True)

    profile = load_profile(params_path, notebooks_dir, overrides)
    with _terminate_as_interrupt():
        if profile.seeds:
            return run_seeds(profile, only, progress=progress, echo=echo, force=force)
        return _run(profile, only, progress=progress, echo=echo, force=force)


@contextmanager
def _terminate_as_interrupt():
    """SIGTERM (a scheduler's or a container's stop) handled as Ctrl-C: the run records where it stopped."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _kept(profile: Profile, run_json: Path, fingerprint: str | None) -> dict[str, dict]:
    """The entries of the previous run to keep: its leading notebooks that finished (ok) with the parameters they
    have now, under the same code; the first one that differs, and everything after it, runs again."""
    from dfutils.run.provenance import code_fingerprint

    if fingerprint is None or not run_json.is_file():
        return {}
    try:
        previous = json.loads(run_json.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    if code_fingerprint(previous.get("environment") or {}) != fingerprint:
        return {}
    done = {entry["name"]: entry for entry in previous.get("notebooks", [])
            if entry.get("status") in ("ok", "kept") and "name" in entry}
    kept = {}
    for run in profile.runs:
        entry = done.get(run.name)
        if entry is None or entry.get("parameters") != json.loads(json.dumps(run.parameters, default=str)):
            break
        kept[run.name] = entry
    return kept


def _run(profile: Profile, only: list[str] | None, *, progress: bool | None, echo, force: bool = False) -> RunResult:
    """Run the profile's notebooks once, with its seed, holding the profile's lock."""
    artifact_dir = artifacts_dir(profile.name)
    # one run of a profile at a time: a second is refused at once, naming the first; a killed run's lock is free
    with exclusive(artifact_dir, f"dfutils run {profile.name}"):
        return _run_locked(profile, only, artifact_dir, progress=progress, echo=echo, force=force)


INTERRUPTED = "interrupted"  # what _execute returns for a notebook stopped by Ctrl-C or SIGTERM


def _entries(profile: Profile, selected: list, kept: dict, previous: dict, echo) -> list[dict]:
    """One record per notebook of the profile: kept from the last run, pending, as an earlier run left it, or
    not run."""
    entries = []
    for run in profile.runs:
        if run.name in kept:
            entry = {**kept[run.name], "status": "kept"}
            echo(f"{run.name}: kept from the last run (same parameters and code; --force runs it again)")
        elif run in selected:
            entry = {"name": run.name, "notebook": run.notebook, "status": "pending"}
        elif run.name in previous:
            entry = dict(previous[run.name])  # kept from the earlier run, shown as it was
        else:
            entry = {"name": run.name, "notebook": run.notebook, "status": "not-run"}
        entry.setdefault("parameters", run.parameters)
        entry.setdefault("duration_s", None)
        entry.setdefault("figures", {})
        entry.setdefault("html", None)
        entries.append(entry)
    return entries


def _new_record(profile: Profile, only: list[str] | None, entries: list[dict], environment: dict,
                run_json: Path) -> dict:
    return {"profile": profile.name, "description": profile.description, "params_file": str(profile.path),
            "params": profile.raw, "overrides": list(profile.overrides), "seed": profile.seed, "only": only or [],
            "started": _now(), "finished": None, "duration_s": 0.0, "status": "running", "notebooks": entries,
            "environment": environment, "run_json": str(run_json)}


def _saver(record: dict, profile: Profile, artifact_dir: Path, run_json: Path, index_html: Path):
    """A function that rewrites ``run.json`` and the report index from ``record`` (after every notebook)."""
    started = time.perf_counter()

    def save() -> None:
        record["duration_s"] = time.perf_counter() - started
        record["finished"] = _now()
        record["summary"] = _summary(artifact_dir)
        record["dropped"] = _dropped(artifact_dir)
        record["seeds_study"] = _seeds_study(profile, record["summary"])
        _write_json(run_json, record)
        render_index(record, index_html)
    return save


def _kernel_environment() -> None:
    """What the kernels inherit: quieter TensorFlow, glibc's heap settings, text progress bars."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # glibc hands tensors of more than 32 MB back to the system when freed and faults them in again
    # at the next training step, which on a CPU costs as much system time as the step's arithmetic;
    # kept in the heap, a step took 15x fewer page faults and ran about 15% faster here
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 32))
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(1 << 34))
    os.environ[HEADLESS_ENV] = "1"  # text progress bars in the saved reports


def _execute(run, entry: dict, report_dir: Path, artifact_dir: Path, progress: bool) -> str | None:
    """Run one notebook with papermill and write its HTML, recording status, time and figures in ``entry``;
    ``None`` when it finished, ``INTERRUPTED`` when stopped, else the failure's message."""
    import papermill

    output_notebook = report_dir / f"{run.name}.ipynb"
    html_path = report_dir / f"{run.name}.html"
    figures_file = artifact_dir / "figures" / f"{run.name}.json"
    figures_file.unlink(missing_ok=True)
    outcome = None
    begin = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(run.path), str(output_notebook), parameters={**run.parameters, "figures_file": str(figures_file)},
            kernel_name=KERNEL_NAME, cwd=str(run.path.parent), progress_bar=progress, log_output=False,
            kernel_manager_class=_kernel_manager_class(artifact_dir / "logs" / f"{run.name}.kernel.log"),
        )
        entry["status"] = "ok"
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: papermill has shut the kernel down; say where it stopped
        outcome = INTERRUPTED
        entry.update(status="interrupted", error="interrupted (Ctrl-C or SIGTERM) while it ran")
    except Exception as error:  # noqa: BLE001 - any failure is reported, then stops the run
        outcome = _failure_message(run, error)
        entry.update(status="failed", error=outcome)
    entry["duration_s"] = time.perf_counter() - begin
    entry["figures"] = read_figures(figures_file)
    if output_notebook.is_file():
        try:
            export_html(output_notebook, html_path)
            entry["html"] = html_path.name
        except Exception as error:  # noqa: BLE001 - a report problem must not hide results
            entry.setdefault("error", f"HTML export failed: {error}")
    return outcome


def _print_outcome(record: dict, index_html: Path, echo) -> None:
    echo(f"report: {index_html}")
    for entry in record["notebooks"]:
        duration = f"{entry['duration_s']:.1f} s" if entry.get("duration_s") is not None else "-"
        echo(f"  {entry['name']:<40} {entry['status']:<8} {duration:>9}")
    echo(f"  {'total':<40} {record['status']:<8} {record['duration_s']:>7.1f} s")
    if record["summary"]:
        echo("test-split metrics of every model (video level; details in the report):")
        from dfutils.evaluation.results import format_summary

        echo(format_summary(record["summary"]))


def _run_locked(profile: Profile, only: list[str] | None, artifact_dir: Path, *, progress: bool | None,
                echo, force: bool = False) -> RunResult:
    from dfutils.run.provenance import code_fingerprint

    report_dir = reports_dir(profile.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    run_json, index_html = artifact_dir / "run.json", report_dir / "index.html"
    progress = sys.stderr.isatty() if progress is None else progress
    environment = environment_record()
    kept = {} if only or force else _kept(profile, run_json, code_fingerprint(environment))
    selected = [run for run in profile.select(only) if run.name not in kept]
    _require_backbones(selected)
    entries = _entries(profile, selected, kept, _previous_entries(run_json) if only else {}, echo)
    record = _new_record(profile, only, entries, environment, run_json)
    save = _saver(record, profile, artifact_dir, run_json, index_html)
    _kernel_environment()
    outcome, stopped_in = None, None
    by_name = {entry["name"]: entry for entry in entries}
    for number, run in enumerate(selected, start=1):
        entry, label = by_name[run.name], f"[{number}/{len(selected)}] {run.name}"
        echo(f"{label}: running ...")
        entry.update(status="running", started=_now())
        save()
        outcome = _execute(run, entry, report_dir, artifact_dir, progress)
        save()
        echo(f"{label}: {entry['status']} in {entry['duration_s']:.1f} s")
        if outcome:
            stopped_in = run.name
            break

    for entry in entries:
        if entry["status"] == "pending":  # left over after a failure
            entry["status"] = "not-run"
    record["status"] = "interrupted" if outcome == INTERRUPTED else "failed" if outcome else "ok"
    record["interrupted_in"] = stopped_in if outcome == INTERRUPTED else None
    save()
    if outcome == INTERRUPTED:
        echo(f"interrupted in {stopped_in}; partial report: {report_dir / f'{stopped_in}.html'}")
        raise KeyboardInterrupt(stopped_in)
    _print_outcome(record, index_html, echo)
    if outcome:
        raise NotebookFailed(f"{outcome}; partial report: {report_dir / f'{stopped_in}.html'}")
    return RunResult(profile, index_html, run_json, record)


def _require_backbones(runs: list[NotebookRun]) -> None:
    """Stop before any notebook runs when one starts its CNN from a deepfake-trained backbone whose file is absent
    (a UserInputError naming the file and the command that makes it): never an ImageNet start in silence."""
    from dfutils.detectors import backbone_files
    from dfutils.run.settings_families import families_of

    for run in runs:
        for family in families_of(run.parameters):
            settings = run.settings(family)
            if hasattr(settings, "backbone") and backbone_files.is_source(settings.weights):
                try:
                    backbone_files.require(settings.weights, settings.backbone)
                except UserInputError as error:
                    raise UserInputError(f"{run.name}: {error}") from None


def run_seeds(profile: Profile, only: list[str] | None = None, *, progress: bool | None = None, echo=print,
              force: bool = False) -> RunResult:
    """A seeds study: the profile's notebooks once per seed, each into ``<profile>/seed-<seed>/``,
    then ``artifacts/<profile>/seeds.csv`` (every model's test AUC per seed, its mean and range) and
    ``reports/<profile>/index.html`` linking each seed's report."""
    from dfutils.evaluation.results import seed_spread

    started = time.perf_counter()
    artifact_dir, report_dir = artifacts_dir(profile.name), reports_dir(profile.name)
    entries, failure = [], None
    for number, seed in enumerate(profile.seeds, start=1):
        echo(f"seed {seed} ({number}/{len(profile.seeds)})")
        entry = {"seed": seed, "name": f"seed-{seed}", "status": "running", "html": f"seed-{seed}/index.html"}
        entries.append(entry)
        try:
            result = _run(profile.for_seed(seed), only, progress=progress, echo=echo, force=force)
            entry.update(status="ok", duration_s=result.record["duration_s"])
        except NotebookFailed as error:
            entry.update(status="failed", error=str(error))
            failure = error
            break
    done = {entry["seed"]: artifacts_dir(f"{profile.name}/seed-{entry['seed']}") for entry in entries}
    spread = seed_spread(done)
    artifact_dir.mkdir(parents=True, exist_ok=True)
    spread.to_csv(artifact_dir / "seeds.csv", index=False, float_format="%.4f")
    record = {
        "profile": profile.name, "description": profile.description, "params_file": str(profile.path),
        "params": profile.raw, "seeds": list(profile.seeds), "runs": entries, "started": None, "finished": _now(),
        "duration_s": time.perf_counter() - started, "status": "failed" if failure else "ok",
        "spread": spread.to_dict("records"), "seed_columns": [c for c in spread.columns if c.startswith("auc[")],
        "environment": environment_record(),
    }
    _write_json(artifact_dir / "run.json", record)
    render_index(record, report_dir / "index.html", template="seeds.html.j2")
    echo(f"report: {report_dir / 'index.html'}")
    if len(spread):
        echo("test AUC over seeds (mean, min, max):")
        echo(
            spread[["model", "seeds", "auc_mean", "auc_min", "auc_max"]].to_string(
                index=False, float_format=lambda v: f"{v:.3f}"
            )
        )
    if failure:
        raise failure
    return RunResult(profile, report_dir / "index.html", artifact_dir / "run.json", record)
