"""Random walks written by several ranks as corpus shards, and skip-gram trained from them.

The start nodes are cut into fixed chunks of ``nodes_per_chunk`` consecutive start nodes;
chunk ``c`` walks from its nodes with `graphseq.walks.random_walks` seeded from ``(seed, c)``, so
its walks depend on the seed and the chunk only. The chunks are dealt round-robin: rank ``r`` of
``K`` walks chunks ``r, r + K, r + 2K, ...`` and writes them, in that order, to its shard
``walks-<r>-of-<K>.npy`` (``int32`` or ``int64 [walks, walk_length]``, ``-1`` padding after a
dead end; memory-mappable). Hence the multiset of walks of a seed is the same for any number of
ranks; so is their order once the shards are read back in chunk order (`iter_walk_shards`):
chunk 0, 1, 2, ... as one process writes them. Within a chunk, rows follow `random_walks`: the
first walk from each of its nodes, then the second, and so on.

Rank 0 also writes ``walks.json``, the manifest: the settings, the chunks and the shards.
Ranks run without talking to each other (a barrier at the end when a process group exists), so
the shards can just as well be written by separate jobs: pass ``rank`` and ``world_size``.

Skip-gram: gensim is single-machine (threads, no distributed mode), so `train_skipgram_on_shards`
trains one gensim model on one machine from all shards, streamed into one corpus file for
gensim's ``corpus_file`` mode (its workers then scale with cores). Its ceiling is that machine:
the vocabulary and both weight matrices (``2 x N x dimensions`` float32: 10^7 nodes x 128 is
about 10 GB) must fit in its memory, and the tokens of every epoch pass through its cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from . import distributed as dist
from .graph import as_csr
from .validation import check_int
from .walks import random_walks

__all__ = [
    "DEFAULT_WALKS_PER_CHUNK",
    "MANIFEST",
    "iter_walk_shards",
    "read_manifest",
    "shard_name",
    "train_skipgram_on_shards",
    "write_walk_shards",
]

MANIFEST = "walks.json"
"""The manifest's file name in a shard directory."""

DEFAULT_WALKS_PER_CHUNK = 1 << 16
"""Walks per chunk by default (``nodes_per_chunk = max(1, this // walks_per_node)``): large
enough that one `random_walks` call per chunk costs little besides walking, small enough for
several chunks per rank (the unit of load balance)."""


def shard_name(rank: int, world_size: int) -> str:
    """``walks-<rank>-of-<world_size>.npy``."""
    return f"walks-{rank:05d}-of-{world_size:05d}.npy"


def _chunk_seed(seed: int, chunk: int) -> int:
    state = np.random.SeedSequence([seed, chunk]).generate_state(1, np.uint64)
    return int(state[0]) & (2**63 - 1)


def _chunks(num_starts: int, nodes_per_chunk: int) -> list[tuple[int, int]]:
    return [
        (begin, min(begin + nodes_per_chunk, num_starts))
        for begin in range(0, num_starts, nodes_per_chunk)
    ]


def write_walk_shards(
    graph,
    directory,
    walk_length: int = 40,
    walks_per_node: int = 80,
    p: float = 1.0,
    q: float = 1.0,
    seed: int = 0,
    *,
    start_nodes=None,
    nodes_per_chunk: int | None = None,
    dead_end: str = "stop",
    rank: int | None = None,
    world_size: int | None = None,
) -> list[Path]:
    """Write this rank's shard of the walks (see the module docstring); returns the paths of
    all shards (written by every rank).

    Args:
        graph: anything `graphseq.walks.random_walks` takes (a `CSRGraph`, memory-mapped or not,
            a PyG ``Data``, ``edge_index``...); every rank needs the whole graph.
        directory: where the shards and the manifest go (created).
        walk_length, walks_per_node, p, q, dead_end: as `graphseq.walks.random_walks`.
        seed: the same seed gives the same walks for any number of ranks.
        start_nodes: node ids to walk from (default: every node).
        nodes_per_chunk: start nodes per chunk; part of what the seed reproduces (default:
            `DEFAULT_WALKS_PER_CHUNK` walks per chunk).
        rank, world_size: this writer and the number of writers; default: the process group's
            (`graphseq.distributed`; joined when launched by ``torchrun``), else 0 and 1.
    """
    walk_length = check_int("walk_length", walk_length)
    walks_per_node = check_int("walks_per_node", walks_per_node)
    seed = check_int("seed", seed, minimum=None)
    if nodes_per_chunk is None:
        nodes_per_chunk = max(1, DEFAULT_WALKS_PER_CHUNK // walks_per_node)
    nodes_per_chunk = check_int("nodes_per_chunk", nodes_per_chunk)
    if rank is None and world_size is None:
        if dist.launched_by_torchrun():
            dist.init_distributed("cpu")
        rank, world_size = dist.get_rank(), dist.get_world_size()
    elif rank is None or world_size is None:
        raise ValueError("give both rank and world_size, or neither (the process group's).")
    world_size = check_int("world_size", world_size)
    rank = check_int("rank", rank, minimum=0)
    if rank >= world_size:
        raise ValueError(f"rank must be below world_size={world_size}, got {rank}.")
    graph = as_csr(graph, "out")
    starts = (
        torch.arange(graph.num_nodes)
        if start_nodes is None
        else torch.as_tensor(start_nodes).view(-1).long()
    )
    if starts.numel() == 0:
        raise ValueError("start_nodes is empty; pass at least one node id (or None for all).")
    chunks = _chunks(starts.numel(), nodes_per_chunk)
    mine = list(range(rank, len(chunks), world_size))
    rows = [walks_per_node * (chunks[c][1] - chunks[c][0]) for c in mine]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    dtype = np.int32 if graph.num_nodes < 2**31 else np.int64
    path = directory / shard_name(rank, world_size)
    partial = path.with_name(path.name + ".partial")
    shard = np.lib.format.open_memmap(
        partial, mode="w+", dtype=dtype, shape=(sum(rows), walk_length)
    )
    row = 0
    for chunk, count in zip(mine, rows, strict=True):
        first, last = chunks[chunk]
        walks = random_walks(
            graph, walk_length, walks_per_node, p, q, seed=_chunk_seed(seed, chunk),
            start_nodes=starts[first:last], dead_end=dead_end,
        )  # fmt: skip
        shard[row : row + count] = walks.numpy()
        row += count
    shard.flush()
    del shard
    partial.replace(path)  # a shard is complete once it has its name
    names = [shard_name(r, world_size) for r in range(world_size)]
    if rank == 0:
        manifest = {
            "num_nodes": graph.num_nodes,
            "walk_length": walk_length,
            "walks_per_node": walks_per_node,
            "p": float(p),
            "q": float(q),
            "seed": seed,
            "dead_end": dead_end,
            "num_start_nodes": starts.numel(),
            "nodes_per_chunk": nodes_per_chunk,
            "num_chunks": len(chunks),
            "world_size": world_size,
            "shards": names,
            "start_nodes": None if start_nodes is None else starts.tolist(),
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    if dist.is_initialized() and world_size == dist.get_world_size():
        dist.barrier()
    return [directory / name for name in names]


def read_manifest(directory) -> dict:
    """The manifest of a shard directory, with a clear error when shards are missing."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST} in {directory}: write the shards with write_walk_shards (rank 0 "
            "writes the manifest)."
        )
    manifest = json.loads(path.read_text())
    missing = [name for name in manifest["shards"] if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{directory} lacks {len(missing)} of its {len(manifest['shards'])} shards "
            f"({', '.join(missing[:3])}...): a rank did not finish; rerun it."
        )
    return manifest


def iter_walk_shards(directory, *, canonical: bool = True) -> Iterator[torch.Tensor]:
    """The walks of a shard directory, one ``LongTensor [walks, walk_length]`` per chunk.

    ``canonical=True``: in chunk order, the order one process writes them in (so the result
    does not depend on the number of ranks); False: shard after shard (each shard's chunks in
    its order), reading each file front to back.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    world_size = manifest["world_size"]
    chunks = _chunks(manifest["num_start_nodes"], manifest["nodes_per_chunk"])
    shards = [np.load(directory / name, mmap_mode="r") for name in manifest["shards"]]
    rows = [manifest["walks_per_node"] * (last - first) for first, last in chunks]
    offsets = [0] * world_size  # where the next chunk of each shard begins
    position = {}
    for chunk, count in enumerate(rows):
        owner = chunk % world_size
        position[chunk] = (owner, offsets[owner], count)
        offsets[owner] += count
    order = (
        range(len(chunks))
        if canonical
        else sorted(range(len(chunks)), key=lambda c: (c % world_size, c))
    )
    for chunk in order:
        owner, begin, count = position[chunk]
        yield torch.from_numpy(np.asarray(shards[owner][begin : begin + count], dtype=np.int64))


def train_skipgram_on_shards(
    directory,
    dimensions: int = 128,
    window_size: int = 10,
    *,
    hs: bool = True,
    negative: int = 0,
    epochs: int = 1,
    workers: int = 1,
    seed: int = 0,
    progress: bool | None = None,
    workdir=None,
) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Train gensim skip-gram on one machine from all shards of ``directory`` (DeepWalk's
    defaults: hierarchical softmax, window 10, 128 dimensions, one pass).

    Returns ``(embeddings [N, dimensions], trained BoolTensor [N], info)`` as
    `graphseq.models.skipgram.train_skipgram`, which it calls in ``corpus_file`` mode: the
    walks stream from the memory-mapped shards into one temporary corpus file (in ``workdir``),
    read by gensim's ``workers`` threads. ``workers=1`` repeats bit for bit.
    """
    from .models.skipgram import SkipGramSettings, train_skipgram

    manifest = read_manifest(directory)
    settings = SkipGramSettings(
        dimensions=dimensions, window_size=window_size, hs=hs, negative=negative,
        epochs=epochs, workers=workers, seed=seed,
    )  # fmt: skip
    return train_skipgram(
        iter_walk_shards(directory, canonical=True),
        manifest["num_nodes"],
        settings,
        corpus="file",
        progress=progress,
        workdir=workdir,
    )
