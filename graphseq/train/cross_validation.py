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


def stratified_folds(
    labels, folds: int = 10, *, seed: int = 0, val_fraction: float = 0.1
) -> list[dict[str, torch.Tensor]]:
    """``folds`` splits ``{"train", "val", "test"}`` of graph indices.

    Outer folds: scikit-learn ``StratifiedKFold(folds, shuffle=True, random_state=seed)``;
    inside each training part, a stratified ``val_fraction`` holdout (``random_state=seed +
    fold``) is the validation set.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

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
        train, val = train_test_split(
            train_val,
            test_size=val_fraction,
            stratify=labels[train_val],
            random_state=seed + fold,
        )
        splits.append(
            {
                "train": torch.as_tensor(sorted(train)),
                "val": torch.as_tensor(sorted(val)),
                "test": torch.as_tensor(sorted(test)),
            }
        )
    return splits


def _resumed_folds(resume: dict | None, folds: int, seed: int) -> int:
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
    progress: bool | None = None,
    description: str = "cross-validation",
    log: Callable[[str], None] | None = None,
    on_fold: Callable[[dict], None] | None = None,
    resume: dict | None = None,
) -> dict:
    """Run the protocol above; returns per-fold results and their mean and std.

    Args:
        graphs: PyG dataset or list of ``Data`` (see `GraphClassificationTask`).
        build_model: called once per fold, after seeding with ``seed + fold``, so every fold
            starts from reproducible fresh weights.
        lr_step: epochs between learning-rate decays (see `Trainer`; None: constant).
        lr_decay: factor applied to the learning rate at each decay step.
        tie_breaker: e.g. ``"val_loss"``: among epochs of equal validation accuracy, the one
            of lowest validation loss is kept (see `Trainer`).
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
        "epoch_time", "seconds", "seed"}``.
    """
    from tqdm.auto import tqdm

    graphs = list(graphs)
    labels = torch.tensor([int(g.y.view(-1)[0]) for g in graphs])
    splits = stratified_folds(labels, folds, seed=seed, val_fraction=val_fraction)
    show = sys.stderr.isatty() if progress is None else progress
    done = _resumed_folds(resume, folds, seed)
    result: dict = {key: list(resume[key]) if done else [] for key in PER_FOLD}
    result["seed"] = seed
    bar = tqdm(total=folds, initial=done, desc=description, unit="fold", disable=not show)
    for fold in range(done, folds):
        split = splits[fold]
        start = time.perf_counter()
        seed_everything(seed + fold)
        model = build_model()
        task = GraphClassificationTask(graphs, split, batch_size=batch_size)
        trainer = Trainer(
            model,
            task,
            lr=lr,
            weight_decay=weight_decay,
            lr_step=lr_step,
            lr_decay=lr_decay,
            max_epochs=max_epochs,
            patience=patience,
            monitor=monitor,
            mode=None if monitor is None else ("min" if monitor.endswith("loss") else "max"),
            tie_breaker=tie_breaker,
            seed=seed + fold,
            progress=False,
            eval_splits=("val",),
        ).fit()
        scores = trainer.evaluate(("val", "test"))
        result["test_acc"].append(100.0 * scores["test_acc"])
        result["val_acc"].append(100.0 * scores["val_acc"])
        result["epochs"].append(trainer.epoch_)
        result["best_epoch"].append(trainer.best_epoch_)
        result["epoch_time"].append(trainer.epoch_time_)
        result["seconds"].append(time.perf_counter() - start)
        running = statistics.fmean(result["test_acc"])
        bar.update(1)
        bar.set_postfix(acc=f"{running:.1f}")
        if log is not None:
            log(
                f"{description} fold {fold + 1}/{folds}: test {result['test_acc'][-1]:.1f}% "
                f"(val {result['val_acc'][-1]:.1f}%, {trainer.epoch_} epochs, "
                f"{result['seconds'][-1]:.1f} s)"
            )
        if on_fold is not None:
            on_fold(result)
    bar.close()
    accs = result["test_acc"]
    result["mean"] = statistics.fmean(accs)
    result["std"] = statistics.pstdev(accs) if len(accs) > 1 else math.nan
    return result
