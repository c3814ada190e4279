"""Execute a profile's notebooks with papermill and write the HTML report.

``run_profile("params/demo.yaml")`` runs every notebook of the profile in
order, each with its parameters injected, and writes into ``reports/<profile>/``
the executed notebook, one HTML page per notebook and an ``index.html``; into
``artifacts/<profile>/run.json`` the run record (params, versions, git
revision, seed, timings, key figures). Both are rewritten after every notebook,
so an interrupted run still leaves a readable record. A failing notebook stops
the run: its partial HTML (with the error visible) is still written and
:class:`NotebookFailed` names the notebook and the cell.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .config import artifacts_dir, reports_dir
from .figures import FIGURES_ENV, read_figures
from .params import NotebookRun, Profile, load_profile
from .progress import HEADLESS_ENV
from .provenance import environment_record

KERNEL_NAME = "python3"


def _kernel_manager_class():
    """Kernels whose messages are encrypted (CurveZMQ keys provisioned by the manager, where the
    kernel declares support, as ipykernel 7.4 does): ipykernel warns on every start over plain TCP."""
    from jupyter_client.manager import AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if self.has_trait("transport_encryption"):  # jupyter_client >= 8.8
                self.transport_encryption = "auto"

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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


def _format_figure(value: object) -> str:
    if isinstance(value, float):
        if math.isfinite(value) and value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    return str(value)


def export_html(notebook_path: Path, html_path: Path) -> None:
    """Render an executed notebook to a stand-alone HTML page (images inlined)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(notebook_path), as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    html_path.write_text(body, encoding="utf-8")


def render_index(record: dict, path: Path) -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    environment.filters["figure"] = _format_figure
    html = environment.get_template("index.html.j2").render(**record)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)


def _summary(artifact_dir: Path) -> list[dict]:
    """Headline metrics of every model trained so far, also written to ``summary.csv``; a broken
    predictions file must not stop the run."""
    from .results import summary_rows, write_summary

    try:
        rows = summary_rows(artifact_dir)
        if rows:
            write_summary(artifact_dir)
        return rows
    except Exception as error:  # noqa: BLE001 - the report still renders, with the reason
        return [{"model": f"(summary unavailable: {type(error).__name__}: {error})"}]


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
) -> RunResult:
    """Run the profile's notebooks (all, or those named by ``only``)."""
    import papermill

    if echo is None:
        def echo(line: str) -> None:
            print(line, flush=True)

    profile = load_profile(params_path, notebooks_dir)
    selected = profile.select(only)
    report_dir = reports_dir(profile.name)
    artifact_dir = artifacts_dir(profile.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    artifact_dir.mkdir(parents=True, exist_ok=True)
    run_json = artifact_dir / "run.json"
    index_html = report_dir / "index.html"
    if progress is None:
        progress = sys.stderr.isatty()

    previous = _previous_entries(run_json) if only else {}
    entries = []
    for run in profile.runs:
        if run in selected:
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

    started = time.perf_counter()
    record = {
        "profile": profile.name,
        "description": profile.description,
        "params_file": str(profile.path),
        "params": profile.raw,
        "seed": profile.seed,
        "only": only or [],
        "started": _now(),
        "finished": None,
        "duration_s": 0.0,
        "status": "running",
        "notebooks": entries,
        "environment": environment_record(),
        "run_json": str(run_json),
    }

    def save() -> None:
        record["duration_s"] = time.perf_counter() - started
        record["finished"] = _now()
        record["summary"] = _summary(artifact_dir)
        _write_json(run_json, record)
        render_index(record, index_html)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # inherited by the kernels
    os.environ[HEADLESS_ENV] = "1"  # text progress bars in the saved reports
    failure: str | None = None
    failed_html: Path | None = None
    by_name = {entry["name"]: entry for entry in entries}
    for number, run in enumerate(selected, start=1):
        entry = by_name[run.name]
        label = f"[{number}/{len(selected)}] {run.name}"
        echo(f"{label}: running ...")
        output_notebook = report_dir / f"{run.name}.ipynb"
        html_path = report_dir / f"{run.name}.html"
        figures_file = artifact_dir / "figures" / f"{run.name}.json"
        figures_file.unlink(missing_ok=True)
        os.environ[FIGURES_ENV] = str(figures_file)
        entry.update(status="running", started=_now())
        save()
        begin = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(run.path),
                str(output_notebook),
                parameters=run.parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(run.path.parent),
                progress_bar=progress,
                log_output=False,
                kernel_manager_class=_kernel_manager_class(),
            )
            entry["status"] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure is reported, then stops the run
            failure = _failure_message(run, error)
            failed_html = html_path
            entry.update(status="failed", error=failure)
        finally:
            os.environ.pop(FIGURES_ENV, None)
        entry["duration_s"] = time.perf_counter() - begin
        entry["figures"] = read_figures(figures_file)
        if output_notebook.is_file():
            try:
                export_html(output_notebook, html_path)
                entry["html"] = html_path.name
            except Exception as error:  # noqa: BLE001 - a report problem must not hide results
                entry.setdefault("error", f"HTML export failed: {error}")
        save()
        echo(f"{label}: {entry['status']} in {entry['duration_s']:.1f} s")
        if failure:
            break

    for entry in entries:
        if entry["status"] == "pending":  # left over after a failure
            entry["status"] = "not-run"
    record["status"] = "failed" if failure else "ok"
    save()
    echo(f"report: {index_html}")
    for entry in entries:
        duration = f"{entry['duration_s']:.1f} s" if entry.get("duration_s") is not None else "-"
        echo(f"  {entry['name']:<40} {entry['status']:<8} {duration:>9}")
    echo(f"  {'total':<40} {record['status']:<8} {record['duration_s']:>7.1f} s")
    if record["summary"]:
        echo("test-split metrics of every model (video level; details in the report):")
        from .results import format_summary

        echo(format_summary(record["summary"]))
    if failure:
        raise NotebookFailed(f"{failure}; partial report: {failed_html}")
    return RunResult(profile, index_html, run_json, record)
