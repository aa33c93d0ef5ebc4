"""GraphSAGE (Hamilton et al. 2017): stacked `graphseq.nn.SAGEConv` layers, run on the full
graph or on the sampled blocks of a `graphseq.sampling.MiniBatch`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.functional import dropout
from ..nn.sage import SAGEConv
from ..validation import check_int, check_probability
from .saving import SavableModule

__all__ = ["GraphSAGE", "PAPER_AGGR_CHANNELS"]


# The paper's aggregator widths for its "small" models (Hamilton et al. 2017, appendix):
# pooling dimension 512, LSTM hidden size 128.
PAPER_AGGR_CHANNELS = {"pool": 512, "lstm": 128}


class GraphSAGE(SavableModule):
    """``num_layers`` GraphSAGE layers with ReLU (σ) and dropout between them.

    Args:
        in_channels: input features ``F`` (or the width of the learned node embeddings when
            ``num_nodes`` is given).
        hidden_channels: width of every hidden layer.
        out_channels: output width (class logits, or the embedding size for unsupervised
            training).
        num_layers: ``K``, number of `SAGEConv` layers (= number of sampled hops).
        aggr: the aggregator of every layer: ``"mean"``, ``"gcn"``, ``"lstm"``, ``"pool"``,
            ``"max"``, ``"sum"`` (see `graphseq.nn.aggr`).
        dropout: dropout probability on the input of every layer.
        normalize: l2-normalize the hidden representations after every hidden layer (the
            algorithm's ``h_v / ||h_v||``); ``normalize_output`` does the same for the output.
        num_nodes: for graphs without features: learn an ``nn.Embedding(num_nodes, in_channels)``
            table and pass node ids (``LongTensor [N]``) as ``x`` (transductive only).
        aggr_channels: the pool projection's width / the LSTM's hidden size; default the
            input width, as PyG (the paper uses `PAPER_AGGR_CHANNELS`: 512 for ``"pool"``, 128
            for ``"lstm"``).
        cached: every layer caches its full-graph structure (a fixed graph).

    Calling:
        ``model(x, edge_index)``: full graph, ``x [N, F]`` (dense or sparse) -> ``[N, C]``;
        ``model(x, blocks)``: ``blocks`` from a `MiniBatch` (first layer
        first) and ``x`` the features of ``batch.n_id`` -> ``[batch.batch_size, C]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        aggr: str = "mean",
        dropout: float = 0.5,
        *,
        normalize: bool = False,
        normalize_output: bool = False,
        num_nodes: int | None = None,
        aggr_channels: int | None = None,
        cached: bool = False,
    ):
        super().__init__()
        num_layers = check_int("num_layers", num_layers)
        self.dropout = check_probability("dropout", dropout)
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(
            SAGEConv(
                a,
                b,
                aggr,
                # Hidden layers are normalized after σ (below), the output layer inside the conv.
                normalize=normalize_output and i == num_layers - 1,
                aggr_channels=aggr_channels,
                cached=cached,
            )
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        )
        self.embedding = None
        if num_nodes is not None:
            self.embedding = nn.Embedding(check_int("num_nodes", num_nodes), in_channels)
        self.aggr = aggr
        self.normalize = normalize
        self.in_channels, self.out_channels = in_channels, out_channels

    @property
    def num_layers(self) -> int:
        return len(self.convs)

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()
        if self.embedding is not None:
            self.embedding.reset_parameters()

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            if x.dtype.is_floating_point or x.dim() != 1:
                raise ValueError(
                    "this GraphSAGE learns node embeddings (num_nodes was given): pass node ids "
                    f"LongTensor [N] as x, got {x.dtype} {list(x.shape)}."
                )
            return self.embedding(x)
        return x

    def _run(self, x, graph, num_convs: int) -> torch.Tensor:
        blocks = None if isinstance(graph, torch.Tensor) else list(graph)
        if blocks is not None and len(blocks) != self.num_layers:
            raise ValueError(
                f"got {len(blocks)} sampled blocks for a {self.num_layers}-layer GraphSAGE; "
                "sample with one fan-out per layer."
            )
        for i in range(num_convs):
            x = dropout(x, self.dropout, self.training)
            x = self.convs[i](x, graph if blocks is None else blocks[i])
            if i < self.num_layers - 1:
                x = F.relu(x)
                if self.normalize:  # h_v / ||h_v|| after σ, as in the algorithm
                    x = F.normalize(x, p=2.0, dim=-1)
        return x

    def embed(self, x: torch.Tensor, graph) -> torch.Tensor:
        """The last hidden layer (after ReLU), ``[N, hidden]`` on the full graph (with blocks:
        one row per target of the last block's input, seeds first); the input for 1 layer."""
        return self._run(self._input(x), graph, self.num_layers - 1)

    def forward(self, x: torch.Tensor, graph) -> torch.Tensor:
        """Full graph (``graph`` = ``edge_index``) or sampled (``graph`` = list of blocks)."""
        return self._run(self._input(x), graph, self.num_layers)
