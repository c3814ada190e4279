"""Files appear whole or not at all: every file the project writes goes through here.

A killed process (Ctrl-C, a lost machine, a worker kill) leaves at most a hidden temporary file
beside the target, never a torn target, so a resumed run can trust what it finds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, keep_suffix: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends
    without error, deleted when it raises. ``keep_suffix`` ends the temporary name with the target's
    suffix, for writers that choose the format by it (Keras, ffmpeg)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = f".{path.stem}.{os.getpid()}.tmp{path.suffix}" if keep_suffix else f".{path.name}.{os.getpid()}.tmp"
    tmp = path.with_name(hidden)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_csv(table, path: str | Path, **options) -> Path:
    """A pandas table as CSV (``options`` go to ``DataFrame.to_csv``; the index is left out unless asked)."""
    options.setdefault("index", False)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, **options)
    return Path(path)
