"""The FaceForensics++ indexer: original and manipulated sequences by method and compression, the official splits
when given."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dfutils.data.index_files import (
    VIDEO_SUFFIXES,
    MissingFile,
    VideoRow,
    dataset_root,
    index_frame,
    read_json,
)
from dfutils.data.splits import SPLITS, split_index
from dfutils.errors import DatasetError

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter", "DeepFakeDetection")
FFPP_COMPRESSIONS = ("raw", "c0", "c23", "c40")

LAYOUT = ("original_sequences/{youtube,actors}/<compression>/videos/*.mp4 and "
          "manipulated_sequences/<method>/<compression>/videos/*.mp4")


def _ffpp_fake_parts(method: str, stem: str) -> tuple[str, str] | None:
    """(target, source) of a manipulated video's name."""
    if method == "DeepFakeDetection":
        # <target actor>_<source actor>__<scene>__<hash>; original <target actor>__<scene>
        match = re.fullmatch(r"(\w+?)_(\w+?)__(.+?)__\w+", stem)
        return (f"{match.group(1)}__{match.group(3)}", match.group(2)) if match else None
    match = re.fullmatch(r"(\d+)_(\d+)", stem)
    return (match.group(1), match.group(2)) if match else None


def read_ffpp_splits(splits_dir: Path) -> dict[str, str]:
    """The official ``splits/{train,val,test}.json`` as {original number: split}."""
    assignment: dict[str, str] = {}
    for split in SPLITS:
        path = splits_dir / f"{split}.json"
        if not path.is_file():
            raise DatasetError(f"{path}: missing (the splits folder needs train.json, val.json and test.json)")
        pairs = read_json(path)
        if not isinstance(pairs, list):
            raise DatasetError(f"{path}: expected a list of [a, b] pairs")
        for position, pair in enumerate(pairs):
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise DatasetError(f"{path}: item {position}: expected a pair of video numbers, got {pair!r}")
            for number in pair:
                if assignment.get(number, split) != split:
                    raise DatasetError(f"{path}: video {number} is also in {assignment[number]}.json")
                assignment[number] = split
    return assignment


def index_ffpp(
    root: str | Path,
    *,
    seed: int = 0,
    compressions: Iterable[str] | None = None,
    methods: Iterable[str] | None = None,
    fractions: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Index a FaceForensics++ download (or SynthDF, which uses its layout).

    ``compressions`` picks among raw/c0/c23/c40 and ``methods`` among the
    manipulation folders (default: all found). A fake ``T_S`` (target T, source
    S) belongs to the group of its original ``T``; a missing original is
    reported in the missing table. With ``splits/*.json`` present the official
    pairs decide the split (a fake may be named ``a_b`` or ``b_a``); videos the
    official lists do not cover, and every video when the folder is absent, get
    a seeded split grouped by original.
    """
    root = dataset_root(root, "FaceForensics++")
    compressions = tuple(compressions) if compressions else FFPP_COMPRESSIONS
    for compression in compressions:
        if compression not in FFPP_COMPRESSIONS:
            raise DatasetError(f"compression: unknown {compression!r}; expected one of {', '.join(FFPP_COMPRESSIONS)}")
    methods = tuple(methods) if methods else FFPP_METHODS
    for method in methods:
        if method not in FFPP_METHODS:
            raise DatasetError(f"method: unknown {method!r}; expected one of {', '.join(FFPP_METHODS)}")
    if not (root / "original_sequences").is_dir() and not (root / "manipulated_sequences").is_dir():
        raise DatasetError(f"{root}: neither original_sequences/ nor manipulated_sequences/ is here")

    def videos(folder: Path) -> list[Path]:
        return (
            sorted(p for p in folder.glob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
            if folder.is_dir()
            else []
        )

    rows, missing = [], []
    for source in ("youtube", "actors"):
        for compression in compressions:
            for path in videos(root / "original_sequences" / source / compression / "videos"):
                rows.append(VideoRow(path.relative_to(root).as_posix(), str(path), 0, "ffpp", "real", compression, "",
                                     f"ffpp/{source}/{path.stem}"))
    present = {row.video_id for row in rows}
    number_of: dict[str, str] = {row.video_id: row.group.rsplit("/", 1)[1] for row in rows}
    for method in methods:
        source = "actors" if method == "DeepFakeDetection" else "youtube"
        for compression in compressions:
            for path in videos(root / "manipulated_sequences" / method / compression / "videos"):
                video_id = path.relative_to(root).as_posix()
                parts = _ffpp_fake_parts(method, path.stem)
                if parts is None:
                    missing.append(MissingFile(video_id, str(path),
                                               f"name {path.name} is not <target>_<source> for {method}; left out"))
                    continue
                target, _ = parts
                original = f"original_sequences/{source}/{compression}/videos/{target}.mp4"
                if original not in present:
                    missing.append(
                        MissingFile(original, str(root / original), f"original {target} of {video_id} is absent")
                    )
                number_of[video_id] = path.stem
                rows.append(VideoRow(video_id, str(path), 1, "ffpp", method, compression, original,
                                     f"ffpp/{source}/{target}"))
    if not rows:
        raise DatasetError(
            f"{root}: no videos for compression {', '.join(compressions)} and methods {', '.join(methods)} "
            f"(expected the FaceForensics++ layout: {LAYOUT})"
        )
    # one report per absent original, however many fakes point at it
    unique_missing = {row.video_id: row for row in reversed(missing)}
    df = index_frame(rows, list(unique_missing.values()))

    splits_dir = root / "splits"
    if splits_dir.is_dir():
        official = read_ffpp_splits(splits_dir)

        def official_split(video_id: str) -> str:
            stem = number_of[video_id]
            numbers = stem.split("_") if "_" in stem and video_id.startswith("manipulated") else [stem]
            found = {official[n] for n in numbers if n in official}
            return found.pop() if len(found) == 1 else ""

        youtube = ~df["group"].str.startswith("ffpp/actors/")
        df.loc[youtube, "split"] = df.loc[youtube, "video_id"].map(official_split)
        # a whole group follows its original's official split
        df["split"] = df.groupby("group")["split"].transform(lambda s: max(s, key=lambda v: v != ""))
    return split_index(df, seed, fractions)
