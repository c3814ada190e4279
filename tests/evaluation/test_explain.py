"""Grad-CAM of the frame classifier."""

from __future__ import annotations

import keras
import numpy as np

from dfutils.nets import architectures, clips


def test_grad_cam_maps_are_normalised_and_their_probabilities_match_the_model(crop_cache):
    from dfutils.evaluation import explain

    folder, table = crop_cache
    keras.utils.set_random_seed(0)
    model = architectures.build_frame_classifier("efficientnet_b0", 32, None, embedding_units=16, dropout_rate=0.3)
    images = clips.ClipDataset(table.head(4), folder, 1, 32, 4)[0][0][:, 0]
    cams, probabilities = explain.grad_cam(model, images)
    assert cams.shape == (4, 32, 32) and cams.min() >= 0 and cams.max() <= 1
    np.testing.assert_allclose(probabilities, model.predict(images, verbose=0).reshape(-1), atol=1e-5)
