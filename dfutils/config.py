"""Where things live. Every path the project uses is anchored here.

The project root is found from this file (an editable install keeps it inside
the checkout); ``DFUTILS_ROOT`` overrides it, and ``DFUTILS_ARTIFACTS`` /
``DFUTILS_REPORTS`` move the heavy outputs elsewhere (a scratch disk, say).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("DFUTILS_ROOT", Path(__file__).resolve().parent.parent))
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
ARTIFACTS_DIR = Path(os.environ.get("DFUTILS_ARTIFACTS", PROJECT_ROOT / "artifacts"))
REPORTS_DIR = Path(os.environ.get("DFUTILS_REPORTS", PROJECT_ROOT / "reports"))
# The real sample videos sit beside the checkout on the development machines;
# a user's machine will not have them, and tests that need them skip.
REAL_SAMPLES_DIR = Path(
    os.environ.get("DFUTILS_REAL_SAMPLES", PROJECT_ROOT.parent / "shared" / "real-samples")
)


def artifacts_dir(profile: str) -> Path:
    """The folder for everything heavy that one profile's run makes."""
    return ARTIFACTS_DIR / profile


def reports_dir(profile: str) -> Path:
    """The folder for one profile's executed notebooks and HTML report."""
    return REPORTS_DIR / profile
