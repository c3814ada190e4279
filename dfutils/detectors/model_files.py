"""The model file: one ``.keras`` file a user can share, that never runs code when loaded.

A model file is Keras' own ``.keras`` zip (the network's config and weights)
with two more members:

- ``dfutils_settings.json``: what the model expects of its inputs (the
  extraction settings its crops were made with, frames, size, architecture),
  so ``dfutils predict`` needs no params file;
- ``dfutils_classifier.skops`` (Paper B's proposal only): the scikit-learn
  classifier that scores the network's outputs, in skops' format, which
  rebuilds only types on an allow-list instead of running whatever a pickle names.

Loading is safe by construction: Keras loads with ``safe_mode=True`` (no
``Lambda`` layer or other deserialised code), only this project's registered
layers (:mod:`dfutils.nets.layers`) are known, and the classifier must consist of
skops' default-trusted types plus :data:`TRUSTED_CLASSIFIER_TYPES`. Files
written before this format (a pickled classifier) are refused with a message
saying to re-save or retrain.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from dfutils.atomic import atomic_path
from dfutils.errors import UserInputError

SETTINGS_MEMBER = "dfutils_settings.json"
CLASSIFIER_MEMBER = "dfutils_classifier.skops"
PICKLED_MEMBER_SUFFIXES = (".pickle", ".pkl", ".joblib")
# beyond skops' own trusted defaults (scikit-learn estimators, NumPy arrays): a Random Forest's trees
TRUSTED_CLASSIFIER_TYPES = ("sklearn.tree._tree.Tree",)


class UnsafeModelFile(UserInputError):
    """A model file holds something that could run code when loaded; nothing of it was run."""


def save_model(model, path: str | Path, settings: dict, classifier=None) -> Path:
    """Write ``model`` (without optimizer state), its settings and an optional classifier, atomically."""

    path = Path(path)
    plain = _without_optimizer(model)
    if getattr(plain, "optimizer", None) is not None:
        raise RuntimeError("save_model: the copy to save still carries an optimizer")
    with atomic_path(path, keep_suffix=True) as tmp:
        plain.save(tmp)
        with zipfile.ZipFile(tmp, "a") as bundle:
            bundle.writestr(SETTINGS_MEMBER, json.dumps(settings, indent=1, sort_keys=True))
            if classifier is not None:
                import skops.io

                bundle.writestr(CLASSIFIER_MEMBER, skops.io.dumps(classifier))
    return path


def _without_optimizer(model):
    """The network to write: the file holds it, not the optimizer state (a third of the size)."""
    import keras

    if getattr(model, "optimizer", None) is None:
        return model
    # a functional model (Keras names its class Functional, not public API): a new, uncompiled model over the same
    # layers, nothing rebuilt; a Sequential or a subclass is rebuilt from its config
    if type(model).__name__ == "Functional":
        return keras.Model(model.input, model.output, name=model.name)
    # else rebuilt from its config (keras.models.clone_model would compile the clone like the original)
    plain = model.__class__.from_config(model.get_config())
    plain.set_weights(model.get_weights())
    return plain


def save_classifier_file(classifier, path: str | Path, settings: dict) -> Path:
    """A model file without a network (a scikit-learn detector): the settings and the classifier, atomically."""
    import skops.io

    path = Path(path)
    with atomic_path(path, keep_suffix=True) as tmp, zipfile.ZipFile(tmp, "w") as bundle:
        bundle.writestr(SETTINGS_MEMBER, json.dumps(settings, indent=1, sort_keys=True))
        bundle.writestr(CLASSIFIER_MEMBER, skops.io.dumps(classifier))
    return path


def _members(path: Path) -> list[str]:
    if not path.is_file():
        raise UserInputError(f"{path}: model file not found")
    try:
        with zipfile.ZipFile(path) as bundle:
            names = bundle.namelist()
    except zipfile.BadZipFile:
        raise UserInputError(f"{path}: not a .keras model file") from None
    pickled = [name for name in names if name.endswith(PICKLED_MEMBER_SUFFIXES)]
    if pickled:
        raise UnsafeModelFile(
            f"{path}: refused: it holds {pickled[0]}, a pickle, which can run code when loaded (files written "
            "by dfutils before 0.2 stored classifiers this way); re-save the model with this version "
            "(re-run the notebook that trained it) or retrain it"
        )
    return names


def read_settings(path: str | Path) -> dict:
    """The settings stored beside the network ({} when the file has none)."""
    path = Path(path)
    if SETTINGS_MEMBER not in _members(path):
        return {}
    with zipfile.ZipFile(path) as bundle:
        try:
            return json.loads(bundle.read(SETTINGS_MEMBER))
        except json.JSONDecodeError as error:
            raise UserInputError(f"{path}: {SETTINGS_MEMBER} is not valid JSON ({error})") from None


def load_model(path: str | Path):
    """``(network, settings)`` of a model file, loaded without running code from it."""
    import keras

    from dfutils.nets import layers  # noqa: F401 - registers the project's layers, the only custom objects allowed

    path = Path(path)
    settings = read_settings(path)
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True), settings
    except (TypeError, ValueError, KeyError) as error:
        message = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise UnsafeModelFile(f"{path}: refused: the network holds code to run ({message})") from None
        raise UserInputError(f"{path}: Keras cannot rebuild this model ({message})") from None


def load_classifier(path: str | Path):
    """The classifier stored by :func:`save_model`; refused if it names any type off the allow-list."""
    import skops.io

    path = Path(path)
    if CLASSIFIER_MEMBER not in _members(path):
        raise UserInputError(f"{path}: the model file has no classifier ({CLASSIFIER_MEMBER})")
    with zipfile.ZipFile(path) as bundle:
        data = bundle.read(CLASSIFIER_MEMBER)
    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as error:  # noqa: BLE001 - a damaged member is the file's problem, named as such
        raise UserInputError(f"{path}: {CLASSIFIER_MEMBER} is not a readable skops file ({error})") from None
    refused = sorted(set(untrusted) - set(TRUSTED_CLASSIFIER_TYPES))
    if refused:
        raise UnsafeModelFile(f"{path}: refused: the classifier names {', '.join(refused)}, "
                              "which is not on the list of types this project loads")
    return skops.io.loads(data, trusted=list(untrusted))
