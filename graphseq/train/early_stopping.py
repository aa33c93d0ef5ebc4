"""Early stopping on a monitored metric, keeping a copy of the best weights."""

from __future__ import annotations

import copy
import math

import torch

from ..validation import check_choice, check_int, check_number

__all__ = ["EarlyStopping", "direction_of"]


def direction_of(metric: str) -> str:
    """``"min"`` for a loss (a name ending in ``"loss"``), ``"max"`` for any other metric."""
    return "min" if metric.endswith("loss") else "max"


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs,
    and remember the best epoch's weights.

    Args:
        monitor: the history key watched, e.g. ``"val_loss"`` or ``"val_acc"``; None: the task's
            default (`graphseq.train.Task.monitor`).
        mode: ``"min"`` (lower is better) or ``"max"``; None: from the name (a ``"...loss"`` is
            minimized, any other metric maximized).
        patience: epochs without improvement before stopping; None never stops (the best epoch
            is still tracked, and restored).
        min_delta: the smallest change that counts as an improvement.
        tie_breaker: a second history key, e.g. ``"val_loss"``, that decides between epochs
            of *equal* ``monitor`` (an epoch that ties the best score and is better on the tie
            breaker becomes the best one); its direction follows its name like ``mode``.
            Accuracy on a small validation set takes few values, so many epochs tie, and the
            first of them is often not the best trained.
        restore_best: load the best epoch's weights into the model when training ends.

    After `step`, ``best_score``, ``best_epoch`` and ``best_state`` (a CPU copy of the model's
    ``state_dict``) describe the best epoch so far.
    """

    def __init__(
        self,
        monitor: str | None = None,
        mode: str | None = None,
        patience: int | None = None,
        min_delta: float = 0.0,
        tie_breaker: str | None = None,
        restore_best: bool = True,
    ):
        if mode is not None:
            check_choice("mode", mode, ("min", "max"))
        if patience is not None:
            patience = check_int("patience", patience)
        self.monitor = monitor
        self.mode = mode if mode is not None or monitor is None else direction_of(monitor)
        self.patience = patience
        self.min_delta = check_number("min_delta", min_delta, minimum=0.0)
        self.tie_breaker = tie_breaker
        self.restore_best = bool(restore_best)
        self.reset()

    @property
    def tie_mode(self) -> str:
        return "min" if self.tie_breaker is None else direction_of(self.tie_breaker)

    def bind(self, default_monitor: str) -> EarlyStopping:
        """A fresh copy watching ``monitor`` (or ``default_monitor`` when it names none)."""
        bound = copy.copy(self)
        if bound.monitor is None:
            bound.monitor = default_monitor
        if bound.mode is None:
            bound.mode = direction_of(bound.monitor)
        bound.reset()
        return bound

    def reset(self) -> None:
        """Forget every epoch seen so far."""
        self.best_score = math.inf if self.mode != "max" else -math.inf
        self.best_tie_score = math.inf if self.tie_mode == "min" else -math.inf
        self.best_epoch = -1
        self.best_state: dict | None = None
        self.bad_epochs = 0

    def improved(self, score: float, tie_score: float | None = None) -> bool:
        if math.isnan(score):
            return False
        if self.mode == "min":
            better = score < self.best_score - self.min_delta
        else:
            better = score > self.best_score + self.min_delta
        if better or self.tie_breaker is None or score != self.best_score:
            return better
        if tie_score is None or math.isnan(tie_score):
            return False
        if self.tie_mode == "min":
            return tie_score < self.best_tie_score
        return tie_score > self.best_tie_score

    def step(self, record: dict, model: torch.nn.Module, epoch: int) -> bool:
        """Record one epoch's metrics (``record`` holds ``monitor`` and the tie breaker); return
        True when training should stop."""
        score = record[self.monitor]
        tie_score = None if self.tie_breaker is None else record[self.tie_breaker]
        if self.improved(score, tie_score):
            self.best_score = float(score)
            if tie_score is not None:
                self.best_tie_score = float(tie_score)
            self.best_epoch = epoch
            # Modules may keep non-tensor "extra state" (get_extra_state) in their state_dict.
            self.best_state = {
                k: v.detach().to("cpu", copy=True)
                if isinstance(v, torch.Tensor)
                else copy.deepcopy(v)
                for k, v in model.state_dict().items()
            }
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {
            "best_score": self.best_score,
            "best_tie_score": self.best_tie_score,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "bad_epochs": self.bad_epochs,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best_score = state["best_score"]
        self.best_tie_score = state["best_tie_score"]
        self.best_epoch = state["best_epoch"]
        self.best_state = copy.deepcopy(state["best_state"])
        self.bad_epochs = state["bad_epochs"]

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, "
            f"patience={self.patience}, min_delta={self.min_delta}, "
            f"tie_breaker={self.tie_breaker!r}, restore_best={self.restore_best})"
        )
