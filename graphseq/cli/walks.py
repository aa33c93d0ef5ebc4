"""``graphseq walks``: random-walk corpus shards, written by one process or many, and optionally
DeepWalk embeddings trained from them.

    graphseq walks --dataset BlogCatalog --out walks/ --nproc 2
    graphseq walks --dataset BlogCatalog --out walks/ --nproc 2 --embed blogcatalog.emb --workers 2

Each rank writes one shard (`graphseq.walk_shards`); the same seed gives the same walks whatever
the number of ranks. With ``--embed``, rank 0 then trains gensim skip-gram on this machine from
all shards (DeepWalk's settings: hierarchical softmax, window 10) and saves the embeddings
keyed by the graph's node ids.
"""

from __future__ import annotations

import time

from .common import add_graph_arguments, load_graph_source
from .launch import add_nproc_argument, relaunch

__all__ = ["register", "run"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "walks", help="random-walk corpus shards (one per rank), optionally DeepWalk embeddings"
    )
    add_graph_arguments(parser)
    parser.add_argument("--out", required=True, help="directory for the shards and walks.json")
    parser.add_argument("--walk-length", type=int, default=40, help="nodes per walk (40)")
    parser.add_argument("--walks-per-node", type=int, default=80, help="walks per node (80)")
    parser.add_argument("--p", type=float, default=1.0, help="node2vec return parameter (1)")
    parser.add_argument("--q", type=float, default=1.0, help="node2vec in-out parameter (1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("--nodes-per-chunk", type=int, help="start nodes per seeded chunk")
    parser.add_argument("--embed", help="also train skip-gram (rank 0) and save embeddings here")
    parser.add_argument("--dimensions", type=int, default=128, help="--embed: size (128)")
    parser.add_argument("--window-size", type=int, default=10, help="--embed: window (10)")
    parser.add_argument("--workers", type=int, default=1, help="--embed: gensim threads (1)")
    add_nproc_argument(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from .. import distributed
    from ..models.embedding_io import format_of, save_embeddings
    from ..walk_shards import train_skipgram_on_shards, write_walk_shards

    launched = relaunch(args)
    if launched is not None:
        return launched
    if args.embed:
        format_of(args.embed)  # a bad file name fails before any work is done
    data, name = load_graph_source(args, "walks start from the nodes of one graph")
    start = time.perf_counter()
    paths = write_walk_shards(
        data, args.out, args.walk_length, args.walks_per_node, args.p, args.q, args.seed,
        nodes_per_chunk=args.nodes_per_chunk,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if distributed.is_main_process():
        print(
            f"walks: {len(paths)} shard(s) of {name} in {args.out} ({seconds:.1f} s, "
            f"{distributed.get_world_size()} rank(s))",
            flush=True,
        )
        if args.embed:
            embeddings, trained, info = train_skipgram_on_shards(
                args.out, args.dimensions, args.window_size, workers=args.workers,
                seed=args.seed,
            )  # fmt: skip
            save_embeddings(embeddings, args.embed, node_ids=getattr(data, "node_ids", None))
            print(
                f"skip-gram: {int(trained.sum())} of {embeddings.size(0)} nodes learned from "
                f"{info['tokens']} tokens in {info['train_seconds']:.1f} s -> {args.embed}"
            )
    distributed.shutdown()
    return 0
