"""NeighborSampler (fixed fan-outs, dense blocks), negatives and walk pairs."""

from __future__ import annotations

import pytest
import torch

from graphseq.graph import CSRGraph
from graphseq.sampling import (
    NeighborSampler,
    negative_sampling_distribution,
    sample_negatives,
    walk_cooccurrence_pairs,
)


def _star_and_isolated():
    # Node 0 has in-neighbours 1..5, node 6 has only node 0, node 7 is isolated.
    source = torch.tensor([1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0])
    target = torch.tensor([0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6])
    edge_index = torch.stack([source, target])
    return CSRGraph.from_edge_index(edge_index, num_nodes=8, direction="in"), edge_index


def _neighbour_sets(graph: CSRGraph):
    return [set(graph.neighbors(v).tolist()) for v in range(graph.num_nodes)]


def test_contiguous_layout_and_sizes():
    graph, _ = _star_and_isolated()
    sampler = NeighborSampler(graph, [3, 2], seed=0)
    batch = sampler.sample(torch.tensor([0, 6]))
    assert batch.batch_size == 2 and batch.seeds.tolist() == [0, 6]
    first, last = batch.blocks
    assert (last.num_targets, last.num_inputs, last.fanout) == (2, 2 + 2 * 3, 3)
    assert (first.num_targets, first.num_inputs, first.fanout) == (8, 8 + 8 * 2, 2)
    assert batch.n_id.numel() == first.num_inputs
    assert first.neighbors is None and last.neighbors is None


def test_with_replacement_samples_only_real_neighbours():
    graph, _ = _star_and_isolated()
    neighbours = _neighbour_sets(graph)
    sampler = NeighborSampler(graph, [10], seed=1)
    batch = sampler.sample(torch.tensor([0, 6, 1]))
    sampled = batch.n_id[3:].view(3, 10)
    for row, node in enumerate([0, 6, 1]):
        assert set(sampled[row].tolist()) <= neighbours[node]
    assert batch.blocks[0].mask is None


def test_with_replacement_is_uniform_over_neighbours():
    graph, _ = _star_and_isolated()
    sampler = NeighborSampler(graph, [25], seed=0)
    sampled, mask = sampler.sample_neighbors(torch.zeros(2000, dtype=torch.long), 25)
    assert mask is None
    counts = torch.bincount(sampled.flatten(), minlength=6)[1:].float()
    torch.testing.assert_close(counts / counts.sum(), torch.full((5,), 0.2), atol=0.01, rtol=0)


def test_without_replacement_distinct_and_masks_short_rows():
    graph, _ = _star_and_isolated()
    sampler = NeighborSampler(graph, [3], replace=False, seed=0)
    sampled, mask = sampler.sample_neighbors(torch.tensor([0, 6]), 3)
    assert len(set(sampled[0].tolist())) == 3 and set(sampled[0].tolist()) <= {1, 2, 3, 4, 5}
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert sampled[1, 0] == 0


def test_without_replacement_is_uniform_over_subsets():
    graph, _ = _star_and_isolated()
    sampler = NeighborSampler(graph, [2], replace=False, seed=0)
    sampled, _ = sampler.sample_neighbors(torch.zeros(20000, dtype=torch.long), 2)
    counts = torch.bincount(sampled.flatten(), minlength=6)[1:].float()
    # Each of the 5 neighbours is in a uniform 2-subset with probability 2/5.
    torch.testing.assert_close(counts / 20000, torch.full((5,), 0.4), atol=0.02, rtol=0)
    assert bool((sampled[:, 0] != sampled[:, 1]).all())


def test_isolated_node_has_masked_slots_pointing_at_itself():
    graph, _ = _star_and_isolated()
    for replace in (True, False):
        sampler = NeighborSampler(graph, [4], replace=replace, seed=0)
        batch = sampler.sample(torch.tensor([7, 0]))
        block = batch.blocks[0]
        assert block.mask[0].tolist() == [False] * 4
        assert bool(block.mask[1].all())
        assert batch.n_id[2:6].tolist() == [7, 7, 7, 7]


def test_pyg_input_samples_incoming_neighbours():
    _, edge_index = _star_and_isolated()
    # As a PyG graph, node 6 receives from 0 only; node 0 receives from 1..5.
    sampler = NeighborSampler(edge_index, [4], seed=0)
    sampled, _ = sampler.sample_neighbors(torch.tensor([6, 0]), 4)
    assert set(sampled[0].tolist()) == {0}
    assert set(sampled[1].tolist()) <= {1, 2, 3, 4, 5}


def test_same_seed_same_batches():
    graph, _ = _star_and_isolated()
    runs = []
    for _ in range(2):
        sampler = NeighborSampler(graph, [3, 2], seed=5)
        runs.append([b.n_id for b in sampler.batches(torch.arange(8), batch_size=3)])
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_batches_cover_every_node_once():
    graph, _ = _star_and_isolated()
    sampler = NeighborSampler(graph, [2], seed=0)
    seeds = torch.cat([b.seeds for b in sampler.batches(torch.arange(8), batch_size=3)])
    assert sorted(seeds.tolist()) == list(range(8))


def test_deduplicate_keeps_each_node_once_per_hop():
    generator = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, 30, (2, 300), generator=generator)
    sampler = NeighborSampler(edge_index, [10, 5], seed=0, deduplicate=True)
    batch = sampler.sample(torch.tensor([0, 1, 2]))
    assert batch.n_id.unique().numel() == batch.n_id.numel()
    for block in batch.blocks:
        assert block.neighbors.shape == (block.num_targets, block.fanout)
        assert int(block.neighbors.max()) < block.num_inputs


@pytest.mark.parametrize("fanouts", [[0], [25, -1], [2.5], []])
def test_bad_fanout_is_rejected(fanouts):
    graph, _ = _star_and_isolated()
    with pytest.raises((TypeError, ValueError), match="fanout"):
        NeighborSampler(graph, fanouts)


def test_fanout_message_names_the_hop():
    graph, _ = _star_and_isolated()
    with pytest.raises(
        ValueError, match=r"fanouts\[1\] must be an int >= 1, got 0; .*fanouts=\[25, 10\]"
    ):
        NeighborSampler(graph, [25, 0])


def test_seeds_out_of_range_are_rejected():
    graph, _ = _star_and_isolated()
    with pytest.raises(
        ValueError,
        match=r"seeds contains node 9, out of range for 8 nodes \(valid ids are 0 .. 7\)",
    ):
        NeighborSampler(graph, [2]).sample(torch.tensor([0, 9]))


def test_negative_distribution_is_degree_power():
    graph, _ = _star_and_isolated()
    distribution = negative_sampling_distribution(graph)
    degree = graph.degree().double()
    expected = degree.pow(0.75) / degree.pow(0.75).sum()
    torch.testing.assert_close(distribution, expected.float())
    assert distribution[7] == 0
    negatives = sample_negatives(distribution, (100, 5), torch.Generator().manual_seed(0))
    assert negatives.shape == (100, 5) and not bool((negatives == 7).any())


def test_walk_pairs_within_window_without_padding_or_self_pairs():
    walks = torch.tensor([[0, 1, 2, -1], [3, 3, 4, 5]])
    pairs = set(map(tuple, walk_cooccurrence_pairs(walks, window=1).t().tolist()))
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1), (3, 4), (4, 3), (4, 5), (5, 4)}
    wider = set(map(tuple, walk_cooccurrence_pairs(walks, window=2).t().tolist()))
    assert (0, 2) in wider and (3, 5) in wider
