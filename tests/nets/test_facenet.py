"""FaceNet weights really load: same-person distances fall clearly below different-person ones."""

from __future__ import annotations

import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.nets import facenet


@pytest.fixture(scope="module")
def embedder():
    return facenet.shared_embedder("keras-facenet-128")


def test_a_process_builds_each_facenet_once_and_an_unknown_name_is_never_kept(embedder):
    assert facenet.shared_embedder("keras-facenet-128") is embedder
    for _ in range(2):  # the error each time: a failure is not what later callers get
        with pytest.raises(UserInputError, match="facenet_model: unknown 'vggface'"):
            facenet.shared_embedder("vggface")


@pytest.mark.slow
def test_pretrained_128d_facenet_tells_five_celebrities_apart(embedder):
    crops, people = facenet.celebrity_face_crops(per_person=6)
    assert len(set(people)) == 5 and len(crops) >= 25
    embeddings = embedder.embed(crops)
    assert embeddings.shape == (len(crops), 128)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    separation = facenet.identity_separation(embeddings, people)
    assert separation["same_person"] < 0.75 * separation["different_person"]
    assert separation["pair_auc"] > 0.95
    # the same architecture with random weights does not tell them apart
    from dfutils.nets.inception_resnet_v1 import inception_resnet_v1

    untrained = inception_resnet_v1(input_shape=(160, 160, 3), classes=128)
    random_embeddings = facenet.l2_normalise(untrained.predict(facenet.standardise(crops, "whiten"), verbose=0))
    assert facenet.identity_separation(random_embeddings, people)["pair_auc"] < 0.85


@pytest.mark.slow
def test_the_backend_agnostic_build_gives_the_embeddings_of_keras_facenets_own(embedder):
    """Reference: keras-facenet's Keras 2 code (TensorFlow only, Lambda layers) with the same weights."""
    from keras_facenet.inception_resnet_v1 import InceptionResNetV1

    from dfutils.assets import fetch

    reference = InceptionResNetV1(input_shape=(160, 160, 3), classes=128)
    copied = facenet._copy_h5_weights(reference, fetch("facenet-keras-128"))
    assert copied == sum(1 for layer in embedder.model.layers if layer.weights) > 200  # every weighted layer
    assert len(embedder.model.layers) == len(reference.layers)
    assert embedder.model.count_params() == reference.count_params()
    crops, _ = facenet.celebrity_face_crops(per_person=2)
    inputs = facenet.standardise(crops, "whiten")
    ours = np.asarray(embedder.model.predict_on_batch(inputs))
    theirs = np.asarray(reference.predict_on_batch(inputs))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_standardisations_follow_each_model():
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype(np.uint8)
    np.testing.assert_allclose(facenet.standardise(images, "fixed"), (images - 127.5) / 127.5)
    whitened = facenet.standardise(images, "whiten")
    np.testing.assert_allclose(whitened.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(whitened.std(axis=(1, 2, 3)), 1, atol=1e-4)


def test_unknown_model_and_failed_download_name_the_option(monkeypatch):
    with pytest.raises(UserInputError, match="facenet_model: unknown 'vggface'"):
        facenet.FaceNetEmbedder("vggface")

    import keras_facenet

    class Offline:
        def __init__(self, key):
            raise OSError("Name or service not known")

    monkeypatch.setattr(keras_facenet, "FaceNet", Offline)
    with pytest.raises(UserInputError, match="keras-facenet-128"):
        facenet.FaceNetEmbedder("20180402-114759")


def test_weight_copy_names_a_missing_layer(tmp_path, embedder):
    import h5py

    path = tmp_path / "partial.h5"
    with h5py.File(path, "w") as handle:
        handle.create_group("model_weights")
    with pytest.raises(UserInputError, match="no weights for layer 'Conv2d_1a_3x3'"):
        facenet._copy_h5_weights(embedder.model, path)


def test_video_embeddings_are_cached_and_resumed(tmp_path, embedder):
    import pandas as pd

    from dfutils.faces.crop_files import FaceCrops, save_crops

    rows = []
    for number in range(3):
        crops = np.random.default_rng(number).integers(0, 256, (4, 40, 40, 3)).astype(np.uint8)
        name = f"v{number}.npz"
        save_crops(
            FaceCrops(f"v{number}", crops, np.arange(4), np.zeros((4, 4)), np.ones(4, bool), 1, 4, {}), tmp_path / name
        )
        rows.append({"video_id": f"v{number}", "crops": name})
    table = pd.DataFrame(rows)
    cache = tmp_path / "embeddings.npz"
    first = facenet.embed_videos(embedder, table.head(2), tmp_path, 2, cache, progress=False)
    assert first.shape == (2, 2, 128)

    class Counting:
        name, dimensions, calls = embedder.name, 128, 0

        def embed(self, crops):
            Counting.calls += len(crops)
            return embedder.embed(crops)

    everything = facenet.embed_videos(Counting(), table, tmp_path, 2, cache, progress=False)
    assert Counting.calls == 2  # only the third video's two frames were embedded
    np.testing.assert_allclose(everything[:2], first, atol=1e-6)
    # the crops of v0 are extracted again (other pixels): its cached embedding is stale and is computed anew
    crops = np.random.default_rng(99).integers(0, 256, (4, 40, 40, 3)).astype(np.uint8)
    save_crops(FaceCrops("v0", crops, np.arange(4), np.zeros((4, 4)), np.ones(4, bool), 1, 4, {}), tmp_path / "v0.npz")
    Counting.calls = 0
    again = facenet.embed_videos(Counting(), table, tmp_path, 2, cache, progress=False)
    assert Counting.calls == 2
    np.testing.assert_allclose(again[1:], everything[1:], atol=1e-6)
    from dfutils.nets.clips import clip_indices

    np.testing.assert_allclose(again[0], embedder.embed(crops[clip_indices(4, 2)]), atol=1e-5)
    with np.load(cache) as stored:
        assert len(stored["signatures"]) == 3  # the stale entry was dropped
