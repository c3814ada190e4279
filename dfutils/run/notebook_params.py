"""Read the one cell tagged ``parameters`` of a notebook.

Every notebook declares its parameters as annotated literals, one per line::

    profile: str = "demo"          # run profile; names artifacts/<profile>/
    frames: int = 8                # frames sampled per video
    dataset_root: str = ""         # required: folder of the official download

The annotation is the type a profile's value must have; a comment starting
with ``required`` marks a value every profile must give. Only literals are
allowed, so a profile can always replace them (papermill injects its values in
a cell right after this one).
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path

PARAMETERS_TAG = "parameters"

_SIMPLE_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}


@dataclass(frozen=True)
class NotebookParameter:
    name: str
    annotation: str
    default: object
    help: str

    @property
    def required(self) -> bool:
        return self.help.lower().startswith("required")

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (as YAML gives it) fits the annotation."""
        return value_matches(value, self.annotation)


def value_matches(value: object, annotation: str) -> bool:
    """Check a value against a simple annotation: ``int``, ``float | None``, ``list[str]``...

    Only the outer type of containers is checked. ``float`` accepts ints (YAML
    writes ``1`` for 1.0); ``int`` and ``float`` never accept booleans.
    """
    options = [part.strip() for part in annotation.split("|")]
    for option in options:
        if option == "None":
            if value is None:
                return True
            continue
        base = option.split("[", 1)[0].strip()
        expected = _SIMPLE_TYPES.get(base)
        if expected is None:
            raise ValueError(f"unsupported parameter annotation {annotation!r}")
        if isinstance(value, bool) and expected is not bool:
            continue
        if expected is float and isinstance(value, int):
            return True
        if isinstance(value, expected):
            return True
    return False


def load_notebook(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def parameter_cells(notebook: dict) -> list[dict]:
    return [
        cell
        for cell in notebook.get("cells", [])
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _line_comments(source: str) -> dict[int, str]:
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


def parse_parameters_source(source: str, where: str = "parameters cell") -> dict[str, NotebookParameter]:
    """Parse a parameters cell; ``ValueError`` naming the line if it is not literals only."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"{where}: line {error.lineno}: {error.msg}") from None
    comments = _line_comments(source)
    parameters: dict[str, NotebookParameter] = {}
    for statement in tree.body:
        line = statement.lineno
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            raise ValueError(
                f"{where}: line {line}: only annotated assignments like `frames: int = 8` are allowed"
            )
        name = statement.target.id
        if statement.value is None:
            raise ValueError(f"{where}: line {line}: parameter {name!r} has no value")
        try:
            default = ast.literal_eval(statement.value)
        except ValueError:
            raise ValueError(
                f"{where}: line {line}: parameter {name!r} must be a literal, "
                "derived values belong in the next cell"
            ) from None
        annotation = ast.unparse(statement.annotation)
        try:
            fits = value_matches(default, annotation)
        except ValueError as error:
            raise ValueError(f"{where}: line {line}: {error}") from None
        if not fits:
            raise ValueError(
                f"{where}: line {line}: default {default!r} of {name!r} is not a {annotation}"
            )
        if name in parameters:
            raise ValueError(f"{where}: line {line}: parameter {name!r} is declared twice")
        parameters[name] = NotebookParameter(name, annotation, default, comments.get(line, ""))
    return parameters


def notebook_parameters(path: Path) -> dict[str, NotebookParameter]:
    """The declared parameters of the notebook at ``path`` (exactly one tagged cell)."""
    cells = parameter_cells(load_notebook(path))
    if len(cells) != 1:
        raise ValueError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    return parse_parameters_source(_cell_source(cells[0]), where=f"{path.name} parameters cell")
