"""``graphseq bench``: node classification over several seeds, published numbers beside ours.

Models are registered in `BENCH_MODELS` with `register_bench_model`; each entry runs one of the
`graphseq.recipes` on a dataset for one seed, and knows which number its paper published.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets import DatasetNotFoundError, load_dataset
from ..link_prediction import HEURISTICS
from ..validation import check_int
from .common import run_environment
from .link_bench import LINK_MODELS, format_link_markdown, run_link_benchmark

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
                run=GraphSAGERecipe.for_aggregator(aggr).fit,
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


def _with_split(data, seed: int, train_fraction: float):
    """``data`` with its own split, or a seeded random one (``train_fraction`` trains, 10%
    validates, the rest tests) for a graph that comes without masks."""
    if getattr(data, "train_mask", None) is not None:
        return data
    from ..train.task import random_splits

    data = data.clone()
    for name, mask in random_splits(data.num_nodes, train_fraction, 0.1, seed=seed).items():
        setattr(data, f"{name}_mask", mask)
    return data


def run_benchmark(
    dataset: str = "Cora",
    models: list[str] | tuple[str, ...] = ("gcn",),
    seeds: int = 10,
    root=None,
    epochs: int = 200,
    progress: bool | None = None,
    *,
    fallback: str | None = None,
    train_fraction: float = 0.5,
    **load_options,
) -> dict:
    """Run every model for seeds ``0 .. seeds-1`` and return the results as a dict.

    ``dataset`` is anything `graphseq.load_dataset` reads (a name or a path) with node labels,
    single-label (scored by test accuracy) or multi-label (micro-F1 under the DeepWalk
    protocol's top-k rule). A dataset without a split gets a seeded random one per seed
    (``train_fraction`` trains, 10% validates, the rest tests). When ``dataset`` is not
    available and ``fallback`` names another, that one runs instead (with a line saying so);
    otherwise `DatasetNotFoundError`. Each finished seed is reported in a line (bar on a
    terminal) unless ``progress`` is False.
    """
    from ..datasets import is_graph_collection
    from ..progress import note, progress_bar

    unknown = [m for m in models if m not in BENCH_MODELS]
    if unknown:
        raise ValueError(
            f"unknown model(s) {unknown}; available: {', '.join(sorted(BENCH_MODELS))}."
        )
    seeds = check_int("seeds", seeds)
    requested = dataset
    try:
        data = load_dataset(dataset, root, **load_options)
    except DatasetNotFoundError:
        if fallback is None:
            raise
        note(f"{dataset} is not available offline; running on {fallback} instead.")
        dataset, data = fallback, load_dataset(fallback)
    if is_graph_collection(data):
        raise ValueError(
            f"{dataset} is a graph-classification dataset ({len(data)} graphs); graphseq bench "
            "classifies the nodes of one graph. For graph classification use "
            "benchmarks/graph_classification.py or graphseq.cross_validate."
        )
    if getattr(data, "y", None) is None:
        raise ValueError(f"{dataset} has no node labels (data.y); graphseq bench needs them.")
    multilabel = data.y.dim() == 2
    name = Path(str(dataset)).name
    results = {
        "dataset": name,
        "requested_dataset": str(requested),
        "metric": "micro_f1" if multilabel else "accuracy",
        "split": "given"
        if getattr(data, "train_mask", None) is not None
        else (f"random per seed: {train_fraction:g} train, 0.1 validation, the rest test"),
        "seeds": list(range(seeds)),
        "models": {},
        **run_environment(),
    }
    key = "test_micro_f1" if multilabel else "test_acc"
    for model in models:
        entry = BENCH_MODELS[model]
        runs = []
        bar = progress_bar(seeds, desc=model, unit="seed", progress=progress)
        for seed in range(seeds):
            start = time.perf_counter()
            runs.append(entry.run(_with_split(data, seed, train_fraction), seed, max_epochs=epochs))
            bar.update(1)
            note(
                f"bench {name} {model} seed {seed}: {key[5:]} {100 * runs[-1][key]:.1f}% "
                f"({time.perf_counter() - start:.1f} s)",
                progress,
            )
        bar.close()
        scores = [100.0 * r[key] for r in runs]
        mean, std = _mean_std(scores)
        times = [r["epoch_time"] for r in runs if r.get("epoch_time") is not None]
        results["models"][model] = {
            "description": entry.description,
            key: scores,  # test_acc, or test_micro_f1 for multi-label data; in %
            "mean": mean,
            "std": std,
            "epoch_time_ms": 1000 * statistics.fmean(times) if times else None,
            "epochs": [r.get("epochs") for r in runs],
            "published": entry.published.get(name),
            "source": entry.source if name in entry.published else "",
        }
    return results


def format_markdown(results: dict) -> str:
    """The results as a Markdown table."""
    metric = "test micro-F1 %, top-k" if results.get("metric") == "micro_f1" else "test accuracy %"
    lines = [
        f"### Node classification on {results['dataset']} "
        f"({len(results['seeds'])} seeds, {metric})",
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
    split = f" Split: {results['split']}." if results.get("split", "given") != "given" else ""
    load = env.get("load_average")
    load_text = f", load average {load[0]:.1f}" if load else ""
    lines += [
        "",
        f"{command}graphseq {env['graphseq']}, torch {env['torch']}, Python {env['python']}, "
        f"{env['threads']} threads{load_text}, {results['date']}.{split}",
    ]
    return "\n".join(lines) + "\n"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="node-classification or link-prediction benchmark, published numbers beside"
    )
    parser.add_argument(
        "--task",
        choices=("node", "link"),
        default="node",
        help="node classification (default) or link prediction (held-out edges, ROC-AUC/AP)",
    )
    parser.add_argument(
        "--dataset",
        default="Cora",
        help="a dataset name or a path to a graph file with node labels (default: Cora)",
    )
    parser.add_argument(
        "--fallback",
        nargs="?",
        const="KarateClub",
        help="if --dataset is not available, run on this one instead (default: KarateClub); "
        "without it a missing dataset is an error",
    )
    parser.add_argument(
        "--train-fraction",
        type=float,
        default=0.5,
        help="for a dataset without a split: the fraction of nodes that trains (default 0.5)",
    )
    parser.add_argument(
        "--models",
        help="comma-separated models (node task, default gcn: "
        f"{', '.join(sorted(BENCH_MODELS))}; link task, default gae and the heuristics: "
        f"{', '.join(sorted(LINK_MODELS))})",
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
    default = "gcn" if args.task == "node" else ",".join(("gae", *HEURISTICS))
    models = [m.strip() for m in (args.models or default).split(",") if m.strip()]
    progress = False if args.quiet else None
    if args.task == "link":
        results = run_link_benchmark(
            args.dataset, models, seeds=args.seeds, root=args.root, progress=progress
        )
        stem, formatter = f"bench_link_{results['dataset']}", format_link_markdown
    else:
        results = run_benchmark(
            args.dataset, models, seeds=args.seeds, root=args.root, epochs=args.epochs,
            progress=progress, fallback=args.fallback, train_fraction=args.train_fraction,
        )  # fmt: skip
        stem, formatter = f"bench_{results['dataset']}", format_markdown
    results["command"] = "graphseq " + " ".join(sys.argv[1:]) if sys.argv[1:] else "graphseq bench"
    table = formatter(results)
    print(table, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{stem}.md").write_text(table)
    print(f"results written to {os.path.join(args.out, stem)}.json and .md")
    return 0
