"""One epoch of GraphSAGE neighbour sampling over BlogCatalog: graphseq vs PyG's NeighborLoader.

Every node of BlogCatalog (10,312 nodes, 667,966 directed edges, average degree ~65) is a seed
once, in shuffled batches of ``--batch-size`` seeds, with fan-outs ``[25, 10]`` (the paper's
sample sizes). Variants, timed round by round in the same process:

* graphseq ``NeighborSampler`` with and without replacement, with the contiguous (no
  de-duplication) layout and with ``deduplicate=True``;
* PyG ``NeighborLoader(num_neighbors=[25, 10])`` with and without replacement, when its sampling
  backend (pyg-lib or torch-sparse) is installed. Otherwise only graphseq's numbers are reported.

Reported per variant: median epoch time, sampled edges per second (real, non-missing neighbour
slots; for PyG the edges of the sampled subgraphs), and the average first-layer input size (rows
the first layer has to transform), which is what de-duplication saves.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/sage_sampler_speed.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import common
import torch

from graphseq import load_dataset
from graphseq.sampling import NeighborSampler


def _graphseq_epoch(sampler: NeighborSampler, num_nodes: int, batch_size: int, generator):
    start = time.perf_counter()
    edges = rows = batches = 0
    for batch in sampler.batches(torch.arange(num_nodes), batch_size, generator=generator):
        edges += batch.num_sampled_edges
        rows += batch.n_id.numel()
        batches += 1
    return time.perf_counter() - start, edges, rows / batches


def _pyg_loader(data, fanouts, batch_size, replace):
    from torch_geometric.loader import NeighborLoader

    return NeighborLoader(
        data, num_neighbors=list(fanouts), batch_size=batch_size, shuffle=True, replace=replace
    )


def _pyg_epoch(loader):
    start = time.perf_counter()
    edges = rows = batches = 0
    for batch in loader:
        edges += batch.edge_index.size(1)
        rows += batch.num_nodes
        batches += 1
    return time.perf_counter() - start, edges, rows / batches


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="BlogCatalog")
    parser.add_argument("--fanouts", type=int, nargs="+", default=[25, 10])
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    run_header = common.start_run(args, argv)
    data = load_dataset(args.dataset)
    num_nodes = data.num_nodes
    variants = {}
    for replace in (True, False):
        for deduplicate in (False, True):
            name = f"graphseq replace={replace} dedup={deduplicate}"
            sampler = NeighborSampler(
                data, args.fanouts, replace=replace, deduplicate=deduplicate, seed=0
            )
            generator = torch.Generator().manual_seed(0)
            variants[name] = lambda s=sampler, g=generator: _graphseq_epoch(
                s, num_nodes, args.batch_size, g
            )
    pyg_status = "ok"
    try:
        from torch_geometric.typing import WITH_PYG_LIB, WITH_TORCH_SPARSE

        if not (WITH_PYG_LIB or WITH_TORCH_SPARSE):
            raise ImportError("neither pyg-lib nor torch-sparse is installed")
        backend = "pyg-lib" if WITH_PYG_LIB else "torch-sparse"
        pyg_data = data.clone()
        for replace in (True, False):
            loader = _pyg_loader(pyg_data, args.fanouts, args.batch_size, replace)
            variants[f"PyG NeighborLoader ({backend}) replace={replace}"] = lambda lo=loader: (
                _pyg_epoch(lo)
            )
    except ImportError as error:
        pyg_status = f"not run: {error}"
    print(f"PyG NeighborLoader: {pyg_status}")
    times = {name: [] for name in variants}
    info = {}
    for round_ in range(args.rounds):
        for name, run in variants.items():
            seconds, edges, rows = run()
            times[name].append(seconds)
            info[name] = (edges, rows)
            print(f"round {round_ + 1}: {name}: {seconds:.2f} s, {edges} edges", flush=True)
    results = {
        **run_header,
        "dataset": args.dataset,
        "num_nodes": num_nodes,
        "num_edges": int(data.edge_index.size(1)),
        "variants": {},
        "pyg": pyg_status,
        "settings": vars(args),
    }
    for name, values in times.items():
        median = statistics.median(values)
        edges, rows = info[name]
        results["variants"][name] = {
            "epoch_s": median,
            "epoch_s_all": values,
            "sampled_edges": edges,
            "edges_per_s": edges / median,
            "avg_first_layer_rows": rows,
        }
    common.write_results(args.out, "sage_sampler_speed", results, format_markdown)
    print(format_markdown(results))
    return 0


def format_markdown(results: dict) -> str:
    lines = [
        f"### One epoch of [{', '.join(map(str, results['settings']['fanouts']))}] neighbour "
        f"sampling over {results['dataset']} ({results['num_nodes']} seeds, batch "
        f"{results['settings']['batch_size']})",
        "",
        "| sampler | epoch (s, median) | sampled edges / s | avg first-layer rows per batch |",
        "|---|---|---|---|",
    ]
    for name, row in results["variants"].items():
        lines.append(
            f"| {name} | {row['epoch_s']:.2f} | {row['edges_per_s'] / 1e6:.2f} M | "
            f"{row['avg_first_layer_rows']:.0f} |"
        )
    lines += ["", f"PyG NeighborLoader: {results['pyg']}.", "", common.footer(results)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
