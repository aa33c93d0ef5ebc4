"""GCN->LSTM graph readout against simple readouts, Set2Set and a structure-agnostic baseline.

10-fold stratified cross-validation with a stratified validation split inside every training
fold for early stopping (Errica et al. 2020's protocol; `graphseq.train.cross_validate`). Each
dataset's configuration is a data file, ``benchmarks/configs/graph_classification/<DATASET>.toml``
(its sections are the arguments of `load_dataset`, the model, the LSTM readout, the
cross-validation, the `Trainer`, its optimizer and scheduler and `EarlyStopping`; see
`DEFAULTS`). ``--set section.key=value`` overrides a setting of every dataset in the run.

``--selection`` runs a configuration as a model-selection candidate: its mean validation and
test accuracy go to ``graph_classification_selection.json``/``.md``, where the candidate of
highest mean *validation* accuracy among those with the most runs per fold is marked. A table
row run with the configuration of a finished candidate reuses that candidate's result.

Results go to ``<out>/graph_classification_<DATASET>.json`` after every fold, so an interrupted
row (or candidate) goes on from its next fold when re-run with the same configuration. A re-run
skips rows finished with the same configuration (``--force`` recomputes them). The tables
(``graph_classification.md``, ``graph_classification_selection.md``) are rewritten at the end
of every run, or alone with ``--table``. The committed table::

    PYTHONPATH=. GRAPHSEQ_DATA=../shared/data python benchmarks/graph_classification.py \\
        --datasets MUTAG,PTC_MR,PROTEINS,IMDB-BINARY,ENZYMES,NCI1,DD

Fold-seed checks (``graph_classification_seeds/<DATASET>_seed<N>.json``): ``--datasets MUTAG
--rows lstm-degree,... --set cross_validation.seed=N --out /tmp/seedN``, then copy the result
file there. A candidate: e.g. ``--datasets MUTAG --rows lstm-degree --selection --set
lstm_readout.cell=lstm``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import statistics
import sys
import time
from pathlib import Path

import common
import graph_classification_results as result_files
import torch

try:
    import tomllib  # Python >= 3.11
except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package
    import tomli as tomllib

from graphseq import load_dataset
from graphseq.models import GraphClassifier, StructureAgnosticBaseline
from graphseq.nn import LSTMReadout
from graphseq.ordering import add_node_ranks
from graphseq.train import (
    CrossValidationResult,
    EarlyStopping,
    FoldResult,
    cross_validate,
    stratified_folds,
)

CONFIGS = Path(__file__).resolve().parent / "configs" / "graph_classification"

# Every setting and its default; a dataset's TOML file overrides what it names. TOML has no
# null, so a setting whose default is None (all nodes read, the readout's dropout = dropout, no
# tie breaker, a constant learning rate) is None unless the file gives it.
DEFAULTS = {
    "features": {"node_attributes": False, "degree_features": False},  # load_dataset
    "model": {  # GraphClassifier (the baselines use hidden_channels and dropout)
        "hidden_channels": 64,
        "num_layers": 3,
        "dropout": 0.5,
        "readout_dropout": None,
        "include_input": False,
        "readout_norm": False,
    },
    "lstm_readout": {  # LSTMReadout of the lstm-* rows
        "cell": "lstm",
        "output": "last",
        "bidirectional": False,
        "reverse": False,
        "max_nodes": None,
    },
    "cross_validation": {"folds": 10, "runs": 1, "seed": 0, "batch_size": 64},
    "trainer": {"max_epochs": 100},
    "optimizer": {"name": "Adam", "lr": 0.01, "weight_decay": 0.0},  # torch.optim.<name>
    "scheduler": None,  # or {"name": "StepLR", ...}: torch.optim.lr_scheduler.<name>
    "early_stopping": {"monitor": "val_acc", "patience": 20, "tie_breaker": None},
}
# Sections whose keys are the keyword arguments of a torch class (checked by torch).
FREE_FORM = ("optimizer", "scheduler")

# name -> (description, model options); the two baselines are the structure-agnostic MLP with
# and without batch norm on the summed features. Neither is the stronger on every dataset, so
# both are shown and a graph model is judged against the better of the two.
ROWS = {
    "lstm-degree": (
        "GCN -> LSTM readout, degree ordering",
        {"readout": "lstm", "ordering": "degree"},
    ),
    "lstm-bfs": ("GCN -> LSTM readout, BFS ordering", {"readout": "lstm", "ordering": "bfs"}),
    "lstm-random_walk": (
        "GCN -> LSTM readout, random-walk ordering",
        {"readout": "lstm", "ordering": "random_walk"},
    ),
    "gcn-mean": ("GCN + mean readout", {"readout": "mean"}),
    # The sums grow with the graph's size; unnormalized they killed the MLP at lr 0.01.
    "gcn-sum": ("GCN + sum readout, batch-normalized", {"readout": "sum", "readout_norm": True}),
    "gcn-set2set": ("GCN + PyG Set2Set readout", {"readout": "set2set"}),
    "baseline": (
        "structure-agnostic: MLP on batch-normalized sums of node features",
        {"baseline": True, "batch_norm": True},
    ),
    "baseline-raw": (
        "structure-agnostic: MLP on raw sums of node features",
        {"baseline": True, "batch_norm": False},
    ),
}


def merge(base: dict, update: dict, where: str) -> dict:
    """``base`` with the sections and keys of ``update``; unknown ones are an error. A free-form
    section (or None, to drop an optional one) replaces the base's unless it keeps its torch
    class: then its keys update the base's."""
    merged = copy.deepcopy(base)
    for section, values in update.items():
        if section not in base:
            raise ValueError(f"{where}: unknown section [{section}]; known: {sorted(base)}")
        if section in FREE_FORM:
            old = base[section] or {}
            same_class = values is not None and values.get("name", old.get("name")) == old.get(
                "name"
            )
            merged[section] = copy.deepcopy({**old, **values} if same_class else values)
            continue
        if not isinstance(values, dict):
            raise ValueError(f"{where}: [{section}] must be a table of settings")
        unknown = sorted(set(values) - set(base[section]))
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown} in [{section}]")
        merged[section].update(values)
    return merged


def parse_setting(text: str) -> dict:
    """``"section.key=value"`` (a TOML value; a bare word is a string, ``none`` is None) ->
    ``{section: {key: value}}``; ``"section=none"`` drops a whole optional section."""
    name, sep, raw = text.partition("=")
    if not sep:
        raise ValueError(f"--set {text!r}: expected section.key=value")
    try:
        value = None if raw.lower() == "none" else tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    section, _, key = name.partition(".")
    return {section: {key: value}} if key else {section: value}


def load_config(dataset: str, settings=(), directory: Path = CONFIGS) -> dict:
    """The full configuration of ``dataset``: `DEFAULTS`, its TOML file, then ``settings``."""
    path = Path(directory) / f"{dataset}.toml"
    with open(path, "rb") as file:
        config = merge(DEFAULTS, tomllib.load(file), str(path))
    for setting in settings:
        config = merge(config, parse_setting(setting), f"--set {setting}")
    return config


def torch_factory(module, options: dict):
    """``functools.partial(module.<name>, **rest)`` of an optimizer/scheduler section."""
    options = dict(options)
    return functools.partial(getattr(module, options.pop("name")), **options)


def trainer_options(config: dict) -> dict:
    """The `Trainer` keyword arguments of ``config`` (factories: every run builds its own)."""
    options = {
        **config["trainer"],
        "optimizer": torch_factory(torch.optim, config["optimizer"]),
        "early_stopping": EarlyStopping(**config["early_stopping"]),
    }
    if config["scheduler"]:  # stepped once per epoch
        options["scheduler"] = torch_factory(torch.optim.lr_scheduler, config["scheduler"])
    return options


def model_builder(row: str, config: dict, in_channels: int, num_classes: int):
    """A function building a fresh model of ``row`` (called once per fold and run)."""
    options, model = ROWS[row][1], config["model"]
    if options.get("baseline"):
        width, dropout, norm = model["hidden_channels"], model["dropout"], options["batch_norm"]
        return lambda: StructureAgnosticBaseline(in_channels, num_classes, width, dropout, norm)
    readout = options["readout"]
    if readout == "lstm":  # called where the named readout would be built: the same weights
        readout = functools.partial(
            LSTMReadout, hidden_channels=model["hidden_channels"], **config["lstm_readout"]
        )
    keywords = {**model, "readout_norm": model["readout_norm"] or options.get("readout_norm")}
    ordering = options.get("ordering")  # given: "auto" would not see a factory's LSTM
    return lambda: GraphClassifier(
        in_channels, num_classes, **keywords, readout=readout, ordering=ordering
    )


def describe_fold(name: str, fold: FoldResult, folds: int) -> str:
    runs = f" [runs: {', '.join(f'{a:.1f}' for a in fold.run_test_acc)}]"
    return (
        f"{name} fold {fold.fold + 1}/{folds}: test {fold.test_acc:.1f}%"
        f"{runs if len(fold.run_test_acc) > 1 else ''} (val {fold.val_acc:.1f}%, "
        f"{round(fold.epochs, 1):g} epochs, {fold.seconds:.1f} s)"
    )


def run_row(dataset: str, row: str, graphs: list, config: dict, header: dict, args) -> None:
    """Cross-validate one row (or selection candidate), saving after every fold."""
    path = result_files.result_path(args.out, dataset)
    key = f"selection:{row}" if args.selection else row  # candidates' progress kept apart
    cv = config["cross_validation"]
    partial = common.read_json(path, {}).get("partial", {}).get(key)
    done = [] if partial is None or partial["config"] != config or args.force else partial["folds"]
    if done:
        print(f"{dataset} {row}: resuming after {len(done)} finished folds")
    finished = {fold["fold"] for fold in done}
    labels = [int(g.y.view(-1)[0]) for g in graphs]
    remaining = [
        split
        for split in stratified_folds(labels, cv["folds"], seed=cv["seed"])
        if split["fold"] not in finished
    ]
    start = time.perf_counter()
    options = ROWS[row][1]
    if "ordering" in options:  # computed once per dataset, not per batch
        graphs = add_node_ranks(graphs, options["ordering"], seed=cv["seed"])
    ordering_seconds = time.perf_counter() - start

    def save_fold(fold: FoldResult) -> None:
        print(describe_fold(f"{dataset} {row}", fold, cv["folds"]), flush=True)
        done.append(result_files.fold_dict(fold))
        entry = {"config": config, "command": header["command"], "folds": done}
        result_files.update_results(path, dataset, lambda r: r["partial"].update({key: entry}))

    info = result_files.dataset_summary(graphs)
    cross_validate(
        graphs,
        model_builder(row, config, info["features"], info["classes"]),
        folds=remaining,
        seed=cv["seed"],
        runs=cv["runs"],
        batch_size=cv["batch_size"],
        trainer_options=trainer_options(config),
        progress=not args.quiet,
        on_fold=save_fold,
    )
    folds = sorted((FoldResult(**fold) for fold in done), key=lambda fold: fold.fold)
    result = CrossValidationResult(folds, cv["seed"], cv["runs"])
    entry = {
        "description": ROWS[row][0],
        "config": config,
        "result": result.to_dict(),
        "ordering_seconds": ordering_seconds,
        **header,
    }
    common.mark_end(entry)
    if args.selection:
        result_files.save_candidate(args.out, dataset, row, entry)
        result_files.update_results(path, dataset, lambda r: r["partial"].pop(key, None))
    else:
        result_files.save_row(path, dataset, row, entry, info)
    print(
        f"{dataset} {row}: test {result.mean:.1f} ± {result.std:.1f}, mean val "
        f"{statistics.fmean(result.val_acc):.1f} ({sum(f.seconds for f in folds):.0f} s)",
        flush=True,
    )


def run_dataset(dataset: str, rows: list[str], args) -> None:
    config = load_config(dataset, args.set, args.configs)
    graphs = list(load_dataset(dataset, **config["features"]))
    path = result_files.result_path(args.out, dataset)
    for row in rows:
        # Re-read for every row: other processes may have finished rows or folds meanwhile.
        finished = common.read_json(path, {"rows": {}})["rows"].get(row)
        selection = result_files.load_selection(args.out)
        candidate = result_files.find_candidate(selection, dataset, row, config)
        if args.force:
            pass
        elif args.selection and candidate is not None:
            print(f"{dataset} {row}: this candidate is done already, skipped")
            continue
        elif not args.selection and finished is not None and finished["config"] == config:
            print(f"{dataset} {row}: done already ({finished['result']['mean']:.1f}), skipped")
            continue
        elif not args.selection and candidate is not None and "result" in candidate:
            # The candidate ran this very configuration and seed: its result is this run's.
            entry = {k: v for k, v in candidate.items() if k not in result_files.CANDIDATE_ONLY}
            result_files.save_row(path, dataset, row, entry, result_files.dataset_summary(graphs))
            print(f"{dataset} {row}: reused the selection run of this configuration")
            continue
        run_row(dataset, row, graphs, config, common.start_run(args), args)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(result_files.DATASETS))
    parser.add_argument("--rows", default=",".join(ROWS), help=f"subset of {list(ROWS)}")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a setting of the datasets' configurations (repeatable)",
    )
    parser.add_argument("--configs", default=str(CONFIGS), help="folder of <DATASET>.toml files")
    parser.add_argument(
        "--selection",
        action="store_true",
        help="record each row as a model-selection candidate instead of a table row",
    )
    parser.add_argument("--force", action="store_true", help="recompute finished rows")
    parser.add_argument("--table", action="store_true", help="only rewrite the Markdown tables")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    common.add_run_arguments(parser)
    return parser


def main(argv=None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not args.table:
        rows = [r.strip() for r in args.rows.split(",") if r.strip()]
        unknown = [r for r in rows if r not in ROWS]
        if unknown:
            parser.error(f"unknown row(s) {unknown}; choose from {list(ROWS)}")
        for dataset in [d.strip() for d in args.datasets.split(",") if d.strip()]:
            run_dataset(dataset, rows, args)
    configs = {
        d: load_config(d, (), args.configs)
        for d in result_files.DATASETS
        if (Path(args.configs) / f"{d}.toml").exists()
    }
    print(result_files.write_tables(args.out, ROWS, DEFAULTS, configs), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
