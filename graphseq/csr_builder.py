"""Build a `CSRGraph` on disk from an edge stream, in memory bounded by the node count.

For edge lists too large to hold in memory (`graphseq.io.read_edgelist` holds the whole file,
then sorts all edges). Three passes over the data, none holding all edges at once:

1. **count**: stream the edges once, counting each node's degree (and which ids occur);
2. **fill**: stream them again; each edge is written straight into its row's slot of a
   memory-mapped ``indices`` file (the row offsets come from the counts);
3. **finish**: rows are sorted (and, for an undirected graph, duplicate edges dropped) a
   block of rows at a time, in the file.

Memory: about ``40 * (max id + 1)`` bytes for the per-node arrays, plus ``~100 * chunk_lines``
bytes for one chunk of the input and one block of rows; the ``8 * E`` bytes of ``indices``
(``+ 4 * E`` for weights) are file pages the operating system keeps or drops as memory allows.
The result equals ``CSRGraph.from_data(read_edgelist(path, directed=...))`` -- the same rows,
neighbours (sorted), weights and ``node_ids`` -- and is saved in the layout of
`CSRGraph.save`, so it reopens memory-mapped with `CSRGraph.load`.

Edges come from any ``edge_chunks`` callable that returns a fresh iterator of ``(source,
target, weight)`` numpy chunks (called once per pass): `csr_from_edgelist` reads a file; a
seeded generator (e.g. the synthetic graphs of ``benchmarks/scale.py``) works the same way.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .graph import CSRGraph, save_graph_metadata

__all__ = ["build_csr", "csr_from_edgelist"]

EdgeChunks = Callable[[], Iterator[tuple[np.ndarray, np.ndarray, "np.ndarray | None"]]]
# Edges sorted at once in the finishing pass (bounds its temporary arrays).
_BLOCK_EDGES = 1 << 22


def csr_from_edgelist(
    path,
    out,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    comment: str = "#%",
    chunk_lines: int = 1 << 21,
) -> CSRGraph:
    """Build the CSR of the edge-list file ``path`` in the folder ``out``, in bounded memory;
    returns it memory-mapped.

    The options are `graphseq.io.read_edgelist`'s (node ids must be integers here); lines are
    read ``chunk_lines`` at a time. ``directed=False`` stores both directions of every edge and
    each unordered pair once (the larger weight), like ``read_edgelist``.
    """
    from .io import iter_edgelist_chunks

    def chunks():
        return iter_edgelist_chunks(
            path, chunk_lines, weighted=weighted, delimiter=delimiter, header=header,
            comment=comment,
        )  # fmt: skip

    return build_csr(chunks, out, directed=directed)


def build_csr(edge_chunks: EdgeChunks, out, *, directed: bool = False) -> CSRGraph:
    """Build the out-direction CSR of the edges ``edge_chunks()`` yields, in the folder ``out``.

    Args:
        edge_chunks: called once per pass (twice), each call returning an iterator over the
            same ``(source int64 [n], target int64 [n], weight float [n] or None)`` chunks of
            raw integer ids ``>= 0``.
        out: the folder to write (created; its graph files are replaced).
        directed: keep each edge as given; otherwise add reverse edges and drop duplicates.

    Returns:
        the graph, memory-mapped from ``out`` (`CSRGraph.load`). Ids that do not occur are not
        nodes: ids are numbered in increasing order and kept in ``node_ids`` unless they are
        exactly ``0 .. N-1``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seen, raw_degree, weighted = _count(edge_chunks, directed)
    identity = bool(seen.all())
    new_id = None if identity else np.cumsum(seen) - 1
    node_ids = None if identity else np.flatnonzero(seen)
    degree = raw_degree if identity else raw_degree[seen]
    del raw_degree
    num_nodes = int(degree.size)
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    work = out / ".build"
    work.mkdir(exist_ok=True)
    try:
        indices = _new_array(work / "indices.npy", int(indptr[-1]), np.int64)
        weights = (
            _new_array(work / "weights.npy", int(indptr[-1]), np.float32) if weighted else None
        )
        _fill(edge_chunks, directed, new_id, indptr, indices, weights)
        del new_id
        final_indptr = _finish(indptr, indices, weights, num_nodes, deduplicate=not directed)
        _store(out, work, final_indptr, indices, weights)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    import torch

    for stale in ("weights.npy", "node_ids.npy", "node_ids.json"):
        if (stale == "weights.npy" and not weighted) or (stale != "weights.npy" and identity):
            (out / stale).unlink(missing_ok=True)
    ids = None if node_ids is None else torch.from_numpy(node_ids)
    save_graph_metadata(out, num_nodes, "out", symmetric=not directed, node_ids=ids)
    return CSRGraph.load(out)


def _rows_and_columns(source, target, weight, directed: bool):
    """Every stored entry of a chunk: ``(row, column, weight)``; undirected edges both ways
    (a self-loop once)."""
    if directed:
        return source, target, weight
    other = source != target
    rows = np.concatenate([source, target[other]])
    columns = np.concatenate([target, source[other]])
    if weight is not None:
        weight = np.concatenate([weight, weight[other]])
    return rows, columns, weight


def _count(edge_chunks: EdgeChunks, directed: bool):
    """Pass 1: ``(seen bool [M], degree int64 [M], weighted)`` over raw ids ``0 .. M-1``."""
    seen = np.zeros(0, dtype=bool)
    degree = np.zeros(0, dtype=np.int64)
    weighted = None
    for source, target, weight in edge_chunks():
        if source.size == 0:
            continue
        weighted = weight is not None if weighted is None else weighted
        top = int(max(source.max(), target.max())) + 1
        if top > seen.size:
            seen = np.concatenate([seen, np.zeros(top - seen.size, dtype=bool)])
            degree = np.concatenate([degree, np.zeros(top - degree.size, dtype=np.int64)])
        seen[source] = True
        seen[target] = True
        rows, _, _ = _rows_and_columns(source, target, None, directed)
        degree += np.bincount(rows, minlength=degree.size)
    if seen.size == 0:
        raise ValueError("the edge stream holds no edge; a graph needs at least one.")
    return seen, degree, bool(weighted)


def _fill(edge_chunks: EdgeChunks, directed, new_id, indptr, indices, weights) -> None:
    """Pass 2: write every entry into the next free slot of its row."""
    cursor = indptr[:-1].copy()
    for source, target, weight in edge_chunks():
        if source.size == 0:
            continue
        if new_id is not None:
            source, target = new_id[source], new_id[target]
        rows, columns, weight = _rows_and_columns(source, target, weight, directed)
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        # rank of each entry among the chunk's entries of the same row
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
        slots = cursor[rows] + rank
        indices[slots] = columns[order]
        if weights is not None:
            weights[slots] = weight[order]
        cursor += np.bincount(rows, minlength=cursor.size)


def _finish(indptr, indices, weights, num_nodes: int, deduplicate: bool) -> np.ndarray:
    """Pass 3: sort each row (and drop repeated neighbours, keeping the largest weight),
    compacting the entries to the front of the arrays; returns the final ``indptr``."""
    degree = np.zeros(num_nodes, dtype=np.int64)
    written = 0
    row = 0
    while row < num_nodes:
        # a block of whole rows holding about _BLOCK_EDGES entries (at least one row)
        end = int(np.searchsorted(indptr, indptr[row] + _BLOCK_EDGES, side="right")) - 1
        end = min(max(end, row + 1), num_nodes)
        begin, stop = int(indptr[row]), int(indptr[end])
        local = np.repeat(np.arange(end - row, dtype=np.int64), np.diff(indptr[row : end + 1]))
        columns = np.array(indices[begin:stop])
        keys = local * max(num_nodes, 1) + columns
        block_weights = None if weights is None else np.array(weights[begin:stop])
        if deduplicate and block_weights is not None:
            order = np.lexsort((-block_weights, keys))  # per key, the largest weight first
        else:
            order = np.argsort(keys, kind="stable")  # repeated edges keep their input order
        keys, columns, local = keys[order], columns[order], local[order]
        keep = slice(None)
        if deduplicate and keys.size:
            keep = np.r_[True, keys[1:] != keys[:-1]]
        kept = columns[keep]
        indices[written : written + kept.size] = kept
        if weights is not None:
            weights[written : written + kept.size] = block_weights[order][keep]
        degree[row:end] = np.bincount(local[keep], minlength=end - row)
        written += kept.size
        row = end
    final = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(degree, out=final[1:])
    return final


def _store(out: Path, work: Path, indptr, indices, weights) -> None:
    """Write the final arrays to ``out`` in `CSRGraph.save`'s layout (the first ``E`` entries
    of the work arrays, copied block by block)."""
    count = int(indptr[-1])
    np.save(out / "indptr.npy", indptr)
    for name, source in (("indices.npy", indices), ("weights.npy", weights)):
        if source is None:
            continue
        source.flush()
        if count == source.size:  # nothing was dropped: the work file is the result
            (work / name).replace(out / name)
            continue
        target = _new_array(out / name, count, source.dtype)
        for start in range(0, count, _BLOCK_EDGES):
            stop = min(start + _BLOCK_EDGES, count)
            target[start:stop] = source[start:stop]
        target.flush()


def _new_array(path: Path, size: int, dtype) -> np.memmap:
    """A new ``.npy`` file of ``size`` zeros, mapped for writing (the writes go to the file)."""
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(size,))
