"""The task interface: what the `Trainer` needs to know about a problem.

A task owns the data and answers three questions for the Trainer:

* `Task.train_batches` — what one epoch of training batches is (one full graph, sampled
  node blocks, mini-batches of graphs, windows of a text, ...);
* `Task.training_step` — the loss of the model on one batch;
* `Task.evaluate` — the metrics of the model on named splits (``"train"``, ``"val"``,
  ``"test"``), returned as ``{"val_acc": ..., "val_loss": ...}``.

The Trainer stays the same for every problem: it loops over epochs and batches, steps the
optimizer, clips gradients, records history, stops early, checkpoints and resumes. New problems
(sampled mini-batches, graph classification, unsupervised losses, sequences) are new tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

__all__ = ["Task"]


class Task:
    """Base class of training tasks. Subclasses implement the three methods below.

    Class attributes ``monitor`` and ``mode`` give the metric the Trainer early-stops on by
    default (the Trainer's own arguments override them).
    """

    monitor: str = "val_loss"
    mode: str = "min"

    def setup(self, model: torch.nn.Module, device: torch.device) -> None:
        """Called once by the Trainer before training: move data to ``device``, check that
        ``model`` fits the data. The default does nothing."""

    def train_batches(self, generator: torch.Generator) -> Iterable:
        """The training batches of one epoch. ``generator`` is the Trainer's seeded CPU
        generator: use it for every shuffle or sample so runs are reproducible and resumable."""
        raise NotImplementedError

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
