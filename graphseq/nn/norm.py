"""Normalization layers for graph-level vectors."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["GraphBatchNorm"]


class GraphBatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` over graph vectors ``[G, C]`` that accepts a training batch of one graph.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel, with the batch's
    statistics in training (updating the running ones) and the running ones in evaluation.
    A batch of one graph has no batch statistics (the last batch of an epoch can be that
    small: NCI1's is), so in training it is standardized with the running ones, as in
    evaluation, instead of raising (and leaves them unchanged).

    Used after a graph readout (`graphseq.models.GraphClassifier`'s ``readout_norm``), whose
    sums grow with the graph's size, and on the summed features of
    `graphseq.models.StructureAgnosticBaseline`.

    Shapes: ``x [G, C]`` -> ``[G, C]``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and x.size(0) == 1:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, eps=self.eps
            )
        return super().forward(x)
