"""The face catalogue behind SynthDF: usable faces, identities found by FaceNet, the pictures clips are filmed from."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from dfutils.data.synthdf import generator, geometry, identities
from dfutils.data.synthdf.identities import CatalogueFace, face_geometry, load_catalogue, rejection


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_the_catalogue_has_many_people_and_the_celebrity_folders_come_out_whole(catalogue):
    people = catalogue.identities()
    assert len(people) >= 50 and len(catalogue.faces) >= 200
    from dfutils.assets import celebrity_photos

    for person in celebrity_photos():
        # every usable photo of a labelled folder sits in the identity named after it, and in no other
        holders = {face.identity for face in catalogue.faces if face.image.startswith(f"celebrity:{person}/")}
        assert holders == {person}, person
        assert len(people[person]) >= 10
    assert all(rejection(face.score, face.landmarks) == "" for face in catalogue.faces)


def test_rejection_rules_name_the_reason():
    frontal = ((100, 100), (140, 100), (120, 120), (105, 140), (135, 140))
    assert rejection(0.99, frontal) == ""
    assert rejection(0.5, frontal).startswith("detector score")
    assert rejection(0.99, np.asarray(frontal) / 4).startswith("too small")
    turned = ((100, 100), (140, 100), (141, 120), (105, 140), (135, 140))
    assert rejection(0.99, turned).startswith("turned")
    tilted = np.asarray(frontal, float) @ np.array([[np.cos(0.9), np.sin(0.9)], [-np.sin(0.9), np.cos(0.9)]])
    assert rejection(0.99, tilted).startswith("head rolled")
    assert face_geometry(frontal)["nose_position"] == pytest.approx(0.5)


@pytest.mark.slow
def test_catalogue_landmarks_match_a_fresh_mtcnn_detection(catalogue):
    """One face of every source image (and of each celebrity), detected again: the committed file still fits the
    images."""
    from mtcnn import MTCNN

    detector = MTCNN()
    names = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
    checked = {}
    for face in catalogue.faces:
        checked.setdefault(face.image.split("/")[0], face)
    for face in checked.values():
        found = detector.detect_faces(identities.read_image(face.image))
        distances = [np.abs(np.array([f["keypoints"][n] for n in names], float) - np.asarray(face.landmarks)).max()
                     for f in found]
        assert min(distances) <= 3, face


def test_a_thumbnail_is_cut_to_its_own_square_with_its_landmarks_moved_along(catalogue):
    thumbnail = next(face for face in catalogue.faces if face.region is not None)
    picture, landmarks = identities.prepare_photo(thumbnail)
    original = identities.read_image(thumbnail.image).astype(np.float32)
    x0, y0, x1, y1 = thumbnail.region
    assert picture.shape[0] > 2 * (y1 - y0)  # room around the thumbnail for the clip's motion
    # the centre of the thumbnail is untouched, and the nose is where it was
    nose_original = np.round(thumbnail.landmarks[2]).astype(int)
    nose_here = np.round(landmarks[2]).astype(int)
    np.testing.assert_allclose(
        picture[nose_here[1], nose_here[0]], original[nose_original[1], nose_original[0]], atol=1
    )


def test_captions_are_inpainted_only_in_the_bands_they_sit_in():
    import cv2

    generator = np.random.default_rng(0)
    cell = np.clip(generator.normal(90, 12, (100, 100, 3)), 0, 255).astype(np.uint8)
    captioned = cell.copy()
    cv2.putText(captioned, "52.0%", (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (235, 235, 235), 1)
    cv2.putText(captioned, "38.7y MALE", (2, 96), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (235, 235, 235), 1)
    cv2.putText(captioned, "x", (45, 55), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (235, 235, 235), 1)  # mid-face: left alone
    cleaned = identities.remove_captions(captioned)
    text = np.abs(captioned.astype(int) - cell).max(axis=2) > 60
    bands = np.zeros_like(text)
    bands[:25], bands[75:] = True, True
    assert (
        np.abs(cleaned.astype(int) - cell)[text & bands].mean()
        < 0.3 * np.abs(captioned.astype(int) - cell)[text & bands].mean()
    )
    np.testing.assert_array_equal(cleaned[30:70], captioned[30:70])


def test_the_demo_plan_has_60_identities_15_in_test_and_morphs_stay_with_their_parents():
    plans = generator.plan_benchmark(generator.SIZES["demo"], seed=20201)
    split_of = {}
    for plan in plans:
        assert split_of.setdefault(plan.identity, plan.split) == plan.split
    counts = Counter(split_of.values())
    assert len(split_of) >= 60 and counts["test"] >= 15 and counts["val"] >= 5
    morphs = [name for name in split_of if name.startswith(generator.MORPH_PREFIX)]
    assert len(morphs) == generator.SIZES["demo"].morphs
    for name in morphs:
        for parent in generator.identity(name).parents:
            # a parent's own clips, when it has any in the plan, sit in the morph's split
            assert split_of.get(parent, split_of[name]) == split_of[name], (name, parent)
    by_number = {plan.number: plan for plan in plans}
    for plan in plans:
        partner = by_number[plan.partner]
        assert partner.partner == plan.number and partner.split == plan.split and partner.identity != plan.identity


def test_a_morph_is_the_mean_of_its_parents_aligned():
    first = np.zeros((300, 300, 3), np.float32)
    second = np.full((300, 300, 3), 200, np.float32)
    landmarks = np.array([(120, 130), (180, 130), (150, 160), (128, 190), (172, 190)], float)
    picture, points = generator.morph_photos([(first, landmarks), (second, landmarks + 3)])
    assert picture.shape == (generator.MORPH_SIDE, generator.MORPH_SIDE, 3)
    np.testing.assert_allclose(picture[200:300, 200:300], 100, atol=1e-3)  # half of each, everywhere
    expected = geometry.apply_similarity(geometry.canonical_transform(landmarks, generator.MORPH_SIDE), landmarks)
    np.testing.assert_allclose(points, expected, atol=1e-6)


def test_morph_parents_are_fit_and_alike():
    people = [name for name, person in generator.catalogue_identities().items() if person.kind == "photos"]
    pairs = generator.morph_candidates(people)
    assert len(pairs) >= 20
    for first, second in pairs:
        a, b = generator.identity(first).faces[0], generator.identity(second).faces[0]
        assert a.morphable and b.morphable and (a.region is None) == (b.region is None)
    unfit = CatalogueFace("x", "photo-x", ((100, 100), (140, 100), (120, 120), (105, 140), (135, 140)), (0, 0, 1, 1),
                          0.99, eye_brightness=0.2)
    assert not unfit.morphable  # dark glasses: a morph of them ghosts
