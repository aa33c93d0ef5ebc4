"""Out-of-core graphs: a stored, memory-mapped CSR and the bounded-memory edge-list builder give
exactly what the in-memory path gives (walks, sampler batches, DeepWalk, features)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

import graphseq as gs
import graphseq.csr_builder as csr_builder
from graphseq import CSRGraph, read_edgelist
from graphseq.csr_builder import build_csr, csr_from_edgelist
from graphseq.mmap import load_tensor, save_tensor
from graphseq.sampling import NeighborSampler, gather_rows

GRAPH = gs.make_community_graph(num_nodes=120, num_classes=3, num_features=5, seed=0)


@pytest.fixture
def stored(tmp_path):
    """(in-memory CSR, the same CSR saved and reopened memory-mapped)."""
    graph = CSRGraph.from_data(GRAPH)
    return graph, CSRGraph.load(graph.save(tmp_path / "graph"))


def _edge_file(path, weighted=True, gaps=True, seed=0):
    """Random edges with self-loops, repeats and (optionally) ids that skip numbers."""
    rng = np.random.default_rng(seed)
    source, target = rng.integers(0, 80, (2, 900)) * (3 if gaps else 1)
    weight = rng.integers(1, 9, 900) / 4
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt") as handle:
        handle.write("# a comment\n")
        for a, b, w in zip(source, target, weight, strict=True):
            handle.write(f"{a}\t{b}\t{w}\n" if weighted else f"{a} {b}\n")
    return path


def _same_graph(a: CSRGraph, b: CSRGraph) -> bool:
    same = torch.equal(a.indptr, b.indptr) and torch.equal(a.indices, b.indices)
    same &= a.num_nodes == b.num_nodes and (a.weights is None) == (b.weights is None)
    if a.weights is not None:
        same &= torch.equal(a.weights, b.weights)
    ids_a = None if a.node_ids is None else torch.as_tensor(a.node_ids)
    ids_b = None if b.node_ids is None else torch.as_tensor(b.node_ids)
    return (
        same and (ids_a is None) == (ids_b is None) and (ids_a is None or torch.equal(ids_a, ids_b))
    )


def test_save_load_round_trip(tmp_path):
    graph = CSRGraph.from_edge_index(
        torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 4, torch.tensor([1.0, 1.0, 2.0, 2.0]),
        symmetric=True, node_ids=torch.tensor([10, 11, 12, 13]),
    )  # fmt: skip
    for mmap in (True, False):
        loaded = CSRGraph.load(graph.save(tmp_path / "g"), mmap=mmap)
        assert _same_graph(graph, loaded)
        assert loaded.symmetric and loaded.direction == "out"
    named = CSRGraph(graph.indptr, graph.indices, 4, node_ids=["a", "b", "c", "d"])
    assert CSRGraph.load(named.save(tmp_path / "named")).node_ids == ["a", "b", "c", "d"]


def test_memory_map_is_copy_on_write(tmp_path):
    path = save_tensor(tmp_path / "x.npy", torch.arange(6.0))
    mapped = load_tensor(path)
    mapped[0] = 100.0  # changes this process's pages only
    assert float(load_tensor(path)[0]) == 0.0


def test_missing_stored_graph_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="no stored graph"):
        CSRGraph.load(tmp_path)


@pytest.mark.parametrize("directed", [False, True], ids=["undirected", "directed"])
@pytest.mark.parametrize("weighted", [None, False], ids=["weighted", "unweighted"])
@pytest.mark.parametrize("name", ["edges.txt", "edges.txt.gz"])
def test_builder_equals_read_edgelist(tmp_path, monkeypatch, directed, weighted, name):
    monkeypatch.setattr(csr_builder, "_BLOCK_EDGES", 64)  # many blocks in the finishing pass
    path = _edge_file(tmp_path / name)
    expected = CSRGraph.from_data(read_edgelist(path, directed=directed, weighted=weighted))
    built = csr_from_edgelist(path, tmp_path / "csr", directed=directed, weighted=weighted,
                              chunk_lines=101)  # fmt: skip
    assert _same_graph(expected, built)
    assert built.symmetric == (not directed) and built.node_ids is not None
    assert _same_graph(built, CSRGraph.load(tmp_path / "csr"))


def test_builder_keeps_contiguous_ids_and_rejects_string_ids(tmp_path):
    path = _edge_file(tmp_path / "e.txt", weighted=False, gaps=False)
    built = csr_from_edgelist(path, tmp_path / "csr")
    assert built.node_ids is None or torch.equal(built.node_ids, torch.arange(built.num_nodes))
    (tmp_path / "names.txt").write_text("a b\nb c\n")
    with pytest.raises(ValueError, match="node ids must be integers"):
        csr_from_edgelist(tmp_path / "names.txt", tmp_path / "csr2")
    with pytest.raises(ValueError, match="no edge"):
        build_csr(lambda: iter([]), tmp_path / "csr3")


def test_walks_and_sampler_batches_from_memory_map_equal_in_memory(stored):
    memory, mapped = stored
    for options in ({}, {"p": 0.5, "q": 2.0}):
        assert torch.equal(
            gs.random_walks(memory, 7, 2, seed=3, **options),
            gs.random_walks(mapped, 7, 2, seed=3, **options),
        )
    batches = [
        [b.n_id for b in NeighborSampler(graph, [4, 3], seed=5).batches(torch.arange(60), 16)]
        for graph in (memory, mapped)
    ]
    assert all(torch.equal(a, b) for a, b in zip(*batches, strict=True))


def test_deepwalk_and_mapped_features_equal_in_memory(stored, tmp_path):
    memory, mapped = stored
    embeddings = [
        gs.DeepWalk(8, 6, 2, 2, workers=1, seed=0, progress=False).fit(g).embeddings_
        for g in (memory, mapped)
    ]
    assert torch.equal(*embeddings)
    x = load_tensor(save_tensor(tmp_path / "x.npy", GRAPH.x))
    rows = torch.tensor([5, 0, 77])
    assert torch.equal(gather_rows(x, rows), GRAPH.x[rows])
