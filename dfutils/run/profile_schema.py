"""The profile format as JSON Schema (``dfutils schema``): the top-level keys, each notebook's parameters and the
settings of each family it takes (:mod:`dfutils.run.settings_families`), with every field's type, default and
limits. ``params/profile.schema.json`` is this module's output, kept current by a test.
"""

from __future__ import annotations

from pathlib import Path

from dfutils.run.settings_families import FAMILIES, families_of

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array",
               "dict": "object"}


def _parameter_schema(parameter) -> dict:
    types = [_JSON_TYPES[option.split("[")[0].strip()] if option.strip() != "None" else "null"
             for option in parameter.annotation.split("|")]
    return {"type": types[0] if len(types) == 1 else types, "description": parameter.help}


def profile_schema(notebooks_dir: Path) -> dict:
    """The profile format as a JSON Schema (draft 2020-12): the top-level keys, each notebook's parameters and
    the settings of each family it takes, with every field's type, default and limits."""
    from dfutils.run.notebook_params import notebook_parameters
    from dfutils.run.params import ENTRY_KEYS, INJECTED, TOP_LEVEL_KEYS

    entries = []
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        declared = notebook_parameters(path)
        families = families_of(declared)
        parameters = {name: _parameter_schema(parameter) for name, parameter in declared.items()
                      if name not in families and name not in INJECTED}
        settings = {family: {"$ref": f"#/$defs/{family}"} for family in families}
        entries.append({
            "if": {"properties": {"notebook": {"const": path.stem}}},
            "then": {"properties": {
                "parameters": {"type": "object", "properties": parameters, "additionalProperties": False},
                "settings": {"type": "object", "properties": settings, "additionalProperties": False}}},
        })
    entry = {"type": "object", "required": ["notebook"], "additionalProperties": False,
             "properties": {key: {"type": _JSON_TYPES[annotation]} for key, (annotation, _) in ENTRY_KEYS.items()},
             "allOf": entries}
    entry["properties"]["notebook"]["enum"] = sorted(p.stem for p in Path(notebooks_dir).glob("*.ipynb"))
    top = {key: {"type": _JSON_TYPES[annotation]} for key, (annotation, _) in TOP_LEVEL_KEYS.items()}
    top["notebooks"] = {"type": "array", "items": {"$ref": "#/$defs/entry"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "dfutils run profile (params/*.yaml)",
        "description": "Written by `dfutils schema` from the notebooks' parameters and the settings dataclasses.",
        "type": "object",
        # a profile that extends another inherits what it leaves out
        "if": {"required": ["extends"]},
        "then": {"required": ["profile"]},
        "else": {"required": [key for key, (_, required) in TOP_LEVEL_KEYS.items() if required]},
        "properties": top,
        "additionalProperties": False,
        "$defs": {"entry": entry, **{family: cls.json_schema() for family, cls in FAMILIES.items()}},
    }


def schema_text(schema: dict) -> str:
    """The schema as the committed file holds it (sorted keys, two-space indents, a final newline)."""
    import json

    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
