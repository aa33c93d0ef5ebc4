"""Full-batch node classification: the whole graph is one batch, masks choose the nodes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from ..graph import validate_edge_index
from .metrics import accuracy, f1_scores, multilabel_f1_scores
from .task import Task

__all__ = ["NodeClassificationTask", "check_features"]


def check_features(x: torch.Tensor | None, num_nodes: int, name: str = "data.x") -> None:
    """Raise a clear error for node features of the wrong shape or with NaN/inf values."""
    if x is None:
        return
    if x.dim() != 2 or x.size(0) != num_nodes:
        raise ValueError(f"{name} must have shape [num_nodes={num_nodes}, F], got {list(x.shape)}.")
    values = x.coalesce().values() if x.is_sparse else x
    if not bool(torch.isfinite(values).all()):
        raise ValueError(
            f"{name} contains NaN or infinite values; clean the features (e.g. torch.nan_to_num) "
            "before training."
        )


def _default_forward(model: torch.nn.Module, data) -> torch.Tensor:
    if getattr(data, "edge_weight", None) is not None:
        return model(data.x, data.edge_index, data.edge_weight)
    return model(data.x, data.edge_index)


class NodeClassificationTask(Task):
    """Node classification on one graph, trained full-batch.

    Args:
        data: PyG ``Data`` with ``x`` (dense or sparse ``[N, F]``, may be None if ``forward`` does
            not use it), ``edge_index [2, E]``, ``y`` (``[N]`` class ids, or ``[N, L]`` 0/1 for
            multi-label) and boolean masks.
        masks: split name -> attribute of ``data`` holding its mask; defaults to
            ``train_mask``/``val_mask``/``test_mask`` where present.
        multilabel: multi-label (sigmoid + binary cross-entropy, thresholds at 0) or single-label
            (softmax + cross-entropy). Default: multi-label when ``y`` is 2-D.
        forward: ``forward(model, data) -> logits [N, C]``; default ``model(data.x,
            data.edge_index[, data.edge_weight])``.

    Metrics per split: ``loss``, ``acc`` (exact match for multi-label), ``micro_f1``, ``macro_f1``.
    Early stopping watches ``val_loss`` by default.
    """

    monitor = "val_loss"
    mode = "min"

    def __init__(
        self,
        data,
        *,
        masks: dict[str, str] | None = None,
        multilabel: bool | None = None,
        forward: Callable[[torch.nn.Module, object], torch.Tensor] | None = None,
    ):
        if getattr(data, "y", None) is None:
            raise ValueError("data.y is missing: node classification needs labels.")
        num_nodes = data.num_nodes
        validate_edge_index(data.edge_index, num_nodes, getattr(data, "edge_weight", None))
        check_features(getattr(data, "x", None), num_nodes)
        if data.y.size(0) != num_nodes:
            raise ValueError(
                f"data.y has {data.y.size(0)} rows but the graph has {num_nodes} nodes."
            )
        self.multilabel = data.y.dim() == 2 if multilabel is None else multilabel
        if masks is None:
            masks = {s: f"{s}_mask" for s in ("train", "val", "test") if hasattr(data, f"{s}_mask")}
        if "train" not in masks:
            raise ValueError(
                "no training mask: give data.train_mask or masks={'train': 'my_mask', ...}."
            )
        self.masks = {}
        for split, attribute in masks.items():
            mask = getattr(data, attribute, None)
            if mask is None:
                raise ValueError(f"data has no attribute {attribute!r} for split {split!r}.")
            if mask.dtype != torch.bool or mask.shape != (num_nodes,):
                raise ValueError(
                    f"data.{attribute} must be a bool tensor of shape [{num_nodes}], "
                    f"got {mask.dtype} {list(mask.shape)}."
                )
            self.masks[split] = mask
        if not bool(self.masks["train"].any()):
            raise ValueError("the training mask selects no node.")
        self.data = data
        self.forward = forward or _default_forward
        self.num_classes = data.y.size(1) if self.multilabel else int(data.y.max()) + 1
        if "val" not in self.masks:
            self.monitor = "train_loss"

    def setup(self, model, device) -> None:
        self.data = self.data.to(device)
        self.masks = {k: v.to(device) for k, v in self.masks.items()}

    def train_batches(self, generator):
        return (self.data,)

    def _loss(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        y = self.data.y[mask]
        if self.multilabel:
            return F.binary_cross_entropy_with_logits(logits[mask], y.float())
        return F.cross_entropy(logits[mask], y)

    def training_step(self, model, batch) -> torch.Tensor:
        return self._loss(self.forward(model, batch), self.masks["train"])

    def evaluate(self, model, splits: Sequence[str]) -> dict[str, float]:
        logits = self.forward(model, self.data)
        metrics: dict[str, float] = {}
        for split in splits:
            if split not in self.masks:
                continue
            mask = self.masks[split]
            y = self.data.y[mask]
            metrics[f"{split}_loss"] = float(self._loss(logits, mask))
            if self.multilabel:
                pred = logits[mask] > 0
                target = y > 0
                metrics[f"{split}_acc"] = float((pred == target).all(1).float().mean())
                micro, macro = multilabel_f1_scores(pred, target)
            else:
                pred = logits[mask].argmax(1)
                metrics[f"{split}_acc"] = accuracy(pred, y)
                micro, macro = f1_scores(pred, y, self.num_classes)
            metrics[f"{split}_micro_f1"] = micro
            metrics[f"{split}_macro_f1"] = macro
        return metrics
