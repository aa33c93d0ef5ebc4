"""Complete models built from :mod:`graphseq.nn`."""

from .char_rnn import CharRNN
from .deepwalk import DeepWalk, Node2Vec
from .embedding_io import load_embeddings, save_embeddings
from .gcn import GCN
from .graphsage import GraphSAGE
from .sequence_classifier import SequenceClassifier

__all__ = [
    "CharRNN",
    "DeepWalk",
    "GCN",
    "GraphSAGE",
    "Node2Vec",
    "SequenceClassifier",
    "load_embeddings",
    "save_embeddings",
]
