"""Clips: a run's videos joined with their face crops, and the batches models read from them.

- :func:`load_clips` joins a run's index with its crop cache (checked for leaks between splits)
  and returns the extraction settings the crops were made with.
- :func:`fit_clip` gives any video's crops as a clip of ``frames`` crops at ``size`` px.
- :class:`ClipDataset` streams batches of clips (``frames x size x size x 3``, floats in
  [0, 255]) from the per-video crop cache, never holding the dataset in memory; optional
  augmentation (flip, brightness/contrast, JPEG re-compression) is off by default.
  :class:`FrameDataset` serves single frames for the frame-level models, and :class:`SelfBlendedFrames`
  adds self-blended fakes made from their real crops.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from dfutils.data.video import even_indices
from dfutils.errors import UserInputError
from dfutils.faces.crop_files import load_crops, read_crops
from dfutils.seeding import rng


@dataclass(frozen=True)
class Augmentation:
    flip: bool = False
    brightness_contrast: float = 0.0  # max relative change, e.g. 0.2
    jpeg_quality: int = 0  # re-compress at a random quality in [jpeg_quality, 95]; 0 = off
    crf_range: tuple = ()  # (low, high): the clip re-encoded as H.264 at a random CRF in it, as FF++ c23/c40; () = off

    def __post_init__(self):
        from dfutils.faces.compression import check_crf_range

        object.__setattr__(self, "crf_range", check_crf_range(self.crf_range))

    @property
    def active(self) -> bool:
        return self.flip or self.brightness_contrast > 0 or self.jpeg_quality > 0 or bool(self.crf_range)


def clip_indices(count: int, frames: int) -> np.ndarray:
    """Which of a video's ``count`` crops make a clip of ``frames``: evenly spaced, repeated when it has fewer."""
    if count >= frames:
        return even_indices(count, frames)
    return np.linspace(0, count - 1, frames).round().astype(int)


def read_clip_crops(path: Path, frames: int) -> np.ndarray:
    """The crops of a cache file that a clip of ``frames`` uses, the others left undecoded; ``fit_clip``
    makes the same clip of them as of all the crops."""
    return read_crops(path, pick=lambda count: clip_indices(count, frames))


def fit_clip(crops: np.ndarray, frames: int, size: int) -> np.ndarray:
    """``frames`` evenly spaced crops (repeating when a video has fewer) at ``size`` px, float32."""
    import cv2

    chosen = crops[clip_indices(len(crops), frames)].astype(np.float32)
    if chosen.shape[1] != size:
        chosen = np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in chosen])
    return chosen


def augment_clip(clip: np.ndarray, augmentation: Augmentation, generator: np.random.Generator) -> np.ndarray:
    """The same random change for every frame of a clip (a video is flipped, and re-encoded, as a whole)."""
    import cv2

    if augmentation.flip and generator.uniform() < 0.5:
        clip = clip[:, :, ::-1]
    if augmentation.brightness_contrast > 0:
        amount = augmentation.brightness_contrast
        contrast, brightness = 1 + generator.uniform(-amount, amount), generator.uniform(-amount, amount) * 255
        clip = np.clip((clip - 127.5) * contrast + 127.5 + brightness, 0, 255)
    if augmentation.crf_range:
        clip = reencode_clip(clip, augmentation.crf_range, generator)
    if augmentation.jpeg_quality > 0:
        quality = int(generator.integers(augmentation.jpeg_quality, 96))
        frames = []
        for frame in clip.astype(np.uint8):
            ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            frames.append(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED))
        clip = np.stack(frames).astype(np.float32)
    return np.ascontiguousarray(clip, dtype=np.float32)


def reencode_clip(clip: np.ndarray, crf_range: tuple[int, int], generator: np.random.Generator) -> np.ndarray:
    """A clip (floats in [0, 255]) re-encoded as H.264 at a CRF drawn from ``crf_range``, at its own size."""
    from dfutils.faces.compression import h264_roundtrip, random_crf

    crf = random_crf(generator, crf_range)
    encoded = h264_roundtrip(np.clip(np.asarray(clip), 0, 255).round().astype(np.uint8), crf)
    return encoded.astype(np.float32)


class ClipDataset(keras.utils.PyDataset):
    """Batches of (clips, labels) read from the crop cache, one video per clip.

    ``table`` needs ``video_id``, ``label`` and ``crops`` (the cache file,
    relative to ``faces_dir``). Shuffling and augmentation are seeded and
    change every epoch.
    """

    def __init__(self, table: pd.DataFrame, faces_dir: str | Path, frames: int, size: int, batch_size: int,
                 shuffle: bool = False, augmentation: Augmentation | None = None, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        missing = {"video_id", "label", "crops"} - set(table.columns)
        if missing:
            raise UserInputError(f"clip table: missing column(s) {', '.join(sorted(missing))}")
        if table.empty:
            raise UserInputError("clip table: no videos")
        self.table = table.reset_index(drop=True)
        self.labels = self.table["label"].to_numpy(np.float32)
        self.faces_dir = Path(faces_dir)
        self.frames, self.size, self.batch_size = frames, size, batch_size
        self.shuffle, self.seed = shuffle, seed
        self.augmentation = augmentation or Augmentation()
        self.epoch = 0
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.table))
        return rng(self.seed, "clip-order", self.epoch).permutation(len(self.table))

    def __len__(self) -> int:
        return math.ceil(len(self.table) / self.batch_size)

    def clip(self, row: int) -> np.ndarray:
        clip = fit_clip(
            read_clip_crops(self.faces_dir / self.table.at[row, "crops"], self.frames), self.frames, self.size
        )
        if self.augmentation.active:
            clip = augment_clip(clip, self.augmentation, rng(self.seed, "augment", self.epoch, int(row)))
        return clip

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        clips = np.stack([self.clip(int(row)) for row in rows])
        return clips, self.labels[rows]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self._order()


class FrameDataset(ClipDataset):
    """Batches of single face crops (``frames`` per video, each labelled with its video's label).

    Shuffling keeps locality: videos are shuffled, then the frames of each window of
    ``window`` videos are shuffled together, so a bounded cache of decoded videos serves
    every frame.
    """

    def __init__(self, *args, window: int = 64, **kwargs):
        self.window = window
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        super().__init__(*args, **kwargs)
        # a video's frames are re-encoded together, as the clip they are (once per epoch); the rest per frame
        self.frame_augmentation = replace(self.augmentation, crf_range=())

    def _order(self) -> np.ndarray:
        videos, frames = len(self.table), self.frames
        pairs = np.stack(np.meshgrid(np.arange(videos), np.arange(frames), indexing="ij"), -1).reshape(-1, 2)
        if not self.shuffle:
            return pairs
        generator = rng(self.seed, "frame-order", self.epoch)
        video_order = generator.permutation(videos)
        chunks = []
        for start in range(0, videos, self.window):
            block = pairs.reshape(videos, frames, 2)[video_order[start:start + self.window]].reshape(-1, 2)
            chunks.append(block[generator.permutation(len(block))])
        return np.concatenate(chunks)

    def __len__(self) -> int:
        return math.ceil(len(self.table) * self.frames / self.batch_size)

    def _frames_of(self, row: int) -> np.ndarray:
        crf_range = self.augmentation.crf_range
        key = (row, self.epoch) if crf_range else (row,)
        if key not in self._cache:
            clip = fit_clip(read_clip_crops(self.faces_dir / self.table.at[row, "crops"], self.frames), self.frames,
                            self.size)
            if crf_range:
                clip = reencode_clip(clip, crf_range, rng(self.seed, "reencode", self.epoch, row))
            self._cache[key] = clip
            while len(self._cache) > 2 * self.window:
                self._cache.popitem(last=False)
        return self._cache[key]

    def __getitem__(self, index: int):
        pairs = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = []
        for row, k in pairs:
            image = self._frames_of(int(row))[int(k)][None]
            if self.frame_augmentation.active:
                image = augment_clip(image, self.frame_augmentation,
                                     rng(self.seed, "augment", self.epoch, int(row), int(k)))
            images.append(image[0])
        return np.stack(images), self.labels[pairs[:, 0]]


class SelfBlendedFrames(FrameDataset):
    """Frame batches with self-blended fakes (:mod:`dfutils.nets.self_blending`) added, made from the batch's own
    real crops: ``share`` x the batch size of them, labelled fake (1), seeded by epoch and batch.

    With a table of real videos only and ``share=1`` every real crop is served beside a self-blended copy
    of itself: a detector trained on it never reads a fake video. ``margin`` is the crops' extraction
    margin, which places the face box inside the crop.
    """

    def __init__(self, *args, share: float, margin: float, **kwargs):
        if share <= 0:
            raise ValueError(f"share: must be positive, got {share}")
        self.share, self.margin = share, margin
        super().__init__(*args, **kwargs)

    def __getitem__(self, index: int):
        from dfutils.nets.self_blending import self_blend

        images, labels = super().__getitem__(index)
        reals = np.flatnonzero(labels == 0)
        count = round(self.share * len(images))
        if not len(reals) or not count:
            return images, labels
        generator = rng(self.seed, "self-blend", self.epoch, index)
        chosen = reals[generator.permutation(len(reals))][np.arange(count) % len(reals)]
        # stored as the real crops are (whole 8-bit values): fractional pixels would be a shortcut to "fake"
        blended = np.stack([np.clip(self_blend(images[k].astype(np.uint8), generator, self.margin)[0], 0, 255).round()
                            for k in chosen]).astype(images.dtype)
        return np.concatenate([images, blended]), np.concatenate([labels, np.ones(count, labels.dtype)])


def load_clips(artifacts: str | Path, compressions: list | None = None) -> tuple[pd.DataFrame, dict]:
    """A run's index joined with its face crops (only ``compressions`` when given), checked
    for leaks between splits, and the extraction settings the crops were made with."""
    from dfutils.data.index_files import read_index
    from dfutils.data.splits import check_no_leak

    artifacts = Path(artifacts)
    index = read_index(artifacts / "index.csv")
    if compressions:
        index = index[index["compression"].isin(compressions)]
        if index.empty:
            raise UserInputError(f"compressions: none of {compressions} in {artifacts / 'index.csv'}")
    check_no_leak(index)
    faces = pd.read_csv(artifacts / "faces" / "faces.csv", keep_default_na=False)
    return clip_table(index, faces).reset_index(drop=True), extraction_settings(artifacts / "faces", faces)


def clip_table(index: pd.DataFrame, faces: pd.DataFrame) -> pd.DataFrame:
    """Index rows joined with their crop files; videos without crops are left out (and counted)."""
    usable = faces[(faces["status"] != "failed") & (faces["crops"] != "")][["video_id", "crops"]]
    return index.merge(usable, on="video_id", how="inner")


def extraction_settings(faces_dir: str | Path, faces: pd.DataFrame) -> dict:
    """The extraction settings the crops of a faces folder were made with (from one cache file)."""
    usable = faces[(faces["status"] != "failed") & (faces["crops"] != "")]
    if usable.empty:
        raise UserInputError(f"{faces_dir}: no face crops to read settings from")
    return load_crops(Path(faces_dir) / usable["crops"].iloc[0], decode=False).settings
