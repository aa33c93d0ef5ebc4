"""``graphseq embed deepwalk|node2vec``: learn node embeddings of any graph and save them.

    graphseq embed deepwalk --dataset BlogCatalog --workers 2 --out blogcatalog.emb
    graphseq embed node2vec --dataset Cora --p 0.25 --q 4 --out cora.npy
    graphseq embed deepwalk --edgelist soc-Slashdot0902.txt.gz --directed --out slashdot.emb
    graphseq embed node2vec --mat my_graph.mat --out my_graph.emb

The output format follows the file suffix (``.emb``/``.txt``/``.w2v``/``.vec`` word2vec text
keyed by the graph's original node ids, ``.npy``, ``.pt``); see `graphseq.models.embedding_io`.
"""

from __future__ import annotations

from .common import add_graph_arguments, load_graph_source

__all__ = ["load_source", "register", "run"]

METHODS = ("deepwalk", "node2vec")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "embed", help="DeepWalk / node2vec embeddings of a dataset, saved to a file"
    )
    parser.add_argument("method", choices=METHODS, help="deepwalk or node2vec")
    add_graph_arguments(parser)
    parser.add_argument("--out", required=True, help="output file (.emb/.txt word2vec, .npy, .pt)")
    parser.add_argument("--format", choices=("word2vec", "npy", "pt"), help="override the suffix")
    parser.add_argument("--dimensions", type=int, default=128, help="embedding size (128)")
    parser.add_argument("--walk-length", type=int, help="nodes per walk (DeepWalk 40, node2vec 80)")
    parser.add_argument(
        "--walks-per-node", type=int, help="walks from each node (DeepWalk 80, node2vec 10)"
    )
    parser.add_argument("--window-size", type=int, default=10, help="skip-gram window (10)")
    parser.add_argument("--epochs", type=int, default=1, help="skip-gram passes (1)")
    parser.add_argument(
        "--negative",
        type=int,
        help="negative samples (DeepWalk 0 = hierarchical softmax only, node2vec 5)",
    )
    parser.add_argument(
        "--hs",
        choices=("on", "off"),
        help="hierarchical softmax (default: on exactly when --negative is 0)",
    )
    parser.add_argument("--p", type=float, default=1.0, help="node2vec return parameter (1)")
    parser.add_argument("--q", type=float, default=1.0, help="node2vec in-out parameter (1)")
    parser.add_argument("--workers", type=int, default=1, help="gensim worker threads (1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def build_model(args):
    """The estimator the arguments describe."""
    from ..models import DeepWalk, Node2Vec

    options = {
        "dimensions": args.dimensions,
        "window_size": args.window_size,
        "epochs": args.epochs,
        "workers": args.workers,
        "seed": args.seed,
        "progress": False if args.quiet else None,
    }
    for name in ("walk_length", "walks_per_node", "negative"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if args.hs is not None:
        options["hs"] = args.hs == "on"
    if args.method == "deepwalk":
        if args.p != 1.0 or args.q != 1.0:
            raise ValueError(
                "--p/--q bias node2vec walks; use `graphseq embed node2vec` for them "
                "(DeepWalk's walks are uniform)."
            )
        return DeepWalk(**options)
    return Node2Vec(p=args.p, q=args.q, **options)


def load_source(args):
    """The graph the arguments name, with a clear error for a collection of graphs."""
    return load_graph_source(args, "embed learns the nodes of one graph")


def run(args) -> int:
    from ..models.embedding_io import format_of

    format_of(args.out, args.format)  # a bad --out fails before any work is done
    data, name = load_source(args)
    model = build_model(args).fit(data)
    model.save_embeddings(args.out, format=args.format)
    num, dim = model.embeddings_.shape
    print(
        f"{args.method}: {num} nodes x {dim} dimensions of {name} from {model.num_walks_} walks "
        f"(walks {model.walk_seconds_:.1f} s, skip-gram {model.train_seconds_:.1f} s, "
        f"{int(model.trained_mask_.sum())} nodes learned) -> {args.out}"
    )
    return 0
