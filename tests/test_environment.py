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


# imported only where installed, each guarded: the JAX backend (a development extra; users who want it install it)
OPTIONAL_MODULES = {"jax"}


def test_every_package_the_code_imports_is_declared():
    """A package reached only through another one's dependencies can vanish with that one's next release."""
    import ast
    import importlib.metadata
    import sys

    modules = set()
    for path in (ROOT / "dfutils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"dfutils", "__future__"} - OPTIONAL_MODULES
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {name for name, _ in _normalised(project["dependencies"])}
    provides = importlib.metadata.packages_distributions()
    undeclared = {module: provides.get(module) for module in third_party
                  if not {name.lower().replace("_", "-") for name in provides.get(module, [module])} & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml (module: its distributions): {undeclared}"
    assert all(Requirement(text).specifier for text in project["dependencies"])  # every one with a tested range
