"""Complete models built from :mod:`graphseq.nn`."""

from .gcn import GCN
from .graph_classifier import GraphClassifier, StructureAgnosticBaseline

__all__ = ["GCN", "GraphClassifier", "StructureAgnosticBaseline"]
