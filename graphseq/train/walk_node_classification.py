"""Node classification in mini-batches of nodes, each node represented by random walks from it
(for `WalkRNN`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F

from ..graph import CSRGraph
from ..validation import check_edge_index, check_features, check_int, check_labels
from ..walks import random_walks
from .metrics import classification_metrics
from .node_classification import check_logits
from .sharding import epoch_shares
from .task import Task, resolve_splits

__all__ = ["WalkNodeClassificationTask", "walks_from"]


def walks_from(graph: CSRGraph, nodes: torch.Tensor, walks_per_node: int, walk_length: int, seed):
    """``walks_per_node`` walks of ``walk_length`` nodes from each of ``nodes``:
    ``LongTensor [len(nodes), walks_per_node, walk_length]``; a walk stuck at a node without
    edges repeats it."""
    walks = random_walks(
        graph, walk_length, walks_per_node, seed=seed, start_nodes=nodes, dead_end="stay"
    )
    # random_walks returns the k-th walk of every start node as block k.
    return walks.view(walks_per_node, nodes.numel(), walk_length).transpose(0, 1)


class WalkNodeClassificationTask(Task):
    """Single-label node classification on one graph, trained in shuffled node mini-batches.

    Every epoch draws fresh walks for the training nodes (seeded from the Trainer's generator,
    so runs repeat); evaluation walks are drawn once with ``eval_seed`` and kept, so the
    validation score that early stopping watches does not move with the walk sample. Trained
    distributed, each rank walks from its own share of the nodes of each step only, seeded by
    that share.

    Args:
        data: PyG ``Data`` with ``edge_index``, ``y [N]``, and ``x`` (or None for a
            feature-free model).
        splits: split name -> bool mask or node ids; default the data's masks.
        walks_per_node: ``K``, walks per target node.
        walk_length: ``L``, nodes per walk (the target included).
        batch_size: target nodes per training batch.
        eval_seed: seed of the evaluation walks.
        use_features: pass ``data.x`` to the model (False: ``x=None``, learned embeddings).

    The model is called as ``model(x, walks [B, K, L]) -> logits [B, C]``. Metrics: ``loss``,
    ``acc``, ``micro_f1``, ``macro_f1`` per split; early stopping watches ``val_loss``.
    """

    def __init__(
        self,
        data,
        *,
        splits: Mapping | None = None,
        walks_per_node: int = 4,
        walk_length: int = 5,
        batch_size: int = 256,
        eval_seed: int = 0,
        use_features: bool = True,
        eval_batch_size: int = 2048,
    ):
        check_edge_index(data.edge_index, data.num_nodes, name="data.edge_index")
        if check_labels(getattr(data, "y", None), data.num_nodes):
            raise ValueError("data.y must hold one class id per node ([num_nodes]).")
        self.walks_per_node = check_int("walks_per_node", walks_per_node)
        self.walk_length = check_int("walk_length", walk_length)
        self.batch_size = check_int("batch_size", batch_size)
        self.eval_batch_size = check_int("eval_batch_size", eval_batch_size)
        if use_features:
            if getattr(data, "x", None) is None:
                raise ValueError("data.x is None: pass use_features=False to learn embeddings.")
            check_features(data.x, data.num_nodes)
        self.splits = resolve_splits(splits, data.num_nodes, data)
        if "train" not in self.splits or self.splits["train"].numel() == 0:
            raise ValueError("no training nodes: give data.train_mask or splits={'train': ...}.")
        self.data = data
        self.graph = CSRGraph.from_edge_index(data.edge_index, data.num_nodes)
        self.use_features = use_features
        self.num_classes = int(data.y.max()) + 1
        self.eval_walks = {
            s: walks_from(self.graph, n, walks_per_node, walk_length, eval_seed + i)
            for i, (s, n) in enumerate(self.splits.items())
            if n.numel()
        }
        self.device = torch.device("cpu")

    def setup(self, model, device) -> None:
        self.device = device
        self.x = self.data.x.to(device) if self.use_features else None
        self.y = self.data.y.to(device)

    def train_batches(self, generator):
        nodes = self.splits["train"]
        nodes = nodes[torch.randperm(nodes.numel(), generator=generator)]
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        walks = walks_from(self.graph, nodes, self.walks_per_node, self.walk_length, seed)
        for start in range(0, nodes.numel(), self.batch_size):
            stop = start + self.batch_size
            yield nodes[start:stop].to(self.device), walks[start:stop].to(self.device)

    def rank_batches(self, generator, rank, world_size):
        for share in epoch_shares(
            self.splits["train"], self.batch_size, generator, rank, world_size
        ):
            nodes = share.items
            walks = walks_from(self.graph, nodes, self.walks_per_node, self.walk_length, share.seed)
            yield (nodes.to(self.device), walks.to(self.device)), share

    def training_step(self, model, batch) -> torch.Tensor:
        nodes, walks = batch
        logits = check_logits(model(self.x, walks), self.num_classes)
        return F.cross_entropy(logits, self.y[nodes])

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for split in splits:
            if split not in self.eval_walks:
                continue  # unknown or empty split
            walks = self.eval_walks[split]
            logits = torch.cat(
                [model(self.x, w.to(self.device)) for w in walks.split(self.eval_batch_size)]
            )
            y = self.y[self.splits[split].to(self.device)]
            scores = classification_metrics(
                check_logits(logits, self.num_classes), y, self.num_classes
            )
            metrics.update({f"{split}_{name}": value for name, value in scores.items()})
        return metrics
