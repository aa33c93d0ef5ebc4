"""The ``graphseq`` command: one module per subcommand.

Every subcommand module has ``register(subparsers)``, which adds its parser and sets ``func`` to
the function that runs it; the work itself lives in the library modules and `graphseq.recipes`.
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import bench, datasets, embed, generate, train_lm, train_sage, viz, walks
from .common import CommandError

__all__ = ["CommandError", "build_parser", "main"]

SUBCOMMANDS = (bench, datasets, embed, generate, train_lm, train_sage, viz, walks)
"""In the order ``graphseq --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphseq", description="Classic graph learning on PyTorch Geometric."
    )
    parser.add_argument("--version", action="version", version=f"graphseq {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for --nproc relaunches
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CommandError, ValueError, TypeError, FileNotFoundError, KeyError, ImportError) as error:
        # Bad input or a missing file or package: one clear message, no traceback
        # (GRAPHSEQ_DEBUG=1 shows it).
        if os.environ.get("GRAPHSEQ_DEBUG"):
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"graphseq {args.command}: error: {message}", file=sys.stderr)
        return error.code if isinstance(error, CommandError) else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
