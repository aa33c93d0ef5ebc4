"""Layers that drop into any PyG model: they take ``(x, edge_index)`` like PyG's convolutions."""

from .aggr import (
    GCNAggregator,
    LSTMAggregator,
    MaxAggregator,
    MeanAggregator,
    NeighborAggregator,
    PyGAggregator,
    SumAggregator,
)
from .gcn import GCNConv, normalized_adjacency
from .norm import GraphBatchNorm
from .readout import LSTMReadout, resolve_readout
from .sage import SAGEConv
from .sequence import SequenceEncoder

__all__ = [
    "GCNAggregator",
    "GCNConv",
    "GraphBatchNorm",
    "LSTMAggregator",
    "LSTMReadout",
    "MaxAggregator",
    "MeanAggregator",
    "NeighborAggregator",
    "PyGAggregator",
    "SAGEConv",
    "SequenceEncoder",
    "SumAggregator",
    "normalized_adjacency",
    "resolve_readout",
]
