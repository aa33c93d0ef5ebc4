"""Mini-batch node classification on sampled neighbourhoods (GraphSAGE's supervised training)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from ..graph import CSRGraph
from ..sampling import MiniBatch, NeighborSampler, gather_rows
from ..validation import check_int
from .node_classification import NodeClassificationTask, check_logits
from .sharding import epoch_shares

__all__ = ["SampledNodeClassificationTask"]


class SampledNodeClassificationTask(NodeClassificationTask):
    """Node classification trained on mini-batches of sampled blocks, evaluated on the full graph.

    Each epoch shuffles the training nodes, cuts them into batches of ``batch_size`` seeds and
    samples a `MiniBatch` around each batch with a `NeighborSampler` driven by the Trainer's
    seeded generator (so runs are reproducible and resumable). The model is called as
    ``model(x[batch.n_id], batch.blocks)`` and must return ``[batch.batch_size, C]`` logits (e.g.
    `graphseq.models.GraphSAGE`). Evaluation runs ``model(x, edge_index)`` on the whole graph
    (exact, no sampling noise), like `NodeClassificationTask`.

    Distributed (see `graphseq.train.sharding`): each rank trains on its ``batch_size`` seeds of
    every step, sampled with the share's own generator.

    Args:
        data: PyG ``Data`` as for `NodeClassificationTask`. ``x`` may be None: node ids
            ``arange(N)`` are then passed as ``x`` (for a model with learned node embeddings).
        fanouts: neighbours per hop, first hop first (e.g. ``[25, 10]``); one per model layer.
        splits: as `NodeClassificationTask`.
        batch_size: seeds per mini-batch.
        replace: sample with replacement (the paper) or without.
        deduplicate: see `NeighborSampler`.
        train_edge_index: the inductive setting (see `NodeClassificationTask`): batches are
            sampled on this graph, ``"train"``/``"val"`` are scored on it and ``"test"`` on
            ``data.edge_index``.
        multilabel: as `NodeClassificationTask`.
        forward: as `NodeClassificationTask` (full-graph evaluation only).
    """

    def __init__(
        self,
        data,
        fanouts: Sequence[int] = (25, 10),
        *,
        splits: Mapping | None = None,
        batch_size: int = 512,
        replace: bool = True,
        deduplicate: bool = False,
        train_edge_index: torch.Tensor | None = None,
        multilabel: bool | None = None,
        forward: Callable | None = None,
    ):
        super().__init__(
            data,
            splits=splits,
            multilabel=multilabel,
            train_edge_index=train_edge_index,
            forward=forward,
        )
        self.batch_size = check_int("batch_size", batch_size)
        num_nodes = data.num_nodes
        if self.x is None:
            self.x = torch.arange(num_nodes)  # node ids, for learned node embeddings
        graph = data if train_edge_index is None else train_edge_index
        if isinstance(graph, torch.Tensor):
            graph = CSRGraph.from_edge_index(graph, num_nodes, direction="in")
        self.sampler = NeighborSampler(graph, fanouts, replace=replace, deduplicate=deduplicate)
        # Sparse features stay sparse (CSR): a batch gathers its rows without densifying them.
        self.batch_x = self.x
        if self.x.layout not in (torch.strided, torch.sparse_csr):
            self.batch_x = self.x.coalesce().to_sparse_csr()

    def setup(self, model, device) -> None:
        super().setup(model, device)
        self.batch_x = self.batch_x.to(device)

    def train_batches(self, generator):
        return self.sampler.batches(
            self.splits["train"].cpu(), self.batch_size, generator=generator
        )

    def rank_batches(self, generator, rank, world_size):
        for share in epoch_shares(
            self.splits["train"], self.batch_size, generator, rank, world_size
        ):
            yield self.sampler.sample(share.items, share.generator), share

    def training_step(self, model, batch: MiniBatch) -> torch.Tensor:
        batch = batch.to(self.device)
        logits = model(gather_rows(self.batch_x, batch.n_id), batch.blocks)
        return self.loss(check_logits(logits, self.num_classes), batch.seeds)
