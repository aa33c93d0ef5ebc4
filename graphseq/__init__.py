"""graphseq: classic graph learning on PyTorch Geometric.

DeepWalk, GraphSAGE, normalized GCN and RNN readouts as fast, tested, importable parts.
"""

__version__ = "0.1.0"

from .datasets import DatasetNotFoundError, dataset_names, load_dataset, make_community_graph
from .graph import CSRGraph
from .models import GCN, GraphSAGE
from .nn import GCNConv, SAGEConv, SequenceEncoder
from .sampling import NeighborSampler
from .seed import seed_everything
from .train import NodeClassificationTask, SampledNodeClassificationTask, Task, Trainer

__all__ = [
    "CSRGraph",
    "DatasetNotFoundError",
    "GCN",
    "GCNConv",
    "GraphSAGE",
    "NeighborSampler",
    "NodeClassificationTask",
    "SAGEConv",
    "SampledNodeClassificationTask",
    "SequenceEncoder",
    "Task",
    "Trainer",
    "__version__",
    "dataset_names",
    "load_dataset",
    "make_community_graph",
    "seed_everything",
]
