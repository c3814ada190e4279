import numpy as np
import pytest

from dfutils.seeding import rng, seed_everything


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


def test_named_streams_are_independent_and_repeatable():
    assert rng(1, "split").integers(1 << 30) == rng(1, "split").integers(1 << 30)
    assert rng(1, "split").integers(1 << 30) != rng(1, "balance").integers(1 << 30)
    assert rng(1, "split").integers(1 << 30) != rng(2, "split").integers(1 << 30)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(bad, keras=False)
