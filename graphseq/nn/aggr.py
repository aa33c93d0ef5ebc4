"""GraphSAGE neighbour aggregators as modules (Hamilton et al. 2017, section 3.3).

An aggregator turns the features of a node's neighbours into one vector. Each has two code
paths, one per way `graphseq.nn.SAGEConv` is called:

* ``full(x_src, prepared) -> [N_dst, d]`` on a whole graph, with the per-graph structure that
  ``prepare(edge_index, num_src, num_dst, dtype, keep_transpose)`` built once (a sparse matrix, the
  in-edge CSR, an LSTM packing) and `SAGEConv` may cache;
* ``block(neighbours [n, f, d], mask [n, f] or None, root [n, d]) -> [n, d]`` on a sampled block
  of fixed fan-out ``f`` (`graphseq.sampling.Block`): a reduction over the slot axis, no sort or
  scatter.

An empty neighbourhood (an isolated node, or a sampled node without real neighbours)
aggregates to 0. The aggregators:

* `MeanAggregator` ``"mean"``: ``mean_{u in N(v)} h_u``; `SumAggregator` ``"sum"``: the sum.
  Both are linear, so `SAGEConv` applies its weight first and aggregates the narrow result;
* `GCNAggregator` ``"gcn"`` (GraphSAGE-GCN): ``mean({h_v} ∪ N(v))``, with no separate root
  term; on the full graph a node's existing self-loop stands for its ``{v}`` (it is not counted
  twice, like PyG's ``add_remaining_self_loops``);
* `MaxAggregator` ``"max"``: the element-wise max (``"pool"`` is ``"max"`` after a learned
  projection ``ReLU(W_pool h_u + b)``, `SAGEConv`'s ``project=True``);
* `LSTMAggregator` ``"lstm"``: an LSTM (the shared `SequenceEncoder`) over the neighbours in a
  random order (a fresh permutation at every training forward; in eval mode ordered by source
  id, so inference is deterministic). What it returns is its state after the **last real
  neighbour**: padding never enters the recurrence and an isolated node gets 0. PyG's
  ``LSTMAggregation`` instead reads every node's neighbours zero-padded to the largest degree
  and returns the state after the last *padded* step (so it depends on the largest degree in the
  graph, and an isolated node gets the LSTM's response to zeros); ``padded=True`` does exactly
  that, with neighbours in edge order as PyG does, for bit-equality with PyG;
* any ``torch_geometric.nn.aggr.Aggregation`` (median, softmax, ...) over the gathered neighbour
  features, read through `PyGAggregator`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..graph import CSRGraph
from ..validation import check_choice, check_int
from .functional import sparse_dense_product, transpose_csr
from .gcn import normalized_adjacency
from .sequence import SequenceEncoder

__all__ = [
    "AGGREGATORS",
    "GCNAggregator",
    "LSTMAggregator",
    "MaxAggregator",
    "MeanAggregator",
    "NeighborAggregator",
    "PyGAggregator",
    "SumAggregator",
    "resolve_aggregator",
]

AGGREGATORS = ("mean", "sum", "max", "lstm", "gcn", "pool")
"""Names `SAGEConv` accepts for ``aggr`` (``"pool"`` = ``"max"`` with ``project=True``)."""


def _incoming(edge_index: torch.Tensor, num_src: int, num_dst: int) -> CSRGraph:
    """The in-edge CSR (rows = targets) of a possibly bipartite graph; rows past ``num_dst``
    are empty (`as_csr` works on square graphs, so it gets ``max(num_src, num_dst)`` nodes)."""
    return CSRGraph.from_edge_index(edge_index, max(num_src, num_dst, 1), direction="in")


class NeighborAggregator(nn.Module):
    """Base class: see the module docstring for the two code paths."""

    linear = False
    """True when aggregation commutes with a linear map (``agg(h) W = agg(h W)``)."""
    includes_root = False
    """True when the node itself is part of the aggregated set (no separate root term)."""

    def output_channels(self, in_channels: int) -> int:
        return in_channels

    def prepare(self, edge_index, num_src: int, num_dst: int, dtype, keep_transpose: bool):
        return _incoming(edge_index, num_src, num_dst)

    def full(self, x_src: torch.Tensor, prepared) -> torch.Tensor:
        raise NotImplementedError

    def block(self, neighbours, mask, root) -> torch.Tensor:
        raise NotImplementedError


class _LinearAggregator(NeighborAggregator):
    """Aggregation by one constant sparse matrix ``P [N_dst, N_src]``: ``full = P @ x_src``."""

    linear = True
    normalization: str | None = "rw"

    def prepare(self, edge_index, num_src, num_dst, dtype, keep_transpose):
        size = max(num_src, num_dst)
        matrix = normalized_adjacency(
            edge_index,
            size,
            add_self_loops=self.includes_root,
            normalization=self.normalization,
            dtype=dtype,
        )
        if num_dst != size or num_src != size:
            matrix = _crop(matrix, num_dst, num_src)
        # The transpose only pays for itself when it is reused across calls (cached layers).
        return matrix, transpose_csr(matrix) if keep_transpose else None

    def full(self, x_src, prepared):
        matrix, matrix_t = prepared
        return sparse_dense_product(matrix, x_src, matrix_t)


def _crop(matrix: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """The top-left ``[rows, cols]`` of a square CSR matrix (a bipartite graph's part)."""
    crow = matrix.crow_indices()[: rows + 1]
    end = int(crow[-1])
    return torch.sparse_csr_tensor(
        crow, matrix.col_indices()[:end], matrix.values()[:end], (rows, cols),
        check_invariants=False,
    )  # fmt: skip


class MeanAggregator(_LinearAggregator):
    """``h_N(v) = mean_{u in N(v)} h_u`` (0 without neighbours)."""

    def block(self, neighbours, mask, root):
        if mask is None:
            return neighbours.mean(1)
        count = mask.sum(1, keepdim=True).to(neighbours.dtype)
        return (neighbours * mask.unsqueeze(2)).sum(1) / count.clamp(min=1.0)


class SumAggregator(_LinearAggregator):
    """``h_N(v) = sum_{u in N(v)} h_u``."""

    normalization = None

    def block(self, neighbours, mask, root):
        if mask is None:
            return neighbours.sum(1)
        return (neighbours * mask.unsqueeze(2)).sum(1)


class GCNAggregator(_LinearAggregator):
    """GraphSAGE-GCN: ``mean({h_v} ∪ {h_u : u in N(v)})``; `SAGEConv` adds no root term."""

    includes_root = True

    def prepare(self, edge_index, num_src, num_dst, dtype, keep_transpose):
        if num_src != num_dst:
            raise ValueError(
                "the 'gcn' aggregator averages a node with its neighbours, so it needs one node "
                f"set; got a bipartite graph of {num_src} sources and {num_dst} targets."
            )
        return super().prepare(edge_index, num_src, num_dst, dtype, keep_transpose)

    def block(self, neighbours, mask, root):
        if mask is None:
            return (neighbours.sum(1) + root) / (neighbours.size(1) + 1.0)
        count = mask.sum(1, keepdim=True).to(neighbours.dtype)
        return ((neighbours * mask.unsqueeze(2)).sum(1) + root) / (count + 1.0)


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
        # The gathered messages are kept (not re-gathered in backward): one [E, F] copy less.
        ctx.save_for_backward(gathered, out, source, target, indptr)
        ctx.num_messages = messages.size(0)
        return out

    @staticmethod
    def backward(ctx, grad):
        gathered, out, source, target, indptr = ctx.saved_tensors
        degree = indptr.diff()
        # Each edge's target max, expanded by segment (target-sorted edges: a sequential copy).
        is_max = (gathered == torch.repeat_interleave(out, degree, dim=0)).to(grad.dtype)
        ties = torch.segment_reduce(is_max, "sum", offsets=indptr, axis=0, unsafe=True)
        share = torch.repeat_interleave(grad / ties.clamp(min=1.0), degree, dim=0).mul_(is_max)
        grad_messages = grad.new_zeros(ctx.num_messages, grad.size(1)).index_add_(0, source, share)
        return grad_messages, None, None, None


class MaxAggregator(NeighborAggregator):
    """``h_N(v) = max_{u in N(v)} h_u``, element-wise (0 without neighbours)."""

    def prepare(self, edge_index, num_src, num_dst, dtype, keep_transpose):
        graph = _incoming(edge_index, num_src, num_dst)
        return graph, graph.rows(), num_dst

    def full(self, x_src, prepared):
        graph, target, num_dst = prepared
        if x_src.requires_grad:
            out = _SegmentMax.apply(x_src, graph.indices, target, graph.indptr)
        else:
            gathered = x_src.index_select(0, graph.indices)
            out = torch.segment_reduce(gathered, "max", offsets=graph.indptr, axis=0, unsafe=True)
        empty = graph.degree() == 0
        if bool(empty.any()):
            out = out.masked_fill(empty.unsqueeze(1), 0.0)
        return out[:num_dst]

    def block(self, neighbours, mask, root):
        if mask is None:
            return neighbours.amax(1)
        out = neighbours.masked_fill(~mask.unsqueeze(2), float("-inf")).amax(1)
        return out.masked_fill(~mask.any(1, keepdim=True), 0.0)


class _Packing:
    """How the neighbour lists of all nodes map onto one ``PackedSequence`` (time-major rows).

    Nodes with at least one neighbour are ranked by degree (largest first); step ``t`` of the
    packed data holds the ``t``-th neighbour of the ``batch_sizes[t]`` nodes with degree > t.
    """

    def __init__(self, graph: CSRGraph):
        degree = graph.degree()
        self.graph = graph
        self.target = graph.rows()
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
        position = torch.arange(graph.num_edges, device=degree.device) - graph.indptr[self.target]
        self.rows = step_offset[position] + rank[self.target]  # packed row of each edge

    def gather_index(self, shuffle: bool) -> torch.Tensor:
        """``[E]`` source node of each packed row; neighbours shuffled within each node when
        ``shuffle`` (with the global torch RNG, which the Trainer seeds)."""
        source = self.graph.indices
        if shuffle and source.numel():
            keys = self.target.double() + torch.rand(source.numel(), dtype=torch.double)
            source = source[torch.argsort(keys)]
        index = torch.empty_like(source)
        index[self.rows] = source
        return index


class LSTMAggregator(NeighborAggregator):
    """An LSTM over the neighbours (see the module docstring for its semantics).

    Args:
        in_channels: neighbour features ``F``.
        hidden_channels: the LSTM's hidden size ``H``, the aggregated width (PyG: ``F``).
        padded: read PyG's way (zero-padded to the largest degree, the last padded step, edge
            order) instead of up to each node's last real neighbour in random order.

    Parameters: ``lstm`` (a `SequenceEncoder`; its ``nn.LSTM`` is ``lstm.rnn``, PyG's
    ``aggr_module.lstm``).
    """

    def __init__(self, in_channels: int, hidden_channels: int | None = None, *, padded=False):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.hidden_channels = check_int("hidden_channels", hidden_channels or in_channels)
        self.padded = bool(padded)
        self.lstm = SequenceEncoder(self.in_channels, self.hidden_channels, "lstm")

    def reset_parameters(self) -> None:
        self.lstm.reset_parameters()

    def output_channels(self, in_channels: int) -> int:
        return self.hidden_channels

    def prepare(self, edge_index, num_src, num_dst, dtype, keep_transpose):
        if self.padded:
            # PyG reads each target's neighbours in edge order: a stable sort by target.
            order = torch.sort(edge_index[1], stable=True).indices
            return edge_index[0, order], edge_index[1, order], num_dst
        return _Packing(_incoming(edge_index, num_src, num_dst)), num_dst

    def full(self, x_src, prepared):
        if self.padded:
            from torch_geometric.utils import to_dense_batch

            source, target, num_dst = prepared
            dense, _ = to_dense_batch(x_src[source], target, batch_size=num_dst)
            return self.lstm.rnn(dense)[0][:, -1]
        packing, num_dst = prepared
        out = x_src.new_zeros(max(packing.graph.num_nodes, num_dst), self.hidden_channels)
        if packing.nodes.numel():
            h_n = self._packed_lstm(x_src, packing)
            out = out.index_copy(0, packing.nodes, h_n)
        return out[:num_dst]

    def _packed_lstm(self, x_src: torch.Tensor, packing: _Packing) -> torch.Tensor:
        """The LSTM's last state for every node with neighbours, ``[B, H]`` in packing order.

        The same computation as the fused ``nn.LSTM`` on the packed neighbour sequences (see the
        tests), with one saving: the input transform ``W_ih x_u + b`` is linear, so it is applied
        once per *node* (``[N, F] x [F, 4H]``) and gathered per edge, instead of once per edge
        (``[E, F] x [F, 4H]``, E/N times the work: 4x on Cora, where it was most of the cost).
        The recurrence then runs step by step over the packed batch, which shrinks as the
        lower-degree nodes finish (padding to the largest degree is what exhausts memory on
        large graphs; none is used).
        """
        rnn = self.lstm.rnn
        gates_x = torch.addmm(rnn.bias_ih_l0 + rnn.bias_hh_l0, x_src, rnn.weight_ih_l0.t())
        gates_x = gates_x.index_select(0, packing.gather_index(self.training))  # [E, 4H]
        weight_hh = rnn.weight_hh_l0.t()
        sizes = packing.batch_sizes.tolist()
        h = c = x_src.new_zeros(sizes[0], self.hidden_channels)
        finished = []
        # One split, not a slice per step: a slice's backward fills a zero [E, 4H] gradient.
        for step, (size, step_gates) in enumerate(zip(sizes, gates_x.split(sizes), strict=True)):
            gates = step_gates + h[:size] @ weight_hh
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c[:size] + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            following = sizes[step + 1] if step + 1 < len(sizes) else 0
            if following < size:  # the nodes of degree step + 1 read their last neighbour
                finished.append(h[following:size])
        return torch.cat(finished[::-1])

    def input_gates(self, x: torch.Tensor) -> torch.Tensor:
        """``W_ih x + b`` for every row of ``x`` (dense or sparse ``[N, F]``), ``[N, 4H]``: the
        LSTM's input transform, linear, so a sampled block applies it once per source row and
        gathers the result (`block_from_gates`) instead of transforming ``[n, fanout, F]``."""
        rnn = self.lstm.rnn
        return torch.addmm(rnn.bias_ih_l0 + rnn.bias_hh_l0, x, rnn.weight_ih_l0.t())

    def block_from_gates(self, gates: torch.Tensor, mask) -> torch.Tensor:
        """`block` from the neighbours' input gates ``[n, fanout, 4H]`` (`input_gates`); the
        same numbers as the ``nn.LSTM`` over the neighbours (valid neighbours first)."""
        weight_hh = self.lstm.rnn.weight_hh_l0.t()
        n, steps = gates.shape[:2]
        h = c = gates.new_zeros(n, self.hidden_channels)
        states = []
        for step_gates in gates.unbind(1):
            i, f, g, o = (step_gates + h @ weight_hh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            states.append(h)
        if mask is None:
            return h
        # Steps past a node's last valid neighbour do not change the state read before them.
        count = mask.sum(1)
        last = torch.stack(states, 1)[
            torch.arange(n, device=gates.device), (count - 1).clamp(min=0)
        ]
        return last.masked_fill((count == 0)[:, None], 0.0)

    def block(self, neighbours, mask, root):
        if self.padded:
            if mask is not None:
                neighbours = neighbours * mask.unsqueeze(2)
            return self.lstm.rnn(neighbours)[0][:, -1]
        if mask is None:
            return self.lstm(neighbours)
        count = mask.sum(1)
        return self.lstm(neighbours, count.clamp(min=1)).masked_fill((count == 0)[:, None], 0.0)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.hidden_channels}, padded={self.padded}"


class PyGAggregator:
    """Any PyG aggregation (``torch_geometric.nn.aggr``) used as a GraphSAGE aggregator: the
    neighbours' features are gathered per edge and reduced by ``aggregation(x_j, index)``.

    Not a module itself: `SAGEConv` holds the PyG module as ``aggr_module`` (so the parameter
    names are PyG's) and reads it through this adapter."""

    linear = False
    includes_root = False

    def __init__(self, aggregation: nn.Module):
        self.aggregation = aggregation

    def output_channels(self, in_channels: int) -> int:
        return in_channels

    def prepare(self, edge_index, num_src, num_dst, dtype, keep_transpose):
        order = torch.sort(edge_index[1], stable=True).indices
        return edge_index[0, order], edge_index[1, order], num_dst

    def full(self, x_src, prepared):
        source, target, num_dst = prepared
        return self.aggregation(x_src[source], target, dim_size=num_dst)

    def block(self, neighbours, mask, root):
        n, f, d = neighbours.shape
        index = torch.arange(n, device=neighbours.device).repeat_interleave(f)
        flat = neighbours.reshape(n * f, d)
        if mask is not None:
            keep = mask.reshape(-1)
            flat, index = flat[keep], index[keep]
        return self.aggregation(flat, index, dim_size=n)


def resolve_aggregator(aggr, in_channels: int, aggr_channels: int | None = None) -> nn.Module:
    """The aggregator module for a name of `AGGREGATORS` (``"pool"`` as ``"max"``), or ``aggr``
    itself when it is a module (a `NeighborAggregator`, or a PyG ``Aggregation``, read through
    `PyGAggregator`). ``aggr_channels`` is the LSTM's hidden size (default ``in_channels``)."""
    if isinstance(aggr, nn.Module):
        return aggr
    check_choice("aggr", aggr, AGGREGATORS)
    if aggr == "lstm":
        return LSTMAggregator(in_channels, aggr_channels or in_channels)
    return {
        "mean": MeanAggregator,
        "sum": SumAggregator,
        "max": MaxAggregator,
        "pool": MaxAggregator,
        "gcn": GCNAggregator,
    }[aggr]()
