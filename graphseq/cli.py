"""The ``graphseq`` command.

Each sub-command is a ``register_<name>(subparsers)`` function below that adds its parser and
sets ``func`` to the function that runs it; the work itself lives in the library modules.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main", "build_parser"]


def _run_datasets(args) -> int:
    from .datasets import data_search_dirs, dataset_table

    rows = dataset_table(args.root)
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  kind   task        available  description")
    for r in rows:
        mark = "yes" if r["available"] else "no"
        print(
            f"{r['name']:<{width}}  {r['kind']:<5}  {r['task']:<10}  {mark:<9}  {r['description']}"
        )
    print("\ndata directories searched, in order:")
    for why, directory in data_search_dirs(args.root):
        print(f"  {directory}  ({why})")
    return 0


def register_datasets(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list datasets and whether each is available")
    parser.add_argument("--root", help="data directory to search first")
    parser.set_defaults(func=_run_datasets)


def _run_bench(args) -> int:
    from .bench import run_bench_command

    return run_bench_command(args)


def register_bench(subparsers) -> None:
    from .bench import add_bench_arguments

    parser = subparsers.add_parser(
        "bench", help="node-classification benchmark with published numbers beside ours"
    )
    add_bench_arguments(parser)
    parser.set_defaults(func=_run_bench)


def _run_embed(args) -> int:
    from .embed import run_embed_command

    return run_embed_command(args)


def register_embed(subparsers) -> None:
    from .embed import add_embed_arguments

    parser = subparsers.add_parser(
        "embed", help="DeepWalk / node2vec embeddings of a dataset, saved to a file"
    )
    add_embed_arguments(parser)
    parser.set_defaults(func=_run_embed)


# Sub-commands, in the order `graphseq --help` lists them.
REGISTER = [register_bench, register_datasets, register_embed]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphseq", description="Classic graph learning on PyTorch Geometric."
    )
    parser.add_argument("--version", action="version", version=f"graphseq {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTER:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, KeyError) as error:
        # Bad input: one clear message, no traceback (set GRAPHSEQ_DEBUG=1 to see it).
        import os

        if os.environ.get("GRAPHSEQ_DEBUG"):
            raise
        print(f"graphseq {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
