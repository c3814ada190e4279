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
# 01 · Data: index a dataset and check its splits

Every later notebook reads the **index table** this notebook writes
(`artifacts/<profile>/index.csv`): one row per video with its label
(1 = fake), manipulation method, compression, the original it was made from,
its leak-free **group**, and its split. Groups are originals or identities: a
group never sits on two sides of a split, so no face seen in training is
tested on (the metric-learning paper's public code split by frame and leaked).

Run it by hand in Jupyter, or through `dfutils run params/<profile>.yaml`.
"""),
    params('''
profile: str = "demo"  # run profile: artifacts go to artifacts/<profile>/
seed: int = 0  # seeds the grouped split when no official split exists
dataset: str = "ffpp"  # dfdc, celebdf or ffpp
dataset_root: str = ""  # required: folder of the official download
compressions: list = []  # ffpp: compression levels to index (c0, c23, c40); empty means all found
methods: list = []  # ffpp: manipulation methods to index; empty means all found
'''),
    code('''
from IPython.display import display

from dfutils import config, datasets, plots
from dfutils.figures import record_figures
from dfutils.seeding import seed_everything

seed_everything(seed, keras=False)
artifacts = config.artifacts_dir(profile)
artifacts.mkdir(parents=True, exist_ok=True)
index_path = artifacts / "index.csv"
options = {"seed": seed}
if dataset == "ffpp":
    options.update(compressions=compressions or None, methods=methods or None)
'''),
    md("## Index the download\nFiles listed in the metadata but absent on disk are left out and listed below, not fatal."),
    code('''
index = datasets.index_dataset(dataset, dataset_root, **options)
missing = datasets.missing_files(index)
datasets.write_index(index, index_path)
print(f"{len(index)} videos indexed from {dataset_root} -> {index_path}")
display(index.drop(columns="path").head(10))
'''),
    code('''
print(f"{len(missing)} file(s) listed or implied but absent")
display(missing)
'''),
    md("## Class balance per split and method"),
    code('''
table = datasets.composition(index)
display(table.pivot_table(index=["split", "method"], columns="label_name", values="videos", fill_value=0, observed=True))
plots.plot_composition(index, title=f"{dataset}: videos per split and method");
'''),
    md("## No leaks\nEvery video and every group must sit in exactly one split."),
    code('''
datasets.check_no_leak(index)
groups_per_split = index.groupby("split")["group"].nunique()
display(groups_per_split.rename("groups").to_frame())
record_figures(
    videos=len(index),
    real=int((index["label"] == 0).sum()),
    fake=int((index["label"] == 1).sum()),
    groups=int(index["group"].nunique()),
    missing_files=len(missing),
)
'''),
]

NOTEBOOK_CELLS = {"01_data": DATA_01}


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
