"""The hyperparameters of each detector family, one small dataclass each: the one source of every field's
default (the papers' values where given), type and limits (:mod:`dfutils.settings_schema`). A profile gives a
family's settings as one mapping (``settings: {frame_classifier: {...}}``), a notebook as one parameter of that
name; a detector reads nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from dfutils.settings_schema import Choice, Settings, above, at_least, share

# the limits every trained family shares (epochs 0: not trained), and a dropout rate's
_TRAINING = {"epochs": at_least(0), "batch_size": at_least(1), "learning_rate": above(0)}
_STOPPING = {"patience": at_least(1)}  # early stopping on validation AUC
_DROPOUT = {"dropout_rate": share()}


@dataclass(frozen=True)
class PaperASettings(Settings):
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
    crf_augment: tuple[
        int, ...
    ] = ()  # beyond the paper, off: each training clip re-encoded as H.264 at a random CRF in [low, high]

    LIMITS = {
        **_TRAINING,
        **_STOPPING,
        **_DROPOUT,
        "frames": at_least(1),
        "size": at_least(32),
        "lstm_units": at_least(1),
        "dense_units": at_least(1),
    }


@dataclass(frozen=True)
class FrameSettings(Settings):
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
    crf_augment: tuple[
        int, ...
    ] = ()  # beyond the paper, off: each training video's frames re-encoded as H.264 at a random
    # CRF in [low, high] (FF++ c23 = 23, c40 = 40), a new one every epoch

    LIMITS = {
        **_TRAINING,
        **_STOPPING,
        **_DROPOUT,
        "size": at_least(32),
        "frames_per_video": at_least(1),
        "embedding_units": at_least(1),
        "schedule_decay": at_least(0),
        "bagging_parts": at_least(0),
        "bagging_epochs": at_least(1),
        "self_blended_share": at_least(0),
    }  # bagging_parts 0 skips bagging


@dataclass(frozen=True)
class SelfBlendedSettings(Settings):
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

    LIMITS = {
        **_TRAINING,
        **_STOPPING,
        **_DROPOUT,
        "size": at_least(32),
        "frames_per_video": at_least(1),
        "embedding_units": at_least(1),
    }


@dataclass(frozen=True)
class SequenceSettings(Settings):
    """Paper B's frames + LSTM/GRU: a recurrent layer over the frame classifier's embeddings."""

    frames: int = 25  # Paper B: 25 frames per video (also 16 and 32)
    units: int = 32  # Paper B: a single recurrent layer of 32 units
    epochs: int = 50  # not given
    patience: int = 10  # not given: early stopping on validation AUC
    batch_size: int = 32  # not given
    learning_rate: float = 1e-3  # not given: Adam

    LIMITS = {**_TRAINING, **_STOPPING, "frames": at_least(1), "units": at_least(1)}  # epochs 0 skips the LSTM and GRU


@dataclass(frozen=True)
class Conv3DSettings(Settings):
    """Paper B's 3D CNN, trained from scratch."""

    frames: int = 32  # Paper B: 32 frames per video
    size: int = 112  # not given
    filters: tuple[int, ...] = (64, 128, 256, 256, 512, 512)  # Paper B: 3x3x3 kernels, 2x2x2 max pooling
    dense_units: int = 256  # not given
    dropout_rate: float = 0.3  # not given
    epochs: int = 30  # not given
    patience: int = 5  # not given: early stopping on validation AUC
    batch_size: int = 4  # not given
    learning_rate: float = 1e-4  # not given: Adam

    LIMITS = {
        **_TRAINING,
        **_STOPPING,
        **_DROPOUT,
        "frames": at_least(2),
        "size": at_least(8),
        "dense_units": at_least(1),
    }  # epochs 0 skips it


@dataclass(frozen=True)
class TripletSettings(Settings):
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

    LIMITS = {**_TRAINING, **_DROPOUT, "frames_per_video": at_least(1), "margin": above(0), "hidden_units": at_least(1),
              "embedding_dim": at_least(1), "trees": at_least(1)}


@dataclass(frozen=True)
class CropStatisticsSettings(Settings):
    """The trivial-cue baseline: colour, sharpness and motion of the central crop of raw frames (or of the
    face crops, for a dataset of crops that has no frames)."""

    frames: int = 8  # frames (or crops) per video
    source: str = "video"  # "video": raw frames; "crops": the run's face crops

    LIMITS = {"frames": at_least(0), "source": Choice(("video", "crops"))}  # frames 0: the baseline is skipped
