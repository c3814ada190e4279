"""One call that seeds every random number generator a run touches."""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, *, keras: bool = True) -> None:
    """Seed Python, NumPy and (if ``keras``) Keras with its backend.

    ``keras.utils.set_random_seed`` seeds Python, NumPy and the backend
    framework (TensorFlow or JAX) together. Keras is imported only when asked
    for, because importing TensorFlow takes seconds.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by worker processes
    random.seed(seed)
    np.random.seed(seed)
    if keras:
        import keras as keras_module

        keras_module.utils.set_random_seed(seed)


def seed_keras(seed: int) -> None:
    """Seed what building a Keras model draws (initial weights, dropout states) as
    ``keras.utils.set_random_seed`` does (Python, NumPy and Keras' own generator), less
    TensorFlow's global seed.

    ``tf.random.set_seed`` also clears TensorFlow's caches of compiled functions: the next step
    of a model traced before compiles again (6 s for an Xception on a 2-core CPU, which every
    part of a bagging ensemble trained in one model paid). Keras draws through its own
    generators with stateless ops, so models are built the same without it; TensorFlow's seed
    (used by Keras to shuffle arrays in ``fit``) stays as :func:`seed_everything` set it.
    """
    import sys

    import keras

    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None:  # nothing to spare: Keras' own seeding as it is
        keras.utils.set_random_seed(seed)
        return
    set_seed = tensorflow.random.set_seed
    tensorflow.random.set_seed = lambda seed: None  # Keras' public seeding, TensorFlow's seed (and caches) left alone
    try:
        keras.utils.set_random_seed(seed)
    finally:
        tensorflow.random.set_seed = set_seed


def rng(seed: int, *streams: int | str) -> np.random.Generator:
    """An independent NumPy generator for one named stream of a seeded run.

    ``rng(seed, "split")`` and ``rng(seed, "balance")`` never share draws, so
    adding a random step to one part of the pipeline does not change another.
    """
    keys = [seed] + [
        s if isinstance(s, int) else int.from_bytes(s.encode(), "little") % (2**32) for s in streams
    ]
    return np.random.default_rng(keys)
