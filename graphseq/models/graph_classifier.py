"""Graph classifiers: GCN layers -> a named readout -> MLP, and the structure-agnostic baseline."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.gcn import GCNConv
from ..nn.norm import GraphBatchNorm
from ..nn.readout import _check_x, make_readout

__all__ = ["GraphClassifier", "StructureAgnosticBaseline"]


def _mlp_head(in_channels: int, hidden_channels: int, num_classes: int, dropout: float):
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_channels, num_classes),
    )


def _check_dims(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")


class GraphClassifier(nn.Module):
    """``num_layers`` GCN layers (ReLU, optional batch norm) -> readout -> 2-layer MLP.

    Args:
        in_channels: node features ``F``.
        num_classes: ``C`` (logits are returned).
        hidden_channels: width of the GCN layers, of the readout's recurrent cell and of the MLP.
        num_layers: GCN layers (>= 1).
        readout: ``"lstm"`` (ordered nodes read by a `SequenceEncoder`),
            ``"mean"``, ``"sum"``, ``"max"`` or ``"set2set"``; see `graphseq.nn.readout`.
        jumping_knowledge: read out the concatenation of every GCN layer's output (width
            ``num_layers * hidden``) instead of the last one only (Xu et al. 2018); it keeps the
            local, low-layer features that small molecules are often classified by.
        include_input: also read out the input features ``x`` themselves (layer 0), prepended
            to the GCN outputs (width ``+ F``), as GIN's readout does (Xu et al. 2019): the
            GCN's degree normalization blurs what each node is, the raw features keep it.
        batch_norm: batch normalization after every GCN layer.
        dropout: before the MLP's last layer, and on the readout's input unless
            ``readout_dropout`` is given.
        readout_dropout: dropout on the node embeddings entering the readout (None: ``dropout``;
            0 feeds the readout every embedding unchanged in training too).
        readout_norm: batch normalization (`GraphBatchNorm`) of the readout's graph vectors
            before the MLP. A sum readout's output grows with the graph's size: on NCI1, at lr
            0.01, the MLP's hidden units died in the first epoch and the model stayed at
            chance; standardized, it learns.
        **readout_options: e.g. ``ordering="bfs"``, ``cell="gru"`` for the LSTM readout.

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
        readout: str = "lstm",
        jumping_knowledge: bool = True,
        include_input: bool = False,
        batch_norm: bool = True,
        dropout: float = 0.5,
        readout_dropout: float | None = None,
        readout_norm: bool = False,
        **readout_options,
    ):
        super().__init__()
        _check_dims(
            in_channels=in_channels,
            num_classes=num_classes,
            hidden_channels=hidden_channels,
            num_layers=num_layers,
        )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        if readout_dropout is None:
            readout_dropout = dropout
        if isinstance(readout_dropout, bool) or not 0.0 <= readout_dropout < 1.0:
            raise ValueError(f"readout_dropout must be in [0, 1) or None, got {readout_dropout!r}.")
        self.in_channels = in_channels
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
        self.readout = make_readout(readout, node_channels, hidden_channels, **readout_options)
        out = self.readout.out_channels
        self.readout_norm = GraphBatchNorm(out) if readout_norm else nn.Identity()
        self.dropout = dropout
        self.readout_dropout = float(readout_dropout)
        self.head = _mlp_head(self.readout.out_channels, hidden_channels, num_classes, dropout)

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
        _check_x(x, self.in_channels, "GraphClassifier")
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        h = self.embed_nodes(x, edge_index)
        h = F.dropout(h, self.readout_dropout, self.training)
        graph = self.readout(h, batch, edge_index, num_graphs=num_graphs, node_rank=node_rank)
        return self.head(self.readout_norm(graph))


class StructureAgnosticBaseline(nn.Module):
    """Sum of each graph's node features -> batch norm -> 2-layer MLP; the edges are ignored.

    The structure-free baseline of Errica et al. 2020 (their molecular variant): if a graph
    network cannot beat it, it has not learned anything from the structure. ``forward`` has the
    same signature as `GraphClassifier` (``edge_index`` and ``node_rank`` are ignored).

    Args:
        batch_norm: standardize the summed features (``BatchNorm1d``) before the MLP. The sums
            grow with the graph's size and with the scale of continuous attributes (ENZYMES
            has one in the hundreds, so its sums reach thousands), which left the plain MLP
            at chance level; with it, scaling the input features changes nothing.
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
        _check_dims(
            in_channels=in_channels, num_classes=num_classes, hidden_channels=hidden_channels
        )
        self.in_channels = in_channels
        self.readout = make_readout("sum", in_channels)
        self.norm = GraphBatchNorm(in_channels) if batch_norm else nn.Identity()
        self.head = _mlp_head(in_channels, hidden_channels, num_classes, dropout)

    def forward(self, x, edge_index=None, batch=None, num_graphs=None, node_rank=None):
        _check_x(x, self.in_channels, "StructureAgnosticBaseline")
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        summed = self.readout(x, batch, num_graphs=num_graphs)
        return self.head(self.norm(summed))
