"""Graph classifiers: GCN layers -> a readout -> MLP, and the structure-agnostic baseline."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.gcn import GCNConv
from ..nn.norm import GraphBatchNorm
from ..nn.readout import is_order_sensitive, readout_channels, resolve_readout
from ..ordering import ORDERINGS, node_ranks, order_nodes
from ..validation import check_choice, check_features, check_int, check_probability
from .saving import SavableModule

__all__ = ["GraphClassifier", "StructureAgnosticBaseline"]


def _mlp_head(in_channels: int, hidden_channels: int, num_classes: int, dropout: float):
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_channels, num_classes),
    )


def _batch_vector(x: torch.Tensor, batch) -> torch.Tensor:
    return torch.zeros(x.size(0), dtype=torch.long, device=x.device) if batch is None else batch


class GraphClassifier(SavableModule):
    """``num_layers`` GCN layers (ReLU, optional batch norm) -> readout -> 2-layer MLP.

    Args:
        in_channels: node features ``F``.
        num_classes: ``C`` (logits are returned).
        hidden_channels: width of the GCN layers, of the ``"lstm"`` readout's cell and of the MLP.
        num_layers: GCN layers (>= 1).
        readout: a name of `graphseq.nn.readout.READOUTS`, a PyG aggregation module, or a
            factory ``node_channels -> module`` (e.g. ``lambda c: LSTMReadout(c, 64, cell="gru")``)
            called where the named readout would be built; see `graphseq.nn.readout`.
        ordering: the node order an order-sensitive readout (``"lstm"``) reads, one of
            `graphseq.ordering.ORDERINGS`, or None to read nodes as given. A batch that carries
            ``node_rank`` (precomputed with `graphseq.ordering.add_node_ranks`) is read in that
            order; otherwise the ordering is computed per batch. ``"auto"``: ``"degree"`` for a
            readout that reads a sequence (`LSTMReadout`, PyG's LSTM/GRU aggregations), None for
            the others (which do not depend on order).
        jumping_knowledge: read out the concatenation of every GCN layer's output (width
            ``num_layers * hidden``) instead of the last one only (Xu et al. 2018).
        include_input: also read out the input features ``x`` themselves (layer 0), prepended
            to the GCN outputs (width ``+ F``), as GIN's readout does (Xu et al. 2019).
        batch_norm: batch normalization after every GCN layer.
        dropout: before the MLP's last layer, and on the readout's input unless
            ``readout_dropout`` is given.
        readout_dropout: dropout on the node embeddings entering the readout (None: ``dropout``).
        readout_norm: batch normalization (`GraphBatchNorm`) of the readout's graph vectors
            before the MLP: a sum readout's output grows with the graph's size.

    ``forward(x [N, F], edge_index [2, E], batch [N] or None, num_graphs=None, node_rank=None)``
    returns logits ``[G, C]``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        hidden_channels: int = 64,
        num_layers: int = 3,
        *,
        readout: str | nn.Module | Callable = "lstm",
        ordering: str | None = "auto",
        jumping_knowledge: bool = True,
        include_input: bool = False,
        batch_norm: bool = True,
        dropout: float = 0.5,
        readout_dropout: float | None = None,
        readout_norm: bool = False,
    ):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        check_int("num_classes", num_classes)
        check_int("hidden_channels", hidden_channels)
        check_int("num_layers", num_layers)
        self.dropout = check_probability("dropout", dropout)
        self.readout_dropout = check_probability(
            "readout_dropout", dropout if readout_dropout is None else readout_dropout
        )
        if ordering not in (None, "auto"):
            check_choice("ordering", ordering, ORDERINGS)
        widths = [in_channels] + [hidden_channels] * num_layers
        self.convs = nn.ModuleList(
            GCNConv(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(hidden_channels) if batch_norm else nn.Identity()
            for _ in range(num_layers)
        )
        self.jumping_knowledge = jumping_knowledge
        self.include_input = include_input
        node_channels = hidden_channels * (num_layers if jumping_knowledge else 1)
        node_channels += in_channels if include_input else 0
        self.readout = resolve_readout(readout, node_channels, hidden_channels)
        if ordering == "auto":
            ordering = "degree" if is_order_sensitive(self.readout) else None
        self.ordering = ordering
        out = readout_channels(self.readout, node_channels)
        self.readout_norm = GraphBatchNorm(out) if readout_norm else nn.Identity()
        self.head = _mlp_head(out, hidden_channels, num_classes, dropout)

    def embed_nodes(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Node embeddings ``[N, hidden]`` (``[N, num_layers * hidden]`` with jumping knowledge;
        ``F`` more columns, the input ``x`` first, with ``include_input``)."""
        inputs, layers = x, []
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = F.relu(norm(conv(x, edge_index)))
            layers.append(x)
        if not self.jumping_knowledge:
            layers = layers[-1:]
        if self.include_input:
            layers.insert(0, inputs)
        return torch.cat(layers, 1)

    def forward(self, x, edge_index, batch=None, num_graphs=None, node_rank=None):
        check_features(x, None, "x", channels=self.in_channels)
        batch = _batch_vector(x, batch)
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        h = self.embed_nodes(x, edge_index)
        h = F.dropout(h, self.readout_dropout, self.training)
        if self.ordering is not None:
            if node_rank is None:
                node_rank = node_ranks(
                    edge_index, batch.cpu(), x.size(0), self.ordering, num_graphs=num_graphs
                )
            permutation = order_nodes(batch, node_rank.to(batch.device))
            h, batch = h[permutation], batch[permutation]
        graph = self.readout(h, batch, dim_size=num_graphs)
        return self.head(self.readout_norm(graph))


class StructureAgnosticBaseline(SavableModule):
    """Sum of each graph's node features -> batch norm -> 2-layer MLP; the edges are ignored.

    The structure-free baseline of Errica et al. 2020 (their molecular variant): if a graph
    network cannot beat it, it has not learned anything from the structure. ``forward`` has the
    same signature as `GraphClassifier` (``edge_index`` and ``node_rank`` are ignored).

    Args:
        batch_norm: standardize the summed features (`GraphBatchNorm`) before the MLP. The sums
            grow with the graph's size and with the scale of continuous attributes, which can
            leave a plain MLP at chance level; with it, scaling the input features changes
            nothing.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        hidden_channels: int = 64,
        dropout: float = 0.5,
        batch_norm: bool = True,
    ):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        check_int("num_classes", num_classes)
        check_int("hidden_channels", hidden_channels)
        self.readout = resolve_readout("sum", in_channels)
        self.norm = GraphBatchNorm(in_channels) if batch_norm else nn.Identity()
        self.head = _mlp_head(in_channels, hidden_channels, num_classes, dropout)

    def forward(self, x, edge_index=None, batch=None, num_graphs=None, node_rank=None):
        check_features(x, None, "x", channels=self.in_channels)
        batch = _batch_vector(x, batch)
        summed = self.readout(x, batch, dim_size=num_graphs)
        return self.head(self.norm(summed))
