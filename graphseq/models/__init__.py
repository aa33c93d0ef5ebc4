"""Complete models built from :mod:`graphseq.nn`."""

from .deepwalk import DeepWalk, Node2Vec
from .embedding_io import load_embeddings, save_embeddings
from .gcn import GCN
from .graph_classifier import GraphClassifier, StructureAgnosticBaseline
from .walk_rnn import WalkRNN

__all__ = [
    "DeepWalk",
    "GCN",
    "GraphClassifier",
    "Node2Vec",
    "StructureAgnosticBaseline",
    "WalkRNN",
    "load_embeddings",
    "save_embeddings",
]
