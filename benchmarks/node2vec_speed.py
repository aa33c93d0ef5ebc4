"""node2vec walks against first-order walks on the same graph, repeated and interleaved.

For each graph, in one process (the graph loaded once, memory-mapped), ``--repeats`` times in
turn: first-order walks (``p = q = 1``), node2vec walks (``p``, ``q``) by the compiled loop
(`graphseq.walk_kernels`, what users get on the CPU) and by the tensor rejection sampler (what
weighted graphs and other devices run; the whole path before the compiled loop). Each call is
`graphseq.walks.iter_random_walks` end to end: its tables (the edge hash set included), the
walks, streamed and discarded. Reported: the median time of each, and the median (and range) of
the per-repeat ratios node2vec / first order, so that a slow phase of this shared machine moves
both sides of a ratio. A warm-up call first loads numba's cached code (or compiles it, once per
install), so the repeats time the walks alone; its time is recorded too.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/node2vec_speed.py \\
        --graph blogcatalog:/tmp/graphseq-scale/csr_blogcatalog:10:81 \\
        --graph powerlaw:1e7:/tmp/graphseq-scale/csr_powerlaw_1e7:1:40

``--graph NAME:CSR_DIR:WALKS_PER_NODE:WALK_LENGTH``: a CSR saved by `graphseq.mmap` (what
``benchmarks/scale.py`` writes to its workdir).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import common


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", action="append", required=True,
                        help="NAME:CSR_DIR:WALKS_PER_NODE:WALK_LENGTH (repeatable)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--p", type=float, default=0.5)
    parser.add_argument("--q", type=float, default=2.0)
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    common.add_run_arguments(parser)
    return parser.parse_args(argv)


def _walk_seconds(graph, options: dict) -> float:
    from graphseq.walks import iter_random_walks

    begin = time.perf_counter()
    for _chunk in iter_random_walks(graph, **options):
        pass
    return time.perf_counter() - begin


def measure(graph, walks_per_node: int, walk_length: int, args) -> dict:
    import graphseq.walks as walks

    first = {"walk_length": walk_length, "walks_per_node": walks_per_node, "seed": 0}
    second = {**first, "p": args.p, "q": args.q}
    warm = {**second, "start_nodes": [0, 1], "walks_per_node": 1}
    begin = time.perf_counter()
    _walk_seconds(graph, warm)  # numba: load the cached loop (or compile it, once)
    record = {"warm_up_seconds": time.perf_counter() - begin, "repeats": []}
    for _ in range(args.repeats):
        times = {"load_average_at_start": os.getloadavg()[0]}
        times["first_order"] = _walk_seconds(graph, first)
        times["node2vec_compiled"] = _walk_seconds(graph, second)
        walks._COMPILED = False
        try:
            times["node2vec_tensor"] = _walk_seconds(graph, second)
        finally:
            walks._COMPILED = True
        times["load_average_at_end"] = os.getloadavg()[0]
        record["repeats"].append(times)
        print(times, flush=True)
    return record


def summarize(record: dict) -> dict:
    repeats = record["repeats"]
    out = {}
    for key in ("first_order", "node2vec_compiled", "node2vec_tensor"):
        out[key] = statistics.median(r[key] for r in repeats)
    for key in ("node2vec_compiled", "node2vec_tensor"):
        ratios = [r[key] / r["first_order"] for r in repeats]
        out[f"{key}_ratio"] = (statistics.median(ratios), min(ratios), max(ratios))
    speedups = [r["node2vec_tensor"] / r["node2vec_compiled"] for r in repeats]
    out["compiled_speedup"] = (statistics.median(speedups), min(speedups), max(speedups))
    return out


def format_markdown(results: dict) -> str:
    s = results["settings"]
    lines = [
        f"### node2vec walks (p = {s['p']}, q = {s['q']}) against first-order walks, "
        f"{results['environment']['threads']} thread(s), median of {s['repeats']} interleaved "
        "repeats (ratio: median of the repeats' ratios, range in brackets)",
        "",
        "| graph | nodes | edges | walks | first order | node2vec, compiled | ratio | "
        "node2vec, tensor sampler | ratio | compiled vs tensor |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    loads = []
    for name, entry in results["graphs"].items():
        m = summarize(entry)

        def ratio(key, m=m):
            mid, low, high = m[key]
            return f"**{mid:.2f}x** ({low:.2f}-{high:.2f})"

        lines.append(
            f"| {name} | {entry['nodes']:,} | {entry['edges']:,} | "
            f"{entry['walks_per_node']} x {entry['walk_length']} | {m['first_order']:.2f} s | "
            f"{m['node2vec_compiled']:.2f} s | {ratio('node2vec_compiled_ratio')} | "
            f"{m['node2vec_tensor']:.2f} s | {ratio('node2vec_tensor_ratio')} | "
            f"{ratio('compiled_speedup')} faster |"
        )
        spread = [r["load_average_at_start"] for r in entry["repeats"]]
        spread += [r["load_average_at_end"] for r in entry["repeats"]]
        loads.append(
            f"{name}: load {min(spread):.1f}-{max(spread):.1f}, numba warm-up call "
            f"{entry['warm_up_seconds']:.2f} s"
        )
    lines += ["", "Each time is `iter_random_walks` end to end (tables, edge hash set, walks). "
              + "; ".join(loads) + ".", "", common.footer(results), ""]  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = {**common.start_run(args, argv), "settings": vars(args), "graphs": {}}
    from graphseq import CSRGraph

    for spec in args.graph:
        name, directory, walks_per_node, walk_length = spec.rsplit(":", 3)
        graph = CSRGraph.load(directory)  # memory-mapped
        entry = measure(graph, int(walks_per_node), int(walk_length), args)
        entry.update(nodes=graph.num_nodes, edges=graph.num_edges,
                     walks_per_node=int(walks_per_node), walk_length=int(walk_length))  # fmt: skip
        results["graphs"][name] = entry
        stem = "node2vec_speed" + (f"_{args.tag}" if args.tag else "")
        common.write_results(args.out, stem, results, format_markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
