"""Notebook hygiene: one literal parameters cell, kernel python3, no outputs; profiles valid."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from dfutils.run.notebook_params import load_notebook, notebook_parameters, parameter_cells
from dfutils.run.params import INJECTED, load_profile

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PROFILES = sorted((ROOT / "params").glob("*.yaml"))


def test_there_are_notebooks_and_profiles():
    assert NOTEBOOKS and {"demo.yaml", "smoke.yaml"} <= {p.name for p in PROFILES}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_hygiene(path):
    notebook = load_notebook(path)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert len(parameter_cells(notebook)) == 1
    declared = notebook_parameters(path)  # raises unless literals only
    for name in INJECTED:
        assert name in declared, f"{path.name} must declare {name!r}"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} is committed with outputs"
            assert cell.get("execution_count") is None, f"{path.name} is committed with execution counts"
    # notebooks tell the story; the work is in dfutils (one source, tested)
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code" and "parameters" not in cell.get("metadata", {}).get("tags", []):
            lines = "".join(cell["source"]).splitlines()
            assert len(lines) <= 15, f"{path.name}, cell {number}: {len(lines)} lines (at most 15; move logic to dfutils)"
            assert not any(line.lstrip().startswith(("def ", "class ")) for line in lines), \
                f"{path.name}, cell {number} defines a function or class (it belongs in dfutils)"
    # papermill parses the cell with its own regex; it must see the same parameters
    assert set(papermill.inspect_notebook(str(path))) == set(declared)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_shipped_profiles_validate(path):
    profile = load_profile(path)
    assert profile.name == path.stem
    assert profile.runs
