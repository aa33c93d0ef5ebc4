"""Screen of supervised full-graph GraphSAGE settings on a few seeds, read on validation accuracy.

The study behind `graphseq.recipes.SAGE_AGGREGATOR_SETTINGS` and ``sage_accuracy_notes.md``:
why pool and LSTM fall behind mean on the Planetoid split (140 labelled Cora nodes), and which
settings bring them back. Each configuration trains `graphseq.models.GraphSAGE` through the one
`Trainer` (Adam, early stopping on the validation loss) on ``seeds`` seeds and appends one JSON
line to ``--out/sage_screen.jsonl`` (mean test / validation / training accuracy of the best epoch,
epochs, seconds per epoch, the load average); ``sage_screen.md`` is rebuilt from all lines.

A grid is a JSON object: ``base`` holds the fixed settings, every other key a list of values,
and every combination runs. Settings: ``dataset``, ``aggr``, ``seeds``, ``lr``, ``wd``, ``ch``
(pool projection / LSTM hidden size), ``hidden``, ``dropout``, ``normalize``, ``patience``,
``epochs``, ``clip`` (gradient norm), ``monitor`` (the early-stopping metric: ``"val_loss"``, or
``"val_acc"`` with ties broken by the validation loss), ``wd_first`` (weight decay on the first
layer only, as Kipf & Welling's GCN), ``split`` (``[train, val]`` fractions of a random split in
place of the Planetoid one: more labels).

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/sage_screen.py \\
        '{"base": {"dataset": "Cora", "aggr": "pool", "seeds": 3, "ch": 64},
          "hidden": [16, 64, 256], "wd": [5e-4, 5e-3], "dropout": [0.5, 0.8],
          "normalize": [false, true]}'
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import statistics
import time
from pathlib import Path

import common
import torch

import graphseq as gs
from graphseq.recipes import normalized_features
from graphseq.train import EarlyStopping, NodeClassificationTask, Trainer
from graphseq.train.task import random_splits

COLUMNS = ("hidden", "ch", "dropout", "normalize", "wd", "wd_first", "lr", "clip", "patience",
           "max_epochs", "monitor", "split")  # fmt: skip


def run(dataset, aggr, seed, lr=0.01, wd=5e-4, ch=64, hidden=16, dropout=0.5, patience=20,
        epochs=200, normalize=False, split=None, clip=None, monitor="val_loss",
        wd_first=False) -> dict:  # fmt: skip
    """One seed of one configuration: accuracies at the best (``monitor``) epoch."""
    data = normalized_features(gs.load_dataset(dataset))
    gs.seed_everything(seed)
    model = gs.GraphSAGE(data.num_features, hidden, int(data.y.max()) + 1, aggr=aggr,
                         dropout=dropout, aggr_channels=ch, cached=True, normalize=normalize)  # fmt: skip
    splits = None if split is None else random_splits(data.num_nodes, *split, seed=seed)
    optimizer = functools.partial(torch.optim.Adam, lr=lr, weight_decay=wd)
    if wd_first:
        first = list(model.convs[0].parameters())
        rest = [p for conv in model.convs[1:] for p in conv.parameters()]
        optimizer = torch.optim.Adam(
            [{"params": first, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}], lr=lr
        )
    tie_breaker = None if monitor == "val_loss" else "val_loss"
    trainer = Trainer(
        model,
        NodeClassificationTask(data, splits=splits),
        optimizer=optimizer,
        early_stopping=EarlyStopping(monitor, patience=patience, tie_breaker=tie_breaker),
        max_epochs=epochs,
        seed=seed,
        progress=False,
        grad_clip=clip,
    ).fit()
    best = trainer.history_[trainer.best_epoch_ - 1]
    return {"test": trainer.test()["test_acc"], "val": best["val_acc"],
            "train": best["train_acc"], "epochs": trainer.epoch_,
            "epoch_time": trainer.epoch_time_}  # fmt: skip


def screen(config: dict) -> dict:
    """Every seed of ``config``: the JSON line."""
    settings = dict(config)
    name, dataset, aggr = settings.pop("name"), settings.pop("dataset"), settings.pop("aggr")
    seeds = settings.pop("seeds", 3)
    start = time.perf_counter()
    rows = [run(dataset, aggr, seed, **settings) for seed in range(seeds)]

    def mean(key):
        return statistics.fmean(r[key] for r in rows)

    # "epochs" in the line is the mean number run; the setting (the cap) is kept as max_epochs.
    max_epochs = settings.pop("epochs", None)
    return {
        "name": name, "dataset": dataset, "aggr": aggr, **settings, "max_epochs": max_epochs,
        "test": 100 * mean("test"),
        "test_std": 100 * statistics.stdev(r["test"] for r in rows) if seeds > 1 else 0.0,
        "val": 100 * mean("val"), "train": 100 * mean("train"), "epochs": mean("epochs"),
        "epoch_time": mean("epoch_time"),
        "per_seed_test": [round(100 * r["test"], 1) for r in rows],
        "seconds": time.perf_counter() - start, "load": os.getloadavg()[0],
    }  # fmt: skip


def render(lines: list[dict]) -> str:
    """All screened configurations as one Markdown table (in the order they ran)."""
    out = [
        "### GraphSAGE settings screen (full graph, test / val / train accuracy %, mean over seeds)",
        "",
        "Written by `benchmarks/sage_screen.py`; read in `sage_accuracy_notes.md`. Unlisted "
        "settings: hidden 16, ch 64, dropout 0.5, no normalization, weight decay 5e-4 (every "
        "layer), lr 0.01, patience 20, at most 200 epochs, early stopping on the validation loss, "
        "Planetoid split.",
        "",
        "| dataset | aggr | seeds | " + " | ".join(COLUMNS) + " | test | val | train | epochs "
        "| s/epoch | load |",
        "|" + "---|" * (len(COLUMNS) + 9),
    ]
    for r in lines:
        cells = ["" if r.get(c) is None else str(r[c]) for c in COLUMNS]
        out.append(
            f"| {r['dataset']} | {r['aggr']} | {len(r['per_seed_test'])} | " + " | ".join(cells)
            + f" | {r['test']:.1f} ± {r['test_std']:.1f} | {r['val']:.1f} | {r['train']:.1f} "
            f"| {r['epochs']:.0f} | {r['epoch_time']:.2f} | {r['load']:.1f} |"
        )  # fmt: skip
    commands = dict.fromkeys(r["command"] for r in lines if "command" in r)
    out += ["", "Commands (in order): " + " ; ".join(f"`{c}`" for c in commands) + ". Lines "
            "without a command were written by this script's first version (the same `run`), "
            "run by hand from scratch grids (the first 50 lines); the load average of every line is in the table."]  # fmt: skip
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("grid", nargs="?", default='{"base": {}}',
                        help="JSON object: 'base' settings plus lists to combine")  # fmt: skip
    parser.add_argument("--render-only", action="store_true", help="only rebuild the table")
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    header = common.start_run(args, argv)
    grid = json.loads(args.grid)
    base = grid.pop("base", {})
    keys = list(grid)
    path = Path(args.out) / "sage_screen.jsonl"
    for values in [] if args.render_only else itertools.product(*grid.values()):
        config = {**base, **dict(zip(keys, values, strict=True))}
        config.setdefault("name", " ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True)))
        line = {**screen(config), "command": header["command"], "date": header["date"],
                "environment": header["environment"]}  # fmt: skip
        with open(path, "a") as file:
            file.write(json.dumps(line) + "\n")
        print(f"{line['name']:40s} {line['dataset']:8s} {line['aggr']:5s} test "
              f"{line['test']:.1f}±{line['test_std']:.1f} val {line['val']:.1f} "
              f"({line['seconds']:.0f} s)", flush=True)  # fmt: skip
    lines = [json.loads(text) for text in path.read_text().splitlines() if text.strip()]
    common.write_atomically(Path(args.out) / "sage_screen.md", render(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
