import numpy as np
import pytest

from dfutils.seeding import rng, seed_everything, seed_keras


def test_seed_everything_makes_numpy_python_and_keras_repeat():
    import random

    import keras

    def draws():
        return (random.random(), np.random.rand(), keras.ops.convert_to_numpy(keras.random.uniform((3,))).tolist())

    seed_everything(5)
    first = draws()
    seed_everything(5)
    assert draws() == first
    seed_everything(6)
    assert draws() != first


def test_seed_keras_builds_the_model_keras_own_seeding_builds_and_keeps_tensorflows_caches(monkeypatch):
    """Initial weights and dropout states as after keras.utils.set_random_seed, without the call to
    tf.random.set_seed that makes every traced model compile again."""
    import keras

    def model_state():
        inputs = keras.Input((6,))
        x = keras.layers.Dropout(0.5)(keras.layers.Dense(4)(inputs))
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
        draws = keras.ops.convert_to_numpy(keras.random.uniform((3,)))
        return [keras.ops.convert_to_numpy(v) for v in model.variables] + [draws]

    keras.utils.set_random_seed(8)
    expected = model_state()
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        monkeypatch.setattr(tf.random, "set_seed", lambda seed: pytest.fail("seed_keras set TensorFlow's seed"))
    keras.random.uniform((5,))  # draws in between
    seed_keras(8)
    for a, b in zip(model_state(), expected, strict=True):
        np.testing.assert_array_equal(a, b)
    seed_keras(9)
    assert not np.array_equal(model_state()[0], expected[0])


def test_named_streams_are_independent_and_repeatable():
    assert rng(1, "split").integers(1 << 30) == rng(1, "split").integers(1 << 30)
    assert rng(1, "split").integers(1 << 30) != rng(1, "balance").integers(1 << 30)
    assert rng(1, "split").integers(1 << 30) != rng(2, "split").integers(1 << 30)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(bad, keras=False)


TRAIN = """
import json, sys
import numpy as np
from dfutils.seeding import rng, seed_everything
import keras
from dfutils.nets import architectures, training
for seed in map(int, sys.argv[1:]):  # each seed in turn, the first in a fresh process
    seed_everything(seed)
    model = architectures.build_frame_classifier(
        "efficientnet_lite0", size=32, weights=None, embedding_units=16, dropout_rate=0.3
    )
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    draw = rng(seed, "data")
    x = draw.integers(0, 256, (48, 32, 32, 3)).astype("float32")
    y = (x[:, :16].mean(axis=(1, 2, 3)) > x[:, 16:].mean(axis=(1, 2, 3))).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    print(json.dumps({"loss": history.history["loss"], "scores": model.predict(x[:8], verbose=0).ravel().tolist()}))
"""


@pytest.mark.slow
def test_the_same_seed_trains_the_same_model_in_fresh_processes():
    """What the README promises: same seed and params, same figures on the same machine, also
    across processes (thread pools, graph tracing and allocation differ between runs)."""
    import json
    import subprocess
    import sys

    def train(*seeds):
        done = subprocess.run([sys.executable, "-c", TRAIN, *map(str, seeds)], capture_output=True, text=True,
                              timeout=600, check=True)
        return [json.loads(line) for line in done.stdout.strip().splitlines()[-len(seeds):]]

    (first,), (again, other) = train(3), train(3, 4)
    assert first == again
    assert first["scores"] != other["scores"]
