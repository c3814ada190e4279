"""Files appear whole or not at all, and one process writes a folder at a time: every file the project
writes goes through here.

A killed process (Ctrl-C, a lost machine, a worker kill) leaves at most a hidden temporary file
beside the target, never a torn target, so a resumed run can trust what it finds. Its temporary
files name their process, so a later run cleans only those of processes that are gone
(:func:`stray_temporaries`). :func:`exclusive` holds an OS-level lock (``filelock``) on a folder while a
command writes it: a second command on the same folder is refused at once, naming the holder, and
the operating system releases the lock when its process dies, however it dies.
"""

from __future__ import annotations

import json
import os
import re
import socket
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def stray_temporaries(folder: str | Path) -> list[Path]:
    """The temporary files in ``folder`` left by processes of this machine that are gone (a killed run's);
    those of running processes (another writer's, half written) are not strays."""
    strays = []
    for path in Path(folder).glob(".*.tmp*"):
        found = re.search(r"\.(\d+)\.tmp", path.name)
        if found and not _alive(int(found.group(1))):
            strays.append(path)
    return strays


@contextmanager
def exclusive(folder: str | Path, what: str) -> Iterator[None]:
    """Hold ``<folder>/.lock`` (an OS-level lock, :class:`filelock.FileLock`) while ``what`` writes ``folder``.
    Another holder makes this raise :class:`~dfutils.errors.Busy` at once, naming it (process, host, start
    time, command); the lock of a killed process is free again, so a later run just takes it."""
    from datetime import UTC, datetime

    from filelock import FileLock, Timeout

    from dfutils.errors import Busy

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock, holder_file = FileLock(folder / ".lock"), folder / ".lock.json"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            holder = json.loads(holder_file.read_text())
        except (OSError, ValueError):
            holder = {}
        raise Busy(
            f"{what}: {folder} is being written by another process ({holder.get('command', 'a dfutils command')}, "
            f"process {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
            f"{holder.get('started', '?')}); wait for it to end, or write elsewhere"
        ) from None
    try:
        write_text(holder_file, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": what,
                                            "started": datetime.now(UTC).isoformat(timespec="seconds")}))
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()
