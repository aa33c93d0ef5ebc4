"""Graph auto-encoders (Kipf & Welling 2016): a GCN encoder and an inner-product decoder.

    Z = GCN(X, A)                       encoder: two GCN layers, ReLU between them
    p(A_uv = 1 | Z) = σ(z_u · z_v)       decoder: the inner product of two node embeddings

The variational form (VGAE) encodes a Gaussian per node, ``z = μ + σ ⊙ ε`` in training (the mean
in evaluation), with ``KL(q(Z) || N(0, I))`` added to the reconstruction loss. Trained through the
common Trainer by `graphseq.train.LinkPredictionTask`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..nn.functional import dropout
from ..nn.gcn import GCNConv
from ..validation import check_int, check_probability
from .saving import SavableModule

__all__ = ["GAE"]


class GAE(SavableModule):
    """A graph auto-encoder (``variational=False``) or VGAE (``variational=True``).

    Args:
        in_channels: node features ``F``.
        hidden_channels: width of the first GCN layer (the paper's 32).
        out_channels: embedding size ``d`` (the paper's 16).
        variational: encode a mean and a log standard deviation per node (VGAE).
        dropout: on the encoder's input and hidden layer (the paper's 0).

    Shapes: ``forward(x [N, F], edge_index [2, E]) -> z [N, d]``;
    ``decode(z, pairs [2, P]) -> logits [P]`` (apply a sigmoid for probabilities).
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 32,
        out_channels: int = 16,
        *,
        variational: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        check_int("hidden_channels", hidden_channels)
        check_int("out_channels", out_channels)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.variational = bool(variational)
        self.dropout = check_probability("dropout", dropout)
        self.conv = GCNConv(in_channels, hidden_channels)
        self.conv_mu = GCNConv(hidden_channels, out_channels)
        self.conv_logstd = GCNConv(hidden_channels, out_channels) if variational else None
        self._kl = None

    def reset_parameters(self) -> None:
        for conv in (self.conv, self.conv_mu, self.conv_logstd):
            if conv is not None:
                conv.reset_parameters()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """Node embeddings ``[N, d]``: ``μ`` in evaluation, a sample in VGAE training."""
        h = F.relu(self.conv(dropout(x, self.dropout, self.training), edge_index))
        h = dropout(h, self.dropout, self.training)
        mu = self.conv_mu(h, edge_index)
        if not self.variational:
            return mu
        logstd = self.conv_logstd(h, edge_index).clamp(max=10.0)
        # KL(N(μ, σ²) || N(0, 1)) per node, averaged (Kipf & Welling's VGAE, eq. 3).
        self._kl = -0.5 * torch.mean(torch.sum(1 + 2 * logstd - mu**2 - logstd.exp() ** 2, dim=1))
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * logstd.exp()

    def decode(self, z: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """Edge logits ``z_u · z_v`` of ``pairs [2, P]``."""
        return (z[pairs[0]] * z[pairs[1]]).sum(-1)

    def kl_loss(self) -> torch.Tensor:
        """The KL term of the last forward (VGAE; 0 for a plain GAE)."""
        if self._kl is None:
            return torch.zeros(())
        return self._kl
