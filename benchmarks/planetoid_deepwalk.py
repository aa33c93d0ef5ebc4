"""DeepWalk + logistic regression on the Planetoid splits of Cora and CiteSeer, beside the
DeepWalk row of the GCN paper (Kipf & Welling 2017, Table 2: 67.2 / 43.2 / 65.3).

The same runs as ``graphseq bench --models deepwalk`` (`graphseq.recipes.DeepWalkRecipe`: 80
walks of 40 nodes per node, window 10, 128 dimensions, hierarchical softmax, one pass, gensim
with 2 workers; a logistic regression on the 140 (Cora) / 120 (CiteSeer) training nodes with its
C picked on the 500 validation nodes; accuracy on the 1000 test nodes). Mean ± std over
``--seeds`` embedding seeds. gensim with several workers is not bit-reproducible: a seed's
accuracy can differ slightly between runs.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/planetoid_deepwalk.py --seeds 3
"""

from __future__ import annotations

import argparse
import sys

import common
import gensim

from graphseq.cli.bench import format_markdown, run_benchmark


def render(result: dict) -> str:
    tables = [format_markdown(r) for r in result["datasets"].values()]
    return (
        "\n".join(tables)
        + "\n`time / epoch` is the whole DeepWalk fit + probe per seed.\n\n"
        + common.footer(result)
        + "\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="Cora,CiteSeer", help="comma-separated")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    parser.add_argument("--root", help="data directory (default: $GRAPHSEQ_DATA)")
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    result = {**common.start_run(args, argv, gensim=gensim.__version__), "datasets": {}}
    for name in args.datasets.split(","):
        run = run_benchmark(name, ["deepwalk"], seeds=args.seeds, root=args.root, progress=True)
        result["datasets"][run["dataset"]] = run
        print(format_markdown(run), end="", flush=True)
        paths = common.write_results(args.out, "planetoid_deepwalk", result, render)
    print(f"results written to {paths[0]} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
