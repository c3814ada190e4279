"""The project's own Keras layers, registered for saving and loading.

They live apart from the model builders so that loading a model file
(:mod:`dfutils.detectors.model_files`) registers exactly these and imports nothing else.
Each uses ``keras.ops`` only (TensorFlow and JAX backends).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="dfutils")
class FoldTime(layers.Layer):
    """(B, T, ...) -> (B*T, ...): every frame becomes one item of a bigger batch."""

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None or input_shape[1] is None else input_shape[0] * input_shape[1]
        return (batch, *input_shape[2:])


@keras.saving.register_keras_serializable(package="dfutils")
class UnfoldTime(layers.Layer):
    """(B*T, F) -> (B, T, F) for a known number of frames T."""

    def __init__(self, frames: int, **kwargs):
        super().__init__(**kwargs)
        self.frames = frames

    def call(self, inputs):
        return ops.reshape(inputs, (-1, self.frames, *inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        batch = None if input_shape[0] is None else input_shape[0] // self.frames
        return (batch, self.frames, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "frames": self.frames}


@keras.saving.register_keras_serializable(package="dfutils")
class L2Normalize(layers.Layer):
    """Unit-length vectors along the last axis (the triplet network's embedding)."""

    def call(self, inputs):
        return inputs / ops.maximum(ops.norm(inputs, axis=-1, keepdims=True), 1e-12)


@keras.saving.register_keras_serializable(package="dfutils")
class Scale(layers.Layer):
    """Multiply by a constant (Inception-ResNet's residual scaling, a Lambda in the Keras 2 code)."""

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
