"""Shared fixtures: isolated artifact/report folders, tiny notebooks, real samples."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dfutils import config
from dfutils.faces.crop_files import FaceCrops, save_crops
from dfutils.run.provenance import THREAD_VARIABLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Under pytest-xdist (``make test``: a worker per core) each worker, and every process it starts (notebook
    kernels, fresh processes), gets its share of the cores for its numeric libraries: otherwise each of N workers
    starts a pool of N threads and they fight over the cores. A value already set is kept."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        share = str(max(1, (os.cpu_count() or 1) // workers))
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, share)


@pytest.fixture
def isolated_outputs(tmp_path, monkeypatch):
    """Point artifacts/ and reports/ at a temporary folder, here and in notebook kernels."""
    monkeypatch.setattr(config, "ARTIFACTS_DIR", tmp_path / "artifacts")
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    monkeypatch.setenv("DFUTILS_ARTIFACTS", str(tmp_path / "artifacts"))  # kernels read these
    monkeypatch.setenv("DFUTILS_REPORTS", str(tmp_path / "reports"))
    return tmp_path


def write_notebook(folder: Path, name: str, parameters: str, *body: str) -> Path:
    """A notebook with a tagged parameters cell and the given code cells."""
    cells = [new_code_cell(parameters)]
    cells[0].metadata["tags"] = ["parameters"]
    cells += [new_code_cell(source) for source in body]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def real_samples() -> Path:
    """The shared real sample videos; tests that need them skip when absent."""
    root = config.REAL_SAMPLES_DIR
    if not (root / "ffpp").is_dir() or not (root / "dfdc").is_dir():
        pytest.skip(
            f"real sample videos not found at {root} (they sit beside the checkout on the "
            "development machines; set DFUTILS_REAL_SAMPLES to point elsewhere)"
        )
    return root


def touch(path: Path, content: bytes = b"\x00") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def crop_cache(tmp_path):
    """A tiny face cache: fakes have a bright square in the face, reals do not."""
    rows = []
    generator = np.random.default_rng(0)
    for n in range(24):
        label = n % 2
        crops = generator.integers(60, 120, (5, 32, 32, 3)).astype(np.uint8)
        if label:
            crops[:, 10:22, 10:22] = 230
        name = f"crops/v{n}.npz"
        save_crops(FaceCrops(f"v{n}", crops, np.arange(5), np.zeros((5, 4)), np.ones(5, bool), 1, 5,
                             {"detector": "mtcnn", "size": 32}), tmp_path / name)
        rows.append({"video_id": f"v{n}", "label": label, "crops": name, "split": "train" if n < 16 else "val"})
    return tmp_path, pd.DataFrame(rows)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    """For pytest-xdist (``make test`` runs a worker per core, ``--dist loadgroup``): the tests that
    share a module- or session-scoped fixture of this suite go to one worker, so each such fixture (a
    smoke run, a tiny trained run) is built once; and the slow tests are handed out first, so that
    no worker is left with a long one at the end while the other idles: first the modules marked
    ``minutes(n)``, longest first, then the other slow tests, then the rest. (xdist keeps up to two
    more tests queued on each worker, so a long test handed out late could wait behind another.)"""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        shared = sorted(f"{definitions[-1].baseid}::{name}"
                        for name, definitions in item._fixtureinfo.name2fixturedefs.items()
                        if definitions[-1].baseid.startswith("tests") and definitions[-1].scope != "function")
        if shared:
            item.add_marker(pytest.mark.xdist_group("+".join(shared)))

    def rank(item) -> tuple[bool, float]:
        minutes = item.get_closest_marker("minutes")
        return item.get_closest_marker("slow") is None, -(minutes.args[0] if minutes else 0)

    items.sort(key=rank)  # stable: file order otherwise
