"""Early stopping on a monitored metric, keeping a copy of the best weights."""

from __future__ import annotations

import copy
import math

import torch

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: the history key watched, e.g. ``"val_loss"`` or ``"val_acc"``.
        mode: ``"min"`` (lower is better) or ``"max"``.
        patience: epochs without improvement before stopping; ``None`` never stops (the best
            weights are still tracked).
        min_delta: the smallest change that counts as an improvement.
        tie_breaker: a second history key, e.g. ``"val_loss"``, that decides between epochs
            of *equal* ``monitor`` (an epoch that ties the best score and is better on the
            tie breaker becomes the best one). Accuracy on a small validation set takes few
            values, so many epochs tie; the first of them is often not the best trained.
        tie_mode: ``"min"`` or ``"max"`` for the tie breaker.

    After `step`, ``best_score``, ``best_epoch`` and ``best_state`` (a CPU copy of the
    model's ``state_dict``) describe the best epoch so far.
    """

    def __init__(
        self,
        monitor: str,
        mode: str = "min",
        patience: int | None = 10,
        min_delta: float = 0.0,
        tie_breaker: str | None = None,
        tie_mode: str = "min",
    ):
        for name, value in (("mode", mode), ("tie_mode", tie_mode)):
            if value not in ("min", "max"):
                raise ValueError(f"{name} must be 'min' or 'max', got {value!r}.")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {patience}.")
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.min_delta = float(min_delta)
        self.tie_breaker = tie_breaker
        self.tie_mode = tie_mode
        self.best_score = math.inf if mode == "min" else -math.inf
        self.best_tie_score = math.inf if tie_mode == "min" else -math.inf
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

    def step(
        self, score: float, model: torch.nn.Module, epoch: int, tie_score: float | None = None
    ) -> bool:
        """Record ``score`` (and the tie breaker's ``tie_score``) of ``epoch``; return True
        when training should stop."""
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
        self.best_tie_score = state.get("best_tie_score", self.best_tie_score)
        self.best_epoch = state["best_epoch"]
        self.best_state = copy.deepcopy(state["best_state"])
        self.bad_epochs = state["bad_epochs"]
