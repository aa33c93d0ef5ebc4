"""Full-batch node classification: the whole graph is one batch, splits choose the nodes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from ..io import edge_weights
from ..validation import check_edge_index, check_features, check_labels
from .metrics import classification_metrics
from .task import Task, resolve_splits

__all__ = ["NodeClassificationTask", "check_logits"]


def _default_forward(model: torch.nn.Module, x, edge_index, edge_weight) -> torch.Tensor:
    if edge_weight is not None:
        return model(x, edge_index, edge_weight)
    return model(x, edge_index)


def check_logits(logits: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``logits`` if it has a column per class (a clear error instead of an IndexError)."""
    if logits.dim() != 2 or logits.size(1) < num_classes:
        raise ValueError(
            f"the model returned logits of shape {list(logits.shape)}, but the labels have "
            f"{num_classes} classes: build its output layer with {num_classes} channels "
            f"(out_channels={num_classes})."
        )
    return logits


class NodeClassificationTask(Task):
    """Node classification on one graph, trained full-batch.

    Args:
        data: PyG ``Data`` with ``x`` (dense or sparse ``[N, F]``, may be None if ``forward`` does
            not use it), ``edge_index [2, E]`` (and ``edge_weight [E]``, or a one-column
            ``edge_attr``, if weighted), ``y``
            (``[N]`` class ids, or ``[N, L]`` 0/1 for multi-label).
        splits: split name -> bool mask or node ids; default the data's
            ``train_mask``/``val_mask``/``test_mask``. ``"train"`` is required.
        multilabel: multi-label (sigmoid + binary cross-entropy, thresholds at 0) or single-label
            (softmax + cross-entropy). Default: multi-label when ``y`` is 2-D.
        train_edge_index: the inductive setting: the graph the model sees while training and on
            the ``"train"``/``"val"`` splits (e.g. ``data.edge_index`` without the test nodes'
            edges); ``"test"`` is always scored on ``data.edge_index``. Build the model with
            ``cached=False`` then, since it sees two graphs. Unweighted.
        forward: ``forward(model, x, edge_index, edge_weight) -> logits [N, C]``; default
            ``model(x, edge_index[, edge_weight])``.

    Metrics per split: ``loss``, ``acc`` (exact match for multi-label), ``micro_f1``, ``macro_f1``.
    Early stopping watches ``val_loss`` by default (``train_loss`` without a validation split).
    """

    def __init__(
        self,
        data,
        *,
        splits: Mapping | None = None,
        multilabel: bool | None = None,
        train_edge_index: torch.Tensor | None = None,
        forward: Callable | None = None,
    ):
        num_nodes = data.num_nodes
        edge_weight = edge_weights(data)
        check_edge_index(data.edge_index, num_nodes, edge_weight, name="data.edge_index")
        if train_edge_index is not None:
            check_edge_index(train_edge_index, num_nodes, name="train_edge_index")
        check_features(getattr(data, "x", None), num_nodes)
        is_multilabel = check_labels(getattr(data, "y", None), num_nodes)
        self.multilabel = is_multilabel if multilabel is None else bool(multilabel)
        self.splits = resolve_splits(splits, num_nodes, data)
        if "train" not in self.splits:
            raise ValueError(
                "no training split: give data.train_mask or splits={'train': mask_or_ids, ...}."
            )
        if self.splits["train"].numel() == 0:
            raise ValueError("the training split selects no node.")
        self.data = data
        self.x = getattr(data, "x", None)
        self.y = data.y
        self.edge_weight = edge_weight
        self.edge_index = data.edge_index
        self.train_edge_index = train_edge_index
        self.forward = forward or _default_forward
        self.num_classes = data.y.size(1) if self.multilabel else int(data.y.max()) + 1

    def setup(self, model, device) -> None:
        self.device = device
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        self.x, self.y = move(self.x), move(self.y)
        self.edge_index, self.edge_weight = move(self.edge_index), move(self.edge_weight)
        self.train_edge_index = move(self.train_edge_index)
        self.splits = {name: index.to(device) for name, index in self.splits.items()}

    def _graph(self, split: str):
        """``(edge_index, edge_weight)`` the model sees for ``split``."""
        if self.train_edge_index is not None and split != "test":
            return self.train_edge_index, None
        return self.edge_index, self.edge_weight

    def logits(self, model, split: str = "train") -> torch.Tensor:
        """``[N, C]`` logits of every node on the graph used for ``split``."""
        return check_logits(self.forward(model, self.x, *self._graph(split)), self.num_classes)

    def loss(self, logits: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
        """The training loss of ``logits [len(nodes), C]`` for ``nodes``."""
        y = self.y[nodes]
        if self.multilabel:
            return F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype))
        return F.cross_entropy(logits, y)

    def train_batches(self, generator):
        return (self.splits["train"],)

    def training_step(self, model, batch) -> torch.Tensor:
        return self.loss(self.logits(model, "train")[batch], batch)

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        metrics: dict[str, float] = {}
        computed: dict = {}
        for split in splits:
            if split not in self.splits:
                continue
            graph = self._graph(split)
            key = id(graph[0])
            if key not in computed:
                computed[key] = check_logits(self.forward(model, self.x, *graph), self.num_classes)
            nodes = self.splits[split]
            scores = classification_metrics(
                computed[key][nodes], self.y[nodes], self.num_classes, self.multilabel
            )
            metrics.update({f"{split}_{name}": value for name, value in scores.items()})
        return metrics
