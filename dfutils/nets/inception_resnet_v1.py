"""FaceNet's Inception-ResNet v1 in Keras 3 layers, so that it runs on any backend.

The architecture and layer names of ``keras_facenet.inception_resnet_v1`` (MIT licence, after
David Sandberg's facenet), whose Keras 2 code imports ``tensorflow.keras`` and scales residuals
and normalises the output in Lambda layers: here :class:`dfutils.nets.layers.Scale` and
:class:`dfutils.nets.layers.L2Normalize` do that, so the network also builds on JAX and a saved file
holds no code. The layer names are the original ones, so the pretrained HDF5 weights load by name
(:func:`dfutils.nets.facenet._copy_h5_weights`); tests/test_facenet.py checks that both builds give the
same embeddings.
"""

from __future__ import annotations

import keras
from keras import layers

from dfutils.nets.layers import L2Normalize, Scale


def _name(prefix: str | None, name: str, branch: int | None = None) -> str | None:
    if prefix is None:
        return None
    return "_".join((prefix, name) if branch is None else (prefix, "Branch", str(branch), name))


def _conv_bn(x, filters, kernel, strides=1, padding="same", activation="relu", use_bias=False, name=None):
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, momentum=0.995, epsilon=0.001, scale=False,
                                      name=_name(name, "BatchNorm"))(x)
    if activation is not None:
        x = layers.Activation(activation, name=_name(name, "Activation"))(x)
    return x


# block type -> branches, each a list of (filters, kernel) convolutions
_BLOCKS = {
    "Block35": [[(32, 1, "Conv2d_1x1")], [(32, 1, "Conv2d_0a_1x1"), (32, 3, "Conv2d_0b_3x3")],
                [(32, 1, "Conv2d_0a_1x1"), (32, 3, "Conv2d_0b_3x3"), (32, 3, "Conv2d_0c_3x3")]],
    "Block17": [[(128, 1, "Conv2d_1x1")],
                [(128, 1, "Conv2d_0a_1x1"), (128, (1, 7), "Conv2d_0b_1x7"), (128, (7, 1), "Conv2d_0c_7x1")]],
    "Block8": [[(192, 1, "Conv2d_1x1")],
               [(192, 1, "Conv2d_0a_1x1"), (192, (1, 3), "Conv2d_0b_1x3"), (192, (3, 1), "Conv2d_0c_3x1")]],
}


def _residual_block(x, scale: float, block: str, index: int, activation: str | None = "relu"):
    prefix = f"{block}_{index}"
    branches = []
    for number, convolutions in enumerate(_BLOCKS[block]):
        y = x
        for filters, kernel, name in convolutions:
            y = _conv_bn(y, filters, kernel, name=_name(prefix, name, number))
        branches.append(y)
    mixed = layers.Concatenate(axis=3, name=_name(prefix, "Concatenate"))(branches)
    up = _conv_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=_name(prefix, "Conv2d_1x1"))
    x = layers.Add()([x, Scale(scale)(up)])
    if activation is not None:
        x = layers.Activation(activation, name=_name(prefix, "Activation"))(x)
    return x


def _reduction(x, prefix: str, branches: list, pool_branch: int):
    outputs = []
    for number, convolutions in enumerate(branches):
        y = x
        for filters, kernel, strides, padding, name in convolutions:
            y = _conv_bn(y, filters, kernel, strides=strides, padding=padding, name=_name(prefix, name, number))
        outputs.append(y)
    outputs.append(layers.MaxPooling2D(3, strides=2, padding="valid",
                                       name=_name(prefix, "MaxPool_1a_3x3", pool_branch))(x))
    return layers.Concatenate(axis=3, name=prefix)(outputs)


def inception_resnet_v1(input_shape=(160, 160, 3), classes: int = 128, dropout_keep_prob: float = 0.8) -> keras.Model:
    inputs = keras.Input(shape=input_shape)
    x = _conv_bn(inputs, 32, 3, strides=2, padding="valid", name="Conv2d_1a_3x3")
    x = _conv_bn(x, 32, 3, padding="valid", name="Conv2d_2a_3x3")
    x = _conv_bn(x, 64, 3, name="Conv2d_2b_3x3")
    x = layers.MaxPooling2D(3, strides=2, name="MaxPool_3a_3x3")(x)
    x = _conv_bn(x, 80, 1, padding="valid", name="Conv2d_3b_1x1")
    x = _conv_bn(x, 192, 3, padding="valid", name="Conv2d_4a_3x3")
    x = _conv_bn(x, 256, 3, strides=2, padding="valid", name="Conv2d_4b_3x3")
    for index in range(1, 6):
        x = _residual_block(x, 0.17, "Block35", index)
    x = _reduction(x, "Mixed_6a", [
        [(384, 3, 2, "valid", "Conv2d_1a_3x3")],
        [(192, 1, 1, "same", "Conv2d_0a_1x1"), (192, 3, 1, "same", "Conv2d_0b_3x3"),
         (256, 3, 2, "valid", "Conv2d_1a_3x3")],
    ], pool_branch=2)
    for index in range(1, 11):
        x = _residual_block(x, 0.1, "Block17", index)
    x = _reduction(x, "Mixed_7a", [
        [(256, 1, 1, "same", "Conv2d_0a_1x1"), (384, 3, 2, "valid", "Conv2d_1a_3x3")],
        [(256, 1, 1, "same", "Conv2d_0a_1x1"), (256, 3, 2, "valid", "Conv2d_1a_3x3")],
        [(256, 1, 1, "same", "Conv2d_0a_1x1"), (256, 3, 1, "same", "Conv2d_0b_3x3"),
         (256, 3, 2, "valid", "Conv2d_1a_3x3")],
    ], pool_branch=3)
    for index in range(1, 6):
        x = _residual_block(x, 0.2, "Block8", index)
    x = _residual_block(x, 1.0, "Block8", 6, activation=None)
    x = layers.GlobalAveragePooling2D(name="AvgPool")(x)
    x = layers.Dropout(1.0 - dropout_keep_prob, name="Dropout")(x)
    x = layers.Dense(classes, use_bias=False, name="Bottleneck")(x)
    x = layers.BatchNormalization(momentum=0.995, epsilon=0.001, scale=False, name="Bottleneck_BatchNorm")(x)
    return keras.Model(inputs, L2Normalize(name="normalize")(x), name="inception_resnet_v1")
