"""Normalized graph convolution (Kipf & Welling 2017).

    X' = D̂^-1/2 (A + I) D̂^-1/2 X W + b      normalization="sym" (the default)
    X' = D̂^-1 (A + I) X W + b               normalization="rw" (random-walk normalization)

with ``D̂_ii = sum_j (A + I)_ij``. Edges follow PyG's convention: ``edge_index[0]``
is the source, ``edge_index[1]`` the target, and a node aggregates over its incoming edges (so the
degree is the weighted in-degree, as in ``torch_geometric.nn.GCNConv``).

The normalized adjacency is built as one sparse CSR matrix and applied with a sparse-dense
product; there is no per-edge message tensor, and sparse input features are multiplied by ``W``
without being densified.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

from ..graph import validate_edge_index
from .functional import matmul, sparse_dense_product, transpose_csr

__all__ = ["GCNConv", "normalized_adjacency"]

# CSR is what makes the product fast on CPU; its "beta" notice is noise for our users.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")

_NORMALIZATIONS = ("sym", "rw")


def normalized_adjacency(
    edge_index: torch.Tensor,
    num_nodes: int,
    edge_weight: torch.Tensor | None = None,
    *,
    add_self_loops: bool = True,
    normalization: str = "sym",
    self_loop_weight: float = 1.0,
) -> torch.Tensor:
    """The propagation matrix ``P`` such that a layer computes ``P @ (X W)``.

    Args:
        edge_index: ``LongTensor [2, E]`` (source, target).
        num_nodes: ``N``.
        edge_weight: optional ``FloatTensor [E]``; 1 for every edge when omitted.
        add_self_loops: add ``I`` (a node that already has a self-loop keeps its weight, the
            others get ``self_loop_weight``, like PyG's ``add_remaining_self_loops``).
        normalization: ``"sym"`` for ``D^-1/2 (A+I) D^-1/2``, ``"rw"`` for ``D^-1 (A+I)``, or
            ``None`` for no normalization.

    Returns:
        sparse CSR ``FloatTensor [N, N]`` with ``P[target, source]`` = normalized weight;
        duplicate edges are summed.
    """
    if normalization not in (*_NORMALIZATIONS, None):
        raise ValueError(
            f"normalization must be one of {_NORMALIZATIONS} or None, got {normalization!r}."
        )
    edge_index, num_nodes, edge_weight = validate_edge_index(edge_index, num_nodes, edge_weight)
    source, target = edge_index
    if edge_weight is None:
        edge_weight = torch.ones(source.numel(), device=source.device)
    edge_weight = edge_weight.to(source.device)
    if add_self_loops:
        is_loop = source == target
        loop_weight = torch.full((num_nodes,), float(self_loop_weight), device=source.device)
        loop_weight[source[is_loop]] = edge_weight[is_loop]
        nodes = torch.arange(num_nodes, device=source.device)
        source = torch.cat([source[~is_loop], nodes])
        target = torch.cat([target[~is_loop], nodes])
        edge_weight = torch.cat([edge_weight[~is_loop], loop_weight])
    if normalization is not None:
        degree = torch.zeros(num_nodes, device=source.device).index_add_(0, target, edge_weight)
        if normalization == "sym":
            inv_sqrt = degree.pow(-0.5).masked_fill_(degree == 0, 0.0)
            edge_weight = inv_sqrt[source] * edge_weight * inv_sqrt[target]
        else:
            inv = degree.reciprocal().masked_fill_(degree == 0, 0.0)
            edge_weight = edge_weight * inv[target]
    matrix = torch.sparse_coo_tensor(
        torch.stack([target, source]), edge_weight, (num_nodes, num_nodes), check_invariants=False
    ).coalesce()
    return matrix.to_sparse_csr()


class GCNConv(nn.Module):
    """Graph convolution ``X' = P X W + b`` with ``P`` from `normalized_adjacency`.

    Args:
        in_channels: input features per node ``F``.
        out_channels: output features per node ``C``.
        add_self_loops: use ``A + I`` (default) or ``A``.
        normalization: ``"sym"`` (default, Kipf & Welling), ``"rw"`` (``D^-1 (A+I)``) or None.
        cached: compute ``P`` on the first call and reuse it afterwards. Only for a fixed graph
            (transductive training); the cache ignores later ``edge_index`` arguments.
        bias: learn an additive bias ``b [C]``.

    Shapes:
        ``x``: ``[N, F]`` dense, or sparse COO/CSR (stays sparse); ``edge_index``: ``[2, E]``;
        ``edge_weight``: ``[E]`` or None; output ``[N, C]``.

    Edge weights are constants here: gradients reach ``x`` and the parameters, not
    ``edge_weight``.

    Parameters mirror PyG's layer: ``weight [F, C]`` is ``torch_geometric.nn.GCNConv.lin.weight.T``
    and ``bias [C]`` is its ``bias``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        add_self_loops: bool = True,
        normalization: str | None = "sym",
        cached: bool = False,
        bias: bool = True,
    ):
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"in_channels and out_channels must be >= 1, got {in_channels}, {out_channels}."
            )
        if normalization not in (*_NORMALIZATIONS, None):
            raise ValueError(
                f"normalization must be one of {_NORMALIZATIONS} or None, got {normalization!r}."
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.add_self_loops = add_self_loops
        self.normalization = normalization
        self.cached = cached
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cached_adjacency: tuple[torch.Tensor, torch.Tensor] | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias (as Kipf & Welling and PyG); clears the cache."""
        bound = math.sqrt(6.0 / (self.in_channels + self.out_channels))
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._cached_adjacency = None

    def adjacency(
        self, edge_index: torch.Tensor, num_nodes: int, edge_weight: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The propagation matrix for this layer's options and, when ``cached=True``, its
        transpose (both CSR ``[N, N]``, computed once and reused)."""
        if self.cached and self._cached_adjacency is not None:
            return self._cached_adjacency
        adjacency = normalized_adjacency(
            edge_index,
            num_nodes,
            edge_weight,
            add_self_loops=self.add_self_loops,
            normalization=self.normalization,
        )
        if not self.cached:
            # Without a cache, a transpose would cost as much as the backward pass saves.
            return adjacency, None
        self._cached_adjacency = (adjacency, transpose_csr(adjacency))
        return self._cached_adjacency

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"GCNConv expects x of shape [num_nodes, in_channels={self.in_channels}], "
                f"got {list(x.shape)}."
            )
        adjacency, adjacency_t = self.adjacency(edge_index, x.size(0), edge_weight)
        if adjacency.size(0) != x.size(0):
            raise ValueError(
                f"x has {x.size(0)} nodes but the (cached) adjacency has {adjacency.size(0)}; "
                "use cached=False when the graph changes between calls."
            )
        # Transform first: multiplying by W before propagating keeps the sparse product narrow.
        out = sparse_dense_product(adjacency, matmul(x, self.weight), adjacency_t)
        if self.bias is not None:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"normalization={self.normalization!r})"
        )
