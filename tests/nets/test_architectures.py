"""The model builders of both papers (tiny sizes, CPU)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dfutils.detectors.settings import Conv3DSettings, FrameSettings
from dfutils.errors import UserInputError
from dfutils.nets import architectures
from dfutils.seeding import seed_everything

TINY = {"lstm_units": 8, "dense_units": 4, "dropout_rate": 0.0}


@pytest.mark.parametrize("backbone", ["efficientnet_b0", "xception"])
def test_folded_model_equals_time_distributed_with_the_same_weights(backbone):
    seed_everything(1)
    size = 32 if backbone.startswith("efficientnet") else 71
    folded = architectures.build_time_distributed(backbone, 3, size, None, **TINY)
    distributed = architectures.build_time_distributed(backbone, 3, size, None, fold_time=False, **TINY)
    architectures.copy_weights(folded, distributed)
    clips = np.random.default_rng(0).uniform(0, 255, (2, 3, size, size, 3)).astype("float32")
    np.testing.assert_allclose(folded.predict(clips, verbose=0), distributed.predict(clips, verbose=0), atol=1e-6)
    assert folded.count_params() == distributed.count_params()


def test_time_distributed_around_any_feature_extractor_scores_each_clip_from_its_own_frames():
    seed_everything(2)
    image = keras.Input((16, 16, 3))
    features = keras.Model(image, keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(image)))
    model = architectures.time_distributed_around(features, 5, **TINY, name="small")
    clips = np.random.default_rng(0).uniform(0, 255, (3, 5, 16, 16, 3)).astype("float32")
    scores = model.predict(clips, verbose=0)
    assert model.name == "small" and scores.shape == (3, 1)
    # folding time into the batch must not mix clips: each clip alone scores as in the batch
    alone = np.concatenate([model.predict(clips[i:i + 1], verbose=0) for i in range(3)])
    np.testing.assert_allclose(alone, scores, atol=1e-6)
    assert model.count_params() == features.count_params() + 4 * (8 * (4 + 8) + 8) + (8 * 4 + 4) + (4 + 1)


@pytest.mark.slow  # builds the four full-size backbones
def test_parameter_counts_match_paper_a_with_the_inferred_head():
    for backbone, paper in architectures.PAPER_A_PARAMETERS.items():
        model = architectures.build_time_distributed(backbone, 30, 240, None, lstm_units=128, dense_units=64,
                                                     dropout_rate=0.3)
        assert abs(model.count_params() - paper) <= 10, (backbone, model.count_params(), paper)


def test_imagenet_weights_offline_name_the_option_to_change(monkeypatch):
    def no_network(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -2] Name or service not known"
        )

    monkeypatch.setattr(keras.applications, "EfficientNetB0", no_network)
    with pytest.raises(UserInputError, match="ImageNet weights could not be fetched.*set `weights: none`"):
        architectures.build_backbone("efficientnet_b0", 64, "imagenet")


@pytest.mark.parametrize(("kwargs", "message"), [({"backbone": "resnet"}, "unknown 'resnet'"),
                                                 ({"size": 40, "backbone": "xception"}, "at least 71 px"),
                                                 ({"weights": "coco"}, "expected 'imagenet' or 'none'")])
def test_bad_model_options(kwargs, message):
    options = {"backbone": "efficientnet_b0", "size": 64, "weights": None, **kwargs}
    with pytest.raises(UserInputError, match=message):
        architectures.build_backbone(options["backbone"], options["size"], options["weights"])


def test_frame_classifier_embedding_and_sequence_models_have_paper_b_shapes():
    paper = FrameSettings()
    frame_model = architectures.build_frame_classifier(
        "efficientnet_b0", 32, None, paper.embedding_units, paper.dropout_rate
    )
    assert architectures.embedding_extractor(frame_model).output_shape == (None, 512)
    for cell in ("lstm", "gru"):
        sequence = architectures.build_sequence_classifier(cell, 25, 512, 32)
        assert sequence.get_layer(cell).units == 32 and sequence.output_shape == (None, 1)
    with pytest.raises(UserInputError, match="cell"):
        architectures.build_sequence_classifier("rnn", 25, 512, 32)


def test_conv3d_follows_paper_b_and_pools_only_while_an_axis_is_left():
    paper = Conv3DSettings()
    model = architectures.build_conv3d(paper.frames, paper.size, paper.filters, paper.dense_units, paper.dropout_rate)
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    assert [layer.filters for layer in convs] == [64, 128, 256, 256, 512, 512]  # Paper B's
    assert all(layer.kernel_size == (3, 3, 3) for layer in convs)
    assert model.get_layer("pool1").pool_size == (2, 2, 2)
    assert model.get_layer("pool6").output.shape[1:4] == (1, 1, 1)  # 32 frames -> 1, 112 px -> 1
    small = architectures.build_conv3d(4, 32, (4, 8, 8), 8, 0.3)
    assert small.get_layer("pool3").pool_size == (1, 2, 2)  # time is already 1 after two poolings
    assert small.predict(np.zeros((2, 4, 32, 32, 3), np.float32), verbose=0).shape == (2, 1)


def test_freezing_batch_normalization_keeps_the_moving_statistics_through_training():
    import keras

    from dfutils.nets import architectures, training

    model = architectures.build_frame_classifier("efficientnet_lite0", 32, "none", 16, 0.3)
    frozen = architectures.freeze_batch_normalization(model)
    assert frozen > 10
    norms = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    before = [layer.moving_mean.numpy().copy() for layer in norms]
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    images = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    model.fit(images, np.arange(8) % 2, epochs=1, verbose=0)
    assert all(np.array_equal(b, layer.moving_mean.numpy()) for b, layer in zip(before, norms, strict=True))


def test_the_imagenet_weights_addresses_and_checksums_are_keras_own():
    """Stated in dfutils (Keras keeps them in private modules); checked here against the installed Keras, whose
    modules are found through the public constructors they define."""
    import inspect

    efficientnet, inception_v3, xception = (inspect.getmodule(getattr(keras.applications, name))
                                            for name in ("EfficientNetB0", "InceptionV3", "Xception"))

    stated = architectures.KERAS_IMAGENET_WEIGHTS
    assert stated["efficientnet_b0"] == (efficientnet.BASE_WEIGHTS_PATH + "efficientnetb0_notop.h5",
                                         efficientnet.WEIGHTS_HASHES["b0"][1])
    assert stated["efficientnet_b1"] == (efficientnet.BASE_WEIGHTS_PATH + "efficientnetb1_notop.h5",
                                         efficientnet.WEIGHTS_HASHES["b1"][1])
    assert stated["xception"][0] == xception.WEIGHTS_PATH_NO_TOP
    assert stated["inception_v3"][0] == inception_v3.WEIGHTS_PATH_NO_TOP
    assert stated["xception"][1] in inspect.getsource(xception)
    assert stated["inception_v3"][1] in inspect.getsource(inception_v3)


# what a builder may default: how it builds (the folded or the TimeDistributed graph, a name), never what
NOT_HYPERPARAMETERS = {"fold_time", "name", "verbose", "start"}  # start: a trained backbone's weights, or none


def defaulted_hyperparameters(functions) -> list[str]:
    import inspect

    return [f"{function.__name__}({parameter.name}={parameter.default!r})" for function in functions
            for parameter in inspect.signature(function).parameters.values()
            if parameter.default is not parameter.empty and parameter.name not in NOT_HYPERPARAMETERS]


def test_no_builder_defaults_a_hyperparameter():
    """Each detector's settings dataclass is the one source of its hyperparameters: a default in a builder would be
    a second one, which the dataclass could silently disagree with."""
    import inspect

    from dfutils.nets import triplet

    builders = [function for module in (architectures, triplet)
                for name, function in inspect.getmembers(module, inspect.isfunction)
                if function.__module__ == module.__name__
                and (name.startswith(("build_", "train_", "make_")) or name == "time_distributed_around")]
    assert {"build_conv3d", "build_frame_classifier", "train_embedding_network", "make_classifier"} <= {
        function.__name__ for function in builders}
    assert defaulted_hyperparameters(builders) == []

    def with_a_default(frames: int, dense_units: int = 256, fold_time: bool = True):
        pass
    assert defaulted_hyperparameters([with_a_default]) == ["with_a_default(dense_units=256)"]
