"""Folders of face crops packed into the crop cache, and how their crops were cut.

- packs a video's crops (found by :mod:`dfutils.data.crop_folders`) into the extractor's cache
  format (:func:`pack_crops`), resized to a profile's crop size, so every detector trains on them
  unchanged;
- estimates how the crops were cut (:func:`crop_geometry`: the detector run on the crops; face box
  size and position), so that crops cut from videos at evaluation can be made to look alike.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.errors import UserInputError


@dataclass(frozen=True)
class PackSettings:
    """How a crop folder's images become cache files: the side they are resized to and the codec."""

    size: int = 240
    codec: str = "jpeg"
    quality: int = 95
    keep: float = 1.0  # the centred share of each crop's side kept: crops cut looser than a model's are cut to match
    crf: int = 0  # re-encode a video's crops as one H.264 clip at this CRF (dfutils.faces.compression); 0: off
    crf_side: int = 0  # ... at this side in pixels (the crop's size in its source video); 0: the crops' own

    def key(self) -> str:
        from dfutils.faces.extraction_settings import EXTRACTION_VERSION

        values = asdict(self)
        if not self.crf:  # not re-encoded: the setting plays no part
            del values["crf"], values["crf_side"]
        return hashlib.sha1(json.dumps({"pack": 1, "version": EXTRACTION_VERSION, **values},
                                       sort_keys=True).encode()).hexdigest()[:12]


def read_image(path: str | Path, size: int | None, keep: float = 1.0) -> np.ndarray:
    """An image file as an RGB ``size`` x ``size`` crop: the centred square of a non-square image (only the
    centred ``keep`` share of its side), resized (``size`` None: at its own pixels)."""
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        raise UserInputError(f"{path}: not a readable image")
    height, width = pixels.shape[:2]
    side = max(1, round(min(height, width) * min(keep, 1.0)))
    top, left = (height - side) // 2, (width - side) // 2
    square = cv2.cvtColor(pixels[top:top + side, left:left + side], cv2.COLOR_BGR2RGB)
    if size is None or side == size:
        return square
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_LINEAR)


def _files_key(files: list[str], settings: PackSettings) -> str:
    parts = []
    for file in files:
        stat = Path(file).stat()
        parts.append(f"{Path(file).resolve()}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha1(("\n".join(parts) + settings.key()).encode()).hexdigest()[:20]


def pack_video(video_id: str, files: list[str], out: Path, settings: PackSettings, extraction: dict) -> dict:
    """One video's crops into the cache (skipped when its cache file exists); a faces-table row, never raises."""
    from dfutils.faces.crop_files import (
        FaceCrops,
        as_cached,
        cache_path,
        cached_summary,
        save_crops,
    )

    row = {"video_id": video_id, "frames_sampled": 0, "frames_with_face": 0, "faces_seen": 0, "tracks": 0,
           "status": "failed", "error": "", "crops": ""}
    try:
        target = cache_path(out, video_id, _files_key(files, settings))
        summary = cached_summary(target)
        if summary is not None:
            return {**row, **summary, "status": "cached", "crops": target.relative_to(out).as_posix()}
        crops, errors, used = [], [], []
        for position, file in enumerate(files):
            try:
                crops.append(read_image(file, None if settings.crf else settings.size, settings.keep))
                used.append(position)
            except UserInputError as error:
                errors.append(str(error))
        if not crops:
            return {**row, "error": f"no readable crop: {errors[0] if errors else 'no files'}"}
        stack, encoded = as_cached(reencoded(crops, settings) if settings.crf else np.stack(crops), settings.codec,
                                   settings.quality)
        count = len(stack)
        recorded = {**extraction, "codec": settings.codec, "quality": settings.quality}  # how the file is encoded
        result = FaceCrops(
            video_id,
            stack,
            np.array(used),
            np.tile([0.0, 0.0, settings.size, settings.size], (count, 1)),
            np.ones(count, bool),
            1,
            len(files),
            recorded,
            encoded,
        )
        save_crops(result, target)
        error = f"{len(errors)} of {len(files)} crops unreadable: {errors[0]}" if errors else ""
        return {**row, **result.summary(), "status": "ok", "error": error, "crops": target.relative_to(out).as_posix()}
    except Exception as error:  # noqa: BLE001 - one bad video must not end the run
        return {**row, "error": f"{type(error).__name__}: {error}"}


def reencoded(squares: list[np.ndarray], settings: PackSettings) -> np.ndarray:
    """A video's crops (squares of any size, in frame order) as one H.264 clip at ``settings.crf``, encoded at
    ``settings.crf_side`` (or their median side), at ``settings.size``."""
    from dfutils.faces.compression import h264_roundtrip, resize_crops

    side = settings.crf_side or int(np.median([square.shape[0] for square in squares]))
    clip = np.stack([resize_crops(square[None], side)[0] for square in squares])
    return resize_crops(h264_roundtrip(clip, settings.crf), settings.size)


def pack_crops(index: pd.DataFrame, members: pd.DataFrame, out: str | Path, settings: PackSettings,
               extraction: dict, progress: bool = True) -> pd.DataFrame:
    """Pack every crop video of ``index`` into ``out/crops/``; returns the extractor's faces table for them.

    ``extraction`` is what the cache files record as their extraction settings (the settings that cut
    crops alike from videos, see :func:`matching_extraction`); a finished video is skipped, so a killed
    run resumes.
    """
    from dfutils.atomic import exclusive, stray_temporaries
    from dfutils.faces.crop_files import FACES_COLUMNS
    from dfutils.progress import progress_bar

    out = Path(out).resolve()
    (out / "crops").mkdir(parents=True, exist_ok=True)
    files_of = members.groupby("video_id", sort=False)["file"].apply(list).to_dict()
    rows = []
    with exclusive(out, "packing crops"):
        for stray in stray_temporaries(out / "crops"):
            stray.unlink(missing_ok=True)
        for video_id in progress_bar(index["video_id"], desc="packing crops", unit="video", disable=not progress):
            files = files_of.get(video_id)
            if not files:
                rows.append(
                    {
                        "video_id": video_id,
                        "frames_sampled": 0,
                        "frames_with_face": 0,
                        "faces_seen": 0,
                        "tracks": 0,
                        "status": "failed",
                        "error": "no crop files listed for this video",
                        "crops": "",
                    }
                )
                continue
            rows.append(pack_video(video_id, files, out, settings, extraction))
    return pd.DataFrame(rows, columns=FACES_COLUMNS)


# --------------------------------------------------------------------------- how the crops were cut
def crop_geometry(files: list[str], detector: str, confident: float = 0.9) -> dict:
    """Run the face detector on crops and say how they were cut: the median crop side over the face box's
    longer side (``side_ratio``; the extractor's ``1 + margin``) and the box centre's offset from the crop
    centre in box sides (``offset_x``, ``offset_y``; positive: the face sits right of / below the centre)."""
    import cv2

    from dfutils.faces.detectors import get_detector

    images = []
    for file in files:
        pixels = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if pixels is not None:
            images.append(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))
    ratios, offsets_x, offsets_y = [], [], []
    model = get_detector(detector)
    for image in images:
        # detectors clip boxes to the image: a tight crop is padded (by half its side) so the box can overflow it
        height, width = image.shape[:2]
        pad = max(height, width) // 2
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        faces = [
            face for face in model.detect([padded])[0] if face["score"] >= confident
        ]  # measured on sure faces only
        if not faces:
            continue
        x0, y0, x1, y1 = (
            v - pad for v in max(faces, key=lambda f: (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]))["box"]
        )
        side = max(x1 - x0, y1 - y0)
        ratios.append(min(height, width) / side)
        offsets_x.append(((x0 + x1) / 2 - width / 2) / side)
        offsets_y.append(((y0 + y1) / 2 - height / 2) / side)
    if not ratios:  # nothing to match: the caller keeps its settings (and says so)
        return {"detector": detector, "crops_tried": len(images), "faces_found": 0, "side_ratio": None}
    return {
        "detector": detector,
        "crops_tried": len(images),
        "faces_found": len(ratios),
        "side_ratio": float(np.median(ratios)),
        "side_ratio_iqr": float(np.subtract(*np.percentile(ratios, [75, 25]))),
        "offset_x": float(np.median(offsets_x)),
        "offset_y": float(np.median(offsets_y)),
    }


def matching_keep(geometry: dict, margin: float) -> float:
    """The centred share of a crop folder's side to keep so that its crops look like crops cut with
    ``margin`` (a face box side over the crop side of ``1 / (1 + margin)``): 1 when they are already as
    tight or tighter (a crop cannot be widened)."""
    return float(min(1.0, (1.0 + margin) / geometry["side_ratio"]))


def matching_extraction(geometry: dict, base):
    """``base`` (:class:`~dfutils.faces.extraction_settings.ExtractionSettings`) with the margin that cuts crops from
    videos the way :func:`crop_geometry` measured the packed crops were cut (the crop side over the face box)."""
    from dataclasses import replace

    return replace(base, detector=geometry["detector"], margin=round(geometry["side_ratio"] - 1, 3))


def source_side(geometry: dict, settings, keep: float = 1.0) -> int:
    """The side packed crops had in their source video, for re-encoding them there: a face box of
    ``settings.crf_face_side`` pixels times their measured side over the box (0: unknown, the crops' own)."""
    from dfutils.faces.compression import encoding_side

    if not settings.crf or not settings.crf_face_side or not geometry.get("side_ratio"):
        return 0
    return encoding_side(settings.crf_face_side, geometry["side_ratio"] * keep)


def sample_files(members: pd.DataFrame, count: int, seed: int) -> list[str]:
    """``count`` crop files drawn evenly over the videos (one per video first), seeded."""
    from dfutils.seeding import rng

    first = members.groupby("video_id", sort=True)["file"].apply(list)
    generator = rng(seed, "crop-geometry")
    picks = [files[int(generator.integers(len(files)))] for files in first]
    order = generator.permutation(len(picks))
    return [picks[k] for k in order[:count]]
