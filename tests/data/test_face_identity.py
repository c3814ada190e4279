"""People where a dataset names none: face identities by FaceNet and average linkage, cached by content,
joined with the families for the split; the threshold chosen on real crops whose people are known."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from dfutils import config
from dfutils.data import face_identity
from dfutils.data.datasets import check_no_leak, index_faces
from dfutils.errors import DatasetError

REAL_FACES = config.PROJECT_ROOT.parent / "shared" / "real-faces"


def test_clusters_match_scikit_learns_average_linkage():
    from sklearn.cluster import AgglomerativeClustering

    points = np.random.default_rng(4).normal(size=(60, 8)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    for threshold in (0.6, 1.0, 1.3):
        ours = face_identity.cluster(points, threshold)
        reference = AgglomerativeClustering(
            n_clusters=None, distance_threshold=threshold, linkage="average"
        ).fit_predict(points)
        # the same partition (cluster numbers may differ)
        assert len(set(zip(ours, reference, strict=True))) == len(set(ours)) == len(set(reference))
    assert face_identity.cluster(points[:1], 0.9).tolist() == [0]
    with pytest.raises(ValueError, match="threshold"):
        face_identity.cluster(points, 0)


def test_pair_scores_count_pairs():
    scores = face_identity.pair_scores(np.array([0, 0, 0, 1, 2]), np.array(["a", "a", "b", "b", "c"]))
    # pairs together: (0,1) a-a, (0,2) a-b, (1,2) a-b; same person: (0,1), (2,3)
    assert scores == {"precision": 1 / 3, "recall": 1 / 2, "pairs_together": 3, "same_person_pairs": 2,
                      "true_pairs": 1}


@pytest.fixture(scope="module")
def celebrity_crops():
    from dfutils.nets.facenet import celebrity_face_crops

    return celebrity_face_crops(per_person=6)


def write_people_tree(root, crops, people):
    """Each photo a one-crop real "video" named by number (names tell no person), labelled by labels.csv;
    and one fake per person made from its first photo."""
    lines, first = ["file,label,original"], {}
    for number, (crop, person) in enumerate(zip(crops, people, strict=True)):
        cv2.imwrite(str(root / "crops" / f"v{number:03d}.png"), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
        lines.append(f"v{number:03d}.png,0,")
        first.setdefault(person, number)
    for number in first.values():
        fake = crop_like(crops[number])
        cv2.imwrite(str(root / "crops" / f"f{number:03d}.png"), fake)
        lines.append(f"f{number:03d}.png,1,v{number:03d}.png")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")


def crop_like(crop):
    return cv2.cvtColor(np.ascontiguousarray(crop[:, ::-1]), cv2.COLOR_RGB2BGR)


@pytest.mark.slow
def test_grouping_by_face_finds_the_people_of_a_set_whose_people_are_known(tmp_path, celebrity_crops):
    crops, people = celebrity_crops
    (tmp_path / "crops").mkdir()
    write_people_tree(tmp_path, crops, people)
    plain = index_faces(tmp_path, seed=0)
    cache = tmp_path / "identity.npz"
    grouped = index_faces(tmp_path, seed=0, group_faces=True, face_cache=cache)
    check_no_leak(grouped)
    person_of = {f"crops/v{number:03d}": person for number, person in enumerate(people)}
    reals = grouped[grouped["video_id"].isin(person_of)]
    truth = np.array([person_of[video] for video in reals["video_id"]])
    found = face_identity.pair_scores(reals["group"].to_numpy(), truth)
    without = face_identity.pair_scores(plain[plain["video_id"].isin(person_of)]["group"].to_numpy(), truth)
    # names tell nothing here: without faces no two photos of a person share a group; with them most pairs do and
    # strangers stay apart (five very different people: 0.9 is a threshold chosen for video crops, measured
    # 1.0 / 0.62 on these photos at 12 per person)
    assert without["recall"] == 0
    assert found["precision"] >= 0.95 and found["recall"] >= 0.5
    # each fake stays with its original, and the notes say what the clustering found
    by_id = grouped.set_index("video_id")
    assert all(by_id.loc[f"crops/f{n}", "group"] == by_id.loc[f"crops/v{n}", "group"]
               for n in (video.rsplit("f", 1)[1] for video in by_id.index if "/f" in video))
    assert any(note.startswith("face identity (FaceNet keras-facenet-128, average linkage at 0.9)")
               for note in grouped.attrs["notes"])
    # a fake's face is a swap (another person on the target's head): never embedded, so it cannot chain two people's
    # groups; a fake whose original is absent keeps its own family (the original's name)
    swap = np.clip(crops[1].astype(int) + 3, 0, 255).astype(np.uint8)  # person 1's face, not the same file
    cv2.imwrite(str(tmp_path / "crops" / "swap.png"), cv2.cvtColor(swap, cv2.COLOR_RGB2BGR))
    with open(tmp_path / "labels.csv", "a") as handle:
        handle.write("swap.png,1,absent.png\n")
    swapped = index_faces(tmp_path, seed=0, group_faces=True, face_cache=cache).set_index("video_id")
    assert swapped.loc["crops/swap", "group"] not in set(swapped.loc[[f"crops/v{n:03d}" for n in range(len(people))],
                                                                     "group"])
    (tmp_path / "crops" / "swap.png").unlink()
    (tmp_path / "labels.csv").write_text("".join((tmp_path / "labels.csv").read_text().splitlines(True)[:-1]))
    # a higher threshold groups more; the cache was filled once, by content
    looser = index_faces(tmp_path, seed=0, group_faces=True, face_threshold=1.2, face_cache=cache)
    assert looser["group"].nunique() <= grouped["group"].nunique()
    with pytest.raises(DatasetError, match="face_threshold applies with group_faces on"):
        index_faces(tmp_path, face_threshold=1.2)


@pytest.mark.slow
def test_embeddings_are_cached_by_content(tmp_path, celebrity_crops, monkeypatch):
    crops, _ = celebrity_crops
    files = []
    for number in range(3):
        files.append(tmp_path / f"a{number}.png")
        cv2.imwrite(str(files[-1]), cv2.cvtColor(crops[number], cv2.COLOR_RGB2BGR))
    cache = tmp_path / "cache.npz"
    first = face_identity.embed_files(files, cache=cache, progress=False)
    assert first.shape == (3, 128) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)

    embedded = []
    from dfutils.nets import facenet

    original = facenet.FaceNetEmbedder.embed
    monkeypatch.setattr(facenet.FaceNetEmbedder, "embed",
                        lambda self, images, **kw: embedded.append(len(images)) or original(self, images, **kw))
    # a renamed copy is the same content: nothing embedded again, the same vector
    shutil.copyfile(files[0], tmp_path / "renamed.png")
    again = face_identity.embed_files([tmp_path / "renamed.png", *files], cache=cache, progress=False)
    assert embedded == [] and np.array_equal(again[0], first[0])
    # a changed file is embedded again; the others are read from the cache
    cv2.imwrite(str(files[1]), cv2.cvtColor(crops[5], cv2.COLOR_RGB2BGR))
    changed = face_identity.embed_files(files, cache=cache, progress=False)
    assert embedded == [1] and np.array_equal(changed[0], first[0]) and not np.allclose(changed[1], first[1])


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_FACES / "celebdf").is_dir() or not (REAL_FACES / "ffpp-c40").is_dir(),
                    reason="the real Celeb-DF and FF++ crops (../shared/real-faces) are not here")
def test_the_default_threshold_is_the_one_known_people_choose():
    from dfutils.studies.face_identity import choose_threshold, known_people, threshold_table

    table = threshold_table(known_people(REAL_FACES), progress=False)
    assert choose_threshold(table) == face_identity.IDENTITY_THRESHOLD
    pooled = table[(table["set"] == "pooled") & (table["threshold"] == face_identity.IDENTITY_THRESHOLD)].iloc[0]
    assert pooled["recall"] >= 0.85 and pooled["precision"] >= 0.6
