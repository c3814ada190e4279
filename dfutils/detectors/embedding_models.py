"""Paper B's proposal: FaceNet embeddings of every frame, a triplet network trained on them
(semi-hard or random negatives), and a Random Forest or SGD classifier on its output; a video's
score is the mean of its frames' probabilities. Without a triplet network (``mining=None``) the
classifier reads FaceNet's embeddings directly (FaceNet + RF, what the triplet network adds)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd

from .. import facenet, metrics, model_files, triplet
from ..clips import fit_clip
from ..seeding import rng
from .base import Detector, RunData, video_columns
from .settings import TripletSettings


def facenet_embeddings(data: RunData, settings: TripletSettings, progress: bool = True) -> np.ndarray:
    """FaceNet embeddings of ``frames_per_video`` crops of every video of the run, (videos, frames, d):
    computed once per run (kept in ``data.cache`` and on disk, resumable)."""
    key = ("facenet", settings.facenet_model, settings.frames_per_video)
    if key not in data.cache:
        embedder = facenet_embedder(data, settings.facenet_model)
        cache_file = data.layout.embedding_cache(settings.facenet_model, settings.frames_per_video)
        data.cache[key] = facenet.embed_videos(embedder, data.clips, data.faces, settings.frames_per_video, cache_file,
                                               progress=progress)
    return data.cache[key]


def facenet_embedder(data: RunData, model: str) -> facenet.FaceNetEmbedder:
    """The run's FaceNet (loaded once)."""
    key = ("embedder", model)
    if key not in data.cache:
        data.cache[key] = facenet.FaceNetEmbedder(model)
    return data.cache[key]


def train_network(settings: TripletSettings, seed: int, train: tuple, validation: tuple, mining: str = "semi-hard"):
    """The triplet network trained on per-frame ``(embeddings, labels)``, seeded: ``(network, history)``."""
    keras.utils.set_random_seed(seed)
    return triplet.train_embedding_network(
        *train, *validation, mining=mining, margin=settings.margin, epochs=settings.epochs,
        batch_size=settings.batch_size, learning_rate=settings.learning_rate, hidden_units=settings.hidden_units,
        embedding_dim=settings.embedding_dim, seed=seed)


def identity_network(dimensions: int) -> keras.Model:
    """FaceNet's embedding as it is: the network of a FaceNet + classifier model file."""
    inputs = keras.Input((dimensions,), name="facenet_embedding")
    return keras.Model(inputs, keras.layers.Identity(name="facenet")(inputs), name="facenet_identity")


class EmbeddingClassifier(Detector):
    architecture = "triplet"
    input = "frame"

    def __init__(self, entry, settings: TripletSettings, seed: int, mining: str | None = "semi-hard",
                 classifier: str = "rf"):
        super().__init__(entry, settings, seed)
        self.mining, self.classifier_kind = mining, classifier
        self.network: keras.Model | None = None
        self.classifier = None
        self.extraction: dict = {}
        self._vectors: np.ndarray | None = None

    def vectors(self, embeddings: np.ndarray) -> np.ndarray:
        """What the classifier reads: the triplet network's output, or FaceNet's embeddings."""
        return embeddings if self.mining is None else triplet.embed(self.network, embeddings)

    def fit(self, data: RunData) -> pd.DataFrame | None:
        embeddings = facenet_embeddings(data, self.settings)
        train, val = data.rows("train"), data.rows("val")
        labels = data.clips["label"]
        if self.mining is not None:
            self.network, self.history = train_network(
                self.settings, self.seed, triplet.frames_of(embeddings[train], labels.iloc[train]),
                triplet.frames_of(embeddings[val], labels.iloc[val]), self.mining)
        self._vectors = self.vectors(embeddings)
        self.classifier = triplet.make_classifier(self.classifier_kind, self.seed, self.settings.trees).fit(
            *triplet.frames_of(self._vectors[train], labels.iloc[train]))
        self.extraction = data.extraction
        return self.history.assign(mining=self.mining) if self.mining is not None else None

    def predict(self, data: RunData, split: str) -> pd.DataFrame:
        rows = data.rows(split)
        vectors = self._vectors if self._vectors is not None else self.vectors(facenet_embeddings(data, self.settings))
        return video_columns(data.clips.iloc[rows]).assign(score=triplet.video_scores(self.classifier, vectors[rows]))

    def save(self, path: str | Path) -> Path:
        """The whole pipeline in one file (network, classifier, FaceNet model name), for ``dfutils predict``."""
        network = self.network if self.network is not None else identity_network(self.classifier.n_features_in_)
        size = int(self.extraction["extraction"]["size"])
        return model_files.save_model(network, path, self.model_settings(
            self.extraction, facenet_model=self.settings.facenet_model, frames=self.settings.frames_per_video, size=size,
            mining=self.mining), classifier=self.classifier)

    @classmethod
    def load(cls, path: str | Path, settings: dict) -> Detector:
        detector = cls(None, SimpleNamespace(facenet_model=settings["facenet_model"],
                                             frames_per_video=int(settings["frames"]), size=int(settings["size"])), 0)
        detector.network, _ = model_files.load_model(path)
        detector.classifier = model_files.load_classifier(path)
        detector.extraction = {"extraction": settings["extraction"]}
        detector.embedder = facenet.FaceNetEmbedder(settings["facenet_model"])
        return detector

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """FaceNet, the network and the classifier on every frame; the video is the mean (Paper B)."""
        clip = fit_clip(crops, self.settings.frames_per_video, self.settings.size).astype(np.uint8)
        projected = np.asarray(self.network.predict_on_batch(self.embedder.embed(clip)))
        per_frame = self.classifier.predict_proba(projected)[:, 1]
        return float(per_frame.mean()), per_frame


# --------------------------------------------------------------------------- studies on the embeddings
def embedding_maps(data: RunData, settings: TripletSettings, network: keras.Model, seed: int, frames_shown: int):
    """t-SNE maps of FaceNet's and the triplet network's embeddings of training and test frames, and the
    silhouette of the real/fake labels in each space itself: ``(silhouette by (split, space), maps)``."""
    embeddings = facenet_embeddings(data, settings)
    silhouette, maps = {}, {}
    for split in ("train", "test"):
        rows = data.rows(split)
        chosen = rng(seed, "tsne", split).permutation(len(rows) * settings.frames_per_video)[:frames_shown]
        video_of = np.repeat(rows, settings.frames_per_video)[chosen]
        labels = data.clips["label"].to_numpy()[video_of]
        hue = pd.DataFrame({"label_name": np.where(labels == 1, "fake", "real"),
                            "method": data.clips["method"].to_numpy()[video_of]})
        spaces = {"FaceNet": embeddings[rows].reshape(-1, embeddings.shape[-1])[chosen],
                  "triplet (semi-hard)": triplet.embed(network, embeddings[rows]).reshape(-1, settings.embedding_dim)[chosen]}
        for space, vectors in spaces.items():
            silhouette[(split, space)] = triplet.separation(vectors, labels)
            xy = triplet.tsne_map(vectors, seed)
            maps[f"{space}, {split} frames"] = hue.assign(x=xy[:, 0], y=xy[:, 1])
    return silhouette, maps


def leaky_split_auc(data: RunData, settings: TripletSettings, seed: int) -> float:
    """Triplets (semi-hard) + RF on the authors' split: training and test frames pooled and split at random
    (80/20), so frames of one video sit on both sides. Its frame-level test AUC shows what a leaking split adds."""
    embeddings = facenet_embeddings(data, settings)
    pooled = np.concatenate([data.rows("train"), data.rows("test")])
    frame_x, frame_y = triplet.frames_of(embeddings[pooled], data.clips["label"].iloc[pooled])
    shuffled = rng(seed, "leaky-split").permutation(len(frame_y))
    train, test = shuffled[:int(0.8 * len(shuffled))], shuffled[int(0.8 * len(shuffled)):]
    network, _ = train_network(settings, seed, (frame_x[train], frame_y[train]), (frame_x[test], frame_y[test]))
    projected = network.predict(frame_x, verbose=0)
    classifier = triplet.make_classifier("rf", seed, settings.trees).fit(projected[train], frame_y[train])
    return metrics.video_metrics(frame_y[test], classifier.predict_proba(projected[test])[:, 1])["auc"]


def compression_matrix(data: RunData, settings: TripletSettings, seed: int) -> pd.DataFrame:
    """Triplets (semi-hard) + RF trained on one compression level's training videos, scored on each level's
    test videos: test AUC, trained-on x tested-on (empty with a single level)."""
    embeddings = facenet_embeddings(data, settings)
    compression, labels = data.clips["compression"].to_numpy(), data.clips["label"]
    levels = sorted(set(compression))
    matrix = pd.DataFrame(index=pd.Index(levels, name="trained on"), columns=pd.Index(levels, name="tested on"), dtype=float)
    if len(levels) < 2:
        return matrix

    def rows(split, level):
        part = data.rows(split)
        return part[compression[part] == level]

    for trained_on in levels:
        train, val = rows("train", trained_on), rows("val", trained_on)
        network, _ = train_network(settings, seed, triplet.frames_of(embeddings[train], labels.iloc[train]),
                                   triplet.frames_of(embeddings[val], labels.iloc[val]))
        classifier = triplet.make_classifier("rf", seed, settings.trees).fit(
            *triplet.frames_of(triplet.embed(network, embeddings[train]), labels.iloc[train]))
        for tested_on in levels:
            test = rows("test", tested_on)
            scores = triplet.video_scores(classifier, triplet.embed(network, embeddings[test]))
            matrix.loc[trained_on, tested_on] = metrics.video_metrics(labels.iloc[test], scores)["auc"]
    return matrix
