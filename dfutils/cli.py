"""The ``dfutils`` command line (``python -m dfutils`` works too).

Exit status: 0 done, 1 a notebook or job failed, 2 bad input (one line on
stderr naming the culprit).
"""

from __future__ import annotations

import argparse
import sys

from .errors import UserInputError


def _cmd_run(args: argparse.Namespace) -> int:
    from .runner import NotebookFailed, run_profile

    try:
        run_profile(args.params, only=args.only or None)
    except NotebookFailed as failure:
        print(f"dfutils run: {failure}", file=sys.stderr)
        return 1
    return 0


def _cmd_data_index(args: argparse.Namespace) -> int:
    from .datasets import index_dataset, missing_files, write_index

    options = {"seed": args.seed}
    if args.dataset == "ffpp":
        options.update(compressions=args.compression, methods=args.method)
    elif args.compression or args.method:
        raise UserInputError("--compression and --method apply to --dataset ffpp only")
    if args.dataset == "dfdc" and args.split_by:
        options["split_by"] = args.split_by
    df = index_dataset(args.dataset, args.root, **options)
    missing_path = write_index(df, args.out)
    counts = df.groupby("split")["label"].agg(["size", "sum"])
    summary = ", ".join(
        f"{split} {int(row['size'])} ({int(row['sum'])} fake)" for split, row in counts.iterrows()
    )
    print(f"wrote {len(df)} videos to {args.out}: {summary}")
    if missing_path:
        print(f"{len(missing_files(df))} file(s) listed but absent: see {missing_path}")
    return 0


def _cmd_data_synth(args: argparse.Namespace) -> int:
    import time

    from .synth import build_synthdf

    started = time.perf_counter()
    manifest = build_synthdf(args.out, size=args.size, seed=args.seed, workers=args.workers)
    counts = manifest.groupby(["compression", "method"]).size().unstack(fill_value=0)
    print(f"SynthDF ({args.size}, seed {args.seed}): {len(manifest)} videos in {args.out} "
          f"({time.perf_counter() - started:.0f} s)")
    print(counts.to_string())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dfutils", description="Deepfake video detection: data, faces, notebooks, reports."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="execute a profile's notebooks with papermill and write the HTML report"
    )
    run.add_argument("params", help="profile file, e.g. params/demo.yaml")
    run.add_argument(
        "--only", action="append", metavar="NAME",
        help="run only this notebook (a run name or a notebook name; repeatable)",
    )
    run.set_defaults(handler=_cmd_run)

    data = commands.add_parser("data", help="dataset indexes and the SynthDF benchmark")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    index = data_commands.add_parser("index", help="read an official dataset layout into an index CSV")
    index.add_argument("--dataset", required=True, choices=("dfdc", "celebdf", "ffpp"))
    index.add_argument("--root", required=True, help="folder of the official download")
    index.add_argument("--out", required=True, help="index CSV to write (missing files go to <out>.missing.csv)")
    index.add_argument("--seed", type=int, default=0, help="seed of the grouped split (default 0)")
    index.add_argument("--compression", action="append", choices=("raw", "c0", "c23", "c40"),
                       help="ffpp: compression level(s) to index (repeatable; default all found)")
    index.add_argument("--method", action="append",
                       help="ffpp: manipulation method(s) to index (repeatable; default all found)")
    index.add_argument("--split-by", choices=("group", "part"),
                       help="dfdc: seeded split of whole families (group, default) or by part number")
    index.set_defaults(handler=_cmd_data_index)
    synth = data_commands.add_parser(
        "synth", help="build the SynthDF demo benchmark (FaceForensics++ layout, offline)"
    )
    synth.add_argument("--out", required=True, help="folder to write (resumes an interrupted build)")
    synth.add_argument("--size", choices=("smoke", "demo"), default="demo",
                       help="smoke: 80 videos, about half a minute; demo: 640 videos (default)")
    synth.add_argument("--seed", type=int, default=0, help="same seed, same decoded frames (default 0)")
    synth.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    synth.set_defaults(handler=_cmd_data_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserInputError as error:
        print(f"dfutils {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dfutils {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
