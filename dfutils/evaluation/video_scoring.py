"""Score videos that were never indexed with a saved model (``dfutils predict``).

The model file carries the extraction settings its crops were made with
(detector, frames, crop size, margin; see :mod:`dfutils.detectors.model_files`), so no
params file is needed: each video is sampled, its main face tracked and
cropped exactly as in training, and scored. A video that cannot be read, has
no face, or is not a video at all becomes a row with its error; the others go on.

Every detector of :mod:`dfutils.detectors` scores through its own model file:
clip models (Paper A, the 3D CNN, frames + LSTM/GRU) read a clip of crops,
frame models (frames, bagging, the triplet pipelines) each crop, and the
crop-statistics baseline reads the video itself. Still images are scored by the
frame-level detectors: the face is found and cropped as in training, or, when
no face is found, the image is taken to be a face crop already and used as
given (``faces_found`` 0). The others need a video and say so in the row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.atomic import write_csv
from dfutils.errors import UserInputError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
PREDICTION_COLUMNS = ["path", "score", "label_pred", "frames_used", "faces_found", "error"]


@dataclass
class Prediction:
    path: str
    score: float = float("nan")
    label_pred: str = ""
    frames_used: int = 0
    faces_found: int = 0
    error: str = ""


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders expanded to every file inside (sorted, recursively).

    Non-video files in a folder are kept so that they get an error row.
    """
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            paths.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        else:
            paths.append(path)
    return paths


class VideoScorer:
    """A loaded detector (:func:`dfutils.detectors.load`) and what it needs to score one video."""

    def __init__(self, model_path: str | Path, every_face: bool):
        from dfutils import detectors
        from dfutils.detectors.model_files import read_settings
        from dfutils.faces.extraction_settings import ExtractionSettings

        self.detector = detectors.load(model_path)
        self.settings = read_settings(model_path)
        self.architecture = self.detector.architecture
        self.frames = int(self.settings["frames"])
        self.extraction = (
            ExtractionSettings.from_dict(self.settings["extraction"]) if "extraction" in self.settings else None
        )
        self.every_face = every_face  # score every face track of a video and keep the most confident

    def frame_scores(self, crops: np.ndarray) -> tuple[float, np.ndarray]:
        """The video score and one score per used frame (see each detector's ``score_crops``)."""
        return self.detector.score_crops(crops)

    def score(self, path: Path, strips_dir: Path | None = None, threshold: float = 0.5) -> Prediction:
        row = Prediction(str(path))
        suffix = path.suffix.lower()
        if not path.exists():
            row.error = "file not found"
            return row
        if suffix not in VIDEO_SUFFIXES | IMAGE_SUFFIXES:
            row.error = f"not a video or image file (suffix {path.suffix or 'none'!r})"
            return row
        if suffix in IMAGE_SUFFIXES and self.detector.input != "frame":
            row.error = (f"a still image cannot be scored by this {self.architecture} model: it reads "
                         f"{self.frames} frames of a video, so it needs a video (frame-level models score images)")
            return row
        if self.detector.input == "video":  # a detector that reads the video itself, not face crops
            return self.score_whole_video(path, row, threshold)
        try:
            if suffix in IMAGE_SUFFIXES:
                crop, row.faces_found = self.image_crop(path)
                tracks = [crop]
            else:
                tracks, row.faces_found = self.video_crops(path)
        except UserInputError as error:  # already names the file and the reason
            row.error = str(error)
            return row
        except Exception as error:  # noqa: BLE001 - one unreadable file must not stop the others
            row.error = (
                f"{path}: cannot read it ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
            )
            return row
        try:
            best, row.score, per_frame = self.detector.best_track(tracks)  # one face track unless every_face
            crops = tracks[best]
        except Exception as error:  # noqa: BLE001 - a scoring failure is this file's row, not the call's end
            row.error = f"{path}: scoring failed ({type(error).__name__}: {error})"
            return row
        row.frames_used = len(per_frame)
        row.label_pred = "fake" if row.score > threshold else "real"
        if strips_dir is not None:
            self.save_strip(path, crops, per_frame, row.score, strips_dir)
        return row

    def score_whole_video(self, path: Path, row: Prediction, threshold: float) -> Prediction:
        try:
            row.score, per_frame = self.detector.score_video(path)
        except Exception as error:  # noqa: BLE001 - one unreadable file must not stop the others
            row.error = (
                f"{path}: cannot read it ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
            )
            return row
        row.frames_used = len(per_frame)
        row.label_pred = "fake" if row.score > threshold else "real"
        return row

    def video_crops(self, path: Path) -> tuple[list[np.ndarray], int]:
        """The crops of the video's main face track (with every_face, of each track, the main first) and in how
        many frames the main face was detected."""
        from dataclasses import replace

        from dfutils.faces.tracking import extract_video

        crops = extract_video(path, path.name, replace(self.extraction, every_face=self.every_face))
        if not crops.detected.any():
            raise UserInputError(f"no face found in {len(crops.frame_indices)} sampled frames")
        return [crops.crops, *(other.crops for other in crops.others)], int(crops.detected.sum())

    def image_crop(self, path: Path) -> tuple[np.ndarray, int]:
        """The image's main face cropped as in training, or the whole image when no face is found (a face crop)."""
        import cv2

        from dfutils.faces.detectors import detect_downscaled, get_detector
        from dfutils.faces.tracking import square_crop

        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if pixels is None:
            raise UserInputError(f"{path}: not a readable image")
        image = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
        settings = self.extraction
        faces = [
            face
            for face in detect_downscaled(get_detector(settings.detector), image[None], settings.detect_side)[0]
            if face["score"] >= settings.score_threshold
        ]
        if not faces:
            return cv2.resize(image, (settings.size, settings.size), interpolation=cv2.INTER_AREA)[None], 0
        main = max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]) * f["score"])
        return square_crop(image, main["box"], settings.margin, settings.margin_px, settings.size)[None], len(faces)

    def save_strip(self, path: Path, crops: np.ndarray, per_frame: np.ndarray, score: float, strips_dir: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from dfutils.evaluation.plots import plot_frame_strip
        from dfutils.nets.clips import fit_clip

        shown = fit_clip(crops, len(per_frame), 64).astype(np.uint8)
        figure = plot_frame_strip(per_frame, shown, title=f"{path.name}: video score {score:.3f} ({self.architecture})")
        strips_dir.mkdir(parents=True, exist_ok=True)
        out = strips_dir / f"{path.name}.png"
        figure.savefig(out, dpi=90, bbox_inches="tight")
        plt.close(figure)
        return out


def predict_videos(model_path: str | Path, inputs: list[str], out: str | Path | None = None,
                   strips_dir: str | Path | None = None, progress: bool = True, *, every_face: bool) -> pd.DataFrame:
    """Score every video (``every_face``: by its most confident face track); returns (and writes to ``out``) the
    prediction table."""
    from dfutils.progress import progress_bar

    paths = expand_inputs(inputs)
    if not paths:
        raise UserInputError(f"no files in {', '.join(inputs)}")
    scorer = VideoScorer(model_path, every_face=every_face)
    rows = []
    for path in progress_bar(paths, desc="scoring", unit="video", disable=not progress):
        rows.append(asdict(scorer.score(path, Path(strips_dir) if strips_dir else None)))
        if out:  # rewritten after every video, so an interrupted call keeps what it scored
            write_table(pd.DataFrame(rows, columns=PREDICTION_COLUMNS), out)
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


def write_table(table: pd.DataFrame, out: str | Path) -> None:
    write_csv(table, out)
