"""graphseq: classic graph learning on PyTorch Geometric.

DeepWalk, GraphSAGE, normalized GCN and RNN readouts as fast, tested, importable parts.
"""

__version__ = "0.1.0"

from .datasets import DatasetNotFoundError, dataset_names, load_dataset, make_community_graph
from .evaluation import linear_probe, probe_split
from .graph import CSRGraph
from .models import GCN, DeepWalk, GraphSAGE, Node2Vec, load_embeddings, save_embeddings
from .nn import GCNConv, SAGEConv, SequenceEncoder
from .sampling import NeighborSampler
from .seed import seed_everything
from .train import NodeClassificationTask, SampledNodeClassificationTask, Task, Trainer
from .walks import iter_random_walks, random_walks

__all__ = [
    "CSRGraph",
    "DatasetNotFoundError",
    "DeepWalk",
    "GCN",
    "GCNConv",
    "GraphSAGE",
    "NeighborSampler",
    "Node2Vec",
    "NodeClassificationTask",
    "SAGEConv",
    "SampledNodeClassificationTask",
    "SequenceEncoder",
    "Task",
    "Trainer",
    "__version__",
    "dataset_names",
    "iter_random_walks",
    "linear_probe",
    "load_embeddings",
    "load_dataset",
    "make_community_graph",
    "probe_split",
    "random_walks",
    "save_embeddings",
    "seed_everything",
]
