"""Indexers on generated fixture trees of the three official layouts, and on the real samples."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dfutils.cli import main
from dfutils.data.datasets import (
    INDEX_COLUMNS,
    bagging_parts,
    check_no_leak,
    downsample_fakes,
    grouped_split,
    index_celebdf,
    index_dataset,
    index_dfdc,
    index_ffpp,
    missing_files,
    read_index,
    write_index,
)
from dfutils.errors import DatasetError

from ..conftest import touch, write_json


# ----------------------------------------------------------------- fixture trees
def ffpp_tree(root, numbers=("000", "001", "002", "003", "004", "005"), compressions=("c23", "c40"), splits=None):
    """Originals for ``numbers``; fakes pair them up (a_b) for every method."""
    pairs = [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]
    for compression in compressions:
        for number in numbers:
            touch(root / f"original_sequences/youtube/{compression}/videos/{number}.mp4")
        for method in ("Deepfakes", "FaceSwap"):
            for a, b in pairs:
                touch(root / f"manipulated_sequences/{method}/{compression}/videos/{a}_{b}.mp4")
                touch(root / f"manipulated_sequences/{method}/{compression}/videos/{b}_{a}.mp4")
    if splits:
        for split, split_pairs in splits.items():
            write_json(root / "splits" / f"{split}.json", [list(p) for p in split_pairs])
    return root


def test_ffpp_reads_layout_and_official_splits_with_both_name_orders(tmp_path):
    root = ffpp_tree(
        tmp_path / "ffpp", splits={"train": [("000", "001")], "val": [("003", "002")], "test": [("004", "005")]}
    )
    df = index_ffpp(root, seed=0)
    assert list(df.columns) == INDEX_COLUMNS
    assert len(df) == 2 * (6 + 2 * 6)
    split_of = dict(zip(df["video_id"], df["split"], strict=True))
    for compression in ("c23", "c40"):
        assert split_of[f"original_sequences/youtube/{compression}/videos/000.mp4"] == "train"
        assert split_of[f"original_sequences/youtube/{compression}/videos/002.mp4"] == "val"  # pair written 003, 002
        assert split_of[f"manipulated_sequences/Deepfakes/{compression}/videos/002_003.mp4"] == "val"
        assert split_of[f"manipulated_sequences/FaceSwap/{compression}/videos/003_002.mp4"] == "val"
        assert split_of[f"manipulated_sequences/FaceSwap/{compression}/videos/005_004.mp4"] == "test"
    fake = df[df["video_id"] == "manipulated_sequences/Deepfakes/c40/videos/001_000.mp4"].iloc[0]
    assert fake["label"] == 1 and fake["method"] == "Deepfakes" and fake["compression"] == "c40"
    assert fake["original"] == "original_sequences/youtube/c40/videos/001.mp4"
    assert fake["group"] == "ffpp/youtube/001"
    real = df[df["video_id"] == "original_sequences/youtube/c23/videos/001.mp4"].iloc[0]
    assert real["label"] == 0 and real["method"] == "real" and real["original"] == ""
    assert missing_files(df).empty
    check_no_leak(df)


def test_ffpp_selects_compression_and_method_and_reports_missing_original(tmp_path):
    root = ffpp_tree(tmp_path / "ffpp")
    (root / "original_sequences/youtube/c40/videos/003.mp4").unlink()
    df = index_ffpp(root, compressions=["c40"], methods=["FaceSwap"])
    assert set(df["compression"]) == {"c40"} and set(df["method"]) == {"FaceSwap", "real"}
    missing = missing_files(df)
    assert list(missing["video_id"]) == ["original_sequences/youtube/c40/videos/003.mp4"]
    assert "original 003" in missing["reason"].iloc[0]
    with pytest.raises(DatasetError, match="unknown 'Deepfake'"):
        index_ffpp(root, methods=["Deepfake"])
    with pytest.raises(DatasetError, match="unknown 'c30'"):
        index_ffpp(root, compressions=["c30"])


def test_ffpp_fallback_split_is_grouped_seeded_and_leak_free(tmp_path):
    root = ffpp_tree(tmp_path / "ffpp", numbers=tuple(f"{n:03d}" for n in range(20)))
    first = index_ffpp(root, seed=3)
    assert first.equals(index_ffpp(root, seed=3))
    assert not first["split"].equals(index_ffpp(root, seed=4)["split"])
    check_no_leak(first)
    assert set(first["split"]) == {"train", "val", "test"}
    # c23 and c40 copies of one video share a group, so they share a split
    assert first.groupby("group")["split"].nunique().max() == 1


def test_ffpp_bad_splits_file_names_the_file(tmp_path):
    root = ffpp_tree(tmp_path / "ffpp", splits={"train": [("000", "001")], "val": [], "test": []})
    (root / "splits" / "val.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"val\.json: malformed JSON at line 1"):
        index_ffpp(root)
    (root / "splits" / "val.json").write_text('[["000", "002"]]')
    with pytest.raises(DatasetError, match=r"video 000 is also in train\.json"):
        index_ffpp(root)


def dfdc_tree(root):
    write_json(root / "dfdc_train_part_0/metadata.json", {
        "aaa.mp4": {"label": "REAL", "split": "train", "original": None},
        "bbb.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
        "ccc.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
        "gone.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
    })
    write_json(root / "dfdc_train_part_1/metadata.json", {
        "ddd.mp4": {"label": "REAL", "split": "train"},
        "eee.mp4": {"label": "FAKE", "split": "train", "original": "ddd.mp4"},
        "fff.mp4": {"label": "REAL", "split": "train"},
    })
    for name in ("aaa", "bbb", "ccc"):
        touch(root / f"dfdc_train_part_0/{name}.mp4")
    for name in ("ddd", "eee", "fff"):
        touch(root / f"dfdc_train_part_1/{name}.mp4")
    (root / "test").mkdir(parents=True)
    (root / "test/labels.csv").write_text("filename,label\nt1.mp4,1\nt2.mp4,0\nt3.mp4,1\n")
    touch(root / "test/t1.mp4")
    touch(root / "test/t2.mp4")
    return root


def test_dfdc_reads_parts_and_test_labels_and_groups_families(tmp_path):
    df = index_dfdc(dfdc_tree(tmp_path / "dfdc"), seed=1)
    assert len(df) == 8
    row = df.set_index("video_id").loc["dfdc_train_part_0/bbb.mp4"]
    assert row["label"] == 1 and row["original"] == "dfdc_train_part_0/aaa.mp4"
    family = df[df["group"] == "dfdc/dfdc_train_part_0/aaa.mp4"]
    assert len(family) == 3 and family["split"].nunique() == 1
    tests = df[df["video_id"].str.startswith("test/")]
    assert set(tests["split"]) == {"test"} and dict(zip(tests["video_id"], tests["label"], strict=True)) == {
        "test/t1.mp4": 1,
        "test/t2.mp4": 0,
    }
    assert set(missing_files(df)["video_id"]) == {"dfdc_train_part_0/gone.mp4", "test/t3.mp4"}
    check_no_leak(df)


def test_dfdc_split_by_part(tmp_path):
    df = index_dfdc(dfdc_tree(tmp_path / "dfdc"), split_by="part", test_parts=[1])
    by_part = df[~df["video_id"].str.startswith("test/")]
    assert set(by_part.loc[by_part["video_id"].str.startswith("dfdc_train_part_1/"), "split"]) == {"test"}
    assert set(by_part.loc[by_part["video_id"].str.startswith("dfdc_train_part_0/"), "split"]) == {"train"}


@pytest.mark.parametrize("entry", ["../escape.mp4", "/etc/passwd", "a/../../b.mp4", "C:/x.mp4"])
def test_entries_escaping_the_root_are_rejected_by_name(tmp_path, entry):
    root = tmp_path / "dfdc"
    write_json(root / "dfdc_train_part_0/metadata.json", {entry: {"label": "FAKE", "original": "a.mp4"}})
    with pytest.raises(DatasetError, match="escapes the dataset root") as raised:
        index_dfdc(root)
    assert repr(entry) in str(raised.value) and "metadata.json" in str(raised.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", "file is empty"), ("{\"a.mp4\": ", "malformed JSON at line 1"), ("[]", "expected a non-empty JSON object"),
     ('{"a.mp4": {"label": "MAYBE"}}', "needs a label FAKE or REAL")],
)
def test_bad_dfdc_metadata_names_the_file_and_problem(tmp_path, content, expected):
    path = tmp_path / "dfdc/dfdc_train_part_3/metadata.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(DatasetError, match=expected) as raised:
        index_dfdc(tmp_path / "dfdc")
    assert str(path) in str(raised.value)


def celebdf_tree(root, test_lines):
    for name in ("id0_0000", "id0_0001", "id1_0000", "id2_0000", "id3_0000", "id4_0000", "id5_0000"):
        touch(root / f"Celeb-real/{name}.mp4")
    for name in ("00000", "00001", "00002"):
        touch(root / f"YouTube-real/{name}.mp4")
    for name in (
        "id0_id1_0000",
        "id0_id2_0001",
        "id1_id0_0000",
        "id2_id3_0000",
        "id3_id4_0000",
        "id4_id5_0000",
        "id5_id0_0000",
    ):
        touch(root / f"Celeb-synthesis/{name}.mp4")
    # the official file: no header, no trailing newline
    (root / "List_of_testing_videos.txt").write_text("\n".join(test_lines))
    return root


OFFICIAL = [
    "1 Celeb-real/id0_0000.mp4",
    "0 Celeb-synthesis/id0_id1_0000.mp4",
    "1 YouTube-real/00000.mp4",
    "0 Celeb-synthesis/id9_id1_0000.mp4",
]


def test_celebdf_converts_the_list_convention_and_tests_exactly_the_listed_videos(tmp_path):
    df = index_celebdf(celebdf_tree(tmp_path / "celeb", OFFICIAL), seed=0)
    by_id = df.set_index("video_id")
    assert by_id.loc["Celeb-real/id0_0000.mp4", "split"] == "test"  # first line of the file is read
    assert by_id.loc["Celeb-real/id0_0000.mp4", "label"] == 0
    assert by_id.loc["Celeb-synthesis/id0_id1_0000.mp4", "label"] == 1
    fake = by_id.loc["Celeb-synthesis/id0_id2_0001.mp4"]
    assert fake["group"] == "celebdf/id0" and fake["original"] == "Celeb-real/id0_0001.mp4"
    # the official protocol: the listed videos are the test set, nothing else
    assert set(df.loc[df["split"] == "test", "video_id"]) == {
        "Celeb-real/id0_0000.mp4",
        "Celeb-synthesis/id0_id1_0000.mp4",
        "YouTube-real/00000.mp4",
    }
    assert set(df.loc[df["split"] != "test", "split"]) <= {"train", "val"}
    assert list(missing_files(df)["video_id"]) == ["Celeb-synthesis/id9_id1_0000.mp4"]
    check_no_leak(df)


def test_celebdf_identity_disjoint_protocol_tests_every_video_of_a_tested_identity(tmp_path):
    df = index_celebdf(celebdf_tree(tmp_path / "celeb", OFFICIAL), seed=0, protocol="identity-disjoint")
    assert set(df.loc[df["group"] == "celebdf/id0", "split"]) == {"test"}
    assert "moves 2 unlisted videos from training to test" in df.attrs["notes"][0]
    check_no_leak(df)
    with pytest.raises(DatasetError, match="protocol: unknown 'random'"):
        index_celebdf(tmp_path / "celeb", protocol="random")


def real_shaped_celebdf(root):
    """A tree shaped like Celeb-DF v2: 59 identities, 590 Celeb-real, 300 YouTube-real, 5,639 synthesis
    videos, and a 518-line test list (178 real, 340 fake) that touches 56 of the identities."""
    generator = np.random.default_rng(0)
    people = [f"id{n}" for n in range(62) if n not in (14, 15, 18)]  # the release skips three numbers
    for person in people:
        for k in range(10):
            touch(root / f"Celeb-real/{person}_{k:04d}.mp4")
    for k in range(300):
        touch(root / f"YouTube-real/{k:05d}.mp4")
    fakes = set()
    while len(fakes) < 5639:
        target, source = generator.choice(len(people), 2, replace=False)
        fakes.add(f"{people[target]}_{people[source]}_{int(generator.integers(10)):04d}")
    for name in sorted(fakes):
        touch(root / f"Celeb-synthesis/{name}.mp4")
    tested = set(people[:56])
    reals = [f"1 Celeb-real/{p}_{k:04d}.mp4" for p in sorted(tested) for k in (0, 1)][:108]
    reals += [f"1 YouTube-real/{k:05d}.mp4" for k in range(70)]
    listed_fakes = [name for name in sorted(fakes) if name.split("_")[0] in tested][::9][:340]
    (root / "List_of_testing_videos.txt").write_text(
        "\n".join(reals + [f"0 Celeb-synthesis/{n}.mp4" for n in listed_fakes])
    )
    return root


def test_celebdf_official_protocol_on_a_tree_shaped_like_the_real_dataset(tmp_path):
    root = real_shaped_celebdf(tmp_path / "Celeb-DF-v2")
    official = index_celebdf(root, seed=0)
    assert len(official) == 590 + 300 + 5639
    counts = official["split"].value_counts()
    assert counts["test"] == 518  # exactly the list
    assert counts["train"] > 0.7 * (len(official) - 518)  # training keeps most of the dataset
    check_no_leak(official)
    listed_people = set(
        official.loc[
            (official["split"] == "test") & official["video_id"].str.startswith("Celeb-"), "group"
        ].str.replace("celebdf-test/", "celebdf/")
    )
    trained_people = listed_people & set(official.loc[official["split"] == "train", "group"])
    assert len(listed_people) >= 54 and len(trained_people) >= 40
    assert (
        f"{len(trained_people)} of its {len(listed_people)} identities also appear in training"
        in official.attrs["notes"][0]
    )
    disjoint = index_celebdf(root, seed=0, protocol="identity-disjoint")
    moved = int(re.search(r"moves (\d+) unlisted videos", disjoint.attrs["notes"][0]).group(1))
    assert moved == int((disjoint["split"] == "test").sum()) - 518 > 4000  # most of the dataset, as the issue said
    assert (disjoint["split"] == "train").sum() < 0.2 * len(disjoint)


def test_celebdf_other_label_convention_and_inverted_file(tmp_path):
    flipped = [("0" if line[0] == "1" else "1") + line[1:] for line in OFFICIAL]
    root = celebdf_tree(tmp_path / "celeb", flipped)
    with pytest.raises(DatasetError, match="convention looks inverted .*try real_label=0"):
        index_celebdf(root)
    df = index_celebdf(root, real_label=0)
    assert df.set_index("video_id").loc["Celeb-real/id0_0000.mp4", "label"] == 0


def test_celebdf_malformed_list_line_is_named(tmp_path):
    root = celebdf_tree(tmp_path / "celeb", ["1 Celeb-real/id0_0000.mp4", "2 Celeb-real/id1_0000.mp4"])
    with pytest.raises(DatasetError, match="line 2: expected"):
        index_celebdf(root)


# ----------------------------------------------------------------- splits and balancing
def test_grouped_split_assigns_each_group_once_and_repeats():
    groups = [f"g{i}" for i in range(50)]
    first = grouped_split(groups, seed=1)
    assert set(first) == set(groups) and set(first.values()) == {"train", "val", "test"}
    assert grouped_split(list(reversed(groups)), seed=1) == first  # order of input does not matter
    counts = pd.Series(first).value_counts()
    assert counts["test"] == 7 and counts["val"] == 7 and counts["train"] == 36


def test_check_no_leak_catches_a_group_on_two_sides():
    df = pd.DataFrame({"video_id": ["a", "b"], "group": ["g", "g"], "split": ["train", "test"]})
    with pytest.raises(ValueError, match="group value"):
        check_no_leak(df)


def balance_frame(reals=5, fakes=23):
    return pd.DataFrame({"video_id": [f"v{i}" for i in range(reals + fakes)], "label": [0] * reals + [1] * fakes})


def test_downsample_fakes_keeps_reals_and_draws_as_many_fakes():
    df = balance_frame()
    out = downsample_fakes(df, seed=2)
    assert (out["label"] == 0).sum() == 5 and (out["label"] == 1).sum() == 5
    assert out.equals(downsample_fakes(df, seed=2))
    assert not out.equals(downsample_fakes(df, seed=3))
    assert set(out.loc[out["label"] == 0, "video_id"]) == {f"v{i}" for i in range(5)}


def test_bagging_parts_partition_the_fakes_and_pair_each_with_all_reals():
    df = balance_frame()
    parts = bagging_parts(df, parts=7, seed=0)
    assert len(parts) == 7
    fake_sets = [set(p.loc[p["label"] == 1, "video_id"]) for p in parts]
    assert sum(len(s) for s in fake_sets) == 23 and set().union(*fake_sets) == set(df.loc[df["label"] == 1, "video_id"])
    assert max(map(len, fake_sets)) - min(map(len, fake_sets)) <= 1
    assert all((p["label"] == 0).sum() == 5 for p in parts)
    with pytest.raises(ValueError, match="parts must be between 1"):
        bagging_parts(df, parts=24, seed=0)


def test_index_round_trips_through_csv(tmp_path):
    df = index_ffpp(ffpp_tree(tmp_path / "ffpp"), seed=0)
    out = tmp_path / "index.csv"
    write_index(df, out)
    back = read_index(out)
    assert back[INDEX_COLUMNS].equals(df[INDEX_COLUMNS].astype({c: str for c in INDEX_COLUMNS if c != "label"}))
    (tmp_path / "bad.csv").write_text("video_id,label\na,2\n")
    with pytest.raises(DatasetError, match="missing column"):
        read_index(tmp_path / "bad.csv")


def test_cli_unknown_dataset_exits_2_and_bad_root_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["data", "index", "--dataset", "youtube", "--root", str(tmp_path), "--out", str(tmp_path / "i.csv")])
    assert raised.value.code == 2
    assert (
        main(["data", "index", "--dataset", "ffpp", "--root", str(tmp_path / "none"), "--out", str(tmp_path / "i.csv")])
        == 2
    )
    assert "FaceForensics++ root folder not found" in capsys.readouterr().err
    with pytest.raises(DatasetError, match="unknown 'youtube'"):
        index_dataset("youtube", tmp_path)


# ----------------------------------------------------------------- the real samples
@pytest.mark.real_samples
def test_real_ffpp_samples(real_samples, tmp_path, capsys):
    out = tmp_path / "ffpp.csv"
    assert main(["data", "index", "--dataset", "ffpp", "--root", str(real_samples / "ffpp"), "--out", str(out)]) == 0
    df = read_index(out)
    assert (df["label"] == 0).sum() == 3 and (df["label"] == 1).sum() == 4
    assert sorted(df.loc[df["label"] == 1, "method"]) == ["Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"]
    assert set(df["compression"]) == {"c23"}
    missing = pd.read_csv(tmp_path / "ffpp.missing.csv")
    assert list(missing["video_id"]) == ["original_sequences/youtube/c23/videos/750.mp4"]
    check_no_leak(df)
    assert "1 file(s) listed but absent" in capsys.readouterr().out


@pytest.mark.real_samples
def test_real_dfdc_samples(real_samples):
    df = index_dfdc(real_samples / "dfdc")
    assert len(df) == 3 and set(df["label"]) == {1}
    assert set(missing_files(df)["video_id"]) == {
        "dfdc_train_part_0/awnfpubqmo.mp4", "dfdc_train_part_1/vtfpbtmgfh.mp4", "dfdc_train_part_1/zvqinhzeah.mp4",
    }
    check_no_leak(df)


def test_cli_output_folder_that_cannot_be_created_is_one_line(tmp_path, capsys):
    root = celebdf_tree(tmp_path / "celeb", OFFICIAL)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status = main(
        ["data", "index", "--dataset", "celebdf", "--root", str(root), "--out", str(blocker / "sub" / "i.csv")]
    )
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.startswith("dfutils data: error: ") and str(blocker) in err and len(err.strip().splitlines()) == 1


def test_cli_prints_the_protocol_notes(tmp_path, capsys):
    root = celebdf_tree(tmp_path / "celeb", OFFICIAL)
    assert main(["data", "index", "--dataset", "celebdf", "--root", str(root), "--out", str(tmp_path / "i.csv"),
                 "--protocol", "identity-disjoint"]) == 0
    assert "identity-disjoint protocol" in capsys.readouterr().out
    assert main(["data", "index", "--dataset", "ffpp", "--root", str(root), "--out", str(tmp_path / "j.csv"),
                 "--protocol", "official"]) == 2


def test_celebdf_with_a_videos_level_under_each_folder_is_read_like_the_release(tmp_path):
    """Some tools' instructions lay Celeb-DF out as Celeb-real/videos/*.mp4: same videos, same protocol."""
    flat = index_celebdf(celebdf_tree(tmp_path / "flat", OFFICIAL), seed=0)
    nested = tmp_path / "nested"
    for path in (tmp_path / "flat").rglob("*.mp4"):
        touch(nested / path.parent.name / "videos" / path.name)
    (nested / "List_of_testing_videos.txt").write_text("\n".join(OFFICIAL))
    df = index_celebdf(nested, seed=0)
    assert len(df) == len(flat)
    assert df["video_id"].str.replace("/videos/", "/").tolist() == flat["video_id"].tolist()
    assert df["split"].tolist() == flat["split"].tolist() and df["label"].tolist() == flat["label"].tolist()


@pytest.mark.parametrize("dataset, make", [
    ("celebdf", lambda root: (root / "Celeb-real" / "videos").mkdir(parents=True)),
    ("ffpp", lambda root: (root / "original_sequences" / "youtube" / "c40" / "videos").mkdir(parents=True)),
    ("dfdc", lambda root: write_json(root / "dfdc_train_part_0" / "metadata.json", {"a.mp4": {"label": "REAL"}})),
])
def test_an_index_that_finds_no_video_is_one_line_saying_where_and_what_layout(tmp_path, capsys, dataset, make):
    root = tmp_path / dataset
    make(root)
    assert main(["data", "index", "--dataset", dataset, "--root", str(root), "--out", str(tmp_path / "x.csv")]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and str(root) in error and "expected the" in error
    assert not (tmp_path / "x.csv").exists()


def test_celebdf_list_matches_names_whatever_their_case_and_a_listed_video_is_never_trained_on(tmp_path):
    """A copy whose files end in .MP4 while the list writes .mp4 (or the other way round): the listed video is
    still the test video, not 'absent' and trained on while its fake is tested."""
    root = celebdf_tree(tmp_path / "celeb", OFFICIAL)
    (root / "Celeb-real" / "id0_0000.mp4").rename(root / "Celeb-real" / "id0_0000.MP4")
    (root / "Celeb-synthesis" / "id0_id1_0000.mp4").rename(root / "Celeb-synthesis" / "ID0_id1_0000.mp4")
    df = index_celebdf(root, seed=0).set_index("video_id")
    assert (
        df.loc["Celeb-real/id0_0000.MP4", "split"] == "test"
        and df.loc["Celeb-synthesis/ID0_id1_0000.mp4", "split"] == "test"
    )
    assert list(missing_files(df.reset_index())["video_id"]) == ["Celeb-synthesis/id9_id1_0000.mp4"]


def test_metadata_and_lists_with_a_byte_order_mark_read_and_other_encodings_are_one_line(tmp_path):
    root = celebdf_tree(tmp_path / "celeb", [])
    (root / "List_of_testing_videos.txt").write_bytes("\n".join(OFFICIAL).encode("utf-8-sig"))  # saved by Notepad
    assert (index_celebdf(root, seed=0)["split"] == "test").sum() == 3
    dfdc = dfdc_tree(tmp_path / "dfdc")
    metadata = dfdc / "dfdc_train_part_1" / "metadata.json"
    metadata.write_bytes(b"\xef\xbb\xbf" + metadata.read_bytes())
    (dfdc / "test" / "labels.csv").write_bytes(b"\xef\xbb\xbf" + (dfdc / "test" / "labels.csv").read_bytes())
    assert len(index_dfdc(dfdc, seed=1)) == 8  # the mark is not part of the first key or column name
    metadata.write_bytes(metadata.read_bytes().replace(b'"REAL"', b'"R\xe9AL"', 1))  # one Latin-1 byte
    with pytest.raises(DatasetError, match=r"metadata\.json: not UTF-8 text \(byte 0xe9 on line 1\)"):
        index_dfdc(dfdc)
