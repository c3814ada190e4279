"""The levers study: what each choice behind the demo's detectors is worth.

One frame classifier (Paper B's frames-only model; its backbone is the per-frame
CNN of both papers) is trained under variants that each change one lever of the
demo's setting, on the same data, and scored on the same test videos:

- **identities**: as many training people as the first SynthDF had (8) instead of all;
- **pretraining**: from scratch instead of ImageNet weights;
- **schedule**: fewer or more epochs;
- **resolution**: smaller crops;
- **self-blending** (beyond the papers): self-blended fakes made from the batch's real crops added to
  every training batch (:class:`dfutils.clips.SelfBlendedFrames`).

Each variant's predictions are written like any model's (``models/levers-*``),
so the study's report ranks them with their 95% intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import UserInputError
from .seeding import rng

LEVERS = ("demo setting", "identities", "pretraining", "schedule", "resolution", "self-blending")


@dataclass(frozen=True)
class Variant:
    lever: str
    label: str
    weights: str = "imagenet"
    epochs: int = 3
    size: int = 112
    identities: int = 0  # training identities kept (0: all of them)
    self_blended_share: float = 0.0  # self-blended fakes added to each training batch, x the batch size

    @property
    def model_name(self) -> str:
        return f"frames (levers: {self.label})"

    @property
    def slug(self) -> str:
        return "levers-" + "".join(c if c.isalnum() else "-" for c in self.label).strip("-")


def variants(epochs: int, size: int, few_identities: int, epoch_levels: list, size_levels: list,
             self_blended_share: float = 0.0) -> list[Variant]:
    """The demo setting and one variant per other value of each lever."""
    base = Variant("demo setting", f"ImageNet, all identities, {epochs} epochs, {size} px", epochs=epochs, size=size)
    out = [base]
    if few_identities:
        out.append(Variant("identities", f"{few_identities} training identities", epochs=epochs, size=size,
                           identities=few_identities))
    out.append(Variant("pretraining", "from scratch", weights="none", epochs=epochs, size=size))
    out += [Variant("schedule", f"{count} epochs", epochs=int(count), size=size) for count in epoch_levels if count != epochs]
    out += [Variant("resolution", f"{side} px", epochs=epochs, size=int(side)) for side in size_levels if side != size]
    if self_blended_share:
        out.append(Variant("self-blending", f"+ self-blended fakes ({self_blended_share:g} x batch)", epochs=epochs,
                           size=size, self_blended_share=float(self_blended_share)))
    return out


def identities_of(clips: pd.DataFrame, data_dir: str | Path) -> pd.Series:
    """Who is in each video: SynthDF's manifest when the data is SynthDF, else the index's group."""
    manifest = Path(data_dir) / "synthdf" / "manifest.csv"
    if manifest.is_file():
        known = pd.read_csv(manifest, usecols=["video_id", "identity"]).set_index("video_id")["identity"]
        return clips["video_id"].map(known).fillna(clips["group"])
    return clips["group"]


def keep_identities(train: pd.DataFrame, identities: pd.Series, count: int, seed: int) -> pd.DataFrame:
    """The training videos of ``count`` people drawn at random (seeded); all when ``count`` is 0."""
    people = sorted(set(identities.loc[train.index]))
    if not count:
        return train
    if count > len(people):
        raise UserInputError(f"few_identities: the training split has {len(people)} identities, fewer than {count}")
    chosen = {people[i] for i in rng(seed, "levers-identities").permutation(len(people))[:count]}
    return train[identities.loc[train.index].isin(chosen)]


def train_variant(variant: Variant, clips: pd.DataFrame, identities: pd.Series, faces_dir: str | Path,
                  out_dir: str | Path, backbone: str, frames: int, batch_size: int, learning_rate: float,
                  seed: int, patience: int = 3, margin: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Train one variant's frame classifier; its validation and test predictions, and a record of the run.
    ``margin`` is the crops' extraction margin, where the self-blending lever puts the face (None: read
    from the crop files)."""
    import keras

    from . import models, training
    from .clips import ClipDataset, FrameDataset, SelfBlendedFrames

    keras.utils.set_random_seed(seed)
    train = keep_identities(clips[clips["split"] == "train"], identities, variant.identities, seed)
    started = time.perf_counter()
    model = training.compile_model(models.build_frame_classifier(backbone, variant.size, variant.weights),
                                   keras.optimizers.Adam(learning_rate))

    if variant.self_blended_share and margin is None:
        from .faces import load_crops

        margin = float(load_crops(Path(faces_dir) / train["crops"].iloc[0], decode=False).settings.get("margin", 0.0))

    def frames_of(table, shuffle=False):
        if shuffle and variant.self_blended_share:
            return SelfBlendedFrames(table, faces_dir, frames, variant.size, batch_size, shuffle=True, seed=seed,
                                     share=variant.self_blended_share, margin=margin)
        return FrameDataset(table, faces_dir, frames, variant.size, batch_size, shuffle=shuffle, seed=seed)

    history = training.fit(model, frames_of(train, shuffle=True), frames_of(clips[clips["split"] == "val"]), out_dir,
                           epochs=variant.epochs, patience=patience, verbose=0, checkpoint=False,
                           class_weight=training.balanced_class_weight(train["label"]))
    scored = pd.concat([training.frame_predict_table(model, ClipDataset(clips[clips["split"] == split],
                                                                                  faces_dir, frames, variant.size, 8))
                        for split in ("val", "test")])
    record = {"lever": variant.lever, "variant": variant.label, "training_videos": len(train),
              "training_identities": int(identities.loc[train.index].nunique()), "epochs_run": len(history),
              "seconds": round(time.perf_counter() - started, 1)}
    return scored, record


def lever_table(records: list[dict], predictions: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per variant: its test AUC with the 95% interval, the AUC per method, and what it cost."""
    from . import metrics
    from .results import breakdown

    rows = []
    for record in records:
        test = predictions[(predictions["model"] == record["model"]) & (predictions["split"] == "test")]
        low, high = metrics.auc_interval(test["label"], test["score"], seed=seed)
        per_method = breakdown(test, "method").iloc[0].to_dict() if test["label"].nunique() == 2 else {}
        rows.append({**{k: v for k, v in record.items() if k != "model"},
                     "test_auc": metrics.video_metrics(test["label"], test["score"])["auc"],
                     "auc_low": low, "auc_high": high, **{f"auc {m}": v for m, v in per_method.items()}})
    return pd.DataFrame(rows)


def auc_gain(table: pd.DataFrame) -> pd.Series:
    """Each variant's test AUC minus the demo setting's (what the lever is worth, with its sign)."""
    base = table.loc[table["lever"] == "demo setting", "test_auc"]
    if base.empty:
        return pd.Series(np.nan, index=table.index)
    return table["test_auc"] - float(base.iloc[0])
