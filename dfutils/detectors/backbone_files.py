"""A backbone fine-tuned on deepfakes, as the start of any profile's CNNs instead of ImageNet.

Every frame classifier (Paper B's frames only, notebook 04; the self-blended detector, notebook 09) leaves
:data:`BACKBONE_FILE` beside its model file: the backbone alone (a face crop in, its pooled features out) in
Keras' safe ``.keras`` format, with its provenance (:func:`save_backbone`: the profile, detector and data it
was trained on, the seed, the code revision) in ``dfutils_settings.json``, as a model file carries its settings.

A CNN detector's ``weights`` setting (Paper A, frames, bagging, the self-blended detector) is then one of

- ``imagenet`` (the papers) or ``none`` (from scratch);
- a **profile name**, ``dfdc_real`` say: that profile's frame-classifier backbone of the same architecture,
  ``artifacts/<profile>/models/frames-<backbone>/backbone.keras``;
- the **path** of a backbone file (``.keras``; relative to the project root).

A backbone file that is missing stops the run before any training, naming the command that makes it
(:func:`require`); nothing falls back to ImageNet in silence. The detectors read the file (:func:`start_of`) and the
network builders copy its weights into the architecture built at the size the detector asks for (a convolutional
backbone's weights do not depend on the input side), after checking the file holds the same architecture.
"""

from __future__ import annotations

from pathlib import Path

from dfutils.errors import UserInputError

IMAGENET, NO_WEIGHTS = "imagenet", "none"
BACKBONE_FILE = "backbone.keras"
# the detector whose backbone a profile name stands for: its folder under models/ (registry entry "frames")
SOURCE_FOLDER = "frames-{backbone}"


def is_source(weights: str | None) -> bool:
    """Whether ``weights`` names a backbone file or a profile's (not ImageNet, not from scratch)."""
    return weights not in (None, IMAGENET, NO_WEIGHTS)


def describe(weights: str | None) -> str:
    """How a detector's backbone starts, in words: ``ImageNet``, ``from scratch`` or ``<source> start``."""
    if weights == IMAGENET:
        return "ImageNet"
    if weights in (None, NO_WEIGHTS):
        return "from scratch"
    return f"{Path(weights).stem if str(weights).endswith('.keras') else weights} start"


def resolve(weights: str, backbone: str) -> Path:
    """The backbone file a ``weights`` source names (see the module docstring); it may not exist yet."""
    from dfutils import config

    if str(weights).endswith(".keras"):
        path = Path(weights).expanduser()
        return path if path.is_absolute() else (config.PROJECT_ROOT / path).resolve()
    return config.artifacts_dir(weights) / "models" / SOURCE_FOLDER.format(backbone=backbone) / BACKBONE_FILE


def require(weights: str, backbone: str) -> Path:
    """The backbone file of ``weights``, or UserInputError naming it and the command that makes it."""
    from dfutils import config

    path = resolve(weights, backbone)
    if path.is_file():
        return path
    if str(weights).endswith(".keras"):
        raise UserInputError(f"weights {weights!r}: no backbone file at {path}")
    if not (config.PARAMS_DIR / f"{weights}.yaml").is_file():
        raise UserInputError(f"weights {weights!r}: not imagenet, none, a backbone file (.keras) or a profile with a "
                             f"backbone ({path} is absent and params/{weights}.yaml does not exist)")
    raise UserInputError(f"weights {weights!r}: {path} is absent; make it with `dfutils run {weights} --only "
                         f"04_frame_baselines` (its frame classifier, {backbone}, leaves it), or start from imagenet")


def save_backbone(frame_classifier, path: str | Path, provenance: dict) -> Path:
    """The backbone part of a fitted frame classifier (``frame_classifier``: the Keras model of
    :func:`dfutils.nets.architectures.build_frame_classifier`) as its own model file, with ``provenance``."""
    from dfutils.detectors import model_files

    features = next(layer for layer in frame_classifier.layers if layer.name.endswith("_features"))
    # the file is a backbone; the detector it was part of stays named ("detector", "hyperparameters")
    return model_files.save_model(features, path, {**provenance, "architecture": "backbone"})


def load_weights(weights: str, backbone: str) -> list:
    """The weights of the backbone file ``weights`` names (checked to hold a ``backbone``), for
    :func:`dfutils.nets.architectures.build_backbone`'s ``start``."""
    from dfutils.detectors import model_files

    path = require(weights, backbone)
    source, stored = model_files.load_model(path)
    if stored.get("architecture") != "backbone" or stored.get("backbone") != backbone:
        raise UserInputError(f"{path}: holds {stored.get('architecture', 'no backbone')} "
                             f"{stored.get('backbone', '')!r}, not a {backbone} backbone")
    return source.get_weights()


def start_of(weights: str, backbone: str) -> dict:
    """The arguments a network builder takes for a ``weights`` setting: ``{"weights": "imagenet" or "none"}``, or
    for a deepfake-trained backbone ``{"weights": "none", "start": its weights}`` (the builders copy them in)."""
    if is_source(weights):
        return {"weights": NO_WEIGHTS, "start": load_weights(weights, backbone)}
    return {"weights": weights}
