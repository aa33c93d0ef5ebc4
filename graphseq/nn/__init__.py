"""Layers that drop into any PyG model: they take ``(x, edge_index)`` like PyG's convolutions."""

from .gcn import GCNConv, normalized_adjacency
from .sequence import SequenceEncoder

__all__ = ["GCNConv", "SequenceEncoder", "normalized_adjacency"]
