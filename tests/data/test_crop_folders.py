"""Folders of face crops: naming schemes, grouping into videos and people, packing into the crop cache.

Generated trees shaped like each naming scheme, and the real FF++ and DFDC crops of
``../shared/real-faces`` when present (skipped with the reason otherwise).
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import pandas as pd
import pytest

from dfutils import config
from dfutils.cli import main
from dfutils.data import crop_folders, datasets
from dfutils.data.crop_folders import Name, parse_name
from dfutils.data.datasets import check_no_leak, index_faces, missing_files
from dfutils.errors import DatasetError
from dfutils.faces import packing
from dfutils.faces.crop_files import load_crops
from dfutils.faces.extraction_settings import ExtractionSettings
from dfutils.faces.packing import PackSettings, pack_crops

REAL_FACES = config.PROJECT_ROOT.parent / "shared" / "real-faces"


def write_crop(path, value: int, side: int = 40, shape=None):
    """A crop whose mean brightness is ``value`` (so tests can see which file landed where)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = shape or (side, side)
    cv2.imwrite(str(path), np.full((height, width, 3), value, np.uint8))
    return path


def ffpp_crop_tree(root, pairs=(("000", "003"), ("012", "026"), ("024", "073"), ("029", "048"), ("035", "036"),
                                ("102", "114")), frames=3):
    for a, b in pairs:
        for k in range(frames):
            write_crop(root / "real" / f"{a}_{k}.jpg", 10 + k)
            write_crop(root / "real" / f"{b}_{k}.jpg", 10 + k)
            write_crop(root / "manipulated" / f"{a}_{b}_{k}.jpg", 100 + k)
            write_crop(root / "manipulated" / f"{b}_{a}_{k}.jpg", 100 + k)
    return root


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("stem, label, expected", [
    ("000_7", 0, Name("000", (7,), ("000",), "", "ffpp")),
    ("000_003_12", 1, Name("000_003", (12,), ("000", "003"), "000", "ffpp")),
    ("000_003", 1, Name("000_003", (0,), ("000", "003"), "000", "ffpp")),  # a fake without a frame number
    ("id3_0005_frame_14", 0, Name("id3_0005", (14,), ("id3",), "", "celebdf")),
    ("id3_id7_0005_frame14", 1, Name("id3_id7_0005", (14,), ("id3",), "id3_0005", "celebdf")),
    ("id3_id7_0005_2", 1, Name("id3_id7_0005", (2,), ("id3",), "id3_0005", "celebdf")),
    ("aabyjxwqyo_ppulbuhtsc_0", 1, Name("aabyjxwqyo", (0,), ("ppulbuhtsc",), "ppulbuhtsc", "dfdc")),
    ("aapnvogymq-009-01", 1, Name("aapnvogymq", (9, 1), ("aapnvogymq",), "", "dfdc")),
    ("aaapwqhxli_2", 0, Name("aaapwqhxli", (2,), ("aaapwqhxli",), "", "dfdc")),
    ("interview_frame_0042", 0, Name("interview", (42,), (), "", "generic")),
    ("clip-3", 1, Name("clip", (3,), (), "", "generic")),
    ("portrait", 0, Name("portrait", (0,), (), "", "own")),  # no scheme: a video of its own
    # every scheme with a trailing face number (<video>_frame_<k>_face_<j> and <video>_<k>_face_<j>)
    ("000_7_face_1", 0, Name("000", (7,), ("000",), "", "ffpp", 1)),
    ("000_003_12_face_0", 1, Name("000_003", (12,), ("000", "003"), "000", "ffpp", 0)),
    ("id0_id16_0001_frame_10_face_0", 1, Name("id0_id16_0001", (10,), ("id0",), "id0_0001", "celebdf", 0)),
    ("id3_0005_frame_14_face_1", 0, Name("id3_0005", (14,), ("id3",), "", "celebdf", 1)),
    ("id3_0005_4_face_0", 0, Name("id3_0005", (4,), ("id3",), "", "celebdf", 0)),
    ("00006_frame_3_face_2", 0, Name("00006", (3,), (), "", "celebdf", 2)),  # YouTube-real: nobody named
    ("00006_frame_3", 0, Name("00006", (3,), (), "", "celebdf")),
    ("aabyjxwqyo_ppulbuhtsc_5_face_1", 1, Name("aabyjxwqyo", (5,), ("ppulbuhtsc",), "ppulbuhtsc", "dfdc", 1)),
    ("interview_frame_0042_face_3", 0, Name("interview", (42,), (), "", "generic", 3)),
    ("portrait_face_1", 0, Name("portrait", (0,), (), "", "own", 1)),
])
def test_each_naming_scheme_gives_video_frame_and_people(stem, label, expected):
    assert parse_name(stem, label) == expected


def test_a_users_pattern_comes_first():
    pattern = re.compile(r"(?P<person>p\d+)-(?P<video>v\d+)-f(?P<frame>\d+)")
    assert parse_name("p4-v12-f3", 1, pattern) == Name("v12", (3,), ("p4",), "", "pattern")
    assert parse_name("000_3", 0, pattern).scheme == "ffpp"  # not matched by the pattern: the known schemes


def test_class_folders_and_their_synonyms():
    assert crop_folders.class_of("REAL") == (0, "real") and crop_folders.class_of("youtube") == (0, "real")
    assert crop_folders.class_of("DeepFake") == (1, "unknown") and crop_folders.class_of("df") == (1, "unknown")
    assert crop_folders.class_of("neuraltextures") == (1, "NeuralTextures")
    with pytest.raises(DatasetError, match="class folder 'cats': not a known class"):
        crop_folders.class_of("cats")


# --------------------------------------------------------------------------- the indexer
def test_ffpp_crops_become_one_row_per_video_grouped_by_people(tmp_path):
    root = ffpp_crop_tree(tmp_path / "crops")
    write_crop(root / "real" / "000_10.jpg", 30)  # frame 10 sorts after frame 2, not after 1
    df = index_faces(root, seed=3)
    assert len(df) == 24 and df["label"].sum() == 12
    by_id = df.set_index("video_id")
    family = by_id.loc[["real/000", "real/003", "manipulated/000_003", "manipulated/003_000"]]
    assert family["group"].nunique() == 1 and family["split"].nunique() == 1
    assert by_id.loc["manipulated/000_003", "original"] == "real/000"
    assert df["group"].nunique() == 6
    check_no_leak(df)
    members = df.attrs["members"]
    files = members[members["video_id"] == "real/000"]["file"].map(lambda f: f.rsplit("/", 1)[1]).tolist()
    assert files == ["000_0.jpg", "000_1.jpg", "000_2.jpg", "000_10.jpg"]
    assert members[members["video_id"] == "real/000"]["frame"].tolist() == [0, 1, 2, 3]
    # the same seed, the same split; another seed, another
    assert index_faces(root, seed=3)["split"].tolist() == df["split"].tolist()
    assert any(index_faces(root, seed=s)["split"].tolist() != df["split"].tolist() for s in range(4, 9))


def test_unreadable_crops_are_reported_and_the_rest_go_on(tmp_path):
    root = ffpp_crop_tree(tmp_path / "crops")
    (root / "real" / "000_1.jpg").write_bytes(b"not an image")
    (root / "real" / "notes.txt").write_text("ignored")
    df = index_faces(root)
    missing = missing_files(df)
    assert missing["path"].str.endswith("000_1.jpg").tolist() == [True]
    assert "unreadable image" in missing["reason"].iloc[0] and missing["video_id"].iloc[0] == "real/000"
    members = df.attrs["members"]
    assert len(members[members["video_id"] == "real/000"]) == 2 and len(df) == 24


def test_split_folders_are_kept_and_a_leaking_split_is_refused(tmp_path):
    root = tmp_path / "crops"
    for split, (a, b) in (("train", ("000", "003")), ("valid", ("012", "026")), ("test", ("024", "073"))):
        ffpp_crop_tree(root / split, pairs=((a, b),), frames=2)
    df = index_faces(root)
    assert dict(zip(df["video_id"], df["split"], strict=True))["valid/manipulated/012_026"] == "val"
    assert set(df["split"]) == {"train", "val", "test"}
    write_crop(root / "test" / "real" / "000_0.jpg", 5)  # a person of train in test too
    with pytest.raises(DatasetError, match="split folders put the people of faces/000 .*ignore them"):
        index_faces(root)
    resplit = index_faces(root, split_folders=False, seed=1)
    check_no_leak(resplit)


def test_other_layouts_nested_folders_dfdc_celebdf_and_clips(tmp_path):
    root = tmp_path / "crops"
    for k in range(3):
        write_crop(root / "fake" / "aabyjxwqyo_ppulbuhtsc" / f"{k:03d}.png", 100 + k)  # one folder per video
        write_crop(root / "real" / f"ppulbuhtsc_{k}.jpg", 10)
        write_crop(root / "real" / f"id5_0003_frame_{k}.jpg", 10)
        write_crop(root / "fake" / f"id5_id9_0003_frame_{k}.jpg", 100, shape=(50, 40))
    (root / "fake" / "fake-asfmcylpjv.mp4").write_bytes(b"\x00")  # a face-only clip: a video of its own
    df = index_faces(root).set_index("video_id")
    assert df.loc["fake/aabyjxwqyo_ppulbuhtsc", "group"] == df.loc["real/ppulbuhtsc", "group"]  # the DFDC family
    assert df.loc["fake/id5_id9_0003", "group"] == df.loc["real/id5_0003", "group"] == "faces/id5"
    assert df.loc["fake/fake-asfmcylpjv.mp4", "compression"] == "clip"
    assert df.loc["fake/aabyjxwqyo_ppulbuhtsc", "compression"] == "crops"


def test_celebdf_crops_group_a_fake_with_its_target_and_keep_one_face_per_frame(tmp_path):
    """Celeb-DF crops as published (<video>_frame_<k>_face_<j>): each crop file is a frame of its video, a
    fake idA_idB_NNNN sits with its target person idA (whose scene it is) and never with idB, a YouTube-real
    video is its own group, and a frame's second face is left out of the clip."""
    root = tmp_path / "celebdf"
    for k in (3, 12, 7):
        write_crop(root / "real" / f"id1_0004_frame_{k}_face_0.jpg", 10 + k)
        write_crop(root / "real" / f"id2_0001_frame_{k}_face_0.jpg", 10)
        write_crop(root / "real" / f"00123_frame_{k}_face_0.jpg", 20)
        write_crop(root / "fake" / f"id1_id2_0004_frame_{k}_face_0.jpg", 100 + k)
    write_crop(root / "fake" / "id1_id2_0004_frame_7_face_1.jpg", 250)  # a second face in frame 7
    write_crop(root / "fake" / "id2_id1_0001_frame_5_face_1.jpg", 90)  # only face 1 in that frame: used
    df = index_faces(root, seed=1)
    assert sorted(df["video_id"]) == ["fake/id1_id2_0004", "fake/id2_id1_0001", "real/00123", "real/id1_0004",
                                      "real/id2_0001"]
    group = df.set_index("video_id")["group"]
    assert group["fake/id1_id2_0004"] == group["real/id1_0004"] == "faces/id1"
    assert group["fake/id2_id1_0001"] == group["real/id2_0001"] == "faces/id2" != group["real/id1_0004"]
    assert group["real/00123"] not in {"faces/id1", "faces/id2"}
    assert df.set_index("video_id").loc["fake/id1_id2_0004", "original"] == "real/id1_0004"
    members = df.attrs["members"]
    fake = members[members["video_id"] == "fake/id1_id2_0004"]["file"].map(lambda f: f.rsplit("/", 1)[1]).tolist()
    assert fake == ["id1_id2_0004_frame_3_face_0.jpg", "id1_id2_0004_frame_7_face_0.jpg",
                    "id1_id2_0004_frame_12_face_0.jpg"]
    assert len(members[members["video_id"] == "fake/id2_id1_0001"]) == 1
    assert any("1 crops of a frame's second face left out" in note for note in df.attrs["notes"])


def test_unknown_class_folder_and_empty_root_are_one_line_errors(tmp_path, capsys):
    root = ffpp_crop_tree(tmp_path / "crops", pairs=(("000", "003"),), frames=1)
    write_crop(root / "cats" / "x_0.jpg", 5)
    assert main(["data", "index", "--dataset", "faces", "--root", str(root), "--out", str(tmp_path / "i.csv")]) == 2
    assert "class folder 'cats': not a known class" in capsys.readouterr().err
    (tmp_path / "empty" / "real").mkdir(parents=True)
    assert (
        main(
            ["data", "index", "--dataset", "faces", "--root", str(tmp_path / "empty"), "--out", str(tmp_path / "i.csv")]
        )
        == 2
    )
    error = capsys.readouterr().err
    assert "no face crops or clips found" in error and "<root>/[<split>/]<class>/<file>" in error


def test_cli_writes_the_index_and_its_crop_list(tmp_path, capsys):
    root = ffpp_crop_tree(tmp_path / "crops")
    out = tmp_path / "faces.csv"
    assert main(["data", "index", "--dataset", "faces", "--root", str(root), "--out", str(out)]) == 0
    assert "wrote 24 videos" in capsys.readouterr().out
    index = datasets.read_index(out)
    members = datasets.read_crop_members(out)
    assert set(members["video_id"]) == set(index["video_id"]) and len(members) == 72


# --------------------------------------------------------------------------- packing
def test_packing_resizes_keeps_frame_order_records_settings_and_resumes(tmp_path):
    root = ffpp_crop_tree(tmp_path / "crops", frames=4)
    write_crop(root / "real" / "012_3.jpg", 200, shape=(60, 40))  # not square: its centred square is used
    df = index_faces(root)
    settings = {"detector": "mtcnn", "frames": 4, "size": 24, "margin": -0.1, "packed_from_crops": {"side_ratio": 0.9}}
    table = pack_crops(df, df.attrs["members"], tmp_path / "faces", PackSettings(size=24), settings, progress=False)
    assert (table["status"] == "ok").all() and (table["frames_sampled"] == 4).all()
    row = table.set_index("video_id").loc["real/012"]
    crops = load_crops(tmp_path / "faces" / row["crops"])
    assert crops.crops.shape == (4, 24, 24, 3)
    assert np.allclose(crops.crops.mean(axis=(1, 2, 3)), [10, 11, 12, 200], atol=2)  # frame order, JPEG-close
    assert crops.settings == {**settings, "codec": "jpeg", "quality": 95}
    assert ExtractionSettings.from_dict(crops.settings).margin == -0.1
    again = pack_crops(df, df.attrs["members"], tmp_path / "faces", PackSettings(size=24), settings, progress=False)
    assert (again["status"] == "cached").all() and again["crops"].tolist() == table["crops"].tolist()


def test_a_video_with_an_unreadable_crop_keeps_the_others_and_says_so(tmp_path):
    root = ffpp_crop_tree(tmp_path / "crops")
    df = index_faces(root, check_images=False)
    (root / "real" / "000_1.jpg").write_bytes(b"\xff\xd8 truncated")
    table = pack_crops(df, df.attrs["members"], tmp_path / "faces", PackSettings(size=16), {}, progress=False)
    row = table.set_index("video_id").loc["real/000"]
    assert row["status"] == "ok" and row["frames_sampled"] == 2 and "1 of 3 crops unreadable" in row["error"]


# --------------------------------------------------------------------------- the real crops
@pytest.fixture
def real_faces():
    if not (REAL_FACES / "ffpp-256").is_dir():
        pytest.skip(f"real face crops not found at {REAL_FACES} (they sit beside the checkout on the development "
                    "machines; a user brings their own)")
    return REAL_FACES


def test_real_ffpp_crops_are_140_and_140_videos_with_no_person_on_two_sides(real_faces):
    df = index_faces(real_faces / "ffpp-256", seed=2023, fractions={"train": 0.6, "val": 0.15, "test": 0.25})
    assert (df["label"] == 0).sum() == 140 and (df["label"] == 1).sum() == 140
    crops = df.attrs["members"].groupby("video_id").size()
    assert (crops == 10).sum() >= 279 and crops.max() == 10
    people = df.assign(person=df["video_id"].str.split("/").str[1].str.split("_")).explode("person")
    assert (people.groupby("person")["split"].nunique() == 1).all()  # no FF++ person on two sides
    assert df.groupby("split")["label"].mean().between(0.4, 0.6).all()  # each split about balanced
    assert (df["split"] == "test").sum() >= 60


def test_real_crops_geometry_gives_the_margin_that_cuts_videos_alike(real_faces):
    df = index_faces(real_faces / "ffpp-256")
    geometry = packing.crop_geometry(packing.sample_files(df.attrs["members"], 12, 0), "mtcnn")
    assert geometry["faces_found"] >= 10
    # tight aligned crops: the face box overflows the crop (it is about 0.86 crop sides), centred
    assert 0.75 < geometry["side_ratio"] < 0.95 and abs(geometry["offset_x"]) < 0.1 and abs(geometry["offset_y"]) < 0.1
    matched = packing.matching_extraction(geometry, ExtractionSettings(margin=0.35))
    assert matched.margin == pytest.approx(geometry["side_ratio"] - 1, abs=1e-3)


def test_real_celebdf_crops_are_626_videos_with_no_person_on_two_sides(real_faces):
    if not (real_faces / "celebdf").is_dir():
        pytest.skip(f"the Celeb-DF crops are not at {real_faces / 'celebdf'}")
    df = index_faces(real_faces / "celebdf", seed=5, fractions={"train": 0.6, "val": 0.15, "test": 0.25})
    assert len(df) == 626 and (df["label"] == 0).sum() == 87
    person = df["video_id"].str.extract(r"/(id\d+)_", expand=False)  # the target (or real) person, where named
    assert (df.assign(person=person).dropna().groupby("person")["split"].nunique() == 1).all()
    crops = df.attrs["members"].groupby("video_id").size()
    assert (
        crops[df.loc[df["label"] == 0, "video_id"]].median()
        > 20
        > 5
        > crops[df.loc[df["label"] == 1, "video_id"]].median()
    )


def test_real_dfdc_crops_and_clips_index(real_faces):
    crops = index_faces(real_faces / "dfdc")
    assert len(crops) >= 60 and set(crops["label"]) == {0, 1} and (crops["compression"] == "crops").all()
    clips = index_faces(real_faces / "dfdc-face-clips")
    assert len(clips) == 22 and (clips["compression"] == "clip").all() and clips["label"].sum() == 20
    assert isinstance(clips.attrs["members"], pd.DataFrame)


def test_crops_cut_looser_than_a_models_margin_are_cut_to_match_it(tmp_path):
    """Scoring a model on someone's crops: crops whose face box is smaller than the model's (looser crops) are
    centre-cropped so the face fills them as in training; tighter crops cannot be widened and stay as they are."""
    assert packing.matching_keep({"side_ratio": 1.5}, margin=0.2) == pytest.approx(0.8)
    assert packing.matching_keep({"side_ratio": 0.71}, margin=-0.12) == 1.0
    image = np.zeros((100, 100, 3), np.uint8)
    image[25:75, 25:75] = 200  # a bright centre half the side
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), image)
    assert packing.read_image(path, 50).mean() == pytest.approx(50, abs=3)  # a quarter bright
    assert packing.read_image(path, 50, keep=0.5).mean() == pytest.approx(200, abs=3)  # the centre only


def test_what_archivers_and_file_managers_leave_behind_is_ignored_and_unreadable_is_said(tmp_path, capsys):
    """A crop folder unpacked from a macOS zip (__MACOSX/ with ._ files), Windows' Thumbs.db, hidden folders: not
    data, not a class. An image that does not decode is reported as unreadable, not as absent."""
    root = ffpp_crop_tree(tmp_path / "crops", pairs=(("000", "003"), ("012", "026")), frames=2)
    (root / "__MACOSX" / "real").mkdir(parents=True)
    (root / "__MACOSX" / "real" / "._000_0.jpg").write_bytes(b"\x00\x05\x16\x07 resource fork")
    (root / "real" / "Thumbs.db").write_bytes(b"cache")
    (root / "real" / ".ipynb_checkpoints").mkdir()
    write_crop(root / "real" / ".ipynb_checkpoints" / "000_5.jpg", 3)
    (root / ".DS_Store").write_bytes(b"x")
    (root / "real" / "012_1.jpg").write_bytes(b"not an image")
    out = tmp_path / "faces.csv"
    assert main(["data", "index", "--dataset", "faces", "--root", str(root), "--out", str(out)]) == 3  # one unusable
    printed = capsys.readouterr().out
    assert "wrote 8 videos" in printed and "1 unreadable: see" in printed and "listed but absent" not in printed
    members = datasets.read_crop_members(out)
    assert not members["file"].str.contains("MACOSX|ipynb_checkpoints").any() and len(members) == 15


def test_videos_of_fewer_crops_than_a_clip_are_left_out_and_listed(tmp_path):
    """A clip of k crops repeats a shorter video's crops, and a repeated crop does not move: min_crops leaves
    such videos out (listed with the reason) instead of letting a clip model tell them by that."""
    root = ffpp_crop_tree(tmp_path / "crops", pairs=(("000", "003"), ("012", "026")), frames=3)
    for k in (1, 2):
        (root / "manipulated" / f"000_003_{k}.jpg").unlink()  # one fake left with a single crop
    kept = index_faces(root, min_crops=2)
    assert "manipulated/000_003" not in set(kept["video_id"]) and len(kept) == 7
    missing = missing_files(kept)
    assert missing["video_id"].tolist() == ["manipulated/000_003"]
    assert missing["reason"].iloc[0] == "1 crop(s), fewer than min_crops=2"
    assert "manipulated/000_003" not in set(kept.attrs["members"]["video_id"])
    assert len(index_faces(root)) == 8  # by default every video is kept
    with pytest.raises(DatasetError, match="min_crops applies to folders of face crops"):
        datasets.index_request("ffpp", str(root), tmp_path, 0, min_crops=3)
