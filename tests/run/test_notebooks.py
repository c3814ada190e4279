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


# which settings dataclass each notebook fills from its parameters, and the prefix its names carry
SETTINGS_OF = {
    "01_data": [("CropStatisticsSettings", "baseline_")],
    "02_faces": [("ExtractionSettings", ""), ("CropStatisticsSettings", "baseline_")],
    "03_time_distributed": [("PaperASettings", "")],
    "04_frame_baselines": [("FrameSettings", ""), ("SequenceSettings", "sequence_"), ("Conv3DSettings", "conv3d_")],
    "05_triplet": [("TripletSettings", "")],
    "09_self_blended": [("SelfBlendedSettings", "")],
}
SET_BY_THE_NOTEBOOK = {("CropStatisticsSettings", "source")}  # what the data is (frames or crops), not a setting


def unreachable_settings(notebook: Path, settings: list[tuple[str, str]]) -> list[str]:
    """The settings fields a notebook's parameters cannot set, and the dataclasses it does not fill by
    the one rule (``from_parameters(Class, globals(), prefix=...)``)."""
    from dataclasses import fields

    from dfutils.detectors import settings as module
    from dfutils.faces.extraction_settings import ExtractionSettings

    declared = set(notebook_parameters(notebook))
    source = "\n".join("".join(cell["source"]) for cell in load_notebook(notebook)["cells"])
    problems = []
    for name, prefix in settings:
        call = f"from_parameters({name}, globals()" + (f', prefix="{prefix}"' if prefix else "")
        if call not in source and f"{name}.from_parameters(globals())" not in source:
            problems.append(f"{name}: not filled by {call}...)")
        settings_class = ExtractionSettings if name == "ExtractionSettings" else getattr(module, name)
        problems += [f"{name}.{field.name}: no parameter {prefix + field.name}" for field in fields(settings_class)
                     if prefix + field.name not in declared and (name, field.name) not in SET_BY_THE_NOTEBOOK]
    return problems


def test_every_hyperparameter_of_every_detector_is_a_parameter_of_its_notebook():
    from dfutils.detectors import registry

    for stem, settings in SETTINGS_OF.items():
        assert unreachable_settings(ROOT / "notebooks" / f"{stem}.ipynb", settings) == [], stem
    # every registered detector's settings dataclass is filled by some notebook
    filled = {name for settings in SETTINGS_OF.values() for name, _ in settings}
    for entry in registry.ENTRIES:
        assert registry.implementation(entry.implementation).settings_class.__name__ in filled, entry.name
    # the check finds a setting no parameter reaches (04 with the LSTM's units left out)
    assert unreachable_settings(ROOT / "notebooks" / "04_frame_baselines.ipynb", [("SequenceSettings", "recurrent_")])
