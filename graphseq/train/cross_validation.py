"""k-fold cross-validation of a graph classifier (the protocol of Errica et al. 2020).

For each of ``folds`` stratified outer folds: the held-out fold is the test set; a stratified
``val_fraction`` of the remaining graphs is the validation set, used only for early stopping
and for picking the epoch whose weights are restored; the model is trained on the rest and
scored once on the test fold. The same ``seed`` gives the same folds, the same initial
weights, the same batches and therefore the same numbers.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable

import torch

from ..seed import seed_everything
from .graph_classification import GraphClassificationTask
from .trainer import Trainer

__all__ = ["cross_validate", "stratified_folds"]

# The lists of a result that hold one entry per finished fold.
PER_FOLD = ("test_acc", "val_acc", "epochs", "best_epoch", "epoch_time", "seconds")
# Per fold, the list of its runs' accuracies (absent from results saved before ``runs``).
PER_RUN = ("run_test_acc", "run_val_acc")
# Run r > 0 of a fold draws its holdout and weights with seed + fold + RUN_OFFSET * r; run 0
# uses seed + fold, so ``runs=1`` gives the numbers of a run made before ``runs`` existed.
RUN_OFFSET = 1000


def stratified_folds(
    labels, folds: int = 10, *, seed: int = 0, val_fraction: float = 0.1
) -> list[dict[str, torch.Tensor]]:
    """``folds`` splits ``{"train", "val", "test"}`` of graph indices.

    Outer folds: scikit-learn ``StratifiedKFold(folds, shuffle=True, random_state=seed)``;
    inside each training part, a stratified ``val_fraction`` holdout (``random_state=seed +
    fold``) is the validation set.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = torch.as_tensor(labels).view(-1).cpu().numpy()
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an int >= 2, got {folds!r}.")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}.")
    counts = torch.bincount(torch.as_tensor(labels))
    smallest = int(counts[counts > 0].min())
    if smallest < folds:
        raise ValueError(
            f"the smallest class has {smallest} graphs, fewer than folds={folds}; use fewer folds."
        )
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = []
    for fold, (train_val, test) in enumerate(outer.split(labels, labels)):
        train, val = _holdout(train_val, labels, val_fraction, seed + fold)
        splits.append(
            {
                "train": torch.as_tensor(sorted(train)),
                "val": torch.as_tensor(sorted(val)),
                "test": torch.as_tensor(sorted(test)),
            }
        )
    return splits


def _holdout(train_val, labels, val_fraction: float, random_state: int):
    """A stratified ``val_fraction`` validation split of the indices ``train_val``."""
    from sklearn.model_selection import train_test_split

    return train_test_split(
        train_val,
        test_size=val_fraction,
        stratify=labels[train_val],
        random_state=random_state,
    )


def _rerun_split(split: dict, labels, val_fraction: float, random_state: int) -> dict:
    """``split`` with a new validation holdout drawn from its train + val graphs."""
    train_val = torch.cat([split["train"], split["val"]]).sort().values.numpy()
    train, val = _holdout(train_val, labels, val_fraction, random_state)
    return {
        "train": torch.as_tensor(sorted(train)),
        "val": torch.as_tensor(sorted(val)),
        "test": split["test"],
    }


def _resumed_folds(resume: dict | None, folds: int, seed: int, runs: int = 1) -> int:
    """Number of finished folds in ``resume`` (0 for None), after checking it fits this run."""
    if resume is None:
        return 0
    if not isinstance(resume, dict) or any(
        not isinstance(resume.get(key), list) for key in PER_FOLD
    ):
        raise ValueError(
            f"resume must be the dict of per-fold lists {list(PER_FOLD)} that on_fold received "
            "(or that cross_validate returned); got something else."
        )
    done = len(resume["test_acc"])
    if any(len(resume[key]) != done for key in PER_FOLD):
        raise ValueError("resume's per-fold lists have different lengths; it is not one run's.")
    if done > folds:
        raise ValueError(f"resume has {done} finished folds but this run has folds={folds}.")
    if resume.get("seed", seed) != seed:
        raise ValueError(
            f"resume was run with seed={resume['seed']} but this run has seed={seed}; its folds "
            "would differ. Pass the same seed or start afresh (resume=None)."
        )
    if resume.get("runs", 1) != runs:
        raise ValueError(
            f"resume was run with runs={resume.get('runs', 1)} but this run has runs={runs}. "
            "Pass the same runs or start afresh (resume=None)."
        )
    return done


def cross_validate(
    graphs,
    build_model: Callable[[], torch.nn.Module],
    *,
    folds: int = 10,
    seed: int = 0,
    val_fraction: float = 0.1,
    batch_size: int = 32,
    max_epochs: int = 100,
    patience: int | None = 20,
    lr: float = 0.01,
    weight_decay: float = 0.0,
    lr_step: int | None = None,
    lr_decay: float = 1.0,
    monitor: str | None = None,  # e.g. "val_loss"; default: the task's val_acc
    tie_breaker: str | None = None,
    runs: int = 1,
    progress: bool | None = None,
    description: str = "cross-validation",
    log: Callable[[str], None] | None = None,
    on_fold: Callable[[dict], None] | None = None,
    resume: dict | None = None,
) -> dict:
    """Run the protocol above; returns per-fold results and their mean and std.

    Args:
        graphs: PyG dataset or list of ``Data`` (see `GraphClassificationTask`).
        build_model: called once per fold and run, after seeding with ``seed + fold`` (run
            r > 0: ``seed + fold + 1000 * r``), so every run starts from reproducible fresh
            weights.
        lr_step: epochs between learning-rate decays (see `Trainer`; None: constant).
        lr_decay: factor applied to the learning rate at each decay step.
        tie_breaker: e.g. ``"val_loss"``: among epochs of equal validation accuracy, the one
            of lowest validation loss is kept (see `Trainer`).
        runs: training runs per fold. Run r > 0 draws its own stratified validation holdout
            from the fold's training part (``random_state=seed + fold + 1000 * r``); the test
            fold is the same. A fold's ``test_acc`` and ``val_acc`` are its runs' means, so
            one unlucky initialization or holdout weighs less; ``runs`` times the cost.
        progress: a tqdm bar over folds (with the running mean accuracy); None shows it when
            stderr is a terminal.
        log: optional function called with one line per finished fold.
        on_fold: optional function called with the results so far after every fold (e.g. to
            save partial progress).
        resume: the results so far of an interrupted run with the same arguments (what
            ``on_fold`` last received, e.g. re-read from JSON); its finished folds are kept and
            the run goes on from the next one. Every fold is seeded on its own, so a resumed
            run gives the same numbers as an uninterrupted one.

    Returns:
        ``{"test_acc": [per fold, in %], "mean", "std", "val_acc", "epochs", "best_epoch",
        "epoch_time", "seconds", "seed", "runs", "run_test_acc", "run_val_acc"}``: per fold,
        the run means of accuracies, epochs, best epoch and epoch time, the seconds of all its
        runs, and (``run_*``) the list of its runs' accuracies.
    """
    from tqdm.auto import tqdm

    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive int, got {runs!r}.")
    graphs = list(graphs)
    labels = torch.tensor([int(g.y.view(-1)[0]) for g in graphs])
    splits = stratified_folds(labels, folds, seed=seed, val_fraction=val_fraction)
    show = sys.stderr.isatty() if progress is None else progress
    done = _resumed_folds(resume, folds, seed, runs)
    result: dict = {key: list(resume[key]) if done else [] for key in PER_FOLD}
    for key, per_fold in zip(PER_RUN, ("test_acc", "val_acc"), strict=True):
        # A resume saved before ``runs`` existed had one run per fold.
        result[key] = list(resume.get(key, [[v] for v in resume[per_fold]])) if done else []
    result.update(seed=seed, runs=runs)
    trainer_options = dict(
        lr=lr,
        weight_decay=weight_decay,
        lr_step=lr_step,
        lr_decay=lr_decay,
        max_epochs=max_epochs,
        patience=patience,
        tie_breaker=tie_breaker,
        monitor=monitor,
    )
    bar = tqdm(total=folds, initial=done, desc=description, unit="fold", disable=not show)
    for fold in range(done, folds):
        start = time.perf_counter()
        fits = []
        for run in range(runs):
            run_seed = seed + fold + RUN_OFFSET * run
            split = splits[fold]
            if run > 0:
                split = _rerun_split(split, labels.numpy(), val_fraction, run_seed)
            fits.append(
                _fit_once(graphs, split, batch_size, build_model, run_seed, **trainer_options)
            )
        result["run_test_acc"].append([fit["test_acc"] for fit in fits])
        result["run_val_acc"].append([fit["val_acc"] for fit in fits])
        for key in ("test_acc", "val_acc", "epochs", "best_epoch", "epoch_time"):
            values = [fit[key] for fit in fits]
            # One run keeps its own values (the epochs stay ints, as before ``runs``).
            result[key].append(values[0] if runs == 1 else statistics.fmean(values))
        result["seconds"].append(time.perf_counter() - start)
        running = statistics.fmean(result["test_acc"])
        bar.update(1)
        bar.set_postfix(acc=f"{running:.1f}")
        if log is not None:
            per_run = (
                " [runs: " + ", ".join(f"{a:.1f}" for a in result["run_test_acc"][-1]) + "]"
                if runs > 1
                else ""
            )
            epochs = round(result["epochs"][-1], 1)
            log(
                f"{description} fold {fold + 1}/{folds}: test {result['test_acc'][-1]:.1f}%"
                f"{per_run} (val {result['val_acc'][-1]:.1f}%, {epochs:g} epochs, "
                f"{result['seconds'][-1]:.1f} s)"
            )
        if on_fold is not None:
            on_fold(result)
    bar.close()
    accs = result["test_acc"]
    result["mean"] = statistics.fmean(accs)
    result["std"] = statistics.pstdev(accs) if len(accs) > 1 else math.nan
    return result


def _fit_once(graphs, split, batch_size: int, build_model, seed: int, **trainer_options):
    """Train one model on ``split`` (seeded with ``seed``) and score it on val and test."""
    seed_everything(seed)
    model = build_model()
    task = GraphClassificationTask(graphs, split, batch_size=batch_size)
    trainer = Trainer(
        model, task, seed=seed, progress=False, eval_splits=("val",), **trainer_options
    ).fit()
    scores = trainer.evaluate(("val", "test"))
    return {
        "test_acc": 100.0 * scores["test_acc"],
        "val_acc": 100.0 * scores["val_acc"],
        "epochs": trainer.epoch_,
        "best_epoch": trainer.best_epoch_,
        "epoch_time": trainer.epoch_time_,
    }
