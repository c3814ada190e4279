"""The hyperparameters of each detector family, one small dataclass each (the notebooks' parameters
fill them; a detector reads nothing else). Defaults are the papers' values where given."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperASettings:
    """Paper A: a backbone on every frame, an LSTM over the frames, dense layers."""

    backbone: str = "efficientnet_b1"  # Paper A's best (Table 2)
    weights: str = "imagenet"  # Paper A: ImageNet
    frames: int = 30  # Paper A: 30 frames taken evenly over the video
    size: int = 240  # Paper A: crops resized to 240 px
    lstm_units: int = 128  # not given; inferred from Paper A's parameter counts
    dense_units: int = 64  # not given; inferred from Paper A's parameter counts
    dropout_rate: float = 0.3  # not given
    epochs: int = 20  # not given
    patience: int = 5  # not given: early stopping on validation AUC
    batch_size: int = 2  # Paper A: 2 (memory)
    learning_rate: float = 1e-4  # Paper A: Adam 1e-4, betas 0.9 and 0.999
    augment: bool = False  # Paper A: none
    crf_augment: tuple = ()  # beyond the paper, off: each training clip re-encoded as H.264 at a random CRF in [low, high]


@dataclass(frozen=True)
class FrameSettings:
    """Paper B's frame classifier (frames only, bagging, and the embeddings of LSTM/GRU)."""

    backbone: str = "xception"  # Paper B: ImageNet XceptionNet, all layers trainable
    weights: str = "imagenet"  # Paper B: ImageNet
    size: int = 299  # Xception's input side
    frames_per_video: int = 25  # Paper B: 10 to 25 frames per video
    embedding_units: int = 512  # Paper B: the 512-unit dense layer whose outputs the LSTM/GRU read
    dropout_rate: float = 0.3  # not given
    epochs: int = 30  # Paper B: 30 to 50
    patience: int = 5  # not given: early stopping on validation AUC
    batch_size: int = 32  # not given
    learning_rate: float = 0.002  # Paper B: Nadam lr 0.002
    schedule_decay: float = 0.004  # Paper B: Nadam schedule decay 0.004
    bagging_parts: int = 7  # Paper B: the data split into 7 equal parts
    bagging_epochs: int = 30  # Paper B: as the frames-only model
    self_blended_share: float = 0.0  # a lever, off in the papers: self-blended fakes added per batch, x the batch size
    crf_augment: tuple = ()  # beyond the paper, off: each training video's frames re-encoded as H.264 at a random
    # CRF in [low, high] (FF++ c23 = 23, c40 = 40), a new one every epoch


@dataclass(frozen=True)
class SelfBlendedSettings:
    """Beyond the papers: a frame classifier trained on real crops and self-blended copies of them
    (Shiohara and Yamasaki, CVPR 2022: EfficientNet-B4, SAM, lr 0.001, 100 epochs at 380 px)."""

    backbone: str = "efficientnet_lite0"
    weights: str = "imagenet"
    size: int = 224
    frames_per_video: int = 8  # the paper samples 8 frames per video
    embedding_units: int = 512  # the frame classifier's dense layer (as Paper B's)
    dropout_rate: float = 0.3
    epochs: int = 10
    patience: int = 3
    batch_size: int = 32  # real crops per batch; each is served beside its self-blended copy
    learning_rate: float = 3e-4  # Adam for fine-tuning (the paper: SAM over SGD at 0.001)


@dataclass(frozen=True)
class SequenceSettings:
    """Paper B's frames + LSTM/GRU: a recurrent layer over the frame classifier's embeddings."""

    frames: int = 25  # Paper B: 25 frames per video (also 16 and 32)
    units: int = 32  # Paper B: a single recurrent layer of 32 units
    epochs: int = 50  # not given
    patience: int = 10  # not given: early stopping on validation AUC
    batch_size: int = 32  # not given
    learning_rate: float = 1e-3  # not given: Adam


@dataclass(frozen=True)
class Conv3DSettings:
    """Paper B's 3D CNN, trained from scratch."""

    frames: int = 32  # Paper B: 32 frames per video
    size: int = 112  # not given
    filters: tuple = (64, 128, 256, 256, 512, 512)  # Paper B: 3x3x3 kernels, 2x2x2 max pooling
    dense_units: int = 256  # not given
    dropout_rate: float = 0.3  # not given
    epochs: int = 30  # not given
    patience: int = 5  # not given: early stopping on validation AUC
    batch_size: int = 4  # not given
    learning_rate: float = 1e-4  # not given: Adam


@dataclass(frozen=True)
class TripletSettings:
    """Paper B's proposal: FaceNet embeddings, a triplet network, a Random Forest or SGD classifier."""

    facenet_model: str = "20180402-114759"  # Paper B: FaceNet (Inception-ResNet-v1), 512-d
    frames_per_video: int = 25  # Paper B: 10 to 25 frames per video
    margin: float = 0.2  # not given: FaceNet's triplet margin
    hidden_units: int = 256  # not given
    embedding_dim: int = 64  # not given
    dropout_rate: float = 0.1  # not given: between the hidden layer and the projection
    epochs: int = 30  # not given
    batch_size: int = 256  # not given: semi-hard triplets are mined inside each batch
    learning_rate: float = 1e-3  # not given: Adam
    trees: int = 200  # not given: the Random Forest's size


@dataclass(frozen=True)
class CropStatisticsSettings:
    """The trivial-cue baseline: colour, sharpness and motion of the central crop of raw frames (or of the
    face crops, for a dataset of crops that has no frames)."""

    frames: int = 8  # frames (or crops) per video
    source: str = "video"  # "video": raw frames; "crops": the run's face crops


def from_parameters(settings_class, parameters: dict, prefix: str = "", **values):
    """A settings dataclass from a notebook's parameters: each field taken from ``parameters[prefix + field]``
    where the notebook has it, else from ``values``, else the field's default."""
    from dataclasses import fields

    chosen = {}
    for field_ in fields(settings_class):
        if field_.name in values:
            chosen[field_.name] = values[field_.name]
        elif prefix + field_.name in parameters:
            chosen[field_.name] = parameters[prefix + field_.name]
    unknown = set(values) - {field_.name for field_ in fields(settings_class)}
    if unknown:
        raise TypeError(f"{settings_class.__name__}: no field {', '.join(sorted(unknown))}")
    # a YAML list becomes a tuple: settings are frozen and hashable
    return settings_class(**{name: tuple(value) if isinstance(value, list) else value for name, value in chosen.items()})
