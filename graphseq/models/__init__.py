"""Complete models built from `graphseq.nn`."""

from .char_rnn import CharRNN
from .deepwalk import DeepWalk, Node2Vec
from .embedding_io import load_embeddings, load_keyed_vectors, save_embeddings
from .gae import GAE
from .gcn import GCN
from .graph_classifier import GraphClassifier, StructureAgnosticBaseline
from .graphsage import GraphSAGE
from .sage_embedding import UnsupervisedGraphSAGE
from .saving import SavableModule, load_model, save_model
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
    "SavableModule",
    "StructureAgnosticBaseline",
    "UnsupervisedGraphSAGE",
    "WalkRNN",
    "load_embeddings",
    "load_keyed_vectors",
    "load_model",
    "save_embeddings",
    "save_model",
]
