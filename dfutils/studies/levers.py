"""The levers study: what each choice behind the demo's detectors is worth.

The demo's frame classifier (Paper B's frames-only model, created through the registry with the
demo's own settings dataclass, read from its model file: backbone, Nadam and its schedule, frames
per video, batch size, patience) is retrained under variants that each change one lever, on the
same data, and scored on the same test videos:

- **identities**: as many training people as the first SynthDF had (8) instead of all;
- **pretraining**: from scratch instead of ImageNet weights;
- **schedule**: fewer or more epochs;
- **resolution**: smaller crops;
- **self-blending** (beyond the papers): self-blended fakes made from the batch's real crops added to
  every training batch (:class:`dfutils.nets.clips.SelfBlendedFrames`).

Each variant's predictions are written like any model's (``models/levers-*``),
so the study's report ranks them with their 95% intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.detectors.settings import FrameSettings
from dfutils.errors import UserInputError
from dfutils.seeding import rng

LEVERS = ("demo setting", "identities", "pretraining", "schedule", "resolution", "self-blending")


@dataclass(frozen=True)
class Variant:
    lever: str
    label: str
    changes: tuple = ()  # (FrameSettings field, value) pairs this variant changes
    identities: int = 0  # training identities kept (0: all of them)

    @property
    def model_name(self) -> str:
        return f"frames (levers: {self.label})"

    @property
    def slug(self) -> str:
        return "levers-" + "".join(c if c.isalnum() else "-" for c in self.label).strip("-")

    def settings(self, base: FrameSettings) -> FrameSettings:
        """The demo's settings with this variant's changes."""
        return replace(base, **dict(self.changes))


def variants(base: FrameSettings, few_identities: int, epoch_levels: list, size_levels: list,
             self_blended_share: float) -> list[Variant]:
    """The demo setting and one variant per other value of each lever."""
    pretrained = "ImageNet" if base.weights == "imagenet" else "from scratch"
    out = [Variant("demo setting", f"{pretrained}, all identities, {base.epochs} epochs, {base.size} px")]
    if few_identities:
        out.append(Variant("identities", f"{few_identities} training identities", identities=few_identities))
    if base.weights == "imagenet":
        out.append(Variant("pretraining", "from scratch", (("weights", "none"),)))
    out += [Variant("schedule", f"{count} epochs", (("epochs", int(count)),)) for count in epoch_levels
            if count != base.epochs]
    out += [Variant("resolution", f"{side} px", (("size", int(side)),)) for side in size_levels if side != base.size]
    if self_blended_share:
        out.append(Variant("self-blending", f"+ self-blended fakes ({self_blended_share:g} x batch)",
                           (("self_blended_share", float(self_blended_share)),)))
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


def train_variant(variant: Variant, data, base: FrameSettings, identities: pd.Series,
                  seed: int) -> tuple[pd.DataFrame, dict]:
    """Train one variant's frame classifier: the registry's ``frames`` detector with the variant's settings,
    named and filed as the variant, on the run's data (the training videos of the kept identities); its
    validation and test predictions (written to its folder), and a record of the run."""
    import keras

    from dfutils.detectors import registry
    from dfutils.detectors.base import SharedStages

    keras.utils.set_random_seed(seed)
    train = keep_identities(data.split("train"), identities, variant.identities, seed)
    kept = data.clips[(data.clips["split"] != "train") | data.clips.index.isin(train.index)]
    entry = replace(registry.entry("frames"), name=variant.model_name, folder=variant.slug)
    detector = entry.create(variant.settings(base), seed)
    started = time.perf_counter()
    scored = detector.run(replace(data, clips=kept, shared=SharedStages()), save_model=False)
    record = {"lever": variant.lever, "variant": variant.label, "training_videos": len(train),
              "training_identities": int(identities.loc[train.index].nunique()),
              "epochs_run": len(detector.history), "seconds": round(time.perf_counter() - started, 1)}
    return scored, record


def lever_table(records: list[dict], predictions: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per variant: its test AUC with the 95% interval, the AUC per method, and what it cost."""
    from dfutils.evaluation import metrics
    from dfutils.evaluation.results import breakdown

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
