"""Full-graph GraphSAGE training epochs: graphseq vs the same model built from PyG's SAGEConv.

Part 1 (one run, interleaved round by round so background load hits every variant alike): a
2-layer GraphSAGE (hidden 16 by default, dropout 0.5, Adam) trained full-batch on Cora/CiteSeer:

* ``mean``: graphseq ``SAGEConv(aggr="mean")`` (sparse x) vs PyG ``SAGEConv(aggr="mean")``;
* ``pool``: graphseq ``SAGEConv(aggr="pool")`` (sparse x) vs PyG
  ``SAGEConv(aggr="max", project=True)``; both with ``W_pool`` of width ``in_channels`` (PyG's
  fixed choice).

An epoch is forward + backward + optimizer step (no evaluation); the median over rounds is kept.

Part 2: the LSTM aggregator on Cora, in PyG's configuration (LSTM hidden size = ``in_channels``
= 1433 in the first layer) and at the paper's width (128, the recipe's: full graph, and sampled
[25, 10] with 32 seeds per batch, an epoch there being train + validation through the Trainer),
each in its own subprocess so its peak resident
memory (``ru_maxrss``) is its own: graphseq (packed neighbour sequences) and PyG's
``SAGEConv(aggr="lstm")`` (pads every node to the largest degree). The PyG child runs under an
address-space limit (``--pyg-lstm-limit-gb``) so that on a shared machine it fails fast instead
of pushing others out of memory.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/sage_speed.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import common
import torch
import torch.nn.functional as F
from torch_geometric.nn import SAGEConv as PyGSAGEConv

from graphseq import GraphSAGE, load_dataset
from graphseq.datasets import row_normalize


class PyGSAGE(torch.nn.Module):
    """The usual PyG GraphSAGE: dense x, F.dropout, two SAGEConv layers with ReLU between."""

    def __init__(self, in_channels, hidden, out_channels, **options):
        super().__init__()
        self.conv1 = PyGSAGEConv(in_channels, hidden, **options)
        self.conv2 = PyGSAGEConv(hidden, out_channels, **options)

    def forward(self, x, edge_index):
        x = F.dropout(x, 0.5, self.training)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, 0.5, self.training)
        return self.conv2(x, edge_index)


PYG_OPTIONS = {"mean": {"aggr": "mean"}, "pool": {"aggr": "max", "project": True}}


def _prepare(name: str):
    data = load_dataset(name)
    x = row_normalize(data.x)
    return data, x, x.to_sparse()


def _build(variant: str, aggregator: str, data, hidden: int):
    classes = int(data.y.max()) + 1
    if variant == "pyg":
        model = PyGSAGE(data.num_features, hidden, classes, **PYG_OPTIONS[aggregator])
    else:
        model = GraphSAGE(
            data.num_features, hidden, classes, aggr=aggregator, dropout=0.5, cached=True
        )
    return model, torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)


def _epoch(model, optimizer, x, edge_index, y, mask) -> float:
    start = time.perf_counter()
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x, edge_index)[mask], y[mask])
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


def time_full_graph(datasets, rounds: int, epochs_per_round: int, hidden: int, log) -> dict:
    results = {}
    for name in datasets:
        data, dense, sparse = _prepare(name)
        for aggregator in ("mean", "pool"):
            runs = {}
            for variant in ("pyg", "graphseq"):
                torch.manual_seed(0)
                runs[variant] = _build(variant, aggregator, data, hidden)
            times = {variant: [] for variant in runs}
            for _ in range(rounds):
                for variant, (model, optimizer) in runs.items():
                    x = dense if variant == "pyg" else sparse
                    _epoch(model, optimizer, x, data.edge_index, data.y, data.train_mask)  # warm
                    for _ in range(epochs_per_round):
                        times[variant].append(
                            _epoch(model, optimizer, x, data.edge_index, data.y, data.train_mask)
                        )
            row = {v: 1000 * statistics.median(t) for v, t in times.items()}
            row["speedup"] = row["pyg"] / row["graphseq"]
            results[f"{name}/{aggregator}"] = row
            log(
                f"{name} {aggregator}: PyG {row['pyg']:.1f} ms, graphseq {row['graphseq']:.1f} ms "
                f"per epoch ({row['speedup']:.2f}x)"
            )
    return results


# ---------------------------------------------------------------------- LSTM child processes
# Part 2's variants: (implementation, LSTM hidden size, sampled?). "paper": the GraphSAGE paper's
# LSTM width (128), the recipe's; the others PyG's fixed width (= in_channels, 1433 on Cora).
LSTM_VARIANTS = {
    "graphseq": ("graphseq", None, False),
    "pyg": ("pyg", None, False),
    "graphseq-paper": ("graphseq", 128, False),
    "graphseq-paper-sampled": ("graphseq", 128, True),
}


def _lstm_child(variant: str, epochs: int, hidden: int) -> None:
    data, dense, sparse = _prepare("Cora")
    torch.manual_seed(0)
    classes = int(data.y.max()) + 1
    implementation, width, sampled = LSTM_VARIANTS[variant]
    if implementation == "pyg":
        from torch_geometric.utils import sort_edge_index

        edge_index = sort_edge_index(data.edge_index, sort_by_row=False)
        model = PyGSAGE(data.num_features, hidden, classes, aggr="lstm")
        x = dense
    else:
        edge_index = data.edge_index
        model = GraphSAGE(
            data.num_features, hidden, classes, aggr="lstm", dropout=0.5, cached=not sampled,
            aggr_channels=width,
        )  # fmt: skip
        x = sparse
    if sampled:
        _sampled_lstm_child(variant, model, data, epochs)
        return
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    status = "ok"
    try:
        for _ in range(epochs):
            times.append(_epoch(model, optimizer, x, edge_index, data.y, data.train_mask))
    except (RuntimeError, MemoryError) as error:
        status = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "variant": variant,
                "status": status,
                "epochs": len(times),
                "epoch_time_s": statistics.median(times) if times else None,
                "epoch_times_s": times,
                "peak_rss_mib": peak / 1024,
                "rss_before_training_mib": before / 1024,
            }
        )
    )


def _sampled_lstm_child(variant: str, model, data, epochs: int) -> None:
    """Epochs of the sampled [25, 10] training (32 seeds per batch) through the Trainer."""
    from graphseq.recipes import normalized_features
    from graphseq.train import SampledNodeClassificationTask, Trainer

    task = SampledNodeClassificationTask(normalized_features(data), [25, 10], batch_size=32)
    trainer = Trainer(
        model,
        task,
        optimizer=lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=5e-4),
        max_epochs=epochs,
        progress=False,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    trainer.fit()
    times = [r["time"] for r in trainer.history_]  # train + validation per epoch
    print(
        json.dumps(
            {
                "variant": variant,
                "status": "ok",
                "epochs": len(times),
                "epoch_time_s": statistics.median(times),
                "epoch_times_s": times,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_training_mib": before / 1024,
            }
        )
    )


def time_lstm(epochs: int, hidden: int, pyg_limit_gb: float, log) -> dict:
    results = {}
    for variant in LSTM_VARIANTS:
        command = [sys.executable, __file__, "--lstm-child", variant, "--lstm-epochs", str(epochs)]
        command += ["--hidden", str(hidden), "--threads", str(torch.get_num_threads())]
        limit = pyg_limit_gb if LSTM_VARIANTS[variant][0] == "pyg" else None

        def set_limit(limit=limit):
            if limit:
                size = int(limit * 2**30)
                resource.setrlimit(resource.RLIMIT_AS, (size, size))

        completed = subprocess.run(
            command, capture_output=True, text=True, preexec_fn=set_limit, env=os.environ.copy()
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if lines:
            results[variant] = json.loads(lines[-1])
        else:
            tail = (completed.stderr or "").strip().splitlines()[-3:]
            results[variant] = {"status": f"crashed (exit {completed.returncode}): {tail}"}
        if limit:
            results[variant]["address_space_limit_gib"] = limit
        log(f"LSTM {variant}: {results[variant]}")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs-per-round", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--lstm-epochs", type=int, default=3)
    parser.add_argument("--pyg-lstm-limit-gb", type=float, default=20.0)
    parser.add_argument("--skip-lstm", action="store_true")
    parser.add_argument("--lstm-child", choices=list(LSTM_VARIANTS), help=argparse.SUPPRESS)
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    run_header = common.start_run(args, argv)
    if args.lstm_child:
        _lstm_child(args.lstm_child, args.lstm_epochs, args.hidden)
        return 0
    log = print
    results = {
        **run_header,
        "full_graph_epoch_ms": time_full_graph(
            args.datasets, args.rounds, args.epochs_per_round, args.hidden, log
        ),
        "settings": vars(args),
    }
    if not args.skip_lstm:
        results["lstm_cora"] = time_lstm(args.lstm_epochs, args.hidden, args.pyg_lstm_limit_gb, log)
    common.write_results(args.out, "sage_speed", results, format_markdown)
    print(format_markdown(results))
    return 0


def format_markdown(results: dict) -> str:
    lines = [
        "### GraphSAGE full-graph training epoch: graphseq vs PyG (same run, median ms)",
        "",
        "| dataset / aggregator | PyG | graphseq | PyG / graphseq |",
        "|---|---|---|---|",
    ]
    pyg_names = {"mean": "SAGEConv(aggr='mean')", "pool": "SAGEConv(aggr='max', project=True)"}
    for key, row in results["full_graph_epoch_ms"].items():
        name, aggregator = key.split("/")
        lines.append(
            f"| {name} / {aggregator} (PyG {pyg_names[aggregator]}) | {row['pyg']:.1f} | "
            f"{row['graphseq']:.1f} | {row['speedup']:.2f}x |"
        )
    if "lstm_cora" in results:
        lines += [
            "",
            "### LSTM aggregator, Cora (1433 input features): PyG's width (LSTM hidden 1433 in "
            "layer 1) and the paper's (128), full graph and sampled [25, 10]",
            "",
            "| implementation | LSTM hidden | training | status | epoch time (s) | peak RSS (MiB) |",
            "|---|---|---|---|---|---|",
        ]
        for variant, row in results["lstm_cora"].items():
            _, width, sampled = LSTM_VARIANTS.get(variant, (variant, None, False))
            setting = f"| {width or 1433} | {'sampled [25, 10], 32 seeds/batch' if sampled else 'full graph'} "
            epoch = f"{row['epoch_time_s']:.2f}" if row.get("epoch_time_s") else "—"
            peak = f"{row['peak_rss_mib']:.0f}" if row.get("peak_rss_mib") else "—"
            status = row.get("status", "")
            if row.get("address_space_limit_gib"):
                status += f" (address-space limit {row['address_space_limit_gib']:g} GiB)"
            lines.append(f"| {variant} {setting}| {status} | {epoch} | {peak} |")
    lines += ["", common.footer(results)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
