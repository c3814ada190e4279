"""Frame sampling, tracking, crops, the crop cache, and extraction on Dask (killed and resumed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from dfutils.data.video import even_indices, rate_indices, sample_frames
from dfutils.errors import UserInputError
from dfutils.faces.crop_files import load_crops, video_cache_key
from dfutils.faces.extract import dask_client, extract_index
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.faces.tracking import box_iou, square_crop, track_main_face


def write_video(path: Path, frames: int, size=(96, 64), grey=False, fourcc="MJPG") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, size, not grey)
    for n in range(frames):
        frame = np.full((size[1], size[0]) if grey else (size[1], size[0], 3), n * 3 % 256, np.uint8)
        writer.write(frame)
    writer.release()
    return path


# ----------------------------------------------------------------- sampling
@pytest.mark.parametrize("total", [1, 2, 7, 30, 31, 300, 751])
@pytest.mark.parametrize("count", [1, 5, 30])
def test_even_indices_spread_over_the_whole_video(total, count):
    indices = even_indices(total, count)
    assert len(indices) == min(total, count) and len(set(indices)) == len(indices)
    assert indices.min() >= 0 and indices.max() <= total - 1
    if count > 1 and total > 1:
        assert indices[0] == 0 and indices[-1] == total - 1  # truly spread, not the first N
        gaps = np.diff(indices)
        assert gaps.max() - gaps.min() <= 1


def test_rate_indices_take_one_frame_per_period():
    np.testing.assert_array_equal(rate_indices(100, 25.0, 1.0), [0, 25, 50, 75])
    np.testing.assert_array_equal(rate_indices(30, 30.0, 5.0), [0, 6, 12, 18, 24])


def test_sampling_reads_the_right_frames(tmp_path):
    path = write_video(tmp_path / "v.avi", 40)
    sampled = sample_frames(path, frames=5)
    np.testing.assert_array_equal(sampled.indices, even_indices(40, 5))
    # the frame's grey level encodes its number (MJPG is lossy: compare roughly)
    assert np.allclose(sampled.frames.mean(axis=(1, 2, 3)), sampled.indices * 3 % 256, atol=3)


def test_short_video_gives_what_it_has_with_a_warning(tmp_path):
    path = write_video(tmp_path / "short.avi", 4)
    with pytest.warns(UserWarning, match="only 4 frames"):
        sampled = sample_frames(path, frames=30)
    assert len(sampled.indices) == 4


def test_grey_video_becomes_rgb(tmp_path):
    path = write_video(tmp_path / "grey.avi", 6, grey=True)
    assert sample_frames(path, frames=3).frames.shape[-1] == 3


def test_header_that_lies_is_corrected(tmp_path):
    path = write_video(tmp_path / "long.avi", 60)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(data[: len(data) // 2])  # the header still says 60 frames
    header = int(cv2.VideoCapture(str(truncated)).get(cv2.CAP_PROP_FRAME_COUNT))
    sampled = sample_frames(truncated, frames=10)
    assert sampled.total_frames < 60 and header == 60 or sampled.total_frames < header
    assert sampled.indices.max() == sampled.total_frames - 1  # spread over what really is there
    assert len(sampled.indices) == 10


def test_unreadable_and_missing_files_are_named(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(os.urandom(2000))
    with pytest.raises(UserInputError, match="broken.mp4: cannot open"):
        sample_frames(broken, frames=3)
    with pytest.raises(UserInputError, match="not found"):
        sample_frames(tmp_path / "nope.mp4", frames=3)


# ----------------------------------------------------------------- tracking and crops
def face(x0, y0, x1, y1, score=0.99):
    return {"box": (x0, y0, x1, y1), "score": score}


def test_the_face_that_stays_wins_over_a_bigger_glimpse():
    steady = [face(100 + t, 100, 150 + t, 160) for t in range(6)]
    detections = [[steady[t]] for t in range(6)]
    detections[2].append(face(300, 0, 500, 220))  # a big face seen once
    detections[4] = []  # the steady face missed once
    boxes, detected = track_main_face(detections)
    assert detected.tolist() == [True, True, True, True, False, True]
    assert box_iou(boxes[2], steady[2]["box"]) == 1.0
    assert tuple(boxes[4]) in (steady[3]["box"], steady[5]["box"])  # borrowed from a neighbour


def test_a_face_leaning_into_the_camera_stays_on_its_track():
    detections = [[face(100, 100, 150, 160), face(300, 300, 340, 350)],
                  [face(40, 20, 260, 300), face(300, 300, 340, 350)],  # contains the old box
                  [face(100, 100, 150, 160), face(300, 300, 340, 350)]]
    boxes, detected = track_main_face(detections)
    assert detected.all() and tuple(boxes[1]) == (40, 20, 260, 300)


def test_no_face_at_all_is_an_error():
    with pytest.raises(ValueError, match="no face found in 3 sampled frames"):
        track_main_face([[], [], []])


def test_square_crop_margin_clamp_and_pad():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[40:60, 90:110] = 255
    crop = square_crop(frame, (90, 40, 110, 60), margin=1.0, margin_px=0, size=40)
    assert crop.shape == (40, 40, 3)
    assert crop[15:25, 15:25].min() == 255 and crop[:5, :5].max() == 0  # face centred, margin around it
    near_edge = square_crop(frame, (0, 0, 20, 20), margin=1.0, margin_px=0, size=40)
    assert near_edge[:20, :20].min() == 0 and near_edge.shape == (40, 40, 3)  # slid inside: no padding used
    huge = square_crop(frame, (0, 0, 200, 100), margin=0.5, margin_px=0, size=30)
    assert huge.shape == (30, 30, 3)


def test_cache_key_changes_with_settings_and_file(tmp_path):
    path = write_video(tmp_path / "v.avi", 5)
    base = ExtractionSettings()
    key = video_cache_key(path, base)
    assert video_cache_key(path, base) == key
    assert video_cache_key(path, ExtractionSettings(size=128)) != key
    assert video_cache_key(path, ExtractionSettings(detector="ssd")) != key
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert video_cache_key(path, base) != key


@pytest.mark.parametrize(
    "bad",
    [
        {"detector": "yolo"},
        {"frames": 0},
        {"frames": None, "fps": None},
        {"window_side": 16},
        {"frames": 5, "fps": 1.0},
        {"margin": -0.6},
        {"margin_px": -1},
    ],
)
def test_bad_settings_are_named(bad):
    with pytest.raises(UserInputError):
        ExtractionSettings(**bad)


def test_a_negative_margin_cuts_inside_the_face_box_as_tight_crops_cut_by_others_are():
    """Crops packed from a folder cut tighter than the detector's box (FF++'s aligned crops: about 0.86 of
    MTCNN's box) are matched by a negative margin; the settings and a crop's geometry both allow it."""
    assert ExtractionSettings(margin=-0.12).margin == -0.12
    frame = np.zeros((200, 200, 3), np.uint8)
    frame[50:150, 50:150] = 255  # the face box exactly
    frame[95:105, 95:105] = 128  # its centre
    crop = square_crop(frame, (50, 50, 150, 150), margin=-0.2, margin_px=0, size=80)
    assert crop.min() > 100  # an 80-px square inside the box: no background
    assert (crop[38:42, 38:42] == 128).all()  # centred


# ----------------------------------------------------------------- Dask, cache, kill and resume
@pytest.fixture(scope="module")
def synth_videos(tmp_path_factory):
    from dfutils.data.datasets import index_ffpp
    from dfutils.data.synthdf.generator import SynthConfig, build_synthdf

    root = tmp_path_factory.mktemp("extract-synth") / "synthdf"
    config = SynthConfig(identities=("elton_john", "madonna", "friends_3", "friends_2", "faceapi4_1", "carphone"),
                         clips_per_identity=2, seconds=1.0, compressions=("c23",))
    build_synthdf(root, size="tiny", seed=1, workers=2, progress=False, config=config)
    index = index_ffpp(root)
    return index.groupby("method").head(3).reset_index(drop=True)  # 15 videos


SMALL = ExtractionSettings(detector="mtcnn", frames=6, size=64)


@pytest.mark.slow
def test_extraction_on_a_local_dask_cluster_caches_and_reports_failures(synth_videos, tmp_path):
    index = pd.concat(
        [synth_videos.head(4), pd.DataFrame([{"video_id": "gone.mp4", "path": str(tmp_path / "gone.mp4")}])]
    )
    environment = dict(os.environ)
    table = extract_index(index, tmp_path / "out", SMALL, workers=2, progress=False)
    # Dask's nanny set OMP_NUM_THREADS, PYTHONHASHSEED... here to spawn its workers: this process gets its own back
    assert dict(os.environ) == environment
    assert list(table["video_id"]) == list(index["video_id"])
    assert (table["status"].iloc[:4] == "ok").all() and table["status"].iloc[4] == "failed"
    assert "gone.mp4: video file not found" in table["error"].iloc[4]
    # a face in at least half the frames of each fake (a pasted face at 1 s / 6 frames is missed now and then; the
    # others borrow the nearest box); detection quality is measured on the real samples below
    assert (table["frames_with_face"].iloc[:4] >= 3).all()
    crops = load_crops(tmp_path / "out" / table["crops"].iloc[0])
    assert crops.crops.shape == (6, 64, 64, 3) and crops.crops.dtype == np.uint8
    again = extract_index(index, tmp_path / "out", SMALL, workers=1, progress=False)
    assert (again["status"].iloc[:4] == "cached").all()
    assert (tmp_path / "out" / "faces.csv").is_file()


@pytest.mark.slow
def test_the_local_cluster_limits_its_workers_threads_and_leaves_this_process_as_it_was(tmp_path, monkeypatch):
    """A worker's detector gets the threads its task names (an argument, not an environment variable), OpenMP one;
    the process that started the cluster keeps its environment."""
    for name in ("OMP_NUM_THREADS", "PYTHONHASHSEED"):
        monkeypatch.delenv(name, raising=False)
    environment = dict(os.environ)

    def threads_after(count):
        import tensorflow as tf

        from dfutils.faces.detectors import limit_threads

        limit_threads(count)  # what get_detector(name, count) does before it builds the detector
        return tf.config.threading.get_intra_op_parallelism_threads(), os.environ.get("OMP_NUM_THREADS")

    with dask_client(1, None, tmp_path / "workers.log") as (client, cluster):
        assert client.submit(threads_after, 1, pure=False).result() == (1, "1")
        assert os.environ.get("OMP_NUM_THREADS") == "1"  # what Dask does to the process that starts a cluster
    assert dict(os.environ) == environment and cluster.status.name == "closed"


@pytest.mark.slow
def test_killed_extraction_resumes_to_identical_crops(synth_videos, tmp_path):
    index_path = tmp_path / "index.csv"
    synth_videos.to_csv(index_path, index=False)
    command = [sys.executable, "-m", "dfutils", "extract", "--index", str(index_path), "--detector", "mtcnn",
               "--frames", "6", "--size", "64", "--workers", "1"]
    reference = subprocess.run(command + ["--out", str(tmp_path / "reference")], capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr[-2000:]

    out = tmp_path / "killed"
    process = subprocess.Popen(command + ["--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((out / "crops").glob("*.npz"))) < 3:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # a real signal to the whole process group, workers included
    process.wait()
    done_before = len(list((out / "crops").glob("*.npz")))
    assert 3 <= done_before < len(synth_videos), "the kill must land midway"
    assert not (out / "faces.csv").exists()

    resumed = subprocess.run(command + ["--out", str(out)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    table = pd.read_csv(out / "faces.csv", keep_default_na=False)
    assert (table["status"] == "cached").sum() >= done_before  # finished videos were not redone
    reference_table = pd.read_csv(tmp_path / "reference" / "faces.csv", keep_default_na=False)
    assert list(table["video_id"]) == list(reference_table["video_id"])
    for ours, theirs in zip(table["crops"], reference_table["crops"], strict=True):
        a, b = load_crops(out / ours), load_crops(tmp_path / "reference" / theirs)
        assert np.array_equal(a.crops, b.crops) and np.array_equal(a.frame_indices, b.frame_indices)
    assert not list((out / "crops").glob(".*.tmp"))


# ----------------------------------------------------------------- the real samples
@pytest.mark.slow
@pytest.mark.real_samples
def test_both_detectors_find_and_agree_on_the_main_face_of_every_real_video(real_samples):
    from dfutils.faces.tracking import extract_video

    videos = sorted(real_samples.rglob("*.mp4"))
    assert len(videos) == 10
    results = {}
    for detector in ("mtcnn", "ssd"):
        settings = ExtractionSettings(detector=detector, frames=30, size=96)
        for video in videos:
            crops = extract_video(video, video.name, settings)
            assert crops.detected.mean() >= 0.95, (detector, video.name, crops.detected.mean())
            results[detector, video] = crops
    portrait = next(v for v in videos if v.name == "brtujopkby.mp4")
    assert sample_frames(portrait, frames=1).frames.shape[1:3] == (1920, 1080)  # read upright, portrait
    for detector in ("mtcnn", "ssd"):
        boxes = results[detector, portrait].boxes
        assert boxes[:, 2].max() <= 1080 and boxes[:, 3].max() <= 1920
    agreements = [
        np.mean([box_iou(a, b) >= 0.5 for a, b in zip(results["mtcnn", v].boxes, results["ssd", v].boxes, strict=True)])
        for v in videos
    ]
    assert min(agreements) >= 0.8 and np.mean(agreements) >= 0.95


@pytest.mark.slow
def test_bench_extract_prints_both_rates_and_their_ratio(synth_videos, capsys):
    from dfutils.cli import main

    video = synth_videos["path"].iloc[0]
    assert main(["bench", "extract", video, "--frames", "6", "--naive-frames", "3"]) == 0
    import json

    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["ours_fps"] > 0 and figures["naive_fps"] > 0
    assert figures["speedup"] == pytest.approx(figures["ours_fps"] / figures["naive_fps"], rel=0.02)
    assert 0 <= figures["agreement_iou50"] <= 1
    assert figures["dask_1_workers_fps"] > 0 and figures["dask_2_workers_fps"] > 0
    assert 0 < figures["stored_bytes_per_video"] < figures["raw_bytes_per_video"] == 6 * 240 * 240 * 3


@pytest.mark.slow
def test_bench_codec_prints_every_codec_beside_the_raw_size(synth_videos, capsys):
    import json

    from dfutils.cli import main

    assert main(["bench", "codec", synth_videos["path"].iloc[0], "--frames", "4"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    raw = figures["raw_bytes_per_video"]
    assert raw == 4 * 240 * 240 * 3
    for label in ("png", "jpeg_q95", "jpeg_q90", "webp_q95", "webp_q90"):
        assert 0 < figures[label]["bytes_per_video"] < raw and figures[label]["decode_ms_per_video"] > 0
    assert figures["png"]["psnr_db"] is None  # lossless
    assert figures["jpeg_q90"]["bytes_per_video"] < figures["jpeg_q95"]["bytes_per_video"]
    assert 35 < figures["jpeg_q90"]["psnr_db"] < figures["jpeg_q95"]["psnr_db"]


@pytest.mark.slow
def test_compiled_mtcnn_finds_the_same_faces_as_the_eager_one(synth_videos):
    from dfutils.data.video import read_frames
    from dfutils.faces.detectors import MTCNNDetector

    frames = [frame for video in synth_videos["path"][:3] for frame in read_frames(video)[::10]]
    frames += [frames[0][40:200, 40:200]]  # another input size: a traced graph must not be reused wrongly
    eager, compiled = MTCNNDetector(compiled=False).detect(frames), MTCNNDetector().detect(frames)
    assert sum(map(len, eager)) >= len(frames) // 2  # enough faces that the comparison is not vacuous
    for one, other in zip(eager, compiled, strict=True):
        assert len(one) == len(other)
        for a, b in zip(one, other, strict=True):
            np.testing.assert_allclose(a["box"], b["box"], atol=0.5)
            assert a["score"] == pytest.approx(b["score"], abs=1e-4)


# ----------------------------------------------------------------- what the cache key covers
def golden_video(path: Path) -> Path:
    """Eight frames of scikit-image's astronaut, panning 4 pixels a frame: a face the detector finds."""
    from skimage import data

    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for k in range(8):
        writer.write(cv2.resize(np.roll(image, 4 * k, axis=1)[:384], (320, 240), interpolation=cv2.INTER_AREA))
    writer.release()
    return path


# the golden video's boxes and 4x4 grey thumbnails of its crops, per extraction version: a change to detection,
# tracking or cropping that moves them must bump extraction_settings.EXTRACTION_VERSION (every cache re-extracts)
# and add its own entry here
GOLDEN = {2: {"boxes": [[112, 39, 166, 107], [118, 40, 170, 107], [124, 38, 179, 107], [130, 39, 183, 107]],
              "thumbnails": [[[122, 116, 132, 73], [99, 184, 161, 58], [186, 191, 168, 163], [23, 162, 134, 199]],
                             [[116, 119, 130, 70], [99, 186, 162, 58], [184, 191, 167, 165], [22, 164, 133, 199]],
                             [[126, 115, 133, 76], [99, 182, 157, 57], [186, 191, 168, 162], [24, 161, 134, 200]],
                             [[120, 116, 131, 73], [99, 185, 158, 58], [185, 192, 167, 164], [22, 164, 133, 200]]]}}


def test_the_golden_videos_crops_are_those_of_this_extraction_version(tmp_path):
    from dfutils.faces import extraction_settings
    from dfutils.faces.tracking import extract_video

    assert extraction_settings.EXTRACTION_VERSION in GOLDEN, "a new EXTRACTION_VERSION needs its golden crops here"
    golden = GOLDEN[extraction_settings.EXTRACTION_VERSION]
    found = extract_video(golden_video(tmp_path / "golden.avi"), "golden", ExtractionSettings(frames=4, size=32,
                                                                                               detect_side=320))
    np.testing.assert_allclose(found.boxes, golden["boxes"], atol=3)  # a pixel or two of numerics between machines
    thumbnails = [cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (4, 4), interpolation=cv2.INTER_AREA)
                  for crop in found.crops]
    assert np.abs(np.array(thumbnails, float) - golden["thumbnails"]).mean() < 4


def test_the_key_covers_the_resolved_thresholds_the_tracker_the_detector_and_the_code(monkeypatch):
    from dfutils.faces import extraction_settings

    base = ExtractionSettings().key()
    assert ExtractionSettings(min_score=0.95).key() != base and ExtractionSettings(keyframe_every=2).key() != base
    for constant, value in (("MIN_LINK", 0.4), ("WINDOW_FACTOR", 2.5), ("SECOND_LOOK", 3), ("EXTRACTION_VERSION", 99)):
        with monkeypatch.context() as patch:
            patch.setattr(extraction_settings, constant, value)
            assert ExtractionSettings().key() != base, constant
    extraction_settings.detector_version.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr("importlib.metadata.version", lambda name: "9.9")
        assert ExtractionSettings().key() != base  # another mtcnn release
    extraction_settings.detector_version.cache_clear()
    assert ExtractionSettings().key() == base


def test_a_corrupt_cache_file_is_extracted_again(tmp_path):
    from dfutils.faces.crop_files import cache_path
    from dfutils.faces.extract import process_video

    video = golden_video(tmp_path / "golden.avi")
    settings = ExtractionSettings(frames=2, size=32, detect_side=320)
    first = process_video(str(video), "golden", str(tmp_path / "out"), settings, None)
    target = cache_path(tmp_path / "out", "golden", video_cache_key(video, settings))
    assert first["status"] == "ok" and target.is_file()
    target.write_bytes(target.read_bytes()[:100])  # torn: a copy cut short
    again = process_video(str(video), "golden", str(tmp_path / "out"), settings, None)
    assert again["status"] == "ok" and again["error"] == "" and load_crops(target).crops.shape == (2, 32, 32, 3)
    assert process_video(str(video), "golden", str(tmp_path / "out"), settings, None)["status"] == "cached"


def test_too_many_videos_without_a_face_stop_the_run_and_fewer_are_listed():
    from dfutils.faces.extract import check_failures

    faces = pd.DataFrame(
        {
            "video_id": [f"v{k}" for k in range(10)],
            "status": ["failed", "ok", "ok", "failed", "ok", "ok", "ok", "ok", "ok", "ok"],
            "error": ["v0.mp4: no face found in 8 sampled frames", "", "", "v3.mp4: unreadable", *[""] * 6],
        }
    )
    listed = check_failures(faces, max_share=0.2)
    assert listed["video_id"].tolist() == ["v0", "v3"] and "no face" in listed["error"].iloc[0]
    with pytest.raises(
        UserInputError,
        match=r"2 of 10 videos \(20%\) have no face crops, more than max_failed_share=0.1: "
        r"v0: v0.mp4: no face found",
    ):
        check_failures(faces, max_share=0.1)


# ----------------------------------------------------------------- every face (DFDC: several people, one swapped)
def two_people_video(path: Path, swapped: bool) -> Path:
    """Eight frames of two people side by side: a large one (the main face) and a smaller one, who in the
    'fake' carries a green patch on the cheek (what a detector of this toy looks for) in every frame."""
    from skimage import data

    head = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[20:300, 100:380]  # the face and some margin
    big, small = cv2.resize(head, (240, 240)), cv2.resize(head, (170, 170))
    if swapped:
        small[55:75, 55:75] = (0, 255, 0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (480, 260))
    for k in range(8):
        frame = np.full((260, 480, 3), 90, np.uint8)
        frame[10:250, 10 + k:250 + k] = big
        frame[45:215, 290 - k:460 - k] = small
        writer.write(frame)
    writer.release()
    return path


class GreenPatchScorer:
    """Stands for a trained detector on the toy: a crop showing the green patch scores high."""

    input = "clip"
    from dfutils.detectors.base import Detector
    # the registry detectors' own rule, one video at a time or many
    best_track, score_tracks, score_batch = Detector.best_track, Detector.score_tracks, Detector.score_batch

    def score_crops(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        green = (crops[..., 1] > 180) & (crops[..., 0] < 100) & (crops[..., 2] < 100)
        per_frame = np.clip(green.mean(axis=(1, 2)) * 20, 0, 1)
        return float(per_frame.mean()), per_frame


def test_every_face_crops_each_person_and_the_video_scores_by_its_most_confident_track(tmp_path):
    """The main face alone (the papers' path, the default) misses a fake that swapped the other person; with
    every_face each track is cropped, cached beside the main one, and the fake scores by its swapped face."""
    from dataclasses import replace

    from dfutils.evaluation.cross_dataset import LoadedModel, score_table
    from dfutils.faces.crop_files import cached_summary, read_tracks, save_crops, track_path
    from dfutils.faces.tracking import extract_video

    one = ExtractionSettings(frames=4, size=64, margin=0.1, detect_side=480)
    every = replace(one, every_face=True)
    assert one.key() == replace(one, track_share=0.5).key() != every.key()  # the share plays no part alone
    scorer, rows = GreenPatchScorer(), []
    for swapped in (False, True):
        video = two_people_video(tmp_path / f"two-{swapped}.avi", swapped)
        main = extract_video(video, video.name, one)
        assert main.others == [] and main.summary()["tracks"] == 1
        both = extract_video(video, video.name, every)
        assert len(both.others) == 1 and both.summary()["tracks"] == 2
        np.testing.assert_array_equal(both.crops, main.crops)  # the main face is cropped as before
        side = lambda crops: crops.boxes[:, 2] - crops.boxes[:, 0]  # noqa: E731
        assert side(both).mean() > side(both.others[0]).mean()  # the larger person leads
        assert scorer.score_crops(main.crops)[0] < 0.1  # the main face alone shows nothing either way
        path = tmp_path / "faces" / "crops" / f"two-{swapped}.npz"
        save_crops(both, path)
        tracks = read_tracks(path)
        assert len(tracks) == 2 and np.array_equal(tracks[1], both.others[0].crops)
        rows.append({"video_id": video.name, "path": str(video), "label": int(swapped), "method": "toy",
                     "compression": "", "split": "test", "group": "g", "crops": path.name, "error": ""})
        expected = scorer.score_tracks(tracks)[0]
        assert (expected > 0.5) == swapped
    index = pd.DataFrame(rows)
    model = LoadedModel(tmp_path / "toy.keras", "toy", scorer, {})
    scored = score_table(model, index, tmp_path / "faces" / "crops", index[["video_id", "crops", "error"]],
                         progress=False)
    assert scored["score"].iloc[1] > 0.5 > scored["score"].iloc[0]
    # a cache whose second track went missing is extracted again, not read half
    assert cached_summary(path)["tracks"] == 2
    track_path(path, 1).unlink()
    assert cached_summary(path) is None and not path.exists()
