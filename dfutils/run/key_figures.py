"""Key figures a notebook records for the report index.

A notebook calls ``record_figures(figures_file, auc=0.93, videos=412)``, ``figures_file`` being its parameter.
The runner gives each notebook a file there (``artifacts/<profile>/figures/<notebook>.json``) and the figures
appear in ``reports/<profile>/index.html``; run by hand in Jupyter (the parameter left empty) they are only
shown. Values must be JSON-serialisable scalars.
"""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path

from dfutils.atomic import write_text


def _plain(name: str, value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else value
    raise TypeError(f"figure {name!r}: expected a number, string or bool, got {type(value).__name__}")


def record_figures(figures_file: str | Path, **figures: object) -> dict[str, object]:
    """Record key figures in ``figures_file`` (merged with those recorded before in this notebook run); an empty
    name only returns them."""
    plain = {name: _plain(name, value) for name, value in figures.items()}
    if figures_file:
        path = Path(figures_file)
        existing = json.loads(path.read_text()) if path.is_file() else {}
        existing.update(plain)
        write_text(path, json.dumps(existing, indent=1))
    return plain


def read_figures(path: Path) -> dict[str, object]:
    return json.loads(path.read_text()) if path.is_file() else {}
