"""Studies on Paper B's embeddings (notebook 05), beside the detectors rather than inside them:

- :func:`embedding_maps`: t-SNE maps of FaceNet's and the triplet embedding's frames, with the
  silhouette of the real/fake labels in each space;
- :func:`leaky_split_auc`: what the authors' frame-level random split adds (frames of one video on
  both sides of the split);
- :func:`compression_matrix`: trained on one compression level, tested on each.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from dfutils.detectors.base import RunData
from dfutils.detectors.embedding_models import facenet_embeddings, train_network
from dfutils.detectors.settings import TripletSettings
from dfutils.evaluation import metrics
from dfutils.nets import triplet
from dfutils.seeding import rng


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
        spaces = {
            "FaceNet": embeddings[rows].reshape(-1, embeddings.shape[-1])[chosen],
            "triplet (semi-hard)": triplet.embed(network, embeddings[rows]).reshape(-1, settings.embedding_dim)[chosen],
        }
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


def compression_matrix(data: RunData, settings: TripletSettings, seed: int,
                       model: str = "triplets (semi-hard) + RF") -> pd.DataFrame:
    """The registry's detector ``model`` trained on one compression level's training and validation videos,
    scored on each level's test videos: test AUC, trained-on x tested-on (empty with a single level). Its logs go
    to ``models/compression-matrix/``; no prediction table is written, so the run's model list is unchanged."""
    from dataclasses import replace

    from dfutils.detectors import registry

    compression = data.clips["compression"]
    levels = sorted(set(compression))
    matrix = pd.DataFrame(
        index=pd.Index(levels, name="trained on"), columns=pd.Index(levels, name="tested on"), dtype=float
    )
    if len(levels) < 2:
        return matrix
    entry = registry.entry(model)
    for trained_on in levels:
        kept = data.clips[(data.clips["split"] == "test") | (compression == trained_on)]
        trained = replace(entry, folder=f"compression-matrix/{entry.folder}-trained-{trained_on}")
        detector = trained.create(settings, seed).fit(replace(data, clips=kept))
        test = detector.predict(replace(data, clips=kept), "test")
        for tested_on in levels:
            part = test[test["compression"] == tested_on]
            matrix.loc[trained_on, tested_on] = metrics.video_metrics(part["label"], part["score"])["auc"]
    return matrix
