"""Model files: settings and classifier travel with the network, and loading one never runs code from it."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from dfutils.cli import main
from dfutils.detectors import model_files
from dfutils.detectors.model_files import UnsafeModelFile
from dfutils.errors import UserInputError
from dfutils.nets import architectures, triplet

TINY = {"lstm_units": 8, "dense_units": 4, "dropout_rate": 0.0}
EXTRACTION = {"detector": "mtcnn", "frames": 4, "fps": None, "size": 64, "margin": 0.35, "margin_px": 0,
              "detect_side": 640, "min_score": None, "keyframe_every": None}


def test_saved_model_carries_its_settings_and_predicts_the_same(tmp_path):
    model = architectures.build_time_distributed("efficientnet_b0", 3, 32, None, **TINY)
    path = model_files.save_model(
        model, tmp_path / "m.keras", {"frames": 3, "size": 32, "extraction": {"detector": "ssd"}}
    )
    with zipfile.ZipFile(path) as bundle:
        assert json.loads(bundle.read(model_files.SETTINGS_MEMBER))["extraction"]["detector"] == "ssd"
    loaded, settings = model_files.load_model(path)
    assert settings["frames"] == 3
    clips = np.random.default_rng(0).uniform(0, 255, (1, 3, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(clips, verbose=0), model.predict(clips, verbose=0), atol=1e-6)
    with pytest.raises(UserInputError, match="model file not found"):
        model_files.load_model(tmp_path / "none.keras")
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(UserInputError, match="not a .keras model file"):
        model_files.load_model(tmp_path / "text.keras")


@pytest.mark.parametrize("kind", triplet.CLASSIFIERS)
def test_classifiers_round_trip_through_the_skops_member(kind, tmp_path):
    generator = np.random.default_rng(1)
    x, y = generator.normal(size=(60, 8)), np.arange(60) % 2
    classifier = triplet.make_classifier(kind, seed=0, trees=5).fit(x, y)
    path = model_files.save_model(triplet.build_embedding_network(16, 8, 8, 0.1), tmp_path / "p.keras",
                                  {"frames": 2, "architecture": "triplet"}, classifier=classifier)
    with zipfile.ZipFile(path) as bundle:
        assert model_files.CLASSIFIER_MEMBER in bundle.namelist()
        assert not any(name.endswith(model_files.PICKLED_MEMBER_SUFFIXES) for name in bundle.namelist())
    np.testing.assert_allclose(model_files.load_classifier(path).predict_proba(x), classifier.predict_proba(x))


class _Payload:
    """Unpickling this runs ``touch <marker>``: what a crafted model file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def frame_model_file(tmp_path):
    keras.utils.set_random_seed(0)
    model = architectures.build_frame_classifier("efficientnet_b0", 32, None, embedding_units=8, dropout_rate=0.3)
    return model_files.save_model(model, tmp_path / "frames.keras",
                                  {"extraction": EXTRACTION, "frames": 2, "size": 32, "architecture": "frames"})


def _add_member(path, name, data):
    with zipfile.ZipFile(path, "a") as bundle:
        bundle.writestr(name, data)


@pytest.mark.parametrize("member", ["dfutils_classifier.pickle", "anything.pkl"])
def test_a_pickle_in_a_model_file_is_refused_and_never_run(frame_model_file, tmp_path, member, capsys):
    marker = tmp_path / "pwned"
    _add_member(frame_model_file, member, pickle.dumps(_Payload(marker)))
    with pytest.raises(UnsafeModelFile, match="re-save the model"):
        model_files.load_model(frame_model_file)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    assert main(["predict", "--model", str(frame_model_file), str(video)]) == 2
    assert "refused" in capsys.readouterr().err
    assert not marker.exists()
    pickle.loads(pickle.dumps(_Payload(marker)))  # the payload is real: unpickled, it leaves the marker
    assert marker.exists()


def test_a_classifier_member_naming_other_types_is_refused(tmp_path):
    import skops.io
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    marker = tmp_path / "pwned"
    network = triplet.build_embedding_network(16, 8, 8, 0.1)
    path = model_files.save_model(network, tmp_path / "p.keras", {"frames": 2, "architecture": "triplet"})
    # a reference to os.system: what a crafted classifier would carry, and skops will not rebuild it untold
    crafted = make_pipeline(FunctionTransformer(os.system))
    _add_member(path, model_files.CLASSIFIER_MEMBER, skops.io.dumps(crafted))
    with pytest.raises(UnsafeModelFile, match="not on the list of types"):
        model_files.load_classifier(path)
    assert not marker.exists()
    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(crafted))
    skops.io.loads(skops.io.dumps(crafted), trusted=untrusted).transform(f"touch {marker}")  # the payload is real
    assert marker.exists()


def test_a_lambda_layer_is_refused_in_a_fresh_process(tmp_path):
    marker = tmp_path / "pwned"
    image = keras.Input((4,))
    # the lambda would leave the marker when Keras rebuilt the layer and called it
    touch_then_pass = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]")  # noqa: S307
    output = keras.layers.Lambda(touch_then_pass, output_shape=(4,))(image)
    path = tmp_path / "lambda.keras"
    keras.Model(image, output).save(path)
    _add_member(path, model_files.SETTINGS_MEMBER, json.dumps({"architecture": "frames", "frames": 1, "size": 32,
                                                               "extraction": EXTRACTION}))
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    result = subprocess.run([sys.executable, "-m", "dfutils", "predict", "--model", str(path), str(video)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "refused" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()
    keras.models.load_model(path, safe_mode=False)(np.zeros((1, 4), np.float32))  # the payload is real
    assert marker.exists()


@pytest.mark.parametrize("kind", ["functional", "sequential"])  # wrapped as it is / rebuilt from its config
def test_a_model_file_holds_the_network_without_the_optimizer_state(kind, tmp_path):
    """The file a user shares is the network: a trained model's optimizer moments would triple it."""
    import zipfile

    import h5py
    import keras
    import numpy as np

    if kind == "functional":
        model = architectures.build_conv3d(4, 32, (4, 8), 8, 0.3)
    else:
        model = keras.Sequential([keras.Input((4, 32, 32, 3)), keras.layers.Conv3D(4, 3, activation="relu"),
                                  keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    model.fit(np.zeros((4, 4, 32, 32, 3)), np.array([0, 1, 0, 1.0]), verbose=0)
    path = model_files.save_model(model, tmp_path / "conv3d.keras", {"architecture": "conv3d"})
    with zipfile.ZipFile(path) as bundle:
        bundle.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as weights:
        assert "optimizer" not in weights and "layers" in weights
    loaded, settings = model_files.load_model(path)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)
