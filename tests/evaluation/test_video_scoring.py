"""`dfutils predict`: raw videos scored with the settings inside the model file; bad files become error rows."""

from __future__ import annotations

import shutil

import keras
import pandas as pd
import pytest

from dfutils.cli import main
from dfutils.detectors import model_files
from dfutils.errors import UserInputError
from dfutils.evaluation.video_scoring import PREDICTION_COLUMNS, VideoScorer, expand_inputs
from dfutils.nets import architectures, clips

pytestmark = pytest.mark.slow

EXTRACTION = {"detector": "mtcnn", "frames": 4, "fps": None, "size": 64, "margin": 0.35, "margin_px": 0,
              "detect_side": 640, "min_score": None, "keyframe_every": None}


@pytest.fixture(scope="module")
def frame_model_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = architectures.build_frame_classifier("efficientnet_b0", 48, None, embedding_units=16, dropout_rate=0.3)
    path = tmp_path_factory.mktemp("model") / "frames.keras"
    return model_files.save_model(
        model, path, {"extraction": EXTRACTION, "frames": 3, "size": 48, "architecture": "frames"}
    )


@pytest.mark.real_samples
def test_predict_scores_real_samples_and_turns_bad_files_into_error_rows(real_samples, frame_model_file, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    originals = sorted((real_samples / "ffpp" / "original_sequences").rglob("*.mp4"))[:2]
    for video in originals:
        shutil.copy(video, folder / video.name)
    (folder / "broken.mp4").write_bytes(b"\x00\x01 not a video" * 100)
    (folder / "notes.txt").write_text("not a video")
    out = tmp_path / "predictions.csv"
    status = main(
        [
            "predict",
            "--model",
            str(frame_model_file),
            str(folder),
            "--out",
            str(out),
            "--strips",
            str(tmp_path / "strips"),
        ]
    )
    assert status == 3  # done, some files failed (each with its error in the table)
    table = pd.read_csv(out, keep_default_na=False).set_index("path")
    assert list(table.reset_index().columns) == PREDICTION_COLUMNS
    for video in originals:
        row = table.loc[str(folder / video.name)]
        assert row["error"] == "" and 0 <= float(row["score"]) <= 1
        assert row["label_pred"] in {"real", "fake"} and row["frames_used"] == 3 and row["faces_found"] >= 3
        assert (tmp_path / "strips" / f"{video.name}.png").is_file()
    assert "broken.mp4" in table.loc[str(folder / "broken.mp4"), "error"]
    assert "not a video or image file" in table.loc[str(folder / "notes.txt"), "error"]


def test_nothing_scorable_exits_2(frame_model_file, tmp_path, capsys):
    (tmp_path / "broken.mp4").write_bytes(b"garbage")
    assert (
        main(["predict", "--model", str(frame_model_file), str(tmp_path / "broken.mp4"), str(tmp_path / "absent.mp4")])
        == 2
    )
    captured = capsys.readouterr()
    assert "scored 0 of 2" in captured.err and "file not found" in captured.out


def test_model_without_settings_or_of_the_wrong_kind_is_refused(tmp_path):
    bare = tmp_path / "bare.keras"
    architectures.build_sequence_classifier("gru", 3, 8, 4).save(bare)
    with pytest.raises(UserInputError, match="architecture None"):
        VideoScorer(bare, every_face=False)
    assert main(["predict", "--model", str(tmp_path / "missing.keras"), str(tmp_path)]) == 2


def test_clip_model_gives_a_video_score_and_one_strip_score_per_frame():
    import numpy as np

    from dfutils.detectors.clip_models import Cnn3D
    from dfutils.detectors.settings import Conv3DSettings

    keras.utils.set_random_seed(1)
    model = architectures.build_conv3d(3, 32, (4,), 8, 0.3)
    scorer = Cnn3D(None, Conv3DSettings(frames=3, size=32, filters=(4,)), seed=0)
    scorer.model = model
    crops = np.random.default_rng(0).integers(0, 256, (5, 40, 40, 3)).astype(np.uint8)
    score, per_frame = scorer.score_crops(crops)
    clip = clips.fit_clip(crops, 3, 32)
    assert score == pytest.approx(float(model.predict(clip[None], verbose=0)[0, 0]), abs=1e-5)
    assert per_frame.shape == (3,)


def test_folders_expand_to_every_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.mp4").write_bytes(b"")
    (tmp_path / "b.txt").write_text("")
    (tmp_path / ".hidden").write_text("")
    assert [p.name for p in expand_inputs([str(tmp_path)])] == ["x.mp4", "b.txt"]


@pytest.mark.real_samples
def test_the_triplet_pipeline_scores_a_raw_video_like_its_parts(real_samples, tmp_path):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from dfutils.faces.extraction_settings import ExtractionSettings
    from dfutils.faces.tracking import extract_video
    from dfutils.nets import facenet, triplet

    keras.utils.set_random_seed(0)
    network = triplet.build_embedding_network(128, 16, 8, 0.1)
    generator = np.random.default_rng(0)
    classifier = LogisticRegression().fit(generator.normal(size=(20, 8)), np.arange(20) % 2)
    path = model_files.save_model(network, tmp_path / "triplet.keras", {
        "extraction": EXTRACTION, "facenet_model": "keras-facenet-128", "frames": 3, "size": 64,
        "architecture": "triplet", "mining": "semi-hard"}, classifier=classifier)
    video = sorted((real_samples / "ffpp" / "original_sequences").rglob("*.mp4"))[0]
    row = VideoScorer(path, every_face=False).score(video)
    assert row.error == "" and row.frames_used == 3
    # the same chain by hand: crops -> FaceNet -> triplet network -> classifier, mean over frames
    crops = extract_video(video, video.name, ExtractionSettings(**EXTRACTION)).crops
    clip = clips.fit_clip(crops, 3, 64).astype(np.uint8)
    projected = network.predict(facenet.shared_embedder("keras-facenet-128").embed(clip), verbose=0)
    assert row.score == pytest.approx(classifier.predict_proba(projected)[:, 1].mean(), abs=1e-5)
    # a fresh process, as a user runs it: the custom layers and loss must register themselves
    import subprocess
    import sys

    out = tmp_path / "scores.csv"
    subprocess.run([sys.executable, "-m", "dfutils", "predict", "--model", str(path), str(video), "--out", str(out)],
                   check=True, capture_output=True, timeout=300)
    table = pd.read_csv(out, keep_default_na=False)
    assert table["error"].tolist() == [""] and float(table["score"].iloc[0]) == pytest.approx(row.score, abs=1e-5)


def test_still_images_are_scored_by_frame_models_and_refused_by_clip_models(frame_model_file, tmp_path):
    import cv2
    import numpy as np

    from dfutils.assets import fetch

    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(fetch("photo-face_recognition-biden").read_bytes())
    texture = tmp_path / "crop.png"  # no face a detector finds: taken as a face crop, used as given
    cv2.imwrite(str(texture), np.random.default_rng(0).integers(0, 255, (90, 90, 3), dtype=np.uint8))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "images.csv"
    assert main(["predict", "--model", str(frame_model_file), str(photo), str(texture), str(broken),
                 "--out", str(out)]) == 3  # done; the broken file failed, recorded in its row
    table = pd.read_csv(out, keep_default_na=False).set_index("path")
    assert table.loc[str(photo), "error"] == "" and table.loc[str(photo), "faces_found"] == 1
    assert 0 <= float(table.loc[str(photo), "score"]) <= 1 and table.loc[str(photo), "frames_used"] == 3
    assert table.loc[str(texture), "error"] == "" and table.loc[str(texture), "faces_found"] == 0
    assert "not a readable image" in table.loc[str(broken), "error"]
    # the face was cropped as in training: the same crop scores the same
    scorer = VideoScorer(frame_model_file, every_face=False)
    crop, _ = scorer.image_crop(photo)
    assert float(table.loc[str(photo), "score"]) == pytest.approx(scorer.frame_scores(crop)[0], abs=1e-5)

    keras.utils.set_random_seed(1)
    clip_file = model_files.save_model(architectures.build_conv3d(3, 32, (4,), 8, 0.3), tmp_path / "c3d.keras",
                                       {"extraction": EXTRACTION, "frames": 3, "size": 32, "architecture": "conv3d"})
    row = VideoScorer(clip_file, every_face=False).score(photo)
    assert "needs a video" in row.error and row.score != row.score  # NaN: not scored
