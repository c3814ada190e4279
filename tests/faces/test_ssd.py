"""The Keras port of the SSD MobileNet v1 WIDERFACE face detector."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dfutils import assets
from dfutils.data.synthdf.identities import load_catalogue
from dfutils.faces.ssd import decode_boxes, load_weights

pytestmark = pytest.mark.slow


def iou(a, b) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_weights_load_completely():
    weights = load_weights()
    assert weights["Output/extra_dim"].shape == (1, 5118, 4)
    assert weights["MobilenetV1/Conv2d_13_pointwise/weights"].shape == (1, 1, 1024, 1024)
    assert np.isfinite(weights["Prediction/Conv2d_7_pointwise/weights"]).all()


def test_box_decoding_matches_a_hand_computed_case():
    anchors = np.array([[0.2, 0.4, 0.6, 0.6]])  # ymin, xmin, ymax, xmax: centre (0.4, 0.5), size (0.4, 0.2)
    encodings = np.array([[1.0, -2.0, 5.0 * np.log(2.0), 0.0]])
    # centre y = 0.4 + 1/10*0.4 = 0.44; x = 0.5 - 2/10*0.2 = 0.46; height 0.4*2 = 0.8; width 0.2
    np.testing.assert_allclose(decode_boxes(anchors, encodings), [[0.04, 0.36, 0.84, 0.56]], atol=1e-9)


@pytest.fixture(scope="module")
def ssd():
    from dfutils.faces.ssd import SSDFaceDetector

    return SSDFaceDetector()


def test_finds_every_face_of_a_group_photo_where_the_registered_landmarks_are(ssd):
    photo = cv2.cvtColor(cv2.imread(str(assets.fetch("photo-friends-cast"))), cv2.COLOR_BGR2RGB)
    faces = ssd.detect([photo])[0]
    assert len(faces) == 6
    catalogued = [face for face in load_catalogue().faces if face.image == "photo-friends-cast"]
    assert len(catalogued) >= 4
    for face in catalogued:
        nose = face.landmarks[2]
        inside = [f for f in faces if f["box"][0] < nose[0] < f["box"][2] and f["box"][1] < nose[1] < f["box"][3]]
        assert len(inside) == 1, face.identity


def test_agrees_with_mtcnn_on_single_face_photos(ssd):
    from mtcnn import MTCNN

    mtcnn = MTCNN()
    for name in ("photo-madonna", "photo-elton_john", "photo-mindy_kaling"):
        photo = cv2.cvtColor(cv2.imread(str(assets.fetch(name))), cv2.COLOR_BGR2RGB)
        ours = ssd.detect([photo])[0][0]["box"]
        x, y, w, h = mtcnn.detect_faces(photo)[0]["box"]
        assert iou(ours, (x, y, x + w, y + h)) >= 0.5, name
