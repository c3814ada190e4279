"""Run profiles: one YAML file per profile, validated before anything runs.

A profile looks like this (see ``params/demo.yaml``)::

    profile: demo                 # names artifacts/demo/ and reports/demo/
    description: ...
    seed: 20201                   # given to every notebook as `seed`
    defaults:                     # given to every notebook that declares the key
      frames: 8
    notebooks:                    # executed in this order
      - notebook: 01_data
        parameters: {dataset: synth}
      - notebook: 03_time_distributed
        name: 03_time_distributed-efficientnet_b0   # report name, unique
        settings:                 # a detector family's settings, one mapping each
          paper_a: {backbone: efficientnet_b0, epochs: 4}

Each notebook's own ``parameters`` cell is the schema for its values: an
unknown key, a value of the wrong type or a missing required value is a
:class:`~dfutils.errors.ParamsError` naming the file and the key. A detector
family's settings (``settings.<family>``, :data:`~dfutils.run.profile_schema.FAMILIES`)
are checked against its dataclass: the fields an entry names, the dataclass's
defaults (the papers' values) for the rest; an entry that names no settings of
a family runs the notebook's own (the demo's).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from dfutils import config
from dfutils.errors import ParamsError, UserInputError
from dfutils.run.notebook_params import NotebookParameter, notebook_parameters, value_matches
from dfutils.run.settings_families import FAMILIES, families_of, old_key

# key -> (annotation, required)
TOP_LEVEL_KEYS = {
    "profile": ("str", True),
    "description": ("str", False),
    "seed": ("int", True),
    "seeds": ("list", False),
    "seeds_study": ("str", False),
    "defaults": ("dict", False),
    "notebooks": ("list", True),
    "extends": ("str", False),
}
ENTRY_KEYS = {
    "notebook": ("str", True),
    "name": ("str", False),
    "parameters": ("dict", False),
    "settings": ("dict", False),
    "skip": ("bool", False),
}
# what a profile that extends another does not inherit: its own name, and the parent's studies
NOT_INHERITED = ("profile", "description", "seeds", "seeds_study", "extends")
# Given by the runner to every notebook; each notebook must declare them.
INJECTED = ("profile", "seed")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class NotebookRun:
    """One notebook execution of a profile: which file, under which name, with what."""

    name: str
    notebook: str
    path: Path
    parameters: dict = field(default_factory=dict)  # with each settings family's whole mapping, under its name

    def settings(self, family: str):
        """The settings dataclass of ``family`` this run trains with."""
        return FAMILIES[family].from_mapping(self.parameters[family], f"{self.name}.{family}.")


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    seed: int
    description: str
    raw: dict
    runs: tuple[NotebookRun, ...]
    seeds: tuple[int, ...] = ()  # a seeds study: every run repeated once per seed
    seeds_study: str = ""  # the profile of the seeds study over this one's models, quoted in its report
    overrides: tuple[str, ...] = ()  # the --set KEY=VALUE given on the command line, as given

    def for_seed(self, seed: int) -> Profile:
        """The profile run with another seed, as ``<name>/seed-<seed>`` (its own artifacts and report)."""
        name = f"{self.name}/seed-{seed}"
        runs = tuple(replace(run, parameters={**run.parameters, "profile": name, "seed": seed}) for run in self.runs)
        return replace(self, name=name, seed=seed, runs=runs, seeds=())

    def select(self, only: list[str] | None) -> list[NotebookRun]:
        """The runs named by ``--only`` (a run name, or a notebook name for all its runs)."""
        if not only:
            return list(self.runs)
        known = {run.name for run in self.runs} | {run.notebook for run in self.runs}
        for wanted in only:
            if wanted not in known:
                raise ParamsError(
                    f"{self.path}: --only {wanted!r} names no notebook of this profile"
                    f"{_suggest(wanted, known)}; known: {', '.join(sorted(known))}"
                )
        return [run for run in self.runs if run.name in only or run.notebook in only]


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_mapping(mapping: dict, schema: dict, where: str, errors: list[str]) -> None:
    for key in mapping:
        if key not in schema:
            errors.append(
                f"{where}{key}: unknown key{_suggest(str(key), schema)}; "
                f"expected one of: {', '.join(schema)}"
            )
    for key, (annotation, required) in schema.items():
        if key not in mapping:
            if required:
                errors.append(f"{where}{key}: required key is missing ({annotation} expected)")
        elif not value_matches(mapping[key], annotation):
            errors.append(
                f"{where}{key}: expected {annotation}, got {type(mapping[key]).__name__} "
                f"{mapping[key]!r}"
            )


def _check_parameter(
    declared: dict[str, NotebookParameter], key: str, value: object, where: str, notebook: str
) -> str | None:
    if key in families_of(declared):
        return f"{where}{key}: {key} is a settings family: give it under `settings: {{{key}: {{...}}}}`"
    if key not in declared:
        return f"{where}{key}: notebook {notebook} has no parameter {key!r}" + (
            _now_written(declared, key) or _suggest(key, declared))
    parameter = declared[key]
    if not parameter.accepts(value):
        return (
            f"{where}{key}: expected {parameter.annotation}, got "
            f"{type(value).__name__} {value!r}"
        )
    return None


def _now_written(declared: dict, key: str) -> str:
    """How a profile writes now a key of the time before settings were one mapping per detector family."""
    for family in families_of(declared):
        for field_name in FAMILIES[family].annotations():
            if old_key(family, field_name) == key:
                return (f"; settings are one mapping per detector family now: write `settings: {{{family}: "
                        f"{{{field_name}: ...}}}}` (an entry's fields, the papers' values for the rest: "
                        f"dfutils/detectors/settings.py, `dfutils schema`)")
    return ""


def _set_field(run: NotebookRun, family: str, key: str, value: object, where: str, errors: list[str]) -> NotebookRun:
    """The run with one field of a family's settings set, checked against the dataclass."""
    mapping = {**run.parameters[family], key: value}
    problems = FAMILIES[family].problems({key: value})
    errors.extend(f"{where}{family}.{problem}" for problem in problems)
    return replace(run, parameters={**run.parameters, family: mapping})


OVERRIDABLE_TOP_LEVEL = ("profile", "seed", "description")


def parse_override(text: str) -> tuple[str, str, object]:
    """``--set [NOTEBOOK.]KEY=VALUE`` as ``(scope, key, value)``: the value is read as YAML (``3`` an int,
    ``0.5`` and ``1e-3`` floats, ``[c40]`` a list, ``true`` a bool, anything else a string); the scope is
    the run or notebook name before the last dot, empty for every notebook that declares the key."""
    if "=" not in text:
        raise ParamsError(f"--set {text!r}: expected KEY=VALUE or NOTEBOOK.KEY=VALUE")
    target, raw_value = text.split("=", 1)
    scope, _, key = target.strip().rpartition(".")
    if not key:
        raise ParamsError(f"--set {text!r}: no key before '='")
    try:
        value = yaml.safe_load(raw_value) if raw_value.strip() else ""
    except yaml.YAMLError:
        value = raw_value
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", value.strip()):
        value = float(value)  # YAML 1.1 reads 1e-3 as a string
    return scope, key, value


def _override_targets(runs: list[NotebookRun], declared_of: dict[str, dict], scope: str, key: str):
    """What ``--set [SCOPE.]KEY`` sets: (run index, family or None for a parameter) pairs; ``None`` when SCOPE
    names nothing. SCOPE: a run or notebook name (its parameter KEY), a settings family (that field of every run
    that takes the family), RUN.FAMILY (one run's), or none (the parameter KEY of every notebook declaring it)."""
    names = {run.name for run in runs} | {run.notebook for run in runs}
    run_scope, family = scope, None
    if scope and scope not in names:
        head, _, tail = scope.rpartition(".")
        run_scope, family = (head, tail) if tail in FAMILIES else ("", scope)
        if family not in FAMILIES or (run_scope and run_scope not in names):
            return None
    targets = []
    for n, run in enumerate(runs):
        if run_scope and run_scope not in (run.name, run.notebook):
            continue
        declared = declared_of[run.name]
        if family is None:
            targets += [(n, None)] if key in declared and key not in FAMILIES else []
        elif family in declared and key in FAMILIES[family].annotations():
            targets.append((n, family))
    return targets


def _families_with(declared_of: dict[str, dict], key: str) -> list[str]:
    """The settings families of a profile's notebooks that have a field ``key``."""
    return sorted({family for declared in declared_of.values() for family in families_of(declared)
                   if key in FAMILIES[family].annotations()})


def _apply_overrides(runs: list[NotebookRun], declared_of: dict[str, dict], overrides, errors: list[str]) -> list:
    """The runs with each override applied, validated like the profile's own values."""
    runs = list(runs)
    for text in overrides:
        scope, key, value = parse_override(text)
        if not scope and key in OVERRIDABLE_TOP_LEVEL:
            continue  # applied to the file's top level before validation
        if key in INJECTED:
            errors.append(f"--set {text}: {key} is set for the whole profile (--set {key}=...)")
            continue
        targets = _override_targets(runs, declared_of, scope, key)
        if targets is None:
            known = {run.name for run in runs} | {run.notebook for run in runs} | set(FAMILIES)
            errors.append(f"--set {text}: no notebook, run or settings family {scope!r} in this profile"
                          f"{_suggest(scope, known)}")
            continue
        named = scope.rpartition(".")[2] if scope else ""
        if not targets and named in FAMILIES and key not in FAMILIES[named].annotations():
            # a field the family does not have: the dataclass's own message (did you mean, the valid keys)
            errors.extend(f"--set {text}: {named}.{problem}" for problem in FAMILIES[named].problems({key: value}))
            continue
        if not targets:
            families = _families_with(declared_of, key)
            where = f"{scope}." if scope and scope not in FAMILIES else ""
            hint = (f"; {key} is a field of the settings {', '.join(families)}: write --set {where}{families[0]}.{key}="
                    f"{text.split('=', 1)[1]}" if families else "")
            scoped = [run for run in runs if scope in (run.name, run.notebook)]
            if scoped and not hint:  # a parameter the notebook lacks: the usual message (and how an old key is now)
                errors.append(_check_parameter(declared_of[scoped[0].name], key, value, f"--set {scoped[0].name}.",
                                               scoped[0].notebook))
            else:
                errors.append(
                    f"--set {text}: no notebook{' ' + scope if scoped else ''} of this profile declares {key!r}"
                    + (f" in its settings {scope}" if scope in FAMILIES else "")
                    + (hint or "".join(dict.fromkeys(_now_written(declared_of[run.name], key) for run in runs)))
                )
            continue
        for n, family in targets:
            run = runs[n]
            if family:
                runs[n] = _set_field(run, family, key, value, f"--set {run.name}.", errors)
                continue
            problem = _check_parameter(declared_of[run.name], key, value, f"--set {run.name}.", run.notebook)
            if problem:
                errors.append(problem)
            else:
                runs[n] = replace(run, parameters={**run.parameters, key: value})
    return runs


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping (YAML lets the last one win, silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`: its keys may be overridden, by design
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is written twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ParamsError(f"{path}: params file not found")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError as error:
        raise ParamsError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ParamsError(f"{path}:{where} not valid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of keys at the top, got {type(raw).__name__}")
    return raw


def _run_key(entry) -> str:
    return entry.get("name", entry.get("notebook")) if isinstance(entry, dict) else repr(entry)


def extend(raw: dict, path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """A profile with ``extends: PARENT`` (a profile name beside it, or a file) as a whole profile: the parent's
    keys, then its own (``defaults`` merged key by key; :data:`NOT_INHERITED` keys are its own only), and its
    ``notebooks`` entries laid over the parent's runs by run name: ``parameters`` merged into that run's,
    ``settings`` merged family by family and key by key, ``skip: true`` dropping it, an entry of a new name
    appended. A study then states only what it changes."""
    parent_name = raw.get("extends")
    if not parent_name:
        return raw
    if not isinstance(parent_name, str):
        raise ParamsError(f"{path}: extends: expected a profile name, got {parent_name!r}")
    parent_path = Path(parent_name) if parent_name.endswith((".yaml", ".yml")) else path.parent / f"{parent_name}.yaml"
    if parent_path.resolve() in seen or parent_path.resolve() == path.resolve():
        raise ParamsError(f"{path}: extends: {parent_name!r} extends this profile again (a cycle)")
    parent = extend(_read_yaml(parent_path), parent_path, (*seen, path.resolve()))
    merged = {key: value for key, value in parent.items() if key not in NOT_INHERITED}
    merged.update({key: value for key, value in raw.items() if key not in ("defaults", "notebooks", "extends")})
    merged["defaults"] = {**(parent.get("defaults") or {}), **(raw.get("defaults") or {})}
    runs = [dict(entry) for entry in parent.get("notebooks") or []]
    for entry in raw.get("notebooks") or []:
        if not isinstance(entry, dict):
            raise ParamsError(f"{path}: notebooks: expected mappings, got {entry!r}")
        found = [n for n, run in enumerate(runs) if _run_key(run) == _run_key(entry)]
        if not found:
            if entry.get("skip"):
                raise ParamsError(
                    f"{path}: notebooks: skip names {_run_key(entry)!r}, which {parent_name} does not run"
                )
            runs.append(entry)
        elif entry.get("skip"):
            runs.pop(found[0])
        else:
            run = runs[found[0]]
            settings = dict(run.get("settings") or {})
            for family, mapping in (entry.get("settings") or {}).items():  # merged family by family, key by key
                settings[family] = {**(settings.get(family) or {}), **(mapping or {})} if isinstance(mapping, dict) \
                    else mapping
            runs[found[0]] = {**run, **{k: v for k, v in entry.items() if k not in ("parameters", "settings")},
                              "parameters": {**(run.get("parameters") or {}), **(entry.get("parameters") or {})},
                              **({"settings": settings} if settings else {})}
    merged["notebooks"] = runs
    return merged


def _top_level(raw: dict, prefix: str) -> tuple[str, int, list]:
    """The profile's name, seed and seeds, checked."""
    name = raw["profile"]
    if not _SAFE_NAME.match(name):
        raise ParamsError(f"{prefix}profile: {name!r} must be letters, digits, '_', '-' or '.'")
    seed = raw["seed"]
    if seed < 0:
        raise ParamsError(f"{prefix}seed: must be a non-negative integer, got {seed}")
    seeds = raw.get("seeds") or []
    if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ParamsError(f"{prefix}seeds: expected distinct non-negative integers, got {seeds!r}")
    seeds_study = raw.get("seeds_study", "")
    if seeds_study and not _SAFE_NAME.match(seeds_study):
        raise ParamsError(
            f"{prefix}seeds_study: {seeds_study!r} must be a profile name (letters, digits, '_', '-' or '.')"
        )
    return name, seed, seeds


def _notebook_run(index: int, entry, notebooks_dir: Path, values: dict, defaults: dict, used_defaults: set,
                  errors: list[str]) -> tuple[NotebookRun, dict] | None:
    """One entry of ``notebooks:`` as a run with its parameters (``values`` holds the injected ones) and the
    notebook's declared parameters; ``None`` when it is skipped or cannot be read (the reason in ``errors``)."""
    where = f"notebooks[{index}]."
    if not isinstance(entry, dict):
        errors.append(f"{where[:-1]}: expected a mapping with a 'notebook' key, got {entry!r}")
        return None
    if entry.get("skip"):  # skipped without a parent to skip it from: nothing to run
        return None
    entry_errors: list[str] = []
    _check_mapping(entry, ENTRY_KEYS, where, entry_errors)
    if entry_errors:
        errors.extend(entry_errors)
        return None
    notebook = entry["notebook"].removesuffix(".ipynb")
    notebook_path = notebooks_dir / f"{notebook}.ipynb"
    if not notebook_path.is_file():
        available = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
        errors.append(f"{where}notebook: no notebook {notebook!r} in {notebooks_dir}{_suggest(notebook, available)}")
        return None
    try:
        declared = notebook_parameters(notebook_path)
    except ValueError as error:
        errors.append(f"{where}notebook: {error}")
        return None
    run_name = entry.get("name", notebook)
    if not _SAFE_NAME.match(run_name):
        errors.append(f"{where}name: {run_name!r} must be letters, digits, '_', '-' or '.'")
    families = families_of(declared)
    for key, value in defaults.items():
        if key in declared and key not in families:
            used_defaults.add(key)
            errors.extend(filter(None, [_check_parameter(declared, key, value, "defaults.", notebook)]))
            values[key] = value
    for key, value in (entry.get("parameters") or {}).items():
        if key in INJECTED:
            errors.append(f"{where}parameters.{key}: set at the top of the file, not per notebook")
            continue
        errors.extend(filter(None, [_check_parameter(declared, key, value, f"{where}parameters.", notebook)]))
        values[key] = value
    given = entry.get("settings") or {}
    for family in given:
        if family not in families:
            errors.append(
                f"{where}settings.{family}: {notebook} takes no settings {family!r}{_suggest(family, families)}"
                f"; it takes: {', '.join(families) or 'none'}"
            )
    for family in families:
        # what the entry names over the papers' values; an entry naming nothing: the notebook's own (the demo's)
        base = {} if family in given else dict(declared[family].default)
        mapping = {**base, **(given.get(family) or {})} if isinstance(given.get(family, {}), dict) else given[family]
        errors.extend(f"{where[:-1]} ({run_name}).settings.{family}.{problem}"
                      for problem in FAMILIES[family].problems(mapping))
        values[family] = mapping
    errors.extend(f"{where}notebook: {notebook} does not declare the parameter {injected!r}"
                  for injected in INJECTED if injected not in declared)
    errors.extend(f"{where}parameters.{parameter.name}: required by {notebook} ({parameter.annotation}: "
                  f"{parameter.help})" for parameter in declared.values()
                  if parameter.required and parameter.name not in values)
    return NotebookRun(run_name, notebook, notebook_path, values), declared


def load_profile(
    path: str | Path, notebooks_dir: Path | None = None, overrides: tuple[str, ...] | list = ()
) -> Profile:
    """Read and validate a profile; every problem is reported in one ParamsError. ``overrides`` are
    ``--set [NOTEBOOK.]KEY=VALUE`` strings (:func:`parse_override`), validated like the file's values;
    ``profile=NAME`` sends the run to another name (its own artifacts and report)."""
    path = Path(path)
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    raw = extend(_read_yaml(path), path)
    prefix = f"{path}: "
    errors: list[str] = []
    overrides = tuple(overrides)
    for text in overrides:
        scope, key, value = parse_override(text)
        if not scope and key in OVERRIDABLE_TOP_LEVEL:
            raw = {**raw, key: value}
    _check_mapping(raw, TOP_LEVEL_KEYS, "", errors)
    if errors:
        raise ParamsError(prefix + "; ".join(errors))
    name, seed, seeds = _top_level(raw, prefix)
    defaults = raw.get("defaults") or {}
    if not raw["notebooks"]:
        raise ParamsError(f"{prefix}notebooks: the list is empty, nothing to run")

    runs: list[NotebookRun] = []
    declared_of: dict[str, dict] = {}
    used_defaults: set[str] = set()
    for index, entry in enumerate(raw["notebooks"]):
        made = _notebook_run(index, entry, notebooks_dir, {"profile": name, "seed": seed}, defaults, used_defaults,
                             errors)
        if made:
            runs.append(made[0])
            declared_of[made[0].name] = made[1]
    for key in defaults:
        if key not in used_defaults and not any(key in e for e in errors):
            families = _families_with(declared_of, key)
            errors.append(f"defaults.{key}: no notebook of this profile declares a parameter {key!r}" + (
                f"; it is a field of the settings {', '.join(families)}: give it in each entry's settings"
                if families else ""))
    names = [run.name for run in runs]
    errors.extend(f"notebooks: the name {duplicate!r} is used twice; give each run a unique 'name'"
                  for duplicate in sorted({n for n in names if names.count(n) > 1}))
    if not errors:
        runs = _apply_overrides(runs, declared_of, overrides, errors)
    for run in runs if not errors else ():  # each family's settings as a whole (fields that depend on each other)
        for family in families_of(declared_of[run.name]):
            try:
                run.settings(family)
            except UserInputError as error:
                errors.append(f"{run.name}.settings.{family}: {error}")
    if errors:
        raise ParamsError(prefix + "; ".join(errors))
    return Profile(path, name, seed, raw.get("description", ""), raw, tuple(runs), tuple(seeds),
                   raw.get("seeds_study", ""), overrides)


def profile_path(name_or_path: str | Path) -> Path:
    """A profile named as a user names it: a file (``params/demo.yaml``, any path), or a name of ``params/``
    (``demo``). An unknown name is one error that lists the profiles."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file() or len(path.parts) > 1:
        return path
    named = config.PARAMS_DIR / f"{name_or_path}.yaml"
    if named.is_file():
        return named
    known = sorted(p.stem for p in config.PARAMS_DIR.glob("*.yaml"))
    raise ParamsError(f"{name_or_path}: no profile of that name{_suggest(str(name_or_path), known)} in "
                      f"{config.PARAMS_DIR}; known: {', '.join(known)} (dfutils run --list describes them)")


def list_profiles() -> str:
    """Every profile of ``params/`` with the first sentence of its description, one line each."""
    lines = []
    for path in sorted(config.PARAMS_DIR.glob("*.yaml")):
        try:
            raw = extend(_read_yaml(path), path)
            about = " ".join(str(raw.get("description", "")).split())
        except ParamsError as error:
            about = f"(invalid: {error})"
        first = re.split(r"(?<=[.;])\s", about, maxsplit=1)[0]
        lines.append(f"{path.stem:<20} {first.rstrip(';:')}")
    return "\n".join(lines) or f"no profiles in {config.PARAMS_DIR}"
