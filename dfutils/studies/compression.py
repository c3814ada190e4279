"""How close the simulated FF++ compression is to the real thing (``notebooks/10_compression.ipynb``).

FF++ publishes the same videos raw, at c23 and at c40. ``../shared/real-faces`` holds clean crops of 140 FF++
videos (``ffpp-256``) and crops cut from the **c40** videos of 198 (``ffpp-c40``); 29 originals are in both:
the same people, the same videos, at two compressions. This module

- puts those videos' crops side by side (:func:`compression_sets`): clean, clean re-encoded by
  :func:`dfutils.faces.compression.h264_roundtrip` (simulated c23 and c40), and real c40, cut alike (the
  crops of each folder are centre-cropped to the tighter folder's face fraction, as the detector measures
  it) and brought to one size;
- measures each crop (:func:`image_statistics`): **8x8 blockiness** (the steps that block coding leaves at
  block edges), the **share of high-frequency energy** and the **variance of the Laplacian** (sharpness);
- asks a small **domain classifier** (a logistic regression on those statistics and the radially averaged
  power spectrum, cross-validated by person) how well it tells two sets apart (:func:`domain_auc`): real c40
  against simulated c40 should be far closer to 0.5 than real c40 against clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

STATISTICS = ("blockiness", "high_frequency_energy", "laplacian_variance")


# --------------------------------------------------------------------------- statistics of one crop
def _gray(crop: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.asarray(crop, np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float64)


def blockiness(gray: np.ndarray, period: int = 8) -> float:
    """8x8 blockiness: how much larger the mean absolute step between neighbouring pixels is across a block
    boundary than inside blocks, at the grid offset where it is largest, averaged over columns and rows. About
    1 for a natural image; block coding's flattened blocks and steps at their edges raise it. Crops resized
    after coding move the grid, so their blocks count only partly."""
    scores = []
    for axis in (0, 1):
        steps = np.abs(np.diff(gray, axis=1 - axis)).mean(axis=axis)
        position = np.arange(len(steps)) % period
        scores.append(max(steps[position == offset].mean() / max(steps[position != offset].mean(), 1e-12)
                          for offset in range(period)))
    return float(np.mean(scores))


def _power_spectrum(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2-D power spectrum of a windowed image and each bin's radius in cycles per pixel (0 to ~0.7)."""
    window = np.outer(np.hanning(gray.shape[0]), np.hanning(gray.shape[1]))
    power = np.abs(np.fft.fftshift(np.fft.fft2((gray - gray.mean()) * window))) ** 2
    fy = np.fft.fftshift(np.fft.fftfreq(gray.shape[0]))
    fx = np.fft.fftshift(np.fft.fftfreq(gray.shape[1]))
    return power, np.hypot(*np.meshgrid(fy, fx, indexing="ij"))


def high_frequency_energy(gray: np.ndarray, cutoff: float = 0.25) -> float:
    """The share of the image's (non-DC) spectral energy above ``cutoff`` cycles per pixel (half of Nyquist)."""
    power, radius = _power_spectrum(gray)
    return float(power[radius > cutoff].sum() / max(power[radius > 0.02].sum(), 1e-12))


def laplacian_variance(gray: np.ndarray) -> float:
    """The variance of the Laplacian: the usual sharpness measure (a blurred image has little)."""
    import cv2

    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def image_statistics(crops: np.ndarray) -> pd.DataFrame:
    """One row per crop (RGB uint8): the :data:`STATISTICS`, on its luma."""
    rows = []
    for crop in crops:
        gray = _gray(crop)
        rows.append({"blockiness": blockiness(gray), "high_frequency_energy": high_frequency_energy(gray),
                     "laplacian_variance": laplacian_variance(gray)})
    return pd.DataFrame(rows, columns=list(STATISTICS))


def spectral_profile(crops: np.ndarray, bins: int = 16) -> np.ndarray:
    """Each crop's radially averaged log power spectrum in ``bins`` rings up to Nyquist, minus its mean (so the
    shape counts, not the contrast): crops x bins."""
    edges = np.linspace(0.02, 0.5, bins + 1)
    profiles = []
    for crop in crops:
        power, radius = _power_spectrum(_gray(crop))
        ring = np.digitize(radius, edges) - 1
        logs = np.log10([power[ring == k].mean() + 1e-9 for k in range(bins)])
        profiles.append(logs - logs.mean())
    return np.array(profiles)


def domain_features(crops: np.ndarray) -> np.ndarray:
    """What the domain classifier reads: the statistics (Laplacian variance in logs) and the spectral profile."""
    table = image_statistics(crops)
    table["laplacian_variance"] = np.log10(table["laplacian_variance"] + 1e-6)
    return np.hstack([table.to_numpy(), spectral_profile(crops)])


def domain_auc(first: np.ndarray, second: np.ndarray, first_people, second_people, seed: int,
               folds: int = 5) -> dict:
    """How well a logistic regression tells two sets of crop features apart, cross-validated so that no person
    is on both sides of a fold: the AUC of its held-out scores (0.5: indistinguishable) and a 95% bootstrap
    interval."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dfutils.evaluation.metrics import auc_interval

    features = np.vstack([first, second])
    labels = np.r_[np.zeros(len(first), int), np.ones(len(second), int)]
    people = np.r_[np.asarray(first_people, str), np.asarray(second_people, str)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    splits = GroupKFold(n_splits=min(folds, len(set(people))))
    scores = cross_val_predict(model, features, labels, groups=people, cv=splits, method="predict_proba")[:, 1]
    low, high = auc_interval(labels, scores, seed=seed)
    return {"auc": float(roc_auc_score(labels, scores)), "auc_low": low, "auc_high": high,
            "crops": f"{len(first)} vs {len(second)}"}


# --------------------------------------------------------------------------- the same videos at two compressions
@dataclass
class CompressionSets:
    """Crops of the same people at several compressions, cut alike: set name -> crops (N x size x size x 3) and
    the person of each crop; how each folder was cut (``geometry``) and the side the simulation encoded at."""

    crops: dict[str, np.ndarray] = field(default_factory=dict)
    people: dict[str, np.ndarray] = field(default_factory=dict)
    geometry: dict = field(default_factory=dict)
    encoding_side: int = 0

    def add(self, name: str, crops: list[np.ndarray], people: list[str]) -> None:
        self.crops[name], self.people[name] = np.stack(crops), np.array(people)

    def statistics(self) -> pd.DataFrame:
        """Every crop's statistics with its set and person (the long table the plots read)."""
        return pd.concat([image_statistics(crops).assign(set=name, person=self.people[name])
                          for name, crops in self.crops.items()], ignore_index=True)

    def domain_table(self, reference: str, seed: int) -> pd.DataFrame:
        """The domain classifier's AUC of ``reference`` against each other set (0.5: it cannot tell them apart)."""
        features = {name: domain_features(crops) for name, crops in self.crops.items()}
        rows = [{"against": name, **domain_auc(features[reference], features[name], self.people[reference],
                                                self.people[name], seed)}
                for name in self.crops if name != reference]
        return pd.DataFrame(rows).set_index("against").rename_axis(f"{reference} against")

    def examples(self, count: int = 6) -> dict[str, list[np.ndarray]]:
        """The first crop of ``count`` people in every set (for a grid: a column per person, a row per set)."""
        shown = sorted(set.intersection(*(set(people) for people in self.people.values())))[:count]
        return {name: [crops[list(self.people[name]).index(person)] for person in shown]
                for name, crops in self.crops.items()}


def shared_originals(clean_root: str | Path, compressed_root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The crop files (``video_id, file, frame``) of the original (real) videos both folders hold, each with its
    FF++ id as ``person``: the clean folder's and the compressed folder's."""
    from dfutils.data.datasets import index_faces

    members = {}
    for name, root in (("clean", clean_root), ("compressed", compressed_root)):
        index = index_faces(root)
        reals = index[index["label"] == 0]
        files = index.attrs["members"]
        files = files[files["video_id"].isin(reals["video_id"])].copy()
        files["person"] = files["video_id"].str.rsplit("/", n=1).str[-1]
        members[name] = files
    shared = sorted(set(members["clean"]["person"]) & set(members["compressed"]["person"]))
    return tuple(members[name][members[name]["person"].isin(shared)].reset_index(drop=True)
                 for name in ("clean", "compressed"))


def compression_sets(clean_root: str | Path, compressed_root: str | Path, face_side: int, *, size: int,
                     crf_levels=(23, 40), compressed_label: str = "real c40", seed: int = 0,
                     geometry_crops: int = 40) -> CompressionSets:
    """The shared originals' crops: clean, clean re-encoded at each of ``crf_levels`` (a face box of
    ``face_side`` pixels in the source video), and the compressed folder's, cut alike and at ``size``."""
    from dfutils.faces import packing
    from dfutils.faces.compression import encoding_side

    clean, compressed = shared_originals(clean_root, compressed_root)
    geometry = {name: packing.crop_geometry(packing.sample_files(files, geometry_crops, seed), "mtcnn")
                for name, files in (("clean", clean), ("compressed", compressed))}
    tighter = min(found["side_ratio"] for found in geometry.values())
    keep = {name: tighter / found["side_ratio"] for name, found in geometry.items()}
    sets = CompressionSets(geometry={name: {**found, "keep": keep[name]} for name, found in geometry.items()},
                           encoding_side=encoding_side(face_side, geometry["clean"]["side_ratio"] * keep["clean"]))
    sets.add(
        "clean", [packing.read_image(file, size, keep["clean"]) for file in clean["file"]], clean["person"].tolist()
    )
    for crf in crf_levels:
        pack = packing.PackSettings(size=size, crf=crf, crf_side=sets.encoding_side)
        sets.add(f"simulated c{crf}", *_reencoded(clean, keep["clean"], pack))
    sets.add(compressed_label, [packing.read_image(file, size, keep["compressed"]) for file in compressed["file"]],
             compressed["person"].tolist())
    return sets


def _reencoded(files: pd.DataFrame, keep: float, pack) -> tuple[list[np.ndarray], list[str]]:
    """Each video's crop files re-encoded as one clip (``pack``), in the order of ``files``, with their people."""
    from dfutils.faces import packing

    crops, people = [], []
    for _, video in files.groupby("video_id", sort=False):
        crops.extend(packing.reencoded([packing.read_image(file, None, keep) for file in video["file"]], pack))
        people += video["person"].tolist()
    return crops, people


def face_side_sweep(sets: CompressionSets, clean_root: str | Path, compressed_root: str | Path, face_sides,
                    crf: int, seed: int, size: int, compressed_label: str = "real c40") -> pd.DataFrame:
    """The domain classifier's AUC of real against simulated c``crf`` for several face sides: how much the
    simulation depends on the size it encodes at."""
    from dfutils.faces import packing
    from dfutils.faces.compression import encoding_side

    clean, _ = shared_originals(clean_root, compressed_root)
    keep, ratio = sets.geometry["clean"]["keep"], sets.geometry["clean"]["side_ratio"]
    real = domain_features(sets.crops[compressed_label])
    rows = []
    for face_side in face_sides:
        pack = packing.PackSettings(size=size, crf=crf, crf_side=encoding_side(face_side, ratio * keep))
        crops, people = _reencoded(clean, keep, pack)
        found = domain_auc(real, domain_features(np.stack(crops)), sets.people[compressed_label], people, seed)
        rows.append({"face_side": face_side, "encoded_at": pack.crf_side, **found})
    return pd.DataFrame(rows)


def video_sets(compressed_root: str | Path, clean_root: str | Path, out: str | Path, settings, crf: int,
               seed: int = 0, workers: int = 2) -> CompressionSets:
    """Crops cut here alike (``settings``) from FF++ videos: the c23 videos of ``clean_root`` as they are and
    re-encoded at ``crf`` (at each face's own size in its frame), and the c40 videos of ``compressed_root``."""
    from dataclasses import replace

    sets = CompressionSets()
    for name, root, level, reencode in (
        ("c23", clean_root, "c23", 0),
        (f"c23 simulated c{crf}", clean_root, "c23", crf),
        ("real c40", compressed_root, "c40", 0),
    ):
        folder = Path(out) / f"{level}-crf{reencode}"
        crops, videos = video_crops(root, folder, replace(settings, crf=reencode), seed, workers, (level,))
        sets.add(name, list(crops), videos)
    return sets


def video_crops(root: str | Path, out: str | Path, settings, seed: int = 0, workers: int = 2,
                compressions=("c40",)) -> tuple[np.ndarray, list[str]]:
    """Crops cut here (with ``settings``) from the videos of an FF++ tree at ``compressions``, real and fake, and
    the video each came from: compressed faces as a detector meets them."""
    from dfutils.data.datasets import data_root, index_dataset
    from dfutils.faces.crop_files import read_crops
    from dfutils.faces.extract import faces_of_index

    index = index_dataset("ffpp", data_root(root), compressions=list(compressions), seed=seed)
    faces, _ = faces_of_index(index, out, settings, workers=workers, seed=seed, progress=False)
    crops, videos = [], []
    for row in faces[faces["status"] != "failed"].itertuples():
        found = read_crops(Path(out) / row.crops)
        crops.extend(found)
        videos += [row.video_id] * len(found)
    return np.stack(crops), videos
