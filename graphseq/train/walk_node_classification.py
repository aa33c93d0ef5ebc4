"""Node classification in mini-batches of nodes, each node represented by random walks from it
(for `WalkRNN`)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..graph import CSRGraph, validate_edge_index
from ..walks import random_walks
from .metrics import accuracy, f1_scores
from .node_classification import check_features
from .task import Task

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
    validation score that early stopping watches does not move with the walk sample.

    Args:
        data: PyG ``Data`` with ``edge_index``, ``y [N]``, masks, and ``x`` (or None for a
            feature-free model).
        walks_per_node: ``K``, walks per target node.
        walk_length: ``L``, nodes per walk (the target included).
        batch_size: target nodes per training batch.
        eval_seed: seed of the evaluation walks.
        use_features: pass ``data.x`` to the model (False: ``x=None``, learned embeddings).

    The model is called as ``model(x, walks [B, K, L]) -> logits [B, C]``. Metrics: ``loss``,
    ``acc``, ``micro_f1``, ``macro_f1`` per split; early stopping watches ``val_loss``.
    """

    monitor = "val_loss"
    mode = "min"

    def __init__(
        self,
        data,
        *,
        walks_per_node: int = 4,
        walk_length: int = 5,
        batch_size: int = 256,
        eval_seed: int = 0,
        use_features: bool = True,
        eval_batch_size: int = 2048,
    ):
        if getattr(data, "y", None) is None or data.y.dim() != 1:
            raise ValueError("data.y must hold one class id per node ([num_nodes]).")
        for name, value in (
            ("walks_per_node", walks_per_node),
            ("walk_length", walk_length),
            ("batch_size", batch_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        validate_edge_index(data.edge_index, data.num_nodes)
        if use_features:
            if getattr(data, "x", None) is None:
                raise ValueError("data.x is None: pass use_features=False to learn embeddings.")
            check_features(data.x, data.num_nodes)
        self.masks = {
            s: getattr(data, f"{s}_mask")
            for s in ("train", "val", "test")
            if getattr(data, f"{s}_mask", None) is not None
        }
        if "train" not in self.masks or not bool(self.masks["train"].any()):
            raise ValueError("data.train_mask is missing or selects no node.")
        self.data = data
        self.graph = CSRGraph.from_edge_index(data.edge_index, data.num_nodes)
        self.walks_per_node, self.walk_length = walks_per_node, walk_length
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.use_features = use_features
        self.num_classes = int(data.y.max()) + 1
        self.nodes = {s: m.nonzero().flatten() for s, m in self.masks.items()}
        self.eval_walks = {
            s: walks_from(self.graph, n, walks_per_node, walk_length, eval_seed + i)
            for i, (s, n) in enumerate(self.nodes.items())
        }
        self.device = torch.device("cpu")
        if "val" not in self.masks:
            self.monitor = "train_loss"

    def setup(self, model, device) -> None:
        self.device = device
        self.x = self.data.x.to(device) if self.use_features else None
        self.y = self.data.y.to(device)

    def train_batches(self, generator):
        nodes = self.nodes["train"]
        nodes = nodes[torch.randperm(nodes.numel(), generator=generator)]
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        walks = walks_from(self.graph, nodes, self.walks_per_node, self.walk_length, seed)
        for start in range(0, nodes.numel(), self.batch_size):
            stop = start + self.batch_size
            yield nodes[start:stop].to(self.device), walks[start:stop].to(self.device)

    def training_step(self, model, batch) -> torch.Tensor:
        nodes, walks = batch
        return F.cross_entropy(model(self.x, walks), self.y[nodes])

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for split in splits:
            if split not in self.nodes:
                continue
            walks = self.eval_walks[split]
            logits = torch.cat(
                [model(self.x, w.to(self.device)) for w in walks.split(self.eval_batch_size)]
            )
            y = self.y[self.nodes[split].to(self.device)]
            pred = logits.argmax(1)
            metrics[f"{split}_loss"] = float(F.cross_entropy(logits, y))
            metrics[f"{split}_acc"] = accuracy(pred, y)
            metrics[f"{split}_micro_f1"], metrics[f"{split}_macro_f1"] = f1_scores(
                pred, y, self.num_classes
            )
        return metrics
