"""Character-level language modelling with truncated back-propagation through time (TBPTT).

The training text is cut into ``batch_size`` contiguous streams laid side by side
(``[batch_size, L]``); a batch is the next window of ``seq_len`` characters of every stream, and
the recurrent state at the end of one window is the (detached) initial state of the next, so
the model sees context far beyond ``seq_len`` while gradients flow back at most ``seq_len``
steps. Each pass over the streams starts at a random offset in ``0..seq_len-1`` (drawn from the
Trainer's generator) so window boundaries move between passes.

An epoch is ``steps_per_epoch`` windows (or one pass over the text when None), so checkpoints
can be frequent on a long text; the position in the text and the carried state are part of the
checkpoint, so a resumed run continues exactly where the interrupted one was at the end of its
last saved epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..sequences import CharVocabulary
from ..validation import check_int
from .task import Task

__all__ = ["LanguageModelTask", "split_text"]


def split_text(
    ids: torch.Tensor, val_fraction: float = 0.05, test_fraction: float = 0.1
) -> dict[str, torch.Tensor]:
    """Contiguous splits of a text: ``train`` first, then ``val``, then ``test`` (the last
    ``test_fraction`` of the text, the held-out part)."""
    if ids.dim() != 1:
        raise ValueError(f"ids must be 1-D, got shape {list(ids.shape)}.")
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            "val_fraction and test_fraction must be in [0, 1) with a sum below 1, got "
            f"{val_fraction} and {test_fraction}."
        )
    n = ids.numel()
    test_start = n - int(round(n * test_fraction))
    val_start = test_start - int(round(n * val_fraction))
    splits = {"train": ids[:val_start]}
    if val_start < test_start:
        splits["val"] = ids[val_start:test_start]
    if test_start < n:
        splits["test"] = ids[test_start:]
    return splits


def _detach(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _to(state, device):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return tuple(s.to(device) for s in state)
    return state.to(device)


class LanguageModelTask(Task):
    """Next-character prediction for a model ``model(ids [B, T], state) -> (logits [B, T, V],
    state)`` such as `CharRNN`.

    Args:
        splits: split name -> ``LongTensor [N]`` of character ids (see `split_text` and
            `from_text`); ``"train"`` is required.
        seq_len: TBPTT window (steps of back-propagation).
        batch_size: parallel streams in training.
        steps_per_epoch: windows per epoch; None = one pass over the training streams.
        eval_streams: parallel streams when evaluating a split (each carries its state through
            its part of the split; only the first characters of each stream lack context).
        eval_seq_len: window length when evaluating (no gradients, so longer is faster).

    Metrics per split: ``loss`` (mean cross-entropy in nats per character), ``bpc`` (bits per
    character, ``loss / ln 2``) and ``acc`` (next-character accuracy, argmax). Evaluating
    ``"train"`` reads the whole training text, so only ``"val"`` is evaluated after every
    epoch; without a validation split, early stopping watches ``"loss"``, the mean loss of
    the epoch's training windows.
    """

    def __init__(
        self,
        splits: dict[str, torch.Tensor],
        *,
        seq_len: int = 100,
        batch_size: int = 64,
        steps_per_epoch: int | None = None,
        eval_streams: int = 64,
        eval_seq_len: int = 500,
    ):
        seq_len = check_int("seq_len", seq_len)
        batch_size = check_int("batch_size", batch_size)
        eval_streams = check_int("eval_streams", eval_streams)
        eval_seq_len = check_int("eval_seq_len", eval_seq_len)
        if steps_per_epoch is not None:
            steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch)
        if "train" not in splits:
            raise ValueError("splits needs a 'train' text.")
        for name, ids in splits.items():
            if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or ids.dtype != torch.long:
                raise ValueError(f"split {name!r} must be a 1-D LongTensor of character ids.")
        train = splits["train"]
        stream_length = (train.numel() - 1) // batch_size
        if stream_length < 2:
            raise ValueError(
                f"the training text ({train.numel()} characters) is too short for "
                f"batch_size={batch_size} streams; use a longer text or fewer streams."
            )
        self.splits = dict(splits)
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.steps_per_epoch = steps_per_epoch
        self.eval_streams = eval_streams
        self.eval_seq_len = eval_seq_len
        self.vocabulary: CharVocabulary | None = None
        # [batch_size, L] inputs and their next characters.
        used = batch_size * stream_length
        self._inputs = train[:used].view(batch_size, stream_length)
        self._targets = train[1 : used + 1].view(batch_size, stream_length)
        self._position: int | None = None  # next window start within the current pass
        self._hidden = None  # recurrent state carried between windows
        self.device = torch.device("cpu")

    @classmethod
    def from_text(
        cls,
        text: str,
        vocabulary: CharVocabulary | None = None,
        *,
        val_fraction: float = 0.05,
        test_fraction: float = 0.1,
        **options,
    ) -> LanguageModelTask:
        """Encode ``text`` (vocabulary: its distinct characters unless given) and split it
        (`split_text`); ``options`` go to the constructor. ``task.vocabulary`` is set."""
        vocabulary = vocabulary or CharVocabulary.from_text(text)
        ids = vocabulary.encode(text)
        task = cls(split_text(ids, val_fraction, test_fraction), **options)
        task.vocabulary = vocabulary
        return task

    @property
    def monitor(self) -> str:
        return "val_loss" if "val" in self.splits else "loss"

    def epoch_splits(self) -> tuple[str, ...]:
        if self.eval_splits is not None:
            return tuple(self.eval_splits)
        return ("val",) if "val" in self.splits else ()

    @property
    def windows_per_pass(self) -> int:
        """TBPTT windows in one pass over the training streams (at offset 0)."""
        return math.ceil((self._inputs.size(1) - 1) / self.seq_len)

    def setup(self, model, device) -> None:
        self.device = device
        self._inputs = self._inputs.to(device)
        self._targets = self._targets.to(device)
        self.splits = {name: ids.to(device) for name, ids in self.splits.items()}
        self._hidden = _to(self._hidden, device)

    def _new_pass(self, generator) -> None:
        self._position = int(torch.randint(0, self.seq_len, (1,), generator=generator))
        self._hidden = None

    def train_batches(self, generator):
        length = self._inputs.size(1)
        if self.steps_per_epoch is None:
            self._new_pass(generator)
        steps = 0
        while self.steps_per_epoch is None or steps < self.steps_per_epoch:
            if self._position is None or self._position >= length - 1:
                if self.steps_per_epoch is None and steps > 0:
                    return
                self._new_pass(generator)
            start = self._position
            end = min(start + self.seq_len, length)
            self._position = end
            steps += 1
            yield self._inputs[:, start:end], self._targets[:, start:end]

    def training_step(self, model, batch) -> torch.Tensor:
        inputs, targets = batch
        logits, state = model(inputs, self._hidden)
        self._hidden = _detach(state)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for name in splits:
            if name not in self.splits:
                continue
            loss, correct, count = _evaluate_text(
                model, self.splits[name], self.eval_streams, self.eval_seq_len
            )
            metrics[f"{name}_loss"] = loss / count
            metrics[f"{name}_bpc"] = loss / count / math.log(2)
            metrics[f"{name}_acc"] = correct / count
        return metrics

    def state_dict(self) -> dict:
        return {"position": self._position, "hidden": _to(self._hidden, "cpu")}

    def load_state_dict(self, state: dict) -> None:
        self._position = state["position"]
        self._hidden = _to(state["hidden"], self.device)


def _evaluate_text(model, ids: torch.Tensor, streams: int, window: int) -> tuple[float, int, int]:
    """Summed cross-entropy, correct predictions and predictions over ``ids``."""
    streams = max(1, min(streams, (ids.numel() - 1) // 2))
    length = (ids.numel() - 1) // streams
    if length < 1:
        raise ValueError(f"a split of {ids.numel()} characters is too short to evaluate.")
    inputs = ids[: streams * length].view(streams, length)
    targets = ids[1 : streams * length + 1].view(streams, length)
    state, loss, correct = None, 0.0, 0
    for start in range(0, length, window):
        logits, state = model(inputs[:, start : start + window], state)
        target = targets[:, start : start + window]
        loss += float(F.cross_entropy(logits.flatten(0, 1), target.reshape(-1), reduction="sum"))
        correct += int((logits.argmax(-1) == target).sum())
    return loss, correct, streams * length
