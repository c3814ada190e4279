"""environment.yml (conda users) must describe the same environment as pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _normalised(requirements):
    out = {}
    for text in requirements:
        requirement = Requirement(text)
        key = (requirement.name.lower().replace("_", "-"), str(requirement.marker or ""))
        out[key] = (str(requirement.specifier), tuple(sorted(requirement.extras)))
    return out


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1
    pip_list = [line for line in pip_sections[0] if not line.startswith("-e ")]
    assert _normalised(pip_list) == _normalised(declared)
    assert "-e .[dev]" in pip_sections[0]
    python = next(item for item in environment["dependencies"] if isinstance(item, str) and item.startswith("python="))
    version = python.split("=", 1)[1]
    assert Requirement(f"python{project['requires-python']}").specifier.contains(version + ".0")
