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
        (
            GOOD.replace("rate: 1", "rtae: 1"),
            "notebooks[0].parameters.rtae: notebook alpha has no parameter 'rtae' (did you mean 'rate'?)",
        ),
        (GOOD.replace("rate: 1", "rate: fast"), "notebooks[0].parameters.rate: expected float, got str 'fast'"),
        (GOOD.replace("frames: 16", "frames: 1.5"), "defaults.frames: expected int, got float 1.5"),
        (GOOD.replace("frames: 16", "frames: true"), "defaults.frames: expected int, got bool True"),
        (
            GOOD.replace("parameters: {root: /data, rate: 1}", "parameters: {rate: 1}"),
            "notebooks[0].parameters.root: required by alpha",
        ),
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
    with pytest.raises(
        ParamsError, match="--only 'alpah' names no notebook of this profile \\(did you mean 'alpha'\\?\\)"
    ):
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
    skipping = write_yaml(
        tmp_path / "skip.yaml", "profile: s\nextends: base\nnotebooks:\n  - {notebook: alpha, skip: true}\n"
    )
    assert "alpha" not in {run.name for run in load_profile(skipping, notebooks).runs}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("profile: a\nextends: a\nnotebooks: []\n", "extends this profile again"),
        ("profile: a\nextends: missing\nnotebooks: []\n", "missing.yaml: params file not found"),
        (
            "profile: a\nextends: base\nnotebooks:\n  - {notebook: gamma, skip: true}\n",
            "skip names 'gamma', which base does not run",
        ),
    ],
)
def test_extends_errors_name_the_file_and_the_problem(tmp_path, notebooks, text, expected):
    write_yaml(tmp_path / "base.yaml", GOOD.replace("profile: t", "profile: base"))
    with pytest.raises(ParamsError, match=expected):
        load_profile(write_yaml(tmp_path / "a.yaml", text), notebooks)


TRAINER = '''profile: str = "x"  # run profile
seed: int = 0  # seed
sequence: dict = {"epochs": 3, "frames": 4}  # the LSTM/GRU settings: the demo's
conv3d: dict = {}  # the 3D CNN's: the paper's
'''
SETTINGS = """profile: t
seed: 3
notebooks:
  - notebook: trainer
    settings:
      sequence: {units: 8}
  - notebook: trainer
    name: trainer-demo
"""


@pytest.fixture
def trainer(notebooks):
    write_notebook(notebooks, "trainer", TRAINER, "pass")
    return notebooks


def test_settings_name_what_departs_from_the_paper_and_an_entry_naming_none_runs_the_notebooks(tmp_path, trainer):
    from dfutils.detectors.settings import Conv3DSettings, SequenceSettings

    profile = load_profile(write_yaml(tmp_path / "p.yaml", SETTINGS), trainer)
    named, demo = profile.runs
    assert named.settings("sequence") == SequenceSettings(units=8)  # the rest: the papers' values
    assert demo.settings("sequence") == SequenceSettings(epochs=3, frames=4)  # the notebook's own
    assert named.parameters["sequence"] == {"units": 8} and named.settings("conv3d") == Conv3DSettings()
    with pytest.raises(ParamsError, match=r"defaults\.frames: no notebook of this profile declares a parameter "
                                          r"'frames'; it is a field of the settings conv3d, sequence"):
        load_profile(write_yaml(tmp_path / "d.yaml", SETTINGS.replace("seed: 3", "seed: 3\ndefaults: {frames: 6}")),
                     trainer)  # a default is a notebook parameter; settings are each entry's own


@pytest.mark.parametrize(("settings", "expected"), [
    ("{sequence: {unit: 8}}", r"notebooks\[0\] \(trainer\)\.settings\.sequence\.unit: unknown key \(did you mean "
                              r"'units'\?\); valid keys: frames, units, epochs, patience, batch_size, learning_rate"),
    ("{sequence: {units: eight}}", r"settings\.sequence\.units: expected int, got str 'eight'"),
    ("{sequence: {learning_rate: -1}}", r"settings\.sequence\.learning_rate: must be above 0, got -1"),
    ("{conv3d: {filters: 8}}", r"settings\.conv3d\.filters: expected a list of int, got int 8"),
    ("{triplet: {epochs: 1}}", r"notebooks\[0\]\.settings\.triplet: trainer takes no settings 'triplet'; "
                               r"it takes: sequence, conv3d"),
    ("{sequence: [1]}", r"settings\.sequence\.expected a mapping"),
])
def test_bad_settings_name_the_profile_the_entry_and_the_key(tmp_path, trainer, settings, expected):
    path = write_yaml(tmp_path / "p.yaml", SETTINGS.replace("{units: 8}", "").replace(
        "    settings:\n      sequence: \n", f"    settings: {settings}\n"))
    with pytest.raises(ParamsError, match=f"{tmp_path / 'p.yaml'}: .*{expected}"):
        load_profile(path, trainer)


def test_a_profile_of_the_old_form_is_told_how_to_write_it_now(tmp_path, trainer):
    path = write_yaml(tmp_path / "old.yaml", "profile: o\nseed: 1\nnotebooks:\n  - notebook: trainer\n"
                                             "    parameters: {sequence_units: 8, conv3d: {frames: 4}}\n")
    with pytest.raises(ParamsError) as caught:
        load_profile(path, trainer)
    message = str(caught.value)
    assert "parameters.sequence_units: notebook trainer has no parameter 'sequence_units'; settings are one mapping " \
           "per detector family now: write `settings: {sequence: {units: ...}}`" in message
    assert "parameters.conv3d: conv3d is a settings family: give it under `settings: {conv3d: {...}}`" in message
    with pytest.raises(ParamsError, match=r"--set trainer\.sequence_units: .*write `settings: \{sequence: \{units"):
        load_profile(write_yaml(tmp_path / "p.yaml", SETTINGS), trainer, ["trainer.sequence_units=3"])


def test_set_reaches_a_settings_field_through_its_family_or_run(tmp_path, trainer):
    path = write_yaml(tmp_path / "p.yaml", SETTINGS)
    runs = load_profile(path, trainer, ["sequence.epochs=2", "trainer-demo.conv3d.frames=5"]).runs
    assert [(run.settings("sequence").epochs, run.settings("conv3d").frames) for run in runs] == [(2, 32), (2, 5)]
    assert runs[1].settings("sequence").frames == 4  # the notebook's own settings, one field changed
    assert runs[0].parameters["sequence"] == {"units": 8, "epochs": 2}  # what runs, recorded whole
    # a field name alone would reach families where 0 means "skip" (epochs): named, not guessed
    with pytest.raises(ParamsError, match=r"--set epochs=1: no notebook of this profile declares 'epochs'; epochs is "
                                          r"a field of the settings conv3d, sequence: write --set conv3d\.epochs=1"):
        load_profile(path, trainer, ["epochs=1"])
    with pytest.raises(ParamsError, match=r"write --set trainer\.conv3d\.epochs=1"):
        load_profile(path, trainer, ["trainer.epochs=1"])
    with pytest.raises(ParamsError, match=r"--set trainer\.sequence\.epochs: expected int, got str 'many'"):
        load_profile(path, trainer, ["sequence.epochs=many"])
    with pytest.raises(ParamsError, match=r"--set sequnce\.epochs=2: no notebook, run or settings family 'sequnce'"
                                          r" in this profile \(did you mean 'sequence'\?\)"):
        load_profile(path, trainer, ["sequnce.epochs=2"])
    with pytest.raises(ParamsError, match=r"--set sequence\.epoch=3: sequence\.epoch: unknown key \(did you mean "
                                          r"'epochs'\?\); valid keys: frames, units, epochs"):
        load_profile(path, trainer, ["sequence.epoch=3"])


def test_an_extending_profile_merges_settings_field_by_field(tmp_path, trainer):
    write_yaml(tmp_path / "base.yaml", SETTINGS)
    child = write_yaml(tmp_path / "child.yaml", "profile: c\nextends: base\nnotebooks:\n"
                                                "  - {notebook: trainer, settings: {sequence: {epochs: 9}}}\n")
    run = load_profile(child, trainer).runs[0]
    assert (run.settings("sequence").units, run.settings("sequence").epochs) == (8, 9)
