"""The task interface: what the `Trainer` needs to know about a problem.

A task owns the data and answers three questions for the Trainer:

* `Task.train_batches` — what one epoch of training batches is (one full graph, sampled
  node blocks, mini-batches of graphs, windows of a text, ...);
* `Task.training_step` — the loss of the model on one batch;
* `Task.evaluate` — the metrics of the model on named splits (``"train"``, ``"val"``,
  ``"test"``), returned as ``{"val_acc": ..., "val_loss": ...}``.

The Trainer stays the same for every problem: it loops over epochs and batches, steps the
optimizer and scheduler, clips gradients, records history, stops early, checkpoints and resumes.
New problems (sampled mini-batches, graph classification, unsupervised losses, sequences) are new
tasks.

Splits are given one way everywhere: ``splits={"train": ..., "val": ..., "test": ...}``, each a
bool mask or a tensor of indices (nodes, or graphs for graph classification); `resolve_splits`
turns them into index tensors and, for node tasks, defaults to the data's
``train_mask``/``val_mask``/``test_mask``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch

from ..validation import check_node_index

__all__ = ["SPLITS", "Task", "random_splits", "resolve_splits"]

SPLITS = ("train", "val", "test")
"""The split names tasks know; ``"train"`` is the one every supervised task needs."""


def resolve_splits(
    splits: Mapping | None, num_items: int, data=None, *, what: str = "nodes"
) -> dict[str, torch.Tensor]:
    """``{name: LongTensor of indices}`` from masks or indices.

    Args:
        splits: split name -> bool mask ``[num_items]`` or index tensor/list; None takes
            ``data.{name}_mask`` for every name of `SPLITS` that ``data`` has.
        num_items: how many nodes (or graphs) the indices refer to.
        data: the ``Data`` whose masks are the default.
        what: ``"nodes"`` or ``"graphs"``, for the error messages.
    """
    if splits is None:
        splits = {
            name: getattr(data, f"{name}_mask")
            for name in SPLITS
            if data is not None and getattr(data, f"{name}_mask", None) is not None
        }
    if not isinstance(splits, Mapping):
        raise TypeError(
            f"splits must map split names to masks or {what} indices, e.g. "
            f"{{'train': train_mask, 'val': val_mask}}; got {type(splits).__name__}."
        )
    return {
        str(name): check_node_index(index, num_items, f"splits[{name!r}]", what[:-1])
        for name, index in splits.items()
    }


def random_splits(
    num_items: int, train: float = 0.5, val: float = 0.1, *, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Seeded random ``{"train", "val", "test"}`` bool masks ``[num_items]``: the first
    ``train`` fraction of a permutation trains, the next ``val`` fraction validates, the rest
    tests (for a graph that comes without a split)."""
    from ..validation import check_fraction, check_int

    num_items = check_int("num_items", num_items, minimum=3)
    train, val = check_fraction("train", train), check_fraction("val", val)
    if train + val >= 1.0:
        raise ValueError(f"train + val must leave a test part: got {train} + {val}.")
    order = torch.randperm(num_items, generator=torch.Generator().manual_seed(int(seed)))
    ends = (max(1, int(train * num_items)), max(2, int((train + val) * num_items)))
    masks = {}
    for name, part in zip(
        SPLITS, (order[: ends[0]], order[ends[0] : ends[1]], order[ends[1] :]), strict=True
    ):
        mask = torch.zeros(num_items, dtype=torch.bool)
        mask[part] = True
        masks[name] = mask
    return masks


class Task:
    """Base class of training tasks. Subclasses implement the three methods below.

    Early stopping watches `monitor` unless the Trainer's `EarlyStopping` names another metric:
    ``"val_<monitor_metric>"`` when the task has a validation split, else ``"train_loss"`` (or
    ``"loss"``, the epoch's mean batch loss, for a task without a training split).
    After every epoch the Trainer evaluates `eval_splits` (default: ``"train"`` and ``"val"``,
    where the task has them); set ``task.eval_splits = ("val",)`` to skip a costly one.
    """

    monitor_metric: str = "loss"
    eval_splits: tuple[str, ...] | None = None

    def split_names(self) -> tuple[str, ...]:
        """The splits the task can evaluate (the keys of ``self.splits`` by default)."""
        return tuple(getattr(self, "splits", {}) or ())

    @property
    def monitor(self) -> str:
        """The metric early stopping watches by default."""
        names = self.split_names()
        if "val" in names:
            return f"val_{self.monitor_metric}"
        # Without a held-out split: the training split's loss, else the epoch's batch loss.
        return "train_loss" if "train" in names else "loss"

    def epoch_splits(self) -> tuple[str, ...]:
        """The splits evaluated after every epoch."""
        if self.eval_splits is not None:
            return tuple(self.eval_splits)
        return tuple(s for s in ("train", "val") if s in self.split_names())

    def setup(self, model: torch.nn.Module, device: torch.device) -> None:
        """Called once by the Trainer before training: move data to ``device``, check that
        ``model`` fits the data. The default does nothing."""

    def train_batches(self, generator: torch.Generator) -> Iterable:
        """The training batches of one epoch. ``generator`` is the Trainer's seeded CPU
        generator: use it for every shuffle or sample so runs are reproducible and resumable."""
        raise NotImplementedError

    def rank_batches(self, generator: torch.Generator, rank: int, world_size: int) -> Iterable:
        """Distributed training: rank ``rank``'s ``(batch, share)`` pairs of one epoch, ``share``
        a `graphseq.train.sharding.BatchShare` (its items and loss weight). Every rank gets the
        generator in the same state and must draw from it alike; a task usually cuts its epoch
        with `graphseq.train.sharding.epoch_shares` and builds each batch from ``share.items``
        and ``share.generator``. Tasks without it train in one process only."""
        raise NotImplementedError(
            f"{type(self).__name__} does not split its epochs across ranks, so it cannot train "
            "distributed; train it in one process (create its Trainer inside "
            "`with graphseq.distributed.single_process():`)."
        )

    def training_step(self, model: torch.nn.Module, batch) -> torch.Tensor:
        """The scalar loss of ``model`` (already in train mode) on ``batch``."""
        raise NotImplementedError

    def evaluate(self, model: torch.nn.Module, splits: Sequence[str]) -> dict[str, float]:
        """Metrics on each split, keys ``f"{split}_{metric}"``; called with the model in eval
        mode and gradients off."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Task state that a checkpoint must keep (most tasks have none)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned."""
