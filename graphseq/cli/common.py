"""What the subcommands share: the one-line error they exit with, the options that name the
graph a command works on, and the environment a benchmark result records."""

from __future__ import annotations

import os
import platform
import time

__all__ = ["CommandError", "add_graph_arguments", "load_graph_source", "run_environment"]


def run_environment() -> dict:
    """What a benchmark result records about where it ran: versions, machine, torch threads,
    the load average now (``environment``), and the date (``date``)."""
    import torch

    import graphseq

    return {
        "environment": {
            "graphseq": graphseq.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "threads": torch.get_num_threads(),
            "load_average": list(os.getloadavg()),
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


class CommandError(Exception):
    """A failure reported in one line (no traceback) with exit status ``code``."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def add_graph_arguments(parser) -> None:
    """``--dataset`` | ``--edgelist`` | ``--mat`` (one required), ``--directed``, ``--weighted``,
    ``--root``: the one graph a command works on."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="a dataset name (see `graphseq datasets`) or a path")
    source.add_argument("--edgelist", help="an edge-list file (.txt/.tsv/.csv, optionally .gz)")
    source.add_argument("--mat", help="a MATLAB .mat graph ('network' adjacency)")
    parser.add_argument("--directed", action="store_true", help="--edgelist: keep directions")
    parser.add_argument(
        "--weighted",
        choices=("auto", "yes", "no"),
        default="auto",
        help="--edgelist: read the third column as weights (auto: when there is one)",
    )
    parser.add_argument("--root", help="data directory to search first (else $GRAPHSEQ_DATA)")


def load_graph_source(args, purpose: str = "this command works on the nodes of one graph"):
    """``(data, name)`` of the graph `add_graph_arguments` named, with a clear error (saying
    ``purpose``) for a collection of graphs."""
    from ..datasets import is_graph_collection, load_dataset
    from ..io import read_edgelist, read_mat

    if args.edgelist:
        weighted = {"auto": None, "yes": True, "no": False}[args.weighted]
        return read_edgelist(
            args.edgelist, directed=args.directed, weighted=weighted
        ), args.edgelist
    if args.mat:
        return read_mat(args.mat), args.mat
    data = load_dataset(args.dataset, args.root)
    if is_graph_collection(data):
        raise CommandError(
            f"{args.dataset} is a graph-classification dataset ({len(data)} graphs); {purpose}: "
            "give a node dataset (e.g. Cora, BlogCatalog), --edgelist FILE or --mat FILE."
        )
    return data, args.dataset
