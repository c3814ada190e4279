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

import importlib.metadata
import os
import shutil
import subprocess
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


def nvidia_gpus() -> list[str]:
    """The NVIDIA GPUs the driver lists (``nvidia-smi -L``), whatever the installed frameworks can use."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in listing.stdout.splitlines() if line.startswith("GPU ")]


def installed_tensorflow() -> dict[str, str]:
    """The TensorFlow distributions installed (``tensorflow``, ``tensorflow-cpu``, ...) and their versions."""
    found = {}
    for name in ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tensorflow-intel"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def _tensorflow_devices(check: Check) -> list[str]:
    builds = installed_tensorflow()
    if not builds:
        check.problem("machine", "TensorFlow is not installed: `make setup` (GPU=1 for the CUDA build), or "
                                 "pip install -e '.[cpu]' / '.[gpu]'")
        return []
    if {"tensorflow", "tensorflow-cpu"} <= set(builds):
        check.say("machine", "both tensorflow and tensorflow-cpu are installed and write the same module, so the one "
                             "installed last is in use: keep one (make setup does, GPU=0 or GPU=1)")
    import tensorflow as tf

    cuda = tf.test.is_built_with_cuda()
    check.say("machine", f"TensorFlow {tf.__version__} ({', '.join(builds)}), "
                         f"{'built with CUDA' if cuda else 'a build without CUDA'}")
    return [f"{d.name} ({tf.config.experimental.get_device_details(d).get('device_name', 'GPU')})"
            for d in tf.config.list_physical_devices("GPU")]


def machine(check: Check, artifacts: Path) -> None:
    """Backend, the devices training will use, memory and free disk where the artifacts go."""
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow (Keras' default)"
    accelerators: list[str] = []
    try:
        if backend.startswith("jax"):
            import jax

            accelerators = [str(d) for d in jax.devices() if d.platform != "cpu"]
        else:
            accelerators = _tensorflow_devices(check)
    except ImportError as error:
        check.problem("machine", f"backend {backend} is not installed ({error})")
    devices = f"{len(accelerators)} GPU(s): {', '.join(accelerators)}" if accelerators else "CPU only"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    existing = artifacts
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    check.notes["disk_free"] = free
    check.notes["devices"] = accelerators
    check.say("machine", f"backend {backend}; training will use: {devices}; {os.cpu_count()} cores; "
                         f"memory {_gib(memory)}; disk free {_gib(free)} at {existing}")
    gpus = nvidia_gpus()
    if gpus and not accelerators:
        remedy = ("`make setup GPU=1` (or pip install -e '.[gpu]')" if not backend.startswith("jax")
                  else "install jax[cuda12]")
        check.say("machine", f"this machine has {len(gpus)} NVIDIA GPU(s) ({gpus[0]}) that {backend} cannot use: "
                             f"{remedy}")
    elif not accelerators:
        check.say(
            "machine", "no GPU: the paper profiles take hours to days here; the demo and ffpp_real are sized for a CPU"
        )


def backbone_weights(check: Check, where: str, backbone: str, weights: str) -> None:
    from dfutils.detectors import backbone_files
    from dfutils.nets import architectures

    if backbone_files.is_source(weights):  # a backbone trained on deepfakes: its file must be there before training
        try:
            check.say(where, f"backbone {backbone} starts from {backbone_files.require(weights, backbone)}")
        except UserInputError as error:
            check.problem(where, str(error))
        return
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
        state = (
            "cached" if cached(asset.name) else f"fetched on first use from the registry package {asset.package.spec}"
        )
        check.say(where, f"backbone {backbone}, ImageNet weights shipped in a package: {state}")
        return
    path, url = architectures.imagenet_weights_source(backbone)
    state = (
        f"cached at {path}" if path.is_file() else f"not cached: Keras downloads {url} on first use (needs internet)"
    )
    check.say(where, f"backbone {backbone}, ImageNet weights {state}")


def facenet_weights(check: Check, where: str, name: str) -> None:
    from dfutils.nets.facenet import FACENET_MODELS

    if name not in FACENET_MODELS:
        check.problem(where, f"facenet_model {name!r} unknown; expected one of {', '.join(FACENET_MODELS)}")
        return
    if name == "keras-facenet-128":
        from dfutils.assets import ASSETS, cached

        state = (
            "cached"
            if cached("facenet-keras-128")
            else f"fetched on first use from {ASSETS['facenet-keras-128'].package.spec}"
        )
        check.say(where, f"FaceNet {name} (128-d, shipped in a package): {state}")
        return
    from keras_facenet.metadata import MODEL_METADATA

    metadata = MODEL_METADATA[name]
    folder = Path("~/.keras-facenet").expanduser() / metadata["dir_name"]
    state = (f"cached at {folder}" if folder.is_dir()
             else f"not cached: keras-facenet downloads {metadata['zip_url']} on first use (needs internet)")
    check.say(where, f"FaceNet {name} ({metadata['dimensions']}-d): {state}")


def dataset(check: Check, where: str, parameters: dict, artifacts: Path) -> None:
    from dfutils.data.datasets import index_dataset, index_request_of, missing_files

    name = parameters["dataset"]
    try:
        root, indexer, options = index_request_of(parameters, artifacts / "synthdf")
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


def faces(check: Check, where: str, settings, workers: int) -> None:
    if "videos" not in check.notes:
        check.say(where, "cannot estimate: the dataset above was not found")
        return
    videos = check.notes["videos"]
    size = settings.size
    if check.notes.get("crops"):
        crops = check.notes["crops"]
        check.say(where, f"packs {crops} crops already cut (seconds); measures how they were cut with "
                         f"{settings.detector} on a sample")
    else:
        frames = settings.frames or 0
        per_video = frames or settings.fps * SECONDS_PER_VIDEO_AT_FPS
        crops = int(videos * per_video)
        seconds = crops / FRAMES_PER_SECOND / max(1, workers // 2)
        check.say(
            where,
            f"extracts about {crops:,} frames of {videos} videos with {settings.detector}: "
            f"about {_duration(seconds)} on 2 cores at {FRAMES_PER_SECOND} frames/s"
            + ("" if frames else f" (taking {SECONDS_PER_VIDEO_AT_FPS:.0f}-s videos at {settings.fps:g} fps)"),
        )
    storage = crops * BYTES_PER_CROP_240 * (size / 240) ** 2
    check.say(where, f"crop cache about {_gib(storage)} at {size} px")
    if storage > check.notes.get("disk_free", float("inf")):
        check.problem(
            where, f"the crop cache needs about {_gib(storage)}, the disk has {_gib(check.notes['disk_free'])} free"
        )


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


def check_machine() -> Check:
    """Only the machine's part of the report (``dfutils check`` without a profile)."""
    from dfutils.config import artifacts_dir

    check = Check("this machine")
    machine(check, artifacts_dir("check").parent)
    return check


def check_profile(path: str | Path, overrides=()) -> Check:
    """The pre-flight report of a profile (see the module docstring)."""
    from dfutils.config import artifacts_dir
    from dfutils.run.notebook_params import notebook_parameters
    from dfutils.run.params import load_profile
    from dfutils.run.settings_families import families_of

    profile = load_profile(path, overrides=overrides)
    check = Check(profile.name)
    artifacts = artifacts_dir(profile.name)
    machine(check, artifacts)
    for run in profile.runs:
        values = run.parameters
        families = families_of(values)
        if run.notebook == "01_data":  # every parameter: the profile's over the notebook's defaults
            defaults = {name: parameter.default for name, parameter in notebook_parameters(run.path).items()}
            dataset(check, run.name, {**defaults, **values}, artifacts)
        elif "extraction" in families:
            workers = values.get("workers", notebook_parameters(run.path)["workers"].default)
            faces(check, run.name, run.settings("extraction"), workers)
        elif run.notebook == "08_cross_dataset":
            targets(check, run.name, values)
        for family in families:
            settings = run.settings(family)
            if hasattr(settings, "facenet_model"):
                facenet_weights(check, run.name, settings.facenet_model)
            if hasattr(settings, "backbone"):
                backbone_weights(check, run.name, settings.backbone, settings.weights)
        if values.get("data_profile"):
            source = artifacts_dir(values["data_profile"])
            if not (source / "index.csv").is_file():
                check.problem(
                    run.name,
                    f"data_profile {values['data_profile']!r}: {source / 'index.csv'} is absent; run "
                    "that profile's 01_data and 02_faces first",
                )
    return check
