"""``graphseq bench --task link``: link prediction over several seeds, published numbers beside ours.

Every seed draws its own edge split (`graphseq.link_prediction.split_edges`: the GAE paper's
85/5/10 by default) and every model is scored on the same held-out pairs: the learned models
(`graphseq.recipes`: GAE, VGAE, DeepWalk, node2vec, unsupervised GraphSAGE, spectral embedding)
and the neighbourhood heuristics, which plain link prediction must always be compared with
(on OGB's collab graph, Adamic-Adar beats node2vec and GraphSAGE).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..link_prediction import HEURISTICS
from ..validation import check_int
from .common import run_environment

__all__ = ["LINK_MODELS", "LinkModel", "format_link_markdown", "run_link_benchmark"]

_VGAE_PAPER = "Kipf & Welling 2016 (VGAE), Table 1"


@dataclass(frozen=True)
class LinkModel:
    """``run(data, split, seed) -> {"test_roc_auc", "test_ap", ...}``; ``published`` maps a
    dataset name to the paper's ``(ROC-AUC, AP)`` in percent."""

    name: str
    description: str
    run: object
    published: dict = field(default_factory=dict)
    source: str = ""


def _models() -> dict[str, LinkModel]:
    from ..recipes import EmbeddingLinkRecipe, GAERecipe, HeuristicRecipe

    models = [
        LinkModel("gae", "graph auto-encoder (GCN 32-16, inner product)", GAERecipe().fit,
                  {"Cora": (91.0, 92.0), "CiteSeer": (89.5, 89.9)}, _VGAE_PAPER),
        LinkModel("vgae", "variational graph auto-encoder", GAERecipe(variational=True).fit,
                  {"Cora": (91.4, 92.6), "CiteSeer": (90.8, 92.0)}, _VGAE_PAPER),
        LinkModel("deepwalk", "DeepWalk embeddings, edge operator chosen on validation",
                  EmbeddingLinkRecipe("deepwalk").fit,
                  {"Cora": (83.1, 85.0), "CiteSeer": (80.5, 83.6)}, _VGAE_PAPER),
        LinkModel("spectral", "spectral embedding, edge operator chosen on validation",
                  EmbeddingLinkRecipe("spectral").fit,
                  {"Cora": (84.6, 88.5), "CiteSeer": (80.5, 85.0)}, _VGAE_PAPER),
        LinkModel("node2vec", "node2vec embeddings, p, q and operator chosen on validation",
                  EmbeddingLinkRecipe("node2vec").fit),
        LinkModel("graphsage", "unsupervised GraphSAGE embeddings, operator chosen on validation",
                  EmbeddingLinkRecipe("graphsage").fit),
    ]  # fmt: skip
    models += [
        LinkModel(name, f"heuristic: {name.replace('_', ' ')}", HeuristicRecipe(name).fit)
        for name in HEURISTICS
    ]
    return {model.name: model for model in models}


LINK_MODELS = _models()


def run_link_benchmark(
    dataset: str = "Cora",
    models=("gae", *HEURISTICS),
    seeds: int = 10,
    root=None,
    progress: bool | None = None,
    *,
    val: float = 0.05,
    test: float = 0.1,
    method: str = "random",
    display_name: str | None = None,
    done: dict | None = None,
    on_fit=None,
    **load_options,
) -> dict:
    """Every model on ``seeds`` edge splits of ``dataset``; returns the results as a dict (ROC-AUC,
    AP and Hits@K in %, per seed).

    ``models``: names of `LINK_MODELS` or `LinkModel` objects (a recipe configured differently,
    e.g. fewer walks on a large graph); ``display_name``: the dataset's name in the table and
    the published lookup (default the file or registry name).

    Resuming: ``done`` maps a model to the results of its first seeds from an interrupted run
    (what ``on_fit(runs)`` was given after every fit, e.g. to save them); those fits are not
    repeated."""
    from ..datasets import is_graph_collection, load_dataset
    from ..link_prediction import split_edges
    from ..progress import note, progress_bar

    unknown = [m for m in models if not isinstance(m, LinkModel) and m not in LINK_MODELS]
    if unknown:
        raise ValueError(
            f"unknown link model(s) {unknown}; available: {', '.join(sorted(LINK_MODELS))}."
        )
    entries = {
        m.name if isinstance(m, LinkModel) else m: m if isinstance(m, LinkModel) else LINK_MODELS[m]
        for m in models
    }
    seeds = check_int("seeds", seeds)
    data = load_dataset(dataset, root, **load_options)
    if is_graph_collection(data):
        raise ValueError(
            f"{dataset} is a graph-classification dataset ({len(data)} graphs); link prediction "
            "needs one graph."
        )
    name = display_name or Path(str(dataset)).name
    runs = {model: list((done or {}).get(model, []))[:seeds] for model in entries}
    bar = progress_bar(seeds * len(entries), desc="link prediction", unit="fit", progress=progress)
    bar.update(sum(len(r) for r in runs.values()))
    for seed in range(seeds):
        if all(len(r) > seed for r in runs.values()):
            continue  # every model has this seed already
        split = split_edges(data, val, test, method=method, seed=seed)
        for model, entry in entries.items():
            if len(runs[model]) > seed:
                continue
            start = time.perf_counter()
            result = entry.run(data, split, seed)
            result["seconds"] = time.perf_counter() - start
            runs[model].append(result)
            if on_fit is not None:
                on_fit(runs)
            bar.update(1)
            note(
                f"bench link {name} {model} seed {seed}: ROC-AUC {100 * result['test_roc_auc']:.1f}% "
                f"AP {100 * result['test_ap']:.1f}% ({result['seconds']:.1f} s)",
                progress,
            )
    bar.close()
    results = {
        "task": "link",
        "dataset": name,
        "split": {"val": val, "test": test, "method": method},
        "seeds": list(range(seeds)),
        "models": {},
        **run_environment(),
    }
    for model, rows in runs.items():
        entry = entries[model]
        summary = {"description": entry.description, "runs": rows}
        for key in ("test_roc_auc", "test_ap", "test_hits@50", "val_roc_auc"):
            values = [100 * r[key] for r in rows]
            summary[key] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "values": values,
            }
        summary["published"] = entry.published.get(name)
        summary["source"] = entry.source if name in entry.published else ""
        results["models"][model] = summary
    return results


def format_link_markdown(results: dict) -> str:
    """The results as a Markdown table."""
    split = results["split"]
    train = round(100 * (1 - split["val"] - split["test"]))
    lines = [
        f"### Link prediction on {results['dataset']} ({len(results['seeds'])} seeds, "
        f"{train}/{round(100 * split['val'])}/{round(100 * split['test'])} {split['method']} "
        "edge split, test %, mean ± std)",
        "",
        "| model | ROC-AUC | AP | Hits@50 | published ROC-AUC / AP | source |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results["models"].items():
        cells = [
            f"{r[key]['mean']:.1f} ± {r[key]['std']:.1f}"
            for key in ("test_roc_auc", "test_ap", "test_hits@50")
        ]
        published = "—" if r["published"] is None else "{:.1f} / {:.1f}".format(*r["published"])
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {published} | {r['source'] or '—'} |"
        )
    env = results["environment"]
    command = f"`{results['command']}` — " if results.get("command") else ""
    lines += [
        "",
        f"{command}graphseq {env['graphseq']}, torch {env['torch']}, Python {env['python']}, "
        f"{env['threads']} threads, load average {env['load_average'][0]:.1f}, {results['date']}.",
    ]
    return "\n".join(lines) + "\n"
