"""k-fold cross-validation of a graph classifier (the protocol of Errica et al. 2020).

For each of ``folds`` stratified outer folds: the held-out fold is the test set; a stratified
``val_fraction`` of the remaining graphs is the validation set, used only for early stopping
and for picking the epoch whose weights are restored; the model is trained on the rest and
scored once on the test fold. With ``runs > 1`` every fold is trained several times, each run
with its own validation holdout and initial weights, and the fold's accuracy is their mean.

Seeds: fold ``k``'s run ``r`` seeds its holdout and its weights with ``seed + k + 1000 * r``.
Every fold is seeded on its own, so folds can run in any order, in separate processes, or
after an interruption (pass the remaining folds of `stratified_folds` as ``folds``) and give
the same numbers as one uninterrupted run.

Distributed (a process group, or a script launched by ``torchrun``): the folds are dealt to the
ranks, rank ``r`` of ``K`` trains folds ``r, r + K, ...`` (of the list of folds to run) in one
process each, and every rank returns the whole result, gathered in fold order: the numbers of
one process, in about ``1/K`` of its time.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from .. import distributed as dist
from ..progress import progress_bar
from ..seed import seed_everything
from ..validation import check_fraction, check_int
from .graph_classification import GraphClassificationTask
from .trainer import Trainer

__all__ = [
    "CrossValidationResult",
    "FoldResult",
    "cross_validate",
    "stratified_folds",
    "stratified_holdout",
]

RUN_SEED_STRIDE = 1000
"""Run ``r`` of fold ``k`` is seeded with ``seed + k + RUN_SEED_STRIDE * r``."""


def stratified_folds(
    labels, folds: int = 10, *, seed: int = 0, val_fraction: float = 0.1
) -> list[dict]:
    """``folds`` splits ``{"fold": k, "train", "val", "test"}`` of graph indices.

    Outer folds: scikit-learn ``StratifiedKFold(folds, shuffle=True, random_state=seed)``;
    inside each training part, a stratified ``val_fraction`` holdout (``random_state=seed +
    fold``) is the validation set.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = torch.as_tensor(labels).view(-1).cpu().numpy()
    folds = check_int("folds", folds, minimum=2)
    val_fraction = check_fraction("val_fraction", val_fraction)
    counts = torch.bincount(torch.as_tensor(labels))
    smallest = int(counts[counts > 0].min())
    if smallest < folds:
        raise ValueError(
            f"the smallest class has {smallest} graphs, fewer than folds={folds}; use fewer folds."
        )
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [
        {"fold": fold, **stratified_holdout(train_val, test, labels, val_fraction, seed + fold)}
        for fold, (train_val, test) in enumerate(outer.split(labels, labels))
    ]


def stratified_holdout(train_val, test, labels, val_fraction: float, random_state: int) -> dict:
    """``{"train", "val", "test"}``: a stratified ``val_fraction`` of the graph indices
    ``train_val`` (a NumPy array; ``labels`` the NumPy labels of all graphs) becomes the
    validation set, drawn with ``random_state``; ``test`` is passed through."""
    from sklearn.model_selection import train_test_split

    train, val = train_test_split(
        train_val, test_size=val_fraction, stratify=labels[train_val], random_state=random_state
    )
    as_tensor = lambda index: torch.as_tensor(sorted(index))  # noqa: E731
    return {"train": as_tensor(train), "val": as_tensor(val), "test": as_tensor(test)}


@dataclass
class FoldResult:
    """One outer fold: accuracies in %, the means over its runs (``run_*``: each run's)."""

    fold: int
    test_acc: float
    val_acc: float
    epochs: float
    best_epoch: float
    epoch_time: float
    seconds: float
    run_test_acc: list[float] = field(default_factory=list)
    run_val_acc: list[float] = field(default_factory=list)


@dataclass
class CrossValidationResult:
    """What `cross_validate` returns: one `FoldResult` per fold, in fold order."""

    folds: list[FoldResult]
    seed: int
    runs: int

    @property
    def test_acc(self) -> list[float]:
        return [f.test_acc for f in self.folds]

    @property
    def val_acc(self) -> list[float]:
        return [f.val_acc for f in self.folds]

    @property
    def mean(self) -> float:
        """Mean test accuracy (%) over the folds."""
        return statistics.fmean(self.test_acc) if self.folds else math.nan

    @property
    def std(self) -> float:
        """Population std of the folds' test accuracy (as Errica et al. report it)."""
        return statistics.pstdev(self.test_acc) if len(self.folds) > 1 else math.nan

    def to_dict(self) -> dict:
        return {
            "seed": self.seed,
            "runs": self.runs,
            "mean": self.mean,
            "std": self.std,
            "folds": [asdict(f) for f in self.folds],
        }

    @classmethod
    def from_dict(cls, data: dict) -> CrossValidationResult:
        return cls([FoldResult(**f) for f in data["folds"]], data["seed"], data["runs"])

    def save(self, path) -> Path:
        """Write `to_dict` as JSON to ``path`` (atomically) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        tmp.replace(path)
        return path


def cross_validate(
    graphs,
    build_model: Callable[[], torch.nn.Module],
    *,
    folds: int | Sequence[dict] = 10,
    seed: int = 0,
    runs: int = 1,
    batch_size: int = 32,
    trainer_options: dict | None = None,
    val_fraction: float = 0.1,
    progress: bool | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> CrossValidationResult:
    """Run the protocol above.

    Args:
        graphs: PyG dataset or list of ``Data`` (see `GraphClassificationTask`).
        build_model: called once per fold and run, after seeding, so every run starts from
            reproducible fresh weights.
        folds: the number of folds, or the splits to run (dicts of `stratified_folds`, e.g.
            the folds an interrupted run had not finished).
        seed: seeds the folds, holdouts and weights (see the module docstring).
        runs: training runs per fold; run r > 0 draws its own stratified validation holdout
            from the fold's training part. A fold's accuracies are its runs' means.
        batch_size: graphs per training batch.
        trainer_options: keyword arguments of every run's `Trainer`: ``optimizer`` (a factory,
            since every run builds a new model), ``scheduler``, ``early_stopping``,
            ``max_epochs``, ``grad_clip``. Default: ``Adam(lr=0.01)``, 100 epochs,
            ``EarlyStopping(patience=20)`` on validation accuracy.
        val_fraction: the holdout of every training part.
        progress: a bar over folds with the running mean accuracy (see `graphseq.progress`).
        on_fold: called with each finished `FoldResult` (to log it or save progress), on the
            rank that trained it.

    When this process is one of several (`graphseq.distributed.wants_distributed`: launched by
    ``torchrun``, outside a `graphseq.distributed.single_process` block), the folds are spread
    over the ranks (see the module docstring); every fold trains in one process.
    """
    from .early_stopping import EarlyStopping

    runs = check_int("runs", runs)
    batch_size = check_int("batch_size", batch_size)
    graphs = list(graphs)
    labels = torch.tensor([int(g.y.view(-1)[0]) for g in graphs])
    if isinstance(folds, int):
        splits = stratified_folds(labels, folds, seed=seed, val_fraction=val_fraction)
    else:
        splits = list(folds)
    options = {"max_epochs": 100, "early_stopping": EarlyStopping(patience=20)}
    options.update(trainer_options or {})
    distributed = dist.wants_distributed()
    order = [split["fold"] for split in splits]
    if distributed:
        dist.init_distributed("cpu")
        splits = splits[dist.get_rank() :: dist.get_world_size()]
        if not dist.is_main_process():
            progress = False
    done: list[FoldResult] = []
    bar = progress_bar(len(splits), desc="cross-validation", unit="fold", progress=progress)
    for split in splits:
        fold = split["fold"]
        start = time.perf_counter()
        fits = []
        for run in range(runs):
            run_seed = seed + fold + RUN_SEED_STRIDE * run
            run_split = split
            if run > 0:
                train_val = torch.cat([split["train"], split["val"]]).sort().values.numpy()
                run_split = stratified_holdout(
                    train_val, split["test"], labels.numpy(), val_fraction, run_seed
                )
            fits.append(_fit_once(graphs, run_split, batch_size, build_model, run_seed, options))
        means = {
            key: fits[0][key] if runs == 1 else statistics.fmean(f[key] for f in fits)
            for key in ("test_acc", "val_acc", "epochs", "best_epoch", "epoch_time")
        }
        result = FoldResult(
            fold=fold,
            seconds=time.perf_counter() - start,
            run_test_acc=[f["test_acc"] for f in fits],
            run_val_acc=[f["val_acc"] for f in fits],
            **means,
        )
        done.append(result)
        bar.update(1)
        bar.set_postfix(acc=f"{statistics.fmean(r.test_acc for r in done):.1f}")
        if on_fold is not None:
            on_fold(result)
    bar.close()
    if distributed:
        by_fold = {r.fold: r for rank_done in dist.all_gather_objects(done) for r in rank_done}
        done = [by_fold[fold] for fold in order]
    return CrossValidationResult(done, seed, runs)


def _fit_once(graphs, split, batch_size: int, build_model, seed: int, options: dict) -> dict:
    """Train one model on ``split`` (seeded with ``seed``) and score it on val and test."""
    seed_everything(seed)
    model = build_model()
    task = GraphClassificationTask(
        graphs, {name: split[name] for name in ("train", "val", "test")}, batch_size=batch_size
    )
    task.eval_splits = ("val",)
    with dist.single_process():  # each fold trains in one process
        trainer = Trainer(model, task, seed=seed, progress=False, **options)
    trainer.fit()
    scores = trainer.evaluate(("val", "test"))
    return {
        "test_acc": 100.0 * scores["test_acc"],
        "val_acc": 100.0 * scores["val_acc"],
        "epochs": trainer.epoch_,
        "best_epoch": trainer.best_epoch_,
        "epoch_time": trainer.epoch_time_,
    }
