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
    md("## Validation and test predictions"),
    code('''
predictions = pd.concat([training.predict_table(model, validation), training.predict_table(model, test)])
predictions.to_csv(run_dir / "predictions.csv", index=False)
summary = metrics.summary_by_split(predictions)
display(summary.round(3))
model_path = training.save_model(model, run_dir / "model.keras", {
    **extraction, "frames": frames, "size": size, "backbone": backbone, "architecture": "time_distributed"})
print(f"saved {model_path}")
record_figures(backbone=backbone, parameters=parameters, paper_parameters=models.PAPER_A_PARAMETERS[backbone],
               epochs_run=len(history), val_auc=float(summary.loc["val", "auc"]), test_auc=float(summary.loc["test", "auc"]))
'''),
]

NOTEBOOK_CELLS = {"01_data": DATA_01, "02_faces": FACES_02, "03_time_distributed": TIME_DISTRIBUTED_03}


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
