"""One schema for settings: a frozen dataclass per detector family (and one for face extraction) is the one source
of its fields, their types, defaults and limits.

A profile or a notebook gives a mapping of the fields it changes; :meth:`Settings.from_mapping` checks it (an
unknown key, a wrong type, a value out of range: one error naming each culprit and the valid keys) and takes the
rest from the defaults. :meth:`Settings.json_schema` writes the same facts as JSON Schema (``dfutils schema``), so
an editor can complete a profile. A limit is stated once, in the class's ``LIMITS``, and holds however the settings
are made (``__post_init__`` checks it too).
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import MISSING, dataclass, fields
from typing import ClassVar

from dfutils.errors import ParamsError

_SCALARS = {"str": str, "int": int, "float": float, "bool": bool}
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


@dataclass(frozen=True)
class Limit:
    """A number's allowed range: ``minimum <= value`` (``<`` when ``strict_minimum``), ``value <= maximum``
    (``<`` when ``strict_maximum``); ``None`` leaves a side open."""

    minimum: float | None = None
    maximum: float | None = None
    strict_minimum: bool = False
    strict_maximum: bool = False

    def admits(self, value: float) -> bool:
        low = self.minimum is None or (value > self.minimum if self.strict_minimum else value >= self.minimum)
        high = self.maximum is None or (value < self.maximum if self.strict_maximum else value <= self.maximum)
        return low and high

    def __str__(self) -> str:
        if self.maximum is None:
            return f"{'above' if self.strict_minimum else 'at least'} {self.minimum:g}"
        if self.minimum is None:
            return f"{'below' if self.strict_maximum else 'at most'} {self.maximum:g}"
        return (f"in {'(' if self.strict_minimum else '['}{self.minimum:g}, {self.maximum:g}"
                f"{')' if self.strict_maximum else ']'}")

    def json(self) -> dict:
        schema = {}
        if self.minimum is not None:
            schema["exclusiveMinimum" if self.strict_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            schema["exclusiveMaximum" if self.strict_maximum else "maximum"] = self.maximum
        return schema


def at_least(minimum: float) -> Limit:
    return Limit(minimum=minimum)


def above(minimum: float) -> Limit:
    return Limit(minimum=minimum, strict_minimum=True)


def share(*, strict_maximum: bool = True) -> Limit:
    """A fraction: ``[0, 1)`` (a dropout rate), or ``[0, 1]``."""
    return Limit(0, 1, strict_maximum=strict_maximum)


@dataclass(frozen=True)
class Choice:
    """A string field's allowed values."""

    values: tuple[str, ...]

    def admits(self, value: str) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return f"one of {', '.join(self.values)}"

    def json(self) -> dict:
        return {"enum": list(self.values)}


def _parts(annotation: str) -> tuple[str, bool, str | None]:
    """``"int | None"`` as ``("int", True, None)``; ``"tuple[int, ...]"`` as ``("tuple", False, "int")``."""
    options = [part.strip() for part in annotation.split("|")]
    optional = "None" in options
    (base,) = [option for option in options if option != "None"]
    if base.startswith("tuple"):
        item = base[len("tuple["):].split(",")[0].strip() if "[" in base else None
        return "tuple", optional, item
    return base, optional, None


def _is(value: object, type_name: str) -> bool:
    """``value`` (as YAML or JSON gives it) is of the scalar type: a float field takes an int (YAML writes 1e-3
    but also 1), no number field takes a boolean."""
    if isinstance(value, bool) and type_name != "bool":
        return False
    if type_name == "float":
        return isinstance(value, (int, float))
    return isinstance(value, _SCALARS[type_name])


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Settings:
    """The contract of every settings dataclass (``@dataclass(frozen=True) class X(Settings)``): fields with
    defaults, ``LIMITS`` (field -> :class:`Limit` or :class:`Choice`), checked whenever one is made."""

    LIMITS: ClassVar[dict[str, Limit | Choice]] = {}

    def __post_init__(self):
        problems = self.problems({f.name: getattr(self, f.name) for f in fields(self)})
        if problems:
            raise ParamsError(f"{type(self).__name__}: " + "; ".join(problems))

    @classmethod
    def annotations(cls) -> dict[str, str]:
        """Each field's annotation as written (``"int | None"``, ``"tuple[int, ...]"``)."""
        hints = {} if all(isinstance(f.type, str) for f in fields(cls)) else typing.get_type_hints(cls)
        return {f.name: f.type if isinstance(f.type, str) else hints[f.name].__name__
                if isinstance(hints[f.name], type) else str(hints[f.name]) for f in fields(cls)}

    @classmethod
    def problems(cls, mapping: dict) -> list[str]:
        """What is wrong with ``mapping`` as (part of) these settings: each problem names its key."""
        if not isinstance(mapping, dict):
            return [f"expected a mapping of {cls.__name__}'s fields, got {type(mapping).__name__} {mapping!r}"]
        annotations = cls.annotations()
        problems = [f"{key}: unknown key{_suggest(str(key), annotations)}; valid keys: {', '.join(annotations)}"
                    for key in mapping if key not in annotations]
        for key, value in mapping.items():
            if key not in annotations:
                continue
            base, optional, item = _parts(annotations[key])
            if value is None:
                if not optional:
                    problems.append(f"{key}: expected {annotations[key]}, got null")
                continue
            if base == "tuple":
                if not isinstance(value, (list, tuple)) or (item and not all(_is(v, item) for v in value)):
                    problems.append(f"{key}: expected a list{f' of {item}' if item else ''}, got "
                                    f"{type(value).__name__} {value!r}")
                continue
            if not _is(value, base):
                problems.append(f"{key}: expected {annotations[key]}, got {type(value).__name__} {value!r}")
                continue
            limit = cls.LIMITS.get(key)
            if limit is not None and not limit.admits(value):
                problems.append(f"{key}: must be {limit}, got {value!r}")
        return problems

    @classmethod
    def from_mapping(cls, mapping: dict | None, where: str = ""):
        """The settings with the fields ``mapping`` names, the defaults elsewhere; a ParamsError naming every
        problem (prefixed with ``where``: the profile and entry) when it does not fit. Lists become tuples
        (settings are frozen and hashable)."""
        mapping = {} if mapping is None else mapping
        problems = cls.problems(mapping)
        if problems:
            raise ParamsError("; ".join(f"{where}{problem}" for problem in problems))
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in mapping.items()})

    @classmethod
    def json_schema(cls) -> dict:
        """The fields as a JSON Schema object: each one's type, default and limits."""
        properties = {}
        for f in fields(cls):
            base, optional, item = _parts(cls.annotations()[f.name])
            if base == "tuple":
                schema = {"type": "array"} | ({"items": {"type": _JSON_TYPES[item]}} if item else {})
            else:
                schema = {"type": _JSON_TYPES[base]}
                limit = cls.LIMITS.get(f.name)
                schema |= limit.json() if limit is not None else {}
            if optional:
                schema["type"] = [schema["type"], "null"]
            default = f.default if f.default is not MISSING else None
            schema["default"] = list(default) if isinstance(default, tuple) else default
            properties[f.name] = schema
        return {"type": "object", "title": cls.__name__, "description": " ".join((cls.__doc__ or "").split()),
                "properties": properties, "additionalProperties": False}
