"""Link prediction on Cora, CiteSeer, the node2vec PPI graph, BlogCatalog and SNAP Slashdot, every
learned model beside every neighbourhood heuristic, published numbers beside ours.

Each dataset's rows are a data file, ``benchmarks/configs/link_prediction/<NAME>.toml``: the
dataset, the number of seeds, the learned models and their recipe overrides (fewer walks on the
large graphs); the five heuristics of `graphseq.link_prediction.HEURISTICS` are always added.
Every seed draws its own 85/5/10 random edge split (the GAE paper's) and every row is scored on
the same held-out pairs; the table reports test ROC-AUC, AP and Hits@50 (mean ± std over seeds).
The runs are `graphseq.cli.link_bench.run_link_benchmark`, the same code as
``graphseq bench --task link``.

Outputs (``--out``): ``link_prediction_<NAME>.json`` per dataset (written after each dataset, so
an interrupted run keeps what it finished: every fit is saved as it ends in
``link_prediction_<NAME>.partial.json``, and ``--resume`` skips datasets already written with the
same configuration and the fits already saved) and ``link_prediction.md``, all datasets' tables.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/link_prediction.py
    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/link_prediction.py --datasets Cora --seeds 2
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
from pathlib import Path

import common
import gensim

from graphseq.cli.link_bench import LINK_MODELS, LinkModel, format_link_markdown, run_link_benchmark
from graphseq.link_prediction import HEURISTICS
from graphseq.recipes import EmbeddingLinkRecipe, GAERecipe

try:
    import tomllib  # Python >= 3.11
except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
    import tomli as tomllib

CONFIGS = Path(__file__).resolve().parent / "configs" / "link_prediction"
DATASETS = ("Cora", "CiteSeer", "PPI-node2vec", "BlogCatalog", "Slashdot")

# A learned row's recipe: its class and the fields that make it that row.
RECIPES = {
    "gae": (GAERecipe, {}),
    "vgae": (GAERecipe, {"variational": True}),
    "deepwalk": (EmbeddingLinkRecipe, {"method": "deepwalk"}),
    "node2vec": (EmbeddingLinkRecipe, {"method": "node2vec"}),
    "graphsage": (EmbeddingLinkRecipe, {"method": "graphsage"}),
    "spectral": (EmbeddingLinkRecipe, {"method": "spectral"}),
}


def read_config(directory: str | Path, name: str) -> dict:
    path = Path(directory) / f"{name}.toml"
    if not path.is_file():
        raise SystemExit(f"no configuration {path}; datasets with one: {', '.join(DATASETS)}")
    with open(path, "rb") as file:
        config = tomllib.load(file)
    unknown = [m for m in config.get("models", []) if m not in RECIPES]
    if unknown:
        raise SystemExit(f"{path}: unknown model(s) {unknown}; known: {', '.join(RECIPES)}")
    return config


def link_model(name: str, overrides: dict) -> LinkModel:
    """The `LINK_MODELS` row ``name`` with its recipe's fields replaced by ``overrides``."""
    cls, fields = RECIPES[name]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(overrides) - known
    if unknown:
        raise SystemExit(f"[{name}] has unknown field(s) {sorted(unknown)}; known: {sorted(known)}")
    options = {k: tuple(map(tuple, v)) if k == "node2vec_pq" else v for k, v in overrides.items()}
    recipe = cls(**fields, **options)
    entry = LINK_MODELS[name]
    description = entry.description + (
        " (" + ", ".join(f"{k}={v}" for k, v in overrides.items()) + ")" if overrides else ""
    )
    return dataclasses.replace(entry, run=recipe.fit, description=description)


def dataset_argument(config: dict, root: str | None) -> str:
    """A registry name as it is; a relative file path is read from the data directory."""
    dataset = config["dataset"]
    if "/" not in dataset:
        return dataset
    base = root or os.environ.get("GRAPHSEQ_DATA") or "."
    return str(Path(base) / dataset)


def _save_partial(path: Path, request: dict, runs: dict) -> None:
    common.write_atomically(path, common.to_json({"request": request, "runs": runs}))


def render(results: dict) -> str:
    lines = [
        "# Link prediction: learned models beside neighbourhood heuristics",
        "",
        "Test ROC-AUC / AP / Hits@50 (%) on the GAE paper's 85/5/10 random edge split, a new split "
        "per seed, every row scored on the same pairs. Embedding rows (DeepWalk, node2vec, "
        "GraphSAGE, spectral) choose their edge operator (inner product or node2vec's four + "
        "logistic regression) on validation; node2vec also its p, q. Published: Kipf & Welling "
        "2016 (VGAE), Table 1. Notes: `link_prediction_notes.md`.",
        "",
    ]
    for result in results.values():
        lines += [format_link_markdown(result), _winner_line(result), ""]
    return "\n".join(lines)


def _winner_line(result: dict) -> str:
    """Which kind of row is best on ROC-AUC here (the notes expand on it)."""
    models = result["models"]
    mean = {name: r["test_roc_auc"]["mean"] for name, r in models.items()}
    best_heuristic = max((n for n in mean if n in HEURISTICS), key=mean.get, default=None)
    learned = [n for n in mean if n not in HEURISTICS]
    best_learned = max(learned, key=mean.get, default=None)
    if best_heuristic is None or best_learned is None:
        return ""
    beaten = [n for n in learned if mean[n] < mean[best_heuristic]]
    text = (
        f"Best learned row: {best_learned} ({mean[best_learned]:.1f}); best heuristic: "
        f"{best_heuristic} ({mean[best_heuristic]:.1f})."
    )
    if beaten:
        text += f" The best heuristic beats {', '.join(beaten)} here."
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated")
    parser.add_argument("--seeds", type=int, help="override every config's seeds")
    parser.add_argument("--models", help="comma-separated learned rows to keep (default: all)")
    parser.add_argument("--root", help="data directory (default: $GRAPHSEQ_DATA)")
    parser.add_argument("--configs", default=str(CONFIGS), help="folder of <NAME>.toml files")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    header = common.start_run(args, argv, gensim=gensim.__version__)
    keep = None if args.models is None else set(args.models.split(","))
    results = {}
    for name in args.datasets.split(","):
        config = read_config(args.configs, name)
        seeds = args.seeds or config.get("seeds", 10)
        learned = [m for m in config.get("models", []) if keep is None or m in keep]
        models = [link_model(m, config.get(m, {})) for m in learned] + list(HEURISTICS)
        out = Path(args.out) / f"link_prediction_{name}.json"
        previous = common.read_json(out)
        wanted = {
            "config": config,
            "seeds": seeds,
            "models": [getattr(m, "name", m) for m in models],
        }
        if args.resume and previous and previous.get("request") == wanted:
            print(f"{name}: already written with this configuration ({out}), skipped", flush=True)
            results[name] = previous
            continue
        # Every fit is saved as it ends; --resume continues from there.
        partial = out.with_suffix(".partial.json")
        done = common.read_json(partial, {}) if args.resume else {}
        if done.get("request") != wanted:
            done = {}
        result = run_link_benchmark(
            dataset_argument(config, args.root),
            models,
            seeds=seeds,
            root=args.root,
            progress=True,
            display_name=config.get("name", name),
            done=done.get("runs"),
            on_fit=functools.partial(_save_partial, partial, wanted),
            **config.get("load", {}),
        )
        # The run's own environment block (its load average at the end) plus the header's.
        result.update(
            command=header["command"],
            date=header["date"],
            environment={**result["environment"], **header["environment"]},
            request=wanted,
        )
        common.mark_end(result)
        common.write_atomically(out, common.to_json(result))
        partial.unlink(missing_ok=True)
        results[name] = result
        print(format_link_markdown(result), flush=True)
    names = [*DATASETS, *(n for n in args.datasets.split(",") if n not in DATASETS)]
    done = {
        n: common.read_json(Path(args.out) / f"link_prediction_{n}.json")
        for n in names
        if (Path(args.out) / f"link_prediction_{n}.json").exists()
    }
    common.write_atomically(Path(args.out) / "link_prediction.md", render(done))
    print(f"results written to {args.out}/link_prediction_*.json and link_prediction.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
