"""A sequence classifier: token ids or features -> `SequenceEncoder` ->
linear layer (e.g. the lectures' palindrome task)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.sequence import SequenceEncoder
from ..validation import check_int
from .saving import SavableModule

__all__ = ["SequenceClassifier"]


class SequenceClassifier(SavableModule):
    """Classify whole sequences from the encoder's summary (``output="last"`` by default).

    Args:
        input_size: features per step ``F``; for integer token inputs, the number of distinct
            tokens (they are one-hot encoded, as in the lectures' palindrome experiments).
        num_classes: ``C``.

    The other arguments (``hidden_size``, ``cell``, ``num_layers``, ``bidirectional``,
    ``dropout``, ``output``, ``forget_bias``) are passed to `SequenceEncoder`.

    Shapes: ``x`` ``LongTensor [B, T]`` (token ids in ``0..input_size-1``) or
    ``FloatTensor [B, T, F]``, optional ``lengths [B]`` -> logits ``[B, C]``.
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int,
        hidden_size: int = 128,
        cell: str = "lstm",
        *,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        output: str = "last",
        forget_bias: float = 0.0,
    ):
        super().__init__()
        if output == "sequence":
            raise ValueError("output='sequence' gives no per-sequence summary to classify.")
        check_int("num_classes", num_classes, minimum=2)
        self.encoder = SequenceEncoder(
            input_size,
            hidden_size,
            cell,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            output=output,
            forget_bias=forget_bias,
        )
        self.classifier = nn.Linear(self.encoder.output_size, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Float step features ``[B, T, F]``: one-hot for token ids, ``x`` itself otherwise."""
        if x.is_floating_point():
            return x
        size = self.encoder.input_size
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= size):
            raise ValueError(
                f"token ids must be in 0..{size - 1} (input_size={size}), got "
                f"{int(x.min())}..{int(x.max())}."
            )
        return F.one_hot(x, size).to(self.classifier.weight.dtype)

    def classify_features(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits ``[B, C]`` from float step features ``[B, T, F]``."""
        return self.classifier(self.encoder(features, lengths))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.classify_features(self.features(x), lengths)
