"""SAGEConv: equality with PyG's SAGEConv, block vs full-graph agreement, LSTM packing, errors."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import SAGEConv as PyGSAGEConv
from torch_geometric.utils import sort_edge_index

from graphseq.models import GraphSAGE
from graphseq.nn import SAGEConv, SequenceEncoder
from graphseq.sampling import Block, NeighborSampler


def _random_graph(num_nodes=40, num_edges=200, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    x = torch.randn(num_nodes, 8, generator=generator)
    return x, edge_index


def _copy_linear(ours: SAGEConv, theirs: PyGSAGEConv) -> None:
    ours.lin_l.load_state_dict(theirs.lin_l.state_dict())
    ours.lin_r.load_state_dict(theirs.lin_r.state_dict())


def test_mean_equals_pyg_sage_mean():
    x, edge_index = _random_graph()
    theirs = PyGSAGEConv(8, 5, aggr="mean")
    ours = SAGEConv(8, 5, "mean")
    _copy_linear(ours, theirs)
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index), atol=1e-5, rtol=0)


def test_mean_equals_pyg_with_sparse_features_and_isolated_nodes():
    x, edge_index = _random_graph(num_nodes=50)  # ids 40..49 have no edges
    x = torch.randn(50, 8)
    theirs = PyGSAGEConv(8, 5, aggr="mean")
    ours = SAGEConv(8, 5, "mean", cached=True)
    _copy_linear(ours, theirs)
    expected = theirs(x, edge_index)
    torch.testing.assert_close(ours(x.to_sparse(), edge_index), expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours(x, edge_index), expected, atol=1e-5, rtol=0)  # cached


def test_pool_equals_pyg_sage_max_project():
    x, edge_index = _random_graph(num_nodes=50)
    x = torch.randn(50, 8)
    theirs = PyGSAGEConv(8, 5, aggr="max", project=True)
    ours = SAGEConv(8, 5, "pool")
    ours.load_state_dict(theirs.state_dict())  # the same parameter names: lin, lin_l, lin_r
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index), atol=1e-5, rtol=0)


def test_pool_gradients_equal_pyg():
    x, edge_index = _random_graph()
    theirs = PyGSAGEConv(8, 5, aggr="max", project=True)
    ours = SAGEConv(8, 5, "pool")
    ours.load_state_dict(theirs.state_dict())
    ours(x, edge_index).square().sum().backward()
    theirs(x, edge_index).square().sum().backward()
    torch.testing.assert_close(ours.lin.weight.grad, theirs.lin.weight.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(
        ours.lin_l.weight.grad, theirs.lin_l.weight.grad, atol=1e-4, rtol=1e-4
    )


def _regular_graph(num_nodes=12):
    nodes = torch.arange(num_nodes)
    edge_index = torch.cat(
        [torch.stack([nodes, (nodes + shift) % num_nodes]) for shift in (1, -1, 3)], dim=1
    )
    return edge_index


def test_lstm_equals_pyg_on_regular_graph():
    # PyG pads to the largest degree and reads the last padded step: exact only when all
    # degrees are equal, and only for PyG's required target-sorted edge order.
    edge_index = sort_edge_index(_regular_graph(), sort_by_row=False)
    x = torch.randn(12, 8)
    theirs = PyGSAGEConv(8, 5, aggr="lstm")
    ours = SAGEConv(8, 5, "lstm").eval()
    _copy_linear(ours, theirs)
    ours.aggr_module.lstm.rnn.load_state_dict(theirs.aggr_module.lstm.state_dict())
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index), atol=1e-5, rtol=0)


def test_lstm_full_graph_matches_sequence_encoder_on_padded_neighbours():
    x, edge_index = _random_graph(num_nodes=30, num_edges=90)
    conv = SAGEConv(8, 4, "lstm", aggr_channels=6).eval()
    out = conv(x, edge_index)
    # Reference: per node, its neighbours (sorted by source) through SequenceEncoder's
    # variable-length path.
    source, target = sort_edge_index(edge_index, sort_by_row=False)
    degree = torch.bincount(target, minlength=30)
    has = degree > 0
    padded = torch.zeros(30, int(degree.max()), 8)
    for node in range(30):
        neighbours = source[target == node]
        padded[node, : neighbours.numel()] = x[neighbours]
    encoder: SequenceEncoder = conv.aggr_module.lstm
    aggregated = torch.zeros(30, 6)
    aggregated[has] = encoder(padded[has], degree[has])
    expected = conv.lin_l(aggregated) + conv.lin_r(x)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


def test_lstm_training_mode_shuffles_neighbours_but_keeps_shape():
    x, edge_index = _random_graph()
    conv = SAGEConv(8, 4, "lstm").train()
    torch.manual_seed(0)
    first = conv(x, edge_index)
    second = conv(x, edge_index)
    assert first.shape == (40, 4)
    assert not torch.allclose(first, second)  # a fresh permutation per forward
    first.sum().backward()
    assert conv.aggr_module.lstm.rnn.weight_ih_l0.grad is not None


def test_edge_order_does_not_matter():
    x, edge_index = _random_graph()
    shuffled = edge_index[:, torch.randperm(edge_index.size(1))]
    for aggregator in ("mean", "gcn", "pool", "lstm"):
        conv = SAGEConv(8, 5, aggregator).eval()
        torch.testing.assert_close(conv(x, edge_index), conv(x, shuffled), atol=1e-5, rtol=0)


def test_gcn_aggregator_is_mean_over_self_and_neighbours():
    x, edge_index = _random_graph()
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]  # see the docstring on loops
    conv = SAGEConv(8, 5, "gcn")
    assert conv.lin_r is None
    source, target = edge_index
    expected = []
    for node in range(40):
        members = torch.cat([x[node : node + 1], x[source[target == node]]])
        expected.append(conv.lin_l(members.mean(0)))
    torch.testing.assert_close(conv(x, edge_index), torch.stack(expected), atol=1e-5, rtol=0)


def test_normalize_gives_unit_rows():
    x, edge_index = _random_graph()
    out = SAGEConv(8, 5, "mean", normalize=True)(x, edge_index)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(40), atol=1e-5, rtol=0)


@pytest.mark.parametrize("aggregator", ["mean", "gcn", "pool", "lstm"])
def test_block_equals_full_graph_on_the_sampled_subgraph(aggregator):
    # Without replacement and a fan-out >= every degree, a block holds every neighbour: the
    # block result must equal the full-graph layer.
    x, edge_index = _random_graph(num_nodes=30, num_edges=80)
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]  # "gcn" counts loops once
    conv = SAGEConv(8, 5, aggregator).eval()
    sampler = NeighborSampler(edge_index, [30], replace=False, seed=0)
    seeds = torch.arange(30)
    batch = sampler.sample(seeds)
    block = batch.blocks[0]
    full = conv(x, sort_edge_index(edge_index, sort_by_row=False))
    assert block.mask is not None
    torch.testing.assert_close(conv(x[batch.n_id], block), full, atol=1e-5, rtol=0)


def test_block_with_deduplicated_layout_equals_contiguous():
    x, edge_index = _random_graph()
    conv = SAGEConv(8, 5, "pool").eval()
    seeds = torch.tensor([0, 5, 7])
    plain = NeighborSampler(edge_index, [4], seed=3).sample(seeds)
    dedup = NeighborSampler(edge_index, [4], seed=3, deduplicate=True).sample(seeds)
    torch.testing.assert_close(
        conv(x[plain.n_id], plain.blocks[0]), conv(x[dedup.n_id], dedup.blocks[0])
    )


def test_empty_neighbourhood_aggregates_to_zero_in_blocks():
    x = torch.randn(3, 8)
    block = Block(1, 3, 2, torch.tensor([[0, 0]]), torch.tensor([[False, False]]))
    for aggregator in ("mean", "pool", "lstm"):
        conv = SAGEConv(8, 5, aggregator)
        expected = conv.lin_l.bias + conv.lin_r(x[:1])
        torch.testing.assert_close(conv(x, block), expected.expand(1, 5))


def test_unknown_aggregator_is_rejected():
    with pytest.raises(ValueError, match="unknown aggr 'median'; choose one of mean, sum, max"):
        SAGEConv(8, 5, "median")


def test_feature_size_mismatch_is_rejected():
    x, edge_index = _random_graph()
    with pytest.raises(ValueError, match=r"in_channels=16\], got \[40, 8\]"):
        SAGEConv(16, 5)(x, edge_index)


def test_block_with_wrong_number_of_rows_is_rejected():
    block = Block(2, 6, 2)
    with pytest.raises(ValueError, match="x has 5 rows but the block has 6 input nodes"):
        SAGEConv(8, 5)(torch.randn(5, 8), block)


def test_graphsage_model_full_and_sampled_shapes():
    x, edge_index = _random_graph()
    model = GraphSAGE(8, 16, 3, num_layers=2, aggr="mean")
    assert model(x, edge_index).shape == (40, 3)
    batch = NeighborSampler(edge_index, [5, 3], seed=0).sample(torch.tensor([1, 2, 3]))
    assert model(x[batch.n_id], batch.blocks).shape == (3, 3)
    with pytest.raises(ValueError, match="got 1 sampled blocks for a 2-layer GraphSAGE"):
        model(x[batch.n_id], batch.blocks[1:])


def test_graphsage_learned_node_embeddings_take_ids():
    _, edge_index = _random_graph()
    model = GraphSAGE(8, 16, 3, num_nodes=40)
    assert model(torch.arange(40), edge_index).shape == (40, 3)
    with pytest.raises(ValueError, match="pass node ids"):
        model(torch.randn(40, 8), edge_index)


@pytest.mark.parametrize("aggregator", ["mean", "gcn", "pool", "lstm"])
def test_block_with_sparse_rows_equals_dense(aggregator):
    from graphseq.sampling import gather_rows

    x, edge_index = _random_graph()
    x = x.relu()  # some zeros, as bag-of-words features
    conv = SAGEConv(8, 5, aggregator).eval()
    batch = NeighborSampler(edge_index, [4], replace=False, seed=0).sample(torch.tensor([0, 3]))
    sparse_rows = gather_rows(x.to_sparse_csr(), batch.n_id)
    assert sparse_rows.layout == torch.sparse_csr
    torch.testing.assert_close(sparse_rows.to_dense(), x[batch.n_id])
    torch.testing.assert_close(
        conv(sparse_rows, batch.blocks[0]), conv(x[batch.n_id], batch.blocks[0]), atol=1e-5, rtol=0
    )


def test_graphsage_embed_is_the_last_hidden_layer():
    x, edge_index = _random_graph()
    model = GraphSAGE(8, 16, 3, num_layers=2).eval()
    hidden = model.embed(x, edge_index)
    assert hidden.shape == (40, 16) and bool((hidden >= 0).all())
    torch.testing.assert_close(model.convs[1](hidden, edge_index), model(x, edge_index))


def test_lstm_block_from_input_gates_equals_the_lstm_over_gathered_neighbours():
    # SAGEConv applies the LSTM's input transform once per source row of a block; the result
    # and its gradients must be those of the nn.LSTM over the gathered [n, fanout, F] rows.
    from graphseq.nn.aggr import LSTMAggregator

    torch.manual_seed(0)
    aggregator = LSTMAggregator(8, 6)
    x = torch.randn(20, 8, requires_grad=True)
    index = torch.randint(0, 20, (7, 5))
    mask = torch.arange(5).expand(7, 5) < torch.tensor([5, 3, 1, 0, 5, 2, 4])[:, None]
    for m in (None, mask):
        fast = aggregator.block_from_gates(aggregator.input_gates(x)[index], m)
        slow = aggregator.block(x[index], m, None)
        torch.testing.assert_close(fast, slow, atol=1e-6, rtol=0)
        grads = torch.autograd.grad(fast.square().sum(), [x, *aggregator.parameters()])
        expected = torch.autograd.grad(slow.square().sum(), [x, *aggregator.parameters()])
        for got, want in zip(grads, expected, strict=True):
            torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
