"""Paper B's triplet loss against a brute-force reference, and the triplet network's effect."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dfutils.nets import triplet


@pytest.mark.parametrize("seed", range(6))
def test_semi_hard_loss_matches_the_brute_force_reference(seed):
    generator = np.random.default_rng(seed)
    count, dims, classes = generator.integers(5, 40), generator.integers(2, 10), generator.integers(2, 4)
    embeddings = generator.normal(size=(count, dims)).astype(np.float32)
    labels = generator.integers(0, classes, count)
    margin = float(generator.uniform(0.1, 1.5))
    ours = float(triplet.semi_hard_triplet_loss(labels, embeddings, margin))
    assert ours == pytest.approx(
        triplet.semi_hard_triplet_loss_reference(labels, embeddings, margin), rel=1e-4, abs=1e-5
    )


def test_semi_hard_loss_on_a_hand_made_batch():
    # anchor 0 (class 0) at 0, positive 1 at 1 (d=1); negatives at 2 (d=4) and 0.5 (d=0.25)
    embeddings = np.array([[0.0], [1.0], [2.0], [0.5]], np.float32)
    labels = np.array([0, 0, 1, 1])
    # pairs (0,1): semi-hard negative is 2 (d=4 > 1): max(1-4+0.2, 0) = 0
    # (1,0): d_ap 1, negatives d(1,2)=1, d(1,0.5)=0.25, none > 1 -> farthest 1: max(1-1+0.2,0)=0.2
    # (2,3): d_ap 2.25, negatives d(2,0)=4, d(2,1)=1 -> semi-hard 4: max(2.25-4+0.2,0)=0
    # (3,2): d_ap 2.25, negatives d(.5,0)=.25, d(.5,1)=.25 -> none, farthest .25: 2.25-.25+.2=2.2
    assert float(triplet.semi_hard_triplet_loss(labels, embeddings, 0.2)) == pytest.approx((0 + 0.2 + 0 + 2.2) / 4)
    assert triplet.semi_hard_triplet_loss_reference(labels, embeddings, 0.2) == pytest.approx(0.6)


def test_one_class_batch_gives_zero_loss_not_nan():
    embeddings = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    assert float(triplet.semi_hard_triplet_loss(np.zeros(8), embeddings, 0.2)) == 0.0
    assert float(triplet.random_triplet_loss(np.zeros(8), embeddings, 0.2, seed=1)) == 0.0


def test_random_mining_with_one_negative_per_anchor_equals_the_reference():
    # with a single negative, random and semi-hard (or its fallback) must pick the same one
    generator = np.random.default_rng(3)
    embeddings = generator.normal(size=(6, 4)).astype(np.float32)
    labels = np.array([0, 0, 0, 0, 0, 1])
    expected = triplet.semi_hard_triplet_loss_reference(labels, embeddings, 0.3)
    assert float(triplet.random_triplet_loss(labels, embeddings, 0.3, seed=5)) == pytest.approx(expected, rel=1e-5)


def test_semi_hard_loss_has_gradients_and_is_usable_as_a_keras_loss():
    import tensorflow as tf

    loss = triplet.TripletLoss(margin=0.2)
    labels = np.array([0, 0, 1, 1], np.float32)[:, None]
    embeddings = tf.Variable(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32) * 0.1)
    with tf.GradientTape() as tape:
        value = loss(labels, embeddings)
    gradient = tape.gradient(value, embeddings).numpy()
    assert np.isfinite(float(value)) and np.isfinite(gradient).all() and np.abs(gradient).sum() > 0
    # a small step against the gradient lowers the loss: the gradient is the loss's, not noise
    assert float(loss(labels, embeddings - 0.05 * gradient)) < float(value)
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss)).margin == 0.2


def test_triplet_training_separates_the_classes_better_than_the_input_space():
    generator = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    # two classes that differ only along 2 of 32 noisy dimensions
    def sample(n):
        labels = generator.integers(0, 2, n)
        x = generator.normal(size=(n, 32)).astype(np.float32)
        x[:, :2] += labels[:, None] * 1.5
        return x, labels

    (train_x, train_y), (test_x, test_y) = sample(800), sample(300)
    model, history = triplet.train_embedding_network(train_x, train_y, test_x, test_y, epochs=15, batch_size=128,
                                                     hidden_units=64, embedding_dim=16, seed=0, mining="semi-hard",
                                                     margin=0.2, learning_rate=1e-3, dropout_rate=0.1)
    before = triplet.separation(test_x, test_y)
    after = triplet.separation(model.predict(test_x, verbose=0), test_y)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert after > before + 0.1


def test_video_scores_are_the_mean_of_frame_probabilities():
    from sklearn.linear_model import LogisticRegression

    generator = np.random.default_rng(1)
    videos = generator.normal(size=(10, 3, 4))
    labels = np.arange(10) % 2
    videos[labels == 1] += 1
    classifier = LogisticRegression().fit(*triplet.frames_of(videos, labels))
    expected = classifier.predict_proba(videos.reshape(30, 4))[:, 1].reshape(10, 3).mean(axis=1)
    np.testing.assert_allclose(triplet.video_scores(classifier, videos), expected)
    x, y = triplet.frames_of(videos, labels)
    assert x.shape == (30, 4) and list(y[:6]) == [0, 0, 0, 1, 1, 1]


def test_separation_is_nan_where_a_silhouette_is_not_defined():
    vectors = np.random.default_rng(0).normal(size=(6, 4))
    assert np.isnan(triplet.separation(vectors, [0] * 6))  # a split with reals only
    assert np.isnan(triplet.separation(vectors[:2], [0, 1]))  # as many frames as classes
    assert -1 <= triplet.separation(vectors, [0, 1] * 3) <= 1
