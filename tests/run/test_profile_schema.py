"""The profile format as JSON Schema (dfutils/run/profile_schema.py, `dfutils schema`): the committed file is
current, every shipped profile fits it, and it refuses what the loader refuses."""

import json

import jsonschema
import pytest
import yaml

from dfutils import config
from dfutils.cli import main
from dfutils.run.profile_schema import profile_schema, schema_text

SCHEMA_FILE = config.PARAMS_DIR / "profile.schema.json"


def test_the_committed_schema_is_what_dfutils_schema_writes(tmp_path, capsys):
    assert SCHEMA_FILE.read_text() == schema_text(profile_schema(config.NOTEBOOKS_DIR)), \
        "params/profile.schema.json is stale: run `dfutils schema --out params/profile.schema.json`"
    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 0
    assert (tmp_path / "s.json").read_text() == SCHEMA_FILE.read_text()


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted(config.PARAMS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_profile_fits_the_schema(validator, path):
    assert [error.message for error in validator.iter_errors(yaml.safe_load(path.read_text()))] == []
    assert path.read_text().startswith("# yaml-language-server: $schema=profile.schema.json")  # editors find it


def test_the_schema_refuses_an_unknown_setting_a_value_out_of_range_and_an_old_key(validator):
    raw = yaml.safe_load((config.PARAMS_DIR / "ffpp_c40.yaml").read_text())
    by_notebook = {entry["notebook"]: entry for entry in raw["notebooks"]}
    by_notebook["04_frame_baselines"]["settings"]["frame_classifier"]["epoch"] = 3
    by_notebook["04_frame_baselines"]["settings"]["conv3d"]["dropout_rate"] = 1.5
    by_notebook["05_triplet"]["parameters"]["trees"] = 10
    messages = sorted(error.message for error in validator.iter_errors(raw))
    assert messages == ["1.5 is greater than or equal to the maximum of 1",
                        "Additional properties are not allowed ('epoch' was unexpected)",
                        "Additional properties are not allowed ('trees' was unexpected)"]
