"""Paper B's triplet network: a small dense embedding net on FaceNet embeddings, triplet loss.

The loss is the paper's ``max(||f(a)-f(p)||^2 - ||f(a)-f(n)||^2 + alpha, 0)``
over every anchor-positive pair of a batch (same label, a != p), with the
negative chosen online:

- **semi-hard** (FaceNet, Schroff et al. 2015; as ``tfa.losses.TripletSemiHardLoss``):
  the closest negative that is still farther than the positive,
  ``d(a,n) > d(a,p)``; where an anchor has none, its farthest negative;
- **random**: a uniformly drawn negative (the paper's comparison).

Both are written with ``keras.ops`` only (TensorFlow and JAX backends) and
tested against :func:`semi_hard_triplet_loss_reference`, a plain loop.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from dfutils.nets.layers import L2Normalize
from dfutils.nets.training import build_optimizer


def pairwise_squared_distances(embeddings):
    squares = ops.sum(ops.square(embeddings), axis=1)
    distances = (
        ops.expand_dims(squares, 1)
        - 2.0 * ops.matmul(embeddings, ops.transpose(embeddings))
        + ops.expand_dims(squares, 0)
    )
    distances = ops.maximum(distances, 0.0)
    # exact zeros on the diagonal (rounding leaves tiny values there)
    return distances * (1.0 - ops.eye(ops.shape(embeddings)[0], dtype=distances.dtype))


def _pairs(labels, count):
    labels = ops.reshape(labels, (-1,))
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
    positive_pairs = ops.logical_and(same, ops.logical_not(ops.cast(ops.eye(count), "bool")))
    return positive_pairs, ops.logical_not(same)


def _reduce(anchor_positive, chosen_negative, positive_pairs, has_negative, margin):
    valid = ops.cast(ops.logical_and(positive_pairs, ops.expand_dims(has_negative, 1)), anchor_positive.dtype)
    losses = ops.maximum(anchor_positive - chosen_negative + margin, 0.0) * valid
    return ops.sum(losses) / ops.maximum(ops.sum(valid), 1.0)


def semi_hard_triplet_loss(labels, embeddings, margin: float):
    """Mean triplet loss over all valid anchor-positive pairs with semi-hard negatives (squared L2)."""
    embeddings = ops.cast(embeddings, "float32")
    count = ops.shape(embeddings)[0]
    distances = pairwise_squared_distances(embeddings)
    positive_pairs, negatives = _pairs(labels, count)
    anchor_positive = distances  # [a, p]
    anchor_negative = ops.expand_dims(distances, 1)  # [a, 1, n]
    # [a, p, n]: n is a negative of a and farther from a than p is
    semi_hard = ops.logical_and(
        ops.expand_dims(negatives, 1), ops.greater(anchor_negative, ops.expand_dims(anchor_positive, 2))
    )
    large = ops.max(distances) + 1.0
    closest_semi_hard = ops.min(ops.where(semi_hard, anchor_negative, large), axis=2)
    farthest_negative = ops.max(ops.where(negatives, distances, -1.0), axis=1)  # fallback per anchor
    chosen = ops.where(ops.any(semi_hard, axis=2), closest_semi_hard, ops.expand_dims(farthest_negative, 1))
    return _reduce(anchor_positive, chosen, positive_pairs, ops.any(negatives, axis=1), margin)


def random_triplet_loss(labels, embeddings, margin: float, seed=None):
    """The same loss with a uniformly drawn negative for every anchor-positive pair."""
    embeddings = ops.cast(embeddings, "float32")
    count = ops.shape(embeddings)[0]
    distances = pairwise_squared_distances(embeddings)
    positive_pairs, negatives = _pairs(labels, count)
    # a random key per (a, p, n); the largest key among a's negatives picks n
    keys = keras.random.uniform((count, count, count), seed=seed)
    keys = ops.where(ops.expand_dims(negatives, 1), keys, -1.0)
    pick = ops.one_hot(ops.argmax(keys, axis=2), count, dtype=distances.dtype)  # [a, p, n]
    chosen = ops.sum(pick * ops.expand_dims(distances, 1), axis=2)
    return _reduce(distances, chosen, positive_pairs, ops.any(negatives, axis=1), margin)


def semi_hard_triplet_loss_reference(labels: np.ndarray, embeddings: np.ndarray, margin: float) -> float:
    """Brute force: loop over every anchor, positive and negative (the test oracle)."""
    labels, x = np.asarray(labels).reshape(-1), np.asarray(embeddings, dtype=np.float64)
    losses = []
    for a in range(len(x)):
        negatives = [n for n in range(len(x)) if labels[n] != labels[a]]
        if not negatives:
            continue
        for p in range(len(x)):
            if p == a or labels[p] != labels[a]:
                continue
            d_ap = np.sum((x[a] - x[p]) ** 2)
            d_an = {n: np.sum((x[a] - x[n]) ** 2) for n in negatives}
            semi_hard = [d for d in d_an.values() if d > d_ap]
            d_neg = min(semi_hard) if semi_hard else max(d_an.values())
            losses.append(max(d_ap - d_neg + margin, 0.0))
    return float(np.mean(losses)) if losses else 0.0


@keras.saving.register_keras_serializable(package="dfutils")
class TripletLoss(keras.losses.Loss):
    """``mining`` "semi-hard" or "random"; ``y_true`` holds the class of each embedding."""

    def __init__(
        self, margin: float, mining: str = "semi-hard", seed: int | None = None, name="triplet_loss", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        if mining not in ("semi-hard", "random"):
            raise ValueError(f"mining: expected 'semi-hard' or 'random', got {mining!r}")
        self.margin, self.mining, self.seed = margin, mining, seed
        self._seed_generator = keras.random.SeedGenerator(seed) if mining == "random" else None

    def call(self, y_true, y_pred):
        if self.mining == "semi-hard":
            return semi_hard_triplet_loss(y_true, y_pred, self.margin)
        return random_triplet_loss(y_true, y_pred, self.margin, seed=self._seed_generator)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "mining": self.mining, "seed": self.seed}


def build_embedding_network(input_dim: int, hidden_units: int, embedding_dim: int, dropout_rate: float) -> keras.Model:
    """Dense -> dense -> L2-normalised embedding: the triplet network's shared branch."""
    inputs = keras.Input((input_dim,), name="facenet_embedding")
    x = layers.Dense(hidden_units, activation="relu", name="hidden")(inputs)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    x = layers.Dense(embedding_dim, name="projection")(x)
    return keras.Model(inputs, L2Normalize(name="l2_normalize")(x), name="triplet_embedding")


def train_embedding_network(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray, *,
                            mining: str, margin: float, epochs: int, batch_size: int, learning_rate: float,
                            hidden_units: int, embedding_dim: int, dropout_rate: float, seed: int, verbose: int = 0):
    """Train the embedding net with the triplet loss; returns ``(model, history table)``.

    Batches are shuffled every epoch (seeded through ``keras.utils.set_random_seed``
    by the caller); a batch needs both classes, which a shuffled batch of a few
    hundred frames of a balanced-enough set has.
    """
    import pandas as pd

    model = build_embedding_network(train_x.shape[1], hidden_units, embedding_dim, dropout_rate)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=TripletLoss(margin, mining, seed=seed))
    build_optimizer(model)
    history = model.fit(train_x.astype(np.float32), train_y.astype(np.float32),
                        validation_data=(val_x.astype(np.float32), val_y.astype(np.float32)),
                        epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
    return model, pd.DataFrame(history.history).rename_axis("epoch").reset_index()


CLASSIFIERS = ("rf", "sgd")


def make_classifier(kind: str, seed: int, trees: int):
    """Paper B's final classifiers on the learned embeddings (scikit-learn, seeded, classes balanced)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import SGDClassifier

    if kind == "rf":
        return RandomForestClassifier(n_estimators=trees, class_weight="balanced", n_jobs=2, random_state=seed)
    if kind == "sgd":
        # log loss, so it gives probabilities for the ROC curve and the video mean
        return SGDClassifier(loss="log_loss", class_weight="balanced", max_iter=2000, tol=1e-4, random_state=seed)
    raise ValueError(f"classifier: expected one of {CLASSIFIERS}, got {kind!r}")


def video_scores(classifier, frame_embeddings: np.ndarray) -> np.ndarray:
    """(videos, frames, d) -> per-video fake probability: the mean over its frames (Paper B)."""
    videos, frames = frame_embeddings.shape[:2]
    probabilities = classifier.predict_proba(frame_embeddings.reshape(videos * frames, -1))[:, 1]
    return probabilities.reshape(videos, frames).mean(axis=1)


def frames_of(video_embeddings: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    """(videos, frames, d) and per-video labels -> per-frame rows and labels (for training only:
    the split stays by video)."""
    videos, frames = video_embeddings.shape[:2]
    return video_embeddings.reshape(videos * frames, -1), np.repeat(np.asarray(labels), frames)


def embed(model: keras.Model, video_embeddings: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Apply the embedding network to every frame: (videos, frames, d_in) -> (videos, frames, d_out)."""
    videos, frames = video_embeddings.shape[:2]
    flat = video_embeddings.reshape(videos * frames, -1).astype(np.float32)
    # eager calls: a small dense net needs no compiled predict function, and many differently
    # sized calls would make TensorFlow re-trace one (and warn about it)
    out = [np.asarray(model(flat[i:i + batch_size], training=False)) for i in range(0, len(flat), batch_size)]
    return (np.concatenate(out) if out else np.zeros((0, model.output_shape[-1]), np.float32)).reshape(
        videos, frames, -1
    )


def tsne_map(vectors: np.ndarray, seed: int, perplexity: float = 30.0) -> np.ndarray:
    """2-D t-SNE (scikit-learn) of ``vectors``, seeded."""
    from sklearn.manifold import TSNE

    perplexity = min(perplexity, max(1.0, (len(vectors) - 1) / 3))  # below the sample count, as t-SNE needs
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)


def separation(vectors: np.ndarray, labels) -> float:
    """Silhouette score of the real/fake labels in the embedding space itself (not in the
    t-SNE map): 1 = tight separate classes, 0 = overlapping, < 0 = mixed. NaN where it is not
    defined: a single class (a small split of reals only), or no more frames than classes."""
    from sklearn.metrics import silhouette_score

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2 or len(labels) <= len(np.unique(labels)):
        return float("nan")
    return float(silhouette_score(vectors, labels, metric="euclidean"))
