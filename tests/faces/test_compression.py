"""FF++'s compression simulated: H.264 re-encoding of a video's crops, as a dataset setting and as augmentation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from dfutils.errors import UserInputError
from dfutils.faces import compression, packing
from dfutils.faces.crop_files import load_crops
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.faces.tracking import cut_crops
from dfutils.nets import clips
from dfutils.studies.compression import blockiness, laplacian_variance

from ..data.test_crop_folders import ffpp_crop_tree


def cat_clip(frames: int = 6, side: int = 128) -> np.ndarray:
    """A natural image (scikit-image's cat) panning a few pixels per frame, as a face moves in a video."""
    image = data.chelsea()[:, 50:350]
    return np.stack([cv2.resize(np.roll(image, 3 * k, axis=1), (side, side), interpolation=cv2.INTER_AREA)
                     for k in range(frames)])


def clip_measures(clip: np.ndarray) -> tuple[float, float]:
    gray = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float64) for frame in clip]
    return float(np.mean([blockiness(g) for g in gray])), float(np.mean([laplacian_variance(g) for g in gray]))


def test_crf_40_is_blockier_and_blurrier_than_crf_23_which_is_more_so_than_none():
    clip = cat_clip()
    none, c23, c40 = clip_measures(clip), clip_measures(compression.h264_roundtrip(clip, 23)), \
        clip_measures(compression.h264_roundtrip(clip, 40))
    assert c40[0] > c23[0] + 0.1 and c23[0] > none[0] + 0.01  # blockiness
    assert c40[1] < 0.5 * c23[1] and c23[1] < 0.9 * none[1]  # sharpness (Laplacian variance)


def test_frame_order_is_kept_and_the_same_crops_give_the_same_bytes():
    clip = cat_clip(frames=5)
    clip = np.clip(clip.astype(int) + (np.arange(5) * 30 - 60)[:, None, None, None], 0, 255).astype(np.uint8)
    once, again = compression.h264_roundtrip(clip, 40), compression.h264_roundtrip(clip, 40)
    assert once.shape == clip.shape and once.dtype == np.uint8
    np.testing.assert_array_equal(once, again)
    brightness = once.reshape(5, -1).mean(axis=1)
    assert np.all(np.diff(brightness) > 15)  # each frame where it was, brightest last
    np.testing.assert_allclose(brightness, clip.reshape(5, -1).mean(axis=1), atol=6)


def test_encoding_at_the_faces_source_size_does_more_damage_when_the_face_was_smaller():
    clip = cat_clip(side=160)
    large, small = compression.h264_roundtrip(clip, 40, side=160), compression.h264_roundtrip(clip, 40, side=64)
    assert large.shape == small.shape == clip.shape
    assert np.abs(small.astype(int) - clip).mean() > np.abs(large.astype(int) - clip).mean() * 1.3
    assert compression.encoding_side(200, 0.86) == 172 and compression.encoding_side(7, 1.0) == 16


@pytest.mark.parametrize("bad", [-1, 52, 2.5, "40"])
def test_a_crf_outside_libx264s_scale_is_named(bad):
    with pytest.raises(UserInputError, match="crf: a constant rate factor"):
        compression.check_crf(bad)
    with pytest.raises(UserInputError, match="crf"):
        ExtractionSettings(crf=bad)


def test_a_random_crf_per_clip_is_the_same_for_the_same_seed():
    clip = cat_clip(frames=3).astype(np.float32)
    first = clips.reencode_clip(clip, (23, 40), np.random.default_rng([7, 1]))
    second = clips.reencode_clip(clip, (23, 40), np.random.default_rng([7, 1]))
    np.testing.assert_array_equal(first, second)
    drawn = {compression.random_crf(np.random.default_rng(seed), (23, 40)) for seed in range(30)}
    assert drawn <= set(range(23, 41)) and len(drawn) > 5
    with pytest.raises(UserInputError, match=r"crf_augment: expected \[low, high\]"):
        clips.Augmentation(crf_range=(40, 23))


def test_the_crf_is_part_of_the_cache_key_and_off_leaves_the_old_key():
    base = ExtractionSettings()
    assert ExtractionSettings(crf=0, crf_face_side=200).key() == base.key()  # off: the crops of before
    assert ExtractionSettings(crf=40).key() != base.key() != ExtractionSettings(crf=23).key()
    assert ExtractionSettings(crf=40, crf_face_side=200).key() != ExtractionSettings(crf=40).key()
    assert packing.PackSettings(crf=0, crf_side=100).key() == packing.PackSettings().key()
    assert packing.PackSettings(crf=40).key() != packing.PackSettings().key()


def test_extracted_crops_are_reencoded_at_the_faces_size_in_the_frame():
    frames = np.stack([cv2.resize(data.chelsea(), (320, 240))] * 4)
    boxes = np.tile([100.0, 60.0, 180.0, 140.0], (4, 1))  # an 80-pixel face
    clean = cut_crops(frames, boxes, ExtractionSettings(size=112, margin=0.2))
    compressed = cut_crops(frames, boxes, ExtractionSettings(size=112, margin=0.2, crf=40))
    smaller = cut_crops(frames, boxes, ExtractionSettings(size=112, margin=0.2, crf=40, crf_face_side=40))
    assert compressed.shape == clean.shape == (4, 112, 112, 3)
    damage = np.abs(compressed.astype(int) - clean).mean()
    assert 2 < damage < np.abs(smaller.astype(int) - clean).mean()  # a 40-pixel face loses more than its own 80


def test_packed_crops_are_reencoded_as_one_clip_and_say_so(tmp_path):
    from dfutils.data.datasets import index_faces

    root = ffpp_crop_tree(tmp_path / "crops", pairs=(("000", "003"),), frames=4)
    for k in range(4):  # a textured video, so the codec has something to lose
        cv2.imwrite(
            str(root / "real" / f"000_{k}.jpg"), cv2.resize(data.chelsea()[:, 50 + 5 * k : 350 + 5 * k], (96, 96))
        )
    df = index_faces(root)
    clean = packing.pack_crops(df, df.attrs["members"], tmp_path / "clean", packing.PackSettings(size=64), {},
                               progress=False)
    settings = packing.PackSettings(size=64, crf=40, crf_side=48)
    table = packing.pack_crops(df, df.attrs["members"], tmp_path / "c40", settings, {"crf": 40}, progress=False)
    assert (table["status"] == "ok").all() and (table["frames_sampled"] == 4).all()
    rows = [frame.set_index("video_id").loc["real/000", "crops"] for frame in (clean, table)]
    assert rows[0] != rows[1]  # another key
    before, after = load_crops(tmp_path / "clean" / rows[0]), load_crops(tmp_path / "c40" / rows[1])
    assert after.crops.shape == (4, 64, 64, 3) and after.settings["crf"] == 40
    assert np.abs(after.crops.astype(int) - before.crops).mean() > 2
    assert laplacian_variance(after.crops[0].mean(axis=2)) < laplacian_variance(before.crops[0].mean(axis=2))


def test_compression_augmentation_reencodes_each_training_video_once_per_epoch(crop_cache):
    folder, table = crop_cache
    augmentation = clips.Augmentation(crf_range=(30, 45))
    make = lambda: clips.FrameDataset(table, folder, frames=3, size=32, batch_size=8, shuffle=True, seed=4,  # noqa: E731
                                      augmentation=augmentation)
    first, second = make(), make()
    np.testing.assert_array_equal(first[0][0], second[0][0])  # the same seed, the same batch
    plain = clips.FrameDataset(table, folder, frames=3, size=32, batch_size=8, shuffle=True, seed=4)
    assert not np.array_equal(first[0][0], plain[0][0])
    epoch_one = first[0][0]
    first.on_epoch_end()
    first.order = second.order.copy()  # the same frames in the next epoch: re-encoded at another CRF
    assert not np.array_equal(first[0][0], epoch_one)
