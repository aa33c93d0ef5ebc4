"""The graphs of the scale benchmark (`scale.py`): seeded synthetic edge lists and real ones.

A graph is named ``KIND:EDGES`` or by a real graph's name:

* ``powerlaw:1e7``: a Chung-Lu graph with heavy-tailed degrees, like real graphs: ``N = E / 10``
  nodes with weights ``w_i = (i + 1)^(-1 / (gamma - 1))`` (``gamma = 2.5``, the degree
  exponent), randomly numbered; ``E / 2`` undirected edges, each end drawn with probability
  proportional to ``w`` (so node ``i``'s expected degree is proportional to ``w_i``). Stored
  both ways, with duplicate pairs kept once: about ``E`` directed edges.
* ``uniform:1e7``: the same counts with both ends uniform (Erdos-Renyi-like; the graph of
  issue 17's DeepWalk measurement: ``N`` nodes, ``5 N`` random undirected edges).
* ``slashdot``: SNAP's soc-Slashdot0902 (82,168 nodes, 948,464 lines), read undirected.
* ``blogcatalog``: DeepWalk's BlogCatalog (10,312 nodes, 667,966 directed edges).

Edges are generated in chunks, each from its own generator seeded by ``(seed, chunk)``, and
written as a text edge list (``u v`` per line) -- the input every stage starts from -- without
holding all edges in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

GAMMA = 2.5
EDGES_PER_NODE = 10  # directed edges per node: N = E / 10
PAIRS_PER_CHUNK = 1 << 21
REAL = {"slashdot": "SNAP/soc-Slashdot0902.txt.gz", "blogcatalog": "BlogCatalog/blogcatalog.mat"}


def parse(name: str) -> tuple[str, int]:
    """``("powerlaw", 10_000_000)`` from ``"powerlaw:1e7"``; ``(name, 0)`` for a real graph."""
    if name in REAL:
        return name, 0
    kind, _, edges = name.partition(":")
    if kind not in ("powerlaw", "uniform") or not edges:
        raise SystemExit(f"unknown graph {name!r}: use powerlaw:1e6, uniform:1e6 or {list(REAL)}")
    return kind, int(float(edges))


def synthetic_chunks(kind: str, edges: int, seed: int = 0):
    """A callable returning a fresh iterator of ``(source, target, None)`` int64 chunks: the
    ``edges / 2`` undirected pairs of the graph (the same pairs on every call)."""
    num_nodes = max(2, edges // EDGES_PER_NODE)
    pairs = edges // 2

    def chunks():
        cumulative = None
        if kind == "powerlaw":
            rank = np.arange(1, num_nodes + 1, dtype=np.float64)
            cumulative = np.cumsum(rank ** (-1.0 / (GAMMA - 1.0)))
            cumulative /= cumulative[-1]
            # hubs get random ids, as in real graphs (not 0, 1, 2, ...)
            numbering = np.random.default_rng([seed, 2**32]).permutation(num_nodes)
        for chunk, begin in enumerate(range(0, pairs, PAIRS_PER_CHUNK)):
            count = min(PAIRS_PER_CHUNK, pairs - begin)
            rng = np.random.default_rng([seed, chunk])
            if cumulative is None:
                ends = rng.integers(0, num_nodes, size=(2, count), dtype=np.int64)
            else:
                ends = np.searchsorted(cumulative, rng.random((2, count)), side="right")
                ends = numbering[np.minimum(ends, num_nodes - 1)]
            yield ends[0], ends[1], None

    return chunks, num_nodes


def write_edgelist(chunks, num_nodes: int, path: Path) -> Path:
    """Write the pairs as a text edge list (``u v`` lines) with graphseq's vectorized corpus
    writer (a pair is a walk of two nodes)."""
    from graphseq.models.skipgram import write_walk_corpus

    pairs = (torch.from_numpy(np.stack([s, t], 1)) for s, t, _ in chunks())
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    write_walk_corpus(pairs, tmp, num_nodes)
    tmp.replace(path)
    return path


def edgelist_path(name: str, workdir: Path, data_root: str | None) -> Path:
    """The edge-list file of graph ``name`` (written once into ``workdir`` for a synthetic one)."""
    kind, edges = parse(name)
    if kind in REAL:
        root = Path(data_root or os.environ.get("GRAPHSEQ_DATA", "../shared/data"))
        return root / REAL[kind]
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{kind}_{edges:.0e}.txt".replace("+", "")
    if not path.exists():
        chunks, num_nodes = synthetic_chunks(kind, edges)
        write_edgelist(chunks, num_nodes, path)
    return path
