"""DeepWalk on BlogCatalog with the paper's settings, scored with the DeepWalk protocol.

Walks: 80 per node, 40 nodes long; skip-gram: window 10, 128 dimensions, hierarchical softmax
(the defaults of `graphseq.recipes.DeepWalkRecipe`).
Probe: one-vs-rest logistic regression (C=1, liblinear) on 10%..90% of the nodes, 10 random
splits, top-k prediction (k = the node's true number of labels), micro/macro-F1 on the rest --
the protocol of DeepWalk's example_graphs/scoring.py. The published row is phanein/deepwalk's
README table.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/blogcatalog_deepwalk.py \
        --negative 5 --sample 1e-3 --epochs 5 --workers 2 --probe-jobs 2 --tag gensim_defaults

(phanein/deepwalk's effective settings; without the first three flags: the paper's one
hierarchical-softmax pass, ``--tag paper``.)

Writes benchmarks/results/blogcatalog_deepwalk[_TAG].json and .md (and the embeddings to
--embeddings-out if given).
"""

from __future__ import annotations

import argparse
import sys
import time

import common
import gensim

from graphseq import load_dataset
from graphseq.evaluation import linear_probe
from graphseq.models import DeepWalk, load_embeddings, save_embeddings
from graphseq.recipes import DeepWalkRecipe

PUBLISHED = {  # phanein/deepwalk README, % labelled nodes 10..90
    "micro_f1": [35.86, 38.51, 39.96, 40.76, 41.51, 41.85, 42.27, 42.35, 42.40],
    "macro_f1": [21.08, 23.98, 25.71, 26.73, 27.68, 28.28, 28.88, 28.70, 28.21],
}
SOURCE = "phanein/deepwalk README (80 walks, length 40, window 10, dim 128)"
RECIPE = DeepWalkRecipe()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="data directory (default: $GRAPHSEQ_DATA)")
    parser.add_argument("--walks-per-node", type=int, default=RECIPE.walks_per_node)
    parser.add_argument("--walk-length", type=int, default=RECIPE.walk_length)
    parser.add_argument("--window-size", type=int, default=RECIPE.window_size)
    parser.add_argument("--dimensions", type=int, default=RECIPE.dimensions)
    parser.add_argument("--epochs", type=int, default=1, help="skip-gram passes (paper: 1)")
    parser.add_argument("--negative", type=int, default=0, help="negative samples (paper: 0)")
    parser.add_argument("--no-hs", action="store_true", help="turn hierarchical softmax off")
    parser.add_argument("--sample", type=float, default=0.0, help="gensim down-sampling")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="embedding seed")
    parser.add_argument("--splits", type=int, default=10, help="random splits per fraction")
    parser.add_argument(
        "--fractions", default="0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", help="labelled fractions"
    )
    parser.add_argument("--probe-jobs", type=int, default=1, help="parallel one-vs-rest fits")
    parser.add_argument("--embeddings-in", help="skip training: score these embeddings")
    parser.add_argument("--embeddings-out", help="save the embeddings here (.npy/.pt/.emb)")
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    common.add_run_arguments(parser)
    return parser.parse_args(argv)


def format_markdown(result: dict) -> str:
    fractions = result["fractions"]
    head = "| % labelled | " + " | ".join(f"{int(round(100 * f))}%" for f in fractions) + " |"
    published_at = [round(10 * f) - 1 for f in fractions]  # index into the 10%..90% row
    lines = [
        f"### DeepWalk on BlogCatalog: micro/macro-F1 (%), {result['splits']} random splits",
        "",
        head,
        "|---" * (len(fractions) + 1) + "|",
    ]
    for metric in ("micro_f1", "macro_f1"):
        name = "Micro" if metric == "micro_f1" else "Macro"
        ours = [result["scores"][str(f)][metric] for f in fractions]
        lines.append(
            f"| graphseq {name}-F1 | "
            + " | ".join(f"{s['mean']:.2f} ± {s['std']:.2f}" for s in ours)
            + " |"
        )
        lines.append(
            f"| published {name}-F1 | "
            + " | ".join(f"{PUBLISHED[metric][i]:.2f}" for i in published_at)
            + " |"
        )
    s = result["settings"]
    lines += [
        "",
        f"Published: {SOURCE}. graphseq settings: {s['walks_per_node']} walks/node, length "
        f"{s['walk_length']}, window {s['window_size']}, dim {s['dimensions']}, hs={s['hs']}, "
        f"negative={s['negative']}, sample={s['sample']}, epochs={s['epochs']}, workers "
        f"{s['workers']}, seed {s['seed']}. Probe: one-vs-rest LogisticRegression(C=1, "
        "liblinear), top-k labels per node. ± is the std over the splits (one embedding).",
        (
            f"Embeddings read from {result['embeddings_file']} (made with the settings above); "
            if result.get("embeddings_file")
            else f"Time: walks {result['walk_seconds']:.1f} s, skip-gram "
            f"{result['train_seconds']:.1f} s, "
        )
        + f"probe {result['probe_seconds']:.1f} s.",
        "",
        common.footer(result),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    args = parse_args(argv)
    run = common.start_run(args, argv, gensim=gensim.__version__)
    data = load_dataset("BlogCatalog", args.root)
    settings = {
        "walks_per_node": args.walks_per_node,
        "walk_length": args.walk_length,
        "window_size": args.window_size,
        "dimensions": args.dimensions,
        "hs": not args.no_hs,
        "negative": args.negative,
        "sample": args.sample,
        "epochs": args.epochs,
        "workers": args.workers,
        "seed": args.seed,
    }
    walk_seconds = train_seconds = 0.0
    if args.embeddings_in:
        embeddings = load_embeddings(args.embeddings_in)
    else:
        model = DeepWalk(
            dimensions=args.dimensions,
            walk_length=args.walk_length,
            walks_per_node=args.walks_per_node,
            window_size=args.window_size,
            hs=not args.no_hs,
            negative=args.negative,
            sample=args.sample,
            epochs=args.epochs,
            workers=args.workers,
            seed=args.seed,
            progress=not args.quiet,
        ).fit(data)
        embeddings = model.embeddings_
        walk_seconds, train_seconds = model.walk_seconds_, model.train_seconds_
        print(f"embedding: walks {walk_seconds:.1f} s, skip-gram {train_seconds:.1f} s", flush=True)
        if args.embeddings_out:
            save_embeddings(embeddings, args.embeddings_out)
    start = time.perf_counter()
    fractions = tuple(float(f) for f in args.fractions.split(","))
    probe = linear_probe(
        embeddings,
        data.y,
        fractions,
        num_splits=args.splits,
        seed=0,
        n_jobs=args.probe_jobs,
        progress=not args.quiet,
    )
    probe_seconds = time.perf_counter() - start
    scores = {
        str(f): {
            metric: {
                "mean": 100 * v[metric]["mean"],
                "std": 100 * v[metric]["std"],
                "values": [100 * x for x in v[metric]["values"]],
            }
            for metric in ("micro_f1", "macro_f1")
        }
        for f, v in probe["fractions"].items()
    }
    result = {
        **run,
        "dataset": "BlogCatalog",
        "settings": settings,
        "fractions": list(fractions),
        "splits": args.splits,
        "scores": scores,
        "published": PUBLISHED,
        "source": SOURCE,
        "embeddings_file": args.embeddings_in,
        "walk_seconds": walk_seconds,
        "train_seconds": train_seconds,
        "probe_seconds": probe_seconds,
    }
    stem = "blogcatalog_deepwalk" + (f"_{args.tag}" if args.tag else "")
    paths = common.write_results(args.out, stem, result, format_markdown)
    print(format_markdown(result), end="")
    print(f"results written to {paths[0]} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
