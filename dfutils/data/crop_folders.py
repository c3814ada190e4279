"""Folders of face crops that other people already cut, read as videos.

Many public deepfake sets are shared as face crops, not videos, in the layout Keras'
``image_dataset_from_directory`` reads: ``<root>/[<split>/]<class>/<file>`` (or one folder per
video: ``<root>/[<split>/]<class>/<video>/<file>``). This module

- names each class folder's label (and FF++ method) from the usual synonyms (:func:`class_of`);
- groups crops into their **source video** by the known naming schemes (:data:`SCHEMES`: FF++
  ``NNN_k`` / ``TTT_SSS_k``, Celeb-DF ``idX_NNNN`` / ``idX_idY_NNNN`` / YouTube-real ``NNNNN`` with
  ``_frame_k``, DFDC's ten-letter ids, a generic ``<video>_<k>``) or a user's own pattern, in frame
  order; any of them may end in ``_face_j`` (face ``j`` of that frame, :data:`FACE_SUFFIX`), and a
  video's clip takes **one face per frame**, the lowest-numbered (see :func:`one_face_per_frame`);
- finds the **people** of each video, so that the leak-free group of a video is every video that
  shares a person with it (FF++: ``000``, ``003``, ``000_003`` and ``003_000`` are one group, as the
  official FF++ splits keep them);

:func:`dfutils.data.datasets.index_faces` builds the index table from :func:`scan`;
:mod:`dfutils.faces.packing` packs the crops into the crop cache.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from dfutils.data.ffpp import FFPP_METHODS
from dfutils.data.index_files import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    MissingFile,
    VideoRow,
    file_digest,
    index_frame,
)
from dfutils.data.splits import DEFAULT_FRACTIONS, split_index
from dfutils.errors import DatasetError

# what archivers and file managers leave beside the data: macOS zips' resource forks (__MACOSX/, ._name), Windows'
# thumbnail caches (Thumbs.db, desktop.ini), hidden folders (.ipynb_checkpoints, .DS_Store...): never data
IGNORED_NAMES = ("__macosx", "thumbs.db", "desktop.ini")


def ignored(name: str) -> bool:
    """Whether a file or folder name is one of the leftovers of :data:`IGNORED_NAMES` or hidden."""
    return name.startswith(".") or name.lower() in IGNORED_NAMES
LAYOUT = ("<root>/[<split>/]<class>/<file> with class folders such as real/ and fake/ (or FF++ method names), "
          "images or face-only clips; or crops anywhere below <root> with their labels in <root>/metadata.csv, "
          "metadata.json or labels.csv")
# class folder name (lower case) -> label; FF++ method names are fakes of that method
REAL_CLASSES = ("real", "reals", "original", "originals", "original_sequences", "youtube", "actors", "pristine",
                "genuine", "celeb-real", "youtube-real", "0")
FAKE_CLASSES = ("fake", "fakes", "manipulated", "manipulated_sequences", "df", "deepfake", "synthesis",
                "celeb-synthesis", "forged", "1")
SPLIT_FOLDERS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
                 "dev": "val", "test": "test", "testing": "test"}
MEMBER_COLUMNS = ["video_id", "file", "frame"]


def class_of(folder: str) -> tuple[int, str]:
    """``(label, method)`` of a class folder name; DatasetError naming it when it is not a known class."""
    for method in FFPP_METHODS:
        if folder.lower() == method.lower():
            return 1, method
    if folder.lower() in REAL_CLASSES:
        return 0, "real"
    if folder.lower() in FAKE_CLASSES:
        return 1, "unknown"
    raise DatasetError(
        f"class folder {folder!r}: not a known class; real is one of {', '.join(REAL_CLASSES)}; fake is one of "
        f"{', '.join(FAKE_CLASSES + FFPP_METHODS)} (case does not matter)")


# --------------------------------------------------------------------------- naming schemes
@dataclass(frozen=True)
class Name:
    """What a file name says: its video, its position in the video, the people in the video, and which
    face of its frame the crop shows (0 unless the name ends in ``_face_j``)."""

    video: str
    frame: tuple = (0,)
    people: tuple[str, ...] = ()
    original: str = ""  # the real video a fake was made from, where the name says it
    scheme: str = ""
    face: int = 0


def _frame_key(text: str | None) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", text)) if text else (0,)


# ``<anything>_face_<j>``: crop tools that keep every face of a frame number them (Celeb-DF crops are
# ``<video>_frame_<k>_face_<j>``); the face is split off before the schemes below read the rest
FACE_SUFFIX = re.compile(r"(?P<rest>.+?)[_-]face[_-]?(?P<face>\d+)")
# (name, applies to real / fake / both, pattern); tried in order, the first match wins
SCHEMES = (
    ("ffpp", "fake", re.compile(r"(?P<target>\d{3})_(?P<source>\d{3})(?:_(?P<frame>\d+))?")),
    ("ffpp", "real", re.compile(r"(?P<video>\d{3})(?:_(?P<frame>\d+))?")),
    (
        "celebdf",
        "fake",
        re.compile(r"(?P<target>id\d+)_(?P<source>id\d+)_(?P<number>\d{4})(?:_(?:frame_?)?(?P<frame>\d+))?"),
    ),
    ("celebdf", "real", re.compile(r"(?P<person>id\d+)_(?P<number>\d{4})(?:_(?:frame_?)?(?P<frame>\d+))?")),
    # Celeb-DF's YouTube-real videos: five digits, nobody named (each video is its own group)
    ("celebdf", "real", re.compile(r"(?P<video>\d{5})(?:_(?:frame_?)?(?P<frame>\d+))?")),
    ("dfdc", "both", re.compile(r"(?P<video>[a-z]{10})(?:_(?P<original>[a-z]{10}))?(?:[_-](?P<frame>\d+(?:-\d+)*))?")),
    ("generic", "both", re.compile(r"(?P<video>.+?)[_-](?:frame[_-]?)?(?P<frame>\d+)")),
)


def parse_name(stem: str, label: int, pattern: re.Pattern | None = None) -> Name:
    """The :class:`Name` of a crop's file stem (no suffix) in a real (0) or fake (1) folder.

    A user's ``pattern`` (a regular expression with a ``video`` group, optionally ``frame``, ``person``
    and ``face``) is tried first. A trailing ``_face_j`` is read as the crop's face and the rest by the
    schemes. A stem that no scheme matches is a video of its own.
    """
    if pattern is not None:
        match = pattern.fullmatch(stem)
        if match:
            groups = match.groupdict()
            video = groups.get("video") or stem
            person = groups.get("person")
            return Name(video, _frame_key(groups.get("frame")), (person,) if person else (), "", "pattern",
                        int(groups.get("face") or 0))
    face_match = FACE_SUFFIX.fullmatch(stem)
    if face_match:
        name = _parse_scheme(face_match.group("rest"), label)
        return replace(name, face=int(face_match.group("face")))
    return _parse_scheme(stem, label)


def _parse_scheme(stem: str, label: int) -> Name:
    kind = "fake" if label else "real"
    for scheme, applies, regex in SCHEMES:
        if applies not in (kind, "both"):
            continue
        match = regex.fullmatch(stem)
        if not match:
            continue
        g = match.groupdict()
        frame = _frame_key(g.get("frame"))
        if scheme == "ffpp" and kind == "fake":
            return Name(f"{g['target']}_{g['source']}", frame, (g["target"], g["source"]), g["target"], scheme)
        if scheme == "ffpp":
            return Name(g["video"], frame, (g["video"],), "", scheme)
        if scheme == "celebdf" and kind == "fake":
            # the target's video with another face: grouped by the target, as the Celeb-DF indexer does
            return Name(f"{g['target']}_{g['source']}_{g['number']}", frame, (g["target"],),
                        f"{g['target']}_{g['number']}", scheme)
        if scheme == "celebdf" and g.get("video"):  # YouTube-real
            return Name(g["video"], frame, (), "", scheme)
        if scheme == "celebdf":
            return Name(f"{g['person']}_{g['number']}", frame, (g["person"],), "", scheme)
        if scheme == "dfdc":
            # a fake named <fake>_<original>: its family is the original's
            return Name(g["video"], frame, (g["original"] or g["video"],), g["original"] or "", scheme)
        return Name(g["video"], frame, (), "", scheme)
    return Name(stem, (0,), (), "", "own")


# --------------------------------------------------------------------------- scanning a root
@dataclass
class Scan:
    """What :func:`scan` found: one row per source video, its crop files in order, and unusable files."""

    videos: pd.DataFrame  # video_id, path, label, method, original, people, split_folder, kind ("crops" or "video")
    members: pd.DataFrame  # video_id, file, frame (position in the video)
    unusable: list[MissingFile] = field(default_factory=list)
    other_faces: int = 0  # crops of a frame's second (third...) face, left out of the clips (one_face_per_frame)
    notes: list[str] = field(default_factory=list)  # what the scan read and left out, for the index's notes

    def without_short_videos(self, min_crops: int) -> Scan:
        """This scan without the crop videos of fewer than ``min_crops`` crops, each listed as unusable."""
        counts = self.members.groupby("video_id").size()
        short = set(counts[counts < min_crops].index) & set(self.videos.loc[self.videos["kind"] == "crops", "video_id"])
        unusable = self.unusable + [MissingFile(video, path, f"{int(counts[video])} crop(s), fewer than "
                                                             f"min_crops={min_crops}")
                                    for video, path in zip(self.videos["video_id"], self.videos["path"], strict=True)
                                    if video in short]
        return Scan(self.videos[~self.videos["video_id"].isin(short)].reset_index(drop=True),
                    self.members[~self.members["video_id"].isin(short)].reset_index(drop=True), unusable,
                    self.other_faces, self.notes)


def _readable(path: Path) -> str:
    """Empty when the image's header reads, else the reason (the pixels are decoded when packing)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as error:
        return f"unreadable image ({type(error).__name__}: {error})"
    return ""


def _class_folders(root: Path) -> list[tuple[str, Path]]:
    """``(split folder or "", class folder)`` below ``root``: ``<root>/<class>`` or ``<root>/<split>/<class>``."""
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not ignored(p.name)):
        if child.name.lower() in SPLIT_FOLDERS:
            found += [(SPLIT_FOLDERS[child.name.lower()], grand) for grand in sorted(child.iterdir())
                      if grand.is_dir() and not ignored(grand.name)]
        else:
            found.append(("", child))
    return found


def scan(root: str | Path, pattern: str | None = None, check_images: bool = True, labels: str | Path | None = None,
         columns: dict[str, str] | None = None, skip_bad_rows: bool = False) -> Scan:
    """Every class folder below ``root``, its crops grouped into videos (see the module docstring).

    Files directly in a class folder are grouped by their names; the files of a sub-folder are
    one video (the sub-folder), ordered by the numbers in their names. Video files (face-only
    clips) are one video each. Unreadable images are left out and listed in ``unusable``.

    Where a label file sits at ``root`` (:data:`dfutils.data.label_files.LABEL_FILE_NAMES`: ``metadata.csv``,
    ``metadata.json``, ``labels.csv``...) or ``labels`` names one, the labels come from it instead of class
    folders (:func:`scan_labelled`).
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise DatasetError(f"{root}: face-crop root folder not found")
    from dfutils.data.label_files import find_label_file

    label_file = _label_file(root, labels) if labels else find_label_file(root)
    if label_file is not None:
        return scan_labelled(root, label_file, columns, skip_bad_rows, check_images)
    if columns or skip_bad_rows:
        raise DatasetError(f"{root}: columns and skip_bad_rows apply to a label file, and none is here (looked for "
                           "labels.csv, metadata.csv, metadata.json, labels.json)")
    regex = None
    if pattern:
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise DatasetError(f"pattern {pattern!r}: not a regular expression ({error})") from None
        if "video" not in regex.groupindex:
            raise DatasetError(f"pattern {pattern!r}: needs a named group (?P<video>...)")
    classes = _class_folders(root)
    if not classes:
        raise DatasetError(f"{root}: no class folders (expected <root>/[<split>/]<class>/<file>, class real or fake)")
    videos: dict[str, dict] = {}
    members: dict[str, list[tuple[tuple, str, Path]]] = defaultdict(list)
    unusable: list[MissingFile] = []
    for split_folder, folder in classes:
        label, method = class_of(folder.name)
        prefix = folder.relative_to(root).as_posix()
        for path in sorted(folder.rglob("*")):
            suffix = path.suffix.lower()
            if (not path.is_file() or suffix not in IMAGE_SUFFIXES + VIDEO_SUFFIXES
                    or any(ignored(part) for part in path.relative_to(folder).parts)):
                continue
            nested = path.parent != folder
            if suffix in VIDEO_SUFFIXES:  # a face-only clip: a video of its own, its family a DFDC id it names
                dfdc_id = re.search(r"(?<![a-z])[a-z]{10}(?![a-z])", path.stem)
                name = Name(path.name, (0,), (dfdc_id.group(0) if dfdc_id else path.stem,), "", "video")
            elif nested:  # <class>/<video>/<frame>: the folder is the video
                video = path.parent.relative_to(folder).as_posix()
                folder_name = parse_name(path.parent.name, label, regex)
                name = Name(video, _frame_key(path.stem), folder_name.people, folder_name.original, "folder")
            else:
                name = parse_name(path.stem, label, regex)
            video_id = f"{prefix}/{name.video}"
            problem = _readable(path) if check_images and suffix in IMAGE_SUFFIXES else ""
            if problem:
                unusable.append(MissingFile(video_id, str(path), problem))
                continue
            entry = videos.setdefault(video_id, {
                "video_id": video_id, "path": str(path if suffix in VIDEO_SUFFIXES else path.parent),
                "label": label, "method": method, "original": name.original, "people": set(),
                "split_folder": split_folder, "kind": "video" if suffix in VIDEO_SUFFIXES else "crops",
                "scheme": name.scheme,
            })
            entry["people"].update(name.people)
            members[video_id].append((name.frame, name.face, path.name, path))
    rows = list(videos.values())
    table = pd.DataFrame(rows, columns=["video_id", "path", "label", "method", "original", "people", "split_folder",
                                        "kind", "scheme"])
    member_table, other_faces = _members(members)
    return Scan(table, member_table, unusable, other_faces)


def _label_file(root: Path, labels: str | Path) -> Path:
    path = Path(labels).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise DatasetError(f"labels: {path} not found")
    return path


def _members(video_files: dict[str, list[tuple]]) -> tuple[pd.DataFrame, int]:
    """The members table of ``{video_id: [(frame, face, name, path), ...]}`` (one face per frame) and how many
    crops of other faces it left out."""
    member_rows, other_faces = [], 0
    for video_id, files in video_files.items():
        kept = one_face_per_frame(files)
        other_faces += len(files) - len(kept)
        for position, (*_, path) in enumerate(kept):
            member_rows.append({"video_id": video_id, "file": str(path), "frame": position})
    return pd.DataFrame(member_rows, columns=MEMBER_COLUMNS), other_faces


def scan_labelled(root: Path, label_file: Path, columns: dict[str, str] | None = None, skip_bad_rows: bool = False,
                  check_images: bool = True) -> Scan:
    """The videos a label file names, each with its crop files below ``root`` (one crop, several, or a
    face-only clip); see :mod:`dfutils.data.label_files`.

    A fake is one family with its original, and byte-identical files are one family with each other (the same
    crop published under two names would otherwise sit on both sides of a split): each is a "person" of the
    video for :func:`people_groups`. A row whose video has no file is an error naming the row, or with
    ``skip_bad_rows`` listed as unusable with the rows the reader skipped.
    """
    from dfutils.data.label_files import match_files, read_label_file

    read = read_label_file(label_file, columns, skip_bad_rows)
    media = [path for path in sorted(root.rglob("*")) if path.is_file()
             and path.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES
             and not any(ignored(part) for part in path.relative_to(root).parts)]
    matched, unlisted = match_files(read.rows, media, root)
    unusable = [MissingFile(f"{label_file.name}:{skip['entry']}", str(label_file), f"{skip['where']}: {skip['reason']}")
                for skip in read.skipped]
    videos: dict[str, dict] = {}
    files_of: dict[str, list[tuple]] = defaultdict(list)
    for row in read.rows:
        paths = matched.get(row.stem, [])
        if not paths:
            problem = f"{label_file}: {row.where}: video {row.entry!r} has no crop or clip below {root}"
            if not skip_bad_rows:
                raise DatasetError(problem)
            unusable.append(MissingFile(f"{label_file.name}:{row.entry}", str(label_file),
                                        f"{row.where}: no crop or clip of this video"))
            continue
        folder = paths[0].parent
        in_own_folder = folder.name == row.stem and all(path.parent == folder for path in paths)
        video_id = (folder if in_own_folder else folder / row.stem).relative_to(root).as_posix()
        clip = [path for path in paths if path.suffix.lower() in VIDEO_SUFFIXES]
        people = {row.original or row.stem}
        for path in paths:
            problem = _readable(path) if check_images and path.suffix.lower() in IMAGE_SUFFIXES else ""
            if problem:
                unusable.append(MissingFile(video_id, str(path), problem))
                continue
            rest = path.stem[len(row.stem):] if path.stem.startswith(row.stem) else path.stem
            face = FACE_SUFFIX.fullmatch(f"x{rest}")
            files_of[video_id].append((_frame_key(face.group("rest")[1:] if face else rest),
                                       int(face.group("face")) if face else 0, path.name, path))
            people.add(f"~same-file:{file_digest(path)[:20]}")
        if video_id not in files_of:
            continue
        videos[video_id] = {
            "video_id": video_id, "path": str(clip[0] if clip else folder if in_own_folder else paths[0].parent),
            "label": row.label, "method": "unknown" if row.label else "real", "original": row.original,
            "people": people, "split_folder": "", "kind": "video" if clip else "crops", "scheme": "labels"}
    table = pd.DataFrame(list(videos.values()), columns=["video_id", "path", "label", "method", "original", "people",
                                                         "split_folder", "kind", "scheme"])
    members, other_faces = _members(files_of)
    notes = [f"labels from {label_file} (columns: " + ", ".join(f"{role} {header!r}" for role, header
                                                               in read.columns.items()) + ")"]
    if read.skipped or len(unusable) > len(read.skipped):
        notes.append(f"{len(unusable)} row(s) or file(s) left out (skip_bad_rows): see the missing-files list")
    if unlisted:
        notes.append(f"{len(unlisted)} file(s) below the root are in no row of {label_file.name}, left out "
                     f"(first: {unlisted[0].relative_to(root).as_posix()})")
    return Scan(table, members, unusable, other_faces, notes)


def one_face_per_frame(files: list[tuple]) -> list[tuple]:
    """A video's crops ``(frame, face, file name, path)`` in frame order, one per frame: the lowest-numbered
    face of each frame.

    A clip is one person's face over time, as the papers' single-face extraction gives it. Tools that
    keep every face number them by the detector's order (``face_0`` the first, most often the most
    confident); in a Celeb-DF fake a second face may be a person who was not swapped (a real face under a
    fake label), so the other faces are left out rather than mixed into the clip."""
    chosen: dict[tuple, tuple] = {}
    for item in sorted(files, key=lambda item: (item[0], item[1], item[2])):
        chosen.setdefault(item[0], item)
    return list(chosen.values())


def people_groups(videos: pd.DataFrame, namespace: str = "faces") -> pd.Series:
    """The leak-free group of every video: videos that share a person are one group (a union-find over
    people), named after the group's first person in sorted order; a video with no people is its own group."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def person_keys(row) -> list[str]:
        # people are named per class family: FF++ ids and DFDC ids never collide with each other
        return [f"person/{person}" for person in sorted(row.people)] or [f"video/{row.video_id}"]

    for row in videos.itertuples():
        keys = person_keys(row)
        find(keys[0])
        for key in keys[1:]:
            parent[find(key)] = find(keys[0])
    members: dict[str, list[str]] = defaultdict(list)
    for key in list(parent):
        members[find(key)].append(key)
    name_of = {root: sorted(keys)[0].split("/", 1)[1] for root, keys in members.items()}
    return videos.apply(lambda row: f"{namespace}/{name_of[find(person_keys(row)[0])]}", axis=1)


def people_of(video_id: str, label: int) -> frozenset[str]:
    """The people a video shows, read from its name by the schemes (``ffpp:000``, ``celebdf:id3``, ``dfdc:<id>``):
    the same person under the same key in a face-crop index and in an index of the videos themselves
    (``real/000`` and ``original_sequences/youtube/c40/videos/000.mp4``). A name no scheme reads names nobody."""
    stem = video_id.rstrip("/").rsplit("/", 1)[-1]
    if stem.lower().endswith(VIDEO_SUFFIXES):
        stem = stem.rsplit(".", 1)[0]
    name = parse_name(stem, label)
    return frozenset(f"{name.scheme}:{person}" for person in name.people)


# --------------------------------------------------------------------------- the indexer
def index_faces(
    root: str | Path,
    *,
    seed: int = 0,
    pattern: str | None = None,
    fractions: dict[str, float] | None = None,
    split_folders: bool = True,
    check_images: bool = True,
    min_crops: int = 1,
    labels: str | Path | None = None,
    columns: dict[str, str] | None = None,
    skip_bad_rows: bool = False,
    group_faces: bool = False,
    face_threshold: float | None = None,
    face_cache: str | Path | None = None,
) -> pd.DataFrame:
    """Index a folder of labelled face crops (``<root>/[<split>/]<class>/<file>``, or crops whose labels a file at
    the root gives: ``labels``, ``columns`` and ``skip_bad_rows`` as :func:`scan`), one row per source video.
    ``group_faces`` also groups the videos whose real faces FaceNet finds alike (:mod:`dfutils.data.face_identity`;
    ``face_threshold`` its distance, ``face_cache`` its embeddings' cache).

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

    found = scan(root, pattern=pattern, check_images=check_images, labels=labels, columns=columns,
                 skip_bad_rows=skip_bad_rows)
    if min_crops > 1:
        found = found.without_short_videos(min_crops)
    videos = found.videos
    if videos.empty:
        raise DatasetError(f"{Path(root).resolve()}: no face crops or clips found (expected the layout "
                           f"{LAYOUT})")
    face_notes = []
    if group_faces:  # people where the names tell none: one face identity per cluster of real faces
        from dfutils.data import face_identity

        threshold = face_identity.IDENTITY_THRESHOLD if face_threshold is None else float(face_threshold)
        face_of, found_faces = face_identity.identity_people(videos, found.members, threshold, cache=face_cache)
        videos["people"] = [people | {face_of[video_id]} if video_id in face_of else people
                            for video_id, people in zip(videos["video_id"], videos["people"], strict=True)]
        face_notes.append(
            f"face identity (FaceNet {found_faces['model']}, average linkage at {threshold}): "
            f"{found_faces['videos_embedded']} videos' faces in {found_faces['clusters']} clusters, "
            f"{found_faces['videos_in_shared_clusters']} videos in the {found_faces['clusters_of_several']} "
            f"clusters of several, the largest {found_faces['largest_cluster']}"
        )
    elif face_threshold is not None:
        raise DatasetError("face_threshold applies with group_faces on")
    videos["group"] = people_groups(videos)
    by_name = {video_id.rsplit("/", 1)[1]: video_id for video_id, label in zip(videos["video_id"], videos["label"],
                                                                              strict=True) if label == 0}
    rows = [VideoRow(row.video_id, row.path, int(row.label), "faces", row.method,
                     "crops" if row.kind == "crops" else "clip", by_name.get(row.original, ""), row.group,
                     row.split_folder if split_folders else "") for row in videos.itertuples()]
    df = index_frame(rows, found.unusable)
    kept = df["split"] != ""
    if kept.any() and not kept.all():
        raise DatasetError(f"{Path(root).resolve()}: some class folders sit in split folders and some do not; "
                           "put all in split folders or none (or ignore them: split_folders=False)")
    if kept.all():
        spread = df.groupby("group")["split"].nunique()
        if (spread > 1).any():
            raise DatasetError(
                f"{Path(root).resolve()}: the split folders put the people of {spread[spread > 1].index[0]} "
                f"(and {int((spread > 1).sum()) - 1} more groups) on several sides; ignore them "
                "(--ignore-split-folders) for a leak-free split"
            )
    split_index(df, seed, fractions)  # split folders kept; otherwise whole groups, seeded
    df.attrs["members"] = found.members[found.members["video_id"].isin(df["video_id"])].reset_index(drop=True)
    df.attrs["notes"] = [
        *found.notes,
        f"{len(found.members)} crop files of {int((df['compression'] == 'crops').sum())} videos "
        f"and {int((df['compression'] == 'clip').sum())} clips, {df['group'].nunique()} groups of people",
    ]
    df.attrs["notes"] += face_notes
    if group_faces:
        largest = df["group"].value_counts()
        share = largest.iloc[0] / len(df)
        df.attrs["notes"].append(f"largest group of people: {int(largest.iloc[0])} of {len(df)} videos ({share:.0%})"
                                 + ("; more than the smallest split's share: that split's size depends on where this "
                                    "group falls (a lower face_threshold makes smaller groups)"
                                    if share > min(v for v in (fractions or DEFAULT_FRACTIONS).values() if v > 0)
                                    else ""))
    if found.other_faces:
        df.attrs["notes"].append(f"{found.other_faces} crops of a frame's second face left out: a clip takes the "
                                 "lowest-numbered face (face_0) of each frame")
    return df
