"""The detectors of both papers, the baseline and the self-blended detector as registered components
that keep one contract.

- :mod:`.registry`: the catalogue (name, paper, table rows, model folder, class), read by the
  notebooks, ``dfutils predict``, the results tables and the tests;
- :mod:`.base`: the contract (an abstract base: fit, predict, score_crops, save, load) and
  :class:`RunData`, a run's clips with the stages its detectors share;
- :mod:`.settings`: each family's hyperparameters as a dataclass, the papers' values as defaults;
- :mod:`.clip_models`, :mod:`.frame_models`, :mod:`.embedding_models`, :mod:`.crop_statistics`: the classes;
- :mod:`.model_files`: one model file per detector, loaded without running code from it;
  :mod:`.baselines`: the crop-statistics features.

Typical use in a notebook::

    data = RunData.load(RunLayout.of(profile))
    frames = detectors.create("frames", FrameSettings(backbone="xception", size=299), seed)
    predictions = frames.run(data)  # trains, writes predictions.csv and info.json, saves model.keras
"""

from __future__ import annotations

from pathlib import Path

from dfutils.detectors.base import Detector, RunData
from dfutils.detectors.registry import (
    ARCHITECTURES,
    ENTRIES,
    Entry,
    create,
    entry,
    implementation,
    models_for_row,
    names,
    paper_a_name,
)
from dfutils.errors import UserInputError

__all__ = ["ARCHITECTURES", "ENTRIES", "Detector", "Entry", "RunData", "create", "entry", "load", "models_for_row",
           "names", "paper_a_name"]


def load(path: str | Path) -> Detector:
    """The detector a model file holds, ready to score (``score_crops`` / ``score_video``); its code never
    runs anything from the file (see :mod:`dfutils.detectors.model_files`)."""
    from dfutils.detectors.model_files import read_settings

    settings = read_settings(path)
    architecture = settings.get("architecture")
    if architecture not in ARCHITECTURES:
        raise UserInputError(
            f"{path}: model architecture {architecture!r} cannot score raw videos; use a model file saved by "
            f"a detector ({', '.join(sorted(ARCHITECTURES))})")
    missing = {"frames"} | ({"extraction", "size"} if architecture != "crop_statistics" else set())
    missing -= set(settings)
    if missing:
        raise UserInputError(f"{path}: the model file lacks its preprocessing settings ({', '.join(sorted(missing))})")
    return implementation(ARCHITECTURES[architecture]).load(path, settings)
