"""The project's registered Keras layers: what they compute, and that a saved model rebuilds them."""

from __future__ import annotations

import keras
import numpy as np

from dfutils.nets.layers import FoldTime, L2Normalize, Scale, UnfoldTime


def test_fold_and_unfold_time_are_inverse_and_keep_each_clips_frames_together():
    clips = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    folded = np.asarray(FoldTime()(clips))
    assert folded.shape == (6, 4)
    np.testing.assert_array_equal(folded[3], clips[1, 0])  # clip 1's first frame follows clip 0's three
    np.testing.assert_array_equal(np.asarray(UnfoldTime(3)(folded)), clips)
    assert FoldTime().compute_output_shape((None, 3, 4)) == (None, 4)
    assert UnfoldTime(3).compute_output_shape((6, 4)) == (2, 3, 4)


def test_l2_normalize_gives_unit_vectors_and_leaves_zero_alone():
    vectors = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(np.asarray(L2Normalize()(vectors)), [[0.6, 0.8], [0.0, 0.0]], atol=1e-7)


def test_a_model_of_every_layer_saves_and_loads_in_safe_mode(tmp_path):
    clips = keras.Input((3, 4))
    x = UnfoldTime(3)(Scale(0.5)(FoldTime()(clips)))
    model = keras.Model(clips, L2Normalize()(keras.layers.Flatten()(x)))
    model.save(tmp_path / "layers.keras")
    loaded = keras.models.load_model(tmp_path / "layers.keras", safe_mode=True)
    batch = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)
    assert loaded.layers[2].get_config()["scale"] == 0.5
