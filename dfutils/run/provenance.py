"""What a run records about itself: package versions, git revision, platform and the CPU its numbers came from."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

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


# The numeric libraries' thread pools: OpenMP and BLAS (NumPy, scikit-learn), TensorFlow's two pools
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")
# Environment variables that change which numeric kernels run, so the figures of a seeded run
NUMERIC_VARIABLES = ("KERAS_BACKEND", "ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", *THREAD_VARIABLES,
                     "TF_DETERMINISTIC_OPS", "CUDA_VISIBLE_DEVICES")
# The widest vector instructions a CPU offers, widest first: oneDNN and OpenCV pick their kernels by them
VECTOR_ISAS = (("avx512f", "avx512"), ("avx2", "avx2"), ("avx", "avx"), ("sse4_2", "sse4.2"), ("asimd", "neon"))


def cpu_record(cpuinfo: str | None = None) -> dict[str, object]:
    """The CPU a run's numbers came from: vendor, model, family, cores, its widest vector instructions, and the
    environment variables that choose numeric kernels. The same seed gives the same figures on the same machine;
    on another CPU (another kernel, another rounding) training takes another path, so a figure that moved between
    two runs of the same code is told apart from one a change moved by this record (``dfutils compare``)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:  # not Linux
            cpuinfo = ""
    first = {}
    for line in cpuinfo.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        first.setdefault(key.strip(), value.strip())
    flags = set((first.get("flags") or first.get("Features") or "").split())
    return {
        "model": first.get("model name") or platform.processor() or "unknown",
        "vendor": first.get("vendor_id", ""),
        "family": first.get("cpu family", ""),
        "model_number": first.get("model", ""),
        "cores": os.cpu_count(),
        "vector_isa": next((name for flag, name in VECTOR_ISAS if flag in flags), "unknown"),
        "numeric_variables": {name: os.environ[name] for name in NUMERIC_VARIABLES if name in os.environ},
    }


def environment_record() -> dict[str, object]:
    """Everything about the software environment, and the CPU, worth saving beside results."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_record(),
        "packages": package_versions(),
        "git": git_revision(),
    }
