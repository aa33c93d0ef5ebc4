"""Sampling for GraphSAGE: fixed-fan-out neighbour blocks, negative nodes, walk co-occurrence pairs.

Neighbour sampling (Hamilton et al. 2017, Algorithm 2). Starting from a batch of seed nodes, every
hop samples exactly ``fanout`` neighbours per node, so one layer of a mini-batch is a dense index
tensor ``[num_targets, fanout]``; mean, max and LSTM aggregation are then a reduction over the
second axis, with no sort, scatter or padding.

Layout of a `MiniBatch` (``B`` seeds, fan-outs ``[f_1, ..., f_K]``, ``f_1`` for the first
hop from the seeds, as PyG's ``NeighborLoader(num_neighbors=[25, 10])``):

* hop ``k`` turns the node list ``nodes_{k-1}`` (``nodes_0`` = seeds) into
  ``nodes_k = cat([nodes_{k-1}, new nodes])``: the targets always come first;
* without de-duplication the new nodes are simply all samples, ``sampled.flatten()``, so the
  neighbours of target ``i`` are rows ``n + i*f .. n + (i+1)*f`` of ``nodes_k`` and the block's
  ``neighbors`` index is None (implicit);
* with ``deduplicate=True`` each node appears once per hop, and ``Block.neighbors [n, f]`` holds
  the rows of ``nodes_k`` of each target's samples;
* ``MiniBatch.n_id`` is ``nodes_K`` (the input rows of the first layer) and ``MiniBatch.blocks``
  goes from the first layer (hop ``K``) to the last (hop 1, whose targets are the seeds).

Nodes with fewer neighbours than the fan-out:

* with replacement (the paper's default) every slot is a uniform draw from the node's
  neighbours, so a node of degree 3 fills its 10 slots with repeats of those 3;
* without replacement a node of degree ``d < f`` gets all its ``d`` neighbours in the first ``d``
  slots, and ``Block.mask [n, f]`` marks the remaining slots as missing (False);
* an isolated node (degree 0) has only missing slots (mask all False) in either mode. Missing
  slots hold the target itself as a placeholder id, so every row points at a real node; the
  aggregators ignore them and an empty neighbourhood aggregates to 0, as in PyG.

``Block.mask`` is None when no slot of the block is missing.

Neighbours of ``v`` are its *in*-neighbours, the row ``v`` of the graph's ``"in"`` CSR view
(`graphseq.graph.as_csr`): exactly the nodes that `graphseq.nn.SAGEConv` aggregates over
(``edge_index[0] -> edge_index[1]``), whatever the input (``Data``, ``edge_index``, or a
`CSRGraph` of either direction); for undirected graphs in- and out-neighbours are the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from .graph import as_csr
from .seed import make_generator
from .validation import check_int, check_node_index

__all__ = [
    "Block",
    "MiniBatch",
    "gather_rows",
    "NeighborSampler",
    "negative_sampling_distribution",
    "sample_negatives",
    "walk_cooccurrence_pairs",
]


@dataclass
class Block:
    """One layer of a sampled mini-batch.

    Attributes:
        num_targets: ``n``; the targets are the first ``n`` rows of the layer's input.
        num_inputs: rows of the layer's input (the next hop's node list).
        fanout: ``f``, sampled slots per target.
        neighbors: ``LongTensor [n, f]``, the input rows of each target's sampled neighbours, or
            None for the contiguous layout (row ``n + i*f + j`` is slot ``j`` of target ``i``).
        mask: ``BoolTensor [n, f]`` (True = real neighbour, missing slots last) or None when every
            slot is real.
    """

    num_targets: int
    num_inputs: int
    fanout: int
    neighbors: torch.Tensor | None = None
    mask: torch.Tensor | None = None

    def neighbor_index(self) -> torch.Tensor:
        """``[n, f]`` input rows of the sampled neighbours (materialised for the contiguous
        layout)."""
        if self.neighbors is not None:
            return self.neighbors
        n, f = self.num_targets, self.fanout
        return torch.arange(n, n + n * f).view(n, f)

    @property
    def num_sampled_edges(self) -> int:
        """Real (non-missing) sampled neighbour slots."""
        if self.mask is None:
            return self.num_targets * self.fanout
        return int(self.mask.sum())

    def to(self, device) -> Block:
        return Block(
            self.num_targets,
            self.num_inputs,
            self.fanout,
            None if self.neighbors is None else self.neighbors.to(device),
            None if self.mask is None else self.mask.to(device),
        )


@dataclass
class MiniBatch:
    """Sampled computation graph of a batch of seed nodes (see the module docstring).

    Attributes:
        n_id: ``LongTensor [N_0]`` global ids of the first layer's input rows; the seeds are
            ``n_id[:batch_size]``.
        blocks: one `Block` per layer, first layer first.
        batch_size: number of seeds ``B`` (the rows the last layer outputs).
    """

    n_id: torch.Tensor
    blocks: list[Block]
    batch_size: int

    @property
    def seeds(self) -> torch.Tensor:
        return self.n_id[: self.batch_size]

    @property
    def num_sampled_edges(self) -> int:
        return sum(block.num_sampled_edges for block in self.blocks)

    def to(self, device) -> MiniBatch:
        return MiniBatch(self.n_id.to(device), [b.to(device) for b in self.blocks], self.batch_size)


def gather_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[index]`` for a dense or sparse (COO/CSR) ``x [N, F]``; sparse input gives a sparse
    CSR result (``[len(index), F]``), gathered without densifying (a mini-batch's input rows)."""
    if x.layout == torch.strided:
        return x[index]
    if x.layout != torch.sparse_csr:
        x = x.coalesce().to_sparse_csr() if x.is_sparse else x.to_sparse_csr()
    crow, col, values = x.crow_indices(), x.col_indices(), x.values()
    start = crow[index]
    counts = crow[index + 1] - start
    new_crow = torch.zeros(index.numel() + 1, dtype=crow.dtype, device=crow.device)
    torch.cumsum(counts, 0, out=new_crow[1:])
    total = int(new_crow[-1])
    positions = torch.repeat_interleave(start - new_crow[:-1], counts, output_size=total)
    positions = positions + torch.arange(total, device=crow.device)
    return torch.sparse_csr_tensor(
        new_crow,
        col[positions],
        values[positions],
        (index.numel(), x.size(1)),
        check_invariants=False,
    )


def _check_fanouts(fanouts) -> list[int]:
    if isinstance(fanouts, int):
        fanouts = [fanouts]
    fanouts = list(fanouts)
    if not fanouts:
        raise ValueError("fanouts must name at least one hop, e.g. fanouts=[25, 10].")
    hint = "neighbours sampled per node; the paper uses fanouts=[25, 10]"
    return [check_int(f"fanouts[{hop}]", f, hint=hint) for hop, f in enumerate(fanouts)]


class NeighborSampler:
    """Fixed-fan-out neighbour sampler over a CSR graph (pure PyTorch, vectorized).

    Args:
        graph: a PyG ``Data``, an ``edge_index``, a `CSRGraph` (either direction) or any
            graph `graphseq.graph.as_csr` accepts; in-neighbours are sampled, matching message
            passing.
        fanouts: neighbours per node for each hop, first hop (from the seeds) first; e.g.
            ``[25, 10]``. Each must be >= 1.
        replace: sample with replacement (default, as the paper) or without.
        deduplicate: keep each node once per hop (smaller inputs for the first layer on dense
            graphs, at the cost of a ``torch.unique`` per hop) instead of the contiguous layout.
        seed: seed of the sampler's own generator (used when `sample` gets none).

    Example::

        sampler = NeighborSampler(data, [25, 10], seed=0)
        for batch in sampler.batches(train_nodes, batch_size=512):
            out = model(x[batch.n_id], batch.blocks)   # [batch.batch_size, C]
    """

    def __init__(
        self,
        graph,
        fanouts: Sequence[int],
        *,
        replace: bool = True,
        deduplicate: bool = False,
        seed: int | None = None,
    ):
        self.fanouts = _check_fanouts(fanouts)
        self.graph = as_csr(graph, "in")
        self.replace = bool(replace)
        self.deduplicate = bool(deduplicate)
        self.seed = seed
        self.generator = make_generator(seed)
        self._degree = self.graph.degree()
        self._lookup: torch.Tensor | None = None

    @property
    def num_nodes(self) -> int:
        return self.graph.num_nodes

    # ------------------------------------------------------------------ one hop
    def sample_neighbors(
        self, nodes: torch.Tensor, fanout: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Sample ``fanout`` neighbours of each of ``nodes [n]``.

        Returns ``(sampled [n, fanout] global ids, mask [n, fanout] bool or None)``; see the
        module docstring for nodes with fewer neighbours than ``fanout``.
        """
        generator = generator or self.generator
        indptr, indices = self.graph.indptr, self.graph.indices
        start = indptr[nodes]
        degree = self._degree[nodes]
        n = nodes.numel()
        if self.replace:
            draws = torch.rand(n, fanout, generator=generator)
            offset = (draws * degree[:, None]).long()
            # Float rounding can give offset == degree for draws just below 1.
            offset = torch.minimum(offset, (degree[:, None] - 1).clamp(min=0))
            valid = degree > 0
            positions = (start[:, None] + offset).clamp(max=max(indices.numel() - 1, 0))
            if bool(valid.all()):
                return indices[positions], None
            sampled = torch.where(valid[:, None], indices[positions], nodes[:, None])
            return sampled, valid[:, None].expand(n, fanout).clone()
        # Without replacement: nodes with degree <= fanout take all their neighbours ...
        slot = torch.arange(fanout)
        offset = slot.expand(n, fanout).clone()
        mask = slot[None, :] < degree[:, None]
        # ... the others draw a uniform fanout-subset of 0..degree-1 with Floyd's algorithm,
        # vectorized over the nodes (a loop over the fanout slots, not over the nodes).
        large = (degree > fanout).nonzero().flatten()
        if large.numel():
            deg = degree[large]
            chosen = torch.empty(large.numel(), fanout, dtype=torch.long)
            draws = torch.rand(large.numel(), fanout, generator=generator)
            for j in range(fanout):
                top = deg - fanout + j  # draw from 0..top inclusive
                pick = (draws[:, j] * (top + 1)).long().minimum(top)
                if j:
                    taken = (chosen[:, :j] == pick[:, None]).any(1)
                    pick = torch.where(taken, top, pick)
                chosen[:, j] = pick
            offset[large] = chosen
        positions = (start[:, None] + offset).clamp(max=max(indices.numel() - 1, 0))
        sampled = torch.where(mask, indices[positions], nodes[:, None])
        return sampled, (None if bool(mask.all()) else mask)

    # ------------------------------------------------------------------ mini-batches
    def _check_seeds(self, seeds) -> torch.Tensor:
        return check_node_index(seeds, self.num_nodes, "seeds")

    def sample(self, seeds, generator: torch.Generator | None = None) -> MiniBatch:
        """The `MiniBatch` of ``seeds`` (distinct node ids ``[B]`` or a bool mask)."""
        seeds = self._check_seeds(seeds)
        generator = generator or self.generator
        nodes = seeds
        blocks = []
        for fanout in self.fanouts:
            n = nodes.numel()
            sampled, mask = self.sample_neighbors(nodes, fanout, generator)
            if self.deduplicate:
                nodes_next, neighbors = self._deduplicate(nodes, sampled)
            else:
                nodes_next, neighbors = torch.cat([nodes, sampled.flatten()]), None
            blocks.append(Block(n, nodes_next.numel(), fanout, neighbors, mask))
            nodes = nodes_next
        blocks.reverse()
        return MiniBatch(nodes, blocks, seeds.numel())

    def _deduplicate(self, targets: torch.Tensor, sampled: torch.Tensor):
        # A dense id -> row table reused across calls (reset after each hop): O(new nodes) per
        # hop instead of a sort of all targets.
        if self._lookup is None:
            self._lookup = torch.full((self.num_nodes,), -1, dtype=torch.long)
        lookup = self._lookup
        n = targets.numel()
        lookup[targets] = torch.arange(n)
        unique = torch.unique(sampled)
        new = unique[lookup[unique] < 0]
        lookup[new] = torch.arange(n, n + new.numel())
        neighbors = lookup[sampled]
        nodes = torch.cat([targets, new])
        lookup[nodes] = -1
        return nodes, neighbors

    def batches(
        self,
        nodes,
        batch_size: int,
        *,
        shuffle: bool = True,
        generator: torch.Generator | None = None,
    ) -> Iterator[MiniBatch]:
        """Mini-batches covering ``nodes`` (ids or bool mask) once, ``batch_size`` seeds each."""
        batch_size = check_int("batch_size", batch_size)
        nodes = self._check_seeds(nodes)
        generator = generator or self.generator
        if shuffle:
            nodes = nodes[torch.randperm(nodes.numel(), generator=generator)]
        for start in range(0, nodes.numel(), batch_size):
            yield self.sample(nodes[start : start + batch_size], generator)

    def __repr__(self) -> str:
        return (
            f"NeighborSampler(fanouts={self.fanouts}, replace={self.replace}, "
            f"deduplicate={self.deduplicate}, {self.graph!r})"
        )


# ---------------------------------------------------------------------- unsupervised pairs
def negative_sampling_distribution(graph, power: float = 0.75) -> torch.Tensor:
    """``P_n(v) ∝ degree(v)^power`` (word2vec's unigram^0.75, GraphSAGE's negatives), ``[N]``.

    Nodes of degree 0 get probability 0 unless every node has degree 0 (then uniform).
    """
    weights = as_csr(graph, "in").degree().double().pow(power)
    if float(weights.sum()) == 0.0:
        weights = torch.ones(graph.num_nodes, dtype=torch.double)
    return (weights / weights.sum()).float()


def sample_negatives(
    distribution: torch.Tensor, shape, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Node ids ``LongTensor[shape]`` drawn i.i.d. from ``distribution [N]``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    count = 1
    for size in shape:
        count *= size
    draws = torch.multinomial(distribution, count, replacement=True, generator=generator)
    return draws.view(shape)


def walk_cooccurrence_pairs(walks: torch.Tensor, window: int = 1) -> torch.Tensor:
    """Positive ``(u, v)`` pairs of nodes at most ``window`` steps apart on a walk.

    Args:
        walks: ``LongTensor [num_walks, walk_length]`` (e.g. from `graphseq.walks.random_walks`);
            entries < 0 (padding of walks stuck at a sink) are ignored.
        window: maximum distance along the walk.

    Returns:
        ``LongTensor [2, P]`` pairs in both directions, self-pairs (``u == v``) removed.
    """
    if walks.dim() != 2:
        raise ValueError(
            f"walks must have shape [num_walks, walk_length], got {list(walks.shape)}."
        )
    window = check_int("window", window)
    pairs = []
    for distance in range(1, min(window, walks.size(1) - 1) + 1):
        left, right = walks[:, :-distance].flatten(), walks[:, distance:].flatten()
        pairs.append(torch.stack([left, right]))
        pairs.append(torch.stack([right, left]))
    if not pairs:
        return torch.zeros(2, 0, dtype=torch.long)
    pairs = torch.cat(pairs, 1)
    keep = (pairs[0] >= 0) & (pairs[1] >= 0) & (pairs[0] != pairs[1])
    return pairs[:, keep]
