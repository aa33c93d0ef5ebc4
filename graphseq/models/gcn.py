"""A GCN node classifier built from `graphseq.nn.GCNConv` (Kipf & Welling 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.functional import dropout
from ..nn.gcn import GCNConv
from ..validation import check_int, check_probability
from .saving import SavableModule

__all__ = ["GCN"]


class GCN(SavableModule):
    """``num_layers`` graph convolutions with ReLU and dropout between them.

    ``dropout`` is applied to the input (sparse inputs stay sparse: only stored values are
    dropped) and to every hidden layer, as in Kipf & Welling's model.

    Args:
        in_channels: input features ``F``.
        hidden_channels: width of every hidden layer.
        out_channels: classes ``C`` (logits are returned, no softmax).
        num_layers: number of graph convolutions (>= 1).
        dropout: dropout probability.
        cached: cache every layer's normalized adjacency (a fixed graph, transductive training).
        normalize: every `GCNConv`'s normalization (``True``/``"sym"``, ``"rw"`` or ``False``).

    Shapes: ``x [N, F]`` (dense or sparse), ``edge_index [2, E]`` -> logits ``[N, C]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        dropout: float = 0.5,
        *,
        cached: bool = False,
        normalize: bool | str = True,
    ):
        super().__init__()
        num_layers = check_int("num_layers", num_layers)
        self.dropout = check_probability("dropout", dropout)
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(
            GCNConv(a, b, cached=cached, normalize=normalize)
            for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.in_channels, self.out_channels = in_channels, out_channels

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def embed(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The last hidden layer ``[N, hidden_channels]`` (after ReLU), e.g. for plotting;
        the input itself when ``num_layers == 1``."""
        for conv in self.convs[:-1]:
            x = dropout(x, self.dropout, self.training)
            x = F.relu(self._conv(conv, x, edge_index, edge_weight))
        return x

    def _conv(self, conv, x, edge_index, edge_weight):
        """``conv(x, edge_index, edge_weight)``; with ``cached=True`` every layer reuses the
        first layer's normalized adjacency (and transpose) instead of building its own: they
        are the same matrix, and each copy costs about ``24 E`` bytes (more while built)."""
        first = self.convs[0]
        if conv is not first and conv.cached and conv._cached_adjacency is None:
            conv._cached_adjacency = first._cached_adjacency
        return conv(x, edge_index, edge_weight)

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        x = self.embed(x, edge_index, edge_weight)
        x = dropout(x, self.dropout, self.training)
        return self._conv(self.convs[-1], x, edge_index, edge_weight)
