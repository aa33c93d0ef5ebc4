"""graphseq: classic graph learning on PyTorch Geometric.

DeepWalk, GraphSAGE, normalized GCN and RNN readouts as fast, tested, importable parts.
Everything a user needs is importable from here; the subpackages hold the rest
(`graphseq.nn` layers, `graphseq.train` tasks, `graphseq.models` models).
"""

__version__ = "0.2.0"

from . import distributed
from .datasets import DatasetNotFoundError, dataset_names, load_dataset, make_community_graph
from .evaluation import linear_probe, probe_split
from .graph import CSRGraph, as_csr
from .io import from_networkx, from_scipy, load_graph, read_edgelist, read_mat
from .link_prediction import EdgeScorer, heuristic_scores, link_metrics, split_edges
from .models import (
    GAE,
    GCN,
    CharRNN,
    DeepWalk,
    GraphClassifier,
    GraphSAGE,
    Node2Vec,
    SequenceClassifier,
    StructureAgnosticBaseline,
    UnsupervisedGraphSAGE,
    WalkRNN,
    load_embeddings,
    load_keyed_vectors,
    load_model,
    save_embeddings,
    save_model,
)
from .nn import GCNConv, LSTMReadout, SAGEConv, SequenceEncoder
from .ordering import OrderNodes, add_node_ranks, node_ranks
from .sampling import NeighborSampler
from .seed import seed_everything
from .train import (
    CrossValidationResult,
    EarlyStopping,
    GraphClassificationTask,
    LanguageModelTask,
    LinkPredictionTask,
    NodeClassificationTask,
    SampledNodeClassificationTask,
    SequenceClassificationTask,
    Task,
    Trainer,
    UnsupervisedSAGETask,
    WalkNodeClassificationTask,
    cross_validate,
    stratified_folds,
)
from .walks import iter_random_walks, random_walks

__all__ = [
    "CSRGraph",
    "CharRNN",
    "CrossValidationResult",
    "DatasetNotFoundError",
    "DeepWalk",
    "EarlyStopping",
    "EdgeScorer",
    "GAE",
    "GCN",
    "GCNConv",
    "GraphClassificationTask",
    "GraphClassifier",
    "GraphSAGE",
    "LSTMReadout",
    "LanguageModelTask",
    "LinkPredictionTask",
    "NeighborSampler",
    "Node2Vec",
    "NodeClassificationTask",
    "OrderNodes",
    "SAGEConv",
    "SampledNodeClassificationTask",
    "SequenceClassificationTask",
    "SequenceClassifier",
    "SequenceEncoder",
    "StructureAgnosticBaseline",
    "Task",
    "Trainer",
    "UnsupervisedGraphSAGE",
    "UnsupervisedSAGETask",
    "WalkNodeClassificationTask",
    "WalkRNN",
    "__version__",
    "add_node_ranks",
    "as_csr",
    "cross_validate",
    "dataset_names",
    "distributed",
    "from_networkx",
    "from_scipy",
    "heuristic_scores",
    "link_metrics",
    "iter_random_walks",
    "linear_probe",
    "load_dataset",
    "load_graph",
    "load_embeddings",
    "load_keyed_vectors",
    "load_model",
    "make_community_graph",
    "node_ranks",
    "probe_split",
    "random_walks",
    "read_edgelist",
    "read_mat",
    "save_embeddings",
    "save_model",
    "seed_everything",
    "split_edges",
    "stratified_folds",
]
