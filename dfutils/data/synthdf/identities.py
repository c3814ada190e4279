"""Who is in SynthDF: the real faces in pinned registry packages, grouped into identities.

SynthDF's detectors must learn what a manipulation looks like, not who is in a
training video, so its real clips need many different people. The packages
pinned in :mod:`dfutils.assets` ship about two hundred usable real faces:
labelled celebrity folders, group photos, face-thumbnail grids and portraits.
This module turns them into a **catalogue**: one entry per face (which image,
its five MTCNN landmarks, its box, and for thumbnails the part of the image
that belongs to it), grouped into identities.

Identities are found, not assumed: the faces are embedded with the offline
FaceNet (:mod:`dfutils.nets.facenet`) and clustered (average linkage, L2 distance
below :data:`IDENTITY_THRESHOLD`). The threshold is the smallest at which the
five labelled celebrity folders come out as exactly five pure clusters; a
larger one would only merge more, which keeps splits by identity on the safe
side (two look-alikes in one split, never one person in two).

The catalogue is built once by a maintainer (``dfutils data catalogue``,
about two minutes) and committed as ``dfutils/data/synthdf/face_catalogue.json``, so
building SynthDF needs neither a face detector nor FaceNet and gives the same
frames on every machine; ``tests/test_identities.py`` re-detects entries to
check the file still matches the images.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from dfutils.atomic import write_text
from dfutils.errors import UserInputError

CATALOGUE_PATH = Path(__file__).parent / "face_catalogue.json"
CATALOGUE_VERSION = 1
IDENTITY_THRESHOLD = 1.1  # FaceNet-128 L2 distance, average linkage (see the module docstring)
CELEBRITY_PREFIX = "celebrity:"  # images named "celebrity:<person>/<file>" come from the labelled folders


@dataclass(frozen=True)
class Source:
    """An image (an asset) holding faces; ``tight`` marks thumbnails cut close around their face."""

    asset: str
    prefix: str  # names the identities first seen here
    tight: bool = False
    overlay_text: bool = False  # thumbnails with captions drawn on them (inpainted before use)


SOURCES = (
    Source("photo-friends-cast", "friends"),
    *(Source(f"photo-face-api-sample{n}", f"faceapi{n}") for n in range(1, 7)),
    Source("photo-human-facematch", "grid", tight=True, overlay_text=True),
    Source("photo-human-facedetect", "shot", tight=True),
    Source("photo-human-faceid", "faceid"),
    Source("photo-face_recognition-obama", "portrait"),
    Source("photo-face_recognition-obama2", "portrait"),
    Source("photo-face_recognition-obama3", "portrait"),
    Source("photo-face_recognition-biden", "portrait"),
    Source("photo-tom-hanks", "portrait", tight=True),
)
SOURCE_BY_ASSET = {source.asset: source for source in SOURCES}


# --------------------------------------------------------------------------- what makes a face usable
MIN_SCORE = 0.9
MIN_EYE_DISTANCE = 16.0  # pixels in the source image; smaller faces would be upscaled beyond recognition
MAX_ROLL_DEGREES = 40.0
NOSE_BETWEEN_EYES = (0.2, 0.8)  # where the nose sits along the eye line: near-profiles fall outside
EYE_MOUTH_RATIO = (0.55, 1.7)  # eye-to-mouth over eye distance: outside it the landmarks are implausible
TIGHT_REGION_GROWTH = 1.2  # a thumbnail's own area: its face box grown by this, about its centre


REJECTION_CATEGORIES = {"detector score": "low detector score", "too small": "too small", "head rolled": "head rolled",
                        "turned": "turned away", "implausible": "implausible landmarks"}


def face_geometry(landmarks) -> dict:
    """Eye distance, eye-to-mouth distance, roll and where the nose sits between the eyes."""
    points = np.asarray(landmarks, np.float64)
    eye_left, eye_right, nose, mouth_left, mouth_right = points
    eye_distance = float(np.linalg.norm(eye_right - eye_left))
    eye_mouth = float(np.linalg.norm((mouth_left + mouth_right) / 2 - (eye_left + eye_right) / 2))
    axis = (eye_right - eye_left) / max(eye_distance, 1e-6)
    return {
        "eye_distance": eye_distance,
        "eye_mouth": eye_mouth,
        "roll": float(np.degrees(np.arctan2(eye_right[1] - eye_left[1], eye_right[0] - eye_left[0]))),
        "nose_position": float(np.dot(nose - eye_left, axis) / max(eye_distance, 1e-6)),
    }


def eye_brightness(pixels: np.ndarray, landmarks) -> float:
    """Mean luminance around the eyes over that of the cheeks below them."""
    import cv2

    eye_left, eye_right, _, mouth_left, mouth_right = np.asarray(landmarks, np.float64)
    radius = max(2, int(0.18 * np.linalg.norm(eye_right - eye_left)))
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float64)

    def patch(centre):
        x, y = int(centre[0]), int(centre[1])
        return grey[max(0, y - radius):y + radius, max(0, x - radius):x + radius].ravel()

    eyes = np.concatenate([patch(eye_left), patch(eye_right)])
    cheeks = np.concatenate([patch(eye_left + 0.45 * (mouth_left - eye_left)),
                             patch(eye_right + 0.45 * (mouth_right - eye_right))])
    return float(eyes.mean() / max(cheeks.mean(), 1.0)) if eyes.size and cheeks.size else 1.0


def rejection(score: float, landmarks) -> str:
    """Why a detected face cannot become a SynthDF identity ("" if it can)."""
    geometry = face_geometry(landmarks)
    if score < MIN_SCORE:
        return f"detector score {score:.2f} < {MIN_SCORE}"
    if geometry["eye_distance"] < MIN_EYE_DISTANCE:
        return f"too small (eye distance {geometry['eye_distance']:.0f} px)"
    if abs(geometry["roll"]) > MAX_ROLL_DEGREES:
        return f"head rolled {geometry['roll']:.0f} degrees"
    low, high = NOSE_BETWEEN_EYES
    if not low <= geometry["nose_position"] <= high:
        return "turned too far from the camera"
    ratio = geometry["eye_mouth"] / max(geometry["eye_distance"], 1e-6)
    if not EYE_MOUTH_RATIO[0] <= ratio <= EYE_MOUTH_RATIO[1]:
        return "implausible landmarks"
    return ""


# --------------------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class CatalogueFace:
    identity: str
    image: str  # an asset name, or "celebrity:<person>/<file>"
    landmarks: tuple  # 5 (x, y): image-left eye, image-right eye, nose, mouth corners
    box: tuple  # x0, y0, x1, y1 of the detection
    score: float
    region: tuple | None = None  # x0, y0, x1, y1 of the thumbnail that is this face's whole picture
    eye_brightness: float = 1.0  # eye patches' luminance over the cheeks': dark glasses are low

    @property
    def morphable(self) -> bool:
        """Fit to be a morph parent: near-frontal, eyes visible (a morph of a turned face, or of
        dark glasses, ghosts). Only used to choose morph parents: darkness is also skin and
        make-up, so it never excludes a real person."""
        geometry = face_geometry(self.landmarks)
        return (
            abs(geometry["nose_position"] - 0.5) <= 0.16 and abs(geometry["roll"]) <= 15 and self.eye_brightness >= 0.42
        )


@dataclass
class Catalogue:
    faces: list[CatalogueFace]
    threshold: float = IDENTITY_THRESHOLD
    rejected: dict = field(default_factory=dict)  # reason -> count, for the record

    def identities(self) -> dict[str, list[CatalogueFace]]:
        """Faces by identity, largest face first (the best photo of a person leads)."""
        grouped: dict[str, list[CatalogueFace]] = {}
        for face in self.faces:
            grouped.setdefault(face.identity, []).append(face)
        for faces in grouped.values():
            faces.sort(key=lambda f: -face_geometry(f.landmarks)["eye_distance"])
        return grouped


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> Catalogue:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UserInputError(f"{path}: cannot read the face catalogue ({error})") from None
    if data.get("version") != CATALOGUE_VERSION:
        raise UserInputError(f"{path}: face catalogue version {data.get('version')!r}, expected {CATALOGUE_VERSION}; "
                             "rebuild it with `dfutils data catalogue`")
    faces = [CatalogueFace(face["identity"], face["image"], tuple(map(tuple, face["landmarks"])), tuple(face["box"]),
                           face["score"], tuple(face["region"]) if face.get("region") else None,
                           face.get("eye_brightness", 1.0))
             for face in data["faces"]]
    return Catalogue(faces, data["threshold"], data.get("rejected", {}))


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue()


def write_catalogue(catalogue: Catalogue, path: str | Path | None = None) -> Path:
    path = Path(path or CATALOGUE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    rounded = []
    for face in catalogue.faces:
        record = asdict(face)
        record["landmarks"] = [[round(float(v), 1) for v in point] for point in face.landmarks]
        record["box"] = [round(float(v), 1) for v in face.box]
        record["region"] = [int(v) for v in face.region] if face.region else None
        record["score"] = round(float(face.score), 4)
        record["eye_brightness"] = round(float(face.eye_brightness), 3)
        rounded.append(record)
    text = json.dumps({"version": CATALOGUE_VERSION, "threshold": catalogue.threshold,
                       "rejected": catalogue.rejected, "faces": rounded}, indent=0)
    return write_text(path, text + "\n")


def image_path(image: str) -> Path:
    """The file of a catalogue image, fetched and checksum-verified through :mod:`dfutils.assets`."""
    from dfutils import assets

    if image.startswith(CELEBRITY_PREFIX):
        person, filename = image[len(CELEBRITY_PREFIX):].split("/", 1)
        for path in assets.celebrity_photos().get(person, []):
            if path.name == filename:
                return path
        raise UserInputError(f"face catalogue: no celebrity photo {image!r} in the verified package")
    return assets.fetch(image)


def read_image(image: str) -> np.ndarray:
    """RGB uint8 pixels of a catalogue image."""
    import cv2

    pixels = cv2.imread(str(image_path(image)), cv2.IMREAD_COLOR)
    if pixels is None:
        raise UserInputError(f"face catalogue: {image} is not a readable image")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def tight_region(box, shape) -> tuple[int, int, int, int]:
    """The square a thumbnail's face owns: its box grown by :data:`TIGHT_REGION_GROWTH`, inside the image."""
    x0, y0, x1, y1 = box
    half = max(x1 - x0, y1 - y0) * TIGHT_REGION_GROWTH / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    height, width = shape[:2]
    return (int(max(0, cx - half)), int(max(0, cy - half)), int(min(width, cx + half)), int(min(height, cy + half)))


def _all_images() -> list[tuple[str, Source | None]]:
    from dfutils.assets import celebrity_photos

    images: list[tuple[str, Source | None]] = [
        (f"{CELEBRITY_PREFIX}{person}/{path.name}", None)
        for person, paths in celebrity_photos().items() for path in paths
    ]
    return images + [(source.asset, source) for source in SOURCES]


def build_catalogue(threshold: float | None = None, progress: bool = True) -> Catalogue:
    """Detect, filter, embed and cluster every face of the pinned images (a maintainer's step)."""
    threshold = IDENTITY_THRESHOLD if threshold is None else threshold
    from mtcnn import MTCNN
    from sklearn.cluster import AgglomerativeClustering

    from dfutils.faces.tracking import square_crop
    from dfutils.nets.facenet import shared_embedder
    from dfutils.progress import progress_bar

    detector = MTCNN()
    candidates, crops, rejected = [], [], {}
    for image, source in progress_bar(_all_images(), desc="faces", unit="image", disable=not progress):
        pixels = read_image(image)
        for face in detector.detect_faces(pixels, box_format="xyxy"):
            keypoints = face["keypoints"]
            landmarks = tuple(tuple(float(v) for v in keypoints[name])
                              for name in ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right"))
            reason = rejection(float(face["confidence"]), landmarks)
            if reason:
                category = REJECTION_CATEGORIES[next(k for k in REJECTION_CATEGORIES if reason.startswith(k))]
                rejected[category] = rejected.get(category, 0) + 1
                continue
            box = tuple(float(v) for v in face["box"])
            region = tight_region(box, pixels.shape) if source is not None and source.tight else None
            candidates.append((image, source, landmarks, box, float(face["confidence"]), region,
                               eye_brightness(pixels, landmarks)))
            crops.append(square_crop(pixels, box, 0.1, 0, 160))
    embeddings = shared_embedder("keras-facenet-128").embed(np.stack(crops))
    clusters = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold,
                                       linkage="average").fit_predict(embeddings)
    names = _name_clusters(clusters, candidates)
    faces = [
        CatalogueFace(names[cluster], image, landmarks, box, score, region, brightness)
        for cluster, (image, _, landmarks, box, score, region, brightness) in zip(clusters, candidates, strict=True)
    ]
    return Catalogue(faces, threshold, dict(sorted(rejected.items())))


def _name_clusters(clusters: np.ndarray, candidates: list) -> dict[int, str]:
    """A readable name per cluster: the celebrity's name, else the source of its largest face and a number."""
    names: dict[int, str] = {}
    counters: dict[str, int] = {}
    order = sorted(set(clusters.tolist()), key=lambda c: min(k for k, v in enumerate(clusters) if v == c))
    for cluster in order:
        members = [candidates[k] for k in np.flatnonzero(clusters == cluster)]
        celebrities = {image[len(CELEBRITY_PREFIX):].split("/")[0] for image, *_ in members
                       if image.startswith(CELEBRITY_PREFIX)}
        if len(celebrities) > 1:
            raise UserInputError(f"identity threshold merges celebrities {sorted(celebrities)}: lower it")
        if celebrities:
            names[cluster] = celebrities.pop()
            continue
        best = max(members, key=lambda m: face_geometry(m[2])["eye_distance"])
        prefix = best[1].prefix if best[1] is not None else "face"
        counters[prefix] = counters.get(prefix, 0) + 1
        names[cluster] = f"{prefix}_{counters[prefix]}"
    return names


# --------------------------------------------------------------------------- pixels SynthDF renders from
def prepare_photo(face: CatalogueFace) -> tuple[np.ndarray, np.ndarray]:
    """(float32 RGB picture, landmarks in its pixels) for rendering clips of this face.

    Photos are used whole. A thumbnail is cut to its own region (so no
    neighbour's face or caption drifts into view), its captions are inpainted,
    and it is set on a wide, blurred extension of its own edges: a portrait
    with an out-of-focus background, the same in a real clip and its fakes.
    """
    return _prepared(face.image, face.region, face.landmarks)


@lru_cache(maxsize=16)
def _prepared(image: str, region: tuple | None, landmarks: tuple) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    pixels = read_image(image)
    points = np.asarray(landmarks, np.float64)
    if region is None:
        return pixels.astype(np.float32), points
    x0, y0, x1, y1 = region
    cell = np.ascontiguousarray(pixels[y0:y1, x0:x1])
    source = SOURCE_BY_ASSET.get(image)
    if source is not None and source.overlay_text:
        cell = remove_captions(cell)
    side = max(cell.shape[:2])
    pad = side  # room for the clip's motion and zoom around the face
    canvas = cv2.copyMakeBorder(cell, pad, pad, pad, pad, cv2.BORDER_REPLICATE).astype(np.float32)
    blurred = cv2.GaussianBlur(canvas, (0, 0), max(2.0, side / 8))
    inside = np.zeros(canvas.shape[:2], np.float32)
    inside[pad:pad + cell.shape[0], pad:pad + cell.shape[1]] = 1
    inside = cv2.GaussianBlur(inside, (0, 0), max(1.0, side / 40))[..., None]
    return canvas * inside + blurred * (1 - inside), points - [x0 - pad, y0 - pad]


def remove_captions(cell: np.ndarray) -> np.ndarray:
    """Inpaint the light caption text drawn over the top and bottom of a thumbnail.

    Caption strokes are thin and brighter than what is around them, which a
    morphological top-hat picks out; only the top and bottom bands are touched.
    """
    import cv2

    height = cell.shape[0]
    band = max(1, int(0.25 * height))
    grey = cv2.cvtColor(cell, cv2.COLOR_RGB2GRAY)
    strokes = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))) > 28
    mask = np.zeros(cell.shape[:2], np.uint8)
    mask[:band][strokes[:band]] = 255
    mask[height - band:][strokes[height - band:]] = 255
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return cv2.inpaint(cell, mask, 3, cv2.INPAINT_TELEA)
