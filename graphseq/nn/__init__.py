"""Layers that drop into any PyG model: they take ``(x, edge_index)`` like PyG's convolutions."""

from .gcn import GCNConv, normalized_adjacency
from .sage import SAGEConv
from .sequence import SequenceEncoder

__all__ = ["GCNConv", "SAGEConv", "SequenceEncoder", "normalized_adjacency"]
