"""SynthDF: a small, offline deepfake benchmark in FaceForensics++ layout.

Real faces (photos and one real talking-face video that ship inside registry
packages, see :mod:`dfutils.assets`) become short "real" clips with natural
motion: smooth head/camera movement with scale and rotation drift, lighting
change, sensor noise, and non-rigid mouth and eye movement. Every fake is made
*from* a real clip the way FF++ makes them, so the manipulation is the only
systematic difference between a fake and its original: the same motion, light,
noise, length and encoding. One generator per FF++ method:

- ``FaceSwap``: the source identity's face aligned to the target's landmarks,
  convex-hull mask, colour transfer, seamless or feathered blending;
- ``Deepfakes``: the swapped face squeezed through a 64-px aligned bottleneck
  (the blur of an autoencoder), per-frame flicker, soft-mask blending;
- ``Face2Face``: the target's own face with its mouth and eyes re-driven by
  another clip's expression;
- ``NeuralTextures``: only the mouth re-driven and re-rendered, subtly.

Fakes align on *detected* landmarks: the true ones plus the frame-to-frame
jitter of a face tracker (the carphone clip uses real per-frame MTCNN
detections). Videos are H.264 at FF++'s ``c0`` (lossless), ``c23`` and
``c40`` through the ffmpeg of ``imageio-ffmpeg``.

``build_synthdf(out, size="demo", seed=0)`` writes ``original_sequences/``,
``manipulated_sequences/``, ``splits/{train,val,test}.json`` (grouped by
identity) and ``manifest.csv``; :func:`dfutils.data.datasets.index_ffpp` reads it
unchanged. The same seed gives the same decoded frames. Interrupted builds
resume: finished videos are kept.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dfutils import assets
from dfutils.atomic import atomic_path
from dfutils.data.synthdf.catalogue import (
    COMPRESSION_CRF,
    FPS,
    LANDMARK_NAMES,
    METHODS,
    MORPH_PREFIX,
    SIZES,
    SYNTH_VERSION,
    Identity,
    SynthConfig,
    catalogue_fingerprint,
    catalogue_identities,
    identity,
    morph_name,
)
from dfutils.data.synthdf.clips import (
    CARPHONE_ASSET,
    MORPH_SIDE,
    Clip,
    morph_photos,
    photo_of,
    render_real_clip,
)
from dfutils.data.synthdf.geometry import FaceGeometry, expression_field
from dfutils.data.synthdf.identities import image_path
from dfutils.data.synthdf.manipulations import GENERATORS, fake_settings
from dfutils.errors import UserInputError
from dfutils.seeding import rng

# the names the other SynthDF modules define that callers read here (the build's one entry point)
__all__ = ["COMPRESSION_CRF", "GENERATORS", "LANDMARK_NAMES", "METHODS", "MORPH_PREFIX", "MORPH_SIDE", "SIZES",
           "SYNTH_VERSION", "Clip", "FaceGeometry", "Identity", "SynthConfig", "build_synthdf",
           "catalogue_fingerprint", "catalogue_identities", "config_identities", "expression_field", "identity",
           "morph_candidates", "morph_name", "morph_photos", "photo_of", "plan_benchmark", "render_real_clip"]


# --------------------------------------------------------------------------- encoding
def encode_video(frames: np.ndarray, path: Path, compression: str) -> None:
    """Write RGB frames as H.264 at an FF++ compression level, atomically.

    ``c0`` is lossless (``-qp 0``, 4:4:4 chroma); ``c23``/``c40`` are CRF 23/40 in
    4:2:0 as FF++. One encoder thread keeps the output bit-identical run to run.
    """
    import imageio_ffmpeg

    if compression not in COMPRESSION_CRF:
        raise UserInputError(f"compression: unknown {compression!r}; expected one of {', '.join(COMPRESSION_CRF)}")
    crf = COMPRESSION_CRF[compression]
    quality = ["-qp", "0"] if crf == 0 else ["-crf", str(crf)]
    height, width = frames.shape[1:3]
    with atomic_path(path, keep_suffix=True) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (width, height),
            fps=FPS,
            codec="libx264",
            quality=None,
            macro_block_size=1,
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv444p" if crf == 0 else "yuv420p",
            ffmpeg_log_level="error",
            output_params=[
                *quality,
                "-preset",
                "veryfast",
                "-threads",
                "1",
                "-bf",
                "0",
                "-x264-params",
                "log-level=error",
            ],
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()


# --------------------------------------------------------------------------- the benchmark
@dataclass(frozen=True)
class ClipPlan:
    number: str  # FF++ style video number, "000"
    identity: str
    clip_index: int
    split: str
    partner: str = ""  # the clip it is paired with (source of its fakes)


def config_identities(config: SynthConfig) -> list[str]:
    """The real identities a config draws from (all of the catalogue's when it names none)."""
    names = list(config.identities) or list(catalogue_identities())
    for name in names:
        identity(name)  # unknown names fail here, with the list of known ones
    return names


def _share(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first)."""
    if not total or not sum(weights):
        return [0] * len(weights)
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for k in sorted(range(len(weights)), key=lambda k: -(exact[k] - counts[k]))[:total - sum(counts)]:
        counts[k] += 1
    return counts


def morph_candidates(people: list[str]) -> list[tuple[str, str]]:
    """Pairs of people whose best photos morph without ghosting: both fit (near-frontal, eyes
    visible), alike in pose (nose position, roll), and both thumbnails or both photos (a thumbnail's
    edge would otherwise show through the photo as a square)."""
    from dfutils.data.synthdf.identities import face_geometry

    fit = sorted(name for name in people if identity(name).faces[0].morphable)
    pairs = []
    for k, first in enumerate(fit):
        a = identity(first).faces[0]
        for second in fit[k + 1:]:
            b = identity(second).faces[0]
            ga, gb = face_geometry(a.landmarks), face_geometry(b.landmarks)
            if (abs(ga["nose_position"] - gb["nose_position"]) <= 0.15 and abs(ga["roll"] - gb["roll"]) <= 12
                    and (a.region is None) == (b.region is None)):
                pairs.append((first, second))
    return pairs


def plan_benchmark(config: SynthConfig, seed: int) -> list[ClipPlan]:
    """Number the clips, give whole identities to splits and pair clips of different people within each split.

    Real identities are split first (``val_fraction``, ``test_fraction``, the rest
    train); each split then gets its share of ``morphs``, made from two of its
    own people, so a morph never shares a face with another split.
    """
    if config.clips_per_identity < 2 or config.clips_per_identity % 2:
        raise UserInputError(f"clips_per_identity must be even and at least 2, got {config.clips_per_identity}")
    names = config_identities(config)
    shuffled = [names[i] for i in rng(seed, "identity-split").permutation(len(names))]
    test = max(2, round(config.test_fraction * len(shuffled)))
    val = max(2, round(config.val_fraction * len(shuffled)))
    if len(shuffled) < test + val + 2:
        raise UserInputError(f"need at least {test + val + 2} identities for train/val/test, got {len(shuffled)}")
    members = {"test": shuffled[:test], "val": shuffled[test:test + val], "train": shuffled[test + val:]}
    photo_people = {split: [n for n in people if identity(n).kind == "photos"] for split, people in members.items()}
    pairs = {split: morph_candidates(photo_people[split]) for split in members}
    counts = dict(zip(members, _share(config.morphs, [len(photo_people[s]) for s in members]), strict=True))
    surplus = sum(max(0, counts[split] - len(pairs[split])) for split in members)
    counts = {split: min(count, len(pairs[split])) for split, count in counts.items()}
    for split in ("train", "test", "val"):  # a split with too few fit pairs passes its surplus on
        moved = min(surplus, len(pairs[split]) - counts[split])
        counts[split], surplus = counts[split] + moved, surplus - moved
    if surplus:
        raise UserInputError(f"morphs: only {sum(map(len, pairs.values()))} pairs of people fit to morph, "
                             f"too few for {config.morphs}")
    for split, count in counts.items():
        chosen = rng(seed, "morphs", split).choice(len(pairs[split]), count, replace=False)
        members[split] = members[split] + [morph_name(*pairs[split][k]) for k in sorted(chosen)]
    plans: list[ClipPlan] = []
    pairs_per_identity = config.clips_per_identity // 2
    for split in ("train", "val", "test"):
        people = members[split]
        if len(people) <= pairs_per_identity:
            raise UserInputError(f"{split}: {len(people)} identities cannot pair {config.clips_per_identity} clips "
                                 "each with other people's")
        numbers = {(name, k): f"{len(plans) + i * config.clips_per_identity + k:03d}"
                   for i, name in enumerate(people) for k in range(config.clips_per_identity)}
        partner_of = {}
        # clip 2k of person i pairs with clip 2k+1 of person i+1+k (cyclically): never the same person
        for i, name in enumerate(people):
            for k in range(pairs_per_identity):
                other = people[(i + 1 + k) % len(people)]
                partner_of[(name, 2 * k)] = (other, 2 * k + 1)
                partner_of[(other, 2 * k + 1)] = (name, 2 * k)
        for (name, k), number in numbers.items():
            plans.append(ClipPlan(number, name, k, split, numbers[partner_of[(name, k)]]))
    return sorted(plans, key=lambda plan: plan.number)


def _clip_path(root: Path, compression: str, number: str) -> Path:
    return root / "original_sequences" / "youtube" / compression / "videos" / f"{number}.mp4"


def _fake_path(root: Path, method: str, compression: str, target: str, source: str) -> Path:
    return root / "manipulated_sequences" / method / compression / "videos" / f"{target}_{source}.mp4"


def _build_clip(task: dict) -> list[dict]:
    """Worker: the real clip and its fakes (one per method) at every compression."""
    import cv2

    cv2.setNumThreads(1)
    root, seed = Path(task["root"]), task["seed"]
    config = SynthConfig(**task["config"])
    plan, partner = ClipPlan(**task["plan"]), ClipPlan(**task["partner"])
    rows: list[dict] = []
    base = {"frames": config.frames, "fps": FPS, "seed": seed, "split": plan.split,
            "identity_kind": identity(plan.identity).kind}

    @lru_cache(maxsize=2)  # rendered only if some video of this clip is still to be written
    def clip(identity: str, index: int) -> Clip:
        return render_real_clip(identity, index, seed, config)

    def target() -> Clip:
        return clip(plan.identity, plan.clip_index)

    def source() -> Clip:
        return clip(partner.identity, partner.clip_index)

    for compression in config.compressions:
        path = _clip_path(root, compression, plan.number)
        if not path.is_file():
            encode_video(target().frames, path, compression)
        rows.append({**base, "video_id": path.relative_to(root).as_posix(), "label": 0, "method": "real",
                     "compression": compression, "identity": plan.identity, "source_identity": "",
                     "target_clip": plan.number, "source_clip": "", "settings": ""})
    for method in config.methods:
        paths = {c: _fake_path(root, method, c, plan.number, partner.number) for c in config.compressions}
        settings = fake_settings(method, rng(seed, "fake", method, plan.number, partner.number))
        if not all(p.is_file() for p in paths.values()):
            frames = GENERATORS[method](target(), source(), settings)
            for compression, path in paths.items():
                if not path.is_file():
                    encode_video(frames, path, compression)
        for compression, path in paths.items():
            rows.append({**base, "video_id": path.relative_to(root).as_posix(), "label": 1, "method": method,
                         "compression": compression, "identity": plan.identity, "source_identity": partner.identity,
                         "target_clip": plan.number, "source_clip": partner.number,
                         "settings": json.dumps(settings, sort_keys=True)})
    return rows


MANIFEST_COLUMNS = ["video_id", "label", "method", "compression", "identity", "identity_kind", "source_identity",
                    "target_clip", "source_clip", "split", "frames", "fps", "seed", "settings"]


def build_synthdf(out: str | Path, size: str = "demo", seed: int = 0, workers: int | None = None,
                  progress: bool = True, config: SynthConfig | None = None,
                  replace_stale: bool = False) -> pd.DataFrame:
    """Build (or finish building) SynthDF in ``out``; returns the manifest table.

    ``size`` picks a preset of :data:`SIZES`; ``config`` overrides it. A folder
    built with other settings (or an older generator) is refused rather than
    mixed, unless ``replace_stale`` (for folders the project manages itself).
    """
    from dfutils.progress import progress_bar

    if config is None:
        if size not in SIZES:
            raise UserInputError(f"size: unknown {size!r}; expected one of {', '.join(SIZES)}")
        config = SIZES[size]
    for compression in config.compressions:
        if compression not in COMPRESSION_CRF:
            raise UserInputError(f"compression: unknown {compression!r}; expected one of {', '.join(COMPRESSION_CRF)}")
    root = Path(out).resolve()
    root.mkdir(parents=True, exist_ok=True)
    settings = {"synth_version": SYNTH_VERSION, "seed": seed, "size": size, "config": asdict(config),
                "face_catalogue": catalogue_fingerprint()}
    settings_path = root / "synthdf.json"
    if settings_path.is_file():
        existing = json.loads(settings_path.read_text())
        if existing != json.loads(json.dumps(settings)) and replace_stale:
            import shutil

            for part in ("original_sequences", "manipulated_sequences", "splits", "manifest.csv", "synthdf.json"):
                target = root / part
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
            settings_path.write_text(json.dumps(settings, indent=1))
        elif existing != json.loads(json.dumps(settings)):
            raise UserInputError(
                f"{root}: holds a SynthDF built with other settings ({settings_path}); "
                "use another folder or delete this one"
            )
    else:
        settings_path.write_text(json.dumps(settings, indent=1))
    for name in config_identities(config):  # fail early, and once, if an asset cannot be had
        person = identity(name)
        for image in {face.image for face in person.faces}:
            image_path(image)
        if person.kind == "video":
            assets.fetch(CARPHONE_ASSET)

    plans = plan_benchmark(config, seed)
    by_number = {plan.number: plan for plan in plans}
    tasks = [
        {"root": str(root), "seed": seed, "config": asdict(config), "plan": asdict(plan),
         "partner": asdict(by_number[plan.partner])}
        for plan in plans
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    rows: list[dict] = []
    videos_per_clip = len(config.compressions) * (1 + len(config.methods))
    bar = progress_bar(total=len(tasks) * videos_per_clip, unit="video", desc="SynthDF", disable=not progress)
    try:
        if workers == 1:
            for task in tasks:
                rows += _build_clip(task)
                bar.update(videos_per_clip)
        else:
            # spawned, not forked: a fork of a process that already runs TensorFlow's threads can deadlock
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(_build_clip, task) for task in tasks]
                for future in as_completed(futures):
                    rows += future.result()
                    bar.update(videos_per_clip)
    finally:
        bar.close()

    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS).sort_values("video_id").reset_index(drop=True)
    manifest.to_csv(root / "manifest.csv", index=False)
    splits_dir = root / "splits"
    splits_dir.mkdir(exist_ok=True)
    for split in ("train", "val", "test"):
        pairs = sorted({tuple(sorted((plan.number, plan.partner))) for plan in plans if plan.split == split})
        (splits_dir / f"{split}.json").write_text(json.dumps([list(pair) for pair in pairs]))
    return manifest
