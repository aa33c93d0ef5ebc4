"""Per-epoch training time of a 2-layer GCN: graphseq vs the same model built from PyG's GCNConv.

All variants train the same model (Kipf & Welling, the settings of `graphseq.recipes.GCNRecipe`:
16 hidden, dropout 0.5, Adam, weight decay on the first layer, row-normalized features, cached
normalized adjacency) on the same machine, in one run, interleaved round by round so background
load hits every variant alike:

* ``pyg``: the usual PyG recipe: dense ``x``, ``F.dropout``, ``torch_geometric.nn.GCNConv``;
* ``graphseq``: graphseq's ``GCN`` with sparse ``x`` (the way graphseq is meant to be used);
* ``graphseq-dense``: graphseq's ``GCN`` fed the dense ``x`` (to separate the layer from the input).

Then a torch profiler run of ``pyg`` and ``graphseq`` shows where each epoch's time goes.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/gcn_speed.py \
        --datasets Cora CiteSeer
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import common
import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv as PyGGCNConv

from graphseq import GCN, load_dataset
from graphseq.datasets import row_normalize
from graphseq.recipes import GCNRecipe

RECIPE = GCNRecipe()


class PyGGCN(torch.nn.Module):
    """The 2-layer GCN of PyG's ``examples/gcn.py``."""

    def __init__(self, in_channels, hidden, out_channels, dropout):
        super().__init__()
        self.conv1 = PyGGCNConv(in_channels, hidden, cached=True)
        self.conv2 = PyGGCNConv(hidden, out_channels, cached=True)
        self.dropout = dropout

    def forward(self, x, edge_index):
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)


def _build(variant: str, data):
    classes = int(data.y.max()) + 1
    hidden, dropout = RECIPE.hidden_channels, RECIPE.dropout
    if variant == "pyg":
        model = PyGGCN(data.num_features, hidden, classes, dropout)
        first, rest = model.conv1.parameters(), model.conv2.parameters()
    else:
        model = GCN(data.num_features, hidden, classes, dropout=dropout, cached=True)
        first, rest = model.convs[0].parameters(), model.convs[1].parameters()
    optimizer = torch.optim.Adam(
        [{"params": first, "weight_decay": RECIPE.weight_decay}, {"params": rest}],
        lr=RECIPE.lr,
        weight_decay=0.0,
    )
    return model, optimizer


def _inputs(variant: str, dense_x: torch.Tensor, sparse_x: torch.Tensor) -> torch.Tensor:
    return sparse_x if variant == "graphseq" else dense_x


def _epoch(model, optimizer, x, data) -> None:
    model.train()
    optimizer.zero_grad()
    out = model(x, data.edge_index)
    F.cross_entropy(out[data.train_mask], data.y[data.train_mask]).backward()
    optimizer.step()


def time_variants(data, variants, rounds: int, epochs_per_round: int) -> dict:
    x = row_normalize(data.x)
    sparse_x = x.to_sparse()
    built = {}
    for variant in variants:
        torch.manual_seed(0)
        built[variant] = _build(variant, data)
        for _ in range(5):  # warm-up (also fills the adjacency cache)
            _epoch(*built[variant], _inputs(variant, x, sparse_x), data)
    samples = {v: [] for v in variants}
    for _ in range(rounds):
        for variant in variants:
            model, optimizer = built[variant]
            inputs = _inputs(variant, x, sparse_x)
            start = time.perf_counter()
            for _ in range(epochs_per_round):
                _epoch(model, optimizer, inputs, data)
            samples[variant].append(1000 * (time.perf_counter() - start) / epochs_per_round)
    return {
        v: {"median_ms": statistics.median(s), "min_ms": min(s), "max_ms": max(s), "rounds_ms": s}
        for v, s in samples.items()
    }


def profile(data, variant: str, epochs: int = 20, top: int = 8) -> list[dict]:
    """The ``top`` operators by self CPU time over ``epochs`` training epochs."""
    x = row_normalize(data.x)
    model, optimizer = _build(variant, data)
    inputs = _inputs(variant, x, x.to_sparse())
    for _ in range(3):
        _epoch(model, optimizer, inputs, data)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(epochs):
            _epoch(model, optimizer, inputs, data)
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return [
        {
            "op": e.key,
            "ms_per_epoch": e.self_cpu_time_total / 1000 / epochs,
            "share": e.self_cpu_time_total / total,
        }
        for e in events[:top]
    ]


def format_markdown(results: dict) -> str:
    lines = [
        "### 2-layer GCN, training time per epoch (ms, median of rounds)",
        "",
        "| dataset | PyG GCNConv (dense x) | graphseq (sparse x) | graphseq (dense x) | "
        "ratio graphseq / PyG |",
        "|---|---|---|---|---|",
    ]
    for name, entry in results["datasets"].items():
        medians = [entry["timing"][v]["median_ms"] for v in ("pyg", "graphseq", "graphseq-dense")]
        lines.append(
            f"| {name} | " + " | ".join(f"{m:.2f}" for m in medians) + f" | {entry['ratio']:.3f} |"
        )
    for name, entry in results["datasets"].items():
        for variant, ops in entry["profile"].items():
            lines += [
                "",
                f"Where the time goes, {name}, {variant} (top operators by self CPU time):",
                "",
                "| operator | ms / epoch | share |",
                "|---|---|---|",
            ]
            lines += [
                f"| `{o['op']}` | {o['ms_per_epoch']:.3f} | {100 * o['share']:.1f}% |" for o in ops
            ]
    settings = results["settings"]
    lines += [
        "",
        f"{settings['rounds']} rounds x {settings['epochs_per_round']} epochs per variant, "
        "interleaved.",
        "",
        common.footer(results),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--root", help="data directory (else $GRAPHSEQ_DATA)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs-per-round", type=int, default=50)
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    variants = ["pyg", "graphseq", "graphseq-dense"]
    results = {**common.start_run(args, argv), "settings": vars(args), "datasets": {}}
    for name in args.datasets:
        data = load_dataset(name, args.root)
        print(f"{name}: timing {variants} ...", flush=True)
        timing = time_variants(data, variants, args.rounds, args.epochs_per_round)
        ratio = timing["graphseq"]["median_ms"] / timing["pyg"]["median_ms"]
        profiles = {v: profile(data, v) for v in ("pyg", "graphseq")}
        results["datasets"][name] = {"timing": timing, "ratio": ratio, "profile": profiles}
    common.write_results(args.out, "gcn_speed", results, format_markdown)
    print(format_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
