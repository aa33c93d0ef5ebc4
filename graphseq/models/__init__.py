"""Complete models built from `graphseq.nn`."""

from .char_rnn import CharRNN
from .deepwalk import DeepWalk, Node2Vec
from .embedding_io import load_embeddings, load_keyed_vectors, save_embeddings
from .gae import GAE
from .gcn import GCN
from .graph_classifier import GraphClassifier, StructureAgnosticBaseline
from .graphsage import GraphSAGE
from .sequence_classifier import SequenceClassifier
from .walk_rnn import WalkRNN

__all__ = [
    "CharRNN",
    "DeepWalk",
    "GAE",
    "GCN",
    "GraphClassifier",
    "GraphSAGE",
    "Node2Vec",
    "SequenceClassifier",
    "StructureAgnosticBaseline",
    "WalkRNN",
    "load_embeddings",
    "load_keyed_vectors",
    "save_embeddings",
]
