"""Atomic writes (the target appears whole or not at all) and folder locks (one writer at a time)."""

from __future__ import annotations

import json
import os

import pytest

from dfutils.atomic import atomic_path, exclusive, stray_temporaries, write_text
from dfutils.errors import Busy


def test_the_target_appears_only_when_the_block_ends(tmp_path):
    target = tmp_path / "deep" / "report.html"
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        assert not target.exists() and tmp.parent == target.parent and tmp.name.startswith(".")
    assert target.read_text() == "half" and not tmp.exists()


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = write_text(tmp_path / "run.json", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("torn")
        raise RuntimeError("killed midway")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_keep_suffix_lets_writers_pick_the_format_by_name(tmp_path):
    with atomic_path(tmp_path / "model.keras", keep_suffix=True) as tmp:
        assert tmp.suffix == ".keras"
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.keras").read_bytes() == b"x"


def test_only_the_temporary_files_of_processes_that_are_gone_are_strays(tmp_path):
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    mine = tmp_path / f".crop.npz.{os.getpid()}.tmp"
    dead = tmp_path / f".crop.npz.{gone.pid}.tmp"
    model = tmp_path / f".model.{gone.pid}.tmp.keras"  # keep_suffix names
    for path in (mine, dead, model):
        path.write_bytes(b"half written")
    assert sorted(stray_temporaries(tmp_path)) == sorted([dead, model])


def test_a_folder_held_by_another_process_is_refused_naming_it_and_free_once_that_process_is_killed(tmp_path):
    import signal
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom dfutils.atomic import exclusive\n"
                               f"with exclusive({str(tmp_path)!r}, 'dfutils extract'):\n    print('held', flush=True)\n"
                               "    time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            Busy, match=rf"being written by another process \(dfutils extract, process {holder.pid} on "
        ):
            with exclusive(tmp_path, "dfutils extract"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up of its own: the operating system drops its lock
        holder.wait()
    with exclusive(tmp_path, "dfutils extract"):
        assert json.loads((tmp_path / ".lock.json").read_text())["pid"] == os.getpid()
    assert not (tmp_path / ".lock.json").exists()
