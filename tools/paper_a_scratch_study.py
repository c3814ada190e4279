"""Why Paper A's backbones stay near chance on SynthDF from scratch: a small study.

Trains the time-distributed model (4 frames, 75 px, Adam, batch 4) on the demo's
face crops in several variants and prints, per epoch and in a final table, the
training AUC beside the validation AUC. Needs a finished demo run
(``artifacts/demo/index.csv`` and ``faces/``); about 15 minutes on 2 cores.

    .venv/bin/python tools/paper_a_scratch_study.py [--variants baseline pairs ...] [--backbone efficientnet_b0]

Variants:
- ``baseline``: the demo's setting (fakes down-sampled to the reals, as Paper A).
- ``all-fakes``: every fake, classes weighted instead of down-sampled.
- ``flip-lr1e-3``: all fakes, horizontal flips, learning rate 1e-3.
- ``pairs``: each batch holds reals next to a fake made from that very real, so
  identity cannot separate the two.
- ``pairs-128px``: the same on the crops' native 128 px (no down-scaling blur).
- ``small-cnn``: the same model with a 4-layer CNN (242k parameters) in place of
  the backbone: how learnable the cue is with little capacity.
- ``self-blended``: the backbone first learns to tell real training crops from
  self-blended ones (the face blended into an altered copy of itself, after
  Shiohara and Yamasaki 2022, no fake seen), then Paper A's model is fine-tuned.

This is a research script, not part of the pipeline; its figures are quoted in the README.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dfutils import config, datasets, models, training  # noqa: E402
from dfutils.faces import load_crops  # noqa: E402
from dfutils.seeding import seed_everything  # noqa: E402

VARIANTS = ("baseline", "all-fakes", "flip-lr1e-3", "pairs", "pairs-128px", "small-cnn", "self-blended")
FRAMES = 4


def clips_of(table: pd.DataFrame, faces_dir: Path, size: int) -> np.ndarray:
    return np.stack([training.fit_clip(load_crops(faces_dir / crops).crops, FRAMES, size) for crops in table["crops"]])


def paired(train: pd.DataFrame, generator: np.random.Generator) -> pd.DataFrame:
    """Each real followed by one fake made from it (same compression), drawn at random."""
    rows = []
    for video_id in train.loc[train["label"] == 0, "video_id"]:
        fakes = train.loc[train["original"] == video_id, "video_id"].to_numpy()
        rows += [video_id, fakes[generator.integers(len(fakes))]]
    return train.set_index("video_id").loc[rows].reset_index()


def small_cnn(size: int) -> keras.Model:
    image = keras.Input((size, size, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1)(image)
    for filters in (32, 64, 128, 128):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.MaxPooling2D()(layers.ReLU()(x))
    return keras.Model(image, layers.GlobalAveragePooling2D()(x), name="small_cnn_features")


def self_blend(image: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """A face blended into an altered copy of itself inside a soft ellipse (a swap without a second face)."""
    import cv2

    side = image.shape[0]
    target = image.astype(np.float32)
    source = target.copy()
    if generator.random() < 0.5:
        source = cv2.GaussianBlur(source, (0, 0), generator.uniform(0.8, 2.5))
    if generator.random() < 0.3:
        small = int(side * generator.uniform(0.25, 0.6))
        source = cv2.resize(cv2.resize(source, (small, small), interpolation=cv2.INTER_AREA), (side, side))
    source = source * generator.uniform(0.8, 1.2, 3) + generator.uniform(-20, 20, 3)
    warp = cv2.getRotationMatrix2D((side / 2, side / 2), generator.uniform(-3, 3), generator.uniform(0.95, 1.05))
    warp[:, 2] += generator.uniform(-3, 3, 2)
    source = cv2.warpAffine(source, warp, (side, side), borderMode=cv2.BORDER_REFLECT)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    cx, cy = side / 2 + generator.uniform(-6, 6), side / 2 + generator.uniform(0, 10)
    rx, ry = side * generator.uniform(0.22, 0.32), side * generator.uniform(0.28, 0.40)
    mask = (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1).astype(np.float32)
    mask = (cv2.GaussianBlur(mask, (0, 0), generator.uniform(1, 6)) * generator.uniform(0.7, 1.0))[..., None]
    return np.clip(mask * source + (1 - mask) * target, 0, 255)


def pretrain_self_blended(features: keras.Model, reals: np.ndarray, size: int, epochs: int,
                          generator: np.random.Generator, validate) -> None:
    import cv2

    def resized(image):
        return cv2.resize(image.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)

    frame = keras.Input((size, size, 3))
    classifier = keras.Model(frame, layers.Dense(1, activation="sigmoid")(layers.Dropout(0.3)(features(frame))))
    classifier.compile(keras.optimizers.Adam(5e-4), "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
    for epoch in range(epochs):
        images = np.stack([resized(r) for r in reals] + [resized(self_blend(r, generator)) for r in reals])
        labels = np.r_[np.zeros(len(reals)), np.ones(len(reals))].astype(np.float32)
        history = classifier.fit(images, labels, batch_size=16, epochs=1, verbose=0, shuffle=True)
        print(f"  pre-train {epoch}: self-blended AUC {history.history['auc'][0]:.3f}, "
              f"validation AUC (no fake seen) {validate(classifier):.3f}", flush=True)


def run(variant: str, backbone: str, artifacts: Path, epochs: int, seed: int) -> dict:
    seed_everything(seed)
    generator = np.random.default_rng(seed)
    faces_dir = artifacts / "faces"
    clips, _ = training.load_clips(artifacts)
    train = clips[clips["split"] == "train"]
    validation = clips[clips["split"] == "val"].reset_index(drop=True)
    size = 128 if variant == "pairs-128px" else 75
    pairs = variant.startswith("pairs")
    if variant in ("baseline", "small-cnn", "self-blended"):
        train = datasets.downsample_fakes(train, seed=seed)
    elif pairs:
        train = paired(train, generator)
    x_train, y_train = clips_of(train, faces_dir, size), train["label"].to_numpy(np.float32)
    x_val, y_val = clips_of(validation, faces_dir, size), validation["label"].to_numpy()
    features = small_cnn(size) if variant == "small-cnn" else models.build_backbone(backbone, size, None)
    started = time.time()
    if variant == "self-blended":
        reals = np.concatenate([load_crops(faces_dir / c).crops for c in train.loc[train["label"] == 0, "crops"]])
        frames_val = x_val.reshape(-1, size, size, 3)

        def validate(classifier):
            return roc_auc_score(y_val, classifier.predict(frames_val, batch_size=64, verbose=0).reshape(len(x_val), -1).mean(1))

        pretrain_self_blended(features, reals, size, 10, generator, validate)
    model = models.time_distributed_around(features, FRAMES)
    training.compile_model(model, keras.optimizers.Adam(1e-3 if variant == "flip-lr1e-3" else 3e-4))
    class_weight = training.balanced_class_weight(y_train) if variant in ("all-fakes", "flip-lr1e-3") else None
    rows = []
    for epoch in range(epochs):
        x, y = x_train, y_train
        if pairs:  # shuffle whole pairs, keep each pair in one batch
            pair = generator.permutation(len(x) // 2)
            order = np.stack([2 * pair, 2 * pair + 1], 1).ravel()
            x, y = x[order], y[order]
        elif variant == "flip-lr1e-3":
            x = x.copy()
            flip = generator.random(len(x)) < 0.5
            x[flip] = x[flip][:, :, :, ::-1]
        history = model.fit(x, y, batch_size=4, epochs=1, class_weight=class_weight, verbose=0, shuffle=not pairs)
        val_auc = roc_auc_score(y_val, model.predict(x_val, batch_size=16, verbose=0).ravel())
        rows.append({"train_auc": history.history["auc"][0], "val_auc": val_auc})
        print(f"  {variant} epoch {epoch}: training AUC {rows[-1]['train_auc']:.3f}, validation AUC {val_auc:.3f}", flush=True)
    curve = pd.DataFrame(rows)
    return {"variant": variant, "train videos": len(train), "best val AUC": curve["val_auc"].max(),
            "last val AUC": curve["val_auc"].iloc[-1], "last train AUC": curve["train_auc"].iloc[-1],
            "seconds": round(time.time() - started)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--backbone", default="efficientnet_b0", choices=list(models.BACKBONES))
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    artifacts = config.artifacts_dir(args.profile)
    if not (artifacts / "faces" / "faces.csv").exists():
        sys.exit(f"{artifacts}: no face crops yet; run `make reproduce` (or the {args.profile} profile) first")
    results = []
    for variant in args.variants:
        print(f"== {variant} ({args.backbone})", flush=True)
        results.append(run(variant, args.backbone, artifacts, args.epochs, args.seed))
    print(pd.DataFrame(results).set_index("variant").round(3).to_string())


if __name__ == "__main__":
    main()
