"""graphseq: classic graph learning on PyTorch Geometric.

DeepWalk, GraphSAGE, normalized GCN and RNN readouts as fast, tested, importable parts.
"""

__version__ = "0.1.0"

from .datasets import DatasetNotFoundError, dataset_names, load_dataset, make_community_graph
from .graph import CSRGraph
from .models import GCN
from .nn import GCNConv, SequenceEncoder
from .seed import seed_everything
from .train import NodeClassificationTask, Task, Trainer

__all__ = [
    "CSRGraph",
    "DatasetNotFoundError",
    "GCN",
    "GCNConv",
    "NodeClassificationTask",
    "SequenceEncoder",
    "Task",
    "Trainer",
    "__version__",
    "dataset_names",
    "load_dataset",
    "make_community_graph",
    "seed_everything",
]
