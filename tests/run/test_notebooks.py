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
            assert len(lines) <= 15, (
                f"{path.name}, cell {number}: {len(lines)} lines (at most 15; move logic to dfutils)"
            )
            assert not any(line.lstrip().startswith(("def ", "class ")) for line in lines), \
                f"{path.name}, cell {number} defines a function or class (it belongs in dfutils)"
    # papermill parses the cell with its own regex; it must see the same parameters
    assert set(papermill.inspect_notebook(str(path))) == set(declared)


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.stem)
def test_shipped_profiles_validate(path):
    profile = load_profile(path)
    assert profile.name == path.stem
    assert profile.runs


# the settings families each notebook takes (a dict parameter each, named after the family)
SETTINGS_OF = {
    "01_data": ["crop_statistics"],
    "02_faces": ["extraction", "crop_statistics"],
    "03_time_distributed": ["paper_a"],
    "04_frame_baselines": ["frame_classifier", "sequence", "conv3d"],
    "05_triplet": ["triplet"],
    "09_self_blended": ["self_blended"],
}


def settings_problems(notebook: Path, families: list[str]) -> list[str]:
    """What keeps a notebook from the one rule: each family one ``dict`` parameter whose default (the demo's)
    fits the dataclass, read by ``Class.from_mapping(family)`` and by nothing else."""
    from dfutils.run.settings_families import FAMILIES, families_of, old_key

    declared = notebook_parameters(notebook)
    source = "\n".join("".join(cell["source"]) for cell in load_notebook(notebook)["cells"])
    problems = [f"{family}: takes no such settings" for family in families if family not in declared]
    problems += [f"{family}: not a dict" for family in families if family in declared
                 and declared[family].annotation != "dict"]
    problems += [f"{family}: takes settings the test does not list" for family in families_of(declared)
                 if family not in families]
    for family in (f for f in families if f in declared):
        cls = FAMILIES[family]
        problems += [f"{family} default: {problem}" for problem in cls.problems(declared[family].default)]
        if f"{cls.__name__}.from_mapping({family})" not in source:
            problems.append(f"{family}: not read by {cls.__name__}.from_mapping({family})")
        problems += [f"{family}.{name}: also a parameter of its own ({old_key(family, name)})" for name in
                     cls.annotations() if old_key(family, name) in declared and old_key(family, name) != family]
    return problems


def test_every_detector_family_is_one_settings_mapping_of_its_notebook():
    from dfutils.detectors import registry
    from dfutils.run.settings_families import FAMILIES, families_of

    for stem, families in SETTINGS_OF.items():
        assert settings_problems(ROOT / "notebooks" / f"{stem}.ipynb", families) == [], stem
    for path in NOTEBOOKS:  # and no other notebook takes settings unlisted
        assert families_of(notebook_parameters(path)) == SETTINGS_OF.get(path.stem, []), path.stem
    # every registered detector's settings dataclass is a family some notebook takes
    taken = {FAMILIES[family] for families in SETTINGS_OF.values() for family in families}
    for entry in registry.ENTRIES:
        assert registry.implementation(entry.implementation).settings_class in taken, entry.name
    # the check finds a family a notebook does not take, and one it takes unlisted
    assert settings_problems(ROOT / "notebooks" / "04_frame_baselines.ipynb", ["frame_classifier", "triplet"]) == [
        "triplet: takes no such settings", "sequence: takes settings the test does not list",
        "conv3d: takes settings the test does not list"]
