"""Unsupervised GraphSAGE: the negative-sampling loss of Hamilton et al. 2017 (eq. 1).

For an embedding ``z_u`` of node ``u``::

    J(z_u) = -log σ(z_u^T z_v) - Q · E_{v_n ~ P_n} log σ(-z_u^T z_{v_n})

where ``v`` co-occurs with ``u`` on a short random walk and the ``Q`` negatives ``v_n`` are drawn
from ``P_n(v) ∝ degree(v)^0.75``. The expectation is estimated by the mean over the ``Q`` drawn
negatives, so the second term is their sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from ..graph import CSRGraph
from ..sampling import (
    NeighborSampler,
    gather_rows,
    negative_sampling_distribution,
    sample_negatives,
    walk_cooccurrence_pairs,
)
from ..validation import check_features, check_int
from ..walks import random_walks
from .sharding import epoch_shares
from .task import Task, resolve_splits

__all__ = ["UnsupervisedSAGETask", "negative_sampling_loss"]


def negative_sampling_loss(
    z_u: torch.Tensor, z_v: torch.Tensor, z_negative: torch.Tensor
) -> torch.Tensor:
    """Mean of ``J(z_u)`` over a batch: ``z_u, z_v [B, d]``, ``z_negative [B, Q, d]``."""
    positive = (z_u * z_v).sum(-1)
    negative = (z_u.unsqueeze(1) * z_negative).sum(-1)  # [B, Q]
    return (-F.logsigmoid(positive) - F.logsigmoid(-negative).sum(1)).mean()


class UnsupervisedSAGETask(Task):
    """Train node embeddings ``model(x, graph) -> [N, d]`` with `negative_sampling_loss`.

    Every epoch draws ``walks_per_node`` fresh random walks of ``walk_length`` nodes from each
    training node (`graphseq.walks.random_walks`, seeded from the Trainer's generator),
    takes the node pairs at most ``window`` steps apart as positives, shuffles them into batches
    of ``batch_size`` pairs and draws ``num_negatives`` (``Q``) negatives per pair. Trained
    distributed, every rank draws the epoch's pairs alike and trains on its share of them.

    Args:
        data: PyG ``Data`` with ``x`` (dense or sparse; None: node ids are passed, for a model
            with learned node embeddings) and ``edge_index``.
        splits: ``{"train": mask or node ids}``, the nodes walks start from; default every node
            (the data's masks are labels' splits, not this task's).
        walk_length: nodes per walk for the positive pairs.
        walks_per_node: walks started from every training node per epoch.
        window: largest distance along a walk between the two nodes of a positive pair.
        num_negatives: ``Q``.
        batch_size: positive pairs per step.
        fanouts: None computes the embeddings of a batch's nodes on the full (training) graph;
            a list (e.g. ``[25, 10]``) samples a `MiniBatch` around them, with the Trainer's
            generator.
        replace: sample neighbours with replacement (with ``fanouts``).
        train_edge_index: the graph used for walks, negatives and message passing during
            training (inductive setting: the graph without the held-out nodes); default
            ``data.edge_index``.
        eval_pairs: size of the fixed, seeded set of pairs on which `evaluate` reports
            ``train_loss`` (the default early-stopping monitor).
        seed: seed of that evaluation set (and of its sampled blocks).

    `embed` returns the embeddings of all nodes on ``data.edge_index`` (the full graph).
    """

    eval_splits = ("train",)

    def __init__(
        self,
        data,
        *,
        splits: Mapping | None = None,
        walk_length: int = 5,
        walks_per_node: int = 1,
        window: int = 2,
        num_negatives: int = 5,
        batch_size: int = 512,
        fanouts: Sequence[int] | None = None,
        replace: bool = True,
        train_edge_index: torch.Tensor | None = None,
        eval_pairs: int = 2048,
        seed: int = 0,
    ):
        num_nodes = data.num_nodes
        check_features(getattr(data, "x", None), num_nodes)
        self.walk_length = check_int("walk_length", walk_length, minimum=2)
        self.walks_per_node = check_int("walks_per_node", walks_per_node)
        self.window = check_int("window", window)
        self.num_negatives = check_int("num_negatives", num_negatives)
        self.batch_size = check_int("batch_size", batch_size)
        self.data = data
        self.num_nodes = num_nodes
        self.train_edge_index = data.edge_index if train_edge_index is None else train_edge_index
        self.graph = CSRGraph.from_edge_index(self.train_edge_index, num_nodes)
        self.distribution = negative_sampling_distribution(self.graph)
        if splits is None:
            splits = {"train": torch.arange(num_nodes)}
        self.splits = resolve_splits(splits, num_nodes)
        if set(self.splits) != {"train"}:
            raise ValueError(
                "UnsupervisedSAGETask has one split, the nodes walks start from: pass "
                f"splits={{'train': ...}}, got {sorted(self.splits)}."
            )
        self.sampler = None
        if fanouts is not None:
            self.sampler = NeighborSampler(self.graph, fanouts, replace=replace)
        x = getattr(data, "x", None)
        if x is None:
            x = torch.arange(num_nodes)
        elif self.sampler is not None and x.layout not in (torch.strided, torch.sparse_csr):
            x = x.coalesce().to_sparse_csr()  # sampled batches gather rows of it
        self.x = x
        self.device = torch.device("cpu")
        generator = torch.Generator().manual_seed(check_int("seed", seed, minimum=None))
        self._eval_batch = self._batch(
            *self._pairs_and_negatives(generator, limit=eval_pairs), generator
        )

    # ------------------------------------------------------------------ data
    def _positive_pairs(self, generator: torch.Generator) -> torch.Tensor:
        walk_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        walks = random_walks(
            self.graph,
            self.walk_length,
            self.walks_per_node,
            seed=walk_seed,
            start_nodes=self.splits["train"],
        )
        return walk_cooccurrence_pairs(walks, self.window)

    def _pairs_and_negatives(self, generator, limit=None):
        pairs = self._positive_pairs(generator)
        pairs = pairs[:, torch.randperm(pairs.size(1), generator=generator)]
        if limit is not None:
            pairs = pairs[:, :limit]
        negatives = sample_negatives(
            self.distribution, (pairs.size(1), self.num_negatives), generator
        )
        return pairs[0], pairs[1], negatives

    def _batch(self, u, v, negatives, generator) -> dict:
        """One step's pairs, the distinct nodes they touch and, with ``fanouts``, their sampled
        blocks (drawn with ``generator``, so a seeded run repeats)."""
        nodes, inverse = torch.unique(torch.cat([u, v, negatives.flatten()]), return_inverse=True)
        blocks = None if self.sampler is None else self.sampler.sample(nodes, generator)
        return {"size": u.numel(), "nodes": nodes, "inverse": inverse, "blocks": blocks}

    def setup(self, model, device) -> None:
        self.device = device
        self.x = self.x.to(device)
        self.train_edge_index = self.train_edge_index.to(device)

    def train_batches(self, generator):
        u, v, negatives = self._pairs_and_negatives(generator)
        for start in range(0, u.numel(), self.batch_size):
            stop = start + self.batch_size
            yield self._batch(u[start:stop], v[start:stop], negatives[start:stop], generator)

    def rank_batches(self, generator, rank, world_size):
        # Every rank draws the whole epoch's pairs and negatives (cheap, and it keeps the
        # generators alike); the costly part, sampling and training, is split by pairs.
        u, v, negatives = self._pairs_and_negatives(generator)
        for share in epoch_shares(
            u.numel(), self.batch_size, generator, rank, world_size, shuffle=False
        ):
            index = share.items
            yield self._batch(u[index], v[index], negatives[index], share.generator), share

    # ------------------------------------------------------------------ loss
    def _embeddings_of(self, model, batch: dict):
        """Embeddings of the batch's nodes (sorted unique ids) on the training graph."""
        if batch["blocks"] is None:
            return model(self.x, self.train_edge_index)[batch["nodes"].to(self.device)]
        blocks = batch["blocks"].to(self.device)
        return model(gather_rows(self.x, blocks.n_id), blocks.blocks)

    def _loss(self, model, batch: dict) -> torch.Tensor:
        z = self._embeddings_of(model, batch)
        b, inverse = batch["size"], batch["inverse"].to(z.device)
        z_u, z_v = z[inverse[:b]], z[inverse[b : 2 * b]]
        z_n = z[inverse[2 * b :]].view(b, self.num_negatives, -1)
        return negative_sampling_loss(z_u, z_v, z_n)

    def training_step(self, model, batch) -> torch.Tensor:
        return self._loss(model, batch)

    def evaluate(self, model, splits) -> dict[str, float]:
        if "train" not in splits:
            return {}
        return {"train_loss": float(self._loss(model, self._eval_batch))}

    @torch.no_grad()
    def embed(self, model, edge_index: torch.Tensor | None = None) -> torch.Tensor:
        """``[N, d]`` embeddings of every node on ``edge_index`` (default the full graph)."""
        was_training = model.training
        model.eval()
        edge_index = self.data.edge_index if edge_index is None else edge_index
        x = self.x if self.x.dtype != torch.long else torch.arange(self.num_nodes)
        z = model(x.to(self.device), edge_index.to(self.device))
        model.train(was_training)
        return z
