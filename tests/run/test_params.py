"""Profile validation: every mistake is caught before a notebook runs, and named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dfutils.cli import main
from dfutils.errors import ParamsError
from dfutils.run.notebook_params import parse_parameters_source, value_matches
from dfutils.run.params import load_profile

from ..conftest import write_notebook, write_yaml

PARAMETERS = '''profile: str = "x"  # run profile
seed: int = 0  # seed
frames: int = 8  # frames per clip
rate: float = 0.5  # a rate
backbone: str = "b0"  # backbone name
root: str = ""  # required: dataset folder
tags: list = []  # optional tags
'''


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    write_notebook(folder, "alpha", PARAMETERS, "print(frames)")
    write_notebook(folder, "beta", 'profile: str = "x"  # p\nseed: int = 0  # s\nframes: int = 4  # f\n', "pass")
    return folder


GOOD = """profile: t
seed: 3
defaults:
  frames: 16
notebooks:
  - notebook: alpha
    parameters: {root: /data, rate: 1}
  - notebook: alpha
    name: alpha-second
    parameters: {root: /data, backbone: b1}
  - notebook: beta
"""


def test_valid_profile_merges_defaults_and_injects_profile_and_seed(tmp_path, notebooks):
    profile = load_profile(write_yaml(tmp_path / "p.yaml", GOOD), notebooks)
    alpha, second, beta = profile.runs
    assert alpha.parameters == {"profile": "t", "seed": 3, "frames": 16, "root": "/data", "rate": 1}
    assert second.name == "alpha-second" and second.parameters["backbone"] == "b1"
    assert beta.parameters == {"profile": "t", "seed": 3, "frames": 16}
    assert [run.name for run in profile.select(["alpha"])] == ["alpha", "alpha-second"]
    assert [run.name for run in profile.select(["alpha-second"])] == ["alpha-second"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("seed: 3", "seeed: 3"), "seeed: unknown key (did you mean 'seed'?)"),
        (GOOD.replace("rate: 1", "rtae: 1"), "notebooks[0].parameters.rtae: notebook alpha has no parameter 'rtae' (did you mean 'rate'?)"),
        (GOOD.replace("rate: 1", "rate: fast"), "notebooks[0].parameters.rate: expected float, got str 'fast'"),
        (GOOD.replace("frames: 16", "frames: 1.5"), "defaults.frames: expected int, got float 1.5"),
        (GOOD.replace("frames: 16", "frames: true"), "defaults.frames: expected int, got bool True"),
        (GOOD.replace("parameters: {root: /data, rate: 1}", "parameters: {rate: 1}"), "notebooks[0].parameters.root: required by alpha"),
        (GOOD.replace("- notebook: beta", "- notebook: betta"), "notebooks[2].notebook: no notebook 'betta'"),
        (GOOD.replace("    name: alpha-second\n", ""), "the name 'alpha' is used twice"),
        (GOOD.replace("frames: 16", "framez: 16"), "defaults.framez: no notebook of this profile declares"),
        (GOOD.replace("seed: 3\n", ""), "seed: required key is missing"),
        (GOOD.replace("seed: 3", "seed: -1"), "seed: must be a non-negative integer"),
        (GOOD.replace("profile: t", "profile: ../up"), "profile: '../up' must be letters"),
        (GOOD + "  - notebook: beta\n    parameters: {seed: 1}\n", "parameters.seed: set at the top of the file"),
        ("profile: t\nseed: [1\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping of keys at the top"),
        (GOOD.replace("seed: 3", "seed: 3\nseed: 4"), "line 3 not valid YAML: the key 'seed' is written twice"),
        (GOOD.replace("rate: 1}", "rate: 1, rate: 2}"), "not valid YAML: the key 'rate' is written twice"),
    ],
)
def test_invalid_profiles_name_file_and_key(tmp_path, notebooks, text, expected):
    path = write_yaml(tmp_path / "bad.yaml", text)
    with pytest.raises(ParamsError) as raised:
        load_profile(path, notebooks)
    message = str(raised.value)
    assert message.startswith(str(path)), message
    assert expected in message
    assert "\n" not in message


def test_a_profile_saved_with_a_byte_order_mark_reads(tmp_path, notebooks):
    path = tmp_path / "p.yaml"
    path.write_bytes(GOOD.encode("utf-8-sig"))
    assert load_profile(path, notebooks).name == "t"


def test_only_with_unknown_name_is_rejected(tmp_path, notebooks):
    profile = load_profile(write_yaml(tmp_path / "p.yaml", GOOD), notebooks)
    with pytest.raises(ParamsError, match="--only 'alpah' names no notebook of this profile \\(did you mean 'alpha'\\?\\)"):
        profile.select(["alpah"])


def test_cli_exits_2_with_one_line_before_running_anything(tmp_path, notebooks, isolated_outputs, monkeypatch, capsys):
    from dfutils import config

    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    path = write_yaml(tmp_path / "bad.yaml", GOOD.replace("frames: 16", "frmes: 16"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "defaults.frmes" in err[0] and str(path) in err[0]
    assert not (isolated_outputs / "reports").exists() and not (isolated_outputs / "artifacts").exists()


def test_console_script_reports_misspelt_key_of_a_shipped_profile(tmp_path):
    from dfutils.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "params" / "smoke.yaml").read_text().replace("seed:", "sed:", 1)
    path = write_yaml(tmp_path / "smoke-typo.yaml", text)
    result = subprocess.run([sys.executable, "-m", "dfutils", "run", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "sed: unknown key (did you mean 'seed'?)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "annotation", "fits"),
    [
        (1, "int", True), (True, "int", False), (1, "float", True), (1.5, "int", False),
        ("a", "str", True), (None, "str", False), (None, "str | None", True), ([1], "list", True),
        ([1], "list[int]", True), ({}, "dict", True), (False, "bool", True), (0, "bool", False),
    ],
)
def test_value_matches(value, annotation, fits):
    assert value_matches(value, annotation) is fits


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1", "only annotated assignments"),
        ("x: int = 1 + 1", "must be a literal"),
        ("x: int = foo()", "must be a literal"),
        ("x: int = 'a'", "is not a int"),
        ("x: int = 1\nx: int = 2", "declared twice"),
        ("import os", "only annotated assignments"),
        ("x: Path = 1", "unsupported parameter annotation"),
    ],
)
def test_parameters_cell_must_be_annotated_literals(source, expected):
    with pytest.raises(ValueError, match=expected):
        parse_parameters_source(source)


def test_parameters_cell_reads_help_and_required():
    parsed = parse_parameters_source('a: str = ""  # required: the root\nb: list = [1, 2]  # numbers\n')
    assert parsed["a"].required and parsed["a"].help == "required: the root"
    assert not parsed["b"].required and parsed["b"].default == [1, 2]


def test_a_profile_that_extends_another_states_only_what_it_changes(tmp_path, notebooks):
    write_yaml(tmp_path / "base.yaml", GOOD.replace("profile: t", "profile: base\nseeds_study: study"))
    study = write_yaml(tmp_path / "study.yaml", """profile: study
extends: base
seed: 9
defaults: {frames: 32}
notebooks:
  - notebook: alpha
    parameters: {backbone: b3}
  - notebook: beta
    name: beta-extra
""")
    base, derived = load_profile(tmp_path / "base.yaml", notebooks), load_profile(study, notebooks)
    assert derived.name == "study" and derived.seed == 9 and derived.seeds_study == ""  # its own, not inherited
    alpha = {run.name: run for run in derived.runs}["alpha"]
    assert alpha.parameters["backbone"] == "b3" and alpha.parameters["frames"] == 32  # defaults merged, its own win
    assert alpha.parameters["rate"] == 1  # the parent's entry value stays
    assert alpha.parameters["root"] == {run.name: run for run in base.runs}["alpha"].parameters["root"]  # kept
    assert [run.name for run in derived.runs] == [run.name for run in base.runs] + ["beta-extra"]
    skipping = write_yaml(tmp_path / "skip.yaml", "profile: s\nextends: base\nnotebooks:\n  - {notebook: alpha, skip: true}\n")
    assert "alpha" not in {run.name for run in load_profile(skipping, notebooks).runs}


@pytest.mark.parametrize("text, expected", [
    ("profile: a\nextends: a\nnotebooks: []\n", "extends this profile again"),
    ("profile: a\nextends: missing\nnotebooks: []\n", "missing.yaml: params file not found"),
    ("profile: a\nextends: base\nnotebooks:\n  - {notebook: gamma, skip: true}\n", "skip names 'gamma', which base does not run"),
])
def test_extends_errors_name_the_file_and_the_problem(tmp_path, notebooks, text, expected):
    write_yaml(tmp_path / "base.yaml", GOOD.replace("profile: t", "profile: base"))
    with pytest.raises(ParamsError, match=expected):
        load_profile(write_yaml(tmp_path / "a.yaml", text), notebooks)
