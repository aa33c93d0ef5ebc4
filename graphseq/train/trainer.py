"""The one Trainer every trainable graphseq model goes through."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Sequence

import torch

from .. import distributed as dist
from ..progress import progress_bar
from ..seed import get_rng_state, make_generator, seed_everything, set_rng_state
from ..validation import check_int, check_number
from .checkpoint import load_checkpoint, save_checkpoint
from .early_stopping import EarlyStopping
from .task import Task

__all__ = ["Trainer", "resolve_device"]

DEFAULT_LR = 0.01
"""Learning rate of the default optimizer, ``Adam(lr=0.01)``."""


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


def _build_optimizer(optimizer, model: torch.nn.Module) -> torch.optim.Optimizer:
    if optimizer is None:
        return torch.optim.Adam(model.parameters(), lr=DEFAULT_LR)
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        built = optimizer(model.parameters())
        if isinstance(built, torch.optim.Optimizer):
            return built
    raise TypeError(
        "optimizer must be a torch.optim.Optimizer over the model's parameters, or a factory "
        "params -> Optimizer such as functools.partial(torch.optim.Adam, lr=0.01); got "
        f"{type(optimizer).__name__}."
    )


def _build_scheduler(scheduler, optimizer: torch.optim.Optimizer):
    if scheduler is None or hasattr(scheduler, "step") and hasattr(scheduler, "state_dict"):
        return scheduler
    if callable(scheduler):
        return scheduler(optimizer)
    raise TypeError(
        "scheduler must be a torch.optim.lr_scheduler object or a factory optimizer -> "
        "scheduler such as functools.partial(torch.optim.lr_scheduler.StepLR, step_size=50); "
        f"got {type(scheduler).__name__}."
    )


def _data_parallel(model: torch.nn.Module, device: torch.device):
    from torch.nn.parallel import DistributedDataParallel

    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("the model has no trainable parameter, so there is nothing to train.")
    device_ids = [device.index] if device.type == "cuda" else None
    try:
        return DistributedDataParallel(model, device_ids=device_ids)
    except RuntimeError as error:
        if dist.communication_errors(error):
            raise dist.DistributedError(
                f"rank {dist.get_rank()}: the ranks could not agree on the model ({error})"
            ) from error
        raise


class Trainer:
    """Train ``model`` on ``task`` (see `Task`).

    Args:
        model: any ``torch.nn.Module``.
        task: what a batch is, the loss and the metrics.
        optimizer: a ``torch.optim.Optimizer`` over ``model``'s parameters, or a factory
            ``params -> optimizer`` (e.g. ``functools.partial(torch.optim.Adam, lr=0.01,
            weight_decay=5e-4)``); None: ``Adam(lr=0.01)``.
        scheduler: a ``torch.optim.lr_scheduler`` scheduler on that optimizer, or a factory
            ``optimizer -> scheduler`` (e.g. ``functools.partial(StepLR, step_size=50,
            gamma=0.5)``); stepped once after every epoch (``ReduceLROnPlateau`` with the
            early-stopping monitor's value). None: a constant learning rate.
        early_stopping: an `EarlyStopping` (monitor, mode, patience, min_delta, tie breaker,
            restore best); None: no stopping before ``max_epochs``, the best epoch on the task's
            monitor is tracked and its weights restored. The Trainer works on its own copy.
        max_epochs: upper bound on epochs (resuming may raise it).
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        seed: seeds Python, NumPy and torch at the start of `fit`, and the generator handed
            to ``task.train_batches``; the same seed gives the same run.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"``.
        progress: a bar over epochs on a terminal (None), always (True) or never (False); see
            `graphseq.progress`.
        checkpoint: file the training state is saved to after every epoch (atomically);
            ``fit(resume=True)`` continues from it.
        callbacks: functions ``callback(trainer, record)`` called after every epoch (on every
            rank when distributed: decorate one with
            `graphseq.distributed.main_process_only` to run it on rank 0 only).

    Distributed (see the guide): when this process is one of several (a process group is
    initialized, or ``torchrun`` launched the script: `graphseq.distributed.wants_distributed`)
    the Trainer joins the group (`graphseq.distributed.init_distributed`) and trains
    data-parallel; inside ``with graphseq.distributed.single_process():`` it trains in the one
    process instead (as `cross_validate` trains each fold). The model is wrapped in ``DistributedDataParallel``; each rank
    trains on its own share of every epoch (``task.rank_batches``, `graphseq.train.sharding`;
    ``batch_size`` is per rank), the epoch loss is the mean over all ranks' items; rank 0
    evaluates and broadcasts its metrics and its early-stopping decision, so ``history_`` is the
    same everywhere; rank 0 alone writes the checkpoint and shows progress. ``evaluate``,
    ``save`` and ``load`` are then collective: call them on every rank. Python's, NumPy's and
    torch's global generators (dropout) are seeded with ``seed + rank``; the Trainer's generator
    (data order) with ``seed`` on every rank. A distributed run resumes with the same number of
    ranks. One process trains exactly as before.

    After `fit`: ``history_`` (one dict per epoch: ``epoch``, ``loss``, ``lr``, ``time`` in
    seconds of training, and the task's metrics on ``task.epoch_splits()``), ``epoch_``
    (epochs done), ``best_epoch_``, ``best_score_``, ``stopped_early_``.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        task: Task,
        *,
        optimizer: torch.optim.Optimizer | Callable | None = None,
        scheduler=None,
        early_stopping: EarlyStopping | None = None,
        max_epochs: int = 200,
        grad_clip: float | None = None,
        seed: int | None = 0,
        device: str | torch.device | None = "cpu",
        progress: bool | None = None,
        checkpoint: str | os.PathLike | None = None,
        callbacks: Sequence[Callable] = (),
    ):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
        if not isinstance(task, Task):
            raise TypeError(f"task must be a graphseq.train.Task, got {type(task).__name__}.")
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError(
                "early_stopping must be a graphseq.train.EarlyStopping, e.g. "
                f"EarlyStopping(patience=10); got {type(early_stopping).__name__}."
            )
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=0)
        if grad_clip is not None:
            grad_clip = check_number("grad_clip", grad_clip, positive=True)
        if seed is not None:
            seed = check_int("seed", seed, minimum=None)
        self.distributed = dist.wants_distributed()
        self.rank, self.world_size = 0, 1
        if self.distributed:
            if type(task).rank_batches is Task.rank_batches:
                raise TypeError(
                    f"{type(task).__name__} does not split its epochs across ranks "
                    "(no rank_batches), so it cannot train distributed; create its Trainer "
                    "inside `with graphseq.distributed.single_process():` to train it in "
                    "one process per rank."
                )
            device = dist.init_distributed(resolve_device(device))
            self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
            if seed is None:  # every rank needs the same data order
                seed = dist.broadcast_object(int(torch.randint(0, 2**62, (1,))))
            if self.rank != 0:
                progress = False
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.task = task
        self.task.setup(self.model, self.device)
        # The module that trains: distributed, a DDP wrapper made for each fit (see fit).
        # Evaluation and checkpoints use self.model.
        self.training_model = self.model
        self.optimizer = _build_optimizer(optimizer, self.model)
        self.scheduler = _build_scheduler(scheduler, self.optimizer)
        self.early_stopping = (early_stopping or EarlyStopping()).bind(task.monitor)
        self.grad_clip = grad_clip
        self.seed = seed
        self.progress = progress
        self.checkpoint = checkpoint
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
        """Everything needed to continue training exactly where it stopped (distributed: a
        collective, it gathers every rank's random state)."""
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "epoch": self.epoch_,
            "history": self.history_,
            "early_stopping": self.early_stopping.state_dict(),
            "stopped_early": self.stopped_early_,
            "finished": self.finished_,
            "rng": get_rng_state(),
            "generator": self.generator.get_state(),
            "task": self.task.state_dict(),
        }
        if self.distributed:
            state["distributed"] = {
                "world_size": self.world_size,
                "rng": dist.all_gather_objects(state["rng"]),
            }
        return state

    def _check_world(self, state: dict) -> None:
        saved = state.get("distributed", {}).get("world_size")
        current = self.world_size if self.distributed else None
        if saved == current:
            return
        written = f"a distributed run of {saved} ranks" if saved else "one process"
        resume = f"torchrun --nproc-per-node {saved} (in all)" if saved else "one process"
        raise ValueError(
            f"the checkpoint was written by {written} and this Trainer runs "
            + (f"{current} ranks" if current else "in one process")
            + f"; resume it with {resume}, since the ranks' shares of every epoch depend on "
            "their number."
        )

    def load_state_dict(self, state: dict) -> None:
        self._check_world(state)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise ValueError(
                f"the checkpoint does not fit this model (different architecture?): {error}"
            ) from error
        self.optimizer.load_state_dict(state["optimizer"])
        if (state["scheduler"] is None) != (self.scheduler is None):
            raise ValueError(
                "the checkpoint was saved with"
                + (" a" if state["scheduler"] is not None else "out a")
                + " learning-rate scheduler and this Trainer has"
                + (" one" if self.scheduler is not None else " none")
                + "; resume with the same scheduler setting."
            )
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch_ = state["epoch"]
        self.history_ = list(state["history"])
        self.early_stopping.load_state_dict(state["early_stopping"])
        self.stopped_early_ = state["stopped_early"]
        self.finished_ = state["finished"]
        set_rng_state(state["distributed"]["rng"][self.rank] if self.distributed else state["rng"])
        self.generator.set_state(state["generator"])
        self.task.load_state_dict(state["task"])

    def save(self, path: str | os.PathLike | None = None):
        """Save the training state to ``path`` (default: the ``checkpoint`` argument).
        Distributed: call it on every rank; rank 0 writes (the others return None)."""
        path = path or self.checkpoint
        if path is None:
            raise ValueError("no checkpoint path: pass checkpoint=... to Trainer or a path here.")
        state = self.state_dict()
        if self.rank != 0:
            return None
        return save_checkpoint(state, path)

    def load(self, path: str | os.PathLike | None = None) -> Trainer:
        """Load a training state saved by `save`. Distributed: call it on every rank; rank 0
        reads the file and sends the state to the others (no shared file system needed)."""
        path = path or self.checkpoint
        if not self.distributed:
            self.load_state_dict(load_checkpoint(path, map_location=self.device))
            return self
        state = None
        if self.rank == 0:
            try:
                state = load_checkpoint(path, map_location="cpu")
            except (OSError, ValueError) as error:
                state = error  # the other ranks raise it too, instead of waiting
        state = dist.broadcast_object(state)
        if isinstance(state, Exception):
            raise state
        self.load_state_dict(state)
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
                    f"the training loss became {float(loss.detach())} in epoch {self.epoch_ + 1}; "
                    "lower the learning rate or set grad_clip."
                )
            loss.backward()
            if self.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(parameters, self.grad_clip)
            self.optimizer.step()
            losses.append(loss.detach())
        if not losses:
            raise RuntimeError("the task produced no training batch in this epoch.")
        return float(torch.stack(losses).mean())

    def _train_epoch_distributed(self) -> float:
        """One epoch of this rank's shares; returns the mean loss over all ranks' items."""
        self.model.train()
        total = torch.zeros((), dtype=torch.float64)
        count = 0
        parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
        for batch, share in self.task.rank_batches(self.generator, self.rank, self.world_size):
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.task.training_step(self.training_model, batch)
            if not bool(torch.isfinite(loss)):
                raise FloatingPointError(
                    f"rank {self.rank}: the training loss became {float(loss.detach())} in "
                    f"epoch {self.epoch_ + 1}; lower the learning rate or set grad_clip."
                )
            # The share's weight turns DDP's mean of the ranks' gradients into the gradient of
            # the mean over all items of the step (1 for every full step).
            (loss if share.weight == 1.0 else loss * share.weight).backward()
            if self.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(parameters, self.grad_clip)
            self.optimizer.step()
            total += loss.detach().double().cpu() * share.size
            count += share.size
        if count == 0:
            raise RuntimeError(
                f"the task produced no training batch in this epoch (fewer training items "
                f"than the {self.world_size} ranks?)."
            )
        return dist.weighted_mean(float(total), count)

    def evaluate(self, splits: Sequence[str] = ("test",)) -> dict[str, float]:
        """The task's metrics on ``splits`` with the model's current weights. Distributed:
        call it on every rank; rank 0 evaluates and every rank returns its metrics."""
        if not self.distributed:
            return self._evaluate(splits)
        return dist.broadcast_object(self._evaluate(splits) if self.rank == 0 else None)

    def _evaluate(self, splits: Sequence[str]) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad():
            return self.task.evaluate(self.model, tuple(splits))

    def test(self) -> dict[str, float]:
        """Metrics on the test split (after `fit`, with the best weights if restored)."""
        return self.evaluate(("test",))

    def _step_scheduler(self, record: dict) -> None:
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(record[self.early_stopping.monitor])
        else:
            self.scheduler.step()

    def _check_record(self, record: dict) -> None:
        stopping = self.early_stopping
        for option, key in (("monitor", stopping.monitor), ("tie_breaker", stopping.tie_breaker)):
            if key is not None and key not in record:
                raise KeyError(
                    f"EarlyStopping {option}={key!r} is not among the metrics {sorted(record)}; "
                    f"name one of them (or set task.eval_splits to include its split)."
                )

    def fit(self, resume: bool = False) -> Trainer:
        """Train until ``max_epochs`` or early stopping; returns ``self``.

        With ``resume=True`` and an existing ``checkpoint`` file, training continues from it and
        ends in the same state as a run that was never interrupted (distributed: rank 0's file,
        with the same number of ranks).
        """
        if not self.distributed:
            return self._fit(resume)
        try:
            # DDP all-reduces the gradients in backward and copies rank 0's weights to every
            # rank now. It lives for this fit only: a DDP object destroyed after its process
            # group (at the end of a script) can hang.
            self.training_model = _data_parallel(self.model, self.device)
            return self._fit(resume)
        except RuntimeError as error:
            if not dist.communication_errors(error):
                raise
            saved = (
                f"the checkpoint {self.checkpoint} holds the last finished epoch: restart all "
                f"{self.world_size} ranks with fit(resume=True) to continue"
                if self.checkpoint is not None
                else "set checkpoint=... to be able to resume after a failure"
            )
            raise dist.DistributedError(
                f"rank {self.rank} of {self.world_size}: lost another rank in epoch "
                f"{self.epoch_ + 1} (it died, hung or was cut off; its own log says why); "
                f"{saved}. Cause: {error}"
            ) from error
        finally:
            self.training_model = self.model

    def _fit(self, resume: bool) -> Trainer:
        exists = resume and self.checkpoint is not None and os.path.isfile(self.checkpoint)
        if self.distributed:
            exists = dist.broadcast_object(exists)  # rank 0's file decides
        if exists:
            self.load()
            if self.finished_ and not self.stopped_early_ and self.epoch_ < self.max_epochs:
                self.finished_ = False  # a finished run resumed with a larger max_epochs
        elif self.seed is not None:
            seed_everything(self.seed + self.rank)
            self.generator.manual_seed(self.seed)
        monitor = self.early_stopping.monitor
        eval_splits = self.task.epoch_splits()
        bar = progress_bar(
            self.max_epochs,
            initial=min(self.epoch_, self.max_epochs),
            desc=f"training {type(self.model).__name__}",
            unit="epoch",
            progress=self.progress,
        )
        try:
            while not self.finished_ and self.epoch_ < self.max_epochs:
                start = time.perf_counter()
                lr = self.optimizer.param_groups[0]["lr"]
                if self.distributed:
                    loss = self._train_epoch_distributed()
                else:
                    loss = self._train_epoch()
                record = {
                    "epoch": self.epoch_ + 1,
                    "loss": loss,
                    "lr": lr,
                    "time": time.perf_counter() - start,
                }
                if eval_splits and self.rank == 0:
                    record.update(self._evaluate(eval_splits))
                if self.distributed:  # rank 0's record, the same history on every rank
                    record = dist.broadcast_object(record if self.rank == 0 else None)
                self._check_record(record)
                self.epoch_ += 1
                self._step_scheduler(record)
                self.history_.append(record)
                stop = self.early_stopping.step(record, self.model, self.epoch_)
                if self.distributed:  # rank 0 decides for all
                    stop = dist.broadcast_object(stop if self.rank == 0 else None)
                for callback in self.callbacks:
                    callback(self, record)
                bar.update(1)
                # (a dict: the monitor may be the loss itself)
                bar.set_postfix(**{"loss": f"{loss:.4f}", monitor: f"{record[monitor]:.4f}"})
                if stop:
                    self.stopped_early_ = True
                    break
                if self.checkpoint is not None:
                    self.save()
        except KeyboardInterrupt:
            if self.checkpoint is not None and self.rank == 0:
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
        if self.early_stopping.restore_best and self.early_stopping.best_state is not None:
            self.model.load_state_dict(self.early_stopping.best_state)
        return self
