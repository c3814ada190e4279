"""Paper B's proposal: FaceNet embeddings of every frame, a triplet network trained on them
(semi-hard or random negatives), and a Random Forest or SGD classifier on its output; a video's
score is the mean of its frames' probabilities. Without a triplet network (``mining=None``) the
classifier reads FaceNet's embeddings directly (FaceNet + RF, what the triplet network adds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from dfutils.detectors import model_files
from dfutils.detectors.base import BatchedScoring, Detector, RunData, batched_predict
from dfutils.detectors.settings import TripletSettings
from dfutils.nets import facenet, triplet
from dfutils.nets.clips import fit_clip
from dfutils.predictions import video_columns


def facenet_embeddings(data: RunData, settings: TripletSettings, progress: bool = True) -> np.ndarray:
    """FaceNet embeddings of ``frames_per_video`` crops of every video of the run, (videos, frames, d):
    computed once per run (kept in ``data.shared`` and on disk, resumable)."""
    key = (settings.facenet_model, settings.frames_per_video, data.fingerprint())
    if key not in data.shared.facenet_embeddings:
        embedder = facenet.shared_embedder(settings.facenet_model)
        cache_file = data.layout.embedding_cache(settings.facenet_model, settings.frames_per_video)
        data.shared.facenet_embeddings[key] = facenet.embed_videos(embedder, data.clips, data.faces,
                                                                   settings.frames_per_video, cache_file,
                                                                   progress=progress)
    return data.shared.facenet_embeddings[key]


@dataclass(frozen=True)
class TripletEmbedding:
    """A triplet network trained on a run's FaceNet frame embeddings, and its loss curves."""

    network: keras.Model
    history: pd.DataFrame
    mining: str


def train_network(settings: TripletSettings, seed: int, train: tuple, validation: tuple, mining: str = "semi-hard"):
    """The triplet network trained on per-frame ``(embeddings, labels)``, seeded: ``(network, history)``."""
    keras.utils.set_random_seed(seed)
    return triplet.train_embedding_network(
        *train, *validation, mining=mining, margin=settings.margin, epochs=settings.epochs,
        batch_size=settings.batch_size, learning_rate=settings.learning_rate, hidden_units=settings.hidden_units,
        embedding_dim=settings.embedding_dim, dropout_rate=settings.dropout_rate, seed=seed)


def triplet_embedding(data: RunData, settings: TripletSettings, mining: str, seed: int) -> TripletEmbedding:
    """The triplet embedding of a mining strategy, trained on the run's training frames (validation frames for
    its validation loss) once per run, settings and seed: Paper B's RF and SGD heads read the same one."""
    key = (settings, mining, seed, data.fingerprint("train", "val"))
    if key not in data.shared.triplet_embeddings:
        embeddings, labels = facenet_embeddings(data, settings), data.clips["label"]
        train, val = data.rows("train"), data.rows("val")
        network, history = train_network(settings, seed, triplet.frames_of(embeddings[train], labels.iloc[train]),
                                         triplet.frames_of(embeddings[val], labels.iloc[val]), mining)
        data.shared.triplet_embeddings[key] = TripletEmbedding(network, history.assign(mining=mining), mining)
    return data.shared.triplet_embeddings[key]


def identity_network(dimensions: int) -> keras.Model:
    """FaceNet's embedding as it is: the network of a FaceNet + classifier model file."""
    inputs = keras.Input((dimensions,), name="facenet_embedding")
    return keras.Model(inputs, keras.layers.Identity(name="facenet")(inputs), name="facenet_identity")


class EmbeddingClassifier(BatchedScoring, Detector):
    """A Random Forest or SGD head on the frames' triplet embedding (of one mining strategy, shared with the
    other head) or on FaceNet's embedding itself (``mining=None``)."""

    architecture = "triplet"
    settings_class = TripletSettings
    frames_setting = "frames_per_video"
    input = "frame"
    fitted = ("head",)

    def __init__(self, entry, settings: TripletSettings, seed: int, mining: str | None = "semi-hard",
                 classifier: str = "rf"):
        super().__init__(entry, settings, seed)
        if classifier not in triplet.CLASSIFIERS:
            raise ValueError(f"classifier: expected one of {triplet.CLASSIFIERS}, got {classifier!r}")
        self.mining, self.classifier = mining, classifier  # the head's kind: "rf" or "sgd"
        self.network: keras.Model | None = None
        self.head = None  # the fitted scikit-learn classifier

    def vectors(self, embeddings: np.ndarray) -> np.ndarray:
        """What the classifier reads: the triplet network's output, or FaceNet's embeddings."""
        return embeddings if self.mining is None else triplet.embed(self.network, embeddings)

    def fit(self, data: RunData) -> EmbeddingClassifier:
        embeddings = facenet_embeddings(data, self.settings)
        self.history = None
        if self.mining is not None:
            shared = triplet_embedding(data, self.settings, self.mining, self.seed)
            self.network, self.history = shared.network, shared.history
        train, labels = data.rows("train"), data.clips["label"]
        self.head = triplet.make_classifier(self.classifier, self.seed, self.settings.trees).fit(
            *triplet.frames_of(self.vectors(embeddings)[train], labels.iloc[train]))
        self.extraction = data.extraction
        return self

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        self.check_fitted()
        rows = data.rows(split)
        vectors = self.vectors(facenet_embeddings(data, self.settings))  # every video at once, as in fit
        return video_columns(data.clips.iloc[rows]).assign(score=triplet.video_scores(self.head, vectors[rows]))

    def info(self) -> dict:
        return {"mining": self.mining, "classifier": self.classifier}

    def save(self, path: str | Path) -> Path:
        """The whole pipeline in one file (network, classifier, FaceNet model name), for ``dfutils predict``."""
        self.check_fitted()
        network = self.network if self.network is not None else identity_network(self.head.n_features_in_)
        size = int(self.extraction["size"])
        return model_files.save_model(network, path, self.file_settings(
            facenet_model=self.settings.facenet_model, frames=self.settings.frames_per_video, size=size,
            mining=self.mining, classifier=self.classifier), classifier=self.head)

    @classmethod
    def load(cls, path: str | Path, stored: dict) -> EmbeddingClassifier:
        detector = cls(cls.loaded_entry(stored), cls.settings_from_file(path, stored), 0, mining=stored.get("mining"),
                       classifier=stored.get("classifier", "rf"))
        detector.network, _ = model_files.load_model(path)
        detector.head = model_files.load_classifier(path)
        detector.extraction = stored["extraction"]
        return detector

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """FaceNet, the network and the classifier on every frame; the video is the mean (Paper B)."""
        self.check_fitted()
        size = int(self.extraction["size"])
        clip = fit_clip(crops, self.settings.frames_per_video, size).astype(np.uint8)
        embedded = facenet.shared_embedder(self.settings.facenet_model).embed(clip)  # FaceNet, as fit used it
        # FaceNet + RF as fitted reads FaceNet's embedding as it is (its file holds an identity network)
        projected = embedded if self.network is None else np.asarray(self.network.predict_on_batch(embedded))
        per_frame = self.head.predict_proba(projected)[:, 1]
        return float(per_frame.mean()), per_frame

    frame_level = True

    def clip_frames(self) -> int:
        return self.settings.frames_per_video

    def track_inputs(self, crops: np.ndarray, frames: int | None = None) -> np.ndarray:
        return fit_clip(crops, frames or self.settings.frames_per_video, int(self.extraction["size"])).astype(np.uint8)

    def scoring_outputs(self, inputs: np.ndarray, shared: dict) -> np.ndarray:
        """FaceNet's embeddings of the inputs (computed once for every head that reads the same crops:
        ``shared``), the network, then the classifier's per-frame probabilities."""
        key = ("facenet", self.settings.facenet_model, self.settings.frames_per_video, inputs.shape)
        if key not in shared:
            shared[key] = facenet.shared_embedder(self.settings.facenet_model).embed(inputs)
        embedded = shared[key]
        projected = embedded if self.network is None else batched_predict(self.network, embedded, 256)
        return self.head.predict_proba(projected)[:, 1]

    def track_score(self, outputs: np.ndarray) -> tuple[float, int]:
        return float(outputs.mean()), len(outputs)
