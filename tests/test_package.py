"""The package's shape: modules import each other in one direction along the data flow."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dfutils"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Which dfutils module imports which, lazy (in-function) imports included."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(target for target in targets if target in paths and target != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of module names (empty when there is none)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert (
        "dfutils.detectors.frame_models" in graph and "dfutils.nets.training" in graph["dfutils.detectors.frame_models"]
    )
    assert find_cycle(graph) == [], " -> ".join(find_cycle(graph))


def test_the_results_tables_and_the_registry_need_no_keras():
    """Reading a run's figures (results, the detector catalogue) must not start TensorFlow."""
    import subprocess
    import sys

    code = ("import sys; import dfutils.evaluation.results, dfutils.detectors; "
            "print(any(name.split('.')[0] in ('keras', 'tensorflow') for name in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


STAGES = ("data", "faces", "nets", "detectors", "evaluation", "studies", "run")
# SynthDF is made with the face tools (MTCNN crops of the face photos, FaceNet to find identities), and a split by
# face identity reads FaceNet too: the dataset-stage modules that read later stages, as what they build (a dataset,
# an index's groups) is those stages' input
MADE_WITH_LATER_STAGES = ("dfutils.data.synthdf", "dfutils.data.face_identity")


def stage_of(module: str) -> str | None:
    """The stage folder a module sits in (None for the shared modules at the top: config, layout...)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports that go against the data flow: a stage reading a later one, or a shared module a stage."""
    found = []
    for module, targets in graph.items():
        if module.startswith(MADE_WITH_LATER_STAGES) or module in ("dfutils.cli", "dfutils.__main__"):
            continue
        for target in targets:
            here, there = stage_of(module), stage_of(target)
            if there is not None and (here is None or STAGES.index(there) > STAGES.index(here)):
                found.append((module, target))
    return sorted(found)


def test_stages_import_only_earlier_stages_and_the_shared_modules():
    graph = import_graph()
    assert {stage_of(module) for module in graph} >= set(STAGES)
    assert upward_imports(graph) == [], upward_imports(graph)
    # the check finds an import against the flow
    assert upward_imports({"dfutils.nets.training": {"dfutils.evaluation.metrics"}}) == [
        ("dfutils.nets.training", "dfutils.evaluation.metrics")]
    assert upward_imports({"dfutils.layout": {"dfutils.run.params"}}) == [("dfutils.layout", "dfutils.run.params")]


def test_every_module_lives_in_a_stage_folder_or_is_one_of_the_few_shared_ones():
    shared = {module for module in import_graph() if stage_of(module) is None and module.count(".") == 1}
    assert shared == {f"dfutils.{name}" for name in (
        "__main__", "assets", "atomic", "cli", "config", "errors", "layout", "papers", "predictions", "progress",
        "seeding", "settings_schema")}, shared


def test_no_module_imports_private_keras():
    """keras.src moves between minor releases: the package and its tests import public Keras only (a test that
    must reach inside finds the module through the public object it defines: ``inspect.getmodule``)."""
    private = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "tests").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            private += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}" for name in names
                        if name == "keras.src" or name.startswith("keras.src.")]
    assert not private, private


def test_the_code_keeps_the_linters_rules_line_length_included():
    """`make lint`'s ruff, in the suite CI runs: pyproject's line length is the one the code keeps (E501 on)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (make setup installs it)")
    root = PACKAGE.parent
    result = subprocess.run([ruff, "check", "--no-cache", "dfutils", "tests", "notebooks"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "E501" not in tomllib.loads((root / "pyproject.toml").read_text())["tool"]["ruff"]["lint"].get("ignore", [])
