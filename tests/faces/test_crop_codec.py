"""The crop store: codecs, both cache formats, and what a damaged file says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.faces.crop_codec import decode_crops, encode_crops
from dfutils.faces.crop_files import FaceCrops, load_crops, save_crops
from dfutils.faces.extraction_settings import CACHE_FORMAT, ExtractionSettings


def face_like_crops(count=6, size=96, seed=0):
    """Smooth images with some texture, like face crops (pure noise does not compress, faces do)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    crops = []
    for k in range(count):
        base = np.stack([128 + 80 * np.sin(3 * x + k), 120 + 60 * np.cos(4 * y - k), 100 + 50 * x * y], axis=-1)
        crops.append(np.clip(base + rng.normal(0, 4, base.shape), 0, 255))
    return np.asarray(crops, dtype=np.uint8)


@pytest.mark.parametrize("codec", ["raw", "png"])
def test_lossless_codecs_give_back_every_pixel(codec):
    crops = face_like_crops()
    buffer, offsets = encode_crops(crops, codec, 95)
    assert buffer.dtype == np.uint8 and len(offsets) == len(crops) + 1 and offsets[-1] == len(buffer)
    assert np.array_equal(decode_crops(buffer, offsets, codec, crops.shape[1:]), crops)


@pytest.mark.parametrize("codec", ["jpeg", "webp"])
def test_lossy_codecs_are_close_and_several_times_smaller(codec):
    crops = face_like_crops()
    buffer, offsets = encode_crops(crops, codec, 95)
    back = decode_crops(buffer, offsets, codec, crops.shape[1:])
    psnr = 10 * np.log10(255**2 / np.mean((back.astype(float) - crops) ** 2))
    assert psnr > 35 and len(buffer) * 3 < crops.nbytes
    # colours are not swapped: the red channel stays the red channel
    assert np.abs(back[..., 0].astype(float) - crops[..., 0]).mean() < 6  # swapped: about 40


def test_a_lower_quality_is_smaller():
    crops = face_like_crops()
    assert len(encode_crops(crops, "jpeg", 60)[0]) < len(encode_crops(crops, "jpeg", 95)[0])


@pytest.mark.parametrize("bad", [{"codec": "gif"}, {"codec": "jpeg", "quality": 0}, {"codec": "webp", "quality": 101}])
def test_bad_codec_settings_are_named(bad):
    with pytest.raises(UserInputError, match="codec|quality"):
        ExtractionSettings(**bad)


def test_the_codec_is_part_of_the_cache_key():
    assert ExtractionSettings(codec="jpeg").key() != ExtractionSettings(codec="png").key()
    assert ExtractionSettings(quality=90).key() != ExtractionSettings(quality=95).key()


def _result(settings: ExtractionSettings, crops: np.ndarray) -> FaceCrops:
    from dataclasses import asdict

    count = len(crops)
    return FaceCrops("v.mp4", crops, np.arange(count), np.tile([1.0, 2, 30, 40], (count, 1)),
                     np.ones(count, bool), 1, count, asdict(settings))


def test_a_cache_file_holds_the_encoded_crops_and_loads_without_pickle(tmp_path):
    crops = face_like_crops(count=30, size=120)
    settings = ExtractionSettings(size=120, codec="jpeg", quality=95)
    path = tmp_path / "v.npz"
    save_crops(_result(settings, crops), path)
    assert path.stat().st_size * 4 < crops.nbytes
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert int(data["format"]) == CACHE_FORMAT and str(data["codec"]) == "jpeg"
    loaded = load_crops(path)
    assert loaded.crops.shape == crops.shape and loaded.settings["codec"] == "jpeg"
    assert np.abs(loaded.crops.astype(float) - crops).mean() < 6
    summary_only = load_crops(path, decode=False)
    assert summary_only.summary() == loaded.summary() and len(summary_only.crops) == 0


def test_caches_of_the_previous_format_are_still_read(tmp_path):
    crops = face_like_crops(count=4, size=64)
    path = tmp_path / "old.npz"
    settings = {
        key: value for key, value in ExtractionSettings(size=64).__dict__.items() if key not in ("codec", "quality")
    }
    with open(path, "wb") as handle:  # exactly what format 1 wrote
        np.savez(handle, crops=crops, frame_indices=np.arange(4), boxes=np.zeros((4, 4)), detected=np.ones(4, bool),
                 faces_seen=1, frames_requested=4, video_id="old.mp4", settings=json.dumps(settings))
    loaded = load_crops(path)
    assert np.array_equal(loaded.crops, crops) and loaded.video_id == "old.mp4"


def test_a_damaged_cache_file_is_named_with_what_to_do(tmp_path):
    path = tmp_path / "torn.npz"
    save_crops(_result(ExtractionSettings(size=64), face_like_crops(count=3, size=64)), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserInputError, match=r"torn\.npz.*extract again"):
        load_crops(path)


@pytest.mark.parametrize("codec", ["jpeg", "raw"])
@pytest.mark.parametrize("frames", [1, 3, 10, 14])
def test_a_clip_decodes_only_its_crops_and_is_the_clip_of_all_of_them(tmp_path, codec, frames):
    from unittest import mock

    import cv2

    from dfutils.nets.clips import fit_clip, read_clip_crops

    path = tmp_path / "v.npz"
    save_crops(_result(ExtractionSettings(size=64, codec=codec), face_like_crops(count=10, size=64)), path)
    with mock.patch.object(cv2, "imdecode", wraps=cv2.imdecode) as imdecode:
        few = read_clip_crops(path, frames)
    if codec == "jpeg":
        assert imdecode.call_count == min(frames, 10)  # only what the clip uses
    np.testing.assert_array_equal(fit_clip(few, frames, 32), fit_clip(load_crops(path).crops, frames, 32))
