"""Paper A models and the training machinery (tiny sizes, CPU)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from dfutils import clips, models, training
from dfutils.errors import UserInputError
from dfutils.faces import FaceCrops, save_crops
from dfutils.seeding import seed_everything

TINY = {"lstm_units": 8, "dense_units": 4, "dropout_rate": 0.0}


@pytest.mark.parametrize("backbone", ["efficientnet_b0", "xception"])
def test_folded_model_equals_time_distributed_with_the_same_weights(backbone):
    seed_everything(1)
    size = 32 if backbone.startswith("efficientnet") else 71
    folded = models.build_time_distributed(backbone, 3, size, **TINY)
    distributed = models.build_time_distributed(backbone, 3, size, fold_time=False, **TINY)
    models.copy_weights(folded, distributed)
    clips = np.random.default_rng(0).uniform(0, 255, (2, 3, size, size, 3)).astype("float32")
    np.testing.assert_allclose(folded.predict(clips, verbose=0), distributed.predict(clips, verbose=0), atol=1e-6)
    assert folded.count_params() == distributed.count_params()


def test_time_distributed_around_any_feature_extractor_scores_each_clip_from_its_own_frames():
    seed_everything(2)
    image = keras.Input((16, 16, 3))
    features = keras.Model(image, keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(image)))
    model = models.time_distributed_around(features, 5, **TINY, name="small")
    clips = np.random.default_rng(0).uniform(0, 255, (3, 5, 16, 16, 3)).astype("float32")
    scores = model.predict(clips, verbose=0)
    assert model.name == "small" and scores.shape == (3, 1)
    # folding time into the batch must not mix clips: each clip alone scores as in the batch
    alone = np.concatenate([model.predict(clips[i:i + 1], verbose=0) for i in range(3)])
    np.testing.assert_allclose(alone, scores, atol=1e-6)
    assert model.count_params() == features.count_params() + 4 * (8 * (4 + 8) + 8) + (8 * 4 + 4) + (4 + 1)


@pytest.mark.slow  # builds the four full-size backbones
def test_parameter_counts_match_paper_a_with_the_inferred_head():
    for backbone, paper in models.PAPER_A_PARAMETERS.items():
        model = models.build_time_distributed(backbone, 30, 240, lstm_units=128, dense_units=64)
        assert abs(model.count_params() - paper) <= 10, (backbone, model.count_params(), paper)


def test_imagenet_weights_offline_name_the_option_to_change(monkeypatch):
    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.applications, "EfficientNetB0", no_network)
    with pytest.raises(UserInputError, match="ImageNet weights could not be fetched.*set `weights: none`"):
        models.build_backbone("efficientnet_b0", 64, "imagenet")


@pytest.mark.parametrize(("kwargs", "message"), [({"backbone": "resnet"}, "unknown 'resnet'"),
                                                 ({"size": 40, "backbone": "xception"}, "at least 71 px"),
                                                 ({"weights": "coco"}, "expected 'imagenet' or 'none'")])
def test_bad_model_options(kwargs, message):
    options = {"backbone": "efficientnet_b0", "size": 64, "weights": None, **kwargs}
    with pytest.raises(UserInputError, match=message):
        models.build_backbone(options["backbone"], options["size"], options["weights"])


@pytest.fixture
def crop_cache(tmp_path):
    """A tiny face cache: fakes have a bright square in the face, reals do not."""
    rows = []
    generator = np.random.default_rng(0)
    for n in range(24):
        label = n % 2
        crops = generator.integers(60, 120, (5, 32, 32, 3)).astype(np.uint8)
        if label:
            crops[:, 10:22, 10:22] = 230
        name = f"crops/v{n}.npz"
        save_crops(FaceCrops(f"v{n}", crops, np.arange(5), np.zeros((5, 4)), np.ones(5, bool), 1, 5,
                             {"detector": "mtcnn", "size": 32}), tmp_path / name)
        rows.append({"video_id": f"v{n}", "label": label, "crops": name, "split": "train" if n < 16 else "val"})
    return tmp_path, pd.DataFrame(rows)


def test_clip_dataset_streams_batches_and_shuffles_per_epoch(crop_cache):
    folder, table = crop_cache
    dataset = clips.ClipDataset(table, folder, frames=3, size=32, batch_size=5, shuffle=True, seed=2)
    batch, labels = dataset[0]
    assert batch.shape == (5, 3, 32, 32, 3) and batch.dtype == np.float32 and labels.shape == (5,)
    assert len(dataset) == 5 and dataset[4][0].shape[0] == 4
    def served(source):  # every clip of one epoch, in the order the batches serve them
        return np.concatenate([source[k][0] for k in range(len(source))])

    first = served(dataset)
    dataset.on_epoch_end()
    second = served(dataset)
    assert not np.array_equal(first, second)  # a new order ...
    assert np.array_equal(np.sort(first.reshape(len(first), -1), axis=0), np.sort(second.reshape(len(second), -1), axis=0))  # ... of the same clips
    again = clips.ClipDataset(table, folder, frames=3, size=32, batch_size=5, shuffle=True, seed=2)
    np.testing.assert_array_equal(served(again), first)  # the same seed serves the same batches


def test_fit_clip_repeats_short_videos_and_resizes():
    crops = np.arange(3)[:, None, None, None] * np.ones((3, 8, 8, 3), np.uint8)
    clip = clips.fit_clip(crops, 6, 4)
    assert clip.shape == (6, 4, 4, 3)
    assert list(clip[:, 0, 0, 0]) == [0, 0, 1, 1, 2, 2]


def test_augmentation_changes_the_clip_the_same_way_for_every_frame():
    clip = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[None, None, :, None], (2, 16, 1, 3))
    flipped = clips.augment_clip(clip, clips.Augmentation(flip=True), np.random.default_rng(3))
    assert np.array_equal(flipped[0], flipped[1])
    jpeg = clips.augment_clip(clip, clips.Augmentation(jpeg_quality=30), np.random.default_rng(0))
    assert jpeg.shape == clip.shape and not np.array_equal(jpeg, clip)


def tiny_clip_model(frames=3, size=32):
    """The training machinery's tests need a model of the same shape, not a big backbone."""
    from keras import layers

    clips = keras.Input((frames, size, size, 3))
    x = models.FoldTime()(clips)
    x = layers.Rescaling(1 / 255)(x)
    x = layers.Conv2D(4, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = models.UnfoldTime(frames)(x)
    x = layers.LSTM(4)(x)
    return keras.Model(clips, layers.Dense(1, activation="sigmoid")(x))


def _train(folder, table, out, epochs, seed=4):
    seed_everything(seed)
    train = clips.ClipDataset(table[table["split"] == "train"], folder, 3, 32, 4, shuffle=True, seed=seed)
    val = clips.ClipDataset(table[table["split"] == "val"], folder, 3, 32, 4)
    model = tiny_clip_model()
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    history = training.fit(model, train, val, out, epochs=epochs, patience=10, verbose=0)
    return model, history, val


@pytest.mark.slow
def test_training_loss_falls_and_two_seeded_runs_agree(crop_cache):
    folder, table = crop_cache
    model, history, val = _train(folder, table, folder / "run1", epochs=8)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert (folder / "run1" / "best.weights.h5").is_file() and (folder / "run1" / "history.csv").is_file()
    assert not (folder / "run1" / "backup").exists()  # removed when training ends
    _, again, _ = _train(folder, table, folder / "run2", epochs=8)
    np.testing.assert_allclose(history["loss"], again["loss"], rtol=1e-5)
    np.testing.assert_allclose(history["val_auc"], again["val_auc"], rtol=1e-5)
    predictions = training.predict_table(model, val)
    assert list(predictions.columns[:2]) == ["video_id", "label"] and predictions["score"].between(0, 1).all()


@pytest.mark.slow
def test_interrupted_training_resumes_from_its_last_epoch(crop_cache, monkeypatch):
    folder, table = crop_cache

    class StopAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt  # the user pressed Ctrl-C, or the machine went away

    seed_everything(4)
    train = clips.ClipDataset(table[table["split"] == "train"], folder, 3, 32, 4, shuffle=True, seed=4)
    val = clips.ClipDataset(table[table["split"] == "val"], folder, 3, 32, 4)
    model = tiny_clip_model()
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    out = folder / "interrupted"
    original_fit = keras.Model.fit

    def fit_with_interrupt(self, *args, callbacks=None, **kwargs):
        return original_fit(self, *args, callbacks=[*callbacks, StopAfterTwoEpochs()], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "fit", fit_with_interrupt)
        with pytest.raises(KeyboardInterrupt):
            training.fit(model, train, val, out, epochs=4, patience=10, verbose=0)
    assert (out / "backup").exists()
    model = tiny_clip_model()
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    history = training.fit(model, train, val, out, epochs=4, patience=10, verbose=0)
    assert list(history["epoch"]) == [0, 1, 2, 3]  # epochs 0-1 before the interruption, 2-3 after


# --------------------------------------------------------------------------- Paper B models
def test_frame_dataset_serves_every_frame_once_per_epoch_with_its_video_label(crop_cache):
    folder, table = crop_cache
    dataset = clips.FrameDataset(table, folder, frames=3, size=32, batch_size=7, shuffle=True, seed=1, window=4)
    seen, labels = [], []
    for i in range(len(dataset)):
        images, batch_labels = dataset[i]
        assert images.shape[1:] == (32, 32, 3)
        labels.extend(batch_labels)
    seen = [tuple(pair) for pair in dataset.order.tolist()]
    assert len(seen) == len(set(seen)) == 24 * 3 and len(labels) == 72
    np.testing.assert_array_equal(np.asarray(labels), table["label"].to_numpy()[dataset.order[:, 0]])
    # locality: within a window of 4 videos, so the cache of decoded videos stays small
    assert len(set(dataset.order[:12, 0].tolist())) == 4
    first = dataset.order.copy()
    dataset.on_epoch_end()
    assert not np.array_equal(first, dataset.order)


def test_frame_classifier_embedding_and_sequence_models_have_paper_b_shapes():
    frame_model = models.build_frame_classifier("efficientnet_b0", 32, None)
    assert models.embedding_extractor(frame_model).output_shape == (None, 512)
    for cell in ("lstm", "gru"):
        sequence = models.build_sequence_classifier(cell, 25, 512, 32)
        assert sequence.get_layer(cell).units == 32 and sequence.output_shape == (None, 1)
    with pytest.raises(UserInputError, match="cell"):
        models.build_sequence_classifier("rnn", 25)


def test_conv3d_follows_paper_b_and_pools_only_while_an_axis_is_left():
    model = models.build_conv3d(32, 112)
    convs = [layer for layer in model.layers if layer.name.startswith("conv")]
    assert [layer.filters for layer in convs] == list(models.PAPER_B_CONV3D_FILTERS)
    assert all(layer.kernel_size == (3, 3, 3) for layer in convs)
    assert model.get_layer("pool1").pool_size == (2, 2, 2)
    assert model.get_layer("pool6").output.shape[1:4] == (1, 1, 1)  # 32 frames -> 1, 112 px -> 1
    small = models.build_conv3d(4, 32, (4, 8, 8))
    assert small.get_layer("pool3").pool_size == (1, 2, 2)  # time is already 1 after two poolings
    assert small.predict(np.zeros((2, 4, 32, 32, 3), np.float32), verbose=0).shape == (2, 1)


def test_paper_b_nadam_decays_the_learning_rate_per_step():
    optimizer = training.paper_b_nadam(0.002, 0.004)
    assert isinstance(optimizer, keras.optimizers.Nadam)
    schedule = optimizer._learning_rate
    assert float(schedule(0)) == pytest.approx(0.002)
    assert float(schedule(250)) == pytest.approx(0.002 / (1 + 0.004 * 250))


def test_grad_cam_maps_are_normalised_and_their_probabilities_match_the_model(crop_cache):
    from dfutils import explain

    folder, table = crop_cache
    keras.utils.set_random_seed(0)
    model = models.build_frame_classifier("efficientnet_b0", 32, None, embedding_units=16)
    images = clips.ClipDataset(table.head(4), folder, 1, 32, 4)[0][0][:, 0]
    cams, probabilities = explain.grad_cam(model, images)
    assert cams.shape == (4, 32, 32) and cams.min() >= 0 and cams.max() <= 1
    np.testing.assert_allclose(probabilities, model.predict(images, verbose=0).reshape(-1), atol=1e-5)


def test_class_weights_balance_and_refuse_a_single_class():
    weights = training.balanced_class_weight([0, 1, 1, 1])
    assert weights[0] * 1 == pytest.approx(weights[1] * 3)
    with pytest.raises(UserInputError, match="only one class"):
        training.balanced_class_weight([1, 1])


def test_retrainer_restart_trains_like_a_new_model(crop_cache, tmp_path):
    folder, table = crop_cache

    def tiny():
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.Conv2D(4, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
        x = keras.layers.Dense(1, activation="sigmoid", name="out")(keras.layers.GlobalAveragePooling2D()(x))
        return training.compile_model(keras.Model(inputs, x), training.paper_b_nadam(0.01, 0.004))

    def data():
        return clips.FrameDataset(table, folder, 2, 32, 8, shuffle=True, seed=3)

    keras.utils.set_random_seed(5)
    start = tiny().get_weights()
    fresh = tiny()
    fresh.set_weights(start)
    fresh.fit(data(), epochs=2, verbose=0, shuffle=False)
    reused = tiny()
    retrainer = training.Retrainer(reused)
    reused.fit(data(), epochs=1, verbose=0, shuffle=False)  # some other training first: weights and optimizer move
    retrainer.restart(start).fit(data(), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(fresh.get_weights(), reused.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_load_clips_joins_crops_filters_compressions_and_refuses_leaks(crop_cache, tmp_path):
    from dfutils import datasets

    folder, table = crop_cache
    artifacts = tmp_path / "run"
    (artifacts / "faces").mkdir(parents=True)
    (artifacts / "faces" / "crops").symlink_to(folder / "crops")
    faces = table.assign(status="ok", error="", frames_sampled=5, frames_with_face=5, faces_seen=1)
    faces.loc[3, ["status", "crops"]] = ["failed", ""]  # a failed video is left out
    faces.to_csv(artifacts / "faces" / "faces.csv", index=False)
    index = table.assign(path="x.mp4", dataset="ffpp", method="m", original="", group=table["video_id"],
                         compression=np.where(np.arange(len(table)) % 2, "c40", "c23"))
    datasets.write_index(index, artifacts / "index.csv")
    videos, extraction = clips.load_clips(artifacts)
    assert len(videos) == len(table) - 1 and "v3" not in set(videos["video_id"])
    assert extraction == {"extraction": {"detector": "mtcnn", "size": 32}}
    c40, _ = clips.load_clips(artifacts, ["c40"])
    assert set(c40["compression"]) == {"c40"} and len(c40) == 11
    with pytest.raises(UserInputError, match="c0"):
        clips.load_clips(artifacts, ["c0"])
    index.loc[1, "group"] = index.loc[20, "group"]  # one group on train and val
    datasets.write_index(index, artifacts / "index.csv")
    with pytest.raises(ValueError, match="group value"):
        clips.load_clips(artifacts)


def test_frame_predict_table_is_the_mean_of_frame_scores_beside_the_video_columns(crop_cache):
    folder, table = crop_cache
    keras.utils.set_random_seed(2)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs)))
    model = keras.Model(inputs, x)
    dataset = clips.ClipDataset(table.head(7), folder, 3, 32, 4)
    predictions = training.frame_predict_table(model, dataset)
    assert list(predictions.columns) == ["video_id", "label", "split", "score"]
    batch = np.concatenate([dataset[i][0] for i in range(len(dataset))])
    expected = model.predict(batch.reshape(-1, 32, 32, 3), verbose=0).reshape(7, 3).mean(axis=1)
    np.testing.assert_allclose(predictions["score"], expected, atol=1e-6)
    assert training.clip_embeddings(model, dataset).shape == (7, 3, 1)
    assert list(training.video_table(dataset)["video_id"]) == list(table.head(7)["video_id"])
