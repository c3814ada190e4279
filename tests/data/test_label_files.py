"""Face crops labelled by a file beside them: DFDC's public crop release (faces_224/ + metadata.csv), DFDC's own
metadata.json, a user's labels.csv; columns by name, labels REAL/FAKE or 0/1, families, and each bad row's error."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest

from dfutils.cli import main
from dfutils.data import label_files
from dfutils.data.datasets import (
    check_no_leak,
    index_dataset,
    index_faces,
    missing_files,
    read_crop_members,
)
from dfutils.errors import DatasetError

# ten-letter DFDC-like ids: four originals, each with two fakes (one original's fakes only; it is absent)
ORIGINALS = ("aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd", "eeeeeeeeee", "ffffffffff")
FAKES = {f"{original[:5]}fake{k}": original for original in ORIGINALS for k in (1, 2)} | {
    "zzzzzfake1": "yyyyyyyyyy"}  # a fake whose original has no crop


def write_crop(path, value: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.full((24, 24, 3), value, np.uint8)
    image[0, 0] = value // 2  # files of one value are identical: tests that need identical files say so
    cv2.imwrite(str(path), image)


def release_tree(root, header=("videoname", "original_width", "original_height", "label", "original")):
    """DFDC's public crop release: faces_224/<video>.jpg and metadata.csv (videoname with .mp4, label
    REAL/FAKE, original)."""
    rows = []
    for number, video in enumerate(ORIGINALS):
        write_crop(root / "faces_224" / f"{video}.jpg", 10 + number)
        rows.append({"videoname": f"{video}.mp4", "original_width": 1920, "original_height": 1080, "label": "REAL",
                     "original": ""})
    for number, (video, original) in enumerate(FAKES.items()):
        write_crop(root / "faces_224" / f"{video}.jpg", 100 + number)
        rows.append({"videoname": f"{video}.mp4", "original_width": 1920, "original_height": 1080, "label": "FAKE",
                     "original": f"{original}.mp4"})
    pd.DataFrame(rows)[list(header)].to_csv(root / "metadata.csv", index=False)
    return root


def test_the_public_dfdc_crop_release_is_read_from_its_metadata(tmp_path):
    index = index_faces(release_tree(tmp_path), seed=3)
    assert len(index) == len(ORIGINALS) + len(FAKES)
    by_stem = index.assign(stem=index["video_id"].str.rsplit("/", n=1).str[1]).set_index("stem")
    assert (by_stem.loc[list(ORIGINALS), "label"] == 0).all() and (by_stem.loc[list(FAKES), "label"] == 1).all()
    assert by_stem.loc["aaaaafake1", "video_id"] == "faces_224/aaaaafake1"
    # a fake is one family with its original, whose video id it names; a fake of an absent original names none
    for fake, original in FAKES.items():
        assert by_stem.loc[fake, "group"] == by_stem.loc[original, "group"] if original in ORIGINALS else True
    assert by_stem.loc["aaaaafake2", "original"] == "faces_224/aaaaaaaaaa"
    assert by_stem.loc["zzzzzfake1", "original"] == ""
    assert index["group"].nunique() == len(ORIGINALS) + 1
    check_no_leak(index)
    assert set(index["split"]) == {"train", "val", "test"}
    # one crop per video, and the notes say where the labels came from
    members = index.attrs["members"]
    assert len(members) == len(index) and (members.groupby("video_id").size() == 1).all()
    assert any("metadata.csv" in note and "'videoname'" in note for note in index.attrs["notes"])


def test_columns_are_read_by_name_not_by_position(tmp_path):
    first = index_faces(release_tree(tmp_path / "a"), seed=3)
    shuffled = index_faces(release_tree(tmp_path / "b", header=("label", "original", "original_height", "videoname",
                                                                "original_width")), seed=3)
    pd.testing.assert_frame_equal(first.drop(columns="path"), shuffled.drop(columns="path"))


def test_dfdc_metadata_json_and_a_labels_csv_of_zeros_and_ones(tmp_path):
    json_root = tmp_path / "json"
    metadata = {}
    for number, video in enumerate(ORIGINALS[:3]):
        write_crop(json_root / "crops" / f"{video}.png", 40 + number)
        metadata[f"{video}.mp4"] = {"label": "REAL", "split": "train", "original": None}
    for number, (video, original) in enumerate(list(FAKES.items())[:6]):
        write_crop(json_root / "crops" / f"{video}.png", 90 + number)
        metadata[f"{video}.mp4"] = {"label": "FAKE", "split": "train", "original": f"{original}.mp4"}
    (json_root / "metadata.json").write_text(json.dumps(metadata))
    index = index_faces(json_root, seed=1)
    assert sorted(index["label"].tolist()) == [0] * 3 + [1] * 6
    assert index["group"].nunique() == 3  # each fake with its original

    csv_root = tmp_path / "csv"
    for number, video in enumerate(("clip01", "clip02", "clip03", "clip04")):
        for frame in range(3):  # several crops per video: <video>_<k>.jpg, in frame order
            write_crop(csv_root / "all" / f"{video}_{frame}.jpg", 20 * number + frame)
    (csv_root / "labels.csv").write_text("filename,label\nclip01.mp4,0\nclip02.mp4,1\nclip03,0\nclip04.avi,1\n")
    index = index_faces(csv_root, seed=1)
    assert dict(zip(index["video_id"], index["label"], strict=True)) == {
        "all/clip01": 0, "all/clip02": 1, "all/clip03": 0, "all/clip04": 1}
    members = index.attrs["members"]
    first = members[members["video_id"] == "all/clip02"]
    assert [f.rsplit("/", 1)[1] for f in first["file"]] == ["clip02_0.jpg", "clip02_1.jpg", "clip02_2.jpg"]


def test_columns_named_by_options_and_a_folder_per_video(tmp_path):
    for video, value in (("v1", 10), ("v2", 60), ("v3", 110), ("v4", 160)):
        for frame in (2, 0, 1):
            write_crop(tmp_path / "faces" / video / f"{frame:04d}.jpg", value + frame)
    (tmp_path / "labels.csv").write_text("clip;verdict;made_from\nv1;real;\nv2;fake;v1\nv3;real;\nv4;fake;v3\n")
    with pytest.raises(DatasetError, match="no video column"):
        index_faces(tmp_path, labels="labels.csv", columns={})
    (tmp_path / "labels.csv").write_text("clip,verdict,made_from\nv1,real,\nv2,fake,v1\nv3,real,\nv4,fake,v3\n")
    with pytest.raises(DatasetError, match=r"no column 'kind' \(the label column you named\)"):
        index_faces(tmp_path, columns={"video": "clip", "label": "kind"})
    index = index_faces(tmp_path, columns={"video": "clip", "label": "verdict", "original": "made_from"}, seed=2)
    assert index.set_index("video_id")["label"].to_dict() == {"faces/v1": 0, "faces/v2": 1, "faces/v3": 0,
                                                              "faces/v4": 1}
    assert index.set_index("video_id")["original"].to_dict()["faces/v4"] == "faces/v3"
    assert index["group"].nunique() == 2
    members = index.attrs["members"]
    assert [f.rsplit("/", 1)[1] for f in members[members["video_id"] == "faces/v2"]["file"]] == [
        "0000.jpg", "0001.jpg", "0002.jpg"]


def test_byte_identical_files_are_one_family(tmp_path):
    release_tree(tmp_path)
    # the same crop published for two unrelated videos: a split by family alone would put it on both sides
    shutil.copyfile(tmp_path / "faces_224" / "aaaaaaaaaa.jpg", tmp_path / "faces_224" / "ccccccccccc.jpg")
    shutil.copyfile(tmp_path / "faces_224" / "bbbbbfake1.jpg", tmp_path / "faces_224" / "ddddddddddd.jpg")
    with open(tmp_path / "metadata.csv", "a") as handle:
        handle.write("ccccccccccc.mp4,1,1,REAL,\nddddddddddd.mp4,1,1,REAL,\n")
    index = index_faces(tmp_path, seed=0).set_index("video_id")
    assert index.loc["faces_224/ccccccccccc", "group"] == index.loc["faces_224/aaaaaaaaaa", "group"]
    assert index.loc["faces_224/ddddddddddd", "group"] == index.loc["faces_224/bbbbbbbbbb", "group"]
    assert index.loc["faces_224/cccccccccc", "group"] != index.loc["faces_224/aaaaaaaaaa", "group"]


@pytest.mark.parametrize(("line", "message"), [
    ("gggggggggg.mp4,1,1,MAYBE,", r"line 21: label 'MAYBE' is not REAL/FAKE or 0/1"),
    ("aaaaaaaaaa.mp4,1,1,REAL,", r"line 21: video 'aaaaaaaaaa' is named again \(first at line 2\)"),
    ("../outside.mp4,1,1,REAL,", r"line 21: entry '../outside.mp4' escapes the dataset root"),
    ("/etc/passwd,1,1,REAL,", r"line 21: entry '/etc/passwd' escapes the dataset root"),
    ("hhhhhhhhhh.mp4,1,1,FAKE,../../x.mp4", r"line 21: entry '../../x.mp4' escapes the dataset root"),
    ("iiiiiiiiii.mp4,1,1,REAL,", r"line 21: video 'iiiiiiiiii.mp4' has no crop or clip"),
    (",1,1,REAL,", r"line 21: no video named"),
])
def test_each_bad_row_is_an_error_naming_it_or_skipped_and_counted(tmp_path, line, message, capsys):
    release_tree(tmp_path)
    write_crop(tmp_path / "faces_224" / "gggggggggg.jpg", 7)
    write_crop(tmp_path / "faces_224" / "hhhhhhhhhh.jpg", 8)
    with open(tmp_path / "metadata.csv", "a") as handle:
        handle.write(line + "\n")
    with pytest.raises(DatasetError, match=message):
        index_faces(tmp_path)
    index = index_faces(tmp_path, skip_bad_rows=True)
    assert len(index) == len(ORIGINALS) + len(FAKES)  # the good rows all there
    skipped = missing_files(index)
    assert len(skipped) == 1 and skipped["reason"].iloc[0].startswith("line 21")
    # the command line: a row skipped is a failed item (exit 3), counted and listed
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path), "--out", str(tmp_path / "i.csv"),
                 "--skip-bad-rows"]) == 3
    assert "1 label-file row(s) skipped" in capsys.readouterr().out
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path), "--out", str(tmp_path / "i.csv")]) == 2


def test_the_command_finds_the_label_file_without_being_told(tmp_path, capsys):
    release_tree(tmp_path)
    # crops nobody labelled are left out and counted
    write_crop(tmp_path / "faces_224" / "unlisted01.jpg", 3)
    out = tmp_path / "index.csv"
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {len(ORIGINALS) + len(FAKES)} videos" in printed and "1 file(s) below the root" in printed
    assert len(read_crop_members(out)) == len(ORIGINALS) + len(FAKES)
    (tmp_path / "labels.csv").write_text("video,label\n")
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path), "--out", str(out)]) == 2
    assert "several label files (labels.csv, metadata.csv)" in capsys.readouterr().err
    assert main(["data", "index", "--dataset", "faces", "--root", str(tmp_path), "--out", str(out),
                 "--labels", "metadata.csv"]) == 0
    assert main(["data", "index", "--dataset", "ffpp", "--root", str(tmp_path), "--out", str(out),
                 "--skip-bad-rows"]) == 2


def test_label_values_and_names():
    assert [label_files.parse_label(value, "line 2", "f.csv") for value in
            ("REAL", "fake", "Fake ", 0, 1, "0", "1", 1.0, 0.0)] == [0, 1, 1, 0, 1, 0, 1, 1, 0]
    for value in ("2", "yes", float("nan"), None, ""):
        with pytest.raises(DatasetError, match="is not REAL/FAKE or 0/1"):
            label_files.parse_label(value, "line 2", "f.csv")
    assert label_files.media_stem("part_3/abcdefghij.mp4") == "abcdefghij"
    assert label_files.media_stem("abc.JPG") == "abc" and label_files.media_stem("abc") == "abc"


def test_class_folders_stay_as_they_were(tmp_path):
    """A root without a label file is read by its class folders, as before."""
    write_crop(tmp_path / "real" / "000_0.jpg", 10)
    write_crop(tmp_path / "fake" / "000_003_0.jpg", 90)
    write_crop(tmp_path / "real" / "003_0.jpg", 30)
    index = index_dataset("faces", tmp_path)
    assert sorted(index["label"]) == [0, 0, 1] and index["group"].nunique() == 1
    with pytest.raises(DatasetError, match="apply to a label file, and none is here"):
        index_faces(tmp_path, skip_bad_rows=True)
