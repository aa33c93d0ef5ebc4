"""Complete models built from :mod:`graphseq.nn`."""

from .char_rnn import CharRNN
from .gcn import GCN
from .sequence_classifier import SequenceClassifier

__all__ = ["CharRNN", "GCN", "SequenceClassifier"]
