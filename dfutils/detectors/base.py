"""What every detector is: one contract the registry's classes keep, and the run's data they train on.

A detector is created untrained from its registry entry, a settings dataclass (its
hyperparameters, :mod:`.settings`) and a seed. Then, as scikit-learn's estimators:

- ``fit(data)`` trains it on a run's clips (:class:`RunData`), keeping its logs in its model
  folder and its training curves in ``history``, and returns the detector itself;
- ``predict(data, split)`` is its prediction table for a split of ``data`` (``video_id, label,
  method, compression, split, group, score``);
- ``score_crops(crops)`` is one video's score from its face crops (``score_video(path)`` for a
  detector that reads whole videos);
- ``save(path)`` writes one model file (:mod:`dfutils.detectors.model_files`) with its settings dataclass,
  and the class's ``load(path, stored)`` rebuilds that dataclass and the detector from the file;
- ``run(data)`` is what a notebook calls: fit, predict validation and test, write
  ``predictions.csv`` and ``info.json``, save the model file (``model.keras``; ``model.skops`` for a
  scikit-learn model alone: a file's name says its format).

Scoring or saving an unfitted detector raises scikit-learn's ``NotFittedError`` naming it. The
contract is an abstract base class: a class that leaves a method out cannot be created. ``__init__``
stores its arguments (entry, settings, seed, and a variant's own: the LSTM/GRU's cell) and nothing
else, so scikit-learn's ``clone`` gives an unfitted copy of any detector; what a detector reads from
another (the LSTM/GRU, the frame classifier's embeddings) comes through the run's shared stages.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from dfutils.detectors.registry import Entry
from dfutils.errors import UserInputError
from dfutils.layout import RunLayout

EVALUATED_SPLITS = ("val", "test")


@dataclass
class SharedStages:
    """What several detectors of one run compute once and share, each kind in its own typed table:
    FaceNet's embeddings of the run's frames, the triplet embedding of each mining
    strategy (Paper B's RF and SGD heads read the same one, as its Table III compares them), the run's frame
    classifier and its per-frame embeddings (read by the LSTM and the GRU)."""

    facenet_embeddings: dict[tuple, np.ndarray] = field(default_factory=dict)  # (model, frames, data fingerprint)
    # the run's fitted frames-only classifier (Paper B): the LSTM and the GRU read its per-frame embeddings
    frame_classifier: Any = None
    # (settings, mining, seed, fingerprint of the training and validation data) -> TripletEmbedding
    triplet_embeddings: dict[tuple, Any] = field(default_factory=dict)
    frame_embeddings: dict[tuple, np.ndarray] = field(
        default_factory=dict
    )  # (weights fingerprint, split, videos, frames)


@dataclass
class RunData:
    """A run's videos with their face crops (``clips``: the index joined with the crop cache), the
    extraction settings the crops were made with, where the run's artifacts live, and the stages its
    detectors share (:class:`SharedStages`)."""

    layout: RunLayout
    clips: pd.DataFrame
    extraction: dict = field(default_factory=dict)  # ExtractionSettings' fields, as the crop cache recorded them
    shared: SharedStages = field(default_factory=SharedStages, repr=False)

    @classmethod
    def load(cls, layout: RunLayout, compressions: list | None = None) -> RunData:
        from dfutils.nets.clips import load_clips

        clips, extraction = load_clips(layout.data_root, compressions)
        return cls(layout, clips, extraction)

    @property
    def faces(self) -> Path:
        return self.layout.faces

    def split(self, name: str) -> pd.DataFrame:
        return self.clips[self.clips["split"] == name]

    def rows(self, name: str) -> np.ndarray:
        """Positions of a split's videos in ``clips``."""
        return np.flatnonzero(self.clips["split"].to_numpy() == name)

    def fingerprint(self, *splits: str) -> str:
        """A digest of which videos (of ``splits``, or all), labels and crop files this data holds: what is computed
        from them is keyed by it, so a subset or a relabelled copy sharing ``shared`` never reads another's."""
        import hashlib

        clips = self.clips[self.clips["split"].isin(splits)] if splits else self.clips
        columns = [c for c in ("video_id", "split", "label", "crops") if c in clips.columns]
        return hashlib.sha1(pd.util.hash_pandas_object(clips[columns], index=False).to_numpy().tobytes()).hexdigest()

    def class_counts(self) -> pd.DataFrame:
        """Reals and fakes per split."""
        return pd.DataFrame({split: self.split(split)["label"].value_counts().rename({0: "real", 1: "fake"})
                             for split in ("train", "val", "test")}).fillna(0).astype(int)


class Detector(BaseEstimator, abc.ABC):
    """The contract; see the module docstring. As a scikit-learn estimator, ``get_params`` names what ``__init__``
    took, and ``sklearn.base.clone`` makes an unfitted copy."""

    architecture: ClassVar[str] = ""  # what its model file says it is (the registry maps it back to the class)
    settings_class: ClassVar[type]  # its hyperparameters' dataclass
    frames_setting: ClassVar[str] = "frames"  # the field of that dataclass a model file's "frames" is
    input: str = "clip"  # what dfutils predict gives it: "clip" or "frame" crops, or the "video" file
    fitted: ClassVar[tuple[str, ...]] = ("model",)  # attributes set by fit (or load); None until then
    model_file_name: ClassVar[str] = "model.keras"  # its file in its model folder (one of layout.MODEL_FILE_NAMES)

    def __init__(self, entry: Entry | None, settings, seed: int):
        if not isinstance(settings, self.settings_class):
            raise TypeError(f"{type(self).__name__}: settings must be a {self.settings_class.__name__}, "
                            f"got {type(settings).__name__}")
        self.entry, self.settings, self.seed = entry, settings, seed
        self.history: pd.DataFrame | None = None
        self.extraction: dict = {}

    # ----------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        return self.entry.name if self.entry else self.architecture

    @property
    def folder(self) -> str:
        return self.entry.folder.format(**asdict(self.settings))

    def model_dir(self, data: RunData) -> Path:
        return data.layout.model_dir(self.folder)

    def model_path(self, data: RunData) -> Path:
        """Where ``run`` saves its model file."""
        return self.model_dir(data) / self.model_file_name

    def info(self) -> dict:
        """What ``info.json`` records beside the name and paper (the results tables read it)."""
        return {}

    def __sklearn_is_fitted__(self) -> bool:
        """What scikit-learn's ``check_is_fitted`` asks."""
        return all(getattr(self, name, None) is not None for name in self.fitted)

    def check_fitted(self) -> None:
        """Raise ``NotFittedError`` naming the detector when ``fit`` (or ``load``) has not run."""
        missing = [name for name in self.fitted if getattr(self, name, None) is None]
        if missing:
            raise NotFittedError(f"{self.name}: not fitted ({', '.join(missing)} unset); call fit(data) first "
                                 f"or load a model file")

    # ----------------------------------------------------------------- the contract
    @abc.abstractmethod
    def fit(self, data: RunData) -> Detector:
        """Train on ``data``'s training split (validation for early stopping); return ``self``."""

    @abc.abstractmethod
    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        """The prediction table of ``data``'s videos of ``split``."""

    @abc.abstractmethod
    def save(self, path: str | Path) -> Path:
        """One model file with the settings dataclass (see :meth:`file_settings`)."""

    @classmethod
    @abc.abstractmethod
    def load(cls, path: str | Path, stored: dict) -> Detector:
        """The detector of a model file, whose stored settings are ``stored`` (see :meth:`settings_from_file`)."""

    @abc.abstractmethod
    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """A video's (or image's) score and one score per frame used, from its face crops."""

    # ----------------------------------------------------------------- what a notebook calls
    def best_track(self, tracks: list[np.ndarray]) -> tuple[int, float, np.ndarray]:
        """Which of a video's face tracks scores highest (each scored by :meth:`score_crops`, a mean over its
        frames), its score and its per-frame scores: the DFDC winners scored every face and kept the maximum."""
        scored = [self.score_crops(crops) for crops in tracks]
        best = max(range(len(scored)), key=lambda number: scored[number][0])
        return best, *scored[best]

    def score_tracks(self, tracks: list[np.ndarray]) -> tuple[float, np.ndarray]:
        """A video's score from the crops of each of its face tracks: the most confident track's
        (:meth:`best_track`), with its per-frame scores. One track: :meth:`score_crops`."""
        _, score, per_frame = self.best_track(tracks)
        return score, per_frame

    def score_batch(self, videos: list[list[np.ndarray]], shared: dict | None = None) -> list[tuple[float, int]]:
        """Many videos' scores at once: each video a list of face tracks (each its crops in frame order), scored by its
        most confident track as :meth:`score_tracks`; per video ``(score, frames used)``. ``shared`` holds what
        the detectors scoring the same videos compute once (FaceNet's embeddings of the same crops). This default
        scores a video at a time; the network detectors batch across videos (:class:`BatchedScoring`)."""
        found = []
        for tracks in videos:
            score, per_frame = self.score_tracks(tracks)
            found.append((score, len(per_frame)))
        return found

    def predictions(self, data: RunData, splits=EVALUATED_SPLITS) -> pd.DataFrame:
        self.check_fitted()
        return pd.concat([self.predict(data, split) for split in splits])

    def run(self, data: RunData, save_model: bool = True) -> pd.DataFrame:
        """Fit, score validation and test, write the prediction table, ``info.json`` and the model file."""
        from dfutils.predictions import write_predictions

        self.fit(data)
        table = self.predictions(data)
        folder = self.model_dir(data)
        write_predictions(table, folder, self.name, paper=self.entry.paper, **self.info())
        if save_model:
            self.save(self.model_path(data))
        return table

    # ----------------------------------------------------------------- the model file's settings
    def file_settings(self, **inputs) -> dict:
        """What a model file carries: the crops' extraction settings, what the model reads (``inputs``: frames,
        size...), its architecture and detector name, and the whole settings dataclass."""
        self.check_fitted()
        return {**({"extraction": self.extraction} if self.extraction else {}), **inputs,
                "architecture": self.architecture, "detector": self.name,
                "hyperparameters": asdict(self.settings)}

    @classmethod
    def settings_from_file(cls, path: str | Path, stored: dict):
        """The settings dataclass a model file recorded; a file written before it was recorded gives the
        defaults with what the file states of its inputs."""
        known = {field_.name for field_ in fields(cls.settings_class)}
        values = stored.get("hyperparameters")
        if values is None:  # what such a file states of its inputs: frames, size, backbone, FaceNet model...
            values = {**{key: stored[key] for key in known & set(stored)}, cls.frames_setting: int(stored["frames"])}
        unknown = set(values) - known
        if unknown:
            raise UserInputError(f"{path}: unknown {cls.settings_class.__name__} setting(s) "
                                 f"{', '.join(sorted(unknown))}; written by a newer dfutils?")
        return cls.settings_class.from_mapping(values, f"{path}: ")  # checked as a profile's (types, limits)

    @classmethod
    def loaded_entry(cls, stored: dict) -> Entry | None:
        """The registry entry a model file names (None for a name the catalogue no longer has)."""
        from dfutils.detectors.registry import BY_NAME

        return BY_NAME.get(stored.get("detector", ""))


SCORING_BATCH = 64  # network inputs (crops, or clips of a clip model) per forward pass when many videos are scored
SCORING_BYTES = 256 * 2 ** 20  # the network inputs of many videos held at once (30 crops of 240 px: 20 MB a clip)


def batched_predict(network, inputs: np.ndarray, batch: int = SCORING_BATCH) -> np.ndarray:
    """``network``'s outputs for ``inputs``, ``batch`` at a time, the last batch padded to the same size: one input
    shape, traced once (samples are independent in inference: padding changes no other row's output)."""
    outputs = []
    for start in range(0, len(inputs), batch):
        part = inputs[start:start + batch]
        short = batch - len(part)
        if short:
            part = np.concatenate([part, np.zeros((short, *part.shape[1:]), part.dtype)])
        outputs.append(np.asarray(network.predict_on_batch(part))[:batch - short])
    return np.concatenate(outputs)


class BatchedScoring:
    """Scoring many videos in one pass per batch of network inputs, for a detector whose score of a face track is
    a function of its network's outputs on inputs made from that track alone: every track's inputs
    (:meth:`track_inputs`) are stacked, run through :meth:`scoring_outputs` in full batches, cut back per track
    and reduced by :meth:`track_score`; a video takes its most confident track, as ``score_tracks``. The same
    scores as ``score_crops`` a video at a time (tested), several times faster on many short videos.

    A frame-level detector (``frame_level``: its network reads one crop at a time) runs each distinct crop of a
    clip once: a video of fewer crops than the clip's frames repeats them (a one-crop DFDC video fills a clip of 5
    with one crop), and the repeats' outputs are copied, not computed again."""

    frame_level: ClassVar[bool] = False

    def track_inputs(self, crops: np.ndarray, frames: int | None = None) -> np.ndarray:
        """The network's inputs for one track's crops (a row per forward-pass item); a frame-level detector takes
        ``frames`` of them (default: its clip's)."""
        raise NotImplementedError

    def _distinct_inputs(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """A track's inputs, and for a frame-level detector only its distinct crops with the row each frame reads."""
        if not self.frame_level:
            return self.track_inputs(crops), None
        from dfutils.nets.clips import clip_indices

        picks = clip_indices(len(crops), self.clip_frames())
        distinct, rows = np.unique(picks, return_inverse=True)
        return self.track_inputs(crops[distinct], len(distinct)), rows

    def clip_frames(self) -> int:
        """How many frames a frame-level detector's clip has."""
        raise NotImplementedError

    def track_score(self, outputs: np.ndarray) -> tuple[float, int]:
        """A track's score and frames used, from the outputs of its inputs."""
        raise NotImplementedError

    def scoring_outputs(self, inputs: np.ndarray, shared: dict) -> np.ndarray:
        return batched_predict(self.scoring_network(), inputs)

    def score_batch(self, videos: list[list[np.ndarray]], shared: dict | None = None) -> list[tuple[float, int]]:
        self.check_fitted()
        shared = {} if shared is None else shared
        best: dict[int, tuple[float, int]] = {}
        parts: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        held = 0

        def flush(group: int) -> None:
            outputs = self.scoring_outputs(np.concatenate([inputs for _, inputs, _ in parts]),
                                           shared.setdefault(group, {}))
            start = 0
            for number, inputs, rows in parts:
                mine = outputs[start:start + len(inputs)]
                score = self.track_score(mine if rows is None else mine[rows])
                start += len(inputs)
                if number not in best or score[0] > best[number][0]:
                    best[number] = score
            parts.clear()

        group = 0  # the inputs of many videos, a group at a time (memory); the same groups for every detector
        for number, tracks in enumerate(videos):
            for crops in tracks:
                parts.append((number, *self._distinct_inputs(crops)))
                held += parts[-1][1].nbytes
            if held >= SCORING_BYTES:
                flush(group)
                group, held = group + 1, 0
        if parts:
            flush(group)
        return [best.get(number, (float("nan"), 0)) for number in range(len(videos))]
