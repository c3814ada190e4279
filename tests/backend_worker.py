"""Run in a fresh process by tests/test_backends.py, under the backend that ``KERAS_BACKEND`` names.

    python tests/backend_worker.py train FOLDER      every detector: built small, two training steps,
                                                     saved to FOLDER/<detector>.keras, scores on fixed
                                                     inputs in FOLDER/<detector>.scores.npy; and
                                                     FaceNet-128 embeddings of fixed crops
    python tests/backend_worker.py predict FOLDER... loads those files, scores the same inputs into
                                                     FOLDER/<detector>.<backend>.npy
    python tests/backend_worker.py parallel FOLDER N... one model trained data-parallel on each N
                                                     devices in turn, its losses in FOLDER/losses-<N>.npy
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

DETECTORS = ("time_distributed", "frames", "lstm", "gru", "conv3d", "triplet")


def inputs(detector: str, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = {"time_distributed": (2, 64, 64, 3), "frames": (64, 64, 3), "lstm": (3, 16), "gru": (3, 16),
             "conv3d": (4, 16, 16, 3), "triplet": (16,)}[detector]
    if detector in ("time_distributed", "frames", "conv3d"):
        return rng.uniform(0, 255, (count, *shape)).astype("float32")
    return rng.normal(0, 1, (count, *shape)).astype("float32")


def build(detector: str):
    """Each detector small; the EfficientNet-Lite0 ones with their ImageNet weights (from scratch, a
    network whose batch norms have seen nothing gives the same score to every input)."""
    from dfutils.nets import architectures, triplet

    if detector == "time_distributed":
        return architectures.build_time_distributed("efficientnet_lite0", 2, 64, weights="imagenet", lstm_units=8,
                                                    dense_units=8, dropout_rate=0.3)
    if detector == "frames":
        return architectures.build_frame_classifier(
            "efficientnet_lite0", 64, weights="imagenet", embedding_units=16, dropout_rate=0.3
        )
    if detector in ("lstm", "gru"):
        return architectures.build_sequence_classifier(detector, 3, features=16, units=4)
    if detector == "conv3d":
        return architectures.build_conv3d(4, 16, filters=(4, 8), dense_units=8, dropout_rate=0.3)
    return triplet.build_embedding_network(16, hidden_units=8, embedding_dim=4, dropout_rate=0.1)


def scores(detector: str, model, classifier=None) -> np.ndarray:
    x = inputs(detector, 6, seed=1)
    output = np.asarray(model.predict_on_batch(x))
    if classifier is not None:  # the triplet pipeline: network -> embedding -> classifier
        return classifier.predict_proba(output)[:, 1]
    return output.ravel()


def train(folder: Path) -> None:
    import keras

    from dfutils.detectors.model_files import save_model
    from dfutils.nets.training import build_optimizer
    from dfutils.nets.triplet import TripletLoss, make_classifier
    from dfutils.seeding import seed_everything

    for detector in DETECTORS:
        seed_everything(0)
        model = build(detector)
        x = inputs(detector, 8, seed=0)
        y = (np.arange(8) % 2).astype("float32")
        loss = TripletLoss(0.2, "semi-hard") if detector == "triplet" else "binary_crossentropy"
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
        build_optimizer(model)  # as training does (TensorFlow traces the first step once)
        losses = [float(np.asarray(model.train_on_batch(x, y))) for _ in range(2)]
        assert all(np.isfinite(losses)), (detector, losses)
        classifier = None
        if detector == "triplet":
            classifier = make_classifier("sgd", seed=0, trees=0).fit(np.asarray(model.predict_on_batch(x)), y)
        save_model(model, folder / f"{detector}.keras", {"detector": detector, "saved_by": keras.backend.backend()},
                   classifier=classifier)
        np.save(folder / f"{detector}.scores.npy", scores(detector, model, classifier))
        np.save(folder / f"{detector}.losses.npy", np.array(losses))
    facenet(folder)  # in the same process: a fresh one costs more than the embeddings


def predict(*folders: Path) -> None:
    import keras

    from dfutils.detectors.model_files import load_classifier, load_model

    for folder, detector in ((folder, detector) for folder in folders for detector in DETECTORS):
        model, settings = load_model(folder / f"{detector}.keras")
        assert settings["detector"] == detector
        classifier = load_classifier(folder / f"{detector}.keras") if detector == "triplet" else None
        np.save(folder / f"{detector}.{keras.backend.backend()}.npy", scores(detector, model, classifier))


def facenet(folder: Path) -> None:
    import keras

    from dfutils.nets.facenet import FaceNetEmbedder

    crops = np.random.default_rng(3).integers(0, 256, (4, 160, 160, 3), dtype=np.uint8)
    np.save(folder / f"facenet.{keras.backend.backend()}.npy", FaceNetEmbedder("keras-facenet-128").embed(crops))


def parallel(folder: Path, devices: int) -> None:
    import keras

    from dfutils.nets.training import use_devices
    from dfutils.seeding import seed_everything

    keras.distribution.set_distribution(None)  # one process trains on each device count in turn
    used = use_devices(devices)
    if used > 1:  # the batches really are split: Keras holds a data-parallel layout over that many devices
        assert isinstance(keras.distribution.distribution(), keras.distribution.DataParallel)
        assert keras.distribution.distribution().device_mesh.shape == (used,)
    seed_everything(0)
    from dfutils.nets.architectures import build_conv3d

    # convolutions and batch normalisation (whose statistics must span the whole batch), no dropout:
    # dropout masks are drawn per device, so they would differ from the one-device run
    model = build_conv3d(4, 16, filters=(4, 8), dense_units=8, dropout_rate=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="binary_crossentropy")
    x = inputs("conv3d", 32, seed=0)
    y = (np.arange(32) % 2).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.save(folder / f"losses-{used}.npy", np.array(history.history["loss"]))


if __name__ == "__main__":
    action, folder = sys.argv[1], Path(sys.argv[2])
    if action == "parallel":
        for devices in sys.argv[3:]:
            parallel(folder, int(devices))
    elif action == "predict":
        predict(*map(Path, sys.argv[2:]))
    else:
        train(folder)
