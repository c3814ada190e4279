"""The ``dfutils`` command line (``python -m dfutils`` works too).

Exit status, the same for every command (:mod:`dfutils.errors`): 0 all done, 1 the job failed (a notebook
raised), 2 bad input (one line on stderr naming the culprit), 3 done but some items failed (each recorded
with its reason), 4 an environment fault (a full disk, no permission), 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
import sys

from dfutils import __version__
from dfutils.errors import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EnvironmentFault,
    UserInputError,
)

# what the machine did, not the paths given: a full disk or quota, a read-only or forbidden place, no file handles
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE, errno.ENFILE,
                      errno.ENOMEM, errno.EIO}


def _cmd_run(args: argparse.Namespace) -> int:
    from dfutils.run.params import list_profiles, profile_path
    from dfutils.run.runner import NotebookFailed, run_profile

    if args.list or not args.params:
        print(list_profiles())
        return EXIT_OK if args.list else EXIT_BAD_INPUT
    try:
        run_profile(profile_path(args.params), only=args.only or None, overrides=args.set or (), force=args.force)
    except NotebookFailed as failure:
        print(f"dfutils run: {failure}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_data_index(args: argparse.Namespace) -> int:
    from dfutils.data.datasets import index_dataset, missing_files, write_index

    options = {"seed": args.seed}
    if args.dataset == "ffpp":
        options.update(compressions=args.compression, methods=args.method)
    elif args.compression or args.method:
        raise UserInputError("--compression and --method apply to --dataset ffpp only")
    if args.dataset == "dfdc" and args.split_by:
        options["split_by"] = args.split_by
    if args.protocol:
        if args.dataset != "celebdf":
            raise UserInputError("--protocol applies to --dataset celebdf only")
        options["protocol"] = args.protocol
    if args.pattern or args.ignore_split_folders:
        if args.dataset != "faces":
            raise UserInputError("--pattern and --ignore-split-folders apply to --dataset faces only")
        options.update(pattern=args.pattern, split_folders=not args.ignore_split_folders)
    if args.min_crops > 1:
        if args.dataset != "faces":
            raise UserInputError("--min-crops applies to --dataset faces only")
        options["min_crops"] = args.min_crops
    columns = {role: name for role, name in (("video", args.video_column), ("label", args.label_column),
                                             ("original", args.original_column)) if name}
    if args.group_faces or args.face_threshold is not None:
        if args.dataset != "faces":
            raise UserInputError("--group-faces and --face-threshold apply to --dataset faces only")
        options.update(group_faces=True, face_threshold=args.face_threshold)
    if args.labels or columns or args.skip_bad_rows:
        if args.dataset != "faces":
            raise UserInputError("--labels, --video-column, --label-column, --original-column and --skip-bad-rows "
                                 "apply to --dataset faces only")
        options.update(labels=args.labels, columns=columns, skip_bad_rows=args.skip_bad_rows)
    df = index_dataset(args.dataset, args.root, **options)
    missing_path = write_index(df, args.out)
    counts = df.groupby("split")["label"].agg(["size", "sum"])
    summary = ", ".join(
        f"{split} {int(row['size'])} ({int(row['sum'])} fake)" for split, row in counts.iterrows()
    )
    print(f"wrote {len(df)} videos to {args.out}: {summary}")
    for note in df.attrs.get("notes", []):
        print(note)
    if missing_path:
        reasons = missing_files(df)["reason"]
        unreadable = int(reasons.str.startswith("unreadable").sum())
        short = int(reasons.str.contains("fewer than min_crops").sum())
        bad_rows = int(reasons.str.match(r"(line|entry|item) ").sum())  # label-file rows --skip-bad-rows left out
        absent = len(reasons) - unreadable - short - bad_rows
        print(", ".join(part for part in (f"{absent} file(s) listed but absent" if absent else "",
                                          f"{unreadable} unreadable" if unreadable else "",
                                          f"{bad_rows} label-file row(s) skipped" if bad_rows else "",
                                          f"{short} video(s) of fewer crops than --min-crops left out" if short else "")
                        if part) + f": see {missing_path}")
        # an absent file is the state of a partial download (reported); a file present but unreadable, or a label
        # file's row that could not be used, a failure
        return EXIT_SOME_FAILED if unreadable or bad_rows else EXIT_OK
    return EXIT_OK


def _cmd_data_face_threshold(args: argparse.Namespace) -> int:
    from dfutils.data.datasets import data_root
    from dfutils.data.face_identity import IDENTITY_THRESHOLD
    from dfutils.studies.face_identity import choose_threshold, known_people, threshold_table

    table = threshold_table(known_people(data_root(args.root)))
    columns = ["set", "threshold", "videos", "people", "precision", "recall", "f_beta", "same_person_pairs",
               "pairs_together", "largest_cluster"]
    print(table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for transfer in table.attrs["transfer"]:  # how far one set's choice carries to the other
        others = ", ".join(
            f"{key} {value:.3f}" for key, value in transfer.items() if key not in ("chosen_on", "threshold")
        )
        print(f"chosen on {transfer['chosen_on']} alone: {transfer['threshold']}; there {others}")
    chosen = choose_threshold(table)
    print(f"best pooled F-beta (beta 2) at {chosen}; the default (face_identity.IDENTITY_THRESHOLD) is "
          f"{IDENTITY_THRESHOLD}")
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from dfutils.evaluation.cross_dataset import Target, evaluate

    target = Target(args.name or args.dataset, args.dataset, args.root, args.split, tuple(args.compression or ()),
                    crf=args.crf, crf_face_side=args.crf_face_side, every_face=args.every_face)
    metrics, predictions = evaluate(args.model, target, args.out, seed=args.seed, workers=args.workers)
    shown = metrics[metrics["method"] == "all"][["model", "videos", "auc", "auc_low", "auc_high", "accuracy", "eer",
                                                  "failed"]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"metrics in {args.out}/metrics.csv, {len(predictions)} prediction rows in {args.out}/predictions.csv")
    return _items_status(predictions["error"] == "")


def _cmd_check(args: argparse.Namespace) -> int:
    from dfutils.run.params import profile_path
    from dfutils.run.preflight import check_machine, check_profile

    check = (check_profile(profile_path(args.params), overrides=args.set or ()) if args.params
             else check_machine())
    print(check.text())
    return EXIT_OK if check.ready else EXIT_BAD_INPUT


def _cmd_data_synth(args: argparse.Namespace) -> int:
    import time

    from dfutils.data.synthdf.generator import build_synthdf

    started = time.perf_counter()
    manifest = build_synthdf(args.out, size=args.size, seed=args.seed, workers=args.workers)
    counts = manifest.groupby(["compression", "method"]).size().unstack(fill_value=0)
    print(f"SynthDF ({args.size}, seed {args.seed}): {len(manifest)} videos in {args.out} "
          f"({time.perf_counter() - started:.0f} s)")
    print(counts.to_string())
    return 0


def _cmd_data_catalogue(args: argparse.Namespace) -> int:
    from dfutils.data.synthdf.identities import build_catalogue, write_catalogue

    catalogue = build_catalogue(threshold=args.threshold)
    path = write_catalogue(catalogue, args.out)
    people = catalogue.identities()
    print(f"{len(catalogue.faces)} faces of {len(people)} identities (threshold {catalogue.threshold}) -> {path}")
    print("rejected: " + ", ".join(f"{reason} {count}" for reason, count in catalogue.rejected.items()))
    return 0


def _compression_arguments(command: argparse.ArgumentParser, crf_help: str) -> None:
    command.add_argument("--crf", type=int, default=0, help=crf_help)
    command.add_argument("--crf-face-side", type=int, default=0,
                         help="with --crf: encode as if the face box had this side in pixels (default: its own size)")


def _extraction_arguments(extract: argparse.ArgumentParser) -> None:
    """``dfutils extract``'s settings: every option defaults to ExtractionSettings' own (left out: not set here)."""
    from dfutils.faces.extraction_settings import DETECTORS, ExtractionSettings

    default = ExtractionSettings()

    def option(name: str, kind, text: str, **more) -> None:
        value = getattr(default, name.replace("-", "_"))
        extract.add_argument(f"--{name}", type=kind, default=None, help=f"{text} (default: {value})", **more)

    option("detector", str, "face detector", choices=tuple(DETECTORS))
    option("frames", int, "frames evenly spaced per video")
    option("fps", float, "or: frames per second to take instead of --frames")
    option("size", int, "crop side in pixels")
    option("margin", float, "margin as a fraction of the face box")
    option("margin-px", int, "extra fixed margin in pixels on each side")
    option("detect-side", int, "longest side frames are downscaled to for detection")
    option("min-score", float, "detections below this confidence are ignored (None: each detector's own)")
    option("keyframe-every", int, "full-frame detection on every k-th sampled frame (None: each detector's own)")
    option("window-side", int, "side of the window near the followed face that the detector looks at")
    option("codec", str, "how crops are stored (see `dfutils bench codec`)", choices=("jpeg", "webp", "png", "raw"))
    option("quality", int, "quality of a lossy codec")
    extract.add_argument("--every-face", action="store_true", default=None,
                         help="beyond the papers: crop every face track, not only the main one (default: the main)")
    option("track-share", float, "with --every-face: keep the tracks of at least this share of the main's weight")


def _cmd_extract(args: argparse.Namespace) -> int:
    from dfutils.data.datasets import read_index
    from dfutils.faces.extract import extract_index
    from dfutils.faces.extraction_settings import ExtractionSettings

    if args.frames is not None and args.fps is not None:
        raise UserInputError("give either --frames or --fps, not both")
    from dataclasses import fields

    # an option left out: the dataclass's default
    given = {f.name: getattr(args, f.name) for f in fields(ExtractionSettings) if getattr(args, f.name) is not None}
    settings = ExtractionSettings.from_mapping(given, "dfutils extract --")
    index = read_index(args.index)
    table = extract_index(index, args.out, settings, workers=args.workers, scheduler=args.scheduler,
                          worker_threads=args.worker_threads)
    counts = table["status"].value_counts().to_dict()
    print(f"faces of {len(table)} videos in {args.out}/faces.csv: "
          + ", ".join(f"{status} {count}" for status, count in sorted(counts.items())))
    failed = table[table["status"] == "failed"]
    for _, row in failed.head(10).iterrows():
        print(f"  failed {row['video_id']}: {row['error']}", file=sys.stderr)
    return _items_status(table["status"] != "failed")


def _cmd_bench(args: argparse.Namespace) -> int:
    from dfutils.evaluation.bench import bench_codec, bench_extract, bench_model, print_json_line

    if args.what == "extract":
        print_json_line(bench_extract(args.videos or None, frames=args.frames or 30, naive_frames=args.naive_frames))
    elif args.what == "codec":
        print_json_line(bench_codec(args.videos or None, frames=args.frames or 30))
    elif args.videos:
        raise UserInputError(f"bench {args.what} takes no videos (it times random images)")
    elif args.what == "train":  # one line per backend and precision, as each finishes
        from dfutils.evaluation.bench_training import bench_train

        for line in bench_train(args.backend, size=args.size or 160, steps=args.steps, frames=args.frames or 5):
            print_json_line(line)
    else:
        print_json_line(bench_model(args.backbone, frames=args.frames or 8, size=args.size or 96, steps=args.steps))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from dfutils.evaluation.video_scoring import predict_videos

    table = predict_videos(args.model, args.videos, out=args.out, strips_dir=args.strips, every_face=args.every_face)
    if not args.out:
        print(table.to_csv(index=False), end="")
    scored = int(table["error"].eq("").sum())
    print(f"scored {scored} of {len(table)} file(s)" + (f"; table in {args.out}" if args.out else ""), file=sys.stderr)
    for _, row in table[table["error"] != ""].iterrows():
        error = row["error"]
        print(f"  {error}" if error.startswith(row["path"]) else f"  {row['path']}: {error}", file=sys.stderr)
    return _items_status(table["error"].eq(""))


def _items_status(done) -> int:
    """A batch command's status from which items it did: all (0), some (3: each failure is recorded), none (2: the
    input gave nothing usable)."""
    done = list(done)
    return EXIT_OK if all(done) else EXIT_SOME_FAILED if any(done) else EXIT_BAD_INPUT


def _cmd_compare(args: argparse.Namespace) -> int:
    from dfutils.run.compare import compare_runs

    print(compare_runs(args.first, args.second))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from dfutils import config
    from dfutils.run.profile_schema import profile_schema, schema_text

    text = schema_text(profile_schema(config.NOTEBOOKS_DIR))
    if args.out:
        from dfutils.atomic import write_text

        write_text(args.out, text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfutils", description="Deepfake video detection: data, faces, notebooks, reports."
    )
    parser.add_argument("--version", action="version", version=f"dfutils {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="execute a profile's notebooks with papermill and write the HTML report"
    )
    run.add_argument("params", nargs="?", help="a profile: its name (demo) or its file (params/demo.yaml)")
    run.add_argument("--list", action="store_true", help="list the profiles of params/ with their descriptions")
    run.add_argument(
        "--force",
        action="store_true",
        help="run every notebook again, also those an earlier run finished with the same parameters and code",
    )
    run.add_argument(
        "--only", action="append", metavar="NAME",
        help="run only this notebook (a run name or a notebook name; repeatable)",
    )
    run.add_argument(
        "--set", action="append", metavar="[SCOPE.]KEY=VALUE",
        help="override a parameter or a settings field for this run (typed and validated like the profile; "
             "repeatable): epochs=1 for every parameter and settings field of that name, "
             "03_time_distributed.epochs=1 for one notebook, conv3d.epochs=1 for one settings family, "
             "04_frame_baselines.sequence.epochs=1 for both, profile=NAME to write to another profile's "
             "artifacts and report",
    )
    run.set_defaults(handler=_cmd_run)

    check = commands.add_parser(
        "check", help="pre-flight: what a profile needs against what this machine, its data and weight caches have; "
                      "without a profile, the machine alone (backend, the devices training will use)")
    check.add_argument("params", nargs="?",
                       help="a profile: its name (ffpp_real) or its file (params/ffpp_real.yaml)")
    check.add_argument("--set", action="append", metavar="[NOTEBOOK.]KEY=VALUE", help="as for dfutils run")
    check.set_defaults(handler=_cmd_check)

    data = commands.add_parser("data", help="dataset indexes and the SynthDF benchmark")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    index = data_commands.add_parser("index", help="read an official dataset layout into an index CSV")
    index.add_argument("--dataset", required=True, choices=("dfdc", "celebdf", "ffpp", "faces"),
                       help="an official layout, or faces: a folder of face crops <root>/[<split>/]<class>/<file>")
    index.add_argument("--root", required=True, help="folder of the official download (or of the face crops)")
    index.add_argument("--out", required=True, help="index CSV to write (missing files go to <out>.missing.csv)")
    index.add_argument("--seed", type=int, default=0, help="seed of the grouped split (default 0)")
    index.add_argument("--compression", action="append", choices=("raw", "c0", "c23", "c40"),
                       help="ffpp: compression level(s) to index (repeatable; default all found)")
    index.add_argument("--method", action="append",
                       help="ffpp: manipulation method(s) to index (repeatable; default all found)")
    index.add_argument("--split-by", choices=("group", "part"),
                       help="dfdc: seeded split of whole families (group, default) or by part number")
    index.add_argument(
        "--protocol",
        choices=("official", "identity-disjoint"),
        help="celebdf: the official test list as the test set (default), or every video of its identities",
    )
    index.add_argument("--pattern", default=None,
                       help="faces: a regular expression with a (?P<video>...) group (and optionally frame, person) "
                            "for crop names the known schemes do not cover")
    index.add_argument("--min-crops", type=int, default=1,
                       help="faces: leave out (and list) videos of fewer crops, so that no clip repeats a crop")
    index.add_argument("--ignore-split-folders", action="store_true",
                       help="faces: ignore train/val/test folders and split whole groups of people at random (seeded)")
    index.add_argument("--labels", default=None, metavar="FILE",
                       help="faces: the CSV or JSON that labels the crops (default: labels.csv, metadata.csv, "
                            "metadata.json or labels.json at the root, when one is there)")
    index.add_argument("--video-column", default=None,
                       help="faces: the label file's column naming each video (default: video, videoname, filename...)")
    index.add_argument("--label-column", default=None,
                       help="faces: the label file's column of REAL/FAKE or 0/1 (default: label, class, target...)")
    index.add_argument("--original-column", default=None,
                       help="faces: the label file's column naming the real video a fake was made from (default: "
                            "original...)")
    index.add_argument("--skip-bad-rows", action="store_true",
                       help="faces: leave out (and list) label-file rows with an unknown label, a repeated video, a "
                            "path outside the root or no crop, instead of stopping at the first")
    index.add_argument("--group-faces", action="store_true",
                       help="faces: also group videos whose real faces FaceNet finds alike (one person where the "
                            "names tell none, as DFDC's actors), so no face is on two sides of the split")
    index.add_argument("--face-threshold", type=float, default=None,
                       help="faces, with --group-faces: FaceNet-128 distance under which faces are one person "
                            "(average linkage; default 0.9, chosen by `dfutils data face-threshold`)")
    index.set_defaults(handler=_cmd_data_index)
    threshold = data_commands.add_parser(
        "face-threshold", help="same-person precision and recall of --group-faces at each threshold, on real crops "
                               "whose people are known (Celeb-DF, FF++), and the threshold they choose")
    threshold.add_argument("--root", default="../shared/real-faces",
                           help="folder holding celebdf/, ffpp-256/ and ffpp-c40/ (default ../shared/real-faces)")
    threshold.set_defaults(handler=_cmd_data_face_threshold)
    synth = data_commands.add_parser(
        "synth", help="build the SynthDF demo benchmark (FaceForensics++ layout, offline)"
    )
    synth.add_argument("--out", required=True, help="folder to write (resumes an interrupted build)")
    synth.add_argument(
        "--size",
        choices=("smoke", "demo"),
        default="demo",
        help="smoke: 80 videos, about half a minute; demo: 1,300 videos of 65 identities, about 3 minutes (default)",
    )
    synth.add_argument("--seed", type=int, default=0, help="same seed, same decoded frames (default 0)")
    synth.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    synth.set_defaults(handler=_cmd_data_synth)
    catalogue = data_commands.add_parser(
        "catalogue", help="(maintainers) detect and group the real faces SynthDF is built from"
    )
    catalogue.add_argument(
        "--out", default=None, help="JSON to write (default: dfutils/data/synthdf/face_catalogue.json)"
    )
    catalogue.add_argument("--threshold", type=float, default=None,
                           help="FaceNet distance below which faces are one person (default 1.1)")
    catalogue.set_defaults(handler=_cmd_data_catalogue)

    extract = commands.add_parser("extract", help="sample frames, find faces, cache crops (parallel, resumable)")
    extract.add_argument("--index", required=True, help="index CSV from `dfutils data index`")
    extract.add_argument("--out", required=True, help="folder for crops/ and faces.csv")
    _extraction_arguments(extract)
    _compression_arguments(extract, "re-encode each video's crops as one H.264 clip at this CRF, as FF++ made "
                                     "c23 (23) and c40 (40); default 0: off")
    extract.add_argument("--workers", type=int, default=2, help="local Dask worker processes (default 2)")
    extract.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler to use instead")
    extract.add_argument("--worker-threads", type=int, default=1,
                         help="threads of each worker's detector (default 1: parallelism comes from the workers)")
    extract.set_defaults(handler=_cmd_extract)

    predict = commands.add_parser(
        "predict", help="score videos with a saved model (faces found with the model's own settings)"
    )
    predict.add_argument(
        "--model",
        required=True,
        help="a model file saved by a detector (artifacts/<profile>/models/<detector>/model.keras or model.skops)",
    )
    predict.add_argument("videos", nargs="+", metavar="VIDEO_OR_DIR", help="video files or folders of them")
    predict.add_argument("--out", default=None, help="prediction CSV to write (default: print it)")
    predict.add_argument(
        "--strips", default=None, metavar="DIR", help="also save a per-frame score strip PNG per video here"
    )
    predict.add_argument("--every-face", action="store_true",
                         help="crop every face track of a video, not only the main one, and score it by its most "
                              "confident track (DFDC videos show several people; a fake may swap one)")
    predict.set_defaults(handler=_cmd_predict)

    evaluation = commands.add_parser(
        "evaluate", help="score saved model files on another dataset (cross-dataset): metrics.csv + predictions")
    evaluation.add_argument("--model", required=True, action="append", metavar="FILE",
                            help="a model file saved by a detector (repeatable)")
    evaluation.add_argument("--dataset", required=True, choices=("dfdc", "celebdf", "ffpp", "faces"))
    evaluation.add_argument("--root", required=True, help="folder of the dataset (official layout, or face crops)")
    evaluation.add_argument("--split", choices=("test", "all"), default="test",
                            help="score the dataset's test split (default) or every video")
    evaluation.add_argument("--out", required=True, help="folder for metrics.csv, predictions.csv and the crop cache")
    evaluation.add_argument("--compression", action="append", choices=("raw", "c0", "c23", "c40"),
                            help="ffpp: compression level(s) to score (repeatable; default all found)")
    _compression_arguments(evaluation, "re-encode the dataset's crops as H.264 at this CRF before scoring (FF++ c40: "
                                        "40); a model's own training re-encoding is not applied; default 0: off")
    evaluation.add_argument("--name", default=None, help="the dataset's name in metrics.csv (default: --dataset)")
    evaluation.add_argument("--seed", type=int, default=0, help="seed of the dataset's split and the AUC interval")
    evaluation.add_argument("--workers", type=int, default=2, help="local Dask worker processes for extraction")
    evaluation.add_argument("--every-face", action="store_true",
                         help="crop every face track of a video, not only the main one, and score it by its most "
                              "confident track (DFDC videos show several people; a fake may swap one)")
    evaluation.set_defaults(handler=_cmd_evaluate)

    comparison = commands.add_parser(
        "compare", help="two runs side by side: each model's test AUC and per-video scores, and what differs in their "
                        "records (commit, parameters, packages, CPU): tells a figure the code moved from one the "
                        "machine moved")
    comparison.add_argument("first", help="a run's artifacts folder (artifacts/demo) or its run.json")
    comparison.add_argument("second", help="the other run's artifacts folder or run.json")
    comparison.set_defaults(handler=_cmd_compare)

    schema = commands.add_parser(
        "schema", help="the profile format as JSON Schema: every notebook's parameters and each detector family's "
                       "settings with their types, defaults and limits (params/profile.schema.json)")
    schema.add_argument("--out", help="write it to this file (default: print it)")
    schema.set_defaults(handler=_cmd_schema)

    bench = commands.add_parser("bench", help="speed figures beside a baseline, as one JSON line")
    bench.add_argument("what", choices=("extract", "codec", "model", "train"))
    bench.add_argument("videos", nargs="*", help="videos or folders (default: the real samples)")
    bench.add_argument(
        "--frames", type=int, default=None, help="extract: frames per video (30); model: frames per clip (8)"
    )
    bench.add_argument("--backbone", default="efficientnet_b0", help="model: backbone to time")
    bench.add_argument("--size", type=int, default=None, help="model: crop size (96); train: (160, the profiles')")
    bench.add_argument("--steps", type=int, default=6, help="model, train: timed batches")
    bench.add_argument("--backend", action="append", choices=("tensorflow", "jax", "torch"),
                       help="train: the Keras backends to time (repeatable; default every one installed)")
    bench.add_argument("--naive-frames", type=int, default=10,
                       help="frames per video the naive baseline processes to measure its rate")
    bench.set_defaults(handler=_cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserInputError as error:
        print(f"dfutils {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EnvironmentFault as error:
        print(f"dfutils {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except OSError as error:  # a folder that cannot be created, a full disk: the path, not a traceback
        where = f"{error.filename}: " if error.filename else ""
        print(f"dfutils {args.command}: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_ENVIRONMENT if error.errno in ENVIRONMENT_ERRNOS else EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"dfutils {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
