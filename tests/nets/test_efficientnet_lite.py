"""EfficientNet-Lite with offline ImageNet weights: the legacy .pth reader refuses code, the port classifies."""

from __future__ import annotations

import hashlib
import io
import pickle

import numpy as np
import pytest

from dfutils.errors import UserInputError
from dfutils.nets import architectures, efficientnet_lite
from dfutils.nets.torch_weights import (
    LEGACY_MAGIC,
    LEGACY_PROTOCOL,
    UnsafeFileError,
    read_legacy_state_dict,
)

# scikit-image's bundled test images (a dev dependency), pinned by checksum
ORACLE_IMAGES = {
    "chelsea": ("596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", 285),  # Egyptian cat
    "coffee": ("cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", 967),  # espresso
}


def _legacy_file(path, state: dict, extra: bytes = b"") -> None:
    """A legacy PyTorch file written by hand, laid out as torch < 1.6 wrote it."""
    out = io.BytesIO()
    for value in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"protocol_version": 1001, "little_endian": True,
                                                  "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(value, out, protocol=2)
    storages: list = []
    out.write(_state_dict_pickle(state, storages))
    pickle.dump([key for key, _ in storages], out, protocol=2)
    for _, values in storages:
        out.write(np.int64(values.size).tobytes())
        out.write(values.astype("<f4").tobytes())
    path.write_bytes(out.getvalue() + extra)


def _state_dict_pickle(state: dict, storages: list) -> bytes:
    """Protocol-2 opcodes for
    ``OrderedDict([(name, _rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict()))])``."""
    import struct

    def text(value: str) -> bytes:
        data = value.encode()
        return b"X" + struct.pack("<I", len(data)) + data

    def small_int(value: int) -> bytes:
        return b"J" + struct.pack("<i", value)

    def int_tuple(values) -> bytes:
        return b"(" + b"".join(small_int(int(v)) for v in values) + b"t"

    stream = b"\x80\x02" + b"ccollections\nOrderedDict\n)R("
    for number, (name, array) in enumerate(state.items()):
        key = str(1000 + number)
        storages.append((key, np.ascontiguousarray(array, np.float32).ravel()))
        strides = np.cumprod((1, *array.shape[::-1]))[:-1][::-1] if array.ndim else ()
        stream += text(name) + b"ctorch._utils\n_rebuild_tensor_v2\n("
        stream += (
            b"("
            + text("storage")
            + b"ctorch\nFloatStorage\n"
            + text(key)
            + text("cpu")
            + small_int(array.size)
            + b"Nt"
            + b"Q"
        )
        stream += (
            small_int(0)
            + int_tuple(array.shape)
            + int_tuple(strides)
            + b"\x89"
            + b"ccollections\nOrderedDict\n)R"
            + b"tR"
        )
    return stream + b"u."


def test_a_hand_written_legacy_file_reads_back_exactly(tmp_path):
    state = {
        "conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
        "bn.bias": np.array([0.5, -1.0], np.float32),
    }
    path = tmp_path / "small.pth"
    _legacy_file(path, state)
    loaded = read_legacy_state_dict(path)
    assert list(loaded) == list(state)
    for name, value in state.items():
        np.testing.assert_array_equal(loaded[name], value)


def test_a_file_naming_any_other_callable_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = (
        b"\x80\x02cos\nsystem\n"
        + b"X"
        + len(f"touch {marker}").to_bytes(4, "little")
        + f"touch {marker}".encode()
        + b"\x85R."
    )
    path = tmp_path / "evil.pth"
    header = io.BytesIO()
    for value in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(value, header, protocol=2)
    path.write_bytes(header.getvalue() + payload)
    with pytest.raises(UnsafeFileError, match="names os.system"):
        read_legacy_state_dict(path)
    assert not marker.exists()
    pickle.loads(payload)  # the payload is real: plain pickle runs it
    assert marker.exists()


def test_truncated_and_foreign_files_are_named(tmp_path):
    path = tmp_path / "cut.pth"
    _legacy_file(path, {"w": np.ones((4, 4), np.float32)})
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(UserInputError, match="truncated"):
        read_legacy_state_dict(path)
    other = tmp_path / "zip.pth"
    other.write_bytes(b"PK\x03\x04 not a legacy file")
    with pytest.raises(UserInputError, match=str(other.name)):
        read_legacy_state_dict(other)


@pytest.mark.parametrize(("name", "parameters", "blocks"), [("efficientnet_lite0", 4_694_024, 16),
                                                            ("efficientnet_lite1", 5_470_344, 21),
                                                            ("efficientnet_lite2", 6_150_168, 21)])
def test_every_imagenet_tensor_finds_its_layer(name, parameters, blocks):
    state = efficientnet_lite.imagenet_state_dict(name)
    floats = sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    variant = efficientnet_lite.VARIANTS[name]
    model = efficientnet_lite.build_efficientnet_lite(name, (variant.native_size, variant.native_size, 3))
    assert model.count_params() == floats == parameters
    assert len(efficientnet_lite.block_plan(variant)) == blocks
    assert efficientnet_lite.load_imagenet_weights(model, state) == parameters


@pytest.mark.slow
@pytest.mark.parametrize("name", list(efficientnet_lite.VARIANTS))
def test_imagenet_oracle_cat_and_espresso(name):
    """Plain-resized scikit-image photos land in their ImageNet classes (Lite0: cat p 0.79, espresso p 0.92)."""
    import cv2
    from skimage import data as skimage_data

    variant = efficientnet_lite.VARIANTS[name]
    model = efficientnet_lite.efficientnet_lite(name, (variant.native_size, variant.native_size, 3))
    for image_name, (sha, expected_class) in ORACLE_IMAGES.items():
        image = getattr(skimage_data, image_name)()
        assert image.shape[-1] == 3
        resized = cv2.resize(image, (variant.native_size, variant.native_size), interpolation=cv2.INTER_LINEAR)
        probabilities = model.predict((resized[None].astype(np.float32) - 127.5) / 127.5, verbose=0)[0]
        assert int(probabilities.argmax()) == expected_class, (image_name, int(probabilities.argmax()))
        assert probabilities.max() > 0.5
        assert hashlib.sha256(_image_bytes(image_name)).hexdigest() == sha


def _image_bytes(image_name: str) -> bytes:
    from pathlib import Path

    import skimage

    return (Path(skimage.__file__).parent / "data" / f"{image_name}.png").read_bytes()


def test_random_weights_do_not_classify_the_oracle():
    """The oracle can fail: the same network without the ImageNet weights misses both classes."""
    import cv2
    from skimage import data as skimage_data

    model = efficientnet_lite.efficientnet_lite("efficientnet_lite0", (224, 224, 3), weights=None)
    hits = 0
    for image_name, (_, expected_class) in ORACLE_IMAGES.items():
        image = cv2.resize(getattr(skimage_data, image_name)(), (224, 224))
        hits += int(
            model.predict((image[None].astype(np.float32) - 127.5) / 127.5, verbose=0)[0].argmax() == expected_class
        )
    assert hits == 0


def test_offline_backbones_build_as_paper_a_and_paper_b_models():
    clip_model = architectures.build_time_distributed("efficientnet_lite0", 2, 64, weights="imagenet",
                                                      lstm_units=8, dense_units=4, dropout_rate=0.3)
    frame_model = architectures.build_frame_classifier(
        "efficientnet_lite1", 64, "imagenet", embedding_units=16, dropout_rate=0.3
    )
    clips = np.random.default_rng(0).uniform(0, 255, (1, 2, 64, 64, 3)).astype(np.float32)
    assert clip_model.predict(clips, verbose=0).shape == (1, 1)
    assert architectures.embedding_extractor(frame_model).predict(clips[0], verbose=0).shape == (2, 16)
    # the pretrained stem is in place: its first kernel is the file's, transposed
    stem = efficientnet_lite.imagenet_state_dict("efficientnet_lite1")["_conv_stem.weight"].transpose(2, 3, 1, 0)
    backbone = frame_model.get_layer("efficientnet_lite1_features").get_layer("efficientnet_lite1")
    np.testing.assert_array_equal(backbone.get_layer("conv_stem").get_weights()[0], stem)
