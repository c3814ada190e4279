"""The detector registry and every detector's interface: fit, predict, run, save, load and score.

A tiny run (24 videos, fakes with a bright square on the face) is enough to check the contract
each detector keeps with the notebooks, ``dfutils predict`` and the results tables; whether the
methods learn is the demo's job (its report), not a unit test's.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import is_dataclass, replace
from pathlib import Path

import cv2
import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from dfutils import detectors, papers
from dfutils.detectors import registry
from dfutils.detectors.base import Detector, RunData, SharedStages
from dfutils.detectors.frame_models import majority_vote
from dfutils.detectors.settings import (
    Conv3DSettings,
    CropStatisticsSettings,
    FrameSettings,
    PaperASettings,
    SelfBlendedSettings,
    SequenceSettings,
    TripletSettings,
)
from dfutils.errors import UserInputError
from dfutils.faces.crop_files import FaceCrops, save_crops
from dfutils.layout import RunLayout
from dfutils.nets import architectures
from dfutils.nets.clips import read_clip_crops
from dfutils.predictions import PAPERS, VIDEO_COLUMNS

pytestmark = pytest.mark.minutes(8)  # every detector trained on the tiny run, on one worker
SIZE = 32
EXTRACTION = {"detector": "mtcnn", "frames": 4, "fps": None, "size": SIZE, "margin": 0.1, "margin_px": 0,
              "detect_side": 160, "min_score": None, "keyframe_every": None}


# --------------------------------------------------------------------------- the catalogue
def test_every_class_keeps_the_whole_contract_and_a_class_missing_a_method_cannot_be_created():
    classes = {registry.implementation(entry.implementation) for entry in registry.ENTRIES}
    for architecture, path in registry.ARCHITECTURES.items():  # the class that saved a file loads and scores it
        cls = registry.implementation(path)
        assert cls.architecture == architecture, path
        classes.add(cls)
    for cls in classes:
        assert issubclass(cls, Detector) and not inspect.isabstract(cls), cls
        assert cls.architecture in registry.ARCHITECTURES, f"{cls.__name__}: its files could not be loaded"
        assert is_dataclass(cls.settings_class), cls
    for entry in registry.ENTRIES:
        assert entry.paper in PAPERS

    # a copy of a detector class without one of the contract's methods cannot be created
    for method in ("fit", "predict", "save", "load", "score_crops"):
        complete = {name: (lambda *a, **k: None) for name in ("fit", "predict", "save", "score_crops")}
        complete["load"] = classmethod(lambda cls, path, stored: None)
        stripped = type("Stripped", (Detector,), {**{k: v for k, v in complete.items() if k != method},
                                                  "settings_class": FrameSettings})
        assert inspect.isabstract(stripped) and method in stripped.__abstractmethods__
        with pytest.raises(TypeError, match=method):
            stripped(None, FrameSettings(), 0)
    with pytest.raises(TypeError, match="abstract"):
        Detector(None, FrameSettings(), 0)

    assert len(registry.BY_NAME) == len(registry.ENTRIES)  # names are unique
    assert registry.names("baseline") == ["crop statistics"] and len(registry.names("A")) == 2 * len(
        architectures.BACKBONES
    )
    assert len({entry.folder for entry in registry.ENTRIES}) == len(registry.ENTRIES)  # and so are folders


def test_settings_of_the_wrong_class_and_unfitted_detectors_are_clear_errors():
    with pytest.raises(TypeError, match="settings must be a FrameSettings, got TripletSettings"):
        detectors.create("frames", TripletSettings(), 0)
    for name in ("frames", "frames + bagging", "3D CNN", "triplets (semi-hard) + SGD", "crop statistics"):
        detector = detectors.create(
            name,
            {
                "3D CNN": Conv3DSettings(),
                "crop statistics": CropStatisticsSettings(),
                "triplets (semi-hard) + SGD": TripletSettings(),
            }.get(name, FrameSettings()),
            0,
        )
        with pytest.raises(NotFittedError, match=f"{re.escape(name)}: not fitted"):
            detector.score_crops(np.zeros((2, SIZE, SIZE, 3), np.uint8))
        with pytest.raises(NotFittedError):
            detector.save("never.keras")


def test_every_row_of_paper_b_tables_has_a_detector_and_paper_a_covers_every_backbone():
    for table in (papers.PAPER_B_TABLE1, papers.PAPER_B_TABLE2, papers.PAPER_B_TABLE3):
        for row in table.index:
            assert registry.models_for_row(row), f"Paper B row {row!r} has no detector"
    assert set(registry.PAPER_A_ROWS) == set(architectures.BACKBONES)
    for backbone, row in registry.PAPER_A_ROWS.items():
        assert papers.PAPER_A_BACKBONES[architectures.BACKBONES[backbone].paper_backbone(backbone)] == row


def test_unknown_names_and_mismatched_settings_are_clear_errors():
    with pytest.raises(UserInputError, match="unknown; known detectors: time-distributed"):
        detectors.create("frames + transformer", FrameSettings(), 0)
    with pytest.raises(ValueError, match="use the entry of that backbone"):
        detectors.create("time-distributed xception", PaperASettings(backbone="efficientnet_b0"), 0)


def test_majority_vote_decides_like_maximum_voting_and_ranks_by_mean_probability():
    scores = np.array([[0.9, 0.1, 0.6, 0.55], [0.8, 0.2, 0.4, 0.45], [0.2, 0.3, 0.7, 0.45]])
    votes = majority_vote(scores)
    # fake votes 2, 0, 2, 1 of 3 -> called fake exactly where most models say so
    np.testing.assert_array_equal(votes > 0.5, [True, False, True, False])
    np.testing.assert_allclose(votes, (np.array([2, 0, 2, 1]) + scores.mean(axis=0)) / 4)
    # same votes: the higher mean probability ranks higher
    assert votes[0] > votes[2]
    generator = np.random.default_rng(0)
    for _ in range(200):  # maximum voting holds for any 7 models
        many = generator.uniform(size=(7, 5))
        np.testing.assert_array_equal(majority_vote(many) > 0.5, (many > 0.5).sum(axis=0) >= 4)


# --------------------------------------------------------------------------- a tiny run
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """24 videos (16 train, 4 val, 4 test; half fake) with crops and a small video file each."""
    root = tmp_path_factory.mktemp("run")
    generator = np.random.default_rng(0)
    rows = []
    for number in range(24):
        label = number % 2
        crops = generator.integers(60, 120, (4, SIZE, SIZE, 3)).astype(np.uint8)
        if label:
            crops[:, 10:22, 10:22] = 230
        video_id = f"v{number:02d}.mp4"
        save_crops(FaceCrops(video_id, crops, np.arange(4), np.zeros((4, 4)), np.ones(4, bool), 1, 4,
                             {**EXTRACTION, "codec": "raw"}), root / "faces" / "crops" / f"{video_id}.npz")
        path = root / "videos" / video_id
        path.parent.mkdir(exist_ok=True)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (SIZE, SIZE))
        for crop in crops:
            writer.write(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        writer.release()
        split = "train" if number < 16 else ("val" if number < 20 else "test")
        rows.append({"video_id": video_id, "path": str(path), "label": label, "method": "Fake" if label else "real",
                     "compression": "c23", "split": split, "group": f"g{number}", "crops": f"crops/{video_id}.npz"})
    return RunData(RunLayout(root, root), pd.DataFrame(rows), EXTRACTION)


FRAME = FrameSettings(backbone="efficientnet_lite0", weights="none", size=SIZE, frames_per_video=2, epochs=1,
                      batch_size=8, learning_rate=1e-3, bagging_parts=2, bagging_epochs=1)
BLENDED = SelfBlendedSettings(backbone="efficientnet_lite0", weights="none", size=SIZE, frames_per_video=2, epochs=1,
                              batch_size=8)
TRIPLET = TripletSettings(facenet_model="keras-facenet-128", frames_per_video=2, hidden_units=16, embedding_dim=8,
                          epochs=2, batch_size=16, trees=10)


@pytest.fixture(scope="module")
def frame_classifier(tiny_run) -> Detector:
    """The frame classifier the LSTM and the GRU run on, trained once for both."""
    return detectors.create("frames", FRAME, 0).fit(tiny_run)


def _created(name: str, request) -> Detector:
    """A registered detector with the tiny run's settings, untrained (the LSTM/GRU on a trained frame classifier)."""
    if name.startswith("time-distributed"):
        settings = PaperASettings(backbone="efficientnet_lite0", weights="none", frames=2, size=SIZE, lstm_units=4,
                                  dense_units=4, epochs=1, batch_size=4)
        return detectors.create(name, settings, 0)
    if name in ("frames + LSTM", "frames + GRU"):
        request.getfixturevalue("frame_classifier")  # fitted on the tiny run: the run's shared frame classifier
        return detectors.create(name, SequenceSettings(frames=2, units=4, epochs=2), 0)
    if name.startswith("self-blended"):
        return detectors.create(name, BLENDED, 0)
    settings = {
        "frames": FRAME,
        "frames + bagging": FRAME,
        "crop statistics": CropStatisticsSettings(frames=4),
        "3D CNN": Conv3DSettings(frames=2, size=SIZE, filters=(4, 8), epochs=1, batch_size=4),
    }.get(name, TRIPLET)
    return detectors.create(name, settings, 0)


def _trained(name: str, data: RunData, request) -> Detector:
    """A registered detector trained and run on the tiny run."""
    keras.utils.set_random_seed(0)
    return _run(_created(name, request), data)


def _run(detector: Detector, data: RunData) -> Detector:
    detector.predictions_made = detector.run(data)
    return detector


SMOKE = ["time-distributed efficientnet_lite0, from scratch", "frames", "frames + bagging", "frames + LSTM",
         "frames + GRU", "3D CNN", "triplets (semi-hard) + RF", "triplets (random) + SGD", "FaceNet + RF",
         "crop statistics", "self-blended (efficientnet_lite0)"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SMOKE)
def test_each_detector_fits_predicts_saves_and_scores_again_from_its_file(name, tiny_run, request):
    """Every family of the catalogue: run() writes the prediction table and info the results read, and the
    model file alone (what dfutils predict loads) gives the same score for a test video."""
    detector = _trained(name, tiny_run, request)
    table = detector.predictions_made
    assert list(table.columns[:len(VIDEO_COLUMNS)]) == VIDEO_COLUMNS
    assert sorted(table["video_id"]) == sorted(
        tiny_run.clips.loc[tiny_run.clips["split"].isin(["val", "test"]), "video_id"]
    )
    assert table["score"].between(0, 1).all() and table["score"].notna().all()
    folder = tiny_run.layout.model_dir(detector.folder)
    written = pd.read_csv(folder / "predictions.csv", keep_default_na=False)
    assert set(written["model"]) == {name}
    info = json.loads((folder / "info.json").read_text())
    assert (info["model"], info["paper"]) == (name, registry.entry(name).paper)

    assert detector.model_path(tiny_run).name == ("model.skops" if name == "crop statistics" else "model.keras")
    loaded = detectors.load(detector.model_path(tiny_run))
    assert type(loaded) is type(detector) and loaded.name == name
    assert loaded.settings == detector.settings  # the settings dataclass itself, rebuilt from the file
    video = tiny_run.split("test").iloc[0]
    expected = float(table.set_index("video_id").loc[video["video_id"], "score"])
    for scorer in (loaded, detector):  # from its file, and as fitted
        if scorer.input == "video":
            score, per_frame = scorer.score_video(video["path"])
        else:
            score, per_frame = scorer.score_crops(read_clip_crops(tiny_run.faces / video["crops"], 4))
        assert score == pytest.approx(expected, abs=1e-4), scorer
        assert len(per_frame) >= 1

    # many videos at once (what dfutils evaluate and notebook 08 call): the scores of one at a time, the most
    # confident of a video's tracks (a second, brighter track added to one video)
    tests = tiny_run.split("test")
    videos = [[read_clip_crops(tiny_run.faces / crops, 4)] for crops in tests["crops"]]
    videos[1].append(np.clip(videos[1][0].astype(int) + 90, 0, 255).astype(np.uint8))
    videos[2] = [videos[2][0][:1]]  # one crop, repeated to fill a clip (each distinct crop is run once)
    batched = loaded.score_batch(videos, shared={})
    for tracks, (score, used) in zip(videos, batched, strict=True):
        single, per_frame = loaded.score_tracks(tracks)
        assert score == pytest.approx(single, abs=1e-5) and used == len(per_frame)

    # an unfitted copy (scikit-learn's clone): the same entry, settings and seed, nothing fitted
    copy = clone(detector)
    assert type(copy) is type(detector) and copy.get_params() == detector.get_params()
    with pytest.raises(NotFittedError, match=f"{re.escape(name)}: not fitted"):
        copy.check_fitted()
    assert not copy.__sklearn_is_fitted__() and detector.__sklearn_is_fitted__()

    # predict reads the data it is given: two of the test videos, in reverse order, in a new run's data
    part = tiny_run.split("test").iloc[[3, 1]]
    other = RunData(tiny_run.layout, pd.concat([part, tiny_run.split("train")]), tiny_run.extraction, SharedStages())
    again = detector.predict(other, "test")
    assert again["video_id"].tolist() == part["video_id"].tolist()
    assert again["score"].to_numpy() == pytest.approx(
        table.set_index("video_id").loc[part["video_id"], "score"].to_numpy(), abs=1e-4)


@pytest.mark.slow
def test_the_self_blended_detector_reads_no_fake_video_and_the_lever_adds_blended_fakes(tiny_run, monkeypatch):
    """Self-blending trains from reals alone: during fit no crop file of a fake video (of any split) is read;
    as a lever of the frame classifier, each training batch gains share x its size of blended fakes."""
    import dfutils.nets.clips as clips

    read = []
    original = clips.read_clip_crops
    monkeypatch.setattr(clips, "read_clip_crops", lambda path, frames: read.append(str(path)) or original(path, frames))
    detector = detectors.create("self-blended (efficientnet_lite0)", BLENDED, 0)
    detector.fit(tiny_run)
    fakes = {str(tiny_run.faces / crops) for crops in tiny_run.clips.loc[tiny_run.clips["label"] == 1, "crops"]}
    reals = {str(tiny_run.faces / crops) for crops in tiny_run.clips.loc[
        (tiny_run.clips["label"] == 0) & tiny_run.clips["split"].isin(["train", "val"]), "crops"]}
    assert read and not (set(read) & fakes) and set(read) <= reals
    batch, labels = detector.blended_data(tiny_run, "train", True)[0]
    assert len(batch) == 2 * (BLENDED.batch_size // 2) and labels.tolist() == [0.0] * 4 + [1.0] * 4

    lever = detectors.create("frames", replace(FRAME, self_blended_share=0.5), 0)
    images, labels = lever.frame_data(tiny_run, tiny_run.split("train"), shuffle=True)[0]
    assert len(images) == FRAME.batch_size + 4 and labels[FRAME.batch_size:].tolist() == [1.0] * 4
    plain = detectors.create("frames", FRAME, 0).frame_data(tiny_run, tiny_run.split("train"), shuffle=True)[0][0]
    assert np.array_equal(images[:FRAME.batch_size], plain)  # the papers' batch, with the blended fakes added
    scored = lever.frame_data(tiny_run, tiny_run.split("val"))[0][0]
    assert len(scored) == FRAME.batch_size  # never in the batches that are scored


def test_a_model_file_without_a_known_architecture_is_refused(tmp_path):
    bare = tmp_path / "bare.keras"
    architectures.build_sequence_classifier("gru", 3, 8, 4).save(bare)
    with pytest.raises(UserInputError, match="architecture None cannot score"):
        detectors.load(bare)


@pytest.mark.slow
def test_the_rf_and_sgd_heads_of_a_mining_read_one_triplet_embedding_trained_once(tiny_run):
    """Paper B's Table III compares the two heads on one embedding: the second head reuses the first's."""
    data = RunData(tiny_run.layout, tiny_run.clips, tiny_run.extraction)  # fresh shared stages
    rf = detectors.create("triplets (semi-hard) + RF", TRIPLET, 0).fit(data)
    sgd = detectors.create("triplets (semi-hard) + SGD", TRIPLET, 0).fit(data)
    assert rf.network is sgd.network and len(data.shared.triplet_embeddings) == 1
    other = detectors.create("triplets (random) + RF", TRIPLET, 0).fit(data)
    assert other.network is not rf.network and len(data.shared.triplet_embeddings) == 2
    assert rf.history.equals(sgd.history) and set(other.history["mining"]) == {"random"}
    # a part of the data sharing these stages (a study's subset) gets its own FaceNet rows and embedding
    part = RunData(tiny_run.layout, tiny_run.clips.iloc[4:], tiny_run.extraction, data.shared)
    on_part = detectors.create("triplets (semi-hard) + RF", TRIPLET, 0).fit(part)
    assert on_part.network is not rf.network and len(data.shared.triplet_embeddings) == 3
    assert sorted(len(rows) for rows in data.shared.facenet_embeddings.values()) == [20, 24]


@pytest.mark.slow
def test_the_compression_matrix_trains_the_registry_detector_on_each_level(tiny_run, monkeypatch):
    """The study runs the registry's triplets + RF (not a copy of it): one fit per level on that level's
    training videos, scored on every level's test videos, and no prediction table added to the run."""
    from dfutils.studies.embeddings import compression_matrix

    number = tiny_run.clips["video_id"].str[1:3].astype(int)
    data = RunData(tiny_run.layout, tiny_run.clips.assign(compression=np.where(number % 4 < 2, "c23", "c40")),
                   tiny_run.extraction)
    detector_class = type(detectors.create("triplets (semi-hard) + RF", TRIPLET, 0))
    trained_on, original = [], detector_class.fit
    monkeypatch.setattr(detector_class, "fit", lambda self, part: trained_on.append(
        (self.name, set(part.split("train")["compression"]), len(part.split("test")))) or original(self, part))
    matrix = compression_matrix(data, TRIPLET, 0)
    assert trained_on == [("triplets (semi-hard) + RF", {"c23"}, 4), ("triplets (semi-hard) + RF", {"c40"}, 4)]
    assert matrix.shape == (2, 2) and matrix.notna().all().all() and matrix.stack().between(0, 1).all()
    alone = detectors.create("triplets (semi-hard) + RF", TRIPLET, 0).fit(
        RunData(data.layout, data.clips[(data.clips["compression"] == "c40") | (data.clips["split"] == "test")],
                data.extraction))
    test = alone.predict(data, "test")
    c23 = test[test["compression"] == "c23"]
    from dfutils.evaluation.metrics import video_metrics

    assert matrix.loc["c40", "c23"] == pytest.approx(video_metrics(c23["label"], c23["score"])["auc"])
    assert not list((tiny_run.layout.models / "compression-matrix").rglob("predictions.csv"))


@pytest.mark.slow
def test_a_seeded_detector_trains_the_same_model_whatever_ran_before_in_the_process(tiny_run):
    """fit seeds Keras itself: random draws made before it (another test, another detector in the same
    notebook) change neither the initial weights nor the dropout masks, of the frame classifier and of
    every model of its bagging ensemble (trained in turn in one reused model)."""
    def scores(name: str) -> np.ndarray:
        return detectors.create(name, FRAME, 3).fit(tiny_run).predict(tiny_run, "test")["score"].to_numpy()

    first = {name: scores(name) for name in ("frames", "frames + bagging")}
    keras.random.uniform((5,))
    np.random.default_rng().random()
    keras.utils.set_random_seed(99)
    again = {name: scores(name) for name in ("frames + bagging", "frames")}  # the other order
    for name in first:
        np.testing.assert_array_equal(again[name], first[name], err_msg=name)


@pytest.mark.slow
def test_fitting_twice_gives_the_first_fits_model_and_a_refit_never_reads_a_dead_models_embeddings(tiny_run,
                                                                                                     frame_classifier,
                                                                                                     monkeypatch):
    """fit always builds from the settings and the seed, or trains what build made for the same data (Paper A's
    detector had kept training its first model on a second fit); the frame embeddings the LSTM and the GRU share
    are keyed by the weights they come from, so a refitted frame classifier (another seed) never hands out its
    predecessor's, even when CPython gives the new model the freed one's id."""
    settings = PaperASettings(backbone="efficientnet_lite0", weights="none", frames=2, size=SIZE, lstm_units=4,
                              dense_units=4, epochs=1, batch_size=4)
    paper_a = detectors.create("time-distributed efficientnet_lite0, from scratch", settings, 0)
    shown = paper_a.build(tiny_run)  # what notebook 03 shows is the very network the next fit trains
    first = paper_a.fit(tiny_run).predict(tiny_run, "test")["score"].to_numpy()
    assert paper_a.model is shown and paper_a.built is None
    second = paper_a.fit(tiny_run).predict(tiny_run, "test")["score"].to_numpy()  # built afresh, trained alike
    assert paper_a.model is not shown
    np.testing.assert_array_equal(second, first)
    data = RunData(tiny_run.layout, tiny_run.clips, tiny_run.extraction)  # fresh shared stages
    before = frame_classifier.clip_embeddings(data, "test", 2)  # the module's frame classifier, seed 0
    refitted = detectors.create("frames", FRAME, 5).fit(data)
    after = refitted.clip_embeddings(data, "test", 2)
    assert not np.array_equal(before, after) and len(data.shared.frame_embeddings) == 2
    np.testing.assert_array_equal(refitted.clip_embeddings(data, "test", 2), after)  # the same weights: computed once
    # Paper A's network is built for the data it trains on: another data's fit builds its own
    pending = paper_a.build(tiny_run)
    other = RunData(tiny_run.layout, tiny_run.clips.iloc[8:], tiny_run.extraction)
    from dfutils.nets import training

    monkeypatch.setattr(training, "fit", lambda *arguments, **options: pd.DataFrame())  # which network, not how
    assert paper_a.fit(other).model is not pending


# the families the tests above do not fit twice (Paper A, the frame classifier and bagging are)
FIT_TWICE = ["frames + GRU", "3D CNN", "triplets (semi-hard) + SGD", "FaceNet + RF", "crop statistics",
             "self-blended (efficientnet_lite0)"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FIT_TWICE)
def test_fitting_a_detector_twice_scores_as_its_first_fit(name, tiny_run, request):
    """fit is a function of the settings, the seed and the data alone: fitted again, after other random draws in
    the process, the same detector scores every test video as it did the first time."""
    detector = _created(name, request)
    first = detector.fit(tiny_run).predict(tiny_run, "test")["score"].to_numpy()
    keras.random.uniform((5,))
    np.random.default_rng().random()
    keras.utils.set_random_seed(123)
    np.testing.assert_array_equal(detector.fit(tiny_run).predict(tiny_run, "test")["score"].to_numpy(), first)


def test_the_lstm_reads_the_runs_frame_classifier_through_the_shared_stages(tiny_run):
    """The LSTM/GRU take no fitted object when made: fit reads the frame classifier fitted on the same data, and
    says what to do when there is none."""
    recurrent = detectors.create("frames + LSTM", SequenceSettings(frames=2, units=4, epochs=1), 0)
    fresh = RunData(tiny_run.layout, tiny_run.clips, tiny_run.extraction)  # no frame classifier fitted on it
    with pytest.raises(ValueError, match="frames \\+ LSTM: reads the per-frame embeddings of the run's frame "
                                         "classifier; fit the 'frames' detector on this data first"):
        recurrent.fit(fresh)


def test_every_detector_is_its_entry_settings_and_seed_and_subclasses_honour_their_parents_settings():
    """What __init__ takes beyond the entry, the settings and the seed is the entry's own variant (the cell, the
    mining, the head): a detector is made from the catalogue alone, and cloned from what it was made with. A
    detector class that extends another reads its parent's settings dataclass (or one extending it)."""
    classes = {}
    for entry in registry.ENTRIES:
        cls = registry.implementation(entry.implementation)
        classes[cls.__name__] = cls
        for parameter in list(inspect.signature(cls.__init__).parameters.values())[4:]:
            assert isinstance(parameter.default, str), (entry.name, parameter.name)  # a variant's name, no object
        made = entry.create(cls.settings_class(), 0) if cls.__name__ != "CnnLstm" else entry.create(
            PaperASettings(backbone=entry.name.split()[1].rstrip(","),
                           weights="none" if "scratch" in entry.name else "imagenet"), 0)
        assert clone(made).get_params() == made.get_params(), entry.name
    for cls in classes.values():
        for parent in cls.__mro__[1:]:
            if parent.__name__ in classes:
                assert issubclass(cls.settings_class, parent.settings_class), (cls.__name__, parent.__name__)
    # and no detector reads a field its settings may lack (getattr with a default)
    source = "\n".join(path.read_text() for path in Path(registry.__file__).parent.glob("*.py"))
    assert not re.search(r"getattr\((self\.)?(s|settings), ", source)


def test_a_weights_fingerprint_follows_the_weights_not_the_object():
    from dfutils.nets import training

    first = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    twin = keras.models.clone_model(first)
    twin.set_weights(first.get_weights())
    assert training.weights_fingerprint(twin) == training.weights_fingerprint(first)
    weights = first.get_weights()
    weights[0][0, 0] += 1e-6
    first.set_weights(weights)
    assert training.weights_fingerprint(twin) != training.weights_fingerprint(first)


# --------------------------------------------------------------------------- a deepfake-trained backbone as a start
def _backbone_weights(model: keras.Model) -> list[np.ndarray]:
    return next(
        layer for layer in model._flatten_layers(include_self=False) if layer.name.endswith("_features")
    ).get_weights()


@pytest.mark.slow
def test_a_frame_classifiers_backbone_is_a_start_for_any_profiles_cnns(frame_classifier, tiny_run, tmp_path,
                                                                         monkeypatch):
    from dfutils import config
    from dfutils.detectors import backbone_files, model_files

    # saving the frame classifier leaves its backbone beside it, with where it came from
    frame_classifier.save(tmp_path / "frames" / "model.keras")
    backbone_file = tmp_path / "frames" / backbone_files.BACKBONE_FILE
    stored = model_files.read_settings(backbone_file)
    assert stored["architecture"] == "backbone" and stored["backbone"] == "efficientnet_lite0"
    assert stored["trained_on"]["train_videos"] == 16
    assert stored["trained_on"]["data_fingerprint"] == tiny_run.fingerprint("train", "val")
    assert stored["hyperparameters"]["weights"] == "none" and stored["seed"] == 0
    trained = _backbone_weights(frame_classifier.model)

    # by its path: the weights arrive, at the size a detector asks for (48 px here, trained at 32)
    built = architectures.build_frame_classifier("efficientnet_lite0", 48, embedding_units=8, dropout_rate=0.0,
                                                 **backbone_files.start_of(str(backbone_file), "efficientnet_lite0"))
    assert all(np.array_equal(a, b) for a, b in zip(_backbone_weights(built), trained, strict=True))
    fresh = architectures.build_frame_classifier("efficientnet_lite0", 48, "none", 8, 0.0)
    assert not all(np.array_equal(a, b) for a, b in zip(_backbone_weights(fresh), trained, strict=True))

    # by a profile's name: its frame classifier's backbone; Paper A's network starts from it too
    monkeypatch.setattr(config, "ARTIFACTS_DIR", tmp_path / "artifacts")
    source = tmp_path / "artifacts" / "ffpp_c40" / "models" / "frames-efficientnet_lite0" / backbone_files.BACKBONE_FILE
    paper_a = detectors.create("time-distributed efficientnet_lite0", PaperASettings(
        backbone="efficientnet_lite0", weights="ffpp_c40", frames=2, size=SIZE, lstm_units=4, dense_units=4), 0)
    with pytest.raises(UserInputError, match=r"make it with `dfutils run ffpp_c40 --only 04_frame_baselines`"):
        paper_a.build(tiny_run)
    source.parent.mkdir(parents=True)
    source.write_bytes(backbone_file.read_bytes())
    network = paper_a.build(tiny_run)
    assert all(np.array_equal(a, b) for a, b in zip(_backbone_weights(network), trained, strict=True))
    assert paper_a.name == "time-distributed efficientnet_lite0"  # a pretrained start, not "from scratch"
    assert backbone_files.describe("ffpp_c40") == "ffpp_c40 start"

    # a file of another architecture, or a name that is neither a profile nor a file, is refused by name
    with pytest.raises(UserInputError, match="not a efficientnet_lite1 backbone"):
        backbone_files.start_of(str(backbone_file), "efficientnet_lite1")
    with pytest.raises(UserInputError, match="not imagenet, none, a backbone file"):
        backbone_files.start_of("imagenette", "efficientnet_lite0")
    with pytest.raises(UserInputError, match="is read by the detector"):
        architectures.build_backbone("efficientnet_lite0", SIZE, "ffpp_c40")
