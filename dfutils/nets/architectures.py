"""Paper A's model family: an ImageNet CNN on every frame, an LSTM over the frames, dense layers.

``build_time_distributed`` applies the backbone by folding time into the batch
axis (``(B, T, H, W, C) -> (B*T, H, W, C)``, backbone, then back to
``(B, T, features)``) instead of ``keras.layers.TimeDistributed``, which builds
one copy of the backbone per frame and is several times slower to build,
train and predict on this machine (``dfutils bench model`` measures it). Both
give the same outputs with the same weights (a test checks). Model code uses
``keras.ops`` only, so it runs on the TensorFlow and the JAX backend.

Inputs are face crops as floats in [0, 255]; each backbone's own
preprocessing is inside the model, so a saved model needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
from keras import layers

from dfutils.errors import UserInputError
from dfutils.nets.layers import FoldTime, UnfoldTime
from dfutils.papers import PAPER_A_BACKBONES, PAPER_A_TABLE2


@dataclass(frozen=True)
class Backbone:
    constructor: str  # name in keras.applications, or of an EfficientNet-Lite variant
    preprocessing: str  # "none": the model rescales itself (EfficientNet); "tf": x / 127.5 - 1
    min_size: int
    offline_weights: bool = False  # ImageNet weights ship in a registry package (dfutils.assets)
    stands_for: str = ""  # the paper backbone an offline one replaces where ImageNet weights cannot be fetched

    def paper_backbone(self, name: str) -> str:
        return self.stands_for or name


BACKBONES = {
    "efficientnet_b0": Backbone("EfficientNetB0", "none", 32),
    "efficientnet_b1": Backbone("EfficientNetB1", "none", 32),
    "xception": Backbone("Xception", "tf", 71),
    "inception_v3": Backbone("InceptionV3", "tf", 75),
    # the papers' backbones need a download for ImageNet weights; these do not (dfutils.nets.efficientnet_lite)
    "efficientnet_lite0": Backbone("efficientnet_lite0", "tf", 32, True, "efficientnet_b0"),
    "efficientnet_lite1": Backbone("efficientnet_lite1", "tf", 32, True, "efficientnet_b1"),
    "efficientnet_lite2": Backbone("efficientnet_lite2", "tf", 32, True, "efficientnet_b1"),
}
OFFLINE_BACKBONES = tuple(name for name, spec in BACKBONES.items() if spec.offline_weights)

# Paper A, Table 2: parameters of each full model (backbone + LSTM + dense head). The paper
# does not give the head; its counts pin it down: minus Keras's backbones without top they
# leave 729,722 (1280 features) and 1,122,945 (2048 features), whose difference 393,223 is
# 4*h*768 for an LSTM of h = 128 units; LSTM(128) -> Dense(64) -> Dense(1) then matches all
# four counts to within 7 parameters. Those are the defaults below.
PAPER_A_PARAMETERS = {
    backbone: int(PAPER_A_TABLE2.loc[row, "parameters"]) for backbone, row in PAPER_A_BACKBONES.items()
}


# The ImageNet weights (no top) keras.applications downloads for the papers' backbones: its address and the MD5 it
# checks the file against, as Keras 3 states them (in private modules: stated here once, and
# tests/nets/test_architectures.py checks them against the installed Keras)
KERAS_IMAGENET_WEIGHTS = {
    "efficientnet_b0": ("https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
                        "50bc09e76180e00e4465e1a485ddc09d"),
    "efficientnet_b1": ("https://storage.googleapis.com/keras-applications/efficientnetb1_notop.h5",
                        "74c4e6b3e1f6a1eea24c589628592432"),
    "xception": ("https://storage.googleapis.com/tensorflow/keras-applications/xception/"
                 "xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
    "inception_v3": ("https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                     "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
}


def imagenet_weights_source(name: str) -> tuple[Path, str]:
    """Where Keras keeps a paper backbone's ImageNet weights without top once downloaded, and where it
    downloads them from (:data:`KERAS_IMAGENET_WEIGHTS`; ``$KERAS_HOME`` moves the cache)."""
    import os

    spec = BACKBONES[name]
    if spec.offline_weights:
        raise ValueError(f"{name}: its weights ship in a registry package (dfutils.assets), not a Keras download")
    url, _ = KERAS_IMAGENET_WEIGHTS[name]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    return home / "models" / url.rsplit("/", 1)[1], url


def freeze_batch_normalization(model):
    """Every BatchNormalization layer of ``model`` (nested ones too) in inference mode: it normalises with
    the pretrained moving statistics and they stay as they are (Keras' advice for fine-tuning)."""
    import keras

    frozen = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
            frozen += 1
    return frozen


def build_backbone(name: str, size: int, weights: str | None, start: list | None = None):
    """The backbone without its top, global-average pooled, with its preprocessing in front.

    ``weights``: ``imagenet``, or ``none`` (or None) for random weights; ``start``: the weights of a backbone trained
    on deepfakes (:mod:`dfutils.detectors.backbone_files`, from any input size), copied in with its trained
    batch-norm statistics."""
    if name not in BACKBONES:
        raise UserInputError(f"backbone: unknown {name!r}; expected one of {', '.join(BACKBONES)}")
    spec = BACKBONES[name]
    if size < spec.min_size:
        raise UserInputError(f"size: {name} needs crops of at least {spec.min_size} px, got {size}")
    if weights not in (None, "none", "imagenet"):
        raise UserInputError(f"weights: expected 'imagenet' or 'none' here, got {weights!r} (a backbone trained on "
                             "deepfakes is read by the detector: dfutils.detectors.backbone_files)")
    weights = None if weights in (None, "none") or start is not None else weights
    if spec.offline_weights:
        from dfutils.nets.efficientnet_lite import efficientnet_lite

        network = efficientnet_lite(spec.constructor, (size, size, 3), weights, include_top=False, pooling="avg")
    else:
        network = _keras_application(name, spec, size, weights)
    if weights is None and start is None:
        # From scratch on a small set, the default momentum (0.99) leaves the moving statistics
        # near their initial values for hundreds of steps, and inference then predicts a
        # constant; 0.9 lets them settle within the few hundred steps a CPU run has.
        for layer in network.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.momentum = 0.9
    image = keras.Input((size, size, 3), name="frame")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")(image) if spec.preprocessing == "tf" else image
    features = keras.Model(image, network(x), name=f"{name}_features")
    if start is not None:  # trained weights and statistics, fine-tuned as ImageNet's are
        expected = [tuple(weight.shape) for weight in features.weights]
        if [tuple(value.shape) for value in start] != expected:
            raise UserInputError(f"start: {len(start)} arrays that do not fit a {name} backbone ({len(expected)})")
        features.set_weights(start)
    return features


def _keras_application(name: str, spec: Backbone, size: int, weights: str | None):
    constructor = getattr(keras.applications, spec.constructor)
    try:
        return constructor(include_top=False, weights=weights, input_shape=(size, size, 3), pooling="avg")
    except Exception as error:  # noqa: BLE001 - any download failure becomes one clear message
        if weights is None:
            raise
        raise UserInputError(
            f"backbone {name}: ImageNet weights could not be fetched ({type(error).__name__}: "
            f"{str(error).splitlines()[0][:120]}); Keras downloads them on first use, so this machine "
            "needs internet access once; offline, use one of the EfficientNet-Lite backbones "
            f"({', '.join(OFFLINE_BACKBONES)}, ImageNet weights shipped in a registry package) "
            "or set `weights: none` in the profile's settings (paper_a, frame_classifier, self_blended) to train "
            "from scratch"
        ) from None


def build_time_distributed(backbone: str, frames: int, size: int, weights: str | None, lstm_units: int,
                           dense_units: int, dropout_rate: float, fold_time: bool = True,
                           start: list | None = None) -> keras.Model:
    """Paper A: backbone on every frame, an LSTM over the frame features, dense layers, a sigmoid.

    ``fold_time=False`` builds the same network with ``keras.layers.TimeDistributed``
    (for the equivalence test and the benchmark).
    """
    if frames < 1:
        raise UserInputError(f"frames: must be at least 1, got {frames}")
    if not 0 <= dropout_rate < 1:
        raise UserInputError(f"dropout_rate: must be in [0, 1), got {dropout_rate}")
    features = build_backbone(backbone, size, weights, start)
    return time_distributed_around(features, frames, lstm_units, dense_units, dropout_rate, fold_time,
                                   name=f"time_distributed_{backbone}")


def time_distributed_around(features: keras.Model, frames: int, lstm_units: int, dense_units: int,
                            dropout_rate: float, fold_time: bool = True, name: str = "time_distributed") -> keras.Model:
    """Paper A's model around any per-frame feature extractor (``features``: one image -> a vector)."""
    clips = keras.Input((frames, *features.input_shape[1:]), name="clip")
    if fold_time:
        x = UnfoldTime(frames, name="unfold_time")(features(FoldTime(name="fold_time")(clips)))
    else:
        x = layers.TimeDistributed(features, name="time_distributed")(clips)
    x = layers.LSTM(lstm_units, name="lstm")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    output = layers.Dense(1, activation="sigmoid", name="fake_probability", dtype="float32")(x)
    return keras.Model(clips, output, name=name)


def copy_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy weights between the folded and the TimeDistributed build of the same network."""
    target.set_weights(source.get_weights())


# --------------------------------------------------------------------------- Paper B
EMBEDDING_LAYER = "embedding"


def build_frame_classifier(backbone: str, size: int, weights: str | None, embedding_units: int,
                           dropout_rate: float, start: list | None = None) -> keras.Model:
    """Paper B's frames-only model: the backbone on one face crop (all layers trainable), a
    dense layer (Paper B: 512 units) (whose output is the per-frame embedding the LSTM/GRU models
    read), a sigmoid."""
    features = build_backbone(backbone, size, weights, start)
    image = keras.Input((size, size, 3), name="face")
    x = layers.Dense(embedding_units, activation="relu", name=EMBEDDING_LAYER)(features(image))
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    output = layers.Dense(1, activation="sigmoid", name="fake_probability", dtype="float32")(x)
    return keras.Model(image, output, name=f"frames_{backbone}")


def embedding_extractor(frame_classifier: keras.Model) -> keras.Model:
    """The frame classifier cut at its first dense layer: face crop -> 512-d embedding."""
    return keras.Model(frame_classifier.input, frame_classifier.get_layer(EMBEDDING_LAYER).output,
                       name=f"{frame_classifier.name}_embedding")


def build_sequence_classifier(cell: str, frames: int, features: int, units: int) -> keras.Model:
    """Paper B's frames + LSTM/GRU: one recurrent layer of ``units`` over per-frame embeddings, a sigmoid."""
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}
    if cell not in recurrent:
        raise UserInputError(f"cell: expected 'lstm' or 'gru', got {cell!r}")
    sequence = keras.Input((frames, features), name="frame_embeddings")
    x = recurrent[cell](units, name=cell)(sequence)
    output = layers.Dense(1, activation="sigmoid", name="fake_probability", dtype="float32")(x)
    return keras.Model(sequence, output, name=f"frames_{cell}")


def build_conv3d(frames: int, size: int, filters, dense_units: int, dropout_rate: float) -> keras.Model:
    """Paper B's 3D CNN, trained from scratch: 3x3x3 convolutions (``filters``), each followed by
    batch normalisation and 2x2x2 max pooling (an axis already down to 1 is not pooled
    further), global average pooling, a dense layer, a sigmoid. Inputs are clips in [0, 255]."""
    if not filters:
        raise UserInputError("filters: at least one convolution is needed")
    clips = keras.Input((frames, size, size, 3), name="clip")
    x = layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")(clips)
    depth, side = frames, size
    for i, width in enumerate(filters, start=1):
        x = layers.Conv3D(int(width), 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        pool = (2 if depth >= 2 else 1, 2 if side >= 2 else 1, 2 if side >= 2 else 1)
        x = layers.MaxPooling3D(pool, name=f"pool{i}")(x)
        depth, side = depth // pool[0], side // pool[1]
    x = layers.GlobalAveragePooling3D(name="average")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    output = layers.Dense(1, activation="sigmoid", name="fake_probability", dtype="float32")(x)
    return keras.Model(clips, output, name="conv3d")
