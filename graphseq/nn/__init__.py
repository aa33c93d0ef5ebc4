"""Layers that drop into any PyG model: they take ``(x, edge_index)`` like PyG's convolutions."""

from .gcn import GCNConv, normalized_adjacency

__all__ = ["GCNConv", "normalized_adjacency"]
