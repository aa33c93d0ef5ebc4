"""The result files of ``graph_classification.py`` and the Markdown tables made from them.

Files (in the results folder, ``--out``):

* ``graph_classification_<DATASET>.json``: ``{"dataset", "graphs", "features", "classes",
  "avg_nodes", "rows": {row: entry}, "partial": {key: progress}}``. An entry is ``{"description",
  "config" (the full configuration), "result" (`CrossValidationResult.to_dict`),
  "ordering_seconds", "command", "date", "environment"}``; a progress record ``{"config",
  "command", "folds": [FoldResult as dict]}`` holds the folds finished so far of a row (key: its
  name) or selection candidate (``selection:<row>``) still running or stopped part-way.
* ``graph_classification_selection.json``: ``{"candidates": [...]}``, each an entry plus its
  ``dataset``, ``row`` and summary (``mean_val``, ``mean_test``, ``std_test``, per-fold
  ``val_acc``/``test_acc``/``epochs``, total ``seconds``). The earliest candidates were saved
  with the summary only (no ``result``).
* ``graph_classification_seeds/<DATASET>_seed<N>.json``: dataset files of rows re-run on other
  fold seeds.

Tables: ``graph_classification.md`` (accuracy, minutes, fold seeds, configurations) and
``graph_classification_selection.md``; the lab notes on how each configuration came about are in
the hand-written ``graph_classification_notes.md`` beside them.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path

import common

DATASETS = ["MUTAG", "PTC_MR", "PROTEINS", "IMDB-BINARY", "ENZYMES", "NCI1", "DD"]
NOTES = "graph_classification_notes.md"
# Published 10-fold accuracies (%), DESIGN.md.
PUBLISHED = {
    "GIN-0 (Xu et al. 2019, Table 1)": {
        "MUTAG": 89.4,
        "PROTEINS": 76.2,
        "NCI1": 82.7,
        "IMDB-BINARY": 75.1,
    },
    "GIN, fair protocol (Errica et al. 2020)": {
        "NCI1": 80.0,
        "PROTEINS": 73.3,
        "ENZYMES": 59.6,
        "IMDB-BINARY": 71.2,
        "DD": 75.3,
    },
    "structure-free baseline (Errica et al. 2020)": {
        "NCI1": 69.8,
        "PROTEINS": 75.8,
        "ENZYMES": 65.2,
        "IMDB-BINARY": 70.8,
        "DD": 78.4,
    },
}
# Keys of a selection candidate that a table row does not have.
CANDIDATE_ONLY = ("dataset", "row", "mean_val", "mean_test", "std_test", "val_acc", "test_acc")
CANDIDATE_ONLY += ("epochs", "seconds")


def result_path(out, dataset: str) -> Path:
    return Path(out) / f"graph_classification_{dataset}.json"


def selection_path(out) -> Path:
    return Path(out) / "graph_classification_selection.json"


def fold_dict(fold) -> dict:
    return asdict(fold)


def dataset_summary(graphs: list) -> dict:
    """What a result file says about its dataset (the features and classes the models saw)."""
    return {
        "graphs": len(graphs),
        "features": graphs[0].x.size(1),
        "classes": int(max(int(g.y) for g in graphs)) + 1,
        "avg_nodes": sum(g.num_nodes for g in graphs) / len(graphs),
    }


def update_results(path: Path, dataset: str, change) -> None:
    """Apply ``change(content)`` to a dataset's result file under its lock."""
    with common.locked_json(path, {"dataset": dataset, "rows": {}, "partial": {}}) as content:
        content.setdefault("partial", {})
        change(content)


def save_row(path: Path, dataset: str, row: str, entry: dict, info: dict) -> None:
    """Store a finished row (and forget its partial progress)."""

    def change(content):
        content["partial"].pop(row, None)
        content["rows"][row] = entry
        content.update(info)

    update_results(path, dataset, change)


def load_selection(out) -> dict:
    return common.read_json(selection_path(out), {"candidates": []})


def find_candidate(selection: dict, dataset: str, row: str, config: dict) -> dict | None:
    for candidate in selection["candidates"]:
        if (candidate["dataset"], candidate["row"], candidate["config"]) == (dataset, row, config):
            return candidate
    return None


def save_candidate(out, dataset: str, row: str, entry: dict) -> None:
    """One model-selection candidate: its entry and its mean validation and test accuracy."""
    folds = entry["result"]["folds"]
    candidate = {
        "dataset": dataset,
        "row": row,
        "mean_val": statistics.fmean(f["val_acc"] for f in folds),
        "mean_test": entry["result"]["mean"],
        "std_test": entry["result"]["std"],
        "val_acc": [f["val_acc"] for f in folds],
        "test_acc": [f["test_acc"] for f in folds],
        "epochs": [f["epochs"] for f in folds],
        "seconds": sum(f["seconds"] for f in folds),
        **entry,
    }
    with common.locked_json(selection_path(out), {"candidates": []}) as selection:
        found = find_candidate(selection, dataset, row, entry["config"])
        if found is None:
            selection["candidates"].append(candidate)
        else:
            selection["candidates"][selection["candidates"].index(found)] = candidate


def selection_key(candidate: dict) -> tuple:
    """What the selected candidate maximizes: its runs per fold first (candidates trained
    several times per fold supersede single-run ones, whose mean validation accuracy is the
    noisier), then its mean validation accuracy; ties keep the candidate recorded first."""
    return candidate["config"]["cross_validation"]["runs"], candidate["mean_val"]


def flatten(config: dict) -> dict:
    """``{"section.key": value}`` (an absent optional section: ``{"section": None}``)."""
    flat = {}
    for section, values in config.items():
        if isinstance(values, dict):
            flat.update({f"{section}.{key}": value for key, value in values.items()})
        else:
            flat[section] = values
    return flat


def settings_text(flat: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in flat.items())


def differences(config: dict, defaults: dict) -> str:
    """The settings of ``config`` that differ from ``defaults``, as ``key=value, ...``."""
    base = flatten(defaults)
    changed = {k: v for k, v in flatten(config).items() if k not in base or base[k] != v}
    return settings_text(changed) or "defaults"


def _without_seed(config: dict) -> dict:
    return {**config, "cross_validation": {**config["cross_validation"], "seed": None}}


def seed_check_lines(out, loaded: dict, rows: dict) -> list[str]:
    """The table's rows re-run on other fold seeds (``graph_classification_seeds/``), shown
    beside the main table's value when the configuration is the same but for the seed."""
    cells: dict = {}
    seeds: set = set()
    for path in sorted((Path(out) / "graph_classification_seeds").glob("*_seed*.json")):
        dataset, _, seed = path.stem.rpartition("_seed")
        main = loaded.get(dataset, {}).get("rows", {})
        for row, entry in json.loads(path.read_text())["rows"].items():
            if row not in main or _without_seed(main[row]["config"]) != _without_seed(
                entry["config"]
            ):
                continue  # not the main table's configuration: nothing to compare with
            main_seed = main[row]["config"]["cross_validation"]["seed"]
            seeds.update((int(seed), main_seed))
            values = cells.setdefault((dataset, row), {main_seed: main[row]["result"]["mean"]})
            values[int(seed)] = entry["result"]["mean"]
    if not cells:
        return []
    order, names, columns = {d: i for i, d in enumerate(DATASETS)}, list(rows), sorted(seeds)
    lines = [
        "Other fold seeds: rows of the table above re-run with the same configuration but "
        "`--set cross_validation.seed=N` (other folds, validation holdouts and initial weights; "
        "`graph_classification_seeds/`), test accuracy % (mean over folds):",
        "",
        "| dataset | row | " + " | ".join(f"seed {c}" for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for dataset, row in sorted(cells, key=lambda k: (order.get(k[0], 99), names.index(k[1]))):
        values = cells[(dataset, row)]
        text = [f"{values[c]:.1f}" if c in values else "not run" for c in columns]
        lines.append(f"| {dataset} | `{row}` | " + " | ".join(text) + " |")
    return [*lines, ""]


def _accuracy_cell(content: dict, row: str) -> str:
    entry = content["rows"].get(row)
    if entry:
        return f"{entry['result']['mean']:.1f} ± {entry['result']['std']:.1f}"
    accs = [f["test_acc"] for f in content.get("partial", {}).get(row, {}).get("folds", [])]
    return f"*partial: {sum(accs) / len(accs):.1f} ({len(accs)} folds)*" if accs else "not run"


def configuration_lines(loaded: dict, configs: dict, defaults: dict) -> list[str]:
    """Per dataset: its configuration file and how it differs from the defaults, and any row
    run with another configuration."""
    lines = []
    for dataset, content in loaded.items():
        config = configs.get(dataset)
        text = f"`configs/graph_classification/{dataset}.toml`: " if config else ""
        line = f"- {dataset}: {text}{differences(config, defaults) if config else ''}"
        others = [r for r, e in content["rows"].items() if e["config"] != config]
        for row in others:
            line += f"; `{row}` ran with {differences(content['rows'][row]['config'], defaults)}"
        lines.append(line)
    return lines


def main_table(out, rows: dict, defaults: dict, configs: dict) -> str:
    loaded = {d: common.read_json(result_path(out, d)) for d in DATASETS}
    loaded = {d: content for d, content in loaded.items() if content is not None}
    datasets = list(loaded)
    header = ["| model | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]
    lines = [
        "### Graph classification: 10-fold stratified CV accuracy (%, mean ± std over folds)",
        "",
        *header,
    ]
    for row, (description, _) in rows.items():
        cells = [_accuracy_cell(loaded[d], row) for d in datasets]
        if any(c != "not run" for c in cells):
            lines.append(f"| {description} (`{row}`) | " + " | ".join(cells) + " |")
    for name, numbers in PUBLISHED.items():
        cells = [f"{numbers[d]:.1f}" if d in numbers else "—" for d in datasets]
        lines.append(f"| *published:* {name} | " + " | ".join(cells) + " |")
    lines += ["", "Minutes per row (all folds; shared 2-core CPU, other benchmarks running):", ""]
    lines += header
    for row in rows:
        entries = [loaded[d]["rows"].get(row) for d in datasets]
        cells = [
            f"{sum(f['seconds'] for f in e['result']['folds']) / 60:.1f}" if e else "—"
            for e in entries
        ]
        if any(c != "—" for c in cells):
            lines.append(f"| `{row}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Protocol: scikit-learn `StratifiedKFold(10, shuffle=True, random_state=seed)`; inside "
        "each training fold a stratified 10% validation split chooses the early-stopping epoch "
        "(patience on the configuration's `monitor`, best weights restored); the test fold is "
        "scored once. With `runs` > 1 every fold is trained that many times, each run with its "
        "own validation split and initial weights, and a fold's accuracy is the mean over its "
        "runs (Errica et al. use 3). Std is the population std over the 10 folds. Model "
        "selection: where `graph_classification_selection.md` lists candidates for a dataset, "
        "every row of that dataset uses the candidate of highest mean *validation* accuracy "
        "among those with the most training runs per fold (test accuracy is never used to "
        "choose); a small grid, not Errica et al.'s full one.",
        "",
        *seed_check_lines(out, loaded, rows),
        "Configurations (`benchmarks/configs/graph_classification/<DATASET>.toml`), each given by "
        "its differences from the script's defaults "
        f"({settings_text(flatten(defaults))}):",
        "",
        *configuration_lines(loaded, configs, defaults),
        "",
        "Reproduce a dataset's rows: `PYTHONPATH=. GRAPHSEQ_DATA=../shared/data python "
        "benchmarks/graph_classification.py --datasets <DATASET> --out /tmp/gc` (a fresh folder; "
        "in this one, rows finished with the same configuration are skipped). Every row's "
        "command is stored with it in its JSON file.",
        "",
        f"Lab notes (how each configuration was chosen, what the rows show): [{NOTES}]({NOTES}).",
    ]
    return "\n".join(lines) + "\n"


def selection_table(out, defaults: dict) -> str | None:
    """Every candidate, grouped by dataset and row, the selected one in bold (the selection
    rule; test accuracy is shown but never used to choose)."""
    selection = load_selection(out)
    if not selection["candidates"]:
        return None
    lines = [
        "### Model selection: candidates by mean validation accuracy (10-fold CV)",
        "",
        "Each candidate is one configuration run through the full 10-fold protocol; `val` is the",
        "mean over folds of the validation accuracy at the restored (early-stopping) epoch, `test`",
        "the mean test accuracy. The selected candidate (**bold**) is the one of highest mean",
        "validation accuracy among those with the most training runs per fold (`runs`: a",
        "fold's accuracies are then means over runs, a less noisy estimate); test accuracy",
        "plays no part in the choice. Configurations are given as their differences from the",
        f"script's defaults ({settings_text(flatten(defaults))}).",
        "",
        "| dataset | row | configuration | mean val | mean test ± std | minutes |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict = {}
    for c in selection["candidates"]:
        groups.setdefault((c["dataset"], c["row"]), []).append(c)
    order = {d: i for i, d in enumerate(DATASETS)}
    for (dataset, row), candidates in sorted(
        groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])
    ):
        best = max(candidates, key=selection_key)
        for c in sorted(candidates, key=selection_key, reverse=True):
            cells = [
                dataset,
                f"`{row}`",
                differences(c["config"], defaults),
                f"{c['mean_val']:.1f}",
                f"{c['mean_test']:.1f} ± {c['std_test']:.1f}",
                f"{c['seconds'] / 60:.1f}",
            ]
            if c is best:
                cells = [f"**{x}**" for x in cells]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(out, rows: dict, defaults: dict, configs: dict) -> str:
    """Write both tables into ``out``; return their text."""
    text = main_table(out, rows, defaults, configs)
    common.write_atomically(Path(out) / "graph_classification.md", text)
    selection = selection_table(out, defaults)
    if selection:
        common.write_atomically(Path(out) / "graph_classification_selection.md", selection)
        text += selection
    return text
