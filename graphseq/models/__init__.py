"""Complete models built from :mod:`graphseq.nn`."""

from .gcn import GCN

__all__ = ["GCN"]
