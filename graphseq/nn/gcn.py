"""Normalized graph convolution (Kipf & Welling 2017), a drop-in for PyG's ``GCNConv``.

    X' = D̂^-1/2 Â D̂^-1/2 X W + b      normalize=True (the default)
    X' = D̂^-1 Â X W + b               normalize="rw" (random-walk normalization)
    X' = A X W + b                    normalize=False

with ``Â = A + I`` (``A + 2I`` with ``improved=True``) and ``D̂_ii = sum_j Â_ij``. Edges follow
PyG's convention: ``edge_index[0]`` is the source, ``edge_index[1]`` the target, and a node
aggregates over its incoming edges (so the degree is the weighted in-degree).

The normalized adjacency is built as one sparse CSR matrix and applied with a sparse-dense
product; there is no per-edge message tensor, and sparse input features are multiplied by ``W``
without being densified.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn
from torch_geometric.nn.dense.linear import Linear, is_uninitialized_parameter

from ..validation import check_channels, check_choice, check_edge_index, check_int
from .functional import sparse_dense_product, transpose_csr

__all__ = ["GCNConv", "adjacency_to_edge_index", "linear", "normalized_adjacency"]

# CSR is what makes the product fast on CPU; its "beta" notice is noise for our users.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")

_NORMALIZATIONS = ("sym", "rw")


def normalized_adjacency(
    edge_index: torch.Tensor,
    num_nodes: int,
    edge_weight: torch.Tensor | None = None,
    *,
    add_self_loops: bool = True,
    normalization: str | None = "sym",
    self_loop_weight: float = 1.0,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """The propagation matrix ``P`` such that a layer computes ``P @ (X W)``.

    Args:
        edge_index: ``LongTensor [2, E]`` (source, target).
        num_nodes: ``N``.
        edge_weight: optional ``[E]`` weights; 1 for every edge when omitted.
        add_self_loops: add ``self_loop_weight * I`` (a node that already has a self-loop keeps
            its weight, like PyG's ``add_remaining_self_loops``).
        normalization: ``"sym"`` for ``D^-1/2 Â D^-1/2``, ``"rw"`` for ``D^-1 Â``, or ``None``.
        dtype: of the matrix's values (default: ``edge_weight``'s, else float32).

    Returns:
        sparse CSR ``[N, N]`` with ``P[target, source]`` = normalized weight; duplicate edges
        are summed. Its index tensors are int32 when ``N`` and the entry count fit (they
        always do below 2^31 entries), else int64.
    """
    if normalization is not None:
        check_choice("normalization", normalization, _NORMALIZATIONS)
    edge_index, num_nodes, edge_weight = check_edge_index(edge_index, num_nodes, edge_weight)
    source, target = edge_index
    if dtype is None:
        dtype = edge_weight.dtype if edge_weight is not None else torch.get_default_dtype()
    if edge_weight is None:
        edge_weight = torch.ones(source.numel(), device=source.device, dtype=dtype)
    edge_weight = edge_weight.to(source.device, dtype)
    if add_self_loops:
        is_loop = source == target
        loop_weight = torch.full(
            (num_nodes,), float(self_loop_weight), device=source.device, dtype=dtype
        )
        loop_weight[source[is_loop]] = edge_weight[is_loop]
        nodes = torch.arange(num_nodes, device=source.device)
        source = torch.cat([source[~is_loop], nodes])
        target = torch.cat([target[~is_loop], nodes])
        edge_weight = torch.cat([edge_weight[~is_loop], loop_weight])
    if normalization is not None:
        degree = torch.zeros(num_nodes, device=source.device, dtype=dtype)
        degree.index_add_(0, target, edge_weight)
        if normalization == "sym":
            inv_sqrt = degree.pow(-0.5).masked_fill_(degree == 0, 0.0)
            edge_weight = inv_sqrt[source] * edge_weight * inv_sqrt[target]
        else:
            inv = degree.reciprocal().masked_fill_(degree == 0, 0.0)
            edge_weight = edge_weight * inv[target]
    return _csr_matrix(target, source, edge_weight, num_nodes)


def _csr_matrix(row, col, values, size: int) -> torch.Tensor:
    """Sparse CSR ``[size, size]`` with ``values`` at ``(row, col)``, duplicates summed.

    One stable sort of the keys ``row * size + col``, then the CSR arrays read off the sorted
    keys: about 40 bytes per entry at the peak, where a COO ``coalesce`` and a conversion to
    CSR take about 100 (the peak of a large full-graph GCN's first epoch)."""
    key = row * max(size, 1) + col
    key, order = torch.sort(key, stable=True)
    values = values[order]
    del order
    if key.numel() > 1:
        fresh = torch.ones(key.numel(), dtype=torch.bool, device=key.device)
        torch.ne(key[1:], key[:-1], out=fresh[1:])
        if not bool(fresh.all()):
            group = torch.cumsum(fresh, 0) - 1
            values = torch.zeros(int(group[-1]) + 1, dtype=values.dtype, device=values.device)\
                .index_add_(0, group, values)  # fmt: skip
            key = key[fresh]
    rows = torch.div(key, max(size, 1), rounding_mode="floor")
    crow = torch.zeros(size + 1, dtype=torch.long, device=key.device)
    torch.cumsum(torch.bincount(rows, minlength=size), 0, out=crow[1:])
    columns = key.sub_(rows.mul_(max(size, 1)))
    del rows
    if key.numel() < 2**31 and size < 2**31:
        # int32 indices: a third less memory per stored entry (values are 4 bytes), and
        # torch's CSR product reads them faster; same numbers.
        crow, columns = crow.int(), columns.int()
    return torch.sparse_csr_tensor(crow, columns, values, (size, size), check_invariants=False)


def adjacency_to_edge_index(adj_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(edge_index [2, E], edge_weight [E])`` of a torch sparse adjacency in PyG's ``adj_t``
    layout (``adj_t[target, source]``, COO or CSR)."""
    if adj_t.layout == torch.sparse_csr:
        rows = torch.repeat_interleave(
            torch.arange(adj_t.size(0), device=adj_t.device), adj_t.crow_indices().diff()
        )
        cols, values = adj_t.col_indices(), adj_t.values()
    elif adj_t.layout == torch.sparse_coo:
        adj_t = adj_t.coalesce()
        rows, cols = adj_t.indices()
        values = adj_t.values()
    else:
        raise TypeError(
            f"a sparse adjacency must be a torch sparse COO or CSR tensor, got {adj_t.layout}; "
            "convert it with .to_sparse_csr()."
        )
    return torch.stack([cols, rows]), values


def linear(lin: Linear, x: torch.Tensor, x_t: torch.Tensor | None = None) -> torch.Tensor:
    """``lin(x)`` for a PyG ``Linear`` and dense or sparse (COO/CSR) ``x [N, F]``.

    Sparse ``x`` stays sparse: ``x @ W^T`` is a sparse-dense product whose backward uses
    ``x_t``, ``x``'s CSR transpose, when given (`graphseq.nn.functional.sparse_dense_product`).
    A lazy layer (``in_channels=-1``) is initialized here on its first input, as PyG does.
    """
    if is_uninitialized_parameter(lin.weight):
        lin.initialize_parameters(lin, (x,))
    if x.layout == torch.strided:
        return lin(x)
    out = sparse_dense_product(x, lin.weight.t(), x_t)
    return out if lin.bias is None else out + lin.bias


def _check_x(layer: nn.Module, x) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{type(layer).__name__} expects x of shape [num_nodes, F], got {shape}.")
    expected = layer.in_channels if isinstance(layer.in_channels, int) else -1
    if expected > 0 and x.size(1) != expected:
        raise ValueError(
            f"{type(layer).__name__} expects x of shape [num_nodes, in_channels={expected}], "
            f"got {list(x.shape)}; the layer was built for {expected} input features."
        )


class GCNConv(nn.Module):
    """Graph convolution ``X' = P X W + b`` with ``P`` from `normalized_adjacency`.

    The arguments, their order and defaults, the call and the parameters (``lin.weight [C, F]``,
    ``bias [C]``, so ``load_state_dict`` works both ways) are those of
    ``torch_geometric.nn.GCNConv``, and the same weights give the same numbers.

    Args:
        in_channels: input features per node ``F``, or ``-1`` to take it from the first input.
        out_channels: output features per node ``C``.
        improved: ``Â = A + 2I`` instead of ``A + I``.
        cached: compute ``P`` on the first call and reuse it afterwards. Only for a fixed graph
            (transductive training); the cache ignores later ``edge_index`` arguments.
        add_self_loops: add the self-loops of ``Â``; default: when normalizing (as PyG, adding
            them without normalization is an error).
        normalize: ``True`` (or ``"sym"``) for ``D^-1/2 Â D^-1/2``, ``"rw"`` for ``D^-1 Â``,
            ``False`` to propagate with ``A`` (or ``Â``) as it is.
        bias: learn an additive bias ``b [C]``.

    Shapes:
        ``x``: ``[N, F]`` dense, or sparse COO/CSR (stays sparse); the graph: ``edge_index [2, E]``
        or a torch sparse adjacency ``adj_t [N, N]`` (``adj_t[target, source]``, its values the
        weights); ``edge_weight``: ``[E]`` or None; output ``[N, C]`` in ``x``'s dtype.

    Edge weights are constants here: gradients reach ``x`` and the parameters, not
    ``edge_weight``. Not supported (see the layer guide): PyG's ``SparseTensor``, ``flow``,
    ``torch.jit`` scripting and explain hooks.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        improved: bool = False,
        cached: bool = False,
        add_self_loops: bool | None = None,
        normalize: bool | str = True,
        bias: bool = True,
    ):
        super().__init__()
        check_channels("in_channels", in_channels)
        check_int("out_channels", out_channels)
        if normalize not in (True, False, "sym", "rw"):
            raise ValueError(f"normalize must be True, False, 'sym' or 'rw', got {normalize!r}.")
        if add_self_loops is None:
            add_self_loops = bool(normalize)
        if add_self_loops and not normalize:
            raise ValueError(
                "'GCNConv' does not support adding self-loops to the graph when no on-the-fly "
                "normalization is applied"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.improved = improved
        self.cached = cached
        self.add_self_loops = add_self_loops
        self.normalize = normalize
        # PyG's Linear draws its own initialization when built; ours below replaces it, so those
        # draws must not consume the random stream (the same seed gives the same weights as
        # before graphseq used PyG's Linear).
        with torch.random.fork_rng(devices=[]):
            self.lin = Linear(in_channels, out_channels, bias=False, weight_initializer="glorot")
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cached_adjacency: tuple[torch.Tensor, torch.Tensor] | None = None
        self.reset_parameters()

    @property
    def normalization(self) -> str | None:
        """The normalization of `normalized_adjacency`: ``"sym"``, ``"rw"`` or None."""
        if not self.normalize:
            return None
        return "sym" if self.normalize is True else self.normalize

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias (as Kipf & Welling and PyG); clears the cache."""
        if not is_uninitialized_parameter(self.lin.weight):
            # Drawn in [F, C] order and stored transposed: the same seed gives the weights
            # graphseq's GCNConv always had (PyG draws the same distribution in [C, F] order).
            fan_in, fan_out = self.lin.weight.size(1), self.lin.weight.size(0)
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            weight = torch.empty(fan_in, fan_out, dtype=self.lin.weight.dtype)
            nn.init.uniform_(weight, -bound, bound)
            with torch.no_grad():
                self.lin.weight.copy_(weight.t())
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._cached_adjacency = None

    def adjacency(
        self, edge_index: torch.Tensor, num_nodes: int, edge_weight=None, dtype=None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The propagation matrix for this layer's options and, when ``cached=True``, its
        transpose (both CSR ``[N, N]``, computed once and reused)."""
        if self.cached and self._cached_adjacency is not None:
            return self._cached_adjacency
        if edge_index.layout != torch.strided:
            if edge_weight is not None:
                raise ValueError(
                    "edge_weight must be None with a sparse adjacency: its values are the weights."
                )
            edge_index, edge_weight = adjacency_to_edge_index(edge_index)
        adjacency = normalized_adjacency(
            edge_index,
            num_nodes,
            edge_weight,
            add_self_loops=self.add_self_loops,
            normalization=self.normalization,
            self_loop_weight=2.0 if self.improved else 1.0,
            dtype=dtype,
        )
        if not self.cached:
            # Without a cache, a transpose would cost as much as the backward pass saves.
            return adjacency, None
        # (an undirected graph's P is symmetric: its "transpose" is P itself, one copy)
        self._cached_adjacency = (adjacency, transpose_csr(adjacency))
        return self._cached_adjacency

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None
    ) -> torch.Tensor:
        if isinstance(x, (tuple, list)):
            raise ValueError(
                "'GCNConv' received a tuple of node features as input while this layer does not "
                "support bipartite message passing. Please try other layers such as 'SAGEConv' "
                "instead"
            )
        _check_x(self, x)
        if isinstance(edge_index, torch.Tensor) and edge_index.layout != torch.strided:
            if edge_index.dim() != 2 or edge_index.size(0) != edge_index.size(1):
                raise ValueError(
                    f"a sparse adjacency must be square [N, N], got {list(edge_index.shape)}."
                )
        adjacency, adjacency_t = self.adjacency(edge_index, x.size(0), edge_weight, x.dtype)
        if adjacency.size(0) != x.size(0):
            raise ValueError(
                f"x has {x.size(0)} nodes but the (cached) adjacency has {adjacency.size(0)}; "
                "use cached=False when the graph changes between calls."
            )
        # Transform first: multiplying by W before propagating keeps the sparse product narrow.
        out = sparse_dense_product(adjacency, linear(self.lin, x), adjacency_t)
        if self.bias is not None:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"
