"""Write the notebooks in notebooks/ from the cell lists below.

The notebooks are the source of truth once written (edit them in Jupyter if you
like); this script is how they were first laid out, and re-running it resets
them to clean, output-free files:  python tools/build_notebooks.py [NAME ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str, *tags: str):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def params(text: str):
    return code(text, "parameters")


DATA_01 = [
    md("""
# 01 · Data: build or index a dataset, and check its splits

Every later notebook reads the **index table** this notebook writes
(`artifacts/<profile>/index.csv`): one row per video with its label
(1 = fake), manipulation method, compression, the original it was made from,
its leak-free **group**, and its split. Groups are originals or identities: a
group never sits on two sides of a split, so no face seen in training is
tested on (the metric-learning paper's public code split by frame and leaked).

With `dataset = "synth"` the notebook first builds **SynthDF**, the built-in
offline benchmark in FaceForensics++ layout: real clips made from real faces
that ship inside registry packages, and one fake per FF++ method made from
each real clip, so that the manipulation is the only systematic difference.
With `dfdc`, `celebdf` or `ffpp` it reads your download at `dataset_root`.
"""),
    params('''
profile: str = "demo"  # run profile: artifacts go to artifacts/<profile>/
seed: int = 0  # seeds SynthDF and the grouped split when no official split exists
dataset: str = "synth"  # synth (built-in), dfdc, celebdf or ffpp
dataset_root: str = ""  # folder of the official download; for synth, where to build (empty means artifacts)
synth_size: str = "demo"  # synth: smoke (80 videos) or demo (560 videos)
compressions: list = []  # ffpp and synth: compression levels to index (c0, c23, c40); empty means all found
methods: list = []  # ffpp and synth: manipulation methods to index; empty means all found
baseline_frames: int = 8  # frames per video for the trivial-cue baseline; 0 skips it
'''),
    code('''
from pathlib import Path

import pandas as pd
from IPython.display import display

from dfutils import assets, baselines, config, datasets, plots, synth
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed, keras=False)
artifacts = config.artifacts_dir(profile)
artifacts.mkdir(parents=True, exist_ok=True)
index_path = artifacts / "index.csv"
if dataset == "synth":
    root = Path(dataset_root) if dataset_root else artifacts / "synthdf"
elif dataset_root:
    root = Path(dataset_root)
else:
    raise ValueError(f"dataset_root: required for dataset {dataset!r} (the folder of the official download)")
indexer = "ffpp" if dataset == "synth" else dataset
options = {"seed": seed}
if indexer == "ffpp":
    options.update(compressions=compressions or None, methods=methods or None)
'''),
    md("""
## SynthDF (only with `dataset = "synth"`)

Building is parallel and resumable: an interrupted build keeps its finished
videos. The faces come from these packages, each pinned and checksum-verified:
"""),
    code('''
manifest = None
if dataset == "synth":
    display(pd.DataFrame(assets.licence_table())[["asset", "package", "licence"]])
    manifest = synth.build_synthdf(root, size=synth_size, seed=seed, replace_stale=not dataset_root)
    composition = manifest.pivot_table(index=["split", "compression"], columns="method", values="video_id",
                                       aggfunc="count", fill_value=0).astype(int)
    display(composition)
'''),
    md("One real clip beside each method's fake of it. The difference maps show where the manipulation is: inside the face, nowhere else."),
    code('''
if manifest is not None:
    plots.plot_fake_comparison(root, manifest, compression=sorted(manifest["compression"].unique())[-1]);
'''),
    md("## Index\nFiles listed in the metadata but absent on disk are left out and listed below, not fatal."),
    code('''
index = datasets.index_dataset(indexer, root, **options)
missing = datasets.missing_files(index)
datasets.write_index(index, index_path)
print(f"{len(index)} videos indexed from {root} -> {index_path}")
display(index.drop(columns="path").head(10))
print(f"{len(missing)} file(s) listed or implied but absent")
display(missing)
'''),
    md("## Class balance per split and method"),
    code('''
table = datasets.composition(index)
display(table.pivot_table(index=["split", "method"], columns="label_name", values="videos", aggfunc="sum",
                          fill_value=0, observed=True).astype(int))
plots.plot_composition(index, title=f"{dataset}: videos per split and method");
'''),
    md("## No leaks\nEvery video and every group must sit in exactly one split."),
    code('''
datasets.check_no_leak(index)
display(index.groupby("split")["group"].nunique().rename("groups").to_frame())
'''),
    md("""
## A trivial-cue baseline

A logistic regression on statistics of the central crop (colour mean and
spread; then also sharpness and motion), trained on `train`, scored on `test`.
A benchmark this baseline solves would only test the cue, not the detectors;
the detectors of the later notebooks should beat it clearly.
"""),
    code('''
figures = {
    "videos": len(index),
    "real": int((index["label"] == 0).sum()),
    "fake": int((index["label"] == 1).sum()),
    "groups": int(index["group"].nunique()),
    "missing_files": len(missing),
}
if baseline_frames:
    baseline = baselines.crop_statistics_baseline(index, seed=seed, frames=baseline_frames)
    display(baseline.round(3))
    overall = baseline[baseline["compression"] == "all"].set_index("features")["auc"]
    figures["baseline_auc_colour"] = float(overall["colour mean/std"])
    figures["baseline_auc_colour_sharpness_motion"] = float(overall["colour + sharpness + motion"])
record_figures(**figures)
'''),
]

FACES_02 = [
    md("""
# 02 · Faces: sample frames, detect, track, crop

Both papers work on face crops. Paper A takes 30 frames evenly spread over the
video, finds faces with an SSD MobileNet v1 trained on WIDERFACE and crops
them with a 35% margin at 240 px; Paper B uses MTCNN at 1 or 5 frames per
second. Here the detector, sampling, crop size and margin are parameters.

For every video the extractor follows one face (the one that stays largest
and most confident across frames), counts the faces it saw, and caches the
crops as uint8 arrays keyed by the video file and the settings, so a changed
setting never serves stale crops and an interrupted run resumes. The work
runs on a local Dask cluster (`workers`), or on an existing one
(`scheduler`).
"""),
    params('''
profile: str = "demo"  # run profile: reads artifacts/<profile>/index.csv
seed: int = 0  # not used for sampling (it is deterministic); recorded with the run
detector: str = "mtcnn"  # mtcnn (Paper B) or ssd (Paper A's SSD MobileNet v1 WIDERFACE)
frames: int = 30  # frames evenly spaced over each video (Paper A: 30); 0 means use fps
fps: float = 0.0  # frames per second to take instead (Paper B: 1 or 5); 0 means use frames
size: int = 240  # crop side in pixels (Paper A: 240)
margin: float = 0.35  # extra margin as a fraction of the face box (Paper A: 0.35)
margin_px: int = 0  # extra fixed margin in pixels on each side (Paper B style)
workers: int = 2  # local Dask worker processes
scheduler: str = ""  # address of an existing Dask scheduler; empty means a local cluster
'''),
    code('''
from IPython.display import display

from dfutils import config, datasets, extract, plots
from dfutils.faces import ExtractionSettings
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed, keras=False)
artifacts = config.artifacts_dir(profile)
index = datasets.read_index(artifacts / "index.csv")
settings = ExtractionSettings(detector=detector, frames=frames or None, fps=fps or None, size=size,
                              margin=margin, margin_px=margin_px)
faces_dir = artifacts / "faces"
settings
'''),
    md("## Extract\nFinished videos are served from the cache; a video that cannot be read becomes a row with its error."),
    code('''
faces = extract.extract_index(index, faces_dir, settings, workers=workers, scheduler=scheduler or None)
display(faces["status"].value_counts().rename("videos").to_frame())
'''),
    md("## Detection rate per method\nThe share of sampled frames in which the main face was detected (the rest borrow the nearest box)."),
    code('''
rates = extract.detection_rates(faces, index)
display(rates.style.format({"detection_rate": "{:.1%}", "mean_faces_seen": "{:.2f}"}))
'''),
    md("## Crops per method\nThe middle sampled frame of a few videos of each kind."),
    code('''
plots.plot_crop_grid(extract.crops_by_method(faces_dir, faces, index), title=f"{detector} crops, {size} px, margin {margin:.0%}");
'''),
    md("## Failures"),
    code('''
failures = faces[faces["status"] == "failed"]
display(failures[["video_id", "error"]] if len(failures) else "no failures")
done = faces[faces["status"] != "failed"]
record_figures(
    videos=len(faces),
    failed=len(failures),
    detection_rate=float(done["frames_with_face"].sum() / max(done["frames_sampled"].sum(), 1)),
    crops=int(done["frames_sampled"].sum()),
)
'''),
]

TIME_DISTRIBUTED_03 = [
    md("""
# 03 · Paper A: a CNN on every frame, an LSTM over the frames

Singh et al. (2020) feed 30 face crops per video (240 px) to an
ImageNet-pretrained EfficientNet-B1 applied to every frame, an LSTM over the
30 frame features, and dense layers that output the fake probability; they
also compare EfficientNet-B0, Xception and InceptionV3, trained with Adam
(lr 1e-4, betas 0.9/0.999, batch size 2), fakes down-sampled to balance the classes.

This notebook trains one backbone (the runner runs it once per backbone).
The backbone is applied by folding the frames into the batch rather than
with `TimeDistributed`, which gives the same outputs several times faster
(`dfutils bench model`). The head the paper leaves unstated, LSTM(128) →
Dense(64) → Dense(1), is inferred from its parameter counts (Table 2).
"""),
    params('''
profile: str = "demo"  # run profile: reads artifacts/<profile>/index.csv and faces/
seed: int = 0  # seeds weights, the balancing draw, shuffling and augmentation
backbone: str = "efficientnet_b1"  # efficientnet_b1, efficientnet_b0, xception or inception_v3
weights: str = "imagenet"  # imagenet (downloaded by Keras on first use) or none
frames: int = 30  # frames per clip (Paper A: 30)
size: int = 240  # crop side fed to the backbone (Paper A: 240)
lstm_units: int = 128  # inferred from Paper A's parameter counts
dense_units: int = 64  # inferred from Paper A's parameter counts
dropout_rate: float = 0.3  # not given by the paper
epochs: int = 20  # not given by the paper
patience: int = 5  # early stopping on validation AUC
batch_size: int = 2  # Paper A: 2 (memory)
learning_rate: float = 0.0001  # Paper A: Adam 1e-4, betas 0.9 and 0.999
augment: bool = False  # flip, brightness/contrast and JPEG re-compression
'''),
    code('''
import keras
import pandas as pd
from IPython.display import display

from dfutils import config, datasets, metrics, models, plots, training
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed)
gpu = training.use_mixed_precision_if_gpu()
artifacts = config.artifacts_dir(profile)
run_dir = artifacts / "models" / f"time_distributed-{backbone}"
index = datasets.read_index(artifacts / "index.csv")
faces = pd.read_csv(artifacts / "faces" / "faces.csv", keep_default_na=False)
clips = training.clip_table(index, faces)
extraction = training.extraction_settings(artifacts / "faces", faces)
print(f"{len(clips)} of {len(index)} videos have face crops; GPU: {gpu}")
'''),
    md("## Data\nFakes are down-sampled to the number of reals in training (seeded), as Paper A did; validation and test keep every video."),
    code('''
train_table = datasets.downsample_fakes(clips[clips["split"] == "train"], seed=seed)
augmentation = training.Augmentation(flip=True, brightness_contrast=0.2, jpeg_quality=40) if augment else None
train = training.ClipDataset(train_table, artifacts / "faces", frames, size, batch_size, shuffle=True,
                             augmentation=augmentation, seed=seed)
validation = training.ClipDataset(clips[clips["split"] == "val"], artifacts / "faces", frames, size, batch_size)
test = training.ClipDataset(clips[clips["split"] == "test"], artifacts / "faces", frames, size, batch_size)
display(pd.DataFrame({name: ds.table["label"].value_counts().rename({0: "real", 1: "fake"})
                      for name, ds in (("train", train), ("val", validation), ("test", test))}).fillna(0).astype(int))
'''),
    md("## Model"),
    code('''
model = models.build_time_distributed(backbone, frames, size, weights=weights, lstm_units=lstm_units,
                                      dense_units=dense_units, dropout_rate=dropout_rate)
optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999)
training.compile_model(model, optimizer)
parameters = model.count_params()
display(pd.DataFrame([{"backbone": backbone, "ours": parameters, "paper (Table 2)": models.PAPER_A_PARAMETERS[backbone],
                       "difference": parameters - models.PAPER_A_PARAMETERS[backbone]}]))
'''),
    md("## Training\nThe best model by validation AUC is kept; an interrupted training resumes from its last epoch."),
    code('''
history = training.fit(model, train, validation, run_dir, epochs=epochs, patience=patience)
plots.plot_history(history, title=f"{backbone}: training curves");
'''),
    md("""## Validation and test predictions
The AUC's 95% interval comes from a stratified bootstrap over the videos of each split: where it
contains 0.5, this many videos cannot tell the model from chance. Trained from scratch
(`weights: none`) on a few identities, as in the demo, a backbone of millions of parameters tends to
memorise its training videos: the training AUC above climbs while the validation AUC stays near 0.5."""),
    code('''
predictions = pd.concat([training.predict_table(model, validation), training.predict_table(model, test)])
training.write_predictions(predictions, run_dir, f"time-distributed {backbone}", backbone=backbone, parameters=parameters)
summary = metrics.with_auc_interval(metrics.summary_by_split(predictions), predictions, "split", seed=seed)
display(summary.round(3))
above_chance = summary["auc_low"] > 0.5
for split in summary.index:
    print(f"{split}: AUC {summary.loc[split, 'auc']:.3f}, 95% interval {summary.loc[split, 'auc_low']:.3f}"
          f" to {summary.loc[split, 'auc_high']:.3f}: {'above' if above_chance[split] else 'not distinguishable from'} chance")
model_path = training.save_model(model, run_dir / "model.keras", {
    **extraction, "frames": frames, "size": size, "backbone": backbone, "architecture": "time_distributed"})
print(f"saved {model_path}")
record_figures(backbone=backbone, parameters=parameters, paper_parameters=models.PAPER_A_PARAMETERS[backbone],
               epochs_run=len(history), val_auc=float(summary.loc["val", "auc"]),
               val_auc_interval=f"{summary.loc['val', 'auc_low']:.2f} to {summary.loc['val', 'auc_high']:.2f}",
               test_auc=float(summary.loc["test", "auc"]))
'''),
]


FRAME_BASELINES_04 = [
    md("""
# 04 · Paper B's baselines: frames only, bagging, frames + LSTM/GRU, 3D CNN

Kumar et al. (2020) compare their triplet network (notebook 05) with four
models trained on MTCNN face crops:

1. **Frames only**: an ImageNet Xception fine-tuned on single face crops, all
   layers trainable, Nadam (lr 0.002, schedule decay 0.004); a video's score is
   the mean of its frames' scores.
2. **Frames + bagging**: the fakes cut into 7 parts, each paired with all the
   reals, one frame model per part, the answer by majority vote.
3. **Frames + LSTM / GRU**: the 512-d output of the fine-tuned frame model's
   first dense layer for each of 25 frames, a single recurrent layer of 32 units.
4. **3D CNN**: 3x3x3 convolutions (64, 128, 256, 256, 512, 512 filters) with
   2x2x2 max pooling over 32-frame clips, trained from scratch.

Splits are by video and by original/identity (the index's `group`), never by
frame. Keras 3's Nadam has no `schedule_decay`; `training.paper_b_nadam` maps
it to a learning-rate decay `lr / (1 + 0.004 t)` per step (see its docstring).
"""),
    params('''
profile: str = "demo"  # run profile: reads artifacts/<profile>/index.csv and faces/
seed: int = 0  # seeds weights, bagging parts, shuffling
compressions: list = []  # keep only these compression levels (Paper B: c40 for FF++); empty means all
backbone: str = "xception"  # frame classifier backbone (Paper B: xception)
weights: str = "imagenet"  # imagenet (downloaded by Keras on first use) or none
size: int = 299  # face crop side for the frame classifier (Xception: 299)
frames_per_video: int = 25  # frames of each video the frame models train and score on
epochs: int = 30  # frames-only model (Paper B: 30 to 50)
patience: int = 5  # early stopping on validation AUC
batch_size: int = 32  # frames per batch
learning_rate: float = 0.002  # Paper B: Nadam lr 0.002
schedule_decay: float = 0.004  # Paper B: Nadam schedule decay, mapped to lr decay per step
bagging_parts: int = 7  # Paper B: 7; 0 skips bagging
bagging_epochs: int = 30  # epochs of each bagged model
sequence_frames: int = 25  # Paper B: 25 (also 16 and 32)
recurrent_units: int = 32  # Paper B: a single LSTM layer of 32 units
sequence_epochs: int = 50  # LSTM and GRU (not given by the paper)
conv3d_frames: int = 32  # Paper B: 32
conv3d_size: int = 112  # not given by the paper
conv3d_filters: list = [64, 128, 256, 256, 512, 512]  # Paper B
conv3d_epochs: int = 30  # not given by the paper
conv3d_batch_size: int = 4  # clips per batch
'''),
    code('''
import keras
import numpy as np
import pandas as pd
from IPython.display import display

from dfutils import config, datasets, metrics, models, plots, training
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed)
gpu = training.use_mixed_precision_if_gpu()
artifacts = config.artifacts_dir(profile)
faces_dir = artifacts / "faces"
clips, extraction = training.load_clips(artifacts, compressions)
splits = {split: clips[clips["split"] == split] for split in ("train", "val", "test")}
display(pd.DataFrame({s: t["label"].value_counts().rename({0: "real", 1: "fake"}) for s, t in splits.items()}).fillna(0).astype(int))
print(f"GPU: {gpu}")
'''),
    md("## 1. Frames only\nEvery training frame carries its video's label; the classes are weighted to count equally."),
    code('''
def frame_data(table, shuffle=False):
    return training.FrameDataset(table, faces_dir, frames_per_video, size, batch_size, shuffle=shuffle, seed=seed)


def scoring_clips(table, frames=frames_per_video, side=size, batch=8):
    return training.ClipDataset(table, faces_dir, frames, side, batch)


def new_frame_model():
    model = models.build_frame_classifier(backbone, size, weights)
    return training.compile_model(model, training.paper_b_nadam(learning_rate, schedule_decay))


def train_frame_model(model, table, run_dir, epochs, checkpoint=True):
    return training.fit(model, frame_data(table, shuffle=True), frame_data(splits["val"]), run_dir, epochs=epochs,
                        patience=patience, class_weight=training.balanced_class_weight(table["label"]),
                        checkpoint=checkpoint)


evaluation = {split: scoring_clips(splits[split]) for split in ("val", "test")}
frames_dir = artifacts / "models" / f"frames-{backbone}"
frame_model = new_frame_model()
history = train_frame_model(frame_model, splits["train"], frames_dir, epochs)
plots.plot_history(history, title=f"frames only ({backbone})");
'''),
    code('''
results = {}
frames_predictions = pd.concat([training.frame_predict_table(frame_model, evaluation[s]) for s in ("val", "test")])
training.write_predictions(frames_predictions, frames_dir, "frames")
training.save_model(frame_model, frames_dir / "model.keras", {**extraction, "frames": frames_per_video, "size": size,
                    "backbone": backbone, "architecture": "frames"})
results["frames"] = frames_predictions
display(metrics.summary_by_split(frames_predictions).round(3))
'''),
    md("## 2. Frames + bagging\nOne frame model per part of the fakes (each part with all the reals); a video is fake when most models say so (its score is above 0.5 exactly then; within equal votes it follows the mean probability, see `metrics.majority_vote`)."),
    code('''
if bagging_parts:
    parts = datasets.bagging_parts(splits["train"], bagging_parts, seed=seed)
    bag_dir = artifacts / "models" / f"frames-{backbone}-bagging"
    part_scores = {"val": [], "test": []}
    # one compiled model, restarted from fresh weights for every part (no new graph tracing)
    retrainer = training.Retrainer(new_frame_model())
    for number, part in enumerate(parts, start=1):
        print(f"part {number}/{len(parts)}: {int((part['label'] == 0).sum())} real, {int((part['label'] == 1).sum())} fake videos")
        keras.utils.set_random_seed(seed + number)
        part_model = retrainer.restart(models.build_frame_classifier(backbone, size, weights).get_weights())
        # no checkpoint file per part: seven Xceptions would be 600 MB; their scores are kept
        train_frame_model(part_model, part, bag_dir / f"part{number}", bagging_epochs, checkpoint=False)
        for split in part_scores:
            part_scores[split].append(training.frame_predict_table(part_model, evaluation[split])["score"].to_numpy())
    tables = []
    for split, scores in part_scores.items():
        table = training.video_table(evaluation[split])
        table["score"] = metrics.majority_vote(scores)
        table["mean_probability"] = np.mean(scores, axis=0)
        tables.append(table)
    results["frames + bagging"] = pd.concat(tables)
    training.write_predictions(results["frames + bagging"], bag_dir, "frames + bagging")
    display(metrics.summary_by_split(results["frames + bagging"]).round(3))
'''),
    md("## 3. Frames + LSTM / GRU\nThe embeddings come from the fine-tuned frame model (the paper: from a generic one, the LSTM overfits)."),
    code('''
extractor = models.embedding_extractor(frame_model)
sequences = {split: training.clip_embeddings(extractor, scoring_clips(splits[split], sequence_frames))
             for split in ("train", "val", "test")}
labels = {split: splits[split]["label"].to_numpy(np.float32) for split in sequences}
print({split: array.shape for split, array in sequences.items()})
for cell in ("lstm", "gru"):
    keras.utils.set_random_seed(seed)
    run_dir = artifacts / "models" / f"frames-{cell}"
    sequence_model = models.build_sequence_classifier(cell, sequence_frames, sequences["train"].shape[-1], recurrent_units)
    training.compile_model(sequence_model, keras.optimizers.Adam(1e-3))
    history = training.fit(sequence_model, (sequences["train"], labels["train"]), (sequences["val"], labels["val"]), run_dir,
                           epochs=sequence_epochs, patience=max(patience, 10), batch_size=32, verbose=0,
                           class_weight=training.balanced_class_weight(labels["train"]))
    tables = []
    for split in ("val", "test"):
        table = training.video_table(evaluation[split])
        table["score"] = np.asarray(sequence_model.predict(sequences[split], verbose=0)).reshape(-1)
        tables.append(table)
    results[f"frames + {cell.upper()}"] = pd.concat(tables)
    training.write_predictions(results[f"frames + {cell.upper()}"], run_dir, f"frames + {cell.upper()}")
    plots.plot_history(history, title=f"frames + {cell.upper()} ({len(history)} epochs)")
'''),
    md("## 4. 3D CNN, from scratch"),
    code('''
keras.utils.set_random_seed(seed)
conv3d_dir = artifacts / "models" / "conv3d"
conv3d = models.build_conv3d(conv3d_frames, conv3d_size, conv3d_filters)
training.compile_model(conv3d, keras.optimizers.Adam(1e-4 if weights == "imagenet" else 1e-3))
train_clips = training.ClipDataset(splits["train"], faces_dir, conv3d_frames, conv3d_size, conv3d_batch_size, shuffle=True, seed=seed)
conv3d_eval = {s: training.ClipDataset(splits[s], faces_dir, conv3d_frames, conv3d_size, conv3d_batch_size) for s in ("val", "test")}
history = training.fit(conv3d, train_clips, conv3d_eval["val"], conv3d_dir, epochs=conv3d_epochs, patience=patience,
                       class_weight=training.balanced_class_weight(splits["train"]["label"]))
results["3D CNN"] = pd.concat([training.predict_table(conv3d, conv3d_eval[s]) for s in ("val", "test")])
training.write_predictions(results["3D CNN"], conv3d_dir, "3D CNN")
training.save_model(conv3d, conv3d_dir / "model.keras", {**extraction, "frames": conv3d_frames, "size": conv3d_size,
                    "architecture": "conv3d"})
print(f"3D CNN: {conv3d.count_params():,} parameters")
plots.plot_history(history, title="3D CNN");
'''),
    md("## Video-level results\nTest split; the per-compression rows show the paper's hard case (c40) beside c23."),
    code('''
everything = pd.concat([table.assign(model=name) for name, table in results.items()])
test = everything[everything["split"] == "test"]
table = metrics.metrics_table(test, "model")
display(table.round(3))
display(metrics.metrics_table(test, ["model", "compression"])[["videos", "accuracy", "auc"]].round(3))
record_figures(**{f"test_auc[{name}]": float(table.loc[name, "auc"]) for name in table.index},
               **{f"test_accuracy[{name}]": float(table.loc[name, "accuracy"]) for name in table.index})
'''),
]
TRIPLET_05 = [
    md("""
# 05 · Paper B's proposal: FaceNet embeddings, a triplet network, RF / SGD

Kumar et al. (2020) embed every face crop with FaceNet (Inception-ResNet-v1,
512-d), train a small **triplet network** on those embeddings so that real
faces sit together and away from fakes (triplet loss with **online semi-hard
mining**; random triplets as the comparison), and classify the learned
embeddings with a **Random Forest** and an **SGD** classifier. A video's score
is the mean of its frames' probabilities.

The frames of a video stay on one side of the split (the authors' public code
split by frame, which leaks). The t-SNE maps before and after triplet training
correspond to the paper's Figs. 5 and 6; the silhouette score measures the
real/fake separation in the embedding space itself.
"""),
    params('''
profile: str = "demo"  # run profile: reads artifacts/<profile>/index.csv and faces/
seed: int = 0  # seeds the triplet network, the classifiers and t-SNE
compressions: list = []  # keep only these compression levels (Paper B: c40 for FF++); empty means all
facenet_model: str = "20180402-114759"  # Paper B's 512-d FaceNet (downloaded once); keras-facenet-128 works offline
frames_per_video: int = 25  # frames per video embedded (Paper B: 10 to 25)
margin: float = 0.2  # triplet loss alpha (FaceNet's 0.2; not given by the paper)
hidden_units: int = 256  # triplet network hidden layer (not given by the paper)
embedding_dim: int = 64  # triplet network output (not given by the paper)
epochs: int = 30  # triplet network epochs
batch_size: int = 256  # frames per batch; mining happens inside each batch
learning_rate: float = 0.001  # Adam
trees: int = 200  # Random Forest size
tsne_frames: int = 1500  # test frames drawn into the t-SNE maps
identity_check: bool = True  # embed the five celebrity folders first to show the FaceNet weights work
'''),
    code('''
import keras
import numpy as np
import pandas as pd
from IPython.display import display

from dfutils import config, facenet, metrics, plots, training, triplet
from dfutils.figures import record_figures
from dfutils.seeding import rng, seed_everything

seed_everything(seed)
artifacts = config.artifacts_dir(profile)
faces_dir = artifacts / "faces"
clips, extraction = training.load_clips(artifacts, compressions)
embedder = facenet.FaceNetEmbedder(facenet_model)
print(f"{len(clips)} videos; FaceNet {facenet_model}: {embedder.dimensions}-d, {facenet.FACENET_MODELS[facenet_model].source}")
'''),
    md("## FaceNet works: same person close, different people far\nFive celebrities' photos (shipped in a registry package), MTCNN crops, pairwise distances."),
    code('''
if identity_check:
    photos, people = facenet.celebrity_face_crops(per_person=6)
    check = facenet.identity_separation(embedder.embed(photos), people)
    display(pd.Series(check).round(3).to_frame("FaceNet on 5 celebrities"))
'''),
    md("## Embed every video's frames\nCached by video under `artifacts/<profile>/embeddings/`; an interrupted run resumes."),
    code('''
cache = artifacts / "embeddings" / f"facenet-{facenet_model}-{frames_per_video}.npz"
embeddings = facenet.embed_videos(embedder, clips, faces_dir, frames_per_video, cache)
parts = {split: np.flatnonzero(clips["split"] == split) for split in ("train", "val", "test")}
frames = {split: triplet.frames_of(embeddings[rows], clips["label"].iloc[rows]) for split, rows in parts.items()}
print({split: x.shape for split, (x, _) in frames.items()})
'''),
    md("## Train the triplet network\nSemi-hard mining (the proposal) and random triplets (the comparison), same network and seed."),
    code('''
networks, histories = {}, []
for mining in ("semi-hard", "random"):
    keras.utils.set_random_seed(seed)
    networks[mining], history = triplet.train_embedding_network(
        *frames["train"], *frames["val"], mining=mining, margin=margin, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, hidden_units=hidden_units, embedding_dim=embedding_dim, seed=seed)
    histories.append(history.assign(mining=mining))
plots.plot_loss_curves(pd.concat(histories), by="mining", title="triplet loss");
'''),
    md("""
## Embeddings before and after triplet training (cf. the paper's Figs. 5 and 6)

Training frames show what the triplet loss optimised; test frames (other
identities, never seen in training) show whether it generalises. The
silhouette score of the real/fake labels is computed in each embedding space
itself (1: separate tight classes, 0: overlapping, below 0: mixed).
"""),
    code('''
silhouette, maps = {}, {}
for split in ("train", "test"):
    rows = parts[split]
    chosen = rng(seed, "tsne", split).permutation(len(rows) * frames_per_video)[:tsne_frames]
    video_of = np.repeat(rows, frames_per_video)[chosen]
    labels = clips["label"].to_numpy()[video_of]
    hue = pd.DataFrame({"label_name": np.where(labels == 1, "fake", "real"), "method": clips["method"].to_numpy()[video_of]})
    spaces_before_after = {"FaceNet": embeddings[rows].reshape(-1, embedder.dimensions)[chosen],
                           "triplet (semi-hard)": triplet.embed(networks["semi-hard"], embeddings[rows]).reshape(-1, embedding_dim)[chosen]}
    for space, vectors in spaces_before_after.items():
        silhouette[(split, space)] = triplet.separation(vectors, labels)
        xy = triplet.tsne_map(vectors, seed)
        maps[f"{space}, {split} frames"] = hue.assign(x=xy[:, 0], y=xy[:, 1])
display(pd.Series(silhouette).unstack().round(3).rename_axis(index="frames", columns="space"))
plots.plot_tsne(maps, title="t-SNE of frame embeddings before and after triplet training");
'''),
    md("## Classifiers on the embeddings\nRandom Forest and SGD (log loss) on every training frame; a video's score is the mean over its frames. FaceNet + RF without triplet training shows what the triplet network adds."),
    code('''
spaces = {"triplets (semi-hard)": networks["semi-hard"], "triplets (random)": networks["random"], "FaceNet": None}
results = {}
for space, network in spaces.items():
    video_vectors = embeddings if network is None else triplet.embed(network, embeddings)
    train_x, train_y = triplet.frames_of(video_vectors[parts["train"]], clips["label"].iloc[parts["train"]])
    for kind in triplet.CLASSIFIERS if network is not None else ("rf",):
        classifier = triplet.make_classifier(kind, seed, trees).fit(train_x, train_y)
        name = f"{space} + {kind.upper()}"
        table = pd.concat([clips.iloc[parts[s]][["video_id", "label", "method", "compression", "split", "group"]]
                           .assign(score=triplet.video_scores(classifier, video_vectors[parts[s]])) for s in ("val", "test")])
        results[name] = table
        slug = name.replace(" + ", "-").replace(" ", "-").replace("(", "").replace(")", "").lower()
        training.write_predictions(table, artifacts / "models" / slug, name)
        if network is not None:  # the whole pipeline in one file, for dfutils predict
            triplet.save_pipeline(artifacts / "models" / slug / "model.keras", network, classifier,
                                  {**extraction, "facenet_model": facenet_model, "frames": frames_per_video,
                                   "size": int(extraction["extraction"]["size"])})
everything = pd.concat([table.assign(model=name) for name, table in results.items()])
test = everything[everything["split"] == "test"]
summary = metrics.metrics_table(test, "model")
display(summary.round(3))
'''),
    md("""
## What the authors' frame-level split would report (it leaks)

The paper's public code split frames at random, so frames of one video, and
faces of one identity, sit on both sides. Repeating that here, on the same
embeddings and classifier, shows how much of a score such a split can owe to
recognising the videos rather than the manipulation. The leak-free figures
above are the ones this project reports.
"""),
    code('''
pooled = np.concatenate([parts["train"], parts["test"]])
frame_x, frame_y = triplet.frames_of(embeddings[pooled], clips["label"].iloc[pooled])
shuffled = rng(seed, "leaky-split").permutation(len(frame_y))
cut = int(0.8 * len(shuffled))
keras.utils.set_random_seed(seed)
leaky_network, _ = triplet.train_embedding_network(
    frame_x[shuffled[:cut]], frame_y[shuffled[:cut]], frame_x[shuffled[cut:]], frame_y[shuffled[cut:]], margin=margin,
    epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, hidden_units=hidden_units, embedding_dim=embedding_dim, seed=seed)
projected = leaky_network.predict(frame_x, verbose=0)
leaky_classifier = triplet.make_classifier("rf", seed, trees).fit(projected[shuffled[:cut]], frame_y[shuffled[:cut]])
leaky_auc = metrics.video_metrics(frame_y[shuffled[cut:]], leaky_classifier.predict_proba(projected[shuffled[cut:]])[:, 1])["auc"]
display(pd.Series({"frame-level random split (leaks, as the authors' code)": leaky_auc,
                   "split by video and identity (this project)": float(summary.loc["triplets (semi-hard) + RF", "auc"])},
                  name="triplets (semi-hard) + RF: AUC").round(3).to_frame())
'''),
    md("## Train on one compression, test on another\nThe whole pipeline (triplet network and RF) trained on one level's training videos, scored on each level's test videos (ROC AUC)."),
    code('''
levels = sorted(clips["compression"].unique())
matrix = pd.DataFrame(index=pd.Index(levels, name="trained on"), columns=pd.Index(levels, name="tested on"), dtype=float)
if len(levels) > 1:
    for trained_on in levels:
        rows = parts["train"][clips["compression"].to_numpy()[parts["train"]] == trained_on]
        val_rows = parts["val"][clips["compression"].to_numpy()[parts["val"]] == trained_on]
        keras.utils.set_random_seed(seed)
        network, _ = triplet.train_embedding_network(
            *triplet.frames_of(embeddings[rows], clips["label"].iloc[rows]),
            *triplet.frames_of(embeddings[val_rows], clips["label"].iloc[val_rows]), margin=margin, epochs=epochs,
            batch_size=batch_size, learning_rate=learning_rate, hidden_units=hidden_units, embedding_dim=embedding_dim, seed=seed)
        classifier = triplet.make_classifier("rf", seed, trees).fit(*triplet.frames_of(triplet.embed(network, embeddings[rows]), clips["label"].iloc[rows]))
        for tested_on in levels:
            test_rows = parts["test"][clips["compression"].to_numpy()[parts["test"]] == tested_on]
            scores = triplet.video_scores(classifier, triplet.embed(network, embeddings[test_rows]))
            matrix.loc[trained_on, tested_on] = metrics.video_metrics(clips["label"].iloc[test_rows], scores)["auc"]
    matrix.to_csv(artifacts / "models" / "compression_matrix.csv")
    plots.plot_matrix(matrix, "triplets (semi-hard) + RF: test AUC")
display(matrix.round(3))
record_figures(leaky_frame_split_auc=leaky_auc, silhouette_before=silhouette[("train", "FaceNet")], silhouette_after=silhouette[("train", "triplet (semi-hard)")],
               silhouette_test_before=silhouette[("test", "FaceNet")], silhouette_test_after=silhouette[("test", "triplet (semi-hard)")],
               **{f"test_auc[{name}]": float(summary.loc[name, "auc"]) for name in summary.index})
'''),
]
RESULTS_06 = [
    md("""
# 06 · Results: the papers' tables beside ours, ROC curves, confusion matrices, Grad-CAM

This notebook reads what the training notebooks left under
`artifacts/<profile>/models/` (per-video predictions, histories, models) and
lays our figures beside the papers' numbers, cell by cell as **ours / paper**.

**Read the dataset line above every table.** On the demo profile ours are
**SynthDF** figures (the built-in offline benchmark, models trained from
scratch on a CPU in minutes); the papers' are DFDC, Celeb-DF and FF++ figures
from ImageNet-pretrained models trained for days on GPUs. The tables show that
every model runs and is scored the papers' way, not that SynthDF numbers
reproduce theirs.
"""),
    params('''
profile: str = "demo"  # run profile: reads artifacts/<profile>/models/
seed: int = 0  # seeds Paper A's repeated down-sampled test
dataset_note: str = "SynthDF (built-in offline benchmark)"  # what our figures were measured on
repeats: int = 10  # Paper A: the test repeated with fakes down-sampled to the reals, mode reported
hard_compression: str = "c40"  # Paper B's Tables II and III are FF++ at this compression
gradcam_faces: int = 6  # test crops shown with Grad-CAM (0 skips it)
'''),
    code('''
import pandas as pd
from IPython.display import Markdown, display

from dfutils import config, datasets, explain, plots, results, training
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed)
artifacts = config.artifacts_dir(profile)
predictions = results.collect_predictions(artifacts)
info = results.collect_info(artifacts)
if predictions.empty:
    raise FileNotFoundError(f"{artifacts / 'models'}: no predictions.csv yet; run the training notebooks (03 to 05) first")
print(f"{predictions['model'].nunique()} models, {predictions['video_id'].nunique()} videos scored")
'''),
    md("## Every model at a glance (test videos)"),
    code('''
headline = results.headline(predictions)
display(headline.round(3))
'''),
    md("## Paper A, Table 2"),
    code('''
display(Markdown(f"**ours**: {dataset_note}, test split, fakes down-sampled to the reals {repeats} times "
                 f"(mode of values rounded to 1 point, the median when none repeats) · "
                 f"**paper**: {results.PAPER_A_DATASET}"))
parameters = {record["backbone"]: record["parameters"] for record in info.values() if "backbone" in record and "parameters" in record}
display(results.paper_a_table(predictions, parameters, repeats=repeats, seed=seed))
'''),
    md("## Paper B, Tables I to III"),
    code('''
for number, table in results.paper_b_tables(predictions, hard_compression).items():
    where = "all test videos" if number == "I" else f"test videos at {hard_compression} (all if the run has none)"
    display(Markdown(f"**Table {number}** · ours: {dataset_note}, {where} · paper: {results.PAPER_B_DATASETS[number]}"))
    display(table)
'''),
    md("## ROC curves"),
    code('''
plots.plot_roc(predictions[predictions["split"] == "test"], title=f"ROC curves, test videos ({dataset_note})");
'''),
    md("## Confusion matrices (threshold 0.5)"),
    code('''
plots.plot_confusions(results.confusions(predictions));
'''),
    md("## Training curves"),
    code('''
for run, history in results.collect_histories(artifacts).items():
    plots.plot_history(history, title=run)
'''),
    md("## Per method and per compression (test AUC)\nEach manipulation method is scored against all real test videos."),
    code('''
by_method = results.breakdown(predictions, "method")
by_compression = results.breakdown(predictions, "compression")
display(by_method.round(3))
display(by_compression.round(3))
plots.plot_matrix(by_method, "test AUC by manipulation method");
'''),
    md("## Train on one compression, test on another\nFrom notebook 05 (triplets + RF)."),
    code('''
matrix_file = artifacts / "models" / "compression_matrix.csv"
if matrix_file.is_file():
    matrix = pd.read_csv(matrix_file, index_col=0)
    matrix.index.name, matrix.columns.name = "trained on", "tested on"
    display(matrix.round(3))
    plots.plot_matrix(matrix, "triplets (semi-hard) + RF: test AUC");
else:
    print("no compression matrix (notebook 05 needs two compression levels)")
'''),
    md("## Grad-CAM of the frame classifier (cf. Paper B, Fig. 4)"),
    code('''
frame_models = sorted((artifacts / "models").glob("frames-*/model.keras"))
if gradcam_faces and frame_models:
    frame_model, settings = training.load_model(frame_models[0])
    index = datasets.read_index(artifacts / "index.csv")
    faces = pd.read_csv(artifacts / "faces" / "faces.csv", keep_default_na=False)
    test = training.clip_table(index[index["split"] == "test"], faces)
    picks = pd.concat([test[test["label"] == 0].head(1), test[test["label"] == 1].groupby("method").head(1)]).head(gradcam_faces)
    clips = training.ClipDataset(picks, artifacts / "faces", 1, settings["size"], len(picks))
    images = clips[0][0][:, 0]
    cams, probabilities = explain.grad_cam(frame_model, images)
    explain.plot_grad_cam(images, cams, probabilities, picks["method"].tolist());
'''),
    code('''
best = headline.index[0]
record_figures(models=len(headline), best_model=best, best_test_auc=float(headline.loc[best, "auc"]))
'''),
]

NOTEBOOK_CELLS = {"01_data": DATA_01, "02_faces": FACES_02, "03_time_distributed": TIME_DISTRIBUTED_03,
                  "04_frame_baselines": FRAME_BASELINES_04,
                  "05_triplet": TRIPLET_05,
                  "06_results": RESULTS_06}


def write(name: str) -> Path:
    notebook = new_notebook(cells=NOTEBOOK_CELLS[name])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    path = NOTEBOOKS / f"{name}.ipynb"
    nbformat.write(notebook, str(path))
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or NOTEBOOK_CELLS:
        print(write(name))
