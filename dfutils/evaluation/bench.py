"""Benchmarks that print one JSON line of figures, each beside its baseline.

``dfutils bench extract``: frames per second of the project's extractor
(evenly sampled frames, grab-skipping, detection on downscaled frames,
batched) in one process, and through ``dfutils extract``'s Dask path with 1 and 2
worker processes, and of a naive baseline (decode every frame, MTCNN on every
full-resolution frame, one at a time) on the same videos, in one process
each, models loaded beforehand; their ratio; and how often our main-face box
agrees (IoU >= 0.5) with the naive detector's on the same frames; and the bytes a
video's crops take in the cache beside their uncompressed size.

``dfutils bench codec``: every crop codec on the same crops (bytes per video,
encode and decode time, PSNR against the raw crops).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from dfutils.config import REAL_SAMPLES_DIR
from dfutils.errors import UserInputError


def _videos(paths: list[str] | None) -> list[Path]:
    if paths:
        videos = []
        for item in map(Path, paths):
            videos += sorted(item.rglob("*.mp4")) if item.is_dir() else [item]
    else:
        videos = sorted(REAL_SAMPLES_DIR.rglob("*.mp4")) if REAL_SAMPLES_DIR.is_dir() else []
    if not videos:
        raise UserInputError(
            f"no videos to benchmark: pass some (files or folders), or provide the real samples at {REAL_SAMPLES_DIR}"
        )
    return videos


def _dask_throughput(videos: list[Path], settings, workers: int, repeat: int) -> float:
    """Frames per second of ``dfutils extract``'s Dask path on a local cluster of ``workers`` processes,
    after each worker has loaded its detector (start-up is not throughput): every video ``repeat``
    times under distinct ids, into a fresh cache."""
    import tempfile

    import pandas as pd

    from dfutils.faces.extract import dask_client, extract_index, process_video

    with tempfile.TemporaryDirectory() as scratch:
        # a cluster as `dfutils extract` makes it
        with dask_client(workers, None, Path(scratch) / "workers.log") as (client, cluster):
            warm = [client.submit(process_video, str(videos[0]), f"warm-{k}", f"{scratch}/warm-{k}", settings, 1,
                                  pure=False, workers=[address])
                    for k, address in enumerate(cluster.scheduler_info["workers"])]
            client.gather(warm)
            index = pd.DataFrame([{"video_id": f"{n}-{video.name}", "path": str(video)}
                                  for n in range(repeat) for video in videos])
            start = time.perf_counter()
            table = extract_index(index, Path(scratch) / "timed", settings, scheduler=cluster.scheduler_address,
                                  progress=False)
            seconds = time.perf_counter() - start
    return float(table["frames_sampled"].sum()) / seconds


def bench_extract(paths: list[str] | None = None, frames: int = 30, naive_frames: int = 10,
                  detect_side: int = 640, dask_workers: tuple[int, ...] = (1, 2), dask_repeat: int = 2) -> dict:
    import cv2

    from dfutils.data.video import sample_frames
    from dfutils.faces.detectors import get_detector
    from dfutils.faces.extraction_settings import ExtractionSettings
    from dfutils.faces.tracking import box_iou, extract_video

    videos = _videos(paths)
    settings = ExtractionSettings(detector="mtcnn", frames=frames, size=240, detect_side=detect_side)
    from mtcnn import MTCNN

    detector = get_detector("mtcnn")  # loaded once, outside the timings ...
    extract_video(videos[0], videos[0].name, settings, detector=detector)  # ... and its graphs traced
    mtcnn = MTCNN()  # the naive baseline and the reference boxes: the package as it comes, none of our changes
    mtcnn.detect_faces(cv2.cvtColor(cv2.VideoCapture(str(videos[0])).read()[1], cv2.COLOR_BGR2RGB))

    ours_frames, ours_seconds, results = 0, 0.0, {}
    for video in videos:
        start = time.perf_counter()
        result = extract_video(video, video.name, settings, detector=detector)
        ours_seconds += time.perf_counter() - start
        ours_frames += len(result.frame_indices)
        results[video] = result

    naive_frames_done, naive_seconds = 0, 0.0
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        start = time.perf_counter()
        for _ in range(naive_frames):  # every frame, in order, at full resolution
            ok, frame = capture.read()
            if not ok:
                break
            mtcnn.detect_faces(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            naive_frames_done += 1
        naive_seconds += time.perf_counter() - start
        capture.release()

    agree, compared = 0, 0
    for video, result in results.items():  # not timed: the naive detector on the frames we sampled
        sampled = sample_frames(video, frames=frames)
        for frame, box in zip(sampled.frames, result.boxes, strict=True):
            faces = mtcnn.detect_faces(frame, box_format="xyxy")
            compared += 1
            agree += any(box_iou(box, f["box"]) >= 0.5 for f in faces)

    dask_fps = {workers: _dask_throughput(videos, settings, workers, dask_repeat) for workers in dask_workers}
    stored = sum(len(result.encoded[0]) for result in results.values()) / len(results)
    raw = sum(result.crops.nbytes for result in results.values()) / len(results)
    ours_fps = ours_frames / ours_seconds
    naive_fps = naive_frames_done / naive_seconds
    return {
        "bench": "extract", "videos": len(videos), "detector": "mtcnn", "frames_per_video": frames,
        "detect_side": detect_side, "ours_fps": round(ours_fps, 2), "naive_fps": round(naive_fps, 2),
        "speedup": round(ours_fps / naive_fps, 2), "agreement_iou50": round(agree / compared, 3),
        "naive_frames_per_video": naive_frames, "crop_codec": f"{settings.codec} q{settings.quality}",
        "stored_bytes_per_video": int(stored), "raw_bytes_per_video": int(raw),
        **{f"dask_{workers}_workers_fps": round(fps, 2) for workers, fps in dask_fps.items()},
        **{f"dask_{workers}_workers_speedup": round(fps / naive_fps, 2) for workers, fps in dask_fps.items()},
    }


def bench_codec(paths: list[str] | None = None, frames: int = 30, size: int = 240) -> dict:
    """Bytes per video, encode and decode time and fidelity (PSNR against the raw crops) of every crop
    codec, on crops extracted from the videos at Paper A's settings (30 crops of 240 px)."""
    import numpy as np

    from dfutils.faces.crop_codec import decode_crops, encode_crops
    from dfutils.faces.detectors import get_detector
    from dfutils.faces.extraction_settings import ExtractionSettings
    from dfutils.faces.tracking import extract_video

    videos = _videos(paths)
    settings = ExtractionSettings(detector="mtcnn", frames=frames, size=size, codec="raw")
    detector = get_detector("mtcnn")
    stacks = [extract_video(video, video.name, settings, detector=detector).crops for video in videos]
    figures = {"bench": "codec", "videos": len(videos), "crops_per_video": frames, "size": size,
               "raw_bytes_per_video": int(np.mean([stack.nbytes for stack in stacks]))}
    for codec, quality in (("png", 0), ("jpeg", 95), ("jpeg", 90), ("webp", 95), ("webp", 90)):
        label = codec if codec == "png" else f"{codec}_q{quality}"
        sizes, encode_s, decode_s, errors = [], 0.0, 0.0, []
        for stack in stacks:
            start = time.perf_counter()
            buffer, offsets = encode_crops(stack, codec, quality or 95)
            encode_s += time.perf_counter() - start
            start = time.perf_counter()
            back = decode_crops(buffer, offsets, codec, stack.shape[1:])
            decode_s += time.perf_counter() - start
            sizes.append(len(buffer))
            errors.append(np.mean((back.astype(np.float64) - stack) ** 2))
        mse = float(np.mean(errors))
        figures[label] = {
            "bytes_per_video": int(np.mean(sizes)), "ratio": round(figures["raw_bytes_per_video"] / np.mean(sizes), 1),
            "encode_ms_per_video": round(1000 * encode_s / len(stacks), 1),
            "decode_ms_per_video": round(1000 * decode_s / len(stacks), 1),
            "psnr_db": None if mse == 0 else round(10 * np.log10(255 ** 2 / mse), 1),
        }
    return figures


def bench_model(backbone: str = "efficientnet_b0", frames: int = 8, size: int = 96, batch_size: int = 2,
                steps: int = 6) -> dict:
    """Training and prediction throughput (clips/s) of the folded model and the TimeDistributed one.

    Same architecture, same weights, same random clips; the first training step
    (which builds the graph) is timed on its own.
    """
    import keras
    import numpy as np

    from dfutils.nets.architectures import build_time_distributed, copy_weights
    from dfutils.nets.training import build_optimizer
    from dfutils.seeding import seed_everything

    seed_everything(0)
    clips = np.random.default_rng(0).uniform(0, 255, (batch_size * steps, frames, size, size, 3)).astype("float32")
    labels = np.arange(len(clips)) % 2
    figures = {"bench": "model", "backend": keras.backend.backend(), "backbone": backbone, "frames": frames,
               "size": size, "batch_size": batch_size, "steps": steps}
    reference = None
    for name, fold in (("folded", True), ("time_distributed", False)):
        model = build_time_distributed(backbone, frames, size, None, lstm_units=64, dense_units=32, dropout_rate=0.3,
                                       fold_time=fold)
        if reference is None:
            reference = model
        else:
            copy_weights(reference, model)
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="binary_crossentropy")
        build_optimizer(model)  # as training does: the first step traces once
        start = time.perf_counter()
        model.train_on_batch(clips[:batch_size], labels[:batch_size])
        figures[f"{name}_first_step_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        for step in range(steps):
            batch = slice(step * batch_size, (step + 1) * batch_size)
            model.train_on_batch(clips[batch], labels[batch])
        figures[f"{name}_train_clips_per_s"] = round(len(clips) / (time.perf_counter() - start), 2)
        model.predict_on_batch(clips[:batch_size])  # build the prediction function outside the timing
        start = time.perf_counter()
        for step in range(steps):
            model.predict_on_batch(clips[step * batch_size:(step + 1) * batch_size])
        figures[f"{name}_predict_clips_per_s"] = round(len(clips) / (time.perf_counter() - start), 2)
    figures["first_step_ratio"] = round(figures["time_distributed_first_step_s"] / figures["folded_first_step_s"], 2)
    figures["train_speedup"] = round(
        figures["folded_train_clips_per_s"] / figures["time_distributed_train_clips_per_s"], 2
    )
    figures["predict_speedup"] = round(
        figures["folded_predict_clips_per_s"] / figures["time_distributed_predict_clips_per_s"], 2
    )
    return figures


def print_json_line(figures: dict) -> None:
    print(json.dumps(figures), flush=True)


