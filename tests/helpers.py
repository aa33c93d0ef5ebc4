"""Small inputs several test modules share (imported as ``helpers``: pytest puts tests/ on the path)."""

from __future__ import annotations

import torch
from torch_geometric.data import Batch, Data


def ring_batch(sizes=(4, 5, 6), channels: int = 6) -> Batch:
    """A batch of undirected rings of ``sizes`` nodes with random ``[n, channels]`` features."""
    graphs = []
    for n in sizes:
        edge_index = torch.tensor([[i, (i + 1) % n] for i in range(n)]).t()
        graphs.append(
            Data(
                x=torch.randn(n, channels),
                edge_index=torch.cat([edge_index, edge_index.flip(0)], 1),
            )
        )
    return Batch.from_data_list(graphs)
