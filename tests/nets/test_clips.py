"""The clips models read: crops joined with the index, clip and frame datasets, augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.nets import clips


def test_clip_dataset_streams_batches_and_shuffles_per_epoch(crop_cache):
    folder, table = crop_cache
    dataset = clips.ClipDataset(table, folder, frames=3, size=32, batch_size=5, shuffle=True, seed=2)
    batch, labels = dataset[0]
    assert batch.shape == (5, 3, 32, 32, 3) and batch.dtype == np.float32 and labels.shape == (5,)
    assert len(dataset) == 5 and dataset[4][0].shape[0] == 4
    def served(source):  # every clip of one epoch, in the order the batches serve them
        return np.concatenate([source[k][0] for k in range(len(source))])

    first = served(dataset)
    dataset.on_epoch_end()
    second = served(dataset)
    assert not np.array_equal(first, second)  # a new order ...
    assert np.array_equal(
        np.sort(first.reshape(len(first), -1), axis=0), np.sort(second.reshape(len(second), -1), axis=0)
    )  # ... of the same clips
    again = clips.ClipDataset(table, folder, frames=3, size=32, batch_size=5, shuffle=True, seed=2)
    np.testing.assert_array_equal(served(again), first)  # the same seed serves the same batches


def test_fit_clip_repeats_short_videos_and_resizes():
    crops = np.arange(3)[:, None, None, None] * np.ones((3, 8, 8, 3), np.uint8)
    clip = clips.fit_clip(crops, 6, 4)
    assert clip.shape == (6, 4, 4, 3)
    assert list(clip[:, 0, 0, 0]) == [0, 0, 1, 1, 2, 2]


def test_augmentation_changes_the_clip_the_same_way_for_every_frame():
    clip = np.tile(np.linspace(0, 255, 16, dtype=np.float32)[None, None, :, None], (2, 16, 1, 3))
    flipped = clips.augment_clip(clip, clips.Augmentation(flip=True), np.random.default_rng(3))
    assert np.array_equal(flipped[0], flipped[1])
    jpeg = clips.augment_clip(clip, clips.Augmentation(jpeg_quality=30), np.random.default_rng(0))
    assert jpeg.shape == clip.shape and not np.array_equal(jpeg, clip)


def test_frame_dataset_serves_every_frame_once_per_epoch_with_its_video_label(crop_cache):
    folder, table = crop_cache
    dataset = clips.FrameDataset(table, folder, frames=3, size=32, batch_size=7, shuffle=True, seed=1, window=4)
    seen, labels = [], []
    for i in range(len(dataset)):
        images, batch_labels = dataset[i]
        assert images.shape[1:] == (32, 32, 3)
        labels.extend(batch_labels)
    seen = [tuple(pair) for pair in dataset.order.tolist()]
    assert len(seen) == len(set(seen)) == 24 * 3 and len(labels) == 72
    np.testing.assert_array_equal(np.asarray(labels), table["label"].to_numpy()[dataset.order[:, 0]])
    # locality: within a window of 4 videos, so the cache of decoded videos stays small
    assert len(set(dataset.order[:12, 0].tolist())) == 4
    first = dataset.order.copy()
    dataset.on_epoch_end()
    assert not np.array_equal(first, dataset.order)


def test_load_clips_joins_crops_filters_compressions_and_refuses_leaks(crop_cache, tmp_path):
    from dfutils.data import datasets

    folder, table = crop_cache
    artifacts = tmp_path / "run"
    (artifacts / "faces").mkdir(parents=True)
    (artifacts / "faces" / "crops").symlink_to(folder / "crops")
    faces = table.assign(status="ok", error="", frames_sampled=5, frames_with_face=5, faces_seen=1)
    faces.loc[3, ["status", "crops"]] = ["failed", ""]  # a failed video is left out
    faces.to_csv(artifacts / "faces" / "faces.csv", index=False)
    index = table.assign(path="x.mp4", dataset="ffpp", method="m", original="", group=table["video_id"],
                         compression=np.where(np.arange(len(table)) % 2, "c40", "c23"))
    datasets.write_index(index, artifacts / "index.csv")
    videos, extraction = clips.load_clips(artifacts)
    assert len(videos) == len(table) - 1 and "v3" not in set(videos["video_id"])
    assert extraction == {"detector": "mtcnn", "size": 32}
    c40, _ = clips.load_clips(artifacts, ["c40"])
    assert set(c40["compression"]) == {"c40"} and len(c40) == 11
    with pytest.raises(UserInputError, match="c0"):
        clips.load_clips(artifacts, ["c0"])
    index.loc[1, "group"] = index.loc[20, "group"]  # one group on train and val
    datasets.write_index(index, artifacts / "index.csv")
    with pytest.raises(ValueError, match="group value"):
        clips.load_clips(artifacts)
