"""DeepWalk + logistic regression on the Planetoid splits of Cora and CiteSeer, beside the
DeepWalk row of the GCN paper (Kipf & Welling 2017, Table 2: 67.2 / 43.2 / 65.3).

The same runs as `graphseq bench --models deepwalk`: 80 walks of 40 nodes per node, window 10,
128 dimensions, hierarchical softmax, one pass; a logistic regression on the 140 (Cora) / 120
(CiteSeer) training nodes with its C picked on the 500 validation nodes; accuracy on the 1000
test nodes. Mean ± std over --seeds embedding seeds.

    GRAPHSEQ_DATA=../shared/data python benchmarks/planetoid_deepwalk.py --seeds 5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graphseq.bench import format_markdown, run_benchmark


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="Cora,CiteSeer")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--root", help="data directory (default: $GRAPHSEQ_DATA)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    results, tables = {}, []
    for name in args.datasets.split(","):
        result = run_benchmark(name, ["deepwalk"], seeds=args.seeds, root=args.root, progress=True)
        results[result["dataset"]] = result
        tables.append(format_markdown(result))
        print(tables[-1], end="", flush=True)
    note = (
        "\n`time / epoch` is the whole DeepWalk fit + probe per seed, on a shared 2-core "
        "machine with other jobs running.\n"
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "planetoid_deepwalk.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "planetoid_deepwalk.md").write_text("\n".join(tables) + note)
    print(f"results written to {out / 'planetoid_deepwalk'}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
