"""Every detector of the two papers and the baseline, by name: the one catalogue the notebooks,
``dfutils predict``, the results tables and the tests read.

An entry gives a detector's name among the models (the ``model`` column of every prediction
table and of ``summary.csv``), the paper it reproduces, the rows of that paper's tables it
stands for, its folder under ``artifacts/<profile>/models/``, and the class that trains and
scores it with that class's fixed options. Classes are imported when a detector is created,
so reading the catalogue needs no Keras (compare DeepfakeBench's detector registry).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from dfutils.errors import UserInputError
from dfutils.papers import PAPER_A_BACKBONES


@dataclass(frozen=True)
class Entry:
    name: str  # its name among the models
    paper: str  # "A", "B", "baseline" or "beyond"
    rows: tuple[str, ...]  # the rows of its paper's tables it stands for
    folder: str  # under models/; {backbone} is filled from its settings
    implementation: str  # "module:Class" inside dfutils.detectors
    options: dict = field(default_factory=dict)  # fixed arguments of that class (a cell, a mining...)

    def create(self, settings, seed: int, **arguments):
        """A new, untrained detector of this entry."""
        return implementation(self.implementation)(self, settings, seed, **self.options, **arguments)


def implementation(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


# Paper A, Table 2 rows by backbone: the paper's four, and the offline stand-ins beside the one they replace
PAPER_A_ROWS = {**PAPER_A_BACKBONES, "efficientnet_lite0": "EfficientNet-B0", "efficientnet_lite1": "EfficientNet-B1",
                "efficientnet_lite2": "EfficientNet-B1"}


def paper_a_name(backbone: str, weights: str) -> str:
    """A Paper A run's name: ``time-distributed <backbone>``, ``, from scratch`` without pretrained weights (ImageNet or
    a deepfake-trained backbone: the same detector, started elsewhere; the run's record says where)."""
    return f"time-distributed {backbone}" + (", from scratch" if weights in ("none", None) else "")


def _paper_a_entries() -> list[Entry]:
    entries = []
    for backbone, row in PAPER_A_ROWS.items():
        for weights, folder_suffix in (("imagenet", ""), ("none", "-scratch")):
            entries.append(Entry(paper_a_name(backbone, weights), "A", (f"Table 2: {row}",),
                                 f"time_distributed-{backbone}{folder_suffix}", "clip_models:CnnLstm"))
    return entries


def self_blended_name(backbone: str) -> str:
    """Beyond the papers: the self-blended detector of a backbone (Shiohara and Yamasaki, CVPR 2022)."""
    return f"self-blended ({backbone})"


TRIPLETS = "embedding_models:EmbeddingClassifier"
ENTRIES: tuple[Entry, ...] = (
    *_paper_a_entries(),
    Entry("frames", "B", ("frames only",), "frames-{backbone}", "frame_models:FrameClassifier"),
    Entry("frames + bagging", "B", ("frames + bagging",), "frames-{backbone}-bagging", "frame_models:Bagging"),
    Entry("frames + LSTM", "B", ("frames + LSTM/GRU",), "frames-lstm", "frame_models:FrameRecurrent", {"cell": "lstm"}),
    Entry("frames + GRU", "B", ("frames + LSTM/GRU",), "frames-gru", "frame_models:FrameRecurrent", {"cell": "gru"}),
    Entry("3D CNN", "B", ("3D convolution",), "conv3d", "clip_models:Cnn3D"),
    Entry("triplets (semi-hard) + RF", "B", ("triplets", "triplets (semi-hard)", "triplets + RF"),
          "triplets-semi-hard-rf", TRIPLETS, {"mining": "semi-hard", "classifier": "rf"}),
    Entry("triplets (semi-hard) + SGD", "B", ("triplets", "triplets (semi-hard)", "triplets + SGD"),
          "triplets-semi-hard-sgd", TRIPLETS, {"mining": "semi-hard", "classifier": "sgd"}),
    Entry("triplets (random) + RF", "B", (), "triplets-random-rf", TRIPLETS, {"mining": "random", "classifier": "rf"}),
    Entry("triplets (random) + SGD", "B", (), "triplets-random-sgd", TRIPLETS,
          {"mining": "random", "classifier": "sgd"}),
    Entry("FaceNet + RF", "B", (), "facenet-rf", TRIPLETS, {"mining": None, "classifier": "rf"}),
    Entry("crop statistics", "baseline", (), "crop-statistics", "crop_statistics:CropStatistics"),
    *(
        Entry(self_blended_name(backbone), "beyond", (), f"self-blended-{backbone}", "frame_models:SelfBlended")
        for backbone in PAPER_A_ROWS
    ),
)
BY_NAME = {entry.name: entry for entry in ENTRIES}

# what a model file's "architecture" setting names: the class that saved it, which loads and scores it
# (a test checks each class's own ``architecture`` against this map)
ARCHITECTURES = {
    "time_distributed": "clip_models:CnnLstm",
    "conv3d": "clip_models:Cnn3D",
    "frames_sequence": "frame_models:FrameRecurrent",
    "frames": "frame_models:FrameClassifier",
    "frames_bagging": "frame_models:Bagging",
    "self_blended": "frame_models:SelfBlended",
    "triplet": TRIPLETS,
    "crop_statistics": "crop_statistics:CropStatistics",
}


def entry(name: str) -> Entry:
    """The entry of a detector name (a clear error listing the names otherwise)."""
    if name not in BY_NAME:
        raise UserInputError(f"detector {name!r}: unknown; known detectors: {', '.join(BY_NAME)}")
    return BY_NAME[name]


def create(name: str, settings, seed: int, **arguments):
    return entry(name).create(settings, seed, **arguments)


def names(paper: str | None = None) -> list[str]:
    return [e.name for e in ENTRIES if paper is None or e.paper == paper]


def models_for_row(row: str) -> list[str]:
    """The detectors that stand for a row of a paper's table, in catalogue order."""
    return [e.name for e in ENTRIES if row in e.rows]
