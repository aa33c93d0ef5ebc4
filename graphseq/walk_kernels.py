"""The second-order (node2vec) walk loop of an unweighted graph, compiled with numba.

Why compiled: a node2vec step is a short rejection loop per walker (propose a neighbour, maybe
ask "is ``t -> x`` an edge", accept or propose again). Written as whole-tensor operations (the
weighted path in `graphseq.walks`) every round of that loop costs a dozen passes over all
walkers plus compactions of the walkers still rejected: node2vec walks took 9.3-10.3x the time
of first-order walks on the same graph (one thread). Compiled, each walker runs its own loop in
registers, and the loop is software-pipelined over the walkers: while one walker takes its
step, the reads of the walkers 8, 16 and 24 places after it are already on their way (row
bounds, first proposed neighbours, the hash buckets their tests may read), where a walker alone
would wait on each read in turn (the first two proposals are drawn ahead: about two steps in
five need a second). node2vec walks take 3.1-4.6x the time of first-order walks on BlogCatalog
and a 10^7-edge graph over the runs made (``benchmarks/results/node2vec_speed.md``, one thread;
worst when other work shares the machine's cache), 2.5-3.2x less than the tensor sampler. The
edge hash set is built by two passes that prefetch the same way.

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
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .edge_hash import BUCKET_SLOTS, SPILLED

__all__ = ["bucket_counts", "fill_edge_table", "holds_every_reverse", "second_order_walks"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (the golden ratio)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
# Walkers between two stages of the step pipeline: a read from memory (~100 ns) must land
# while the loop works on the walkers in between (8: about -25% time a step at 10^7 edges; on
# BlogCatalog 4, 8 and 16 measured alike). The ring holds the in-flight walkers of the stages.
_AHEAD = 8
_RING = 32  # a power of two above 3 * _AHEAD
# Edges between asking for a bucket and updating it, in the two passes that build the hash set.
_BUILD_AHEAD = 16


@intrinsic
def _prefetch(typingctx, array, index):
    """Start loading the cache line of ``array[index]`` (a 1-D array); changes no result."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, view, [args[1]], wraparound=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8",
        )
        # (address, read, keep in every cache level, data cache)
        flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        builder.call(function, [builder.bitcast(pointer, byte_pointer), *flags])
        return context.get_dummy_value()

    return types.void(array, index), codegen


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
    # through int64: a signed conversion is one instruction, an unsigned one several
    return np.int64(_mix(z) >> np.uint64(11)) * _TO_UNIT


@njit(inline="always")
def _edge_key(source, target, num_nodes):
    """`graphseq.edge_hash.EdgeHashSet`'s key of the edge ``source -> target``."""
    return np.int64(source) * num_nodes + np.int64(target)


@njit(inline="always")
def _bucket(key, shift, mask):
    """`graphseq.edge_hash.EdgeHashSet`'s bucket of an edge key (Fibonacci hashing)."""
    return np.int64((np.uint64(key) * _GAMMA) >> np.uint64(shift)) & mask


@njit(inline="always")
def _proposed_offset(u, degree, spread):
    """The neighbour (offset in its row) that uniform ``u`` proposes, a draw of the point mass
    taken as offset 0: where the pipeline's look-ahead stages ask for memory (a guess, never a
    step; the step itself tells the point mass apart)."""
    return min(int(max(u * (degree + spread) - spread, 0.0)), degree - 1)


@njit(inline="always")
def _is_edge(table, overflow, shift, mask, num_nodes, source, target):
    """`graphseq.edge_hash.EdgeHashSet.contains` for one pair: one 64-byte bucket row, and the
    sorted overflow only when the row is marked as spilled."""
    key = _edge_key(source, target, num_nodes)
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
    flat_table = table.reshape(table.size)  # 1-D, to prefetch a bucket row
    first_uniform = np.empty(_RING)  # the ring: per in-flight walker, its first draw,
    row_begin = np.empty(_RING, np.int64)  # its current node's row,
    row_degree = np.empty(_RING, np.int64)
    row_spread = np.empty(_RING)  # and the point mass on going back, in units of c
    second_uniform = np.empty(_RING)  # the draw of its second proposal, if it needs one
    for s in range(2, length):
        # A software pipeline over the walkers, so that a step's reads come from cache (each
        # one depends on the last, so a walker alone would wait on every one): walker w asks
        # for its current node's row bounds; w - A (bounds in cache) draws its first two
        # proposals and asks for those neighbours; w - 2A (neighbours in cache) asks for the
        # bucket rows their tests may read; w - 3A takes its step. A second draw is dropped
        # when the first proposal is accepted: every proposal still has a fresh uniform of
        # its own, so the sampler stays exact (a third or later proposal draws on the spot).
        for w in range(walkers + 3 * _AHEAD):
            if w < walkers:
                _prefetch(indptr, steps[s - 1, w])
                if outlier > 0 and not symmetric:  # the test for a way back, asked here
                    key = _edge_key(steps[s - 1, w], steps[s - 2, w], num_nodes)
                    _prefetch(flat_table, _bucket(key, shift, mask) * BUCKET_SLOTS)
            v = w - _AHEAD
            if 0 <= v < walkers:
                r = v & (_RING - 1)
                previous, current = steps[s - 2, v], steps[s - 1, v]
                begin = indptr[current]
                degree = indptr[current + 1] - begin
                row_begin[r], row_degree[r] = begin, degree
                if degree > 1:  # one candidate needs no draw (also a dead end's self-loop)
                    point = outlier
                    if outlier > 0 and not symmetric:
                        if not _is_edge(table, overflow, shift, mask, num_nodes, current, previous):
                            point = 0.0  # a directed graph may have no way back
                    spread = point / c
                    first, second = _uniform(state, v), _uniform(state, v)
                    first_uniform[r], second_uniform[r], row_spread[r] = first, second, spread
                    # (prefetches ask without a branch: a mispredicted one costs more)
                    for u in (first, second):
                        _prefetch(indices, begin + _proposed_offset(u, degree, spread))
            v = w - 2 * _AHEAD
            if 0 <= v < walkers:
                r = v & (_RING - 1)
                degree = row_degree[r]
                if degree > 1:
                    spread = row_spread[r]
                    for u in (first_uniform[r], second_uniform[r]):
                        candidate = indices[row_begin[r] + _proposed_offset(u, degree, spread)]
                        key = _edge_key(steps[s - 2, v], candidate, num_nodes)
                        _prefetch(flat_table, _bucket(key, shift, mask) * BUCKET_SLOTS)
            x = w - 3 * _AHEAD
            if x < 0 or x >= walkers:
                continue
            r = x & (_RING - 1)
            previous = steps[s - 2, x]
            begin, degree = row_begin[r], row_degree[r]
            if degree == 1:
                steps[s, x] = indices[begin]
                continue
            spread = row_spread[r]
            u = first_uniform[r]
            chosen = -1
            for attempt in range(max_proposals):
                if attempt == 1:
                    u = second_uniform[r]
                elif attempt > 1:
                    u = _uniform(state, x)
                scaled = u * (degree + spread) - spread
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
                target = _uniform(state, x) * total
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
            steps[s, x] = chosen


@njit(inline="always")
def _bias(candidate, previous, inv_p, inv_q, table, overflow, shift, mask, num_nodes):
    """node2vec's ``alpha(t, x)``: ``1/p`` back, ``1`` next to ``t``, ``1/q`` away."""
    if candidate == previous:
        return inv_p
    if _is_edge(table, overflow, shift, mask, num_nodes, previous, candidate):
        return 1.0
    return inv_q


@njit(nogil=True, cache=True)
def holds_every_reverse(indptr, indices, table, overflow, shift, mask, num_nodes):
    """Whether the reverse ``v -> u`` of every CSR edge ``u -> v`` is in the edge hash set
    (its ``keys``, ``overflow_keys``, ``shift``, ``mask``, ``num_nodes``); stops at the first
    edge without one."""
    for row in range(indptr.shape[0] - 1):
        for position in range(indptr[row], indptr[row + 1]):
            if not _is_edge(table, overflow, shift, mask, num_nodes, indices[position], row):
                return False
    return True


@njit(inline="always")
def _repeats_the_last(indptr, indices, row, position):
    """Whether the edge at ``position`` repeats the one before it in the same (sorted) row."""
    return position > indptr[row] and indices[position] == indices[position - 1]


@njit(inline="always")
def _row_of(indptr, row, position):
    """The row holding edge ``position``, searched forward from ``row`` (rows only advance)."""
    while indptr[row + 1] <= position:
        row += 1
    return row


@njit(inline="always")
def _bucket_of_edge(indices, num_nodes, shift, mask, row, position):
    """The hash bucket of the CSR edge at ``position`` (in ``row``)."""
    return _bucket(_edge_key(row, indices[position], num_nodes), shift, mask)


@njit(inline="always")
def _bucket_ahead(indptr, indices, num_nodes, shift, mask, ahead, position):
    """``(row, bucket)`` of the edge ``_BUILD_AHEAD`` positions after ``position``, its row
    searched forward from ``ahead``; bucket -1 past the last edge. The build passes ask for
    that bucket now, so it is in cache when they reach the edge."""
    far = position + _BUILD_AHEAD
    if far >= indices.shape[0]:
        return ahead, -1
    ahead = _row_of(indptr, ahead, far)
    return ahead, _bucket_of_edge(indices, num_nodes, shift, mask, ahead, far)


@njit(nogil=True, cache=True)
def bucket_counts(indptr, indices, num_nodes, shift, count):
    """Add to ``count [buckets]`` (int32, zeros) how many of a CSR's distinct edges fall in
    each bucket of `graphseq.edge_hash.EdgeHashSet`: the first pass of its two-pass build.

    A repeated edge counts once where its copies are adjacent (sorted rows, as `CSRGraph`
    keeps them), otherwise once per copy, which no lookup minds.
    """
    mask = count.shape[0] - 1
    ahead = 0  # the row of the edge _BUILD_AHEAD positions on
    for row in range(indptr.shape[0] - 1):
        for position in range(indptr[row], indptr[row + 1]):
            ahead, bucket = _bucket_ahead(indptr, indices, num_nodes, shift, mask, ahead, position)
            if bucket >= 0:
                _prefetch(count, bucket)
            if not _repeats_the_last(indptr, indices, row, position):
                count[_bucket_of_edge(indices, num_nodes, shift, mask, row, position)] += 1


@njit(nogil=True, cache=True)
def fill_edge_table(indptr, indices, num_nodes, shift, count, table, overflow):
    """Place the edges counted by `bucket_counts` (the second pass): a bucket's keys go to its
    row of ``table [buckets, BUCKET_SLOTS]`` (int64, all ``EMPTY``), those of a bucket with
    more keys than slots fill one slot fewer and the rest go to ``overflow`` (unsorted), as
    `graphseq.edge_hash.EdgeHashSet` lays them out. Marking spilled rows is left to the caller.
    """
    mask = count.shape[0] - 1
    filled = np.zeros(count.shape[0], np.int32)
    flat_table = table.reshape(table.size)
    spill = 0
    ahead = 0  # the row of the edge _BUILD_AHEAD positions on
    for row in range(indptr.shape[0] - 1):
        for position in range(indptr[row], indptr[row + 1]):
            ahead, bucket = _bucket_ahead(indptr, indices, num_nodes, shift, mask, ahead, position)
            if bucket >= 0:
                _prefetch(count, bucket)
                _prefetch(filled, bucket)
                _prefetch(flat_table, bucket * BUCKET_SLOTS)
            if _repeats_the_last(indptr, indices, row, position):
                continue
            key = _edge_key(row, indices[position], num_nodes)
            bucket = _bucket(key, shift, mask)
            capacity = BUCKET_SLOTS - 1 if count[bucket] > BUCKET_SLOTS else BUCKET_SLOTS
            if filled[bucket] < capacity:
                table[bucket, filled[bucket]] = key
                filled[bucket] += 1
            else:
                overflow[spill] = key
                spill += 1
