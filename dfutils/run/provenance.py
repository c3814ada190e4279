"""What a run records about itself: package versions, git revision, platform."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata

from dfutils.config import PROJECT_ROOT

# The packages whose versions decide the numbers a run produces.
TRACKED_PACKAGES = (
    "dfutils", "tensorflow", "tensorflow-cpu", "keras", "jax", "numpy", "pandas",
    "scikit-learn", "opencv-python-headless", "mtcnn", "keras-facenet", "papermill",
    "nbconvert", "seaborn", "matplotlib", "dask", "imageio-ffmpeg",
)


def package_versions(packages=TRACKED_PACKAGES) -> dict[str, str]:
    """Installed version of each package that is installed."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_revision(root=PROJECT_ROOT) -> dict[str, object]:
    """The commit the code was at, and whether the working tree had changes."""

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    diff = git("diff", "HEAD") if status else ""
    return {"commit": commit, "dirty": bool(status) if status is not None else None,
            "changes": hashlib.sha1(diff.encode()).hexdigest()[:12] if diff else ""}


def code_fingerprint(record: dict) -> str | None:
    """What decides a run's code in an environment record: the commit, its uncommitted changes and the package
    versions; None outside a git checkout (a change could not be seen, so nothing is resumed)."""
    git = record.get("git") or {}
    if not git.get("commit"):
        return None
    text = json.dumps([git["commit"], git.get("changes", ""), record.get("packages", {})], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def environment_record() -> dict[str, object]:
    """Everything about the software environment worth saving beside results."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
        "git": git_revision(),
    }
