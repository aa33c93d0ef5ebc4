"""Graph classification: mini-batches of whole graphs, one label per graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from ..validation import check_features, check_int
from .metrics import accuracy
from .sharding import epoch_shares
from .task import Task, resolve_splits

__all__ = ["GraphBatch", "GraphClassificationTask", "GraphStore"]


class GraphBatch:
    """A mini-batch of graphs, laid out like PyG's ``Batch``: ``x [N, F]``, ``edge_index [2, E]``
    (nodes renumbered), ``batch [N]`` (graph of each node, sorted), ``y [G]``, ``num_graphs``,
    and ``node_rank [N]`` when the graphs carry one."""

    def __init__(self, x, edge_index, batch, y, num_graphs, node_rank=None):
        self.x, self.edge_index, self.batch, self.y = x, edge_index, batch, y
        self.num_graphs, self.node_rank = num_graphs, node_rank

    def to(self, device) -> GraphBatch:
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return GraphBatch(
            move(self.x),
            move(self.edge_index),
            move(self.batch),
            move(self.y),
            self.num_graphs,
            move(self.node_rank),
        )


class GraphStore:
    """All graphs of a dataset collated ONCE into one disjoint union; `select` then cuts
    any set of graphs out of it with a few vectorized index operations. This replaces PyG's
    per-batch Python collation (``Batch.from_data_list``), which dominated the epoch time of
    small graph classifiers on CPU."""

    def __init__(self, graphs):
        from torch_geometric.data import Batch

        big = Batch.from_data_list(graphs)
        self.x = big.x
        self.edge_index = big.edge_index
        self.y = big.y.view(-1)
        self.node_rank = getattr(big, "node_rank", None)
        self.node_ptr = big.ptr
        sizes = torch.tensor([g.num_edges for g in graphs])
        self.edge_ptr = torch.cat([torch.zeros(1, dtype=torch.long), sizes.cumsum(0)])

    @staticmethod
    def _ranges(ptr: torch.Tensor, ids: torch.Tensor):
        """Concatenated ``arange(ptr[i], ptr[i+1])`` for every ``i`` in ``ids``, and the counts."""
        counts = ptr[ids + 1] - ptr[ids]
        total = int(counts.sum())
        new_starts = counts.cumsum(0) - counts
        shift = torch.repeat_interleave(ptr[ids] - new_starts, counts, output_size=total)
        return torch.arange(total) + shift, counts

    def select(self, ids: torch.Tensor) -> GraphBatch:
        """The graphs ``ids`` (in that order) as one `GraphBatch`."""
        ids = ids.long()
        nodes, node_counts = self._ranges(self.node_ptr, ids)
        edges, edge_counts = self._ranges(self.edge_ptr, ids)
        graph_of_node = torch.repeat_interleave(
            torch.arange(ids.numel()), node_counts, output_size=nodes.numel()
        )
        # Old node id -> new node id: subtract, per graph, its old start minus its new start.
        offset = self.node_ptr[ids] - (node_counts.cumsum(0) - node_counts)
        edge_offset = torch.repeat_interleave(offset, edge_counts, output_size=edges.numel())
        return GraphBatch(
            self.x[nodes],
            self.edge_index[:, edges] - edge_offset,
            graph_of_node,
            self.y[ids],
            ids.numel(),
            None if self.node_rank is None else self.node_rank[nodes],
        )


def _default_forward(model: torch.nn.Module, batch) -> torch.Tensor:
    return model(
        batch.x,
        batch.edge_index,
        batch.batch,
        num_graphs=batch.num_graphs,
        node_rank=getattr(batch, "node_rank", None),
    )


class GraphClassificationTask(Task):
    """Classify whole graphs, trained in shuffled mini-batches of graphs.

    Args:
        graphs: a PyG dataset or a list of ``Data``, each with ``x [n_i, F]``,
            ``edge_index`` and a graph label ``y`` (``[1]`` or a scalar); optional node
            attributes (e.g. ``node_rank`` from `graphseq.nn.readout.add_node_ranks`) are
            carried into the batches.
        splits: split name -> graph indices (or a boolean mask); ``"train"`` is required.
        batch_size: graphs per training batch (evaluation uses ``eval_batch_size``); per rank
            when training distributed.
        forward: ``forward(model, batch) -> logits [num_graphs, C]``; default
            ``model(x, edge_index, batch, num_graphs=..., node_rank=...)``.

    Metrics per split: ``loss`` (cross-entropy) and ``acc``. Early stopping watches
    ``val_acc`` by default (model selection on validation accuracy, as Errica et al. 2020).
    """

    monitor_metric = "acc"

    def __init__(
        self,
        graphs,
        splits: Mapping[str, Sequence[int] | torch.Tensor],
        *,
        batch_size: int = 32,
        eval_batch_size: int = 512,
        forward: Callable[[torch.nn.Module, object], torch.Tensor] | None = None,
    ):
        graphs = list(graphs)
        if not graphs:
            raise ValueError("graphs is empty: graph classification needs at least one graph.")
        self.splits = resolve_splits(splits, len(graphs), what="graphs")
        if "train" not in self.splits:
            raise ValueError("splits has no 'train' entry: give splits={'train': [...], ...}.")
        self.batch_size = check_int("batch_size", batch_size)
        self.eval_batch_size = check_int("eval_batch_size", eval_batch_size)
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
        if self.splits["train"].numel() == 0:
            raise ValueError("the 'train' split is empty.")
        self.forward = forward or _default_forward
        self.device = torch.device("cpu")
        self._eval_batches: dict[str, list] = {}
        self._store: GraphStore | None = None

    def setup(self, model, device) -> None:
        in_channels = getattr(model, "in_channels", None)
        if in_channels is not None and in_channels != self.num_features:
            raise ValueError(
                f"the model expects {in_channels} node features but the graphs have "
                f"{self.num_features}; build it with in_channels={self.num_features}."
            )
        self.device = device
        self._store = GraphStore(self.graphs)
        # Evaluation batches never change: cut them once.
        self._eval_batches = {
            split: [
                self._store.select(chunk).to(device) for chunk in index.split(self.eval_batch_size)
            ]
            for split, index in self.splits.items()
            if index.numel()
        }

    def train_batches(self, generator):
        if self._store is None:
            self._store = GraphStore(self.graphs)
        index = self.splits["train"]
        index = index[torch.randperm(index.numel(), generator=generator)]
        for chunk in index.split(self.batch_size):
            yield self._store.select(chunk).to(self.device)

    def rank_batches(self, generator, rank, world_size):
        if self._store is None:
            self._store = GraphStore(self.graphs)
        for share in epoch_shares(
            self.splits["train"], self.batch_size, generator, rank, world_size
        ):
            yield self._store.select(share.items).to(self.device), share

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
