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
"Is ``t -> x`` an edge" is one vectorized binary search (``torch.searchsorted``) for the key
``t * N + x`` in the sorted keys ``source * N + target`` of all edges. Only the rejection rounds
are a Python loop. Walkers still rejected after ``_MAX_REJECTION_ROUNDS`` rounds, or after a round that
accepted fewer than 1 in 8 (extreme ``q``), are finished by exact inverse-CDF sampling over their
whole neighbour lists, so the walk stays exact and the step cost bounded.

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
    edge_keys: torch.Tensor | None  # [E] sorted source * N + target (second order only)
    num_nodes: int
    # Unweighted first-order steps use a copy of the CSR in which every node without out-edges
    # has one self-loop, so a step needs no special case for dead ends, and a float64 degree
    # scaled by (1 - 2**-50) so that floor(u * degree) < degree for every u in [0, 1) without a
    # clamp (a bias below 1e-15). First-order walks keep these index tables, and the walk
    # itself, in int32 when the graph fits: half the memory traffic per step, ~1.5x faster
    # walks on BlogCatalog, with the same walks.
    step_indptr: torch.Tensor | None = None  # [N + 1]
    step_indices: torch.Tensor | None = None  # [E + dead ends]
    step_degree: torch.Tensor | None = None  # [N] float64

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
        edge_keys = None
        if second_order:
            n = max(graph.num_nodes, 1)
            edge_keys = graph.rows() * n + indices
            if edge_keys.numel() > 1 and bool((edge_keys[1:] < edge_keys[:-1]).any()):
                # CSRGraph built by its constructors is sorted; one built by hand may not be.
                edge_keys = torch.sort(edge_keys).values
        tables = cls(
            indptr, indices, degree, movable, cum_weight, start_weight, total_weight,
            edge_keys, graph.num_nodes,
        )  # fmt: skip
        if cum_weight is None:
            tables._build_uniform_step(compact=not second_order)
        return tables

    def _build_uniform_step(self, compact: bool) -> None:
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
        if compact and step_indices.numel() < 2**31:
            step_indptr, step_indices = step_indptr.int(), step_indices.int()
        self.step_indptr, self.step_indices = step_indptr, step_indices
        self.step_degree = step_degree.double() * (1.0 - 2.0**-50)

    def find_edges(self, source: torch.Tensor, target: torch.Tensor):
        """Whether ``source[i] -> target[i]`` is an edge, and the position of that edge.

        Returns ``(found BoolTensor, position LongTensor)``; one vectorized binary search for the
        key ``source * N + target`` among all edge keys. ``position`` is only meaningful where
        ``found``.
        """
        keys = source * max(self.num_nodes, 1) + target
        position = torch.searchsorted(self.edge_keys, keys).clamp_(max=self.edge_keys.numel() - 1)
        return self.edge_keys[position] == keys, position

    def edge_weight(self, position: torch.Tensor) -> torch.Tensor:
        """Weight of the edges at ``position`` (float64; 1 for an unweighted graph)."""
        if self.cum_weight is None:
            return torch.ones(position.shape, dtype=torch.float64, device=position.device)
        before = torch.where(position > 0, self.cum_weight[(position - 1).clamp(min=0)], 0.0)
        return self.cum_weight[position] - before

    def out_weight(self, node: torch.Tensor) -> torch.Tensor:
        """Total out-edge weight of ``node`` (float64; the degree for an unweighted graph)."""
        if self.total_weight is None:
            return self.degree[node].double()
        return self.total_weight[node]

    def propose(self, current: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
        """Edge position of a first-order step from each (movable) ``current`` node.

        ``uniform``: float64 in [0, 1), one per walker. Unweighted: a uniform neighbour;
        weighted: a neighbour with probability proportional to the edge weight.
        """
        begin = self.indptr[current]
        if self.cum_weight is None:
            degree = self.degree[current]
            offset = (uniform * degree).long()
            # float rounding can give offset == degree for u close to 1
            offset = torch.minimum(offset, (degree - 1).clamp_(min=0))
            return begin + offset
        target = self.start_weight[current] + uniform * self.total_weight[current]
        position = torch.searchsorted(self.cum_weight, target, right=True)
        end = self.indptr[current + 1] - 1
        return torch.minimum(torch.maximum(position, begin), end.clamp(min=0))


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


def _second_order_step(tables, previous, current, generator, inv_p, inv_q) -> torch.Tensor:
    """Next node of every walker by rejection sampling.

    The envelope is ``c * w(v, x)`` with ``c = max(1, 1/q)`` for every neighbour ``x``, plus a
    point mass ``w(v, t) * (1/p - c)`` on the previous node ``t`` when ``1/p > c`` (KnightKing's
    "outlier" trick): a large return weight then costs nothing, and the expected number of
    rounds is at most ``max(q, 1/q)``. A proposal ``x`` is accepted with probability
    ``target(x) / envelope(x)``: ``alpha(x) / c``, or ``(1/p) / max(c, 1/p)`` for ``x = t``.
    """
    device = current.device
    nxt = current.clone()
    pending = tables.movable[current].nonzero().flatten()
    c = max(1.0, inv_q)
    outlier = max(0.0, inv_p - c)
    for _ in range(_MAX_REJECTION_ROUNDS):
        if pending.numel() == 0:
            return nxt
        draws = torch.rand(
            2, pending.numel(), dtype=torch.float64, generator=generator, device=device
        )
        cur, prev = current[pending], previous[pending]
        propose_from = draws[0]
        take_previous = None
        if outlier > 0:
            found, position = tables.find_edges(cur, prev)
            point_mass = torch.where(found, tables.edge_weight(position), 0.0) * outlier
            base_mass = tables.out_weight(cur) * c
            spot = draws[0] * (base_mass + point_mass)
            take_previous = spot < point_mass
            # the uniform left over after the choice between point mass and base is uniform
            propose_from = ((spot - point_mass) / base_mass).clamp_(0.0, 1.0 - 2**-53)
        candidate = tables.indices[tables.propose(cur, propose_from)]
        back = candidate == prev
        envelope = torch.where(back, max(c, inv_p), c)
        accept = draws[1] * envelope < _bias(tables, prev, candidate, inv_p, inv_q)
        if take_previous is not None:
            candidate = torch.where(take_previous, prev, candidate)
            accept |= take_previous
        nxt[pending[accept]] = candidate[accept]
        accepted = int(accept.sum())
        if accepted < pending.numel() * _MIN_ACCEPTANCE:
            # rejection would need many more rounds (e.g. q << 1): finish them exactly now
            pending = pending[~accept]
            break
        pending = pending[~accept]
    if pending.numel():
        uniform = torch.rand(
            pending.numel(), dtype=torch.float64, generator=generator, device=device
        )
        nxt[pending] = _exact_second_order(
            tables, previous[pending], current[pending], uniform, inv_p, inv_q
        )
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
