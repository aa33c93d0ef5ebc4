"""EdgeHashSet: exact membership and stored values, with and without bucket overflow."""

from __future__ import annotations

import pytest
import torch

import graphseq.edge_hash as edge_hash
from graphseq.edge_hash import EdgeHashSet


def _random_edges(num_nodes=300, count=3000, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_nodes, (2, count), generator=generator)


@pytest.mark.parametrize("keys_per_bucket", [4, 64], ids=["normal", "overflowing"])
def test_membership_is_exact(monkeypatch, keys_per_bucket):
    # 64 keys per 8-slot bucket sends most keys to the overflow array: its path is tested too
    monkeypatch.setattr(edge_hash, "_KEYS_PER_BUCKET", keys_per_bucket)
    source, target = _random_edges()
    table = EdgeHashSet(source, target, 300)
    if keys_per_bucket == 64:
        assert table.overflow_keys.numel() > 1000
    assert bool(table.contains(source, target).all())
    queries = _random_edges(seed=1)
    truth = set(zip(source.tolist(), target.tolist(), strict=True))
    expected = torch.tensor([pair in truth for pair in zip(*queries.tolist(), strict=True)])
    assert torch.equal(table.contains(*queries), expected)
    assert 0 < int(expected.sum()) < expected.numel()  # both answers occur


@pytest.mark.parametrize("keys_per_bucket", [4, 64], ids=["normal", "overflowing"])
def test_values_are_returned_for_found_edges(monkeypatch, keys_per_bucket):
    monkeypatch.setattr(edge_hash, "_KEYS_PER_BUCKET", keys_per_bucket)
    source, target = _random_edges(num_nodes=1000, count=2000, seed=2)
    keys = source * 1000 + target
    positions = torch.arange(2000)
    table = EdgeHashSet(source, target, 1000, values=positions)
    found, value = table.lookup(source, target)
    assert bool(found.all())
    # a repeated edge stores one of its positions: the value names an occurrence of that edge
    assert torch.equal(keys[value], keys)
    found, value = table.lookup(torch.tensor([999]), torch.tensor([998]))
    assert not (999 * 1000 + 998 == keys).any() and not bool(found[0]) and int(value[0]) == -1


def test_unsorted_input_and_empty_lookup():
    source, target = torch.tensor([5, 1, 3, 1]), torch.tensor([0, 2, 3, 2])
    table = EdgeHashSet(source, target, 6)
    assert table.contains(torch.tensor([1, 3, 0]), torch.tensor([2, 3, 5])).tolist() == [
        True, True, False,
    ]  # fmt: skip
    assert (
        table.contains(
            torch.tensor([], dtype=torch.long), torch.tensor([], dtype=torch.long)
        ).numel()
        == 0
    )


@pytest.mark.parametrize("keys_per_bucket", [4, 64], ids=["normal", "overflowing"])
def test_from_csr_holds_the_same_edges_as_the_constructor(monkeypatch, keys_per_bucket):
    from graphseq import CSRGraph

    monkeypatch.setattr(edge_hash, "_KEYS_PER_BUCKET", keys_per_bucket)
    source, target = _random_edges()  # 3000 random pairs: some repeated
    graph = CSRGraph.from_edge_index(torch.stack([source, target]), num_nodes=300)
    built = EdgeHashSet.from_csr(graph.indptr, graph.indices, 300)
    sorted_ = EdgeHashSet(source, target, 300)
    assert (built.num_buckets, built.shift, built.mask) == (
        sorted_.num_buckets, sorted_.shift, sorted_.mask,
    )  # fmt: skip
    # the same keys in every bucket that did not spill (in any order), and the same keys in all
    # (which 7 of a spilled bucket's keys stay in its row depends on the order of insertion)
    whole = built.keys[:, -1] != edge_hash.SPILLED
    assert torch.equal(whole, sorted_.keys[:, -1] != edge_hash.SPILLED)
    assert torch.equal(built.keys[whole].sort(1).values, sorted_.keys[whole].sort(1).values)

    def stored(table):
        keys = torch.cat([table.keys.flatten(), table.overflow_keys])
        return keys[keys >= 0].sort().values

    assert torch.equal(stored(built), stored(sorted_))
    if keys_per_bucket == 64:
        assert built.overflow_keys.numel() > 1000
    queries = _random_edges(seed=1)
    assert torch.equal(built.contains(*queries), sorted_.contains(*queries))
