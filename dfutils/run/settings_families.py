"""The settings families a profile can give: each a name, its dataclass, and how it was written before.

A notebook takes a family's settings as one ``dict`` parameter named after the family (notebook 04:
``frame_classifier``, ``sequence``, ``conv3d``); its default is the demo's departure from the dataclass's
defaults (the papers' values). A profile entry gives them under ``settings:`` (:mod:`dfutils.run.params`).
"""

from __future__ import annotations

from dfutils.detectors.settings import (
    Conv3DSettings,
    CropStatisticsSettings,
    FrameSettings,
    PaperASettings,
    SelfBlendedSettings,
    SequenceSettings,
    TripletSettings,
)
from dfutils.faces.extraction_settings import ExtractionSettings

# family -> its dataclass: a notebook parameter of this name (a dict) is that family's settings
FAMILIES = {
    "extraction": ExtractionSettings,
    "crop_statistics": CropStatisticsSettings,
    "paper_a": PaperASettings,
    "frame_classifier": FrameSettings,
    "sequence": SequenceSettings,
    "conv3d": Conv3DSettings,
    "triplet": TripletSettings,
    "self_blended": SelfBlendedSettings,
}
# how these settings were written before they were one mapping (a notebook parameter per field, with this
# prefix): an old profile's key is answered with how to write it now
OLD_PREFIXES = {"crop_statistics": "baseline_", "sequence": "sequence_", "conv3d": "conv3d_"}


def families_of(declared) -> list[str]:
    """The settings families a notebook takes (its parameters named after one)."""
    return [name for name in declared if name in FAMILIES]


def old_key(family: str, field: str) -> str:
    """The notebook parameter that held a family's field before the one mapping."""
    return OLD_PREFIXES.get(family, "") + field
