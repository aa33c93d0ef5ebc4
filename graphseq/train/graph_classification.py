"""Graph classification: mini-batches of whole graphs, one label per graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from .metrics import accuracy
from .node_classification import check_features
from .task import Task

__all__ = ["GraphClassificationTask"]


def _default_forward(model: torch.nn.Module, batch) -> torch.Tensor:
    return model(
        batch.x,
        batch.edge_index,
        batch.batch,
        num_graphs=batch.num_graphs,
        node_rank=getattr(batch, "node_rank", None),
    )


def _as_index(split, indices, num_graphs: int) -> torch.Tensor:
    index = torch.as_tensor(indices)
    if index.dtype == torch.bool:
        if index.shape != (num_graphs,):
            raise ValueError(
                f"the boolean mask of split {split!r} must have shape [{num_graphs}], got "
                f"{list(index.shape)}."
            )
        index = index.nonzero().flatten()
    if index.dim() != 1 or index.is_floating_point():
        raise ValueError(f"split {split!r} must be a 1-D list of graph indices.")
    index = index.long()
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= num_graphs):
        raise ValueError(
            f"split {split!r} holds graph index {int(index.max())} (or a negative one) but the "
            f"dataset has {num_graphs} graphs."
        )
    return index


class GraphClassificationTask(Task):
    """Classify whole graphs, trained in shuffled mini-batches of graphs.

    Args:
        graphs: a PyG dataset or a list of ``Data``, each with ``x [n_i, F]``,
            ``edge_index`` and a graph label ``y`` (``[1]`` or a scalar); optional node
            attributes (e.g. ``node_rank`` from :func:`graphseq.nn.readout.add_node_ranks`) are
            carried into the batches.
        splits: split name -> graph indices (or a boolean mask); ``"train"`` is required.
        batch_size: graphs per training batch (evaluation uses ``eval_batch_size``).
        forward: ``forward(model, batch) -> logits [num_graphs, C]``; default
            ``model(x, edge_index, batch, num_graphs=..., node_rank=...)``.

    Metrics per split: ``loss`` (cross-entropy) and ``acc``. Early stopping watches
    ``val_acc`` by default (model selection on validation accuracy, as Errica et al. 2020).
    """

    monitor = "val_acc"
    mode = "max"

    def __init__(
        self,
        graphs,
        splits: dict[str, Sequence[int] | torch.Tensor],
        *,
        batch_size: int = 32,
        eval_batch_size: int = 512,
        forward: Callable[[torch.nn.Module, object], torch.Tensor] | None = None,
    ):
        graphs = list(graphs)
        if not graphs:
            raise ValueError("graphs is empty: graph classification needs at least one graph.")
        if "train" not in splits:
            raise ValueError("splits has no 'train' entry: give splits={'train': [...], ...}.")
        if batch_size < 1 or eval_batch_size < 1:
            raise ValueError(f"batch sizes must be >= 1, got {batch_size}, {eval_batch_size}.")
        num_features = None
        for i, graph in enumerate(graphs):
            if getattr(graph, "y", None) is None or graph.y.numel() != 1:
                raise ValueError(f"graph {i} must have exactly one label y, got {graph.y!r}.")
            if getattr(graph, "x", None) is None:
                raise ValueError(
                    f"graph {i} has no node features x; add some (e.g. "
                    "torch_geometric.transforms.OneHotDegree or Constant)."
                )
            if graph.num_nodes == 0:
                raise ValueError(
                    f"graph {i} has zero nodes; drop empty graphs before classifying them."
                )
            check_features(graph.x, graph.num_nodes, f"graph {i}: x")
            if num_features is None:
                num_features = graph.x.size(1)
            elif graph.x.size(1) != num_features:
                raise ValueError(
                    f"graph {i} has {graph.x.size(1)} node features but graph 0 has "
                    f"{num_features}; every graph needs the same feature size."
                )
        self.graphs = graphs
        self.num_features = num_features
        self.labels = torch.tensor([int(g.y.view(-1)[0]) for g in graphs])
        self.num_classes = int(self.labels.max()) + 1
        self.splits = {s: _as_index(s, idx, len(graphs)) for s, idx in splits.items()}
        if self.splits["train"].numel() == 0:
            raise ValueError("the 'train' split is empty.")
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.forward = forward or _default_forward
        self.device = torch.device("cpu")
        self._eval_batches: dict[str, list] = {}
        if "val" not in self.splits:
            self.monitor, self.mode = "train_loss", "min"

    def setup(self, model, device) -> None:
        in_channels = getattr(model, "in_channels", None)
        if in_channels is not None and in_channels != self.num_features:
            raise ValueError(
                f"the model expects {in_channels} node features but the graphs have "
                f"{self.num_features}; build it with in_channels={self.num_features}."
            )
        self.device = device
        # Evaluation batches never change: collate them once.
        from torch_geometric.data import Batch

        self._eval_batches = {}
        for split, index in self.splits.items():
            chunks = index.split(self.eval_batch_size)
            self._eval_batches[split] = [
                Batch.from_data_list([self.graphs[i] for i in chunk.tolist()]).to(device)
                for chunk in chunks
                if chunk.numel()
            ]

    def train_batches(self, generator):
        from torch_geometric.data import Batch

        index = self.splits["train"]
        index = index[torch.randperm(index.numel(), generator=generator)]
        for chunk in index.split(self.batch_size):
            yield Batch.from_data_list([self.graphs[i] for i in chunk.tolist()]).to(self.device)

    def training_step(self, model, batch) -> torch.Tensor:
        return F.cross_entropy(self.forward(model, batch), batch.y.view(-1))

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for split in splits:
            batches = self._eval_batches.get(split)
            if not batches:
                continue
            logits = torch.cat([self.forward(model, b) for b in batches])
            y = torch.cat([b.y.view(-1) for b in batches])
            metrics[f"{split}_loss"] = float(F.cross_entropy(logits, y))
            metrics[f"{split}_acc"] = accuracy(logits.argmax(1), y)
        return metrics
