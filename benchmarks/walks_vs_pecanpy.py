"""graphseq vs PecanPy on BlogCatalog: walk generation time and end-to-end DeepWalk, one run.

PecanPy (Liu & Krishnan 2021) is a numba node2vec; its fastest mode for unweighted first-order
walks is ``FirstOrderUnweighted``, its general sparse mode ``SparseOTF``. Both sides get the
same threads (torch intra-op threads = numba threads = gensim workers = ``--threads``), the same
walks (10 per node, 80 steps = 81 nodes, as PecanPy counts steps) and the same skip-gram
(PecanPy's ``embed``: gensim ``Word2Vec(sg=1, window=10, vector_size=128, min_count=0,
epochs=1)``, i.e. negative sampling with gensim's defaults negative=5, sample=1e-3).

PecanPy is not a graphseq dependency; run this in an environment that has both, e.g.

    python -m venv /tmp/pecanpy-venv
    /tmp/pecanpy-venv/bin/pip install torch==2.13.0
    /tmp/pecanpy-venv/bin/pip install pecanpy==2.0.9 torch-geometric gensim scikit-learn tqdm
    PYTHONPATH=. GRAPHSEQ_DATA=../shared/data /tmp/pecanpy-venv/bin/python \\
        benchmarks/walks_vs_pecanpy.py --threads 2

Walk timings (best of ``--repeats``) are reported three ways for PecanPy: ``simulate_walks``
(its public walk API: compiles its numba kernel, walks, maps indices to string node ids -- what
a PecanPy user waits for), and its numba kernel alone with the compiled kernel reused (the
lower bound of its walk cost). graphseq's time is ``random_walks`` returning the
``LongTensor``, and, to compare with ``simulate_walks``'s gensim-ready token lists, the same walks
written as the gensim corpus file that ``DeepWalk`` trains from (``write_walk_corpus``).
End-to-end is graph in memory -> embedding matrix; micro-F1 is the DeepWalk protocol
(one-vs-rest logistic regression, top-k) at 10/50/90% labelled over ``--splits`` random splits.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common
import numpy as np
import torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", help="data directory (default: $GRAPHSEQ_DATA)")
    parser.add_argument("--walks-per-node", type=int, default=10)
    parser.add_argument("--steps", type=int, default=80, help="steps per walk (nodes - 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, best kept")
    parser.add_argument(
        "--sparse-otf-repeats", type=int, default=1, help="repeats for the slow SparseOTF mode"
    )
    parser.add_argument("--splits", type=int, default=5, help="probe splits per fraction")
    parser.add_argument("--no-end-to-end", action="store_true", help="walk timings only")
    parser.add_argument(
        "--end-to-end-modes",
        default="FirstOrderUnweighted",
        help="PecanPy modes run end to end (comma-separated; SparseOTF adds its slow walks)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    # Both sides get the same threads: torch intra-op = numba = gensim workers.
    common.add_run_arguments(parser, threads=2)
    return parser.parse_args(argv)


def _best(times: list[float]) -> dict:
    return {"best": min(times), "median": statistics.median(times), "runs": times}


def _pecanpy_graph(mode: str, adjacency, threads: int, seed: int):
    from pecanpy import pecanpy

    graph = getattr(pecanpy, mode)(p=1, q=1, workers=threads, random_state=seed)
    graph.set_node_ids([str(i) for i in range(adjacency.shape[0])])
    graph.indptr = adjacency.indptr
    graph.indices = adjacency.indices.astype(np.uint32)
    graph.data = adjacency.data.astype(np.float32)
    return graph


def _pecanpy_kernel_seconds(graph, walks_per_node: int, steps: int, seed: int, repeats: int):
    """PecanPy's numba walk kernel alone, compiled once and reused (its best case)."""
    from numba_progress import ProgressBar

    has_nbrs, move_forward = graph.get_has_nbrs(), graph.get_move_forward()
    times = []
    for _ in range(repeats + 1):  # the first call compiles and is not counted
        starts = np.concatenate([np.arange(graph.num_nodes, dtype=np.uint32)] * walks_per_node)
        begin = time.perf_counter()
        with ProgressBar(total=starts.size, disable=True) as progress:
            graph._random_walks(starts.size, steps, seed, starts, has_nbrs, move_forward, progress)
        times.append(time.perf_counter() - begin)
    return _best(times[1:])


def _installed_version(name: str, module) -> str:
    """The installed distribution's version (PecanPy has no ``__version__``), else the
    module's own, else "unknown" (never a guess)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return getattr(module, "__version__", "unknown")


def _micro_f1(embeddings, labels, splits: int) -> dict:
    from graphseq.evaluation import linear_probe

    probe = linear_probe(embeddings, labels, (0.1, 0.5, 0.9), num_splits=splits, seed=0)
    return {
        str(f): {m: 100 * v[m]["mean"] for m in ("micro_f1", "macro_f1")}
        for f, v in probe["fractions"].items()
    }


def main(argv=None) -> int:
    import gensim
    import numba
    import pecanpy

    from graphseq import CSRGraph, DeepWalk, load_dataset, random_walks
    from graphseq.models.skipgram import write_walk_corpus
    from graphseq.walks import iter_random_walks

    args = parse_args(argv)
    header = common.start_run(
        args,
        argv,
        gensim=gensim.__version__,
        numba=numba.__version__,
        pecanpy=_installed_version("pecanpy", pecanpy),
    )
    numba.set_num_threads(args.threads)
    data = load_dataset("BlogCatalog", args.root)
    graph = CSRGraph.from_data(data)
    import scipy.sparse as sp

    adjacency = sp.csr_matrix(
        (np.ones(graph.num_edges, dtype=np.float32), graph.indices.numpy(), graph.indptr.numpy()),
        shape=(graph.num_nodes, graph.num_nodes),
    )
    nodes = args.steps + 1
    results = {**header, "walks": {}, "end_to_end": {}}
    results["settings"] = {
        "threads": args.threads,
        "walks_per_node": args.walks_per_node,
        "steps": args.steps,
        "nodes_per_walk": nodes,
        "repeats": args.repeats,
        "skipgram": "sg=1, window 10, dim 128, negative 5, sample 1e-3, epochs 1",
        "probe": f"one-vs-rest logistic regression, top-k, {args.splits} splits",
    }
    stem = "walks_vs_pecanpy" + (f"_{args.tag}" if args.tag else "")

    def log(message: str) -> None:
        """Print a stage's result and rewrite the result files (a stopped run keeps them)."""
        print(message, flush=True)
        common.write_results(args.out, stem, results, format_markdown)

    # ---------------------------------------------------------------- walk generation
    times = []
    for _ in range(args.repeats):
        begin = time.perf_counter()
        walks = random_walks(graph, nodes, args.walks_per_node, seed=args.seed)
        times.append(time.perf_counter() - begin)
    results["walks"]["graphseq random_walks"] = _best(times)
    log(f"graphseq random_walks {walks.shape}: {results['walks']['graphseq random_walks']}")
    del walks
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            begin = time.perf_counter()
            chunks = iter_random_walks(graph, nodes, args.walks_per_node, seed=args.seed)
            write_walk_corpus(chunks, Path(tmp) / "walks.txt", graph.num_nodes)
            times.append(time.perf_counter() - begin)
    name = "graphseq random_walks + gensim corpus file (what DeepWalk trains from)"
    results["walks"][name] = _best(times)
    log(f"{name}: {results['walks'][name]}")

    def time_pecanpy_walks(mode: str, repeats: int) -> None:
        pgraph = _pecanpy_graph(mode, adjacency, args.threads, args.seed)
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            pwalks = pgraph.simulate_walks(args.walks_per_node, args.steps)
            times.append(time.perf_counter() - begin)
        assert len(pwalks) == graph.num_nodes * args.walks_per_node and len(pwalks[0]) == nodes
        del pwalks
        results["walks"][f"PecanPy {mode} simulate_walks"] = _best(times)
        log(f"PecanPy {mode} simulate_walks: {results['walks'][f'PecanPy {mode} simulate_walks']}")
        if mode == "FirstOrderUnweighted":
            kernel = _pecanpy_kernel_seconds(
                pgraph, args.walks_per_node, args.steps, args.seed, args.repeats
            )
            results["walks"][f"PecanPy {mode} numba kernel (compiled, reused)"] = kernel
            log(f"PecanPy {mode} kernel: {kernel}")

    time_pecanpy_walks("FirstOrderUnweighted", args.repeats)

    # ---------------------------------------------------------------- end to end
    if not args.no_end_to_end:
        begin = time.perf_counter()
        model = DeepWalk(
            dimensions=128,
            walk_length=nodes,
            walks_per_node=args.walks_per_node,
            window_size=10,
            hs=False,
            negative=5,
            sample=1e-3,
            epochs=1,
            workers=args.threads,
            seed=args.seed,
            progress=False,
        ).fit(data)
        seconds = time.perf_counter() - begin
        results["end_to_end"]["graphseq DeepWalk"] = {
            "seconds": seconds,
            "walk_seconds": model.walk_seconds_,
            "train_seconds": model.train_seconds_,
            "corpus": model.corpus_,
            "f1": _micro_f1(model.embeddings_, data.y, args.splits),
        }
        log(f"graphseq end to end: {results['end_to_end']['graphseq DeepWalk']}")
        for mode in args.end_to_end_modes.split(","):
            pgraph = _pecanpy_graph(mode, adjacency, args.threads, args.seed)
            begin = time.perf_counter()
            embeddings = pgraph.embed(
                dim=128, num_walks=args.walks_per_node, walk_length=args.steps, window_size=10,
                epochs=1,
            )  # fmt: skip
            seconds = time.perf_counter() - begin
            results["end_to_end"][f"PecanPy {mode}"] = {
                "seconds": seconds,
                "f1": _micro_f1(torch.from_numpy(np.asarray(embeddings)), data.y, args.splits),
            }
            log(f"PecanPy {mode} end to end: {results['end_to_end'][f'PecanPy {mode}']}")

    # SparseOTF's walks are the slowest part: timed last, so the rest is saved first
    time_pecanpy_walks("SparseOTF", args.sparse_otf_repeats)
    print(format_markdown(results), end="")
    print(f"results written to {Path(args.out) / stem}.json and .md")
    return 0


def format_markdown(results: dict) -> str:
    s = results["settings"]
    ours = results["walks"]["graphseq random_walks"]["best"]
    lines = [
        f"### Walk generation on BlogCatalog ({s['walks_per_node']} walks/node, "
        f"{s['steps']} steps, {s['threads']} thread(s); best of {s['repeats']})",
        "",
        "| method | seconds | graphseq speed-up |",
        "|---|---|---|",
    ]
    for name, t in results["walks"].items():
        lines.append(f"| {name} | {t['best']:.3f} | {t['best'] / ours:.1f}x |")
    if "graphseq DeepWalk" in results["end_to_end"]:
        mine = results["end_to_end"]["graphseq DeepWalk"]["seconds"]
        lines += [
            "",
            f"### End-to-end DeepWalk on BlogCatalog (graph -> embeddings; {s['skipgram']})",
            "",
            "| method | seconds | graphseq speed-up | micro-F1 10% / 50% / 90% | "
            "macro-F1 10% / 50% / 90% |",
            "|---|---|---|---|---|",
        ]
        for name, r in results["end_to_end"].items():
            micro = " / ".join(f"{r['f1'][f]['micro_f1']:.2f}" for f in r["f1"])
            macro = " / ".join(f"{r['f1'][f]['macro_f1']:.2f}" for f in r["f1"])
            lines.append(
                f"| {name} | {r['seconds']:.1f} | {r['seconds'] / mine:.2f}x | {micro} | {macro} |"
            )
    lines += ["", (f"{s['probe']}. " if results["end_to_end"] else "") + common.footer(results)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
