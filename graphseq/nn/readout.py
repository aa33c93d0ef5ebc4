"""Graph readouts: one vector per graph from the node embeddings of a PyG mini-batch.

Every readout is a PyG aggregation (`torch_geometric.nn.aggr.Aggregation`) and has its call::

    readout(x [N, F], index [N] (graph of each node, sorted), ptr=None, dim_size=G) -> [G, F']

so any of them drops into a plain PyG model, and any PyG aggregation can be given to
`graphseq.models.GraphClassifier`. By name (`READOUTS`, `resolve_readout`):

* ``"mean"``, ``"sum"``, ``"max"``: PyG's ``MeanAggregation``, ``SumAggregation``,
  ``MaxAggregation``, permutation-invariant pooling over each graph's nodes;
* ``"set2set"``: PyG's ``Set2Set`` (attention + LSTM, Vinyals et al. 2016), also order-free;
* ``"lstm"``: `LSTMReadout`: each graph's nodes, *in the order they are given*, are read as a
  sequence by the shared `SequenceEncoder` (LSTM by default; GRU and vanilla RNN too) into one
  vector (inspired by Jin & JaJa 2018). Which order that is, is the caller's choice: a
  `graphseq.ordering` (degree, BFS, random walk), applied by the graph classifier.

`LSTMReadout` builds the sequences with `torch_geometric.utils.to_dense_batch` (``[G,
max_nodes, F]``); the per-graph node counts are the sequence lengths, so padding never enters
the recurrence, and a graph without nodes reads out as zeros (as PyG's aggregations do).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch_geometric.nn.aggr import (
    Aggregation,
    MaxAggregation,
    MeanAggregation,
    Set2Set,
    SumAggregation,
)

from ..validation import check_choice, check_int, check_probability
from .sequence import CELLS, SequenceEncoder

__all__ = ["READOUTS", "LSTMReadout", "is_order_sensitive", "readout_channels", "resolve_readout"]

READOUTS = ("lstm", "mean", "sum", "max", "set2set")


class LSTMReadout(Aggregation):
    """Read each graph's nodes, in the given order, with a `SequenceEncoder`.

    Args:
        in_channels: node features ``F``.
        hidden_channels: hidden units ``H`` of the recurrent cell.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``.
        output: the encoder's ``"last"`` state, or the ``"mean"``/``"max"`` of its outputs over
            the sequence.
        reverse: read each graph's sequence from its last node to its first, so that the final
            state sits on the nodes given first (e.g. the highest-degree ones).
        max_nodes: read only the first ``max_nodes`` nodes of each (possibly reversed) sequence
            (None: all). Like the top-``k`` of DGCNN's SortPooling, it bounds the number of
            recurrent steps, which run one after another and dominate the cost on large graphs.
        num_layers, bidirectional, dropout: of the encoder (see `SequenceEncoder`).

    Shapes: ``x [N, F]``, ``index [N]`` sorted (or ``ptr [G + 1]``), ``dim_size = G`` ->
    ``[G, H]`` (``[G, 2H]`` bidirectional), ``out_channels`` gives the width.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        *,
        cell: str = "lstm",
        output: str = "last",
        reverse: bool = False,
        max_nodes: int | None = None,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        check_choice("output", output, ("last", "mean", "max"))
        self.in_channels = check_int("in_channels", in_channels)
        self.reverse = bool(reverse)
        self.max_nodes = None if max_nodes is None else check_int("max_nodes", max_nodes)
        self.encoder = SequenceEncoder(
            in_channels,
            hidden_channels,
            cell,
            output=output,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=check_probability("dropout", dropout),
        )
        self.out_channels = self.encoder.output_size

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()

    def forward(self, x, index=None, ptr=None, dim_size=None, dim=-2, max_num_elements=None):
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"LSTMReadout expects x of shape [num_nodes, in_channels={self.in_channels}], "
                f"got {list(x.shape)}."
            )
        if index is None:  # PyG's Aggregation passes index or ptr; rebuild index from ptr
            index = torch.repeat_interleave(
                torch.arange(ptr.numel() - 1, device=x.device), ptr.diff()
            )
        self.assert_sorted_index(index)
        sizes = torch.bincount(index, minlength=dim_size)
        if self.reverse:
            # Node j of a graph of n nodes (starting at s) moves to position s + n - 1 - j.
            starts = torch.cumsum(sizes, 0) - sizes
            position = torch.arange(index.numel(), device=x.device) - starts[index]
            target = starts[index] + sizes[index] - 1 - position
            x = x[torch.argsort(target)]
        dense, _ = self.to_dense_batch(
            x, index, dim_size=dim_size, dim=dim, max_num_elements=self.max_nodes
        )
        lengths = sizes if self.max_nodes is None else sizes.clamp(max=self.max_nodes)
        out = dense.new_zeros(dense.size(0), self.out_channels)
        filled = lengths > 0
        if bool(filled.all()):
            return self.encoder(dense, lengths)
        if bool(filled.any()):  # graphs without nodes read out as zeros
            out[filled] = self.encoder(dense[filled], lengths[filled])
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_channels}, {self.encoder.hidden_size}, "
            f"cell={self.encoder.cell!r}, output={self.encoder.output!r}, "
            f"reverse={self.reverse}, max_nodes={self.max_nodes})"
        )


def resolve_readout(
    readout: str | Aggregation | Callable, in_channels: int, hidden_channels: int | None = None
) -> nn.Module:
    """The readout module for ``readout``: a name of `READOUTS` (``"lstm"`` is an
    `LSTMReadout` of ``hidden_channels``, ``"set2set"`` PyG's ``Set2Set`` with 3 processing
    steps), a module (returned as is), or a factory ``in_channels -> module``."""
    if isinstance(readout, nn.Module):
        return readout
    if isinstance(readout, str):
        check_choice("readout", readout, READOUTS)
        if readout == "lstm":
            return LSTMReadout(in_channels, hidden_channels or in_channels)
        if readout == "set2set":
            return Set2Set(in_channels, processing_steps=3)
        return {"mean": MeanAggregation, "sum": SumAggregation, "max": MaxAggregation}[readout]()
    if callable(readout):
        module = readout(in_channels)
        if isinstance(module, nn.Module):
            return module
    raise TypeError(
        f"readout must be one of {list(READOUTS)}, a PyG Aggregation module, or a factory "
        f"in_channels -> module; got {type(readout).__name__}."
    )


def is_order_sensitive(readout: nn.Module) -> bool:
    """Whether ``readout``'s result depends on the order of each graph's nodes (a sequence
    reader: `LSTMReadout`, PyG's ``LSTMAggregation`` or ``GRUAggregation``)."""
    from torch_geometric.nn.aggr import GRUAggregation, LSTMAggregation

    return isinstance(readout, (LSTMReadout, LSTMAggregation, GRUAggregation))


@torch.no_grad()
def readout_channels(readout: nn.Module, in_channels: int) -> int:
    """Features per graph that ``readout`` returns for ``in_channels`` node features: its
    ``out_channels`` attribute, else measured on one dummy graph (without touching any
    random state: the module is put in eval mode for the probe)."""
    out = getattr(readout, "out_channels", None)
    if isinstance(out, int):
        return out
    was_training = readout.training
    readout.eval()
    try:
        probe = readout(torch.zeros(1, in_channels), torch.zeros(1, dtype=torch.long), dim_size=1)
    finally:
        readout.train(was_training)
    return int(probe.size(-1))
