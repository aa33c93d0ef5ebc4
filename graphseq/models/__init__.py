"""Complete models built from :mod:`graphseq.nn`."""

from .deepwalk import DeepWalk, Node2Vec
from .embedding_io import load_embeddings, save_embeddings
from .gcn import GCN
from .graphsage import GraphSAGE

__all__ = ["DeepWalk", "GCN", "GraphSAGE", "Node2Vec", "load_embeddings", "save_embeddings"]
