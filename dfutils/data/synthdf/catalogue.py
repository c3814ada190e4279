"""What a SynthDF benchmark is made of: the FF++ methods and compressions it imitates, its identities (photo
people, the real carphone video, morphs of two people) and the sizes it is built at (:data:`SIZES`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dfutils.errors import UserInputError

METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")
COMPRESSION_CRF = {"c0": 0, "c23": 23, "c40": 40}
FPS = 25
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # image-left first
SYNTH_VERSION = 3  # bump when the generator changes what it draws


@dataclass(frozen=True)
class Identity:
    """A real person: several photos (:mod:`dfutils.data.synthdf.identities`), the real carphone video, or a
    morph of two catalogue people (an identity nobody has, for when real people run out)."""

    name: str
    kind: str  # "photos", "video" or "morph"
    faces: tuple = ()  # CatalogueFace entries (photos), best first
    parents: tuple = ()  # two identity names (morph)


VIDEO_IDENTITY = Identity("carphone", "video")
MORPH_PREFIX = "morph_"


@lru_cache(maxsize=1)
def catalogue_identities() -> dict[str, Identity]:
    """Every identity SynthDF can draw from: the face catalogue's people and the carphone video."""
    from dfutils.data.synthdf.identities import default_catalogue

    people = {name: Identity(name, "photos", tuple(faces)) for name, faces in default_catalogue().identities().items()}
    return {**people, VIDEO_IDENTITY.name: VIDEO_IDENTITY}


def catalogue_fingerprint() -> str:
    """Part of a build's settings: a rebuilt face catalogue must not be mixed into an older build."""
    import hashlib

    from dfutils.data.synthdf.identities import CATALOGUE_PATH

    return hashlib.sha256(CATALOGUE_PATH.read_bytes()).hexdigest()[:16]


def morph_name(first: str, second: str) -> str:
    return f"{MORPH_PREFIX}{first}+{second}"


def identity(name: str) -> Identity:
    """The identity called ``name`` (a catalogue person, ``carphone``, or ``morph_<a>+<b>``)."""
    known = catalogue_identities()
    if name in known:
        return known[name]
    if name.startswith(MORPH_PREFIX) and "+" in name:
        parents = tuple(name[len(MORPH_PREFIX):].split("+", 1))
        if all(known.get(parent, VIDEO_IDENTITY).kind == "photos" for parent in parents) and parents[0] != parents[1]:
            return Identity(name, "morph", parents=parents)
    raise UserInputError(
        f"identity: unknown {name!r}; known: {', '.join(sorted(known))} (or morph_<a>+<b> of two of them)"
    )


@dataclass(frozen=True)
class SynthConfig:
    """How big a benchmark to build. ``clips_per_identity`` must be even (FF++ pairs)."""

    identities: tuple[str, ...]  # () means every catalogue identity and the carphone video
    clips_per_identity: int
    seconds: float
    compressions: tuple[str, ...]
    frame_size: int = 256
    methods: tuple[str, ...] = METHODS
    morphs: int = 0  # extra identities, each a morph of two real people of the same split
    val_fraction: float = 0.2  # of the real identities
    test_fraction: float = 0.2

    @property
    def frames(self) -> int:
        return int(round(self.seconds * FPS))


SIZES = {
    # CI: 8 identities x 2 clips, 2 s, c23 -> 16 real + 64 fake videos
    "smoke": SynthConfig(
        identities=("ben_afflek", "jerry_seinfeld", "madonna", "mindy_kaling", "friends_1", "faceapi4_1",
                    "portrait_1", "carphone"),
        clips_per_identity=2, seconds=2.0, compressions=("c23",),
    ),
    # make reproduce: every catalogue identity (54 people from photos, the carphone video) and
    # 10 morphs -> 65 identities x 2 clips, 1.2 s, c23 and c40 -> 1300 videos; a quarter of the real
    # identities in test and a sixth in val, each split with its share of the morphs.
    "demo": SynthConfig(
        identities=(), clips_per_identity=2, seconds=1.2, compressions=("c23", "c40"), morphs=10,
        val_fraction=0.17, test_fraction=0.25,
    ),
}
