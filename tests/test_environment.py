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
    extras = project["optional-dependencies"]
    declared = project["dependencies"] + extras["dev"] + extras["cpu"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [item["pip"] for item in environment["dependencies"] if isinstance(item, dict)]
    assert len(pip_sections) == 1
    pip_list = [line for line in pip_sections[0] if not line.startswith("-e ")]
    assert _normalised(pip_list) == _normalised(declared)
    assert "-e .[dev,cpu]" in pip_sections[0]
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
    # TensorFlow comes from the build extra the installer picks (cpu or gpu)
    declared = {name for name, _ in _normalised(project["dependencies"] + project["optional-dependencies"]["cpu"])}
    provides = importlib.metadata.packages_distributions()
    undeclared = {module: provides.get(module) for module in third_party
                  if not {name.lower().replace("_", "-") for name in provides.get(module, [module])} & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml (module: its distributions): {undeclared}"
    assert all(Requirement(text).specifier for text in project["dependencies"])  # every one with a tested range


def test_tensorflow_builds_are_extras_with_one_range():
    """A plain install leaves an installed TensorFlow alone; the CPU and CUDA builds pin the same versions."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {Requirement(text).name for text in project["dependencies"]}
    assert not names & {"tensorflow", "tensorflow-cpu"}
    extras = project["optional-dependencies"]
    ranges = {str(Requirement(text).specifier) for text in extras["cpu"] + extras["gpu"]}
    assert len(ranges) == 1, ranges
    cuda = [Requirement(text) for text in extras["gpu"] if "and-cuda" in Requirement(text).extras]
    assert cuda and all(r.marker.evaluate({"sys_platform": "linux", "platform_machine": "x86_64"}) for r in cuda)
    # every platform gets exactly one TensorFlow from either extra
    for platform, machine in [("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "arm64"), ("win32", "AMD64")]:
        for extra in ("cpu", "gpu"):
            picked = [r for r in map(Requirement, extras[extra])
                      if r.marker.evaluate({"sys_platform": platform, "platform_machine": machine})]
            assert len(picked) == 1, (extra, platform, machine, picked)


def test_make_setup_picks_the_build(tmp_path):
    """GPU=1 installs the gpu extra, GPU=0 the cpu one; the stamp names the build so a switch reinstalls."""
    import subprocess

    def dry(gpu):
        return subprocess.run(["make", "-n", "setup", f"GPU={gpu}", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    assert "-e '.[dev,gpu]'" in dry(1) and ".installed-gpu" in dry(1)
    assert "-e '.[dev,cpu]'" in dry(0) and ".installed-cpu" in dry(0)
