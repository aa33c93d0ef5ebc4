"""The one Trainer every trainable graphseq model goes through."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence

import torch
from tqdm.auto import tqdm

from ..seed import get_rng_state, make_generator, seed_everything, set_rng_state
from .checkpoint import load_checkpoint, save_checkpoint
from .early_stopping import EarlyStopping
from .task import Task

__all__ = ["Trainer", "resolve_device"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"``/None -> CUDA when available, else CPU; otherwise ``torch.device(device)``
    (with a clear error when CUDA is asked for but missing)."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={str(device)!r} was requested but CUDA is not available; use device='cpu' "
            "or 'auto'."
        )
    return device


def _direction(metric: str) -> str:
    """Losses are minimized; any other metric (accuracy, F1) is maximized."""
    return "min" if metric.endswith("loss") else "max"


class Trainer:
    """Train ``model`` on ``task`` (see `Task`).

    Args:
        model: any ``torch.nn.Module``.
        task: what a batch is, the loss and the metrics.
        optimizer: an optimizer over ``model``'s parameters, a factory ``params -> optimizer``, or
            None for ``Adam(lr, weight_decay)``.
        lr: learning rate of the default optimizer.
        weight_decay: weight decay of the default optimizer.
        lr_step: with ``lr_decay``, multiply every parameter group's learning rate by
            ``lr_decay`` after every ``lr_step`` epochs (step decay, like PyTorch's ``StepLR``);
            None keeps the learning rate constant.
        lr_decay: the factor of that step decay, in ``(0, 1]``.
        max_epochs: upper bound on epochs (resuming may raise it).
        patience: early stopping after this many epochs without improvement of ``monitor``;
            None trains for ``max_epochs`` (the best epoch is still tracked).
        monitor: the history key early stopping watches; default from the task (``val_loss``).
        mode: ``"min"`` or ``"max"``, whether lower or higher ``monitor`` is better; default:
            the task's for its own monitor, else from the name (a ``"...loss"`` is minimized,
            any other metric maximized).
        tie_breaker: a second history key deciding between epochs of equal ``monitor``, e.g.
            ``monitor="val_acc", tie_breaker="val_loss"`` (see `EarlyStopping`); minimized if
            its name ends in ``"loss"``, else maximized.
        restore_best: load the best epoch's weights at the end of `fit`.
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        seed: seeds Python, NumPy and torch at the start of `fit`, and the generator handed
            to ``task.train_batches``; the same seed gives the same run.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"``.
        progress: tqdm progress bar; None shows it only when stderr is a terminal.
        checkpoint: file to save the training state to after every ``checkpoint_every`` epochs
            (atomically); ``fit(resume=True)`` continues from it.
        eval_splits: splits evaluated after every epoch for history and early stopping.
        callbacks: functions ``callback(trainer, record)`` called after every epoch.

    After `fit`: ``history_`` (one dict per epoch: ``epoch``, ``loss``, ``time`` in seconds
    of training, and the task's metrics), ``epoch_`` (epochs done), ``best_epoch_``,
    ``best_score_``, ``stopped_early_``.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: Task,
        *,
        optimizer: torch.optim.Optimizer | Callable | None = None,
        lr: float = 0.01,
        weight_decay: float = 0.0,
        lr_step: int | None = None,
        lr_decay: float = 1.0,
        max_epochs: int = 200,
        patience: int | None = None,
        monitor: str | None = None,
        mode: str | None = None,
        min_delta: float = 0.0,
        tie_breaker: str | None = None,
        restore_best: bool = True,
        grad_clip: float | None = None,
        seed: int | None = 0,
        device: str | torch.device | None = "cpu",
        progress: bool | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 1,
        eval_splits: Sequence[str] = ("train", "val"),
        callbacks: Sequence[Callable] = (),
    ):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
        if not isinstance(task, Task):
            raise TypeError(f"task must be a graphseq.train.Task, got {type(task).__name__}.")
        if max_epochs < 0:
            raise ValueError(f"max_epochs must be >= 0, got {max_epochs}.")
        if grad_clip is not None and grad_clip <= 0:
            raise ValueError(f"grad_clip must be > 0 or None, got {grad_clip}.")
        if lr_step is not None and (
            isinstance(lr_step, bool) or not isinstance(lr_step, int) or lr_step < 1
        ):
            raise ValueError(f"lr_step must be a positive int (epochs) or None, got {lr_step!r}.")
        if not 0.0 < lr_decay <= 1.0:
            raise ValueError(f"lr_decay must be in (0, 1], got {lr_decay}.")
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}.")
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.task = task
        self.task.setup(self.model, self.device)
        if optimizer is None:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        elif not isinstance(optimizer, torch.optim.Optimizer):
            optimizer = optimizer(model.parameters())
        self.optimizer = optimizer
        self.max_epochs = int(max_epochs)
        self.lr_step = lr_step
        self.lr_decay = float(lr_decay)
        if mode is None:
            mode = task.mode if monitor is None else _direction(monitor)
        self.early_stopping = EarlyStopping(
            monitor or task.monitor,
            mode,
            patience,
            min_delta,
            tie_breaker=tie_breaker,
            tie_mode="min" if tie_breaker is None else _direction(tie_breaker),
        )
        self.restore_best = restore_best
        self.grad_clip = grad_clip
        self.seed = seed
        self.progress = sys.stderr.isatty() if progress is None else bool(progress)
        self.checkpoint = checkpoint
        self.checkpoint_every = int(checkpoint_every)
        self.eval_splits = tuple(eval_splits)
        self.callbacks = list(callbacks)
        self.history_: list[dict] = []
        self.epoch_ = 0
        self.stopped_early_ = False
        self.finished_ = False
        self.generator = make_generator(seed)

    # ------------------------------------------------------------------ results
    @property
    def best_epoch_(self) -> int:
        return self.early_stopping.best_epoch

    @property
    def best_score_(self) -> float:
        return self.early_stopping.best_score

    @property
    def epoch_time_(self) -> float:
        """Mean training time per epoch in seconds (evaluation excluded)."""
        times = [r["time"] for r in self.history_]
        return sum(times) / len(times) if times else math.nan

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """Everything needed to continue training exactly where it stopped."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch_,
            "history": self.history_,
            "early_stopping": self.early_stopping.state_dict(),
            "stopped_early": self.stopped_early_,
            "finished": self.finished_,
            "rng": get_rng_state(),
            "generator": self.generator.get_state(),
            "task": self.task.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise ValueError(
                f"the checkpoint does not fit this model (different architecture?): {error}"
            ) from error
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch_ = state["epoch"]
        self.history_ = list(state["history"])
        self.early_stopping.load_state_dict(state["early_stopping"])
        self.stopped_early_ = state["stopped_early"]
        self.finished_ = state["finished"]
        set_rng_state(state["rng"])
        self.generator.set_state(state["generator"])
        self.task.load_state_dict(state["task"])

    def save(self, path: str | os.PathLike | None = None):
        """Save the training state to ``path`` (default: the ``checkpoint`` argument)."""
        path = path or self.checkpoint
        if path is None:
            raise ValueError("no checkpoint path: pass checkpoint=... to Trainer or a path here.")
        return save_checkpoint(self.state_dict(), path)

    def load(self, path: str | os.PathLike | None = None) -> Trainer:
        """Load a training state saved by `save`."""
        path = path or self.checkpoint
        self.load_state_dict(load_checkpoint(path, map_location=self.device))
        return self

    # ------------------------------------------------------------------ training
    def _train_epoch(self) -> float:
        self.model.train()
        losses = []
        parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
        for batch in self.task.train_batches(self.generator):
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.task.training_step(self.model, batch)
            if not bool(torch.isfinite(loss)):
                raise FloatingPointError(
                    f"the training loss became {float(loss.detach())} in epoch {self.epoch_ + 1}; lower the "
                    "learning rate or set grad_clip."
                )
            loss.backward()
            if self.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(parameters, self.grad_clip)
            self.optimizer.step()
            losses.append(loss.detach())
        if not losses:
            raise RuntimeError("the task produced no training batch in this epoch.")
        return float(torch.stack(losses).mean())

    def evaluate(self, splits: Sequence[str] = ("test",)) -> dict[str, float]:
        """The task's metrics on ``splits`` with the model's current weights."""
        self.model.eval()
        with torch.no_grad():
            return self.task.evaluate(self.model, tuple(splits))

    def test(self) -> dict[str, float]:
        """Metrics on the test split (after `fit`, with the best weights if restored)."""
        return self.evaluate(("test",))

    def fit(self, resume: bool = False) -> Trainer:
        """Train until ``max_epochs`` or early stopping; returns ``self``.

        With ``resume=True`` and an existing ``checkpoint`` file, training continues from it and
        ends in the same state as a run that was never interrupted.
        """
        if resume and self.checkpoint is not None and os.path.isfile(self.checkpoint):
            self.load()
            if self.finished_ and not self.stopped_early_ and self.epoch_ < self.max_epochs:
                self.finished_ = False  # a finished run resumed with a larger max_epochs
        else:
            if self.seed is not None:
                seed_everything(self.seed)
                self.generator.manual_seed(self.seed)
        monitor = self.early_stopping.monitor
        tie_breaker = self.early_stopping.tie_breaker
        bar = tqdm(
            total=self.max_epochs,
            initial=min(self.epoch_, self.max_epochs),
            disable=not self.progress,
            desc=f"training {type(self.model).__name__}",
            unit="epoch",
            leave=False,
        )
        try:
            while not self.finished_ and self.epoch_ < self.max_epochs:
                start = time.perf_counter()
                loss = self._train_epoch()
                record = {
                    "epoch": self.epoch_ + 1,
                    "loss": loss,
                    "time": time.perf_counter() - start,
                }
                if self.eval_splits:
                    record.update(self.evaluate(self.eval_splits))
                for option, key in (("monitor", monitor), ("tie_breaker", tie_breaker)):
                    if key is not None and key not in record:
                        raise KeyError(
                            f"{option}={key!r} is not among the metrics {sorted(record)}; pass "
                            f"{option}=... naming one of them (or add the split to eval_splits)."
                        )
                self.epoch_ += 1
                if self.lr_step is not None and self.epoch_ % self.lr_step == 0:
                    # The learning rate lives in the optimizer's state, so a resumed run keeps it.
                    for group in self.optimizer.param_groups:
                        group["lr"] *= self.lr_decay
                self.history_.append(record)
                stop = self.early_stopping.step(
                    record[monitor],
                    self.model,
                    self.epoch_,
                    None if tie_breaker is None else record[tie_breaker],
                )
                for callback in self.callbacks:
                    callback(self, record)
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", **{monitor: f"{record[monitor]:.4f}"})
                if stop:
                    self.stopped_early_ = True
                    break
                if self.checkpoint is not None and self.epoch_ % self.checkpoint_every == 0:
                    self.save()
        except KeyboardInterrupt:
            if self.checkpoint is not None:
                print(
                    f"\ninterrupted in epoch {self.epoch_ + 1}; the checkpoint {self.checkpoint} "
                    "holds the last saved epoch: call fit(resume=True) to continue.",
                    file=sys.stderr,
                )
            raise
        finally:
            bar.close()
        if not self.finished_:
            self.finished_ = True
            # Saved before the best weights are restored, so a later fit(resume=True) with a
            # larger max_epochs continues from the last epoch, like an uninterrupted run.
            if self.checkpoint is not None:
                self.save()
        if self.restore_best and self.early_stopping.best_state is not None:
            self.model.load_state_dict(self.early_stopping.best_state)
        return self
