"""Atomic writes: the target appears whole or not at all."""

from __future__ import annotations

import pytest

from dfutils.atomic import atomic_path, write_text


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
