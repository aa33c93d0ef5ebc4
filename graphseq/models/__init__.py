"""Complete models built from :mod:`graphseq.nn`."""

from .gcn import GCN
from .graphsage import GraphSAGE

__all__ = ["GCN", "GraphSAGE"]
