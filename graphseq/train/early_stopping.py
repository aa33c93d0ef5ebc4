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

    After `step`, ``best_score``, ``best_epoch`` and ``best_state`` (a CPU copy of the
    model's ``state_dict``) describe the best epoch so far.
    """

    def __init__(
        self, monitor: str, mode: str = "min", patience: int | None = 10, min_delta: float = 0.0
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {patience}.")
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.min_delta = float(min_delta)
        self.best_score = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.best_state: dict | None = None
        self.bad_epochs = 0

    def improved(self, score: float) -> bool:
        if math.isnan(score):
            return False
        if self.mode == "min":
            return score < self.best_score - self.min_delta
        return score > self.best_score + self.min_delta

    def step(self, score: float, model: torch.nn.Module, epoch: int) -> bool:
        """Record ``score`` of ``epoch``; return True when training should stop."""
        if self.improved(score):
            self.best_score = float(score)
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
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "bad_epochs": self.bad_epochs,
        }

    def load_state_dict(self, state: dict) -> None:
        self.best_score = state["best_score"]
        self.best_epoch = state["best_epoch"]
        self.best_state = copy.deepcopy(state["best_state"])
        self.bad_epochs = state["bad_epochs"]
