"""GraphSAGE convolution (Hamilton et al. 2017) with the mean, GCN, LSTM and max-pool aggregators.

The algorithm, for one layer ``k`` and every node ``v``::

    h_N(v) = AGGREGATE_k({h_u : u in N(v)})
    h_v    = σ(W_k · CONCAT(h_v, h_N(v)))          (σ is applied by the model)
    h_v    = h_v / ||h_v||_2                        (normalize=True)

``W_k · CONCAT(h_v, h_N(v))`` is computed as ``lin_r(h_v) + lin_l(h_N(v))``, PyG's parameter
layout (``lin_l``: neighbour part, with the bias; ``lin_r``: root part, no bias), so weights can be
copied to and from ``torch_geometric.nn.SAGEConv``. The aggregators:

* ``"mean"``: ``h_N(v) = mean_{u in N(v)} h_u``, concatenated with ``h_v``;
* ``"gcn"``: ``h_v = σ(W · mean({h_v} ∪ {h_u : u in N(v)}))``, no concatenation (only ``lin_l``);
  on the full graph a node's existing self-loop stands for its ``{v}`` (it is not counted twice,
  as PyG's ``add_remaining_self_loops``);
* ``"lstm"``: the last hidden state of an LSTM (`SequenceEncoder`) run over
  the neighbours in a random order (a fresh permutation at every training forward; in eval mode
  the edge order sorted by target, then source, is used, so inference is deterministic);
* ``"pool"``: ``h_N(v) = max_{u in N(v)} ReLU(W_pool h_u + b)`` (element-wise max); the root term
  uses the unprojected ``h_v``, as PyG's ``SAGEConv(aggr='max', project=True)``.

An empty neighbourhood (isolated node, or a sampled node with no real neighbour) aggregates to 0.

Two ways to call a layer:

* full graph, ``conv(x, edge_index)``: ``x [N, F]`` (dense, or sparse COO/CSR for mean/gcn/pool:
  it stays sparse), ``edge_index [2, E]`` in any order (``edge_index[0]`` = source,
  ``edge_index[1]`` = target, as PyG). Per-graph structures (the row-normalized adjacency and its
  transpose, the target-sorted edge order, the LSTM packing) are built once per call, or once per
  layer with ``cached=True`` (transductive training on a fixed graph);
* sampled block, ``conv(x, block)``: ``x [block.num_inputs, F]`` holds the layer's input rows
  (targets first) and ``block`` is a `graphseq.sampling.Block`; aggregation is a reduction of
  the dense ``[n, fanout, F]`` neighbour tensor, returns ``[block.num_targets, C]``.

Why it is fast: the mean is a CSR sparse-dense product (transform first, aggregate the narrow
result); the max is a ``segment_reduce`` over target-sorted edges; the full-graph LSTM runs on a
packed sequence built directly from the edge list (no ``[N, max_degree, F]`` padding, which is what
makes PyG's ``aggr='lstm'`` run out of memory on Cora).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..graph import validate_edge_index
from .functional import sparse_dense_product, transpose_csr
from .gcn import normalized_adjacency
from .sequence import SequenceEncoder

__all__ = ["AGGREGATORS", "SAGEConv"]

AGGREGATORS = ("mean", "gcn", "lstm", "pool")


def _linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
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


class _TargetSortedEdges:
    """Edges grouped by target (CSR over incoming edges): ``source [E]``, ``target [E]`` (sorted),
    ``indptr [N + 1]``, ``degree [N]``."""

    def __init__(self, edge_index: torch.Tensor, num_nodes: int):
        source, target = edge_index
        order = torch.argsort(target * max(num_nodes, 1) + source)
        self.source = source[order].contiguous()
        self.target = target[order].contiguous()
        self.degree = torch.bincount(self.target, minlength=num_nodes)
        self.indptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=source.device)
        torch.cumsum(self.degree, 0, out=self.indptr[1:])
        self.num_nodes = num_nodes


class _Packing:
    """How the neighbour lists of all nodes map onto one ``PackedSequence`` (time-major rows).

    Nodes with at least one neighbour are ranked by degree (largest first); step ``t`` of the
    packed data holds the ``t``-th neighbour of the ``batch_sizes[t]`` nodes with degree > t.
    """

    def __init__(self, edges: _TargetSortedEdges):
        degree = edges.degree
        self.edges = edges
        self.nodes = torch.argsort(degree, descending=True, stable=True)
        self.nodes = self.nodes[degree[self.nodes] > 0]  # [B] packed batch order
        rank = torch.empty_like(degree)
        rank[self.nodes] = torch.arange(self.nodes.numel(), device=degree.device)
        max_degree = int(degree.max()) if degree.numel() else 0
        counts = torch.bincount(degree, minlength=max_degree + 1)  # nodes per degree
        # batch_sizes[t] = number of nodes with degree > t
        self.batch_sizes = (counts.sum() - torch.cumsum(counts, 0))[:max_degree].cpu()
        step_offset = torch.zeros(max_degree, dtype=torch.long, device=degree.device)
        if max_degree:
            step_offset[1:] = torch.cumsum(self.batch_sizes.to(degree.device), 0)[:-1]
        position = torch.arange(edges.source.numel(), device=degree.device)
        position = position - edges.indptr[edges.target]
        self.rows = step_offset[position] + rank[edges.target]  # packed row of each edge

    def gather_index(self, generator_shuffle: bool) -> torch.Tensor:
        """``[E]`` source node of each packed row; neighbours shuffled within each node when
        ``generator_shuffle`` (uses the global torch RNG, seeded by the Trainer)."""
        source = self.edges.source
        if generator_shuffle and source.numel():
            keys = self.edges.target.double() + torch.rand(source.numel(), dtype=torch.double)
            source = source[torch.argsort(keys)]
        index = torch.empty_like(source)
        index[self.rows] = source
        return index


class SAGEConv(nn.Module):
    """One GraphSAGE layer; see the module docstring for the formulas and calling conventions.

    Args:
        in_channels: input features ``F``.
        out_channels: output features ``C``.
        aggregator: ``"mean"``, ``"gcn"``, ``"lstm"`` or ``"pool"``.
        normalize: l2-normalize every output row (the algorithm's last line).
        root_weight: add ``lin_r(h_v)`` (the CONCAT with self); not used by ``"gcn"``.
        bias: bias of ``lin_l``.
        aggregator_channels: hidden size of the LSTM (``"lstm"``) or of ``W_pool`` (``"pool"``);
            default ``in_channels``, as PyG.
        cached: build the full-graph structures on the first call and reuse them (fixed graph
            only; later ``edge_index`` arguments are then ignored).

    Parameters: ``lin_l`` (``nn.Linear(aggregated, C)``), ``lin_r`` (``nn.Linear(F, C,
    bias=False)``), ``lin_pool`` (``nn.Linear(F, P)``, PyG's ``lin``) and ``lstm`` (a
    `SequenceEncoder`, its ``nn.LSTM`` is ``lstm.rnn``, PyG's ``aggr_module.lstm``).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        aggregator: str = "mean",
        *,
        normalize: bool = False,
        root_weight: bool = True,
        bias: bool = True,
        aggregator_channels: int | None = None,
        cached: bool = False,
    ):
        super().__init__()
        if aggregator not in AGGREGATORS:
            raise ValueError(
                f"unknown aggregator {aggregator!r}; choose one of {', '.join(AGGREGATORS)}."
            )
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
        if aggregator_channels is not None and (
            not isinstance(aggregator_channels, int) or aggregator_channels < 1
        ):
            raise ValueError(
                f"aggregator_channels must be an int >= 1, got {aggregator_channels!r}."
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.aggregator = aggregator
        self.normalize = normalize
        self.root_weight = root_weight and aggregator != "gcn"
        self.cached = cached
        self.aggregator_channels = aggregator_channels or in_channels
        aggregated = in_channels
        if aggregator == "pool":
            self.lin_pool = nn.Linear(in_channels, self.aggregator_channels, bias=True)
            aggregated = self.aggregator_channels
        elif aggregator == "lstm":
            self.lstm = SequenceEncoder(in_channels, self.aggregator_channels, "lstm")
            aggregated = self.aggregator_channels
        self.lin_l = nn.Linear(aggregated, out_channels, bias=bias)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False) if self.root_weight else None
        self._cache: dict | None = None

    def reset_parameters(self) -> None:
        for module in (getattr(self, "lin_pool", None), getattr(self, "lstm", None)):
            if module is not None:
                module.reset_parameters()
        self.lin_l.reset_parameters()
        if self.lin_r is not None:
            self.lin_r.reset_parameters()
        self._cache = None

    # ------------------------------------------------------------------ entry point
    def forward(self, x: torch.Tensor, edge_index) -> torch.Tensor:
        """``conv(x, edge_index) -> [N, C]`` or ``conv(x, block) -> [block.num_targets, C]``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor [num_nodes, F], got {type(x).__name__}.")
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"SAGEConv expects x of shape [num_nodes, in_channels={self.in_channels}], got "
                f"{list(x.shape)}; the layer was built for {self.in_channels} input features."
            )
        if isinstance(edge_index, torch.Tensor):
            out = self._forward_full(x, edge_index)
        elif hasattr(edge_index, "fanout") and hasattr(edge_index, "num_targets"):
            out = self._forward_block(x, edge_index)
        else:
            raise TypeError(
                "the second argument must be an edge_index LongTensor [2, E] or a "
                f"graphseq.sampling.Block, got {type(edge_index).__name__}."
            )
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    # ------------------------------------------------------------------ full graph
    def _structures(self, edge_index: torch.Tensor, num_nodes: int) -> dict:
        if self.cached and self._cache is not None:
            if self._cache["num_nodes"] != num_nodes:
                raise ValueError(
                    f"x has {num_nodes} nodes but the cached graph has {self._cache['num_nodes']}; "
                    "use cached=False when the graph changes between calls."
                )
            return self._cache
        edge_index, num_nodes, _ = validate_edge_index(edge_index, num_nodes)
        cache: dict = {"num_nodes": num_nodes}
        if self.aggregator in ("mean", "gcn"):
            adjacency = normalized_adjacency(
                edge_index,
                num_nodes,
                add_self_loops=self.aggregator == "gcn",
                normalization="rw",
            )
            cache["adjacency"] = adjacency
            # The transpose only pays for itself when reused across calls.
            cache["adjacency_t"] = transpose_csr(adjacency) if self.cached else None
        else:
            edges = _TargetSortedEdges(edge_index, num_nodes)
            cache["edges"] = edges
            if self.aggregator == "lstm":
                cache["packing"] = _Packing(edges)
        if self.cached:
            self._cache = cache
        return cache

    def _forward_full(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        structures = self._structures(edge_index, x.size(0))
        if self.aggregator in ("mean", "gcn"):
            # mean(h_u) W^T = mean(h_u W^T): transform first, aggregate the narrow result; one
            # product with the stacked [W_l; W_r] reads x once.
            if self.lin_r is not None:
                both = _linear(x, torch.cat([self.lin_l.weight, self.lin_r.weight]))
                neighbour, root = both.split(self.out_channels, dim=1)
            else:
                neighbour, root = _linear(x, self.lin_l.weight), None
            out = sparse_dense_product(
                structures["adjacency"], neighbour, structures["adjacency_t"]
            )
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
            return out if root is None else out + root
        if self.aggregator == "pool":
            messages = F.relu(_linear(x, self.lin_pool.weight) + self.lin_pool.bias)
            aggregated = _segment_max(messages, structures["edges"])
        else:
            aggregated = self._lstm_full(_dense(x), structures["packing"])
        out = self.lin_l(aggregated)
        if self.lin_r is not None:
            out = out + _linear(x, self.lin_r.weight)
        return out

    def _lstm_full(self, x: torch.Tensor, packing: _Packing) -> torch.Tensor:
        out = x.new_zeros(x.size(0), self.aggregator_channels)
        if packing.nodes.numel() == 0:
            return out
        index = packing.gather_index(self.training)
        data = x.index_select(0, index)  # [E, F], time-major packed rows
        # SequenceEncoder.forward takes a padded [B, T, F] batch; padding every node to the
        # largest degree is exactly what exhausts memory, so the packed sequence goes straight
        # to its fused LSTM (the same computation as encoder(padded, lengths), see the tests).
        packed = PackedSequence(data, packing.batch_sizes)
        _, (h_n, _) = self.lstm.rnn(packed)
        return out.index_copy(0, packing.nodes, h_n[-1])

    # ------------------------------------------------------------------ sampled block
    def _forward_block(self, x: torch.Tensor, block) -> torch.Tensor:
        n, f = block.num_targets, block.fanout
        if x.size(0) != block.num_inputs:
            raise ValueError(
                f"x has {x.size(0)} rows but the block has {block.num_inputs} input nodes; pass "
                "the features of the block's input nodes (targets first)."
            )
        mask = block.mask
        count = None if mask is None else mask.sum(1, keepdim=True)  # [n, 1]

        def neighbours(h: torch.Tensor) -> torch.Tensor:  # [n, f, d]
            if block.neighbors is None:
                return h[n : n + n * f].view(n, f, h.size(1))
            return h[block.neighbors]

        def mean_of(h: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
            h = neighbours(h)
            if mask is None:
                total, size = h.sum(1), float(f)
            else:
                total, size = (h * mask.unsqueeze(2)).sum(1), count.to(h.dtype)
            if self.aggregator == "gcn":
                return (total + root) / (size + 1.0)
            return total / (size if mask is None else size.clamp(min=1.0))

        sparse = x.layout != torch.strided
        if sparse and self.aggregator in ("mean", "gcn"):
            # Sparse rows (bag-of-words): transform first (the mean is linear), so the
            # neighbour tensor is [n, f, C] instead of a densified [n, f, F].
            weights = [self.lin_l.weight] + ([self.lin_r.weight] if self.lin_r is not None else [])
            transformed = _linear(x, torch.cat(weights))
            neighbour = transformed[:, : self.out_channels]
            out = mean_of(neighbour, neighbour[:n])
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
            if self.lin_r is not None:
                out = out + transformed[:n, self.out_channels :]
            return out
        if self.aggregator in ("mean", "gcn"):
            aggregated = mean_of(x, x[:n])
        elif self.aggregator == "pool":
            messages = F.relu(_linear(x, self.lin_pool.weight) + self.lin_pool.bias)
            h = neighbours(messages)
            if mask is None:
                aggregated = h.amax(1)
            else:
                aggregated = h.masked_fill(~mask.unsqueeze(2), float("-inf")).amax(1)
                aggregated = aggregated.masked_fill(count == 0, 0.0)
        else:
            h = neighbours(_dense(x))
            if mask is None:
                aggregated = self.lstm(h)
            else:
                lengths = count.squeeze(1).clamp(min=1)
                aggregated = self.lstm(h, lengths).masked_fill(count == 0, 0.0)
        out = self.lin_l(aggregated)
        if self.lin_r is not None:
            root = _linear(x, self.lin_r.weight)[:n] if sparse else self.lin_r(x[:n])
            out = out + root
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, aggregator={self.aggregator!r}, "
            f"normalize={self.normalize}"
        )


class _SegmentMax(torch.autograd.Function):
    """Max over target-sorted edge segments. Forward: ``segment_reduce`` (no ``[N, F]`` scatter).
    Backward: the gradient of each target goes to the edges that attain its max, split evenly
    between ties (as ``scatter_reduce(..., "amax")``), then is summed into the sources.

    torch 2.13's own ``segment_reduce`` backward gives wrong, run-to-run varying gradients with
    ``offsets`` on CPU (see tests/test_sage.py::test_pool_gradients_equal_pyg), hence this
    function.
    """

    @staticmethod
    def forward(ctx, messages, source, target, indptr):
        gathered = messages.index_select(0, source)
        out = torch.segment_reduce(gathered, "max", offsets=indptr, axis=0, unsafe=True)
        ctx.save_for_backward(messages, out, source, target)
        return out

    @staticmethod
    def backward(ctx, grad):
        messages, out, source, target = ctx.saved_tensors
        is_max = messages.index_select(0, source) == out.index_select(0, target)  # [E, F]
        ties = torch.zeros_like(out).index_add_(0, target, is_max.to(out.dtype))
        share = (grad / ties.clamp(min=1.0)).index_select(0, target) * is_max
        grad_messages = torch.zeros_like(messages).index_add_(0, source, share)
        return grad_messages, None, None, None


def _segment_max(messages: torch.Tensor, edges: _TargetSortedEdges) -> torch.Tensor:
    """``out[v] = max over incoming edges (u -> v) of messages[u]``, 0 for nodes without any."""
    if messages.requires_grad:
        out = _SegmentMax.apply(messages, edges.source, edges.target, edges.indptr)
    else:
        gathered = messages.index_select(0, edges.source)
        out = torch.segment_reduce(gathered, "max", offsets=edges.indptr, axis=0, unsafe=True)
    empty = edges.degree == 0
    if bool(empty.any()):
        out = out.masked_fill(empty.unsqueeze(1), 0.0)
    return out
