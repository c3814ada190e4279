"""The download paths of the paper profiles, exercised offline: Keras' ImageNet weights of Paper A's backbones
and keras-facenet's 512-d FaceNet of Paper B are fetched from stand-in files of the same architectures, made
here and served at ``file://`` addresses, through the libraries' own fetch, checksum and load code. With
neither a network nor a cache, the clear offline message stays.
"""

from __future__ import annotations

import hashlib

import h5py
import keras
import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.nets import architectures, facenet


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def legacy_weights_file(model: keras.Model, path) -> None:
    """Weights in the legacy HDF5 layout of Keras' application files, which ``load_weights`` reads from ``.h5``: the
    layer names in a ``layer_names`` attribute, a group per layer naming its weights (trainable, then the others)
    in ``weight_names``, one dataset each. Keras writes it only through a private module; the tests that use it
    read it back through Keras' own loader and compare every array."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        handle.attrs["backend"] = keras.backend.backend().encode()
        handle.attrs["keras_version"] = keras.__version__.encode()
        for layer in model.layers:
            group = handle.create_group(layer.name)
            weights = [*layer.trainable_weights, *layer.non_trainable_weights]
            names = [f"{layer.name}/{n}_{weight.name}".encode() for n, weight in enumerate(weights)]
            group.attrs["weight_names"] = names
            for name, weight in zip(names, weights, strict=True):
                group.create_dataset(name.decode(), data=keras.ops.convert_to_numpy(weight))


def keras_module(public) -> object:
    """The module of Keras that defines a public object (its constants are the download path's only hook)."""
    import inspect

    return inspect.getmodule(public)


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """An empty Keras cache folder (``$KERAS_HOME``) for this test only."""
    keras_config = keras_module(keras.config.floatx)  # where Keras keeps its cache folder, read once at import
    home = tmp_path / "keras-home"
    home.mkdir()  # Keras falls back to /tmp/.keras for a cache folder it cannot write to (or that is absent)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    return home


@pytest.fixture
def efficientnet_b0_origin(tmp_path, monkeypatch, keras_cache):
    """EfficientNet-B0's no-top weights file as Keras would download it: a stand-in with seeded random weights
    at a file:// address, its checksum where Keras keeps the real one."""
    efficientnet = keras_module(keras.applications.EfficientNetB0)
    keras.utils.set_random_seed(3)
    stand_in = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=(64, 64, 3))
    origin = tmp_path / "origin"
    legacy_weights_file(stand_in, origin / "efficientnetb0_notop.h5")
    monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", origin.as_uri() + "/")
    hashes = dict(efficientnet.WEIGHTS_HASHES)
    hashes["b0"] = (hashes["b0"][0], sha256(origin / "efficientnetb0_notop.h5"))
    monkeypatch.setattr(efficientnet, "WEIGHTS_HASHES", hashes)
    return stand_in, origin, efficientnet


@pytest.mark.slow
def test_paper_a_backbone_imagenet_weights_are_fetched_verified_cached_and_loaded(efficientnet_b0_origin, keras_cache):
    stand_in, _, _ = efficientnet_b0_origin
    cached, _ = architectures.imagenet_weights_source("efficientnet_b0")
    assert not cached.exists()
    backbone = architectures.build_backbone("efficientnet_b0", 64, "imagenet")
    assert cached.is_file()  # fetched into the cache the pre-flight check looks at
    inner = next(layer for layer in backbone.layers if isinstance(layer, keras.Model))  # the Keras application
    expected = stand_in.get_weights()
    assert len(inner.get_weights()) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(inner.get_weights(), expected, strict=True))  # the stand-in's
    again = architectures.build_backbone("efficientnet_b0", 64, "imagenet")  # from the cache now
    assert np.array_equal(again.get_weights()[0], backbone.get_weights()[0])


@pytest.mark.slow
def test_a_weights_file_whose_checksum_does_not_match_is_refused_with_the_offline_message(efficientnet_b0_origin):
    _, origin, efficientnet = efficientnet_b0_origin
    (origin / "efficientnetb0_notop.h5").write_bytes(b"tampered" + (origin / "efficientnetb0_notop.h5").read_bytes())
    with pytest.raises(
        UserInputError, match="backbone efficientnet_b0: ImageNet weights could not be fetched.*weights: none"
    ):
        architectures.build_backbone("efficientnet_b0", 64, "imagenet")


@pytest.mark.slow
def test_with_neither_network_nor_cache_the_offline_message_stays(tmp_path, monkeypatch, keras_cache):
    efficientnet = keras_module(keras.applications.EfficientNetB0)
    monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", (tmp_path / "nowhere").as_uri() + "/")
    with pytest.raises(UserInputError, match="could not be fetched .*efficientnet_lite0.*weights: none"):
        architectures.build_backbone("efficientnet_b0", 64, "imagenet")


@pytest.mark.slow
def test_the_papers_512_d_facenet_is_fetched_verified_and_embeds(tmp_path, monkeypatch):
    """keras-facenet's prebuilt 20180402-114759 model: a stand-in of its architecture, fetched from a file://
    address into the keras-facenet cache under $HOME, its sha256 checked by keras-facenet, then used."""
    from keras_facenet import metadata
    from keras_facenet.inception_resnet_v1 import InceptionResNetV1

    keras.utils.set_random_seed(5)
    stand_in = InceptionResNetV1(input_shape=(None, None, 3), classes=512)
    origin = tmp_path / "origin" / "20180402-114759-weights.h5"
    legacy_weights_file(stand_in, origin)
    entry = {**metadata.MODEL_METADATA["20180402-114759"], "keras_weights_url": origin.as_uri(),
             "keras_weights_sha256": sha256(origin)}
    monkeypatch.setitem(metadata.MODEL_METADATA, "20180402-114759", entry)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    embedder = facenet.FaceNetEmbedder("20180402-114759")
    assert embedder.dimensions == 512
    assert (tmp_path / "home" / ".keras-facenet" / "20180402-114759" / "20180402-114759-weights.h5").is_file()
    crops = np.random.default_rng(0).integers(0, 255, (2, 160, 160, 3)).astype(np.uint8)
    embeddings = embedder.embed(crops)
    assert embeddings.shape == (2, 512) and np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-4)
    tampered = {**entry, "keras_weights_sha256": "0" * 64}
    monkeypatch.setitem(metadata.MODEL_METADATA, "20180402-114759", tampered)
    (tmp_path / "home" / ".keras-facenet" / "20180402-114759" / "20180402-114759-weights.h5").unlink()
    with pytest.raises(UserInputError, match="keras-facenet could not fetch its weights"):
        facenet.FaceNetEmbedder("20180402-114759")
