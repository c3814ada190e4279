"""Grad-CAM (Selvaraju et al. 2017) for the frame classifier, like Paper B's Fig. 4.

The map is the ReLU of the backbone's last convolutional feature maps weighted by
the mean gradient of the fake probability with respect to each map. Gradients
use TensorFlow (the backend the notebooks run on here).
"""

from __future__ import annotations

import keras
import numpy as np

from dfutils.nets.architectures import EMBEDDING_LAYER


def _parts(frame_model: keras.Model):
    features = next(layer for layer in frame_model.layers if isinstance(layer, keras.Model))
    network = next(layer for layer in features.layers if isinstance(layer, keras.Model))
    preprocess = next((layer for layer in features.layers if layer.name == "preprocess"), None)
    # the backbone ends with its global average pooling; the layer before it is the last feature map
    conv_model = keras.Model(network.inputs, network.layers[-2].output)
    head = [frame_model.get_layer(EMBEDDING_LAYER), frame_model.get_layer("fake_probability")]
    return preprocess, conv_model, head


def grad_cam(frame_model: keras.Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heat maps in [0, 1] at the images' size and the fake probabilities, for face crops in [0, 255]."""
    import cv2
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("grad_cam needs the TensorFlow backend")
    preprocess, conv_model, head = _parts(frame_model)
    inputs = tf.convert_to_tensor(np.asarray(images, dtype=np.float32))
    if preprocess is not None:
        inputs = preprocess(inputs)
    with tf.GradientTape() as tape:
        maps = conv_model(inputs, training=False)
        tape.watch(maps)
        x = tf.reduce_mean(maps, axis=(1, 2))
        for layer in head:
            x = layer(x)
        probability = x[:, 0]
    gradients = tape.gradient(probability, maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    cams = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1)).numpy()
    size = images.shape[1]
    out = []
    for cam in cams:
        cam = cam / cam.max() if cam.max() > 0 else cam
        out.append(cv2.resize(cam.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR))
    return np.stack(out), probability.numpy()


def plot_grad_cam(images: np.ndarray, cams: np.ndarray, probabilities: np.ndarray, titles: list[str]):
    """Each crop above its Grad-CAM overlay."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, len(images), figsize=(2.1 * len(images), 4.4), squeeze=False)
    for column, (image, cam, probability, title) in enumerate(zip(images, cams, probabilities, titles, strict=True)):
        axes[0][column].imshow(image.astype(np.uint8))
        axes[0][column].set_title(f"{title}\np(fake) {probability:.2f}", fontsize=8)
        axes[1][column].imshow(image.astype(np.uint8))
        axes[1][column].imshow(cam, cmap="jet", alpha=0.45)
        for row in (0, 1):
            axes[row][column].axis("off")
    figure.suptitle("Grad-CAM of the frame classifier (top: crop, bottom: where the fake evidence is)", y=1.0)
    figure.tight_layout()
    return figure
