"""GraphSAGE test accuracy on Cora and CiteSeer (Planetoid split), beside GCN, over several seeds.

Rows (each mean ± std over ``--seeds`` seeds, test accuracy %):

* ``gcn``: graphseq's GCN in Kipf & Welling's setting (the ``graphseq bench`` entry);
* ``sage-<aggregator>``: supervised full-batch GraphSAGE (the ``graphseq bench`` entries: 2 layers,
  16 hidden, dropout 0.5, Adam lr 0.01, weight decay 5e-4, early stopping on the validation loss
  with patience 20 (see ``graphseq.bench._run_graphsage``); pool/LSTM with 64 aggregator
  channels);
* ``sampled <aggregator>``: the same model trained on sampled mini-batches (fan-outs [25, 10],
  with replacement, 32 seeds per batch, sparse input rows, validation on the full graph,
  patience 20);
* ``unsup <aggregator> + LR``: unsupervised GraphSAGE (128-d output, 128 hidden, walks of 5 nodes,
  window 2, Q = 5 negatives from degree^0.75, batches of 1024 pairs, Adam lr 0.01, full-graph
  embeddings while training) followed
  by graphseq's linear probe (logistic regression on the training nodes, C chosen on the
  validation nodes from {0.01, 0.1, 1, 10}, standardized embeddings);
* ``... inductive``: trained on the graph with the test nodes (and all their edges) removed;
  validation on that graph; test nodes classified afterwards on the full graph.

The Planetoid split's test nodes are 1000 of 2708 (Cora) / 3327 (CiteSeer): the inductive rows
train on a graph with 37% / 30% of the nodes cut out.

    python benchmarks/sage_accuracy.py --datasets Cora CiteSeer --seeds 10 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

import graphseq
from graphseq import GraphSAGE, load_dataset
from graphseq.bench import BENCH_MODELS
from graphseq.evaluation import probe_split
from graphseq.seed import seed_everything
from graphseq.train import NodeClassificationTask, SampledNodeClassificationTask, Trainer
from graphseq.train.unsupervised import UnsupervisedSAGETask

AGGREGATOR_OPTIONS = {"pool": {"aggregator_channels": 64}, "lstm": {"aggregator_channels": 64}}


def _row_normalized(data):
    data = data.clone()
    x = data.x.to_dense() if data.x.is_sparse else data.x
    data.x = x / x.sum(1, keepdim=True).clamp(min=1e-12)
    return data


def _without_test_nodes(data):
    """``edge_index`` without any edge touching a test node (the inductive training graph)."""
    source, target = data.edge_index
    keep = ~(data.test_mask[source] | data.test_mask[target])
    return data.edge_index[:, keep]


def _model(data, aggregator, hidden=16, out=None, dropout=0.5, cached=True):
    return GraphSAGE(
        data.num_features,
        hidden,
        out or int(data.y.max()) + 1,
        aggregator=aggregator,
        dropout=dropout,
        cached=cached,
        **AGGREGATOR_OPTIONS.get(aggregator, {}),
    )


def _fit_supervised(model, task, seed, epochs) -> Trainer:
    """The supervised bench entries' training: Adam lr 0.01, weight decay 5e-4, patience 20."""
    return Trainer(
        model, task, lr=0.01, weight_decay=5e-4, max_epochs=epochs, patience=20, seed=seed,
        progress=False,
    ).fit()  # fmt: skip


def _summary(trainer, test_acc: float) -> dict:
    """One seed's row entry: test accuracy, epochs run and time per epoch."""
    return {"test_acc": test_acc, "epochs": trainer.epoch_, "epoch_time": trainer.epoch_time_}


def run_full_inductive(data, aggregator, seed, epochs):
    """Full-batch supervised training on the graph without the test nodes."""
    data = _row_normalized(data)
    train_data = data.clone()
    train_data.edge_index = _without_test_nodes(data)
    train_data.x = data.x.to_sparse()
    seed_everything(seed)
    model = _model(data, aggregator, cached=False)
    trainer = _fit_supervised(model, NodeClassificationTask(train_data), seed, epochs)
    full = data.clone()
    full.x = data.x.to_sparse()
    with torch.no_grad():
        test = NodeClassificationTask(full).evaluate(model.eval(), ("test",))
    return _summary(trainer, test["test_acc"])


def run_sampled(data, aggregator, seed, epochs, inductive=False):
    data = _row_normalized(data)
    # Sparse rows: a [25, 10] batch gathers ~9000 input rows; dense, their dropout mask and
    # copy took 90% of the epoch (2.4 s against 0.19 s per Cora epoch, same model).
    data.x = data.x.to_sparse()
    seed_everything(seed)
    train_graph = _without_test_nodes(data) if inductive else None
    model = _model(data, aggregator, cached=False)
    task = SampledNodeClassificationTask(data, [25, 10], batch_size=32, train_graph=train_graph)
    trainer = _fit_supervised(model, task, seed, epochs)
    task.eval_edge_index = data.edge_index  # the test nodes are scored on the full graph
    return _summary(trainer, trainer.test()["test_acc"])


def run_unsupervised(data, aggregator, seed, epochs, inductive=False):
    data = _row_normalized(data)
    data.x = data.x.to_sparse()
    seed_everything(seed)
    train_graph = _without_test_nodes(data) if inductive else None
    model = GraphSAGE(
        data.num_features,
        128,
        128,
        aggregator=aggregator,
        dropout=0.0,
        cached=not inductive,
        **AGGREGATOR_OPTIONS.get(aggregator, {}),
    )
    task = UnsupervisedSAGETask(
        data,
        walk_length=5,
        window=2,
        num_negatives=5,
        batch_size=1024,
        train_graph=train_graph,
        train_nodes=~data.test_mask if inductive else None,
        seed=seed,
    )
    trainer = Trainer(
        model, task, lr=0.01, max_epochs=epochs, seed=seed, progress=False, eval_splits=("train",)
    ).fit()
    embeddings = task.embed(model)  # on the full graph
    probe = probe_split(
        embeddings,
        data.y,
        data.train_mask,
        data.test_mask,
        val_mask=data.val_mask,
        C=(0.01, 0.1, 1.0, 10.0),
        standardize=True,
    )
    return _summary(trainer, probe["accuracy"])


def _bench(name):
    def run(data, seed, epochs):
        return BENCH_MODELS[name].run(data, seed, epochs=epochs)

    return run


def rows(aggregators, parts, unsup_epochs):
    table = {}
    if "full" in parts:
        table["gcn"] = ("GCN, full-batch (Kipf & Welling setting)", _bench("gcn"), 200)
        for a in aggregators:
            table[f"sage-{a}"] = (f"GraphSAGE {a}, supervised full-batch", _bench(f"sage-{a}"), 200)
    if "inductive" in parts and "full" in parts:
        for a in aggregators:
            table[f"sage-{a} inductive"] = (
                f"GraphSAGE {a}, supervised full-batch, inductive",
                lambda d, s, e, a=a: run_full_inductive(d, a, s, e),
                200,
            )
    if "sampled" in parts:
        for a in aggregators:
            table[f"sampled {a}"] = (
                f"GraphSAGE {a}, supervised, sampled [25, 10]",
                lambda d, s, e, a=a: run_sampled(d, a, s, e),
                200,
            )
            if "inductive" in parts:
                table[f"sampled {a} inductive"] = (
                    f"GraphSAGE {a}, supervised, sampled [25, 10], inductive",
                    lambda d, s, e, a=a: run_sampled(d, a, s, e, inductive=True),
                    200,
                )
    if "unsup" in parts:
        for a in aggregators:
            table[f"unsup {a} + LR"] = (
                f"GraphSAGE {a}, unsupervised + logistic regression",
                lambda d, s, e, a=a: run_unsupervised(d, a, s, e),
                unsup_epochs,
            )
            if "inductive" in parts:
                table[f"unsup {a} + LR inductive"] = (
                    f"GraphSAGE {a}, unsupervised + logistic regression, inductive",
                    lambda d, s, e, a=a: run_unsupervised(d, a, s, e, inductive=True),
                    unsup_epochs,
                )
    return table


def format_markdown(results: dict) -> str:
    datasets = list(results["datasets"])
    lines = [
        f"### GraphSAGE vs GCN, Planetoid split, test accuracy % (mean ± std over "
        f"{results['settings']['seeds']} seeds)",
        "",
        "| model | " + " | ".join(datasets) + " | epochs (mean) | train time / epoch (ms) |",
        "|---|" + "---|" * len(datasets) + "---|---|",
    ]
    names = []
    for dataset in datasets:
        for name in results["datasets"][dataset]:
            if name not in names:
                names.append(name)
    for name in names:
        cells, epochs, times = [], [], []
        for dataset in datasets:
            row = results["datasets"][dataset].get(name)
            if row is None:
                cells.append("—")
                continue
            cells.append(f"{row['mean']:.1f} ± {row['std']:.1f} (n={len(row['test_acc'])})")
            epochs += row["epochs"]
            times += [t for t in row["epoch_time_ms"] if t is not None]
        epoch_cell = f"{statistics.fmean(epochs):.0f}" if epochs else "—"
        time_cell = f"{statistics.fmean(times):.0f}" if times else "—"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {epoch_cell} | {time_cell} |")
    env = results["environment"]
    lines += [
        "",
        "Published: GCN 81.5 (Cora) / 70.3 (CiteSeer), Kipf & Welling 2017, Table 2. Hamilton et "
        "al. 2017 publish no Planetoid-split GraphSAGE accuracies (their citation benchmark is a "
        "different dataset), so the GraphSAGE rows have no published number to sit beside.",
        "",
        f"`{results['command']}` — graphseq {env['graphseq']}, torch {env['torch']}, "
        f"{env['threads']} thread(s), load average {env['load_average_at_start'][0]:.1f} at start "
        f"({env['note']}), {results['date']}.",
    ]
    return "\n".join(lines) + "\n"


def merge(paths, out: Path, tag: str) -> int:
    """Combine result files of separate runs (e.g. supervised and unsupervised parts) into one
    table; each row keeps its own seed count, and the commands of all parts are listed."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    combined = dict(parts[0])
    combined["datasets"] = {}
    for part in parts:
        for dataset, rows_ in part["datasets"].items():
            combined["datasets"].setdefault(dataset, {}).update(rows_)
    combined["command"] = " ; ".join(p["command"] for p in parts)
    combined["parts"] = [{"command": p["command"], "date": p["date"]} for p in parts]
    combined["settings"] = dict(parts[0]["settings"])
    combined["settings"]["seeds"] = "/".join(sorted({str(p["settings"]["seeds"]) for p in parts}))
    out.mkdir(parents=True, exist_ok=True)
    (out / f"sage_accuracy_{tag}.json").write_text(json.dumps(combined, indent=2) + "\n")
    (out / f"sage_accuracy_{tag}.md").write_text(format_markdown(combined))
    print(format_markdown(combined))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CiteSeer"])
    parser.add_argument("--aggregators", nargs="+", default=["mean", "gcn", "pool", "lstm"])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["full", "sampled", "unsup", "inductive"],
        choices=["full", "sampled", "unsup", "inductive"],
    )
    parser.add_argument("--unsup-aggregators", nargs="+", default=None)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--unsup-epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    parser.add_argument(
        "--note",
        default="2-core machine shared with one other benchmark",
        help="what else ran on the machine (printed under the table)",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="only combine earlier result files (rows in the given order) into one table",
    )
    args = parser.parse_args(argv)
    if args.merge:
        return merge(args.merge, Path(args.out), args.tag or "all")
    torch.set_num_threads(args.threads)
    command = "python benchmarks/sage_accuracy.py " + " ".join(argv or sys.argv[1:])
    results = {
        "datasets": {},
        "settings": vars(args),
        "environment": {
            "graphseq": graphseq.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "load_average_at_start": os.getloadavg(),
            "note": args.note,
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": command,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"sage_accuracy{('_' + args.tag) if args.tag else ''}"
    table = rows(args.aggregators, args.parts, args.unsup_epochs)
    if args.unsup_aggregators is not None:
        table = {
            k: v
            for k, v in table.items()
            if not k.startswith("unsup") or k.split()[1] in args.unsup_aggregators
        }
    for dataset in args.datasets:
        data = load_dataset(dataset)
        results["datasets"][dataset] = {}
        for name, (description, run, epochs) in table.items():
            runs = []
            for seed in range(args.seeds):
                start = time.perf_counter()
                runs.append(run(data, seed, epochs))
                print(
                    f"{dataset} {name} seed {seed}: {100 * runs[-1]['test_acc']:.1f} "
                    f"({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
            accuracies = [100 * r["test_acc"] for r in runs]
            results["datasets"][dataset][name] = {
                "description": description,
                "test_acc": accuracies,
                "mean": statistics.fmean(accuracies),
                "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
                "epochs": [r.get("epochs") for r in runs],
                "epoch_time_ms": [
                    1000 * r["epoch_time"] if r.get("epoch_time") is not None else None
                    for r in runs
                ],
            }
            results["environment"]["load_average_now"] = os.getloadavg()
            (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
            (out / f"{stem}.md").write_text(format_markdown(results))
    print(format_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
