"""The command line's conventions: profiles by name, the list of profiles, the version, one exit status table."""

from __future__ import annotations

import errno

import pytest

from dfutils import __version__, config
from dfutils.cli import main
from dfutils.errors import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_SOME_FAILED


def test_a_profile_is_found_by_its_name_and_an_unknown_one_lists_the_profiles(capsys):
    assert main(["check", "smoke"]) == 0  # params/smoke.yaml
    assert "ready: the run can start" in capsys.readouterr().out
    assert main(["run", "smok"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert "smok: no profile of that name (did you mean 'smoke'?)" in error and "ffpp_real" in error


def test_run_list_describes_every_profile_and_version_prints_it(capsys):
    assert main(["run", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(list(config.PARAMS_DIR.glob("*.yaml")))
    demo = next(line for line in listed if line.startswith("demo "))
    assert "SynthDF" in demo and "invalid" not in "".join(listed)
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"dfutils {__version__}"


def test_a_full_disk_is_an_environment_fault_and_a_bad_path_is_bad_input(tmp_path, monkeypatch, capsys):
    from dfutils.data import datasets

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "i.csv"))

    from .data.test_crop_folders import write_crop

    write_crop(tmp_path / "crops" / "real" / "000_0.jpg", 10)
    monkeypatch.setattr(datasets, "write_index", full)
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path / "crops"), "--out",
                 str(tmp_path / "i.csv")]) == EXIT_ENVIRONMENT
    assert "No space left on device" in capsys.readouterr().err
    assert EXIT_SOME_FAILED == 3  # the documented value (README), used by extract, evaluate, predict and data index
