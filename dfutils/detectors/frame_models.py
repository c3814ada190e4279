"""Paper B's frame-level detectors: a classifier of single face crops (a video's score is the mean
over its frames), its bagging ensemble, and LSTM/GRU over its per-frame embeddings."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from dfutils.data import datasets
from dfutils.detectors import backbone_files, model_files
from dfutils.detectors.base import BatchedScoring, Detector, RunData
from dfutils.detectors.clip_models import KerasClipModel
from dfutils.detectors.settings import FrameSettings, SelfBlendedSettings, SequenceSettings
from dfutils.nets import architectures, training
from dfutils.nets.clips import Augmentation, ClipDataset, FrameDataset, SelfBlendedFrames, fit_clip
from dfutils.predictions import video_columns
from dfutils.seeding import seed_keras

SCORING_BATCH = 8  # clips per batch when scoring


class FrameModel(BatchedScoring, Detector):
    """A CNN on single face crops, a video's score the mean over its frames: what the frame classifier and the
    self-blended detector share (scoring, the model file and the backbone file beside it). Each says how it builds
    its network (``new_model``) and trains it (``fit``), from its own settings dataclass."""

    frames_setting = "frames_per_video"
    input = "frame"
    frame_level = True

    def __init__(self, entry, settings, seed: int):
        super().__init__(entry, settings, seed)
        self.model: keras.Model | None = None
        self.trained_on: dict = {}  # the data fit read (profile, videos, fingerprint): the backbone file's provenance

    def frame_network(self, start: dict | None = None) -> keras.Model:
        """The network the settings describe, uncompiled, started as their ``weights`` say (``start``: that start
        already read, for many networks in turn)."""
        s = self.settings
        start = backbone_files.start_of(s.weights, s.backbone) if start is None else start
        return architectures.build_frame_classifier(s.backbone, s.size, embedding_units=s.embedding_units,
                                                    dropout_rate=s.dropout_rate, **start)

    # ----------------------------------------------------------------- scoring
    def scoring_clips(self, data: RunData, split: str, frames: int | None = None) -> ClipDataset:
        return ClipDataset(data.split(split), data.faces, frames or self.settings.frames_per_video, self.settings.size,
                           SCORING_BATCH)

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        return training.frame_predict_table(self.model, self.scoring_clips(data, split))

    def info(self) -> dict:
        return {"backbone": self.settings.backbone, "weights": self.settings.weights}

    # ----------------------------------------------------------------- the model file
    def save(self, path: str | Path) -> Path:
        """The model file, and beside it the fine-tuned backbone alone (:data:`backbone_files.BACKBONE_FILE`), a
        start for any profile's CNNs (``weights: <profile>``)."""
        self.check_fitted()
        s = self.settings
        settings = self.file_settings(frames=s.frames_per_video, size=s.size, backbone=s.backbone)
        backbone_files.save_backbone(self.model, Path(path).with_name(backbone_files.BACKBONE_FILE), {
            **settings, "trained_on": self.trained_on, "seed": self.seed})
        return model_files.save_model(self.scoring_network(), path, settings)

    def scoring_network(self) -> keras.Model:
        """The network a model file holds and ``score_crops`` runs: one face crop in, the probability out."""
        return self.model

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> FrameModel:
        detector = cls(cls.loaded_entry(stored), cls.settings_from_file(path, stored), 0)
        detector.model, _ = model_files.load_model(path)
        detector.extraction = stored["extraction"]
        return detector

    def frame_probabilities(self, crops: np.ndarray) -> np.ndarray:
        self.check_fitted()
        clip = fit_clip(crops, self.settings.frames_per_video, self.settings.size)
        return np.asarray(self.scoring_network().predict_on_batch(clip))

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        per_frame = self.frame_probabilities(crops).reshape(-1)
        return float(per_frame.mean()), per_frame

    def clip_frames(self) -> int:
        return self.settings.frames_per_video

    def track_inputs(self, crops: np.ndarray, frames: int | None = None) -> np.ndarray:
        return fit_clip(crops, frames or self.settings.frames_per_video, self.settings.size)

    def track_score(self, outputs: np.ndarray) -> tuple[float, int]:
        return float(outputs.reshape(-1).mean()), len(outputs)


class FrameClassifier(FrameModel):
    """Frames only: the backbone fine-tuned on single face crops that carry their video's label."""

    architecture = "frames"
    settings_class = FrameSettings

    # ----------------------------------------------------------------- training
    def new_model(self) -> keras.Model:
        s = self.settings
        return training.compile_model(self.frame_network(), training.paper_b_nadam(s.learning_rate, s.schedule_decay))

    def frame_data(self, data: RunData, table: pd.DataFrame, shuffle: bool = False) -> FrameDataset:
        s = self.settings
        if shuffle and s.self_blended_share > 0:  # the self-blending lever: training batches only, never the scored
            return SelfBlendedFrames(table, data.faces, s.frames_per_video, s.size, s.batch_size, shuffle=True,
                                     seed=self.seed, share=s.self_blended_share, margin=crop_margin(data))
        # training batches only: compression augmentation (off unless crf_augment names a range)
        augmentation = Augmentation(crf_range=s.crf_augment) if shuffle and s.crf_augment else None
        return FrameDataset(
            table,
            data.faces,
            s.frames_per_video,
            s.size,
            s.batch_size,
            shuffle=shuffle,
            seed=self.seed,
            augmentation=augmentation,
        )

    def train(self, model: keras.Model, data: RunData, table: pd.DataFrame, out_dir: Path, epochs: int,
              checkpoint: bool = True) -> pd.DataFrame:
        """Train ``model`` on the frames of ``table``'s videos, classes weighted to count equally."""
        return training.fit(model, self.frame_data(data, table, shuffle=True), self.frame_data(data, data.split("val")),
                            out_dir, epochs=epochs, patience=self.settings.patience,
                            class_weight=training.balanced_class_weight(table["label"]), checkpoint=checkpoint)

    def fit(self, data: RunData) -> FrameClassifier:
        keras.utils.set_random_seed(self.seed)  # the same weights and dropout whatever ran before in this process
        self.model = self.new_model()
        self.extraction, self.trained_on = data.extraction, training_record(data)
        self.history = self.train(self.model, data, data.split("train"), self.model_dir(data), self.settings.epochs)
        data.shared.frame_classifier = self  # the run's frame classifier: the LSTM and the GRU read its embeddings
        return self

    def clip_embeddings(self, data: RunData, split: str, frames: int) -> np.ndarray:
        """The fine-tuned model's 512-d embedding of ``frames`` crops of every video of a split of ``data``
        (computed once per run and weights: the LSTM and the GRU read the same, ``data.shared``)."""
        self.check_fitted()
        # keyed by what the embeddings are made of (the weights, the split's videos, the frames), never by the model
        # object's id: CPython hands a freed object's id to the next, so a refitted model could read a dead one's
        key = (training.weights_fingerprint(self.model), split, tuple(data.split(split)["video_id"]), frames)
        if key not in data.shared.frame_embeddings:
            extractor = architectures.embedding_extractor(self.model)
            data.shared.frame_embeddings[key] = training.clip_embeddings(extractor,
                                                                         self.scoring_clips(data, split, frames))
        return data.shared.frame_embeddings[key]


def training_record(data: RunData) -> dict:
    """What a model was trained on, for the provenance of its backbone file: the run's profile (its artifacts
    folder), its training and validation videos and their fingerprint, and the code revision the run records
    (``run.json``'s, when the runner made it)."""
    import json

    record = {"profile": data.layout.root.name, "train_videos": int(len(data.split("train"))),
              "val_videos": int(len(data.split("val"))), "data_fingerprint": data.fingerprint("train", "val")}
    run_json = data.layout.root / "run.json"
    if run_json.is_file():
        try:
            record["revision"] = json.loads(run_json.read_text())["environment"]["git"]
        except (ValueError, KeyError, TypeError):
            record["revision"] = "unreadable run.json"
    return record


def crop_margin(data: RunData) -> float:
    """The margin the run's crops were cut with (it places the face box inside a crop)."""
    return float(data.extraction.get("margin", 0.0))


class SelfBlended(FrameModel):
    """Beyond the papers: a frame classifier that never sees a fake video. Each real training crop is served
    beside a self-blended copy of itself (:mod:`dfutils.nets.self_blending`), labelled fake; validation (for early
    stopping) is the validation split's reals and their blends, so no fake is read at all. Its model file is
    a frame classifier's: ``dfutils predict`` and ``dfutils evaluate`` score it like one."""

    architecture = "self_blended"
    settings_class = SelfBlendedSettings

    def new_model(self) -> keras.Model:
        s = self.settings
        model = self.frame_network()
        if s.weights != backbone_files.NO_WEIGHTS:
            # batch statistics of real/blend pairs left the moving statistics unusable: in inference mode the
            # model scored every crop 1.0 (measured on the real FF++ crops), so BatchNorm keeps the pretrained ones
            architectures.freeze_batch_normalization(model)
        return training.compile_model(model, keras.optimizers.Adam(s.learning_rate))

    def blended_data(self, data: RunData, split: str, shuffle: bool) -> SelfBlendedFrames:
        s = self.settings
        reals = data.split(split)
        reals = reals[reals["label"] == 0]
        if reals.empty:
            raise ValueError(f"self-blending needs real videos in the {split} split; it has none")
        # the real crops are augmented too (flip, colour, JPEG), before their copies are blended: a fixed set
        # of reals is otherwise learnt by heart, and anything altered called fake
        augmentation = Augmentation(flip=True, brightness_contrast=0.1, jpeg_quality=70) if shuffle else None
        return SelfBlendedFrames(reals, data.faces, s.frames_per_video, s.size, max(1, s.batch_size // 2),
                                 shuffle=shuffle, seed=self.seed, share=1.0, margin=crop_margin(data),
                                 augmentation=augmentation)

    def fit(self, data: RunData) -> SelfBlended:
        keras.utils.set_random_seed(self.seed)
        self.model = self.new_model()
        self.extraction, self.trained_on = data.extraction, training_record(data)
        # classes are balanced by construction: one self-blended copy per real crop
        self.history = training.fit(self.model, self.blended_data(data, "train", True),
                                    self.blended_data(data, "val", False), self.model_dir(data),
                                    epochs=self.settings.epochs, patience=self.settings.patience)
        return self

    def info(self) -> dict:
        return {**super().info(), "trained_on": "real videos of the training split and self-blended copies"}

    def examples(self, data: RunData, count: int = 6) -> dict[str, list]:
        """Real training crops beside their masks and self-blended copies, for a picture grid."""
        from dfutils.nets.clips import read_clip_crops
        from dfutils.nets.self_blending import example_rows

        reals = data.split("train")
        reals = reals[reals["label"] == 0].head(count)
        crops = [fit_clip(read_clip_crops(data.faces / crops, 1), 1, self.settings.size)[0] for crops in reals["crops"]]
        return example_rows(crops, crop_margin(data), self.seed)


def majority_vote(model_scores, threshold: float = 0.5) -> np.ndarray:
    """Paper B's bagging answer as a score (``model_scores``: models x videos).

    ``(fake votes + mean probability) / (models + 1)``: with an odd number of models it
    is above 0.5 exactly when most models call the video fake (maximum voting), and
    within equal vote counts it is ordered by the mean probability, so the ROC curve is
    not a staircase of a few vote levels.
    """
    scores = np.asarray(model_scores, dtype=float)
    votes = (scores > threshold).sum(axis=0)
    return (votes + scores.mean(axis=0)) / (len(scores) + 1)



class Bagging(FrameClassifier):
    """Frames + bagging: the fakes cut into parts, each with all the reals; one frame classifier per
    part; a video is fake when most of them say so (see :func:`majority_vote`)."""

    architecture = "frames_bagging"
    fitted = ("model", "part_weights")

    def __init__(self, entry, settings: FrameSettings, seed: int):
        super().__init__(entry, settings, seed)
        self.part_weights: list[list[np.ndarray]] | None = None  # each part's weights, after fit
        self._ensemble: keras.Model | None = None  # every part on one crop (built once, or loaded)

    def fit(self, data: RunData) -> Bagging:
        s = self.settings
        parts = datasets.bagging_parts(data.split("train"), s.bagging_parts, seed=self.seed)
        # one compiled model, restarted from fresh weights for every part (no new graph tracing)
        retrainer = training.Retrainer(self.new_model())
        start = backbone_files.start_of(s.weights, s.backbone)  # read once for every part
        self.part_weights, self._ensemble = [], None
        for number, part in enumerate(parts, start=1):
            print(f"part {number}/{len(parts)}: {int((part['label'] == 0).sum())} real, "
                  f"{int((part['label'] == 1).sum())} fake videos")
            seed_keras(self.seed + number)  # the part's new model (TensorFlow's caches kept: no new compilation)
            part_model = retrainer.restart(self.frame_network(start))
            # no checkpoint file per part: the ensemble is saved once, as one model file
            self.train(
                part_model, data, part, self.model_dir(data) / f"part{number}", s.bagging_epochs, checkpoint=False
            )
            self.part_weights.append(part_model.get_weights())
        self.model, self.extraction = retrainer.model, data.extraction
        return self

    def part_scores(self, data: RunData, split: str) -> np.ndarray:
        """Each part's video scores, parts x videos."""
        dataset = self.scoring_clips(data, split)
        if self.model is self._ensemble:  # loaded from a file: the ensemble's parts score in turn
            parts = [layer for layer in self.model.layers if isinstance(layer, keras.Model)]
            return np.array([training.frame_predict_table(part, dataset)["score"].to_numpy() for part in parts])
        scores = []
        for weights in self.part_weights:
            self.model.set_weights(weights)
            scores.append(training.frame_predict_table(self.model, dataset)["score"].to_numpy())
        return np.array(scores)

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        scores = self.part_scores(data, split)
        return video_columns(data.split(split)).assign(score=majority_vote(scores),
                                                       mean_probability=scores.mean(axis=0))

    def info(self) -> dict:
        return {"backbone": self.settings.backbone, "weights": self.settings.weights, "parts": len(self.part_weights)}

    def scoring_network(self) -> keras.Model:
        """Every part's classifier on one face crop: (batch, parts) probabilities."""
        self.check_fitted()
        if self._ensemble is None:
            self._ensemble = self.ensemble()
        return self._ensemble

    def ensemble(self) -> keras.Model:
        s = self.settings
        image = keras.Input((s.size, s.size, 3), name="face")
        outputs = []
        for number, weights in enumerate(self.part_weights, start=1):
            part = architectures.build_frame_classifier(s.backbone, s.size, None, s.embedding_units, s.dropout_rate)
            part.set_weights(weights)
            outputs.append(keras.Model(part.input, part.output, name=f"part{number}")(image))
        return keras.Model(image, keras.layers.Concatenate(name="part_probabilities")(outputs), name="bagging")

    def save(self, path: str | Path) -> Path:
        self.check_fitted()
        s = self.settings
        return model_files.save_model(self.scoring_network(), path, self.file_settings(
            frames=s.frames_per_video, size=s.size, backbone=s.backbone, parts=len(self.part_weights)))

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> Bagging:
        detector = super().load(path, stored)
        detector._ensemble = detector.model  # the file holds the ensemble; the parts' weights live in it
        detector.part_weights = [layer.get_weights() for layer in detector.model.layers
                                 if isinstance(layer, keras.Model)]
        return detector

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        probabilities = self.frame_probabilities(crops)  # frames x parts
        return self.track_score(probabilities)[0], probabilities.mean(axis=1)

    def track_score(self, outputs: np.ndarray) -> tuple[float, int]:
        """Each part's mean over the frames, then the vote (outputs: frames x parts)."""
        return float(majority_vote(outputs.mean(axis=0)[:, None])[0]), len(outputs)


class FrameRecurrent(KerasClipModel):
    """Frames + LSTM / GRU: one recurrent layer over the fine-tuned frame classifier's per-frame embeddings.
    Trained on the embeddings of the run's frame classifier (``data.shared``: fit the ``frames`` detector on the
    same data first; computed once and shared by the LSTM and the GRU); saved, loaded and scored as one clip
    model: the frame classifier up to its embedding, then the recurrent layer."""

    architecture = "frames_sequence"
    settings_class = SequenceSettings
    fitted = ("model", "size")

    def __init__(self, entry, settings: SequenceSettings, seed: int, cell: str = "lstm"):
        super().__init__(entry, settings, seed)
        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell: expected 'lstm' or 'gru', got {cell!r}")
        self.cell = cell
        self.frame_model: FrameClassifier | None = None  # the frame classifier fit read (None for a loaded file)
        self.size: int | None = None  # the crop side its clips have: the frame classifier's
        self.network: keras.Model | None = None  # a loaded file's whole clip model

    @property
    def clip_shape(self) -> tuple[int, int]:
        return self.settings.frames, self.size

    def sequences(self, data: RunData, split: str) -> np.ndarray:
        return self.frame_model.clip_embeddings(data, split, self.settings.frames)

    def fit(self, data: RunData) -> FrameRecurrent:
        if data.shared.frame_classifier is None:
            raise ValueError(f"{self.name}: reads the per-frame embeddings of the run's frame classifier; fit the "
                             "'frames' detector on this data first")
        s = self.settings
        self.frame_model, self.network = data.shared.frame_classifier, None
        self.size = self.frame_model.settings.size
        train, val = self.sequences(data, "train"), self.sequences(data, "val")
        labels = {split: data.split(split)["label"].to_numpy(np.float32) for split in ("train", "val")}
        keras.utils.set_random_seed(self.seed)
        self.model = architectures.build_sequence_classifier(self.cell, s.frames, train.shape[-1], s.units)
        training.compile_model(self.model, keras.optimizers.Adam(s.learning_rate))
        self.history = training.fit(self.model, (train, labels["train"]), (val, labels["val"]), self.model_dir(data),
                                    epochs=s.epochs, patience=s.patience, batch_size=s.batch_size, verbose=0,
                                    class_weight=training.balanced_class_weight(labels["train"]))
        self.extraction = self.frame_model.extraction
        return self

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        if self.frame_model is None:  # loaded from a file: the clip model reads the crops
            return super().predict(data, split)
        scores = np.asarray(self.model.predict(self.sequences(data, split), verbose=0)).reshape(-1)
        return video_columns(data.split(split)).assign(score=scores)

    def clip_network(self) -> keras.Model:
        """One clip model (frame classifier up to its embedding, then the recurrent layer) that scores raw videos."""
        self.check_fitted()
        if self.network is None:
            from dfutils.detectors.clip_models import as_clip_model

            self.network = as_clip_model(self.model, architectures.embedding_extractor(self.frame_model.model),
                                         self.settings.frames)
        return self.network

    def input_settings(self) -> dict:
        return {"cell": self.cell}

    @classmethod
    def from_file(cls, path: str | Path, stored: dict) -> FrameRecurrent:
        detector = cls(
            cls.loaded_entry(stored), cls.settings_from_file(path, stored), 0, cell=stored.get("cell", "lstm")
        )
        detector.size = int(stored["size"])
        return detector

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> FrameRecurrent:
        detector = super().load(path, stored)
        detector.network = detector.model
        return detector
