"""Sequence classification: one label per sequence, mini-batches of sequences.

Training data is either a fixed tensor split (shuffled every epoch) or a sampler that draws
fresh sequences for every batch (the lectures' palindrome setup: unlimited data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ..validation import check_int
from .metrics import accuracy
from .task import Task

__all__ = ["SequenceClassificationTask", "input_gradient_norms"]

Sampler = Callable[[int, torch.Generator], tuple]


def _check_split(name: str, split) -> tuple:
    if not isinstance(split, (tuple, list)) or len(split) not in (2, 3):
        raise ValueError(
            f"split {name!r} must be a tuple (inputs, targets) or (inputs, targets, lengths)."
        )
    inputs, targets = split[0], split[1]
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError(f"split {name!r}: inputs and targets must be tensors.")
    if targets.dim() != 1 or targets.dtype != torch.long:
        raise ValueError(
            f"split {name!r}: targets must be a LongTensor [N] of class ids, got "
            f"{targets.dtype} {list(targets.shape)}."
        )
    if inputs.dim() < 2 or inputs.size(0) != targets.size(0):
        raise ValueError(
            f"split {name!r}: inputs must be [N, T] or [N, T, F] with N = {targets.size(0)} "
            f"targets, got {list(inputs.shape)}."
        )
    if targets.numel() == 0:
        raise ValueError(f"split {name!r} is empty.")
    if len(split) == 3 and split[2] is not None:
        lengths = torch.as_tensor(split[2])
        if lengths.shape != targets.shape:
            raise ValueError(f"split {name!r}: lengths must have shape [{targets.size(0)}].")
        return inputs, targets, lengths
    return inputs, targets, None


class SequenceClassificationTask(Task):
    """Classify sequences with ``model(inputs[, lengths]) -> logits [B, C]`` and cross-entropy.

    Args:
        splits: split name -> ``(inputs, targets)`` or ``(inputs, targets, lengths)``;
            ``inputs [N, T]`` (token ids) or ``[N, T, F]``, ``targets LongTensor [N]``,
            ``lengths [N]`` for variable-length sequences padded to ``T``.
        batch_size: training batch size.
        train_sampler: optional ``sampler(batch_size, generator) -> (inputs, targets[, lengths])``
            that draws fresh training sequences for every batch (with the Trainer's seeded
            generator, so runs repeat and resume exactly); then ``splits`` need no ``"train"``.
        steps_per_epoch: batches per epoch; required with ``train_sampler``, otherwise an epoch
            is one pass over the shuffled training split.
        eval_batch_size: batch size for evaluation.

    Metrics per split: ``loss`` (mean cross-entropy) and ``acc``. Early stopping watches
    ``val_loss`` by default (``train_loss`` when there is no validation split).
    """

    def __init__(
        self,
        splits: dict[str, tuple],
        *,
        batch_size: int = 128,
        train_sampler: Sampler | None = None,
        steps_per_epoch: int | None = None,
        eval_batch_size: int = 2048,
    ):
        batch_size = check_int("batch_size", batch_size)
        eval_batch_size = check_int("eval_batch_size", eval_batch_size)
        self.splits = {name: _check_split(name, split) for name, split in splits.items()}
        if train_sampler is None and "train" not in self.splits:
            raise ValueError("give a 'train' split or a train_sampler.")
        if train_sampler is not None and steps_per_epoch is None:
            raise ValueError("steps_per_epoch must be given (an int >= 1) with a train_sampler.")
        if steps_per_epoch is not None:
            steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch)
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size)
        self.train_sampler = train_sampler
        self.steps_per_epoch = steps_per_epoch
        self.device = torch.device("cpu")

    def setup(self, model, device) -> None:
        self.device = device
        self.splits = {
            name: tuple(t.to(device) if t is not None else None for t in split)
            for name, split in self.splits.items()
        }

    def _batch(self, split: tuple, index=None) -> tuple:
        if index is None:
            return split
        return tuple(t[index] if t is not None else None for t in split)

    def train_batches(self, generator):
        if self.train_sampler is not None:
            for _ in range(self.steps_per_epoch):
                sampled = _check_split(
                    "sampled", tuple(self.train_sampler(self.batch_size, generator))
                )
                yield tuple(t.to(self.device) if t is not None else None for t in sampled)
            return
        split = self.splits["train"]
        order = torch.randperm(split[1].size(0), generator=generator).to(self.device)
        batches = order.split(self.batch_size)
        if self.steps_per_epoch is not None:
            batches = batches[: self.steps_per_epoch]
        for index in batches:
            yield self._batch(split, index)

    @staticmethod
    def _logits(model, batch) -> torch.Tensor:
        inputs, _, lengths = batch
        return model(inputs) if lengths is None else model(inputs, lengths)

    def training_step(self, model, batch) -> torch.Tensor:
        return F.cross_entropy(self._logits(model, batch), batch[1])

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for name in splits:
            if name not in self.splits:
                continue
            split = self.splits[name]
            count = split[1].size(0)
            loss, predictions = 0.0, []
            for start in range(0, count, self.eval_batch_size):
                index = slice(start, start + self.eval_batch_size)
                batch = tuple(t[index] if t is not None else None for t in split)
                logits = self._logits(model, batch)
                loss += float(F.cross_entropy(logits, batch[1], reduction="sum"))
                predictions.append(logits.argmax(1))
            metrics[f"{name}_loss"] = loss / count
            metrics[f"{name}_acc"] = accuracy(torch.cat(predictions), split[1])
        return metrics


def input_gradient_norms(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """How strongly the loss reaches back to each time step: ``||d loss / d x_t||``.

    ``x_t`` are the float step features the encoder reads: for a model with ``features(x)`` and
    ``classify_features(features)`` (like `SequenceClassifier`, whose
    features of token ids are one-hot vectors) the gradient is taken with respect to
    ``features(inputs)``; otherwise ``inputs`` must be float ``[B, T, F]`` and ``model(inputs)``
    is differentiated. A vanilla RNN's gradient at early steps decays exponentially with the
    distance to the loss (vanishing gradients); an LSTM's cell path keeps it. The loss is the
    batch-mean cross-entropy, computed in eval mode.

    Returns:
        ``FloatTensor [T]``: the norm of the per-step gradient, averaged over the batch.
    """
    split_model = hasattr(model, "features") and hasattr(model, "classify_features")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            features = model.features(inputs) if split_model else inputs
            if not features.is_floating_point():
                raise TypeError(
                    "inputs must be float features [B, T, F] unless the model has features() "
                    "and classify_features()."
                )
            features = features.detach().requires_grad_(True)
            logits = model.classify_features(features) if split_model else model(features)
            loss = F.cross_entropy(logits, targets)
            (gradient,) = torch.autograd.grad(loss, features)
    finally:
        model.train(was_training)
    # gradient [B, T, F] -> per-sample, per-step norm, averaged over samples.
    return gradient.norm(dim=2).mean(0)
