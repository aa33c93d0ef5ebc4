"""Mini-batch node classification on sampled neighbourhoods (GraphSAGE's supervised training)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ..sampling import MiniBatch, NeighborSampler, gather_rows
from .node_classification import NodeClassificationTask

__all__ = ["SampledNodeClassificationTask"]


class SampledNodeClassificationTask(NodeClassificationTask):
    """Node classification trained on mini-batches of sampled blocks, evaluated on the full graph.

    Each epoch shuffles the training nodes, cuts them into batches of ``batch_size`` seeds and
    samples a `MiniBatch` around each batch with a
    `NeighborSampler` driven by the Trainer's seeded generator (so runs
    are reproducible and resumable). The model is called as ``model(x[batch.n_id],
    batch.blocks)`` and must return ``[batch.batch_size, C]`` logits (e.g.
    `graphseq.models.GraphSAGE`). Evaluation runs ``model(x, edge_index)`` on the whole
    graph (exact, no sampling noise), like `NodeClassificationTask`.

    Args:
        data: PyG ``Data`` as for `NodeClassificationTask`. ``x`` may be None: node ids
            ``arange(N)`` are then passed as ``x`` (for a model with learned node embeddings).
        fanouts: neighbours per hop, first hop first (e.g. ``[25, 10]``); one per model layer.
        batch_size: seeds per mini-batch.
        replace: sample with replacement (the paper) or without.
        deduplicate: see `NeighborSampler`.
        train_graph: optional ``edge_index`` used for training batches (the inductive setting:
            the graph with the test nodes removed).
        eval_edge_index: graph used by `evaluate` (default: ``train_graph`` when given,
            else ``data.edge_index``). In the inductive setting, set
            ``task.eval_edge_index = data.edge_index`` after training to score the test nodes
            on the full graph (and build the model with ``cached=False``).
        masks: as `NodeClassificationTask`.
        multilabel: as `NodeClassificationTask`.
    """

    def __init__(
        self,
        data,
        fanouts: Sequence[int] = (25, 10),
        *,
        batch_size: int = 512,
        replace: bool = True,
        deduplicate: bool = False,
        train_graph: torch.Tensor | None = None,
        eval_edge_index: torch.Tensor | None = None,
        masks: dict[str, str] | None = None,
        multilabel: bool | None = None,
        forward: Callable | None = None,
    ):
        super().__init__(data, masks=masks, multilabel=multilabel, forward=forward)
        features = getattr(data, "x", None)
        if features is None:
            num_nodes = data.num_nodes
            data = data.clone()
            data.num_nodes = num_nodes
            data.x = torch.arange(num_nodes)  # node ids, for learned node embeddings
            self.data = data
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}.")
        self.batch_size = batch_size
        graph = data.edge_index if train_graph is None else train_graph
        self.sampler = NeighborSampler(
            _GraphWithNodes(graph, data.num_nodes),
            fanouts,
            replace=replace,
            deduplicate=deduplicate,
        )
        # Sparse features stay sparse (CSR): a batch gathers its rows without densifying them.
        if features is not None and features.layout != torch.strided:
            features = features.to_sparse_csr() if features.layout != torch.sparse_csr else features
        self.x = features if features is not None else self.data.x
        self.eval_edge_index = eval_edge_index if eval_edge_index is not None else train_graph
        self.train_nodes = self.masks["train"].nonzero().flatten()

    def setup(self, model, device) -> None:
        super().setup(model, device)
        self.device = device
        self.x = self.x.to(device)

    def train_batches(self, generator):
        return self.sampler.batches(self.train_nodes.cpu(), self.batch_size, generator=generator)

    def training_step(self, model, batch: MiniBatch) -> torch.Tensor:
        batch = batch.to(self.device)
        logits = model(gather_rows(self.x, batch.n_id), batch.blocks)
        y = self.data.y[batch.seeds]
        if self.multilabel:
            return torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float())
        return torch.nn.functional.cross_entropy(logits, y)

    def evaluate(self, model, splits):
        if self.eval_edge_index is None:
            return super().evaluate(model, splits)
        original = self.data.edge_index
        self.data.edge_index = self.eval_edge_index.to(original.device)
        try:
            return super().evaluate(model, splits)
        finally:
            self.data.edge_index = original


class _GraphWithNodes:
    """An ``edge_index`` with an explicit node count (nodes may have lost all their edges)."""

    def __init__(self, edge_index: torch.Tensor, num_nodes: int):
        self.edge_index = edge_index
        self.num_nodes = num_nodes
