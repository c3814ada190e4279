"""People where a dataset names none: each video's real face, embedded by FaceNet and clustered.

DFDC names no actors, and one paid actor appears in many real videos, so a split that keeps each fake with its
original still puts one person on both sides. Opt-in (``group_faces`` in a profile, ``--group-faces`` for
``dfutils data index``), this module gives every video of a crop folder a face identity:

1. one embedding per video: the L2-normalised mean of FaceNet-128's embeddings of up to
   :data:`CROPS_PER_VIDEO` of its crops (:func:`embed_files`, cached by each file's content, so a second index
   of the same crops, in any profile, embeds nothing);
2. average-linkage clustering of those embeddings, cut at the distance :data:`IDENTITY_THRESHOLD`
   (``scipy.cluster.hierarchy``: the mean distance between two clusters' members must stay under it);
3. each cluster becomes a "person" the videos share, joined with the fake-to-original and identical-file
   families by :func:`dfutils.data.crop_folders.people_groups`, so no person is on two sides of a split as far
   as faces can tell.

Only real videos are embedded. A fake's face is a swap, another person's identity on the target's head: it
would join the source's cluster while its family joins the target's, and chain people into one group (on
Celeb-DF's crops, embedding the fakes whose original has no crop put 59% of the videos in one group). A fake keeps
its family (the original it was made from), whose real video, where present, carries the person.

The threshold was chosen on crops whose people are known (Celeb-DF's ``idN``, FF++ ids across the clean and the
c40 crops): :func:`pair_scores` gives same-person precision and recall at each threshold
(:mod:`dfutils.studies.face_identity` measures them; ``reports/RESULTS.md`` has the figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils.data.index_files import file_digest

IDENTITY_MODEL = "keras-facenet-128"  # ships in a registry package (offline); the 512-d model needs a download
# FaceNet-128 L2 distance, average linkage: the threshold chosen on Celeb-DF and FF++ (see the module docstring)
IDENTITY_THRESHOLD = 0.9
CROPS_PER_VIDEO = 3  # a video's identity: the mean of this many of its crops (evenly spaced), or all it has
CACHE_CHUNK = 256  # files embedded between two saves of the cache (an interrupted index resumes)


def default_cache(model: str = IDENTITY_MODEL) -> Path:
    """Where embeddings of crop files are kept across runs and profiles: ``artifacts/_cache/face-identity/``."""
    from dfutils import config

    return config.ARTIFACTS_DIR / "_cache" / "face-identity" / f"{model}.npz"


def _read_cache(cache: Path) -> dict[str, np.ndarray]:
    if not cache.is_file():
        return {}
    with np.load(cache, allow_pickle=False) as stored:
        return dict(zip(stored["digests"].tolist(), stored["embeddings"], strict=True))


def _write_cache(cache: Path, done: dict[str, np.ndarray]) -> None:
    from filelock import FileLock

    from dfutils.atomic import atomic_path

    cache.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(cache.with_suffix(".lock")):
        merged = {**_read_cache(cache), **done}  # another process may have added its own meanwhile
        with atomic_path(cache) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, digests=np.array(list(merged), dtype=str), embeddings=np.stack(list(merged.values())))


def embed_files(files: Sequence[str | Path], model: str = IDENTITY_MODEL, cache: str | Path | None = None,
                progress: bool = True) -> np.ndarray:
    """FaceNet embeddings (L2-normalised, one row per file) of face-crop image files, read from and added to a
    cache keyed by each file's content (``cache``; default :func:`default_cache`)."""
    import cv2

    from dfutils.nets.facenet import shared_embedder
    from dfutils.progress import progress_bar

    cache = Path(cache) if cache else default_cache(model)
    digests = [file_digest(path) for path in files]
    done = _read_cache(cache)
    todo = sorted({digest: path for digest, path in zip(digests, files, strict=True) if digest not in done}.items())
    if todo:
        embedder = shared_embedder(model)
        bar = progress_bar(total=len(todo), desc="face identity (FaceNet)", unit="crop", disable=not progress)
        for start in range(0, len(todo), CACHE_CHUNK):
            chunk = todo[start:start + CACHE_CHUNK]
            images = []
            for _, path in chunk:
                image = cv2.imread(str(path))
                if image is None:
                    from dfutils.errors import DatasetError

                    raise DatasetError(f"{path}: unreadable image")
                images.append(cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), (160, 160),
                                         interpolation=cv2.INTER_AREA))
            vectors = embedder.embed(np.stack(images))
            fresh = {digest: vector for (digest, _), vector in zip(chunk, vectors, strict=True)}
            done.update(fresh)
            _write_cache(cache, fresh)
            bar.update(len(chunk))
        bar.close()
    if not digests:
        return np.zeros((0, 0), np.float32)
    return np.stack([done[digest] for digest in digests]).astype(np.float32)


def video_embeddings(members: pd.DataFrame, video_ids: Sequence[str], model: str = IDENTITY_MODEL,
                     cache: str | Path | None = None, progress: bool = True) -> np.ndarray:
    """One embedding per video (``video_ids``, from a crop index's members ``video_id, file, frame``): the
    normalised mean of up to :data:`CROPS_PER_VIDEO` evenly spaced crops."""
    from dfutils.nets.facenet import l2_normalise

    chosen: list[tuple[int, str]] = []
    grouped = members.sort_values(["video_id", "frame"]).groupby("video_id")["file"].apply(list)
    for number, video_id in enumerate(video_ids):
        files = grouped.get(video_id, [])
        if not files:
            raise ValueError(f"{video_id}: no crop files to embed")
        picks = np.unique(np.linspace(0, len(files) - 1, min(CROPS_PER_VIDEO, len(files))).round().astype(int))
        chosen += [(number, files[k]) for k in picks]
    vectors = embed_files([file for _, file in chosen], model, cache, progress)
    owner = np.array([number for number, _ in chosen])
    sums = np.zeros((len(video_ids), vectors.shape[1]), np.float64)
    np.add.at(sums, owner, vectors)
    return l2_normalise(sums).astype(np.float32)


def cluster(embeddings: np.ndarray, threshold: float = IDENTITY_THRESHOLD) -> np.ndarray:
    """Cluster numbers (0, 1, ...) from average-linkage clustering cut at ``threshold`` (L2 distance)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if threshold <= 0:
        raise ValueError(f"threshold: must be positive, got {threshold}")
    if len(embeddings) < 2:
        return np.zeros(len(embeddings), int)
    labels = fcluster(linkage(embeddings, method="average", metric="euclidean"), t=threshold, criterion="distance")
    return labels - 1


def pair_scores(clusters: np.ndarray, people: np.ndarray) -> dict:
    """Same-person precision and recall over all pairs: of the pairs put in one cluster, the share that are one
    person, and of the pairs that are one person, the share put in one cluster."""
    clusters, people = np.asarray(clusters), np.asarray(people)
    upper = np.triu_indices(len(people), k=1)
    together = (clusters[:, None] == clusters[None])[upper]
    same = (people[:, None] == people[None])[upper]
    true_pairs = int((together & same).sum())
    return {"precision": true_pairs / max(int(together.sum()), 1), "recall": true_pairs / max(int(same.sum()), 1),
            "pairs_together": int(together.sum()), "same_person_pairs": int(same.sum()), "true_pairs": true_pairs}


def identity_people(videos: pd.DataFrame, members: pd.DataFrame, threshold: float = IDENTITY_THRESHOLD,
                    model: str = IDENTITY_MODEL, cache: str | Path | None = None,
                    progress: bool = True) -> tuple[dict[str, str], dict]:
    """``{video_id: "~face:<cluster>"}`` for the real videos (a fake's face tells no one person: see the module
    docstring), and what the clustering found."""
    embedded = videos[(videos["label"] == 0) & videos["video_id"].isin(set(members["video_id"]))]
    ids = embedded["video_id"].tolist()
    labels = cluster(video_embeddings(members, ids, model, cache, progress), threshold) if ids else np.zeros(0, int)
    sizes = np.bincount(labels) if len(labels) else np.zeros(0, int)
    found = {"videos_embedded": len(ids), "clusters": int(len(sizes)), "clusters_of_several": int((sizes > 1).sum()),
             "videos_in_shared_clusters": int(sizes[sizes > 1].sum()), "largest_cluster": int(sizes.max(initial=0)),
             "threshold": threshold, "model": model}
    # "~" sorts a face cluster after the names a group is called by (people_groups names it by its first key)
    return {video_id: f"~face:{label}" for video_id, label in zip(ids, labels, strict=True)}, found
