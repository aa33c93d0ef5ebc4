"""``--nproc K``: a command relaunches itself under ``torchrun`` with ``K`` ranks on this machine.

    graphseq train-sage --dataset BlogCatalog --nproc 2
    # runs: python -m torch.distributed.run --standalone --nproc-per-node 2 \\
    #           -m graphseq.cli train-sage --dataset BlogCatalog

For several machines, run ``torchrun`` yourself on each (see the distributed guide); a command
launched by torchrun needs no option: it finds its rank in the environment.
"""

from __future__ import annotations

import subprocess
import sys

from ..distributed import launched_by_torchrun

__all__ = ["add_nproc_argument", "relaunch"]


def add_nproc_argument(parser) -> None:
    parser.add_argument(
        "--nproc",
        type=int,
        help="run on this many processes on this machine (relaunches the command under "
        "torchrun; without it the command runs in this one process, or as one rank when "
        "launched by torchrun)",
    )


def _without_nproc(argv: list[str]) -> list[str]:
    kept, skip = [], False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--nproc":
            skip = True
        elif not argument.startswith("--nproc="):
            kept.append(argument)
    return kept


def relaunch(args) -> int | None:
    """With ``--nproc K`` in a process that is not a rank yet: run the same command under
    ``torchrun --standalone --nproc-per-node K`` and return its exit status; otherwise None
    (the caller does the work itself)."""
    from .common import CommandError

    if args.nproc is None or launched_by_torchrun():
        return None
    if args.nproc < 1:
        raise CommandError(f"--nproc must be at least 1, got {args.nproc}.")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc-per-node={args.nproc}", "-m", "graphseq.cli", *_without_nproc(args.argv),
    ]  # fmt: skip
    print(" ".join(command), file=sys.stderr, flush=True)
    return subprocess.call(command)
