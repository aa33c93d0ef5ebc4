"""Layers that drop into any PyG model: they take ``(x, edge_index)`` like PyG's convolutions."""

from .gcn import GCNConv, normalized_adjacency
from .norm import GraphBatchNorm
from .readout import LSTMReadout, PoolReadout, Set2SetReadout, make_readout
from .sage import SAGEConv
from .sequence import SequenceEncoder

__all__ = [
    "GCNConv",
    "GraphBatchNorm",
    "LSTMReadout",
    "PoolReadout",
    "SAGEConv",
    "SequenceEncoder",
    "Set2SetReadout",
    "make_readout",
    "normalized_adjacency",
]
