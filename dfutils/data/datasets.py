"""Read the official dataset layouts into one index table, with leak-free splits.

Every indexer returns a :class:`pandas.DataFrame` with the columns of
``INDEX_COLUMNS`` (one row per video present on disk) and keeps the files it
could not use in ``df.attrs["missing"]`` (see :func:`missing_files`): a
partial download is normal for a 470 GB dataset and is reported, not fatal.

Conventions: ``label`` 1 = fake, 0 = real; ``video_id`` is the path relative
to the dataset root; ``group`` is the leak-free key (the original video a
fake was made from, or the identity), and no group is ever on two sides of a
split; ``split`` is ``train``, ``val`` or ``test``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from dfutils.errors import DatasetError
from dfutils.seeding import rng

INDEX_COLUMNS = [
    "video_id", "path", "label", "dataset", "method", "compression", "original", "group", "split",
]
MISSING_COLUMNS = ["video_id", "path", "reason"]
SPLITS = ("train", "val", "test")
DATASETS = ("dfdc", "celebdf", "ffpp", "faces")
# FF++'s official split has 720/140/140 originals; the fallback uses the same shares.
DEFAULT_FRACTIONS = {"train": 0.72, "val": 0.14, "test": 0.14}

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter", "DeepFakeDetection")
FFPP_COMPRESSIONS = ("raw", "c0", "c23", "c40")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


# --------------------------------------------------------------------------- helpers
def safe_relative(entry: str, source: Path) -> str:
    """``entry`` as a clean path relative to the dataset root, or DatasetError naming it.

    Metadata comes from downloads; an entry that is absolute or climbs out of
    the root (``../``) must never make the indexer read elsewhere.
    """
    text = str(entry).strip().replace("\\", "/")
    pure = PurePosixPath(text)
    if not text or pure.is_absolute() or re.match(r"^[A-Za-z]:", text) or ".." in pure.parts:
        raise DatasetError(f"{source}: entry {entry!r} escapes the dataset root; refusing to read it")
    return pure.as_posix()


def read_text(path: Path) -> str:
    """A metadata or list file as text: UTF-8 with or without a byte-order mark (Windows tools write one); any
    other encoding is one line naming the file and where it stops being UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # the codec counts after the mark
        line = data[:at].count(b"\n") + 1
        raise DatasetError(f"{path}: not UTF-8 text (byte 0x{data[at]:02x} on line {line}); save it as UTF-8") from None


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A CSV file (UTF-8, a byte-order mark allowed); malformed or non-UTF-8 is one line naming the file."""
    from io import StringIO

    try:
        return pd.read_csv(StringIO(read_text(path)), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DatasetError(f"{path}: malformed CSV: {error}") from None


def _read_json(path: Path):
    text = read_text(path)
    if not text.strip():
        raise DatasetError(f"{path}: file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}") from None


def _frame(rows: list[dict], missing: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    df["label"] = df["label"].astype("int64")
    df = df.sort_values("video_id", kind="stable").reset_index(drop=True)
    df.attrs["missing"] = sorted(missing, key=lambda row: row["video_id"])
    return df


def missing_files(df: pd.DataFrame) -> pd.DataFrame:
    """The files an indexer found listed (or implied) but absent, with the reason."""
    return pd.DataFrame(df.attrs.get("missing", []), columns=MISSING_COLUMNS)


def grouped_split(
    groups: Iterable[str], seed: int, fractions: dict[str, float] | None = None
) -> dict[str, str]:
    """Assign whole groups to train/val/test at random (seeded).

    Groups are sorted before shuffling, so the answer depends only on the set of
    groups and the seed. With three or more groups, val and test get at least one.
    """
    fractions = dict(fractions or DEFAULT_FRACTIONS)
    if set(fractions) != set(SPLITS) or any(v < 0 for v in fractions.values()) or sum(fractions.values()) <= 0:
        raise ValueError(f"fractions must give non-negative shares for {SPLITS}, got {fractions}")
    unique = sorted(set(groups))
    order = rng(seed, "grouped_split").permutation(len(unique))
    shuffled = [unique[i] for i in order]
    total = sum(fractions.values())
    count = len(shuffled)
    n_test = round(count * fractions["test"] / total)
    n_val = round(count * fractions["val"] / total)
    if count >= 3:
        n_test = max(n_test, 1 if fractions["test"] > 0 else 0)
        n_val = max(n_val, 1 if fractions["val"] > 0 else 0)
    n_test = min(n_test, count)
    n_val = min(n_val, count - n_test)
    assignment = {}
    for position, group in enumerate(shuffled):
        if position < n_test:
            assignment[group] = "test"
        elif position < n_test + n_val:
            assignment[group] = "val"
        else:
            assignment[group] = "train"
    return assignment


def follow_split(df: pd.DataFrame, reference: pd.DataFrame, seed: int,
                 fractions: dict[str, float] | None = None) -> pd.DataFrame:
    """``df`` split as ``reference`` is for the people both show, the rest by a seeded split of whole groups.

    Two runs over the same people (the same FF++ videos at two compressions, say) can then be scored on
    each other's test splits without testing anyone a model trained on. People are read from the video
    names (:func:`dfutils.data.crop_folders.people_of`); a group whose people the reference put on several
    sides goes to the first of test, val and train among them (counted in ``attrs["notes"]``).
    """
    from dfutils.data.crop_folders import people_of

    side_of: dict[str, set[str]] = {}
    for video_id, label, split in zip(reference["video_id"], reference["label"], reference["split"], strict=True):
        for person in people_of(video_id, int(label)):
            side_of.setdefault(person, set()).add(split)
    sides: dict[str, set[str]] = {}
    for video_id, label, group in zip(df["video_id"], df["label"], df["group"], strict=True):
        found = sides.setdefault(group, set())
        for person in people_of(video_id, int(label)):
            found |= side_of.get(person, set())
    followed = {group: next(s for s in ("test", "val", "train") if s in found) for group, found in sides.items() if found}
    rest = [group for group in sides if group not in followed]
    df = df.copy()
    df["split"] = df["group"].map({**grouped_split(rest, seed, fractions), **followed} if rest else followed)
    conflicts = sum(len(found) > 1 for found in sides.values())
    df.attrs["notes"] = [*df.attrs.get("notes", []),
                         f"{len(followed)} of {len(sides)} groups share people with the reference split and follow it"
                         + (f" ({conflicts} touch several of its sides: put on the first of test, val, train)"
                            if conflicts else "")]
    check_no_leak(df)
    return df


def check_no_leak(df: pd.DataFrame) -> None:
    """Raise ValueError if any video or group appears in more than one split."""
    for column in ("video_id", "group"):
        spread = df.groupby(column)["split"].nunique()
        leaking = spread[spread > 1]
        if len(leaking):
            examples = ", ".join(map(str, leaking.index[:5]))
            raise ValueError(f"{len(leaking)} {column} value(s) span several splits: {examples}")


# --------------------------------------------------------------------------- DFDC
def _dfdc_part(folder_name: str) -> int | None:
    match = re.fullmatch(r"dfdc_train_part_(\d+)", folder_name)
    return int(match.group(1)) if match else None


def index_dfdc(
    root: str | Path,
    *,
    seed: int = 0,
    split_by: str = "group",
    val_parts: Iterable[int] = (),
    test_parts: Iterable[int] = (),
    fractions: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Index a DFDC download (full release parts, Kaggle sample, full test set).

    Reads every ``dfdc_train_part_*/metadata.json`` and
    ``train_sample_videos/metadata.json`` below ``root`` and, if present,
    ``test/labels.csv``. Fakes are grouped with their original. ``split_by``:
    ``"group"`` (seeded split of whole families) or ``"part"`` (``val_parts`` /
    ``test_parts`` name part numbers, the rest is train, as the DFDC winners
    did). Videos of the official test set are always ``test``.
    """
    root = Path(root).resolve()  # absolute paths: the index works from any folder
    if not root.is_dir():
        raise DatasetError(f"{root}: DFDC root folder not found")
    if split_by not in ("group", "part"):
        raise DatasetError(f"split_by: expected 'group' or 'part', got {split_by!r}")
    val_parts, test_parts = set(val_parts), set(test_parts)
    metadata_files = sorted(root.glob("dfdc_train_part_*/metadata.json"), key=lambda p: (_dfdc_part(p.parent.name) or -1, str(p)))
    metadata_files += sorted(root.glob("train_sample_videos/metadata.json"))
    labels_csv = root / "test" / "labels.csv"
    if not metadata_files and not labels_csv.is_file():
        raise DatasetError(
            f"{root}: no DFDC metadata found (expected dfdc_train_part_N/metadata.json, "
            "train_sample_videos/metadata.json or test/labels.csv)"
        )
    rows, missing = [], []
    part_of: dict[str, int | None] = {}
    for metadata_path in metadata_files:
        metadata = _read_json(metadata_path)
        if not isinstance(metadata, dict) or not metadata:
            raise DatasetError(f"{metadata_path}: expected a non-empty JSON object keyed by file name")
        folder = metadata_path.parent
        for file_name, entry in metadata.items():
            relative = safe_relative(f"{folder.name}/{safe_relative(file_name, metadata_path)}", metadata_path)
            if not isinstance(entry, dict) or str(entry.get("label", "")).upper() not in ("FAKE", "REAL"):
                raise DatasetError(f"{metadata_path}: entry {file_name!r} needs a label FAKE or REAL, got {entry!r}")
            label = 1 if entry["label"].upper() == "FAKE" else 0
            original_name = entry.get("original") if label else None
            original = (
                f"{folder.name}/{safe_relative(original_name, metadata_path)}" if original_name else ""
            )
            path = root / relative
            if not path.is_file():
                missing.append({"video_id": relative, "path": str(path), "reason": f"listed in {metadata_path.relative_to(root)}, file absent"})
                continue
            part_of[relative] = _dfdc_part(folder.name)
            rows.append({
                "video_id": relative, "path": str(path), "label": label, "dataset": "dfdc",
                "method": "unknown" if label else "real", "compression": "release",
                "original": original, "group": f"dfdc/{original or relative}", "split": "",
            })
    if labels_csv.is_file():
        labels = read_csv(labels_csv, dtype={"filename": str})
        if not {"filename", "label"} <= set(labels.columns):
            raise DatasetError(f"{labels_csv}: expected columns filename,label, got {','.join(map(str, labels.columns))}")
        for line, (file_name, label) in enumerate(zip(labels["filename"], labels["label"], strict=True), start=2):
            if label not in (0, 1):
                raise DatasetError(f"{labels_csv}: line {line}: label must be 0 or 1, got {label!r}")
            relative = f"test/{safe_relative(file_name, labels_csv)}"
            path = root / relative
            if not path.is_file():
                missing.append({"video_id": relative, "path": str(path), "reason": "listed in test/labels.csv, file absent"})
                continue
            part_of[relative] = None
            rows.append({
                "video_id": relative, "path": str(path), "label": int(label), "dataset": "dfdc",
                "method": "unknown" if label else "real", "compression": "release",
                "original": "", "group": f"dfdc/{relative}", "split": "test",
            })
    df = _frame(rows, missing)
    todo = df["split"] == ""
    if split_by == "part":
        def by_part(video_id: str) -> str:
            part = part_of.get(video_id)
            return "test" if part in test_parts else "val" if part in val_parts else "train"
        df.loc[todo, "split"] = df.loc[todo, "video_id"].map(by_part)
        # a family split across parts would leak: keep each group where most of it is
        df.loc[todo, "split"] = df[todo].groupby("group")["split"].transform(lambda s: s.mode().iloc[0])
    else:
        assignment = grouped_split(df.loc[todo, "group"], seed, fractions)
        df.loc[todo, "split"] = df.loc[todo, "group"].map(assignment)
    check_no_leak(df)
    return df


# --------------------------------------------------------------------------- Celeb-DF
CELEBDF_FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}
CELEBDF_TEST_LIST = "List_of_testing_videos.txt"


def _celebdf_identity(folder: str, stem: str) -> tuple[str, str]:
    """(group, original video_id) of a Celeb-DF video from its name."""
    if folder == "Celeb-synthesis":
        match = re.fullmatch(r"(id\d+)_(id\d+)_(\d+)", stem)
        if not match:
            return f"celebdf/{folder}/{stem}", ""
        target, _source, number = match.groups()
        return f"celebdf/{target}", f"Celeb-real/{target}_{number}.mp4"
    if folder == "Celeb-real":
        match = re.fullmatch(r"(id\d+)_\d+", stem)
        return (f"celebdf/{match.group(1)}" if match else f"celebdf/{folder}/{stem}"), ""
    return f"celebdf/{folder}/{stem}", ""  # YouTube-real: identity unknown, one group per video


def read_celebdf_test_list(path: Path, real_label: int = 1) -> dict[str, int]:
    """``List_of_testing_videos.txt`` as {video_id: label with 1 = fake}.

    The official file writes ``1 = real`` (``real_label=1``), has no header and
    no trailing newline; every line, the first included, is a video.
    """
    if real_label not in (0, 1):
        raise DatasetError(f"real_label: expected 0 or 1, got {real_label!r}")
    text = read_text(path)
    listed: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or parts[0] not in ("0", "1"):
            raise DatasetError(f"{path}: line {number}: expected '<0|1> <folder>/<file>.mp4', got {line.strip()!r}")
        video_id = safe_relative(parts[1], path)
        listed[video_id] = 0 if int(parts[0]) == real_label else 1
    if not listed:
        raise DatasetError(f"{path}: file is empty")
    return listed


CELEBDF_PROTOCOLS = ("official", "identity-disjoint")


def index_celebdf(
    root: str | Path,
    *,
    seed: int = 0,
    real_label: int = 1,
    fractions: dict[str, float] | None = None,
    protocol: str = "official",
) -> pd.DataFrame:
    """Index Celeb-DF (v2): the three folders and the official test list.

    ``protocol="official"`` (the default, as Paper B and every published
    Celeb-DF figure): exactly the videos of ``List_of_testing_videos.txt`` are
    the test set; every other video goes to train or val, whole identities at
    random (seeded). The official list tests on 56 of the 59 identities, so
    most test identities also appear in training: that overlap is part of the
    protocol, counted in ``df.attrs["notes"]`` (printed by ``dfutils data
    index``), not hidden. The test videos' ``group`` is their identity within
    the test list (``celebdf-test/idN``), so no group spans two splits.

    ``protocol="identity-disjoint"``: every video of an identity the list tests
    on goes to test (a superset of the list), so no face of the test set is ever
    trained on; the notes say how many videos that moves out of training.

    Groups are identities (a fake ``idA_idB_NNNN`` belongs to ``idA``, the person
    in the target video). The list's labels are checked against the folders: a
    list whose labels all disagree says to flip ``real_label``.
    """
    if protocol not in CELEBDF_PROTOCOLS:
        raise DatasetError(f"protocol: unknown {protocol!r}; expected one of {', '.join(CELEBDF_PROTOCOLS)}")
    root = Path(root).resolve()  # absolute paths: the index works from any folder
    if not root.is_dir():
        raise DatasetError(f"{root}: Celeb-DF root folder not found")
    present = [folder for folder in CELEBDF_FOLDERS if (root / folder).is_dir()]
    if not present:
        raise DatasetError(f"{root}: none of the Celeb-DF folders {', '.join(CELEBDF_FOLDERS)} is here")
    rows = []
    listed_as: dict[str, str] = {}  # video_id -> the name the test list uses (<folder>/<file>)
    for folder in present:
        # the release puts the videos straight in each folder; some tools' instructions add a videos/ level
        for where in (root / folder, root / folder / "videos"):
            for path in sorted(where.iterdir()) if where.is_dir() else []:
                if path.suffix.lower() not in VIDEO_SUFFIXES or not path.is_file():
                    continue
                group, original = _celebdf_identity(folder, path.stem)
                label = CELEBDF_FOLDERS[folder]
                video_id = path.relative_to(root).as_posix()
                listed_as[video_id] = f"{folder}/{path.name}"
                rows.append({
                    "video_id": video_id, "path": str(path), "label": label,
                    "dataset": "celebdf", "method": "Celeb-synthesis" if label else "real",
                    "compression": "release", "original": original, "group": group, "split": "",
                })
    if not rows:
        raise DatasetError(f"{root}: no videos in {', '.join(f'{folder}/ or {folder}/videos/' for folder in present)} "
                           f"(expected the Celeb-DF v2 layout: {LAYOUTS['celebdf']})")
    df = _frame(rows, [])
    # the list is matched without regard to case (a copy made on Windows or macOS may write .MP4 for .mp4): a
    # listed video on disk is always tested, never trained on
    as_listed = df["video_id"].map(listed_as).str.lower()
    missing, notes = [], []
    test_list = root / CELEBDF_TEST_LIST
    listed: dict[str, int] = {}
    if test_list.is_file():
        as_written = read_celebdf_test_list(test_list, real_label)
        listed = {video.lower(): label for video, label in as_written.items()}
        folder_label = dict(zip(as_listed, df["label"], strict=True))
        compared = [(vid, label) for vid, label in as_written.items() if vid.lower() in folder_label]
        disagree = [vid for vid, label in compared if folder_label[vid.lower()] != label]
        if compared and len(disagree) == len(compared):
            raise DatasetError(
                f"{test_list}: every label disagrees with its folder; the file's convention looks "
                f"inverted (real_label={real_label}); try real_label={1 - real_label}"
            )
        if disagree:
            raise DatasetError(f"{test_list}: label disagrees with the folder for {disagree[0]} (and {len(disagree) - 1} more)")
        for video_id in as_written:
            if video_id.lower() not in folder_label:
                missing.append({"video_id": video_id, "path": str(root / video_id), "reason": f"listed in {CELEBDF_TEST_LIST}, file absent"})
    in_list = as_listed.isin(listed)
    test_groups = set(df.loc[in_list, "group"])
    if protocol == "official":
        df.loc[in_list, "split"] = "test"
    else:
        df["split"] = np.where(df["group"].isin(test_groups), "test", "")
        moved = int((df["split"].eq("test") & ~in_list).sum())
        notes.append(f"identity-disjoint protocol: every video of the {len(test_groups)} identities the official list "
                     f"tests on is tested, which moves {moved} unlisted videos from training to test "
                     f"({int(df['split'].eq('test').sum())} test videos instead of {int(in_list.sum())})")
    todo = df["split"] == ""
    if listed:
        # the test set is fixed by the list: share the rest between train and val
        shares = dict(fractions or DEFAULT_FRACTIONS)
        fractions = {"train": shares["train"], "val": shares["val"], "test": 0.0}
    assignment = grouped_split(df.loc[todo, "group"], seed, fractions)
    df.loc[todo, "split"] = df.loc[todo, "group"].map(assignment)
    if protocol == "official" and listed:
        people = {group for group in test_groups if group.startswith("celebdf/id")}  # YouTube-real: one group a video
        overlap = sorted(people & set(df.loc[df["split"] == "train", "group"]))
        notes.append(f"official protocol: the {int(in_list.sum())} listed videos are the test set; {len(overlap)} of its "
                     f"{len(people)} identities also appear in training "
                     f"({int(df['group'].isin(overlap).sum() - df.loc[in_list, 'group'].isin(overlap).sum())} "
                     "videos of theirs are not listed), as in every published Celeb-DF figure; "
                     "`--protocol identity-disjoint` tests every video of those identities instead")
        df.loc[in_list, "group"] = df.loc[in_list, "group"].str.replace("celebdf/", "celebdf-test/", regex=False)
    df.attrs["missing"] = sorted(missing, key=lambda row: row["video_id"])
    df.attrs["notes"] = notes
    check_no_leak(df)
    return df


# --------------------------------------------------------------------------- FaceForensics++
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
        pairs = _read_json(path)
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
    root = Path(root).resolve()  # absolute paths: the index works from any folder
    if not root.is_dir():
        raise DatasetError(f"{root}: FaceForensics++ root folder not found")
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
        return sorted(p for p in folder.glob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()) if folder.is_dir() else []

    rows, missing = [], []
    for source in ("youtube", "actors"):
        for compression in compressions:
            for path in videos(root / "original_sequences" / source / compression / "videos"):
                rows.append({
                    "video_id": path.relative_to(root).as_posix(), "path": str(path), "label": 0,
                    "dataset": "ffpp", "method": "real", "compression": compression, "original": "",
                    "group": f"ffpp/{source}/{path.stem}", "split": "",
                })
    present = {row["video_id"] for row in rows}
    number_of: dict[str, str] = {row["video_id"]: row["group"].rsplit("/", 1)[1] for row in rows}
    for method in methods:
        source = "actors" if method == "DeepFakeDetection" else "youtube"
        for compression in compressions:
            for path in videos(root / "manipulated_sequences" / method / compression / "videos"):
                video_id = path.relative_to(root).as_posix()
                parts = _ffpp_fake_parts(method, path.stem)
                if parts is None:
                    missing.append({"video_id": video_id, "path": str(path), "reason": f"name {path.name} is not <target>_<source> for {method}; left out"})
                    continue
                target, _ = parts
                original = f"original_sequences/{source}/{compression}/videos/{target}.mp4"
                if original not in present:
                    missing.append({"video_id": original, "path": str(root / original), "reason": f"original {target} of {video_id} is absent"})
                number_of[video_id] = path.stem
                rows.append({
                    "video_id": video_id, "path": str(path), "label": 1, "dataset": "ffpp",
                    "method": method, "compression": compression, "original": original,
                    "group": f"ffpp/{source}/{target}", "split": "",
                })
    if not rows:
        raise DatasetError(f"{root}: no videos for compression {', '.join(compressions)} and methods {', '.join(methods)} "
                           f"(expected the FaceForensics++ layout: {LAYOUTS['ffpp']})")
    # one report per absent original, however many fakes point at it
    unique_missing = {row["video_id"]: row for row in reversed(missing)}
    df = _frame(rows, list(unique_missing.values()))

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
    todo = df["split"] == ""
    if todo.any():
        assignment = grouped_split(df.loc[todo, "group"], seed, fractions)
        df.loc[todo, "split"] = df.loc[todo, "group"].map(assignment)
    check_no_leak(df)
    return df


# --------------------------------------------------------------------------- folders of face crops
def index_faces(
    root: str | Path,
    *,
    seed: int = 0,
    pattern: str | None = None,
    fractions: dict[str, float] | None = None,
    split_folders: bool = True,
    check_images: bool = True,
    min_crops: int = 1,
) -> pd.DataFrame:
    """Index a folder of labelled face crops (``<root>/[<split>/]<class>/<file>``), one row per source video.

    Crops are grouped into videos by their names (:mod:`dfutils.data.crop_folders`; ``pattern`` adds a
    user's own regular expression with a ``video`` group), and videos that share a person form one
    leak-free ``group``. Split folders (``train``, ``val``/``valid``, ``test``) are kept when present
    (``split_folders=False`` ignores them); otherwise whole groups get a seeded split. A video's crop
    files, in frame order, are in ``df.attrs["members"]`` (written beside the index by
    :func:`write_index`); unreadable images are left out and reported as missing files. A video of fewer than
    ``min_crops`` crops is left out too, and reported: a clip of k crops repeats a shorter video's, and a
    model that reads clips (or the crop-statistics baseline's motion) can tell a repeated crop from a moving
    face, a cue of how the crops were published rather than of the manipulation (Celeb-DF's reals have about 27
    crops, its fakes about 3).
    """
    from dfutils.data.crop_folders import people_groups, scan

    found = scan(root, pattern=pattern, check_images=check_images)
    if min_crops > 1:
        found = found.without_short_videos(min_crops)
    videos = found.videos
    if videos.empty:
        raise DatasetError(f"{Path(root).resolve()}: no face crops or clips found (expected the layout "
                           f"{LAYOUTS['faces']})")
    videos["group"] = people_groups(videos)
    by_name = {video_id.rsplit("/", 1)[1]: video_id for video_id, label in zip(videos["video_id"], videos["label"],
                                                                              strict=True) if label == 0}
    rows = [{
        "video_id": row.video_id, "path": row.path, "label": int(row.label), "dataset": "faces",
        "method": row.method, "compression": "crops" if row.kind == "crops" else "clip",
        "original": by_name.get(row.original, ""), "group": row.group,
        "split": row.split_folder if split_folders else "",
    } for row in videos.itertuples()]
    df = _frame(rows, found.unusable)
    kept = df["split"] != ""
    if kept.any() and not kept.all():
        raise DatasetError(f"{Path(root).resolve()}: some class folders sit in split folders and some do not; "
                           "put all in split folders or none (or ignore them: split_folders=False)")
    if kept.all():
        spread = df.groupby("group")["split"].nunique()
        if (spread > 1).any():
            raise DatasetError(f"{Path(root).resolve()}: the split folders put the people of {spread[spread > 1].index[0]} "
                               f"(and {int((spread > 1).sum()) - 1} more groups) on several sides; ignore them "
                               "(--ignore-split-folders) for a leak-free split")
    else:
        assignment = grouped_split(df["group"], seed, fractions)
        df["split"] = df["group"].map(assignment)
    df.attrs["members"] = found.members[found.members["video_id"].isin(df["video_id"])].reset_index(drop=True)
    df.attrs["notes"] = [f"{len(found.members)} crop files of {int((df['compression'] == 'crops').sum())} videos "
                         f"and {int((df['compression'] == 'clip').sum())} clips, {df['group'].nunique()} groups of people"]
    if found.other_faces:
        df.attrs["notes"].append(f"{found.other_faces} crops of a frame's second face left out: a clip takes the "
                                 "lowest-numbered face (face_0) of each frame")
    check_no_leak(df)
    return df


INDEXERS = {"dfdc": index_dfdc, "celebdf": index_celebdf, "ffpp": index_ffpp, "faces": index_faces}
# what each indexer expects to find, for the error when it finds no video
LAYOUTS = {
    "dfdc": "dfdc_train_part_N/metadata.json, train_sample_videos/metadata.json or test/labels.csv, beside the mp4 files",
    "celebdf": "Celeb-real/, YouTube-real/, Celeb-synthesis/ (videos in them or in a videos/ folder inside) "
               "and List_of_testing_videos.txt",
    "ffpp": "original_sequences/{youtube,actors}/<compression>/videos/*.mp4 and "
            "manipulated_sequences/<method>/<compression>/videos/*.mp4",
    "faces": "<root>/[<split>/]<class>/<file> with class folders such as real/ and fake/ (or FF++ method names), "
             "images or face-only clips",
}


def index_dataset(dataset: str, root: str | Path, **options) -> pd.DataFrame:
    """Dispatch to the indexer of ``dataset`` (``dfdc``, ``celebdf``, ``ffpp`` or ``faces``); an index
    without a single video is an error saying where it looked and which layout it expected."""
    if dataset not in INDEXERS:
        raise DatasetError(f"dataset: unknown {dataset!r}; expected one of {', '.join(INDEXERS)}")
    df = INDEXERS[dataset](root, **options)
    if df.empty:
        absent = len(missing_files(df))
        raise DatasetError(f"{Path(root).resolve()}: no {dataset} video found"
                           + (f" ({absent} listed but absent)" if absent else "")
                           + f"; expected the layout {LAYOUTS[dataset]}")
    return df


def data_root(folder: str | Path) -> Path:
    """A dataset folder as a profile names it: absolute, or relative to the project root (not to the
    notebooks' working folder), so ``../shared/real-faces/ffpp-256`` means the same from anywhere;
    ``{artifacts}`` stands for the artifacts folder (another run's SynthDF, say)."""
    from dfutils import config

    folder = Path(str(folder).replace("{artifacts}", str(config.ARTIFACTS_DIR))).expanduser()
    return folder if folder.is_absolute() else (config.PROJECT_ROOT / folder).resolve()


def index_request(dataset: str, dataset_root: str, synth_root: Path, seed: int, compressions=(), methods=(),
                  celebdf_protocol: str = "official", fractions: dict | None = None,
                  crop_pattern: str = "", min_crops: int = 1) -> tuple[Path, str, dict]:
    """What a run's dataset parameters ask to index: ``(root folder, indexer, its options)``. SynthDF
    is built at ``synth_root`` unless ``dataset_root`` names a folder, and indexed as FF++ (its layout).
    A dataset folder that does not exist is an error naming it and the parameter."""
    if dataset == "synth":
        root = data_root(dataset_root) if dataset_root else Path(synth_root)
    elif dataset_root:
        root = data_root(dataset_root)
        if not root.is_dir():
            raise DatasetError(f"dataset_root: {root} is not a folder; point the profile's dataset_root (or "
                               f"--set 01_data.dataset_root=...) at your {dataset} download")
    else:
        raise DatasetError(f"dataset_root: required for dataset {dataset!r} (the folder of the official download)")
    indexer = "ffpp" if dataset == "synth" else dataset
    if indexer not in INDEXERS:
        raise DatasetError(f"dataset: unknown {dataset!r}; expected synth or one of {', '.join(INDEXERS)}")
    options: dict = {"seed": seed}
    if fractions:
        options["fractions"] = dict(fractions)
    if indexer == "ffpp":
        options.update(compressions=list(compressions) or None, methods=list(methods) or None)
    if indexer == "celebdf":
        options["protocol"] = celebdf_protocol
    if indexer == "faces" and crop_pattern:
        options["pattern"] = crop_pattern
    if min_crops > 1:
        if indexer != "faces":
            raise DatasetError(f"min_crops applies to folders of face crops (dataset faces), not {dataset!r}")
        options["min_crops"] = min_crops
    return root, indexer, options


def write_index(df: pd.DataFrame, out: str | Path) -> Path | None:
    """Write the index CSV, and ``<name>.missing.csv`` beside it when files were missing."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df[INDEX_COLUMNS].to_csv(out, index=False)
    members = df.attrs.get("members")
    members_path = crop_members_path(out)
    if members is not None:
        members.to_csv(members_path, index=False)
    else:
        members_path.unlink(missing_ok=True)
    missing = missing_files(df)
    missing_path = out.with_name(out.stem + ".missing.csv")
    if len(missing):
        missing.to_csv(missing_path, index=False)
        return missing_path
    missing_path.unlink(missing_ok=True)
    return None


def crop_members_path(index_path: str | Path) -> Path:
    """Where a face-crop index keeps its videos' crop files: ``<index>.crops.csv`` beside it."""
    index_path = Path(index_path)
    return index_path.with_name(index_path.stem + ".crops.csv")


def read_crop_members(index_path: str | Path) -> pd.DataFrame | None:
    """The crop files of a face-crop index (``video_id, file, frame``), or None for an index of videos."""
    path = crop_members_path(index_path)
    if not path.is_file():
        return None
    members = read_csv(path, dtype={"video_id": str, "file": str}, keep_default_na=False)
    if list(members.columns) != ["video_id", "file", "frame"]:
        raise DatasetError(f"{path}: expected columns video_id,file,frame, got {','.join(members.columns)}")
    return members


def read_index(path: str | Path) -> pd.DataFrame:
    """Read an index CSV written by :func:`write_index`, checking its columns."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: index file not found")
    df = read_csv(path, dtype=str, keep_default_na=False)
    absent = [column for column in INDEX_COLUMNS if column not in df.columns]
    if absent:
        raise DatasetError(f"{path}: not an index table, missing column(s) {', '.join(absent)}")
    bad = df.loc[~df["label"].isin(["0", "1"]), "label"]
    if len(bad):
        raise DatasetError(f"{path}: label must be 0 or 1, got {bad.iloc[0]!r}")
    df["label"] = df["label"].astype("int64")
    return df


# --------------------------------------------------------------------------- balancing
def downsample_fakes(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Paper A: keep every real video and as many fakes as reals, drawn at random (seeded)."""
    reals = df[df["label"] == 0]
    fakes = df[df["label"] == 1]
    if len(fakes) > len(reals):
        chosen = rng(seed, "downsample_fakes").choice(len(fakes), size=len(reals), replace=False)
        fakes = fakes.iloc[np.sort(chosen)]
    return pd.concat([reals, fakes]).sort_index()


def bagging_parts(df: pd.DataFrame, parts: int, seed: int) -> list[pd.DataFrame]:
    """Paper B: cut the fakes into ``parts`` near-equal random parts, each paired with all reals."""
    fakes = df[df["label"] == 1]
    reals = df[df["label"] == 0]
    if parts < 1 or parts > len(fakes):
        raise ValueError(f"parts must be between 1 and the number of fakes ({len(fakes)}), got {parts}")
    order = rng(seed, "bagging_parts").permutation(len(fakes))
    return [
        pd.concat([reals, fakes.iloc[np.sort(chunk)]]).sort_index()
        for chunk in np.array_split(order, parts)
    ]


def composition(df: pd.DataFrame) -> pd.DataFrame:
    """Videos per split, method and label: the table behind the class-balance plot."""
    table = (
        df.assign(label_name=df["label"].map({0: "real", 1: "fake"}))
        .groupby(["split", "method", "label_name"], observed=True)
        .size()
        .rename("videos")
        .reset_index()
    )
    table["split"] = pd.Categorical(table["split"], categories=SPLITS, ordered=True)
    return table.sort_values(["split", "label_name", "method"]).reset_index(drop=True)
