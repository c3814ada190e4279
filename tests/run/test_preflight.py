"""``dfutils check``: the pre-flight report of a profile, without running anything heavy."""

from __future__ import annotations

from dfutils import config
from dfutils.cli import main
from dfutils.nets import architectures
from dfutils.run.preflight import check_profile

from ..conftest import write_yaml
from ..data.test_crop_folders import ffpp_crop_tree

PROFILE = """profile: checked
seed: 1
notebooks:
  - notebook: 01_data
    parameters: {{dataset: {dataset}, dataset_root: {root}}}
  - notebook: 02_faces
    settings: {{extraction: {{frames: 10, size: 240}}}}
  - notebook: 03_time_distributed
    settings: {{paper_a: {{backbone: xception, weights: imagenet}}}}
  - notebook: 05_triplet
    settings: {{triplet: {{facenet_model: keras-facenet-128}}}}
"""


def test_a_ready_profile_lists_data_weights_and_estimates(tmp_path, isolated_outputs, monkeypatch, capsys):
    root = ffpp_crop_tree(tmp_path / "crops")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    params = write_yaml(tmp_path / "p.yaml", PROFILE.format(dataset="faces", root=root))
    check = check_profile(params)
    assert check.ready, check.problems
    text = check.text()
    assert "faces at" in text and "24 videos" in text and "packs 72 crops" in text
    path, url = architectures.imagenet_weights_source("xception")
    assert f"not cached: Keras downloads {url}" in text and str(tmp_path / "keras") in str(path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"stand-in")  # a cached file is found where Keras keeps it
    assert f"cached at {path}" in check_profile(params).text()
    assert main(["check", str(params)]) == 0
    assert "ready: the run can start" in capsys.readouterr().out


def test_an_absent_dataset_stops_the_run_with_its_reason(tmp_path, isolated_outputs, capsys):
    params = write_yaml(tmp_path / "p.yaml", PROFILE.format(dataset="ffpp", root=tmp_path / "nowhere"))
    assert main(["check", str(params)]) == 2
    out = capsys.readouterr().out
    assert "not ready:" in out and f"{tmp_path / 'nowhere'} is not a folder" in out
    assert main(["check", str(params), "--set", f"01_data.dataset_root={tmp_path}"]) == 2  # a folder, no FF++ inside
    assert "neither original_sequences/ nor manipulated_sequences/" in capsys.readouterr().out


def test_videos_give_an_extraction_time_and_storage_estimate(tmp_path, isolated_outputs, real_samples):
    params = write_yaml(tmp_path / "p.yaml", PROFILE.format(dataset="ffpp", root=real_samples / "ffpp"))
    text = check_profile(params).text()
    assert "7 videos" in text and "extracts about 70 frames of 7 videos" in text and "min on 2 cores" in text


def test_every_shipped_profile_can_be_checked(isolated_outputs):
    for path in sorted((config.PROJECT_ROOT / "params").glob("*.yaml")):
        check = check_profile(path)
        assert check.lines and check.profile == path.stem
        if path.stem in ("smoke", "demo"):
            assert check.ready, (path.stem, check.problems)


def test_check_says_which_devices_training_uses_and_how_to_get_the_gpu_build(monkeypatch, capsys):
    """Here TensorFlow is the CPU build: an NVIDIA GPU the driver lists must come with the command that uses it."""
    from dfutils.run import preflight

    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "training will use: CPU only" in out and "a build without CUDA" in out and "tensorflow-cpu" in out
    monkeypatch.setattr(preflight, "nvidia_gpus", lambda: ["GPU 0: NVIDIA H200 (UUID: GPU-1)"])
    text = preflight.check_machine().text()
    assert "1 NVIDIA GPU(s) (GPU 0: NVIDIA H200" in text and "make setup GPU=1" in text
    monkeypatch.setattr(preflight, "installed_tensorflow", lambda: {"tensorflow": "2.21.0", "tensorflow-cpu": "2.21.0"})
    assert "both tensorflow and tensorflow-cpu are installed" in preflight.check_machine().text()
    monkeypatch.setattr(preflight, "installed_tensorflow", dict)
    check = preflight.check_machine()
    assert not check.ready and "TensorFlow is not installed" in check.problems[0]
