"""GraphSAGE convolution (Hamilton et al. 2017), a drop-in for PyG's ``SAGEConv``.

The algorithm, for one layer ``k`` and every node ``v``::

    h_N(v) = AGGREGATE_k({h_u : u in N(v)})               (ReLU(W_pool h_u + b) first: project)
    h_v    = σ(W_k · CONCAT(h_v, h_N(v)))                  (σ is applied by the model)
    h_v    = h_v / ||h_v||_2                               (normalize=True)

``W_k · CONCAT(h_v, h_N(v))`` is computed as ``lin_l(h_N(v)) + lin_r(h_v)``, PyG's parameter
layout (``lin_l``: neighbour part, with the bias; ``lin_r``: root part, no bias; ``lin``: the
projection), so a state dict loads into and from ``torch_geometric.nn.SAGEConv``. The aggregators
are modules (`graphseq.nn.aggr`): ``"mean"``, ``"sum"``, ``"max"``, ``"lstm"``, ``"gcn"``
(GraphSAGE-GCN, no root term), ``"pool"`` (``"max"`` with ``project=True``), a
`NeighborAggregator`, or any PyG ``Aggregation``.

Ways to call a layer:

* full graph, ``conv(x, edge_index)``: ``x [N, F]`` (dense, or sparse COO/CSR: it stays sparse
  where the aggregator allows), ``edge_index [2, E]`` in any order (``edge_index[0]`` = source,
  ``edge_index[1]`` = target, as PyG) or a torch sparse ``adj_t [N_dst, N_src]``. Bipartite, as
  PyG: ``conv((x_src, x_dst), edge_index)`` with ``in_channels=(F_src, F_dst)``, or
  ``conv((x_src, None), edge_index, size=(N_src, N_dst))`` (no root term). The per-graph
  structure (a row-normalized adjacency, the in-edge CSR, the LSTM packing) is built once per
  call, or once per layer with ``cached=True`` (transductive training on a fixed graph);
* sampled block, ``conv(x, block)``: ``x [block.num_inputs, F]`` holds the layer's input rows
  (targets first) and ``block`` is a `graphseq.sampling.Block`; aggregation is a reduction of
  the dense ``[n, fanout, F]`` neighbour tensor; returns ``[block.num_targets, C]``.

Why it is fast: the mean is a CSR sparse-dense product (transform first, aggregate the narrow
result); the max is a ``segment_reduce`` over target-sorted edges; the full-graph LSTM runs on a
packed sequence built directly from the edge list (no ``[N, max_degree, F]`` padding, which is what
makes PyG's ``aggr='lstm'`` run out of memory on large graphs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn.dense.linear import Linear, is_uninitialized_parameter

from ..validation import check_channels, check_edge_index, check_int
from .aggr import (
    AGGREGATORS,
    LSTMAggregator,
    NeighborAggregator,
    PyGAggregator,
    resolve_aggregator,
)
from .functional import sparse_dense_product, transpose_csr
from .gcn import adjacency_to_edge_index

__all__ = ["AGGREGATORS", "SAGEConv"]


def _transform(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ weight.T`` for dense or sparse ``x`` (sparse stays sparse).

    For sparse ``x`` the backward pass needs ``x^T @ grad``; a CSR transpose of ``x`` (one sort of
    its entries) makes that a CSR product, faster on CPU than the gather + ``index_add`` fallback
    whenever the layer is wide.
    """
    if x.layout == torch.strided:
        return x @ weight.t()
    if x.layout != torch.sparse_csr:
        x = x.coalesce().to_sparse_csr() if x.is_sparse else x.to_sparse_csr()
    x_t = transpose_csr(x) if weight.requires_grad else None
    return sparse_dense_product(x, weight.t(), x_t)


def _dense(x: torch.Tensor) -> torch.Tensor:
    return x.to_dense() if x.layout != torch.strided else x


def _pair(channels):
    return tuple(channels) if isinstance(channels, (tuple, list)) else (channels, channels)


class SAGEConv(nn.Module):
    """One GraphSAGE layer; see the module docstring for the formulas and calling conventions.

    The arguments up to ``bias``, their order and defaults, the call and the parameter names are
    those of ``torch_geometric.nn.SAGEConv``; the same weights give the same numbers (for
    ``"lstm"``, with ``LSTMAggregator(..., padded=True)``: see `graphseq.nn.aggr`).

    Args:
        in_channels: input features ``F``, ``-1`` to take them from the first input, or a pair
            ``(F_src, F_dst)`` for bipartite graphs.
        out_channels: output features ``C``.
        aggr: ``"mean"``, ``"sum"``, ``"max"``, ``"lstm"``, ``"gcn"``, ``"pool"``, a
            `graphseq.nn.aggr.NeighborAggregator`, or a PyG ``Aggregation``.
        normalize: l2-normalize every output row (the algorithm's last line).
        root_weight: add ``lin_r(h_v)`` (the CONCAT with self); never with ``"gcn"``.
        project: ``ReLU(lin(h_u))`` before aggregating (the paper's pool aggregator).
        bias: bias of ``lin_l``.
        aggr_channels: width of the aggregated vector: the projection's (``project``/``"pool"``)
            and the LSTM's hidden size (``"lstm"``); default ``F_src``, as PyG. The paper uses
            larger ones (pool 512/1024, LSTM 128/256: `graphseq.models.GraphSAGE`).
        cached: build the full-graph structure on the first call and reuse it (fixed graph
            only; later ``edge_index`` arguments are then ignored).

    Parameters: ``lin_l``, ``lin_r``, ``lin`` (PyG ``Linear``) and the aggregator's, e.g.
    ``aggr_module.lstm`` (a `SequenceEncoder`).
    """

    def __init__(
        self,
        in_channels: int | tuple[int, int],
        out_channels: int,
        aggr: str | nn.Module = "mean",
        normalize: bool = False,
        root_weight: bool = True,
        project: bool = False,
        bias: bool = True,
        *,
        aggr_channels: int | None = None,
        cached: bool = False,
    ):
        super().__init__()
        in_src, in_dst = _pair(in_channels)
        in_src, in_dst = (
            check_channels("in_channels", in_src),
            check_channels("in_channels", in_dst),
        )
        check_int("out_channels", out_channels)
        if aggr_channels is not None:
            check_int("aggr_channels", aggr_channels)
        if aggr == "pool":
            project = True
        if isinstance(aggr, str) and aggr not in AGGREGATORS:
            raise ValueError(f"unknown aggr {aggr!r}; choose one of {', '.join(AGGREGATORS)}.")
        if project and in_src == -1:
            raise ValueError(
                "'SAGEConv' does not support lazy initialization with `project=True`; give "
                "in_channels."
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.normalize = normalize
        self.project = project
        self.cached = cached
        aggregated = in_src
        if project:
            aggregated = aggr_channels or in_src
        if aggr == "lstm" and in_src == -1:
            raise ValueError("the 'lstm' aggregator needs in_channels (it has no lazy mode).")
        self.aggr_module = resolve_aggregator(aggr, aggregated, aggr_channels or aggregated)
        self.aggr = aggr if isinstance(aggr, str) else type(aggr).__name__
        self.root_weight = root_weight and not self.aggregator.includes_root
        if project:
            self.lin = Linear(in_src, aggregated, bias=True)
        out = self.aggregator.output_channels(aggregated) if aggregated != -1 else -1
        self.lin_l = Linear(out, out_channels, bias=bias)
        self.lin_r = Linear(in_dst, out_channels, bias=False) if self.root_weight else None
        self._cache = None

    @property
    def aggregator(self):
        """``aggr_module`` with graphseq's two code paths (a PyG aggregation is adapted)."""
        module = self.aggr_module
        return module if isinstance(module, NeighborAggregator) else PyGAggregator(module)

    def reset_parameters(self) -> None:
        if self.project:
            self.lin.reset_parameters()
        if hasattr(self.aggr_module, "reset_parameters"):
            self.aggr_module.reset_parameters()
        self.lin_l.reset_parameters()
        if self.lin_r is not None:
            self.lin_r.reset_parameters()
        self._cache = None

    # ------------------------------------------------------------------ entry point
    def forward(self, x, edge_index, size: tuple[int, int] | None = None) -> torch.Tensor:
        """``conv(x, edge_index) -> [N, C]`` (bipartite: ``[N_dst, C]``) or
        ``conv(x, block) -> [block.num_targets, C]``."""
        x_src, x_dst = (x[0], x[1]) if isinstance(x, (tuple, list)) else (x, x)
        if not isinstance(x_src, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor [num_nodes, F], got {type(x_src).__name__}.")
        self._check_x(x_src, 0)
        if x_dst is not None and x_dst is not x_src:
            self._check_x(x_dst, 1)
        self._materialize(x_src, x_dst)
        if hasattr(edge_index, "fanout") and hasattr(edge_index, "num_targets"):
            out = self._forward_block(x_src, edge_index)
        elif isinstance(edge_index, torch.Tensor):
            out = self._forward_full(x_src, x_dst, edge_index, size)
        else:
            raise TypeError(
                "the second argument must be an edge_index LongTensor [2, E], a torch sparse "
                f"adjacency or a graphseq.sampling.Block, got {type(edge_index).__name__}."
            )
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def _check_x(self, x: torch.Tensor, side: int) -> None:
        expected = _pair(self.in_channels)[side]
        if x.dim() != 2 or (expected != -1 and x.size(1) != expected):
            raise ValueError(
                f"SAGEConv expects x of shape [num_nodes, in_channels={expected}], got "
                f"{list(x.shape)}; the layer was built for {expected} input features."
            )

    def _materialize(self, x_src, x_dst) -> None:
        """Lazy layers (``in_channels=-1``) take their sizes from the first input, as PyG."""
        if is_uninitialized_parameter(self.lin_l.weight):
            self.lin_l.initialize_parameters(self.lin_l, (x_src,))
        if self.lin_r is not None and is_uninitialized_parameter(self.lin_r.weight):
            self.lin_r.initialize_parameters(self.lin_r, (x_src if x_dst is None else x_dst,))

    def _projected(self, x: torch.Tensor) -> torch.Tensor:
        """``ReLU(W_pool x + b)``, the projection of ``project=True``."""
        return F.relu(_transform(x, self.lin.weight) + self.lin.bias)

    # ------------------------------------------------------------------ full graph
    def _prepared(self, edge_index, num_src: int, num_dst: int, dtype):
        if self.cached and self._cache is not None:
            if self._cache[0] != (num_src, num_dst):
                raise ValueError(
                    f"x has {num_src} nodes but the cached graph has {self._cache[0][0]}; use "
                    "cached=False when the graph changes between calls."
                )
            return self._cache[1]
        if edge_index.layout != torch.strided:
            if edge_index.dim() != 2 or edge_index.size(0) != num_dst:
                raise ValueError(
                    f"a sparse adjacency must be [num_targets={num_dst}, num_sources], got "
                    f"{list(edge_index.shape)}."
                )
            edge_index, _ = adjacency_to_edge_index(edge_index)
        edge_index, _, _ = check_edge_index(edge_index, max(num_src, num_dst))
        if edge_index.size(1) and int(edge_index[1].max()) >= num_dst:
            raise ValueError(
                f"edge_index has target {int(edge_index[1].max())} but there are {num_dst} target "
                "nodes; pass size=(num_sources, num_targets)."
            )
        prepared = self.aggregator.prepare(edge_index, num_src, num_dst, dtype, self.cached)
        if self.cached:
            self._cache = ((num_src, num_dst), prepared)
        return prepared

    def _forward_full(self, x_src, x_dst, edge_index, size) -> torch.Tensor:
        num_src = x_src.size(0) if size is None else int(size[0])
        if size is not None:
            num_dst = int(size[1])
        elif x_dst is not None:
            num_dst = x_dst.size(0)
        elif edge_index.layout != torch.strided:
            num_dst = edge_index.size(0)
        else:
            num_dst = num_src
        prepared = self._prepared(edge_index, num_src, num_dst, self.lin_l.weight.dtype)
        aggregator = self.aggregator
        same = x_dst is x_src
        if aggregator.linear and not self.project:
            # agg(h_u) W^T = agg(h_u W^T): transform first, aggregate the narrow result; one
            # product with the stacked [W_l; W_r] reads x once.
            if self.lin_r is not None and same:
                both = _transform(x_src, torch.cat([self.lin_l.weight, self.lin_r.weight]))
                neighbour, root = both.split(self.out_channels, dim=1)
            else:
                neighbour, root = _transform(x_src, self.lin_l.weight), None
            out = aggregator.full(neighbour, prepared)
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
            if root is None and self.lin_r is not None and x_dst is not None:
                root = _transform(x_dst, self.lin_r.weight)
            return out if root is None else out + root
        messages = self._projected(x_src) if self.project else _dense(x_src)
        out = self.lin_l(aggregator.full(messages, prepared))
        if self.lin_r is not None and x_dst is not None:
            out = out + _transform(x_dst, self.lin_r.weight)
        return out

    # ------------------------------------------------------------------ sampled block
    def _forward_block(self, x: torch.Tensor, block) -> torch.Tensor:
        n, f = block.num_targets, block.fanout
        if x.size(0) != block.num_inputs:
            raise ValueError(
                f"x has {x.size(0)} rows but the block has {block.num_inputs} input nodes; pass "
                "the features of the block's input nodes (targets first)."
            )

        def neighbours(h: torch.Tensor) -> torch.Tensor:  # [n, f, d]
            if block.neighbors is None:
                return h[n : n + n * f].view(n, f, h.size(1))
            return h[block.neighbors]

        aggregator = self.aggregator
        sparse = x.layout != torch.strided
        if aggregator.linear and not self.project and sparse:
            # Sparse rows (bag-of-words): transform first (the aggregation is linear), so the
            # neighbour tensor is [n, f, C] instead of a densified [n, f, F].
            weights = [self.lin_l.weight] + ([self.lin_r.weight] if self.lin_r is not None else [])
            transformed = _transform(x, torch.cat(weights))
            neighbour = transformed[:, : self.out_channels]
            out = aggregator.block(neighbours(neighbour), block.mask, neighbour[:n])
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
            if self.lin_r is not None:
                out = out + transformed[:n, self.out_channels :]
            return out
        if isinstance(aggregator, LSTMAggregator) and not aggregator.padded and not self.project:
            # The LSTM's input transform once per source row (sparse rows stay sparse), then
            # gathered: [n_src, F] x [F, 4H] instead of [n, fanout, F] x [F, 4H].
            gates = neighbours(aggregator.input_gates(x))
            out = self.lin_l(aggregator.block_from_gates(gates, block.mask))
            if self.lin_r is not None:
                out = out + (_transform(x, self.lin_r.weight)[:n] if sparse else self.lin_r(x[:n]))
            return out
        h = self._projected(x) if self.project else _dense(x)
        out = self.lin_l(aggregator.block(neighbours(h), block.mask, h[:n]))
        if self.lin_r is not None:
            root = _transform(x, self.lin_r.weight)[:n] if sparse else self.lin_r(x[:n])
            out = out + root
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, aggr={self.aggr})"
