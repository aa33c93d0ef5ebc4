"""``graphseq bench``: node classification over several seeds, published numbers beside ours.

Models are registered in `BENCH_MODELS` with `register_bench_model`; each entry runs one of the
`graphseq.recipes` on a dataset for one seed, and knows which number its paper published.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..datasets import DatasetNotFoundError, load_dataset
from ..progress import show_progress

__all__ = [
    "BENCH_MODELS",
    "BenchModel",
    "format_markdown",
    "register",
    "register_bench_model",
    "run",
    "run_benchmark",
]


@dataclass(frozen=True)
class BenchModel:
    """A benchmark entry.

    ``run(data, seed, max_epochs)`` trains on ``data`` (a PyG ``Data`` with the dataset's split) and
    returns ``{"test_acc": float in [0, 1], "epoch_time": seconds per training epoch or None,
    "epochs": int or None}``. ``published`` maps a dataset name to the paper's test accuracy in
    percent; ``source`` names the paper.
    """

    name: str
    description: str
    run: Callable[..., dict]
    published: dict[str, float] = field(default_factory=dict)
    source: str = ""


BENCH_MODELS: dict[str, BenchModel] = {}


def register_bench_model(model: BenchModel) -> None:
    """Add (or replace) a model available to ``graphseq bench``."""
    BENCH_MODELS[model.name] = model


def _register_recipes() -> None:
    from ..recipes import DeepWalkRecipe, GCNRecipe, GraphSAGERecipe, WalkRNNRecipe

    register_bench_model(
        BenchModel(
            name="gcn",
            description="graphseq GCN, 2 layers, Kipf & Welling hyperparameters",
            run=GCNRecipe().fit,
            published={"Cora": 81.5, "CiteSeer": 70.3, "PubMed": 79.0},
            source="Kipf & Welling 2017, Table 2",
        )
    )
    for aggr in ("mean", "gcn", "pool", "lstm"):
        register_bench_model(
            BenchModel(
                name=f"sage-{aggr}",
                description=f"graphseq GraphSAGE, {aggr} aggregator, supervised full-batch",
                run=GraphSAGERecipe(aggr=aggr).fit,
                # Hamilton et al. 2017 report no Planetoid-split accuracies.
                source="Hamilton et al. 2017 (no Planetoid-split numbers published)",
            )
        )
    register_bench_model(
        BenchModel(
            name="deepwalk",
            description="graphseq DeepWalk embeddings + logistic regression (C picked on val)",
            run=DeepWalkRecipe().fit,
            published={"Cora": 67.2, "CiteSeer": 43.2, "PubMed": 65.3},
            source="Kipf & Welling 2017, Table 2 (DeepWalk row)",
        )
    )
    register_bench_model(
        BenchModel(
            name="walkrnn",
            description="graphseq WalkRNN: LSTM over 8 random walks of length 4 per node",
            run=WalkRNNRecipe().fit,
        )
    )


_register_recipes()


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def run_benchmark(
    dataset: str = "Cora",
    models: list[str] | tuple[str, ...] = ("gcn",),
    seeds: int = 10,
    root=None,
    epochs: int = 200,
    progress: bool | None = None,
    log=print,
) -> dict:
    """Run every model for seeds ``0 .. seeds-1`` and return the results as a dict.

    When ``dataset`` is not available offline, says so in one line (through ``log``) and runs
    on Karate Club instead.
    """
    unknown = [m for m in models if m not in BENCH_MODELS]
    if unknown:
        raise ValueError(
            f"unknown model(s) {unknown}; available: {', '.join(sorted(BENCH_MODELS))}."
        )
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}.")
    requested = dataset
    try:
        data = load_dataset(dataset, root)
    except DatasetNotFoundError:
        log(
            f"{dataset} is not available offline (see `graphseq datasets`); running on KarateClub instead."
        )
        dataset = "KarateClub"
        data = load_dataset(dataset)
    if getattr(data, "train_mask", None) is None or data.y is None or data.y.dim() != 1:
        raise ValueError(
            f"{dataset} has no single-label train/val/test split; graphseq bench needs one "
            "(Cora, CiteSeer, PubMed, KarateClub)."
        )
    from tqdm.auto import tqdm

    show = show_progress(progress)
    results = {
        "dataset": dataset,
        "requested_dataset": requested,
        "seeds": list(range(seeds)),
        "models": {},
        "environment": {
            "graphseq": __import__("graphseq").__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "threads": torch.get_num_threads(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    for name in models:
        entry = BENCH_MODELS[name]
        runs = []
        for seed in tqdm(range(seeds), desc=name, disable=not show, leave=False):
            runs.append(entry.run(data, seed, max_epochs=epochs))
        accuracies = [100.0 * r["test_acc"] for r in runs]
        mean, std = _mean_std(accuracies)
        times = [r["epoch_time"] for r in runs if r.get("epoch_time") is not None]
        results["models"][name] = {
            "description": entry.description,
            "test_acc": accuracies,
            "mean": mean,
            "std": std,
            "epoch_time_ms": 1000 * statistics.fmean(times) if times else None,
            "epochs": [r.get("epochs") for r in runs],
            "published": entry.published.get(dataset),
            "source": entry.source,
        }
    return results


def format_markdown(results: dict) -> str:
    """The results as a Markdown table."""
    lines = [
        f"### Node classification on {results['dataset']} "
        f"({len(results['seeds'])} seeds, test accuracy %)",
        "",
        "| model | graphseq (mean ± std) | published | time / epoch (ms) | source |",
        "|---|---|---|---|---|",
    ]
    for name, r in results["models"].items():
        published = f"{r['published']:.1f}" if r["published"] is not None else "—"
        epoch_time = f"{r['epoch_time_ms']:.2f}" if r["epoch_time_ms"] is not None else "—"
        lines.append(
            f"| {name} | {r['mean']:.1f} ± {r['std']:.1f} | {published} | {epoch_time} | "
            f"{r['source'] or '—'} |"
        )
    env = results["environment"]
    command = f"`{results['command']}` — " if results.get("command") else ""
    lines += [
        "",
        f"{command}graphseq {env['graphseq']}, torch {env['torch']}, Python {env['python']}, "
        f"{env['threads']} threads, {results['date']}.",
    ]
    return "\n".join(lines) + "\n"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="node-classification benchmark with published numbers beside ours"
    )
    parser.add_argument("--dataset", default="Cora", help="dataset name (default: Cora)")
    parser.add_argument(
        "--models",
        default="gcn",
        help=f"comma-separated models (default: gcn; available: {', '.join(sorted(BENCH_MODELS))})",
    )
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (default: 10)")
    parser.add_argument("--epochs", type=int, default=200, help="maximum epochs (default: 200)")
    parser.add_argument("--root", help="data directory to search first (else $GRAPHSEQ_DATA)")
    parser.add_argument(
        "--out", default="graphseq-results", help="directory for the JSON and Markdown results"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args) -> int:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    results = run_benchmark(
        args.dataset,
        models,
        seeds=args.seeds,
        root=args.root,
        epochs=args.epochs,
        progress=False if args.quiet else None,
    )
    results["command"] = "graphseq " + " ".join(sys.argv[1:]) if sys.argv[1:] else "graphseq bench"
    table = format_markdown(results)
    print(table, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"bench_{results['dataset']}"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{stem}.md").write_text(table)
    print(f"results written to {os.path.join(args.out, stem)}.json and .md")
    return 0
