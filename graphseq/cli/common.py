"""What the subcommands share: the one-line error they exit with, and the options that name the
graph a command works on."""

from __future__ import annotations

__all__ = ["CommandError", "add_graph_arguments", "load_graph_source"]


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
