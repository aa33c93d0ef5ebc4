"""GraphSAGE test accuracy on Cora and CiteSeer (Planetoid split), beside GCN, over several seeds.

Rows (each mean ± std over ``--seeds`` seeds, test accuracy %):

* ``gcn``: graphseq's GCN in Kipf & Welling's setting (the ``graphseq bench`` entry);
* ``sage-<aggregator>``: supervised full-batch GraphSAGE (the ``graphseq bench`` entries,
  `graphseq.recipes.GraphSAGERecipe`: 2 layers, 16 hidden, dropout 0.5, Adam lr 0.01, weight
  decay 5e-4, early stopping on the validation loss with patience 20; pool and LSTM with
  `graphseq.recipes.SAGE_AGGREGATOR_SETTINGS`: 64 hidden, dropout 0.8, normalized outputs,
  patience 100, weight decay 1e-3, pool's projection 64 wide, LSTM hidden 128, chosen on
  validation in the screen of ``sage_accuracy_notes.md``);
* ``sampled <aggregator>``: the same model and training (the recipe's settings) on sampled
  mini-batches (fan-outs [25, 10], drawn as `graphseq.recipes.sample_with_replacement` says:
  without replacement for pool, with for mean and LSTM; 32 seeds per batch, sparse input rows,
  validation on the full graph);
* ``unsup <aggregator> + LR``: unsupervised GraphSAGE (128-d output, 128 hidden, walks of 5 nodes,
  window 2, Q = 5 negatives from degree^0.75, batches of 1024 pairs, Adam lr 0.01, full-graph
  embeddings while training) followed
  by graphseq's linear probe (logistic regression on the training nodes, C chosen on the
  validation nodes from {0.01, 0.1, 1, 10}, standardized embeddings);
* ``... inductive``: trained on the graph with the test nodes (and all their edges) removed;
  validation on that graph; test nodes classified afterwards on the full graph.

The Planetoid split's test nodes are 1000 of 2708 (Cora) / 3327 (CiteSeer): the inductive rows
train on a graph with 37% / 30% of the nodes cut out.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/sage_accuracy.py \
        --datasets Cora CiteSeer --seeds 10

Committed parts: ``--aggregators mean --parts sampled inductive --tag sampled`` and the others
listed in each result file's ``command``; ``--merge`` combines part files into one table.
``--changes '{"weight_decay": 0.01}'`` changes recipe settings in the supervised GraphSAGE rows
(e.g. settings chosen on one dataset's validation split with ``sage_screen.py``; the result
records them).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import common
import torch

from graphseq import GraphSAGE, load_dataset
from graphseq.evaluation import probe_split
from graphseq.recipes import GCNRecipe, GraphSAGERecipe, normalized_features
from graphseq.seed import seed_everything
from graphseq.train import (
    Trainer,
    UnsupervisedSAGETask,
)

# Unsupervised GraphSAGE (no recipe in the library): the embedding model and its training.
UNSUPERVISED_WIDTH = 128
UNSUPERVISED_TASK = {"walk_length": 5, "window": 2, "num_negatives": 5, "batch_size": 1024}
UNSUPERVISED_LR = 0.01
PROBE_C = (0.01, 0.1, 1.0, 10.0)


def _without_test_nodes(data):
    """``edge_index`` without any edge touching a test node (the inductive training graph)."""
    source, target = data.edge_index
    keep = ~(data.test_mask[source] | data.test_mask[target])
    return data.edge_index[:, keep]


def _recipe(aggr: str, **changes) -> GraphSAGERecipe:
    """The `graphseq bench` recipe of ``aggr`` (its chosen settings, `SAGE_AGGREGATOR_SETTINGS`)."""
    return GraphSAGERecipe.for_aggregator(aggr, **changes)


def _summary(trainer, test_acc: float) -> dict:
    """One seed's row entry: test accuracy, epochs run and time per epoch."""
    return {"test_acc": test_acc, "epochs": trainer.epoch_, "epoch_time": trainer.epoch_time_}


def _train_graph(data, inductive: bool):
    return _without_test_nodes(data) if inductive else None


def run_full(data, seed, epochs, *, aggr, inductive=False, changes=None):
    """Full-batch supervised training: the recipe itself (with ``changes`` to its settings),
    or (inductive) on the graph without the test nodes, the test nodes scored on the full
    graph."""
    trainer = _recipe(aggr, **(changes or {})).train(
        data, seed, epochs, train_edge_index=_train_graph(data, inductive)
    )
    return _summary(trainer, trainer.test()["test_acc"])


def run_sampled(data, seed, epochs, *, aggr, inductive=False, changes=None):
    """The recipe on sampled mini-batches (fan-outs [25, 10], 32 seeds per batch)."""
    recipe = _recipe(aggr, **{"fanouts": (25, 10), "batch_size": 32, **(changes or {})})
    trainer = recipe.train(data, seed, epochs, train_edge_index=_train_graph(data, inductive))
    return _summary(trainer, trainer.test()["test_acc"])  # test nodes: on the full graph


def run_unsupervised(data, seed, epochs, *, aggr, inductive=False, changes=None):
    del changes  # the unsupervised rows keep their own settings (above)
    data = normalized_features(data)
    seed_everything(seed)
    width = UNSUPERVISED_WIDTH
    model = GraphSAGE(
        data.num_features, width, width, aggr=aggr, dropout=0.0,
        aggr_channels=_recipe(aggr).aggr_channels, cached=not inductive,
    )  # fmt: skip
    task = UnsupervisedSAGETask(
        data,
        splits={"train": ~data.test_mask} if inductive else None,
        train_edge_index=_train_graph(data, inductive),
        seed=seed,
        **UNSUPERVISED_TASK,
    )
    optimizer = functools.partial(torch.optim.Adam, lr=UNSUPERVISED_LR)
    trainer = Trainer(
        model, task, optimizer=optimizer, max_epochs=epochs, seed=seed, progress=False
    ).fit()
    embeddings = task.embed(model)  # on the full graph
    probe = probe_split(
        embeddings,
        data.y,
        data.train_mask,
        data.test_mask,
        val_mask=data.val_mask,
        C=PROBE_C,
        standardize=True,
    )
    return _summary(trainer, probe["accuracy"])


# --parts -> (row name, description, run(data, seed, epochs, aggr=, inductive=), max epochs;
# None: --unsup-epochs). With the "inductive" part every row also runs inductively.
KINDS = {
    "full": ("sage-{}", "GraphSAGE {}, supervised full-batch", run_full, 200),
    "sampled": ("sampled {}", "GraphSAGE {}, supervised, sampled [25, 10]", run_sampled, 200),
    "unsup": (
        "unsup {} + LR",
        "GraphSAGE {}, unsupervised + logistic regression",
        run_unsupervised,
        None,
    ),
}


def rows(aggregators, parts, unsup_epochs, changes=None) -> dict:
    """``{row name: (description, run(data, seed, epochs), max epochs)}`` in table order;
    ``changes``: recipe settings changed in the supervised GraphSAGE rows."""
    table = {}
    if "full" in parts:
        table["gcn"] = ("GCN, full-batch (Kipf & Welling setting)", GCNRecipe().fit, 200)
    for part, (name, description, run, epochs) in KINDS.items():
        if part not in parts:
            continue
        for aggr in aggregators:
            for inductive in (False, True) if "inductive" in parts else (False,):
                suffix = ", inductive" if inductive else ""
                table[name.format(aggr) + (" inductive" if inductive else "")] = (
                    description.format(aggr) + suffix,
                    functools.partial(run, aggr=aggr, inductive=inductive, changes=changes),
                    epochs or unsup_epochs,
                )
    return table


PUBLISHED = (
    "Published: GCN 81.5 (Cora) / 70.3 (CiteSeer), Kipf & Welling 2017, Table 2. GraphSAGE "
    "max-pool on the same Planetoid split: 77.4 ± 1.0 / 67.0 ± 1.0 (20 initialisations), "
    "Chamberlain et al. 2021 (GRAND, ICML), Table 1; on 100 random splits (their Table 2): "
    "GS-mean 79.2 ± 7.7 / 71.6 ± 1.9, GS-maxpool 76.6 ± 1.9 / 67.5 ± 2.3. Hamilton et al. 2017 "
    "publish no Planetoid-split accuracies (their citation benchmark is a different dataset), "
    "and we know of no published LSTM-aggregator result on these splits."
)
"""The published numbers under every GraphSAGE accuracy table."""


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
    lines += [
        "",
        PUBLISHED,
        "",
        common.footer(results),
    ]
    return "\n".join(lines) + "\n"


def merge(paths, out: Path, tag: str) -> int:
    """Combine result files of separate runs (e.g. supervised and unsupervised parts) into one
    table; each row keeps its own seed count, and the commands of all parts are listed."""
    parts = [common.read_json(p) for p in paths]
    combined = dict(parts[0])
    combined["datasets"] = {}
    for part in parts:
        for dataset, rows_ in part["datasets"].items():
            combined["datasets"].setdefault(dataset, {}).update(rows_)
    combined["command"] = " ; ".join(p["command"] for p in parts)
    combined["parts"] = [{"command": p["command"], "date": p["date"]} for p in parts]
    combined["settings"] = dict(parts[0]["settings"])
    combined["settings"]["seeds"] = "/".join(sorted({str(p["settings"]["seeds"]) for p in parts}))
    common.write_results(out, f"sage_accuracy_{tag}", combined, format_markdown, refresh_load=False)
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
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    parser.add_argument(
        "--changes",
        type=json.loads,
        default=None,
        help="JSON object of GraphSAGERecipe settings to change in the supervised rows, e.g. "
        "settings chosen on one dataset's validation split in sage_screen.py",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="only combine earlier result files (rows in the given order) into one table",
    )
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    if args.merge:
        return merge(args.merge, Path(args.out), args.tag or "all")
    results = {**common.start_run(args, argv), "settings": vars(args), "datasets": {}}
    stem = f"sage_accuracy{('_' + args.tag) if args.tag else ''}"
    table = rows(args.aggregators, args.parts, args.unsup_epochs, args.changes)
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
            common.write_results(args.out, stem, results, format_markdown)
    print(format_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
