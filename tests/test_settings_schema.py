"""The one schema for settings (dfutils/settings_schema.py): a mapping is checked against its dataclass, field by
field, with errors that name the key; the JSON Schema states the same types, defaults and limits."""

from dataclasses import fields

import jsonschema
import pytest

from dfutils.detectors.settings import (
    Conv3DSettings,
    FrameSettings,
    PaperASettings,
    TripletSettings,
)
from dfutils.errors import ParamsError
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.run.settings_families import FAMILIES
from dfutils.settings_schema import Limit


def test_a_mapping_names_what_departs_from_the_defaults_and_lists_become_tuples():
    settings = Conv3DSettings.from_mapping({"frames": 4, "filters": [8, 16], "learning_rate": 1})
    assert (settings.frames, settings.filters, settings.learning_rate) == (4, (8, 16), 1)
    assert settings.epochs == Conv3DSettings().epochs and hash(settings)  # the rest: the defaults; frozen
    assert TripletSettings.from_mapping(None) == TripletSettings.from_mapping({}) == TripletSettings()


@pytest.mark.parametrize(("mapping", "message"), [
    ({"epoch": 3}, r"where\.epoch: unknown key \(did you mean 'epochs'\?\); valid keys: backbone, weights, "),
    ({"epochs": "3"}, r"where\.epochs: expected int, got str '3'"),
    ({"epochs": True}, r"epochs: expected int, got bool True"),
    ({"dropout_rate": 1.0}, r"dropout_rate: must be in \[0, 1\), got 1\.0"),
    ({"learning_rate": 0}, r"learning_rate: must be above 0, got 0"),
    ({"batch_size": 0}, r"batch_size: must be at least 1, got 0"),
    ({"crf_augment": [20, "40"]}, r"crf_augment: expected a list of int, got list \[20, '40'\]"),
    ({"backbone": None}, r"backbone: expected str, got null"),
])
def test_each_bad_field_is_an_error_naming_the_key(mapping, message):
    with pytest.raises(ParamsError, match=message):
        FrameSettings.from_mapping(mapping, "where.")


def test_every_problem_is_reported_at_once_and_the_limits_hold_however_settings_are_made():
    with pytest.raises(ParamsError) as caught:
        PaperASettings.from_mapping({"frames": 0, "size": "big", "units": 3})
    assert all(
        key in str(caught.value) for key in ("frames: must be at least 1", "size: expected int", "units: unknown")
    )
    with pytest.raises(ParamsError, match="PaperASettings: epochs: must be at least 0"):
        PaperASettings(epochs=-1)
    with pytest.raises(ParamsError, match="detector: must be one of mtcnn, ssd"):
        ExtractionSettings(detector="haar")
    with pytest.raises(ParamsError, match="expected a mapping"):
        FrameSettings.from_mapping([1, 2])
    assert str(Limit(0, 1, strict_minimum=True)) == "in (0, 1]" and not Limit(0, 1, strict_minimum=True).admits(0)


def test_extraction_by_rate_alone_and_its_cross_field_rule():
    assert ExtractionSettings.from_mapping({"fps": 5.0}).frames is None
    with pytest.raises(Exception, match="exactly one of frames and fps"):
        ExtractionSettings.from_mapping({"fps": 5.0, "frames": 30})


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_json_schema_states_the_dataclass(family):
    """Each family's JSON Schema accepts its defaults and the values its limits admit, and refuses what
    from_mapping refuses: one source, two readers."""
    cls = FAMILIES[family]
    assert set(cls.LIMITS) <= {f.name for f in fields(cls)}, "a limit on no field"
    schema = cls.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    defaults = {f.name: schema["properties"][f.name]["default"] for f in fields(cls)}
    jsonschema.validate(defaults, schema)
    assert cls.from_mapping(defaults) == cls()
    for key, limit in cls.LIMITS.items():
        if isinstance(limit, Limit) and limit.minimum is not None:
            below = limit.minimum - (0 if limit.strict_minimum else 1)
            below = int(below) if schema["properties"][key]["type"] in ("integer", ["integer", "null"]) else below
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate({key: below}, schema)
            assert cls.problems({key: below}), key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"no_such_field": 1}, schema)
