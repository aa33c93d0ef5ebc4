"""The second-order (node2vec) walk loop of an unweighted graph, compiled with numba.

Why compiled: a node2vec step is a short rejection loop per walker (propose a neighbour, maybe
ask "is ``t -> x`` an edge", accept or propose again). Written as whole-tensor operations (the
weighted path in `graphseq.walks`) every round of that loop costs a dozen passes over all
walkers plus compactions of the walkers still rejected: node2vec walks took 9.3-10.3x the time
of first-order walks on the same graph (one thread). Compiled, each walker runs its own loop in
registers: 4.6-5.2x, 1.7-2.4x less time (``benchmarks/results/node2vec_speed.md``). What
remains is memory latency: a proposal's accept or reject waits on its own reads.

What it computes is `graphseq.walks`'s rejection sampler, unchanged: the envelope is
``c = max(1, 1/q)`` per neighbour plus a point mass ``1/p - c`` on the previous node when that is
larger (KnightKing's "outlier"); one uniform ``u`` per proposal gives both the neighbour
(``floor(u * (degree + shift) - shift)``) and, from its fractional part, the acceptance draw;
only draws whose answer depends on it ask the edge hash set (`graphseq.edge_hash`). A walker
still rejected after ``max_proposals`` proposals (extreme ``q``) draws exactly by inverse CDF
over its whole neighbour list, so the walk stays exact and its cost bounded.

Random numbers: walker ``w`` of a chunk draws from its own SplitMix64 stream, started at the
``w``-th output of SplitMix64 seeded with the chunk's seed, so the walks depend on the seed and
the chunk only, never on which thread ran the chunk. The loop releases the GIL (``nogil``):
chunks run in parallel in Python threads, as the rest of `graphseq.walks` does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .edge_hash import BUCKET_SLOTS, EMPTY, SPILLED

__all__ = ["edge_table", "second_order_walks"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (the golden ratio)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _uniform(state, walker):
    """The next float64 in [0, 1) of ``walker``'s stream (53 random bits)."""
    z = state[walker] + _GAMMA
    state[walker] = z
    return (_mix(z) >> np.uint64(11)) * _TO_UNIT


@njit(inline="always")
def _bucket(key, shift, mask):
    """`graphseq.edge_hash.EdgeHashSet`'s bucket of an edge key (Fibonacci hashing)."""
    return np.int64((np.uint64(key) * _GAMMA) >> np.uint64(shift)) & mask


@njit(inline="always")
def _is_edge(table, overflow, shift, mask, num_nodes, source, target):
    """`graphseq.edge_hash.EdgeHashSet.contains` for one pair: one 64-byte bucket row, and the
    sorted overflow only when the row is marked as spilled."""
    key = np.int64(source) * num_nodes + np.int64(target)
    bucket = _bucket(key, shift, mask)
    for slot in range(BUCKET_SLOTS):
        if table[bucket, slot] == key:
            return True
    if table[bucket, BUCKET_SLOTS - 1] == SPILLED and overflow.shape[0] > 0:
        position = np.searchsorted(overflow, key)
        return position < overflow.shape[0] and overflow[position] == key
    return False


@njit(nogil=True, cache=True)
def second_order_walks(
    indptr, indices, steps, seed, inv_p, inv_q, symmetric,
    table, overflow, shift, mask, num_nodes, max_proposals,
):  # fmt: skip
    """Fill ``steps[1:]`` with node2vec walks from the start nodes in ``steps[0]``.

    Args:
        indptr, indices: the walk CSR (``[N + 1]``, ``[E']``, int32 or int64): every node
            without out-edges has one self-loop, so a walker there stays.
        steps: ``[L, W]`` step-major walks, same dtype as ``indices``; row 0 holds the starts.
        seed: the chunk's seed (int64).
        inv_p, inv_q: ``1/p`` and ``1/q``.
        symmetric: every edge has its reverse, so the walker can always go back.
        table, overflow, shift, mask, num_nodes: the edge hash set of the graph
            (`graphseq.edge_hash.EdgeHashSet`'s ``keys``, ``overflow_keys``, ``shift``,
            ``mask``, ``num_nodes``).
        max_proposals: rejected proposals after which a walker's step is drawn exactly.
    """
    length, walkers = steps.shape
    c = max(1.0, inv_q)
    outlier = max(0.0, inv_p - c)  # point mass on going back, above the envelope's c
    chance_near, chance_far = 1.0 / c, inv_q / c
    chance_back = inv_p / max(c, inv_p)
    sure = min(chance_near, chance_far)  # a draw below it accepts whatever the lookup says
    near_wins = chance_near > chance_far
    state = np.empty(walkers, np.uint64)
    for w in range(walkers):
        state[w] = _mix(np.uint64(seed) + np.uint64(w + 1) * _GAMMA)
    for w in range(walkers):  # the first step has no previous node: first order
        current = steps[0, w]
        begin = indptr[current]
        degree = indptr[current + 1] - begin
        offset = min(int(_uniform(state, w) * degree), degree - 1)
        steps[1, w] = indices[begin + offset]
    for s in range(2, length):
        for w in range(walkers):
            previous, current = steps[s - 2, w], steps[s - 1, w]
            begin = indptr[current]
            degree = indptr[current + 1] - begin
            if degree == 1:  # one candidate: it is the step (also a dead end's self-loop)
                steps[s, w] = indices[begin]
                continue
            point = outlier
            if outlier > 0 and not symmetric:
                if not _is_edge(table, overflow, shift, mask, num_nodes, current, previous):
                    point = 0.0  # a directed graph may have no way back
            spread = point / c  # the point mass in units of c
            chosen = -1
            for _ in range(max_proposals):
                scaled = _uniform(state, w) * (degree + spread) - spread
                if scaled < 0:
                    chosen = previous  # the point mass accepts always
                    break
                offset = int(scaled)
                draw = scaled - offset  # uniform on [0, 1), independent of the offset
                candidate = indices[begin + min(offset, degree - 1)]
                if candidate == previous:
                    if draw < chance_back:
                        chosen = candidate
                        break
                    continue
                if draw < sure:
                    chosen = candidate
                    break
                near = _is_edge(table, overflow, shift, mask, num_nodes, previous, candidate)
                if near == near_wins:
                    chosen = candidate
                    break
            if chosen < 0:  # rare (extreme q): the exact distribution by inverse CDF
                total = 0.0
                for k in range(degree):
                    total += _bias(
                        indices[begin + k], previous, inv_p, inv_q,
                        table, overflow, shift, mask, num_nodes,
                    )  # fmt: skip
                target = _uniform(state, w) * total
                chosen = indices[begin + degree - 1]
                for k in range(degree):
                    candidate = indices[begin + k]
                    target -= _bias(
                        candidate, previous, inv_p, inv_q,
                        table, overflow, shift, mask, num_nodes,
                    )  # fmt: skip
                    if target < 0:
                        chosen = candidate
                        break
            steps[s, w] = chosen


@njit(inline="always")
def _bias(candidate, previous, inv_p, inv_q, table, overflow, shift, mask, num_nodes):
    """node2vec's ``alpha(t, x)``: ``1/p`` back, ``1`` next to ``t``, ``1/q`` away."""
    if candidate == previous:
        return inv_p
    if _is_edge(table, overflow, shift, mask, num_nodes, previous, candidate):
        return 1.0
    return inv_q


@njit(inline="always")
def _repeats_the_last(indptr, indices, row, position):
    """Whether the edge at ``position`` repeats the one before it in the same (sorted) row."""
    return position > indptr[row] and indices[position] == indices[position - 1]


@njit(nogil=True, cache=True)
def edge_table(indptr, indices, num_nodes, buckets, shift):
    """The slots of `graphseq.edge_hash.EdgeHashSet` for a CSR's distinct edges, built in two
    passes over the edges (count per bucket, then place) instead of a sort by bucket.

    Returns ``(keys [buckets, BUCKET_SLOTS] int64, overflow int64, unsorted)``, the layout of
    ``EdgeHashSet``: a bucket with more keys than slots keeps one fewer and marks its last slot
    spilled. A repeated edge is stored once where its copies are adjacent (sorted rows, as
    `CSRGraph` keeps them), otherwise once per copy, which no lookup minds.
    """
    mask = buckets - 1
    count = np.zeros(buckets, np.int32)
    for row in range(indptr.shape[0] - 1):
        for position in range(indptr[row], indptr[row + 1]):
            if not _repeats_the_last(indptr, indices, row, position):
                key = np.int64(row) * num_nodes + np.int64(indices[position])
                count[_bucket(key, shift, mask)] += 1
    spilled = 0
    for bucket in range(buckets):
        if count[bucket] > BUCKET_SLOTS:
            spilled += count[bucket] - (BUCKET_SLOTS - 1)
    table = np.full((buckets, BUCKET_SLOTS), EMPTY, np.int64)
    overflow = np.empty(spilled, np.int64)
    filled = np.zeros(buckets, np.int32)
    spill = 0
    for row in range(indptr.shape[0] - 1):
        for position in range(indptr[row], indptr[row + 1]):
            if _repeats_the_last(indptr, indices, row, position):
                continue
            key = np.int64(row) * num_nodes + np.int64(indices[position])
            bucket = _bucket(key, shift, mask)
            capacity = BUCKET_SLOTS - 1 if count[bucket] > BUCKET_SLOTS else BUCKET_SLOTS
            if filled[bucket] < capacity:
                table[bucket, filled[bucket]] = key
                filled[bucket] += 1
            else:
                overflow[spill] = key
                spill += 1
    for bucket in range(buckets):
        if count[bucket] > BUCKET_SLOTS:
            table[bucket, BUCKET_SLOTS - 1] = SPILLED
    return table, overflow
