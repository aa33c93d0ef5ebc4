"""A vectorized hash set of a graph's directed edges: "is ``u -> v`` an edge?" for many pairs.

node2vec's second-order step asks, for every walker, whether its candidate ``x`` is a neighbour
of the node ``t`` it came from. A binary search (``torch.searchsorted``) over all ``E`` sorted
edge keys costs ``log2(E)`` dependent memory reads per question (about 20 for a million edges,
most of them cache misses); this table answers with one read of one cache line, in a fixed
number of tensor operations (no probing loop, whose rounds would follow the longest probe).

Layout: the key of edge ``u -> v`` is ``u * N + v`` (int64; exact for ``N < 3 * 10^9``). Keys
are hashed to ``B`` buckets (a power of two, about one per 2-4 keys) by the top bits of
``key * 0x9E3779B97F4A7C15`` (multiplicative "Fibonacci" hashing); a bucket is a row of
`BUCKET_SLOTS` = 8 int64 slots (64 bytes: one cache line), empty slots hold ``-1``. The few keys
of a bucket that overflows its 8 slots (about 0.5% of them at 4 keys per bucket: a Poisson tail)
go to a small sorted overflow array; such a bucket keeps 7 keys and marks its last slot
`SPILLED`, so only a question whose row carries the mark searches the overflow (binary search),
and no second table is read. Where the edges carry a value (their CSR position, to look up a
weight), tables of the same shape hold it.

Memory: ``64 * B`` bytes, ``16-32`` bytes per distinct edge (twice that with values); building
is one sort of the keys by bucket.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["BUCKET_SLOTS", "EdgeHashSet"]

BUCKET_SLOTS = 8
"""Slots per bucket: 8 int64 keys fill one 64-byte cache line."""
EMPTY = -1
SPILLED = -2
"""Held by the last slot of a bucket whose keys did not all fit (the rest are in the overflow)."""
# 2^64 / golden ratio, as a signed int64: multiplying by it spreads consecutive keys (the
# neighbours of one node) over all buckets. Integer products wrap modulo 2^64.
_GOLDEN = 0x9E3779B97F4A7C15 - (1 << 64)
# Target keys per bucket: low enough that few buckets overflow 8 slots, high enough that the
# table stays small (the bucket count is this ratio rounded to a power of two: 2 to 4 keys).
_KEYS_PER_BUCKET = 4


class EdgeHashSet:
    """The set of directed edges ``source[i] -> target[i]`` of a graph with ``num_nodes`` nodes.

    Args:
        source, target: ``LongTensor [E]`` edge endpoints (duplicates are stored once).
        num_nodes: ``N``; node ids are ``0 .. N-1``.
        values: optional ``LongTensor [E]`` stored with each edge (for a duplicated edge, the
            value of one of its copies) and returned by `lookup`.
    """

    def __init__(self, source, target, num_nodes: int, values: torch.Tensor | None = None):
        self.num_nodes = max(int(num_nodes), 1)
        keys = source.long() * self.num_nodes + target.long()
        keys, first = _unique_with_first(keys)
        self._size(keys.numel())
        buckets = self.mask + 1
        device = keys.device
        bucket = self._hash(keys)
        # Group the keys by bucket. Any order inside a bucket serves (the keys are distinct),
        # so the sort need not be stable, and int32 bucket ids sort faster: this sort is most
        # of the build (about 1 s for 10^7 edges).
        if buckets <= 2**31:
            bucket = bucket.int()
        bucket, order = torch.sort(bucket)
        keys = torch.index_select(keys, 0, order)
        counts = torch.bincount(bucket, minlength=buckets)
        start = torch.cumsum(counts, 0) - counts
        rank = torch.arange(keys.numel(), device=device) - torch.index_select(start, 0, bucket)
        # A bucket with more keys than slots keeps 7 and marks its last slot SPILLED: a
        # question that misses there reads the overflow, known from the row it already holds.
        spills = counts > BUCKET_SLOTS
        capacity = BUCKET_SLOTS - torch.index_select(spills, 0, bucket).to(rank.dtype)
        fits = rank < capacity
        del capacity
        # Slot of each key in the flat table; a key that does not fit goes to a spare slot
        # (see `_slot_table`), so no key needs a boolean-mask gather.
        slot = torch.where(fits, bucket.long() * BUCKET_SLOTS + rank, buckets * BUCKET_SLOTS)
        del rank
        self.keys = _slot_table(slot, keys, buckets)
        self.keys[spills, -1] = SPILLED
        spilled = (~fits).nonzero().flatten()
        overflow = torch.sort(torch.index_select(keys, 0, spilled))
        self.overflow_keys = overflow.values
        self.values = self.overflow_values = None
        if values is not None:
            stored = values.long()
            if first is not None:
                stored = torch.index_select(stored, 0, first)
            stored = torch.index_select(stored, 0, order)
            self.values = _slot_table(slot, stored, buckets)
            self.overflow_values = torch.index_select(stored, 0, spilled)[overflow.indices]

    @classmethod
    def from_csr(cls, indptr: torch.Tensor, indices: torch.Tensor, num_nodes: int) -> EdgeHashSet:
        """The set of a CSR's edges (CPU tensors, as `graphseq.CSRGraph` holds them), built
        by a compiled two-pass loop (`graphseq.walk_kernels.bucket_counts`, then
        `~graphseq.walk_kernels.fill_edge_table`): about 3x faster than the constructor's sort
        by bucket (0.6-0.7 s against 2.0-2.1 s for 10^7 edges), with the same table. No values."""
        from .walk_kernels import bucket_counts, fill_edge_table

        self = cls.__new__(cls)
        self.num_nodes = max(int(num_nodes), 1)
        self._size(int(indices.numel()))
        indptr, indices = indptr.numpy(), indices.numpy()
        # numpy allocates the table, not numba: numpy asks Linux for huge pages for large
        # arrays (transparent huge pages, "madvise" mode), and random lookups into hundreds
        # of MiB then miss the TLB less (node2vec steps ~10% faster at 10^7 edges in a probe).
        count = np.zeros(self.mask + 1, np.int32)
        bucket_counts(indptr, indices, self.num_nodes, self.shift, count)
        spilled = count > BUCKET_SLOTS
        keys = np.full((self.mask + 1, BUCKET_SLOTS), EMPTY, np.int64)
        overflow = np.empty(int((count[spilled] - (BUCKET_SLOTS - 1)).sum()), np.int64)
        fill_edge_table(indptr, indices, self.num_nodes, self.shift, count, keys, overflow)
        keys[spilled, BUCKET_SLOTS - 1] = SPILLED
        # sorted here: numba's sort would make loading the cached loop slow (0.5 s)
        self.keys, self.overflow_keys = torch.from_numpy(keys), torch.from_numpy(overflow).sort()[0]
        self.values = self.overflow_values = None
        return self

    def _size(self, num_keys: int) -> None:
        """Bucket count (a power of two near ``num_keys / _KEYS_PER_BUCKET``) and hash shift."""
        buckets = 1 << max(0, (max(num_keys, 1) // _KEYS_PER_BUCKET).bit_length())
        self.shift = 64 - (buckets.bit_length() - 1)
        self.mask = buckets - 1

    @property
    def num_buckets(self) -> int:
        return self.keys.size(0)

    def _hash(self, keys: torch.Tensor) -> torch.Tensor:
        # The arithmetic shift copies the sign bit above the top bits we keep; the mask drops it.
        return ((keys * _GOLDEN) >> self.shift) & self.mask

    def lookup(self, source: torch.Tensor, target: torch.Tensor):
        """``(found BoolTensor [P], value LongTensor [P] or None)`` for the pairs
        ``source[i] -> target[i]``; ``value`` is -1 where not found."""
        # int64 keys whatever the walkers' dtype (an int32 product would overflow)
        keys = source.long() * self.num_nodes + target
        bucket = self._hash(keys)
        rows = torch.index_select(self.keys, 0, bucket)  # [P, 8]: one cache line each
        match = rows == keys[:, None]
        # 8 bools are 8 bytes: read each row as one int64 (far faster than any(1))
        found = match.view(torch.int64).squeeze(1) != 0
        value = None
        if self.values is not None:
            column = match.to(torch.uint8).argmax(1)
            value = torch.where(found, self.values[bucket, column], EMPTY)
        if self.overflow_keys.numel():
            # Only a question whose bucket spilled can have its answer in the overflow.
            ask = (~found & (rows[:, -1] == SPILLED)).nonzero().flatten()
            if ask.numel():
                wanted = keys[ask]
                position = torch.searchsorted(self.overflow_keys, wanted)
                position.clamp_(max=self.overflow_keys.numel() - 1)
                hit = self.overflow_keys[position] == wanted
                found[ask] = hit
                if value is not None:
                    value[ask] = torch.where(hit, self.overflow_values[position], EMPTY)
        return found, value

    def contains(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``BoolTensor [P]``: whether each ``source[i] -> target[i]`` is an edge."""
        return self.lookup(source, target)[0]


def _slot_table(slot: torch.Tensor, data: torch.Tensor, buckets: int) -> torch.Tensor:
    """``LongTensor [buckets, BUCKET_SLOTS]`` holding ``data[i]`` at flat position ``slot[i]``
    and `EMPTY` elsewhere. Slot ``buckets * BUCKET_SLOTS`` (past the end) lands in one spare
    row, which is dropped: where the keys that did not fit are written."""
    table = torch.full(((buckets + 1) * BUCKET_SLOTS,), EMPTY, dtype=torch.long, device=data.device)
    table.index_put_((slot,), data)
    return table[: buckets * BUCKET_SLOTS].view(buckets, BUCKET_SLOTS)


def _unique_with_first(keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Sorted distinct ``keys`` and, for each, the position of one of its occurrences (None
    when ``keys`` are already strictly increasing: every position is its own)."""
    if keys.numel() < 2 or bool((keys[1:] > keys[:-1]).all()):
        # a CSR without duplicate edges: its keys are sorted (rows ascending, neighbours
        # sorted in each row) and distinct
        return keys, None
    if bool((keys[1:] >= keys[:-1]).all()):
        order = torch.arange(keys.numel(), device=keys.device)
        ordered = keys
    else:
        order = torch.argsort(keys)
        ordered = keys[order]
    keep = torch.ones_like(ordered, dtype=torch.bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep], order[keep]
