"""The training machinery: fit (checkpoints, resuming, seeded repeats), optimizers, class weights, prediction tables."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.nets import architectures, clips, training
from dfutils.seeding import seed_everything


def tiny_clip_model(frames=3, size=32):
    """The training machinery's tests need a model of the same shape, not a big backbone."""
    from keras import layers

    clips = keras.Input((frames, size, size, 3))
    x = architectures.FoldTime()(clips)
    x = layers.Rescaling(1 / 255)(x)
    x = layers.Conv2D(4, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = architectures.UnfoldTime(frames)(x)
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
    assert not list((folder / "run1").glob("backup*"))  # removed when training ends
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
    assert len(list(out.glob("backup-*"))) == 1
    seed_everything(4)  # the run again: the same seed, settings and data build the same starting model
    model = tiny_clip_model()
    training.compile_model(model, keras.optimizers.Adam(1e-3))
    history = training.fit(model, train, val, out, epochs=4, patience=10, verbose=0)
    assert list(history["epoch"]) == [0, 1, 2, 3]  # epochs 0-1 before the interruption, 2-3 after


@pytest.mark.slow
def test_an_interrupted_fit_run_again_with_other_settings_starts_fresh(crop_cache, monkeypatch):
    """Interrupt a training, change its learning rate, run again: the weights of a fresh fit with the new rate,
    never the old training continued (the backup is keyed by the start, optimizer, data and settings)."""
    folder, table = crop_cache

    def fitted(out, learning_rate, interrupt=False):
        seed_everything(4)
        train = clips.ClipDataset(table[table["split"] == "train"], folder, 3, 32, 4, shuffle=True, seed=4)
        val = clips.ClipDataset(table[table["split"] == "val"], folder, 3, 32, 4)
        model = tiny_clip_model()
        training.compile_model(model, keras.optimizers.Adam(learning_rate))
        if interrupt:
            class Stop(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    if epoch == 1:
                        raise KeyboardInterrupt

            original_fit = keras.Model.fit
            with monkeypatch.context() as patch:
                patch.setattr(keras.Model, "fit", lambda self, *a, callbacks=None, **k: original_fit(
                    self, *a, callbacks=[*callbacks, Stop()], **k))
                with pytest.raises(KeyboardInterrupt):
                    training.fit(model, train, val, out, epochs=3, patience=10, verbose=0)
            return None, None
        history = training.fit(model, train, val, out, epochs=3, patience=10, verbose=0)
        return model.get_weights(), history

    fitted(folder / "changed", 1e-3, interrupt=True)
    stale = list((folder / "changed").glob("backup-*"))
    assert len(stale) == 1
    weights, history = fitted(folder / "changed", 3e-3)  # the learning rate changed
    assert not stale[0].exists() and list(history["epoch"]) == [0, 1, 2]  # a whole fresh training, logged anew
    fresh, _ = fitted(folder / "fresh", 3e-3)
    for ours, reference in zip(weights, fresh, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


def test_a_backup_is_written_after_every_epoch_but_the_last(crop_cache, monkeypatch):
    """The last epoch's backup would be deleted as training ends: it is not written at all."""
    folder, table = crop_cache
    written = []
    monkeypatch.setattr(keras.callbacks.BackupAndRestore, "_save_model", lambda self: written.append(self.backup_dir))
    _train(folder, table, folder / "three-epochs", epochs=3)
    assert len(written) == 2


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="counts TensorFlow's graph traces")
def test_a_compiled_model_traces_its_training_step_once():
    """Optimizer variables created inside the first step's trace make TensorFlow trace it twice."""
    traces = []
    original = keras.Model.train_step  # the backend's trainer's, which a model may override (public API)

    def counted(self, data):
        traces.append(self.name)
        return original(self, data)

    model = training.compile_model(tiny_clip_model(), keras.optimizers.Adam(1e-3))
    assert model.optimizer.built
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keras.Model, "train_step", counted)
        for _ in range(2):
            model.train_on_batch(np.zeros((2, 3, 32, 32, 3), "float32"), np.array([0.0, 1.0]))
    assert len(traces) == 1
    with pytest.raises(ValueError, match="not compiled"):
        training.build_optimizer(tiny_clip_model())


def test_paper_b_nadam_decays_the_learning_rate_per_step():
    optimizer = training.paper_b_nadam(0.002, 0.004)
    assert isinstance(optimizer, keras.optimizers.Nadam)
    schedule = optimizer._learning_rate
    assert float(schedule(0)) == pytest.approx(0.002)
    assert float(schedule(250)) == pytest.approx(0.002 / (1 + 0.004 * 250))


def test_class_weights_balance_and_refuse_a_single_class():
    weights = training.balanced_class_weight([0, 1, 1, 1])
    assert weights[0] * 1 == pytest.approx(weights[1] * 3)
    with pytest.raises(UserInputError, match="only one class"):
        training.balanced_class_weight([1, 1])


def test_retrainer_restart_trains_like_a_new_model(crop_cache, tmp_path):
    """Weights, optimizer state and the dropout's random numbers all start again as in a new model."""
    folder, table = crop_cache

    def tiny():
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.Conv2D(4, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
        x = keras.layers.Dropout(0.5)(keras.layers.GlobalAveragePooling2D()(x))
        x = keras.layers.Dense(1, activation="sigmoid", name="out")(x)
        return training.compile_model(keras.Model(inputs, x), training.paper_b_nadam(0.01, 0.004))

    def data():
        return clips.FrameDataset(table, folder, 2, 32, 8, shuffle=True, seed=3)

    keras.utils.set_random_seed(5)
    fresh = tiny()
    fresh.fit(data(), epochs=2, verbose=0, shuffle=False)
    keras.utils.set_random_seed(5)
    initial = tiny()  # the same new model, untrained
    reused = tiny()
    retrainer = training.Retrainer(reused)
    reused.fit(data(), epochs=1, verbose=0, shuffle=False)  # some other training first: every state moves
    retrainer.restart(initial).fit(data(), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(fresh.get_weights(), reused.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="architecture"):
        retrainer.restart(tiny_clip_model())


def test_frame_predict_table_is_the_mean_of_frame_scores_beside_the_video_columns(crop_cache):
    folder, table = crop_cache
    keras.utils.set_random_seed(2)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    )
    model = keras.Model(inputs, x)
    dataset = clips.ClipDataset(table.head(7), folder, 3, 32, 4)
    predictions = training.frame_predict_table(model, dataset)
    assert list(predictions.columns) == ["video_id", "label", "split", "score"]
    batch = np.concatenate([dataset[i][0] for i in range(len(dataset))])
    expected = model.predict(batch.reshape(-1, 32, 32, 3), verbose=0).reshape(7, 3).mean(axis=1)
    np.testing.assert_allclose(predictions["score"], expected, atol=1e-6)
    assert training.clip_embeddings(model, dataset).shape == (7, 3, 1)
    assert list(training.video_table(dataset)["video_id"]) == list(table.head(7)["video_id"])
