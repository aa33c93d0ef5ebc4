"""Random walks on a `CSRGraph`, vectorized over all walkers.

Two kinds of walk:

* **first order** (DeepWalk, Perozzi et al. 2014): the next node is a uniformly random
  out-neighbour of the current node, or a weight-proportional one when the graph has weights;
* **second order** (node2vec, Grover & Leskovec 2016): a walker that came from ``t`` to ``v``
  moves to a neighbour ``x`` of ``v`` with probability proportional to ``w(v, x) * alpha(t, x)``
  where ``alpha = 1/p`` if ``x == t`` (going back), ``1`` if ``t -> x`` is an edge (staying
  near ``t``), and ``1/q`` otherwise (moving out). ``p = q = 1`` is the first-order walk.

How the second-order step is sampled, exactly and without a per-walker loop: every walker still
moving proposes a first-order neighbour ``x`` and accepts it with probability
``alpha(t, x) / max(1/p, 1, 1/q)`` (rejection sampling, as in KnightKing and torch-cluster).
"Is ``t -> x`` an edge" is one lookup in a vectorized hash set of all edges
(`graphseq.edge_hash.EdgeHashSet`, about one cache line read per question, where a binary
search over all edge keys needs ``log2(E)``). On the CPU, an unweighted graph's walks run
this sampler as one compiled loop per chunk (`graphseq.walk_kernels`, numba): each walker
proposes until it accepts, in registers, 2.5-3.2x faster than the same sampler as tensor
operations (``benchmarks/results/node2vec_speed.md``). Weighted graphs and other devices run
it as tensor operations: only the rejection rounds are a Python loop, and each round gives the
walkers still rejected twice as many proposals as the last, so a step takes a handful of
rounds. Either way, walkers still rejected
after a bounded number of proposals, or (tensor path) where fewer than 1 in 8 proposals are
accepted (extreme ``q``), are finished by exact inverse-CDF sampling over their whole
neighbour lists, so the walk stays exact and the step cost bounded. The two paths draw from
different random streams: the same seed gives the same walks on the same path.

Dead ends: a walker at a node with no out-edges (an isolated node, a sink of a directed graph, or
a node whose out-edge weights are all zero) cannot move. With ``dead_end="stop"`` (default) the
walk ends there and the rest of its row is ``-1``; with ``dead_end="stay"`` the walker stays on
that node (its id repeats to the end, as torch-cluster does).

Chunks, threads, reproducibility: walks are produced in chunks of ``chunk_size`` walks
(bounded memory); chunk ``k`` draws from its own generator seeded by ``(seed, k)``. Chunks are
walked by ``num_threads`` Python threads at once (torch releases the GIL inside its operations),
which parallelizes coarsely: per-step operations stay small and single-threaded instead of
synchronizing torch's intra-op pool hundreds of times per walk. The same ``seed`` and
``chunk_size`` give the same walks, whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .edge_hash import EdgeHashSet
from .graph import CSRGraph, as_csr
from .validation import check_choice, check_int, check_node_index, check_number

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "PAD",
    "check_bias",
    "iter_random_walks",
    "num_walks",
    "random_walks",
]

PAD = -1
"""Value that fills a walk's row after it stopped at a dead end (``dead_end="stop"``)."""

DEFAULT_CHUNK_SIZE = 1 << 15
"""Walks per chunk. Each chunk is walked by one thread with its own generator. 32768 walkers
keep each per-step tensor operation below torch's intra-op parallel grain, so the walk loop
never waits on torch's thread pool at every step (costly on a busy machine); parallelism
comes from walking several chunks at once instead (``num_threads``)."""
# Rejection rounds before the stragglers are sampled exactly. With p, q in [0.25, 4] nearly
# every walker accepts within a few rounds; the cap only matters for extreme p or q.
_MAX_REJECTION_ROUNDS = 16
# A round accepting fewer than this share of its walkers sends the rest to the exact sampler.
_MIN_ACCEPTANCE = 0.125
# Proposals per rejected walker in one round double each round up to this.
_MAX_PROPOSALS = 64
# Rejected proposals after which the compiled walk draws one step exactly (inverse CDF): with
# p, q in [0.25, 4] a proposal is accepted with probability >= 1/4, so all 32 fail with
# probability <= 0.75**32 = 1.0e-4.
_MAX_PROPOSALS_COMPILED = 32
# Unweighted node2vec walks on the CPU run the compiled loop (`graphseq.walk_kernels`); other
# devices, and weighted graphs, the tensor rejection sampler below (tests switch this off to
# check that path on the CPU too).
_COMPILED = True


# ---------------------------------------------------------------------------- validation
def check_bias(name: str, value, meaning: str) -> float:
    """A node2vec bias ``p`` or ``q``: a finite number > 0."""
    return check_number(
        name, value, positive=True, hint=f"({meaning}; use p = q = 1 for unbiased DeepWalk walks)"
    )


def _check_graph(graph) -> CSRGraph:
    graph = as_csr(graph, "out")
    if graph.num_edges == 0:
        raise ValueError(
            f"the graph has no edges ({graph.num_nodes} nodes): random walks need at least one "
            "edge. Check that edge_index is not empty."
        )
    if graph.weights is not None and not bool((graph.weights > 0).any()):
        raise ValueError(
            "every edge weight of the graph is 0, so no walker can move; give the edges "
            "positive weights or drop edge_weight."
        )
    return graph


def _check_start_nodes(start_nodes, num_nodes: int, device) -> torch.Tensor:
    if start_nodes is None:
        return torch.arange(num_nodes, device=device)
    start_nodes = check_node_index(start_nodes, num_nodes, "start_nodes").to(device)
    if start_nodes.numel() == 0:
        raise ValueError("start_nodes is empty; pass at least one node id (or None for all).")
    return start_nodes


# ---------------------------------------------------------------------------- graph tables
@dataclass
class _WalkTables:
    """What the sampler needs from the graph, computed once per call."""

    indptr: torch.Tensor  # [N + 1]
    indices: torch.Tensor  # [E]
    degree: torch.Tensor  # [N] out-degree (edge count)
    movable: torch.Tensor  # [N] bool: the node has an out-edge of positive weight
    cum_weight: torch.Tensor | None  # [E] float64 inclusive cumulative edge weight (weighted)
    start_weight: torch.Tensor | None  # [N] float64 cumulative weight before each node's slice
    total_weight: torch.Tensor | None  # [N] float64 out-weight of each node
    edges: EdgeHashSet | None  # "is t -> x an edge" (second order only), values = positions
    num_nodes: int
    symmetric: bool  # every edge has its reverse with the same weight (so v -> t exists)
    all_movable: bool  # no walker ever stands where it cannot move
    # Unweighted first-order steps use a copy of the CSR in which every node without out-edges
    # has one self-loop, so a step needs no special case for dead ends, and a float64 degree
    # scaled by (1 - 2**-50) so that floor(u * degree) < degree for every u in [0, 1) without a
    # clamp (a bias below 1e-15). Walks keep these index tables, and the walk itself, in
    # int32 when the graph fits: half the memory traffic per step, ~1.5x faster first-order
    # walks on BlogCatalog, with the same walks (edge lookups widen their keys to int64).
    step_indptr: torch.Tensor | None = None  # [N + 1]
    step_indices: torch.Tensor | None = None  # [E + dead ends]
    step_degree: torch.Tensor | None = None  # [N] float64
    compiled: bool = False  # second-order steps run `graphseq.walk_kernels` (unweighted, CPU)

    @classmethod
    def build(cls, graph: CSRGraph, second_order: bool) -> _WalkTables:
        indptr, indices = graph.indptr, graph.indices
        degree = indptr[1:] - indptr[:-1]
        cum_weight = start_weight = total_weight = None
        movable = degree > 0
        if graph.weights is not None:
            # A global running sum of weights, nondecreasing, so "which edge of v holds the
            # weight position s" is one searchsorted over all edges; float64 keeps it exact
            # enough for millions of edges.
            cum_weight = torch.cumsum(graph.weights.double(), 0)
            padded = torch.cat([cum_weight.new_zeros(1), cum_weight])
            start_weight = padded[indptr[:-1]]
            total_weight = padded[indptr[1:]] - start_weight
            movable = total_weight > 0
        edges, symmetric, compiled = None, bool(graph.symmetric), False
        if second_order:
            # Positions are only needed to read a weight w(v, t) (weighted graphs).
            positions = None if graph.weights is None else torch.arange(indices.numel())
            compiled = positions is None and indices.device.type == "cpu" and _COMPILED
            if compiled:
                # the same table from a compiled two-pass loop: ~3x faster than sorting
                edges = EdgeHashSet.from_csr(indptr, indices, graph.num_nodes)
            else:
                edges = EdgeHashSet(graph.rows(), indices, graph.num_nodes, positions)
            # An unweighted graph holding every reverse edge lets the step skip a lookup.
            symmetric = graph.symmetric or (
                graph.weights is None and _holds_every_reverse(edges, graph, compiled)
            )
        tables = cls(
            indptr, indices, degree, movable, cum_weight, start_weight, total_weight,
            edges, graph.num_nodes, symmetric, bool(movable.all()), compiled=compiled,
        )  # fmt: skip
        if cum_weight is None:
            tables._build_uniform_step()
        return tables

    def _build_uniform_step(self) -> None:
        dead = self.degree == 0
        if not bool(dead.any()):
            step_indptr, step_indices, step_degree = self.indptr, self.indices, self.degree
        else:
            step_degree = self.degree + dead
            step_indptr = torch.zeros_like(self.indptr)
            torch.cumsum(step_degree, 0, out=step_indptr[1:])
            step_indices = torch.empty(int(step_indptr[-1]), dtype=torch.long, device=dead.device)
            # Each original edge moves right by the number of dead ends before its source.
            shift = torch.cumsum(dead.long(), 0) - dead.long()
            sources = torch.repeat_interleave(
                torch.arange(self.num_nodes, device=dead.device), self.degree
            )
            step_indices[
                torch.arange(self.indices.numel(), device=dead.device) + shift[sources]
            ] = self.indices
            dead_nodes = dead.nonzero().flatten()
            step_indices[step_indptr[dead_nodes]] = dead_nodes
        if step_indices.numel() < 2**31:
            step_indptr, step_indices = _int32(step_indptr), _int32(step_indices)
        self.step_indptr, self.step_indices = step_indptr, step_indices
        self.step_degree = step_degree.double() * (1.0 - 2.0**-50)

    def find_edges(self, source: torch.Tensor, target: torch.Tensor):
        """Whether ``source[i] -> target[i]`` is an edge, and the position of that edge.

        Returns ``(found BoolTensor, position LongTensor)``: one hash lookup per pair (see
        `graphseq.edge_hash`). ``position`` is only meaningful where ``found`` and only for a
        weighted graph (unweighted graphs do not store positions: -1).
        """
        return self.edges.lookup(source, target)

    def edge_weight(self, position: torch.Tensor) -> torch.Tensor:
        """Weight of the edges at ``position`` (float64; 1 for an unweighted graph)."""
        if self.cum_weight is None:
            return torch.ones(position.shape, dtype=torch.float64, device=position.device)
        before = torch.where(position > 0, self.cum_weight[(position - 1).clamp(min=0)], 0.0)
        return self.cum_weight[position] - before

    def out_weight(self, node: torch.Tensor) -> torch.Tensor:
        """Total out-edge weight of ``node`` (float64; the degree for an unweighted graph)."""
        if self.total_weight is None:
            return torch.index_select(self.degree, 0, node).double()
        return torch.index_select(self.total_weight, 0, node)

    def propose(self, current: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
        """Edge position of a first-order step from each (movable) ``current`` node.

        ``uniform``: float64 in [0, 1), one per walker. Unweighted: a uniform neighbour;
        weighted: a neighbour with probability proportional to the edge weight.
        """
        begin = torch.index_select(self.indptr, 0, current)
        if self.cum_weight is None:
            degree = torch.index_select(self.degree, 0, current)
            offset = (uniform * degree).long()
            # float rounding can give offset == degree for u close to 1
            offset = torch.minimum(offset, (degree - 1).clamp_(min=0))
            return begin + offset
        target = self.start_weight[current] + uniform * self.total_weight[current]
        position = torch.searchsorted(self.cum_weight, target, right=True)
        end = self.indptr[current + 1] - 1
        return torch.minimum(torch.maximum(position, begin), end.clamp(min=0))


def _int32(tensor: torch.Tensor) -> torch.Tensor:
    """An int32 copy; on the CPU allocated by numpy, which asks Linux for transparent huge
    pages for large arrays: the walks' random reads into the tables then miss the TLB less."""
    if tensor.device.type != "cpu":
        return tensor.int()
    return torch.from_numpy(tensor.numpy().astype(np.int32))


def _kernel_edge_set(edges: EdgeHashSet) -> tuple:
    """The edge hash set as `graphseq.walk_kernels` takes it: ``(keys, overflow_keys, shift,
    mask, num_nodes)``, arrays as numpy views."""
    return (edges.keys.numpy(), edges.overflow_keys.numpy(), edges.shift, edges.mask,
            edges.num_nodes)  # fmt: skip


def _holds_every_reverse(
    edges: EdgeHashSet, graph: CSRGraph, compiled: bool, block: int = 1 << 20
) -> bool:
    """Whether every edge ``u -> v`` has its reverse ``v -> u``: by the compiled loop, or asked
    a block of edges at a time, as a lookup holds a 64-byte bucket row per question."""
    if compiled:
        from .walk_kernels import holds_every_reverse

        return holds_every_reverse(
            graph.indptr.numpy(), graph.indices.numpy(), *_kernel_edge_set(edges)
        )
    rows, indices = graph.rows(), graph.indices
    for begin in range(0, indices.numel(), block):
        end = begin + block
        if not bool(edges.contains(indices[begin:end], rows[begin:end]).all()):
            return False
    return True


# ---------------------------------------------------------------------------- sampling steps
def _first_order_step(tables: _WalkTables, current, uniform, out=None) -> torch.Tensor:
    """Next node of every walker (``current`` itself where it cannot move), written to ``out``."""
    if tables.step_degree is not None:  # unweighted: the hot loop of DeepWalk, kept minimal
        # index_select is several times faster than tensor[index] for 1-D gathers
        offset = uniform * torch.index_select(tables.step_degree, 0, current)
        offset = offset.to(tables.step_indptr.dtype)
        offset += torch.index_select(tables.step_indptr, 0, current)
        return torch.index_select(tables.step_indices, 0, offset, out=out)
    position = tables.propose(current, uniform).clamp_(max=tables.indices.numel() - 1)
    nxt = torch.where(tables.movable[current], tables.indices[position], current)
    if out is not None:
        out.copy_(nxt)
    return nxt


def _bias(tables: _WalkTables, previous, candidate, inv_p: float, inv_q: float) -> torch.Tensor:
    """node2vec's ``alpha(t, x)``: ``1/p`` back to ``t``, ``1`` next to ``t``, ``1/q`` away."""
    near, _ = tables.find_edges(previous, candidate)
    alpha = torch.where(near, 1.0, inv_q)
    return torch.where(candidate == previous, inv_p, alpha)


def _exact_second_order(tables, previous, current, uniform, inv_p, inv_q) -> torch.Tensor:
    """Inverse-CDF second-order step over the full neighbour lists (for rejection stragglers)."""
    degree = tables.degree[current]
    walker = torch.repeat_interleave(torch.arange(current.numel(), device=current.device), degree)
    first = torch.cumsum(degree, 0) - degree  # position of each walker's first candidate
    local = torch.arange(walker.numel(), device=current.device) - first[walker]
    position = tables.indptr[current][walker] + local
    candidate = tables.indices[position]
    mass = _bias(tables, previous[walker], candidate, inv_p, inv_q) * tables.edge_weight(position)
    cumulative = torch.cumsum(mass, 0)
    before = torch.cat([cumulative.new_zeros(1), cumulative])[first]
    total = cumulative[first + degree - 1] - before
    chosen = torch.searchsorted(cumulative, before + uniform * total, right=True)
    chosen = torch.minimum(chosen, first + degree - 1)
    return candidate[chosen]


def _return_mass(tables, previous, current, outlier: float):
    """The envelope's point mass on going back, ``w(v, t) * outlier`` per walker (float64
    ``[W]``), or None where it is the constant ``outlier``: an unweighted symmetric graph, whose
    walkers all came along ``t -> v``, so ``v -> t`` exists."""
    if tables.symmetric and tables.cum_weight is None:
        return None
    found, position = tables.find_edges(current, previous)
    if tables.cum_weight is None:
        return found.double() * outlier
    return torch.where(found, tables.edge_weight(position.clamp(min=0)), 0.0) * outlier


def _draws(tables, count: int, generator, device) -> torch.Tensor:
    """The uniforms of ``count`` proposals: float64 ``[count]`` for an unweighted graph (one
    number both picks the neighbour and decides acceptance, see `_propose_and_test`),
    ``[2, count]`` for a weighted one."""
    shape = (count,) if tables.step_degree is not None else (2, count)
    return torch.rand(shape, dtype=torch.float64, generator=generator, device=device)


def _propose_and_test(tables, cur, prev, point, draws, constants):
    """One rejection-sampling proposal per entry: ``(candidate, accept)``, flat ``[P]`` tensors.

    ``draws``: from `_draws`; ``point``: the return mass per entry (a tensor, the constant
    ``outlier``, or None when there is none). Unweighted graphs spend one uniform ``u`` per
    proposal: ``u * degree = k + f`` picks neighbour ``k`` uniformly, and the fractional part
    ``f`` is uniform on [0, 1) and independent of ``k``, so it serves as the acceptance draw.
    """
    if tables.step_degree is None:
        return _propose_and_test_weighted(tables, cur, prev, point, draws, constants)
    c, outlier, chance_near, chance_far, chance_back = constants
    degree = torch.index_select(tables.step_degree, 0, cur)
    take_previous = None
    if outlier > 0:
        # The envelope is c per neighbour plus the point mass on t: u * (c * degree + point)
        # falls on the point mass below `point`, else on neighbour floor((spot - point) / c).
        # In units of c: scaled = u * (degree + point / c) - point / c, negative for the point.
        shift = point / c
        scaled = draws * (degree + shift) - shift
        take_previous = scaled < 0
        scaled.clamp_(min=0.0)
    else:
        scaled = draws * degree
    offset = scaled.long()
    acceptance_draw = scaled.sub_(offset)
    offset += torch.index_select(tables.step_indptr, 0, cur)
    candidate = torch.index_select(tables.step_indices, 0, offset)
    # Decide without the edge lookup where its answer cannot matter: a draw below both the
    # "near" and the "away" chance accepts either way. Only the rest ask the hash set.
    accept = acceptance_draw < min(chance_near, chance_far)
    back = candidate == prev
    accept = torch.where(back, acceptance_draw < chance_back, accept)
    if take_previous is not None:
        accept |= take_previous
    undecided = ~(accept | back)
    if take_previous is not None:
        undecided &= ~take_previous
    ask = undecided.nonzero().flatten()
    if ask.numel():
        near = tables.edges.contains(
            torch.index_select(prev, 0, ask), torch.index_select(candidate, 0, ask)
        )
        # An undecided draw is above the smaller chance, and the larger one is 1 (c is the
        # larger of 1 and 1/q): accepted exactly when the candidate has the larger chance.
        accept[ask] = near if chance_near > chance_far else ~near
    if take_previous is not None:
        candidate = torch.where(take_previous, prev, candidate)
    return candidate, accept


def _propose_and_test_weighted(tables, cur, prev, point, draws, constants):
    """`_propose_and_test` for a weighted graph: weight-proportional proposals (a binary
    search over the running weights), two uniforms per proposal."""
    c, outlier, chance_near, chance_far, chance_back = constants
    spot, take_previous = draws[0], None
    if outlier > 0:
        base = tables.out_weight(cur) * c
        spot = spot * (base + point)
        take_previous = spot < point
        # the uniform left over after the choice between point mass and base is uniform
        spot = ((spot - point) / base).clamp_(0.0, 1.0 - 2**-53)
    candidate = torch.index_select(tables.indices, 0, tables.propose(cur, spot))
    chance = torch.where(tables.edges.contains(prev, candidate), chance_near, chance_far)
    chance.masked_fill_(candidate == prev, chance_back)
    accept = draws[1] < chance
    if take_previous is not None:
        candidate = torch.where(take_previous, prev, candidate)
        accept |= take_previous
    return candidate, accept


def _second_order_step(tables, previous, current, generator, inv_p, inv_q) -> torch.Tensor:
    """Next node of every walker by rejection sampling.

    The envelope is ``c * w(v, x)`` with ``c = max(1, 1/q)`` for every neighbour ``x``, plus a
    point mass ``w(v, t) * (1/p - c)`` on the previous node ``t`` when ``1/p > c`` (KnightKing's
    "outlier" trick): a large return weight then costs nothing, and the expected number of
    rounds is at most ``max(q, 1/q)``. A proposal ``x`` is accepted with probability
    ``target(x) / envelope(x)``: ``alpha(x) / c``, or ``(1/p) / max(c, 1/p)`` for ``x = t``.

    Cost: every tensor operation has a fixed overhead, so the number of rounds matters as much
    as the proposals. The first round makes one proposal per walker, in place; each later round
    gives every walker still rejected twice as many proposals as the round before (``2, 4, 8,
    ...``, tried at once; the first accepted one is taken, which is exactly what proposing them
    one after the other would give), so a step takes about ``log2(log(W))`` rounds instead of
    ``log(W)``. "Is ``t -> x`` an edge" is one hash lookup (`graphseq.edge_hash`).
    """
    device = current.device
    c = max(1.0, inv_q)
    outlier = max(0.0, inv_p - c)
    constants = (c, outlier, 1.0 / c, inv_q / c, inv_p / max(c, inv_p))
    return_mass = None
    if outlier > 0:
        return_mass = _return_mass(tables, previous, current, outlier)
        if return_mass is None:
            return_mass = outlier
    if tables.all_movable:  # the first round needs no gathers
        draws = _draws(tables, current.numel(), generator, device)
        candidate, accept = _propose_and_test(
            tables, current, previous, return_mass, draws, constants
        )
        nxt = torch.where(accept, candidate, current)
        pending = (~accept).nonzero().flatten()
        acceptance = 1.0 - pending.numel() / max(current.numel(), 1)
        proposals = 2
    else:
        nxt = current.clone()
        pending = tables.movable[current].nonzero().flatten()
        acceptance, proposals = 1.0, 1
    for _ in range(_MAX_REJECTION_ROUNDS):
        if pending.numel() == 0:
            return nxt
        if acceptance < _MIN_ACCEPTANCE:
            break  # rejection would need many more rounds (e.g. q << 1): finish them exactly
        count = pending.numel()
        # walker-major [count, proposals]: the reductions below run along contiguous rows
        cur = torch.index_select(current, 0, pending).repeat_interleave(proposals)
        prev = torch.index_select(previous, 0, pending).repeat_interleave(proposals)
        point = return_mass
        if isinstance(point, torch.Tensor):
            point = torch.index_select(point, 0, pending).repeat_interleave(proposals)
        draws = _draws(tables, count * proposals, generator, device)
        candidate, accept = _propose_and_test(tables, cur, prev, point, draws, constants)
        candidate, accept = candidate.view(count, proposals), accept.view(count, proposals)
        first = accept.to(torch.uint8).argmax(1)  # the first accepted proposal of each walker
        done = accept.any(1)
        chosen = candidate.gather(1, first[:, None]).squeeze(1)
        nxt[pending[done]] = chosen[done]
        accepted = int(done.sum())
        # acceptance per proposal, from the share of walkers with none accepted: (1 - a)^k
        left = (count - accepted) / count
        acceptance = 1.0 - left ** (1.0 / proposals) if left > 0 else 1.0
        pending = pending[~done]
        proposals = min(2 * proposals, _MAX_PROPOSALS)
    if pending.numel():
        uniform = torch.rand(
            pending.numel(), dtype=torch.float64, generator=generator, device=device
        )
        nxt[pending] = _exact_second_order(
            tables, previous[pending], current[pending], uniform, inv_p, inv_q
        ).to(nxt.dtype)
    return nxt


def _transpose_into(steps: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
    """``steps [L, W]`` as a walk-major ``LongTensor [W, L]`` (``out`` when given)."""
    if out is None:
        out = torch.empty(steps.t().shape, dtype=torch.long, device=steps.device)
    out.copy_(steps.t())
    return out


def _walk_chunk(
    tables, starts, walk_length, generator, inv_p, inv_q, dead_end, out=None
) -> torch.Tensor:
    """Walks from ``starts [W]``: ``LongTensor [W, walk_length]`` (written into ``out`` if given)."""
    num = starts.numel()
    # Build step-major ([walk_length, W]) so each step writes one contiguous row.
    dtype = torch.long if tables.step_indices is None else tables.step_indices.dtype
    steps = torch.empty(walk_length, num, dtype=dtype, device=starts.device)
    steps[0] = starts
    if walk_length == 1:
        return _transpose_into(steps, out)
    second_order = inv_p != 1.0 or inv_q != 1.0
    if second_order and tables.compiled:
        _compiled_second_order(tables, steps, generator, inv_p, inv_q)
        return _finish(tables, steps, dead_end, out)
    uniform = torch.rand(
        1 if second_order else walk_length - 1, num,
        dtype=torch.float64, generator=generator, device=starts.device,
    )  # fmt: skip
    previous, current = starts, steps[0]
    for step in range(1, walk_length):
        if second_order and step > 1:
            nxt = _second_order_step(tables, previous, current, generator, inv_p, inv_q)
            steps[step] = nxt
        else:
            nxt = _first_order_step(tables, current, uniform[step - 1], out=steps[step])
        previous, current = current, nxt
    return _finish(tables, steps, dead_end, out)


def _compiled_second_order(tables, steps, generator, inv_p, inv_q) -> None:
    """Fill ``steps[1:]`` (step-major ``[L, W]``) by `graphseq.walk_kernels`, seeded from
    ``generator``: the node2vec walks of an unweighted graph."""
    from .walk_kernels import second_order_walks  # numba: loaded (and compiled) on first use

    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=generator))
    second_order_walks(
        tables.step_indptr.numpy(), tables.step_indices.numpy(), steps.numpy(), seed,
        inv_p, inv_q, tables.symmetric, *_kernel_edge_set(tables.edges),
        _MAX_PROPOSALS_COMPILED,
    )  # fmt: skip


def _finish(tables, steps, dead_end, out) -> torch.Tensor:
    """Walk-major walks from ``steps [L, W]``, padded after a dead end for ``"stop"``."""
    walks = _transpose_into(steps, out)
    if dead_end == "stop" and not bool(tables.movable.all()):
        # A walker that could not move repeats its node; from its first repeat on, the walk
        # is over. (A real self-loop also repeats a node, so look at movability instead.)
        stuck = ~tables.movable[walks[:, :-1]]
        ended = torch.cumsum(stuck.long(), 1) > 0
        walks[:, 1:][ended] = PAD
    return walks


# ---------------------------------------------------------------------------- public API
def num_walks(graph, walks_per_node: int, start_nodes=None) -> int:
    """How many walks `random_walks` returns: ``walks_per_node * len(start_nodes)``."""
    walks_per_node = check_int("walks_per_node", walks_per_node)
    graph = as_csr(graph, "out")
    count = graph.num_nodes if start_nodes is None else torch.as_tensor(start_nodes).numel()
    return walks_per_node * count


def _prepare(graph, walk_length, walks_per_node, p, q, seed, start_nodes, dead_end,
             chunk_size, num_threads):  # fmt: skip
    """Validate the arguments of the public functions; return what the walk loop needs."""
    walk_length = check_int("walk_length", walk_length)
    walks_per_node = check_int("walks_per_node", walks_per_node)
    p = check_bias("p", p, "the return parameter")
    q = check_bias("q", q, "the in-out parameter")
    check_choice("dead_end", dead_end, ("stop", "stay"))
    chunk_size = check_int("chunk_size", DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size)
    num_threads = check_int(
        "num_threads", torch.get_num_threads() if num_threads is None else num_threads
    )
    if seed is not None:
        seed = check_int("seed", seed, minimum=None)
    graph = _check_graph(graph)
    starts = _check_start_nodes(start_nodes, graph.num_nodes, graph.indptr.device)
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)))
    tables = _WalkTables.build(graph, second_order=p != 1.0 or q != 1.0)
    total = walks_per_node * starts.numel()

    def walk(chunk: int, out: torch.Tensor | None = None) -> torch.Tensor:
        begin = chunk * chunk_size
        rows = torch.arange(begin, min(begin + chunk_size, total), device=starts.device)
        # Row r is walk number r // len(starts) from start node starts[r % len(starts)].
        chunk_starts = starts[rows % starts.numel()]
        state = np.random.SeedSequence([int(seed) % 2**63, chunk]).generate_state(1, np.uint64)
        generator = torch.Generator(device=starts.device)
        generator.manual_seed(int(state[0]) & (2**63 - 1))
        return _walk_chunk(
            tables, chunk_starts, walk_length, generator, 1.0 / p, 1.0 / q, dead_end, out
        )

    num_chunks = -(-total // chunk_size)
    return walk, num_chunks, total, walk_length, chunk_size, num_threads, starts.device


def iter_random_walks(
    graph,
    walk_length: int,
    walks_per_node: int = 1,
    p: float = 1.0,
    q: float = 1.0,
    seed: int | None = None,
    start_nodes=None,
    *,
    dead_end: str = "stop",
    chunk_size: int | None = None,
    num_threads: int | None = None,
) -> Iterator[torch.Tensor]:
    """Like `random_walks`, but yields the walks in chunks of at most ``chunk_size`` rows.

    Concatenating the chunks gives exactly what `random_walks` returns for the same
    arguments. Use it when the whole walk set does not fit in memory (e.g. to stream walks to
    a corpus file): at most about ``2 * num_threads`` chunks are held at once.
    """
    walk, num_chunks, _, _, _, num_threads, _ = _prepare(
        graph, walk_length, walks_per_node, p, q, seed, start_nodes, dead_end,
        chunk_size, num_threads,
    )  # fmt: skip
    if num_threads == 1 or num_chunks == 1:
        for chunk in range(num_chunks):
            yield walk(chunk)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(num_threads) as pool:
        pending: deque = deque()
        for chunk in range(num_chunks):
            pending.append(pool.submit(walk, chunk))
            if len(pending) >= 2 * num_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def random_walks(
    graph,
    walk_length: int,
    walks_per_node: int = 1,
    p: float = 1.0,
    q: float = 1.0,
    seed: int | None = None,
    start_nodes=None,
    *,
    dead_end: str = "stop",
    chunk_size: int | None = None,
    num_threads: int | None = None,
) -> torch.Tensor:
    """Random walks from every node (or from ``start_nodes``), ``walks_per_node`` times each.

    Args:
        graph: a `CSRGraph`, PyG ``Data``, ``edge_index [2, E]``, networkx graph or scipy
            sparse adjacency. Edge weights, where present, make steps weight-proportional.
        walk_length: nodes per walk, including the start node (``>= 1``).
        walks_per_node: walks started at each start node (``>= 1``).
        p: node2vec return parameter (``> 0``): going back to the previous node has weight
            ``1/p``.
        q: node2vec in-out parameter (``> 0``): moving to a node not adjacent to the previous
            node has weight ``1/q``. ``p = q = 1`` gives first-order DeepWalk walks.
        seed: same seed, same walks; ``None`` draws a fresh seed.
        start_nodes: ``LongTensor [S]`` of node ids to start from (default: all nodes).
        dead_end: ``"stop"`` pads a walk that reaches a node without out-edges with ``-1``;
            ``"stay"`` repeats that node (see the module docstring).
        chunk_size: walks per chunk, the unit of work and of seeding (default
            `DEFAULT_CHUNK_SIZE`); part of what the seed reproduces.
        num_threads: chunks walked at the same time, one Python thread each (default:
            ``torch.get_num_threads()``). The result does not depend on it.

    Returns:
        ``LongTensor [walks_per_node * S, walk_length]``. Row ``r`` starts at
        ``start_nodes[r % S]``: the first ``S`` rows are one walk from each start node, the
        next ``S`` the second, and so on.

    Raises:
        ValueError: ``walk_length`` or ``walks_per_node < 1``, ``p`` or ``q <= 0``, a graph with
            no edges, start nodes out of range.
    """
    walk, num_chunks, total, length, chunk_size, num_threads, device = _prepare(
        graph, walk_length, walks_per_node, p, q, seed, start_nodes, dead_end,
        chunk_size, num_threads,
    )  # fmt: skip
    out = torch.empty(total, length, dtype=torch.long, device=device)

    def fill(chunk: int) -> None:
        begin = chunk * chunk_size
        walk(chunk, out[begin : begin + chunk_size])

    if num_threads == 1 or num_chunks == 1:
        for chunk in range(num_chunks):
            fill(chunk)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(num_threads, num_chunks)) as pool:
            list(pool.map(fill, range(num_chunks)))
    return out
