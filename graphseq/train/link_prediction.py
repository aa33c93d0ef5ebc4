"""Link prediction through the Trainer: a model embeds the training graph, pairs are scored by
the inner product of their embeddings (a graph auto-encoder's decoder)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..link_prediction import EdgeSplit, link_metrics, sample_non_edges
from ..validation import check_features, check_int
from .task import Task

__all__ = ["LinkPredictionTask"]


class LinkPredictionTask(Task):
    """Train ``model(x, train_edge_index) -> z [N, d]`` to tell the training edges from non-edges.

    Every epoch is one full-graph step: the training graph's edges (each unordered pair once
    when undirected) are the positives, and as many non-edges of the training graph (drawn afresh
    with the Trainer's generator) the negatives; the loss is the binary cross-entropy of the
    decoder's logits ``model.decode(z, pairs)`` (the inner product when the model has no
    ``decode``), plus ``model.kl_loss()`` / N for a variational model. Nothing of the held-out
    edges is seen in training: they are only scored by `evaluate`.

    Args:
        data: PyG ``Data`` with node features ``x`` (None: one-hot node ids, as Kipf & Welling
            do for featureless graphs).
        split: an `graphseq.link_prediction.EdgeSplit` of ``data``.
        negatives_per_edge: non-edges drawn per training edge each epoch.

    Metrics per split (``"val"``, ``"test"``): ``roc_auc``, ``ap`` and ``hits@K``; early stopping
    watches ``val_roc_auc`` (maximized).
    """

    monitor_metric = "roc_auc"
    eval_splits = ("val",)

    def __init__(self, data, split: EdgeSplit, *, negatives_per_edge: int = 1):
        if not isinstance(split, EdgeSplit):
            raise TypeError(
                "split must be a graphseq.link_prediction.EdgeSplit (from split_edges(data)); got "
                f"{type(split).__name__}."
            )
        if split.num_nodes != data.num_nodes:
            raise ValueError(
                f"the split has {split.num_nodes} nodes but data has {data.num_nodes}; split this "
                "graph's edges with split_edges(data)."
            )
        x = getattr(data, "x", None)
        check_features(x, data.num_nodes)
        if x is None:
            n = data.num_nodes
            x = torch.sparse_coo_tensor(
                torch.arange(n).repeat(2, 1), torch.ones(n), (n, n), check_invariants=False
            ).coalesce()
        self.x = x
        self.split = split
        self.negatives_per_edge = check_int("negatives_per_edge", negatives_per_edge)
        edges = split.train_edge_index
        edges = edges[:, edges[0] != edges[1]]
        self.positives = edges if split.directed else edges[:, edges[0] < edges[1]]
        self.splits = {"train": self.positives, "val": split.val_pos, "test": split.test_pos}
        self.device = torch.device("cpu")

    def setup(self, model, device) -> None:
        self.device = device
        self.x = self.x.to(device)
        self.train_edge_index = self.split.train_edge_index.to(device)

    def train_batches(self, generator):
        negatives = sample_non_edges(
            self.split.train_edge_index,
            self.split.num_nodes,
            self.negatives_per_edge * self.positives.size(1),
            directed=self.split.directed,
            generator=generator,
        )
        return ((self.positives, negatives),)

    @staticmethod
    def _decode(model, z, pairs):
        decode = getattr(model, "decode", None)
        if decode is not None:
            return decode(z, pairs)
        return (z[pairs[0]] * z[pairs[1]]).sum(-1)

    def training_step(self, model, batch) -> torch.Tensor:
        positives, negatives = (t.to(self.device) for t in batch)
        z = model(self.x, self.train_edge_index)
        logits = torch.cat([self._decode(model, z, positives), self._decode(model, z, negatives)])
        labels = torch.cat([torch.ones(positives.size(1)), torch.zeros(negatives.size(1))])
        loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits))
        kl = getattr(model, "kl_loss", None)
        if kl is not None and getattr(model, "variational", False):
            loss = loss + kl() / self.split.num_nodes
        return loss

    def embed(self, model) -> torch.Tensor:
        """``[N, d]`` embeddings of every node on the training graph (eval mode)."""
        was_training = model.training
        model.eval()
        with torch.no_grad():
            z = model(self.x, self.train_edge_index)
        model.train(was_training)
        return z

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        wanted = [s for s in splits if s in ("val", "test")]
        if not wanted:
            return metrics
        z = model(self.x, self.train_edge_index)
        for split in wanted:
            pairs, labels = self.split.pairs(split)
            scores = self._decode(model, z, pairs.to(z.device))
            for name, value in link_metrics(scores, labels).items():
                metrics[f"{split}_{name}"] = value
        return metrics
