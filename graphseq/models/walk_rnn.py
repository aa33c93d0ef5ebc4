"""WalkRNN: classify a node from the node features along random walks that start at it.

For every target node, ``K`` random walks of ``L`` nodes start at it (`graphseq.walks`).
The nodes of each walk are embedded (a linear projection of their features, or a learned
embedding per node when the graph has none), the walk is read by a
`SequenceEncoder` from its far end back to the target node (so the final
state sits on the target itself), the ``K`` walk vectors are averaged, and a linear layer
classifies the result. Walks are sampled by the task (`
WalkNodeClassificationTask`): fresh every epoch in training, fixed by a seed at evaluation.
"""

from __future__ import annotations

import torch
from torch import nn

from ..nn.functional import dropout as sparse_dropout
from ..nn.functional import matmul
from ..nn.sequence import CELLS, SequenceEncoder
from .saving import SavableModule

__all__ = ["WalkRNN"]


class WalkRNN(SavableModule):
    """Random-walk sequence node classifier.

    Args:
        in_channels: node features ``F``; None to learn an embedding per node instead (then
            ``num_nodes`` is required and ``forward`` takes ``x=None``).
        num_classes: ``C``.
        hidden_channels: width of the node embedding and of the recurrent cell.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``.
        num_nodes: nodes of the graph, for the learned embeddings.
        dropout: on the input features (sparse-aware) and before the classifier.
        concat_target: classify ``[mean walk vector, the target's own embedding]`` rather than
            the walk vector alone (a skip connection, as GraphSAGE's concatenation of a node
            with its neighbourhood): the target's own features need not survive the recurrence.

    ``forward(x [N, F] dense or sparse (or None), walks [B, K, L])`` returns logits ``[B, C]``
    for the ``B`` nodes whose walks are given (``walks[b, k, 0]`` is node ``b`` itself).
    """

    def __init__(
        self,
        in_channels: int | None,
        num_classes: int,
        hidden_channels: int = 64,
        *,
        cell: str = "lstm",
        num_nodes: int | None = None,
        dropout: float = 0.5,
        concat_target: bool = True,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.")
        if in_channels is None and (num_nodes is None or num_nodes < 1):
            raise ValueError(
                "WalkRNN without node features (in_channels=None) learns one embedding per node: "
                "pass num_nodes=data.num_nodes."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.in_channels = in_channels
        self.num_nodes = num_nodes
        self.dropout = dropout
        if in_channels is None:
            self.embedding = nn.Embedding(num_nodes, hidden_channels)
            self.weight = None
        else:
            self.embedding = None
            self.weight = nn.Parameter(torch.empty(in_channels, hidden_channels))
            nn.init.xavier_uniform_(self.weight)
            self.bias = nn.Parameter(torch.zeros(hidden_channels))
        self.encoder = SequenceEncoder(hidden_channels, hidden_channels, cell)
        self.concat_target = concat_target
        width = self.encoder.output_size + (hidden_channels if concat_target else 0)
        self.classifier = nn.Linear(width, num_classes)

    def node_embeddings(self, x: torch.Tensor | None) -> torch.Tensor:
        """The input of the recurrent cell for every node ``[N, hidden]``."""
        if self.embedding is not None:
            if x is not None:
                raise ValueError(
                    "this WalkRNN was built without features (in_channels=None); call it with "
                    "x=None."
                )
            return self.embedding.weight
        if x is None or x.dim() != 2 or x.size(1) != self.in_channels:
            shape = None if x is None else list(x.shape)
            raise ValueError(
                f"x must have shape [num_nodes, in_channels={self.in_channels}], got {shape}."
            )
        x = sparse_dropout(x, self.dropout, self.training)
        return torch.relu(matmul(x, self.weight) + self.bias)

    def forward(self, x: torch.Tensor | None, walks: torch.Tensor) -> torch.Tensor:
        if walks.dim() != 3:
            raise ValueError(
                f"walks must have shape [nodes, walks_per_node, walk_length], got "
                f"{list(walks.shape)}."
            )
        h = self.node_embeddings(x)
        if walks.numel() and (int(walks.min()) < 0 or int(walks.max()) >= h.size(0)):
            raise ValueError(
                f"walks hold node ids outside 0 .. {h.size(0) - 1}; sample them on this graph "
                "with dead_end='stay'."
            )
        batch, per_node, length = walks.shape
        # Read each walk backwards, so the last step is the target node.
        sequences = h[walks.flip(-1).reshape(-1, length)]  # [B*K, L, hidden]
        walk_vectors = self.encoder(sequences).view(batch, per_node, -1)
        node_vectors = walk_vectors.mean(1)
        if self.concat_target:
            node_vectors = torch.cat([node_vectors, h[walks[:, 0, 0]]], 1)
        node_vectors = nn.functional.dropout(node_vectors, self.dropout, self.training)
        return self.classifier(node_vectors)
