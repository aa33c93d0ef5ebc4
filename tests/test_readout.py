"""Graph readouts (graphseq.nn.readout): PyG aggregations, the LSTM readout, GraphClassifier."""

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.nn import global_mean_pool
from torch_geometric.nn.aggr import Aggregation, MeanAggregation

from graphseq.models import GraphClassifier
from graphseq.nn.readout import LSTMReadout, readout_channels, resolve_readout
from graphseq.ordering import add_node_ranks, node_ranks, order_nodes


def _graph(edges, num_nodes, features=4):
    edge_index = torch.tensor(edges, dtype=torch.long).t()
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
    return Data(x=torch.randn(num_nodes, features), edge_index=edge_index, num_nodes=num_nodes)


def _batch():
    torch.manual_seed(0)
    graphs = [
        _graph([(0, 1), (1, 2)], 3),
        _graph([(0, 1), (0, 2), (0, 3), (3, 4)], 5),
        _graph([(0, 1)], 2),
    ]
    return graphs, Batch.from_data_list(graphs)


def test_lstm_readout_is_a_pyg_aggregation_reading_each_graph_alone():
    graphs, batch = _batch()
    readout = LSTMReadout(4, 8).eval()
    assert isinstance(readout, Aggregation)
    together = readout(batch.x, batch.batch, dim_size=batch.num_graphs)
    by_ptr = readout(batch.x, ptr=batch.ptr)
    torch.testing.assert_close(together, by_ptr)
    for i, graph in enumerate(graphs):
        alone = readout(graph.x, torch.zeros(graph.num_nodes, dtype=torch.long))
        torch.testing.assert_close(together[i : i + 1], alone)
    # The same encoder on the padded sequences, node order as given.
    lengths = batch.ptr.diff()
    padded = torch.zeros(3, int(lengths.max()), 4)
    for i in range(3):
        padded[i, : lengths[i]] = batch.x[batch.ptr[i] : batch.ptr[i + 1]]
    torch.testing.assert_close(together, readout.encoder(padded, lengths))


def test_lstm_readout_reads_in_the_given_order_and_reverse_flips_it():
    graphs, batch = _batch()
    readout = LSTMReadout(4, 8).eval()
    ranks = node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "degree")
    perm = order_nodes(batch.batch, ranks)
    plain = readout(batch.x, batch.batch)
    ordered = readout(batch.x[perm], batch.batch[perm])
    assert not torch.allclose(plain, ordered)
    backwards = LSTMReadout(4, 8, reverse=True).eval()
    backwards.load_state_dict(readout.state_dict())
    flipped = torch.cat([graph.x.flip(0) for graph in graphs])
    torch.testing.assert_close(backwards(batch.x, batch.batch), readout(flipped, batch.batch))


def test_lstm_readout_max_nodes_reads_the_first_nodes_only():
    _, batch = _batch()
    short = LSTMReadout(4, 8, max_nodes=2).eval()
    first_two = torch.cat(
        [batch.x[batch.ptr[i] : batch.ptr[i] + 2] for i in range(batch.num_graphs)]
    )
    index = torch.arange(batch.num_graphs).repeat_interleave(2)
    torch.testing.assert_close(short(batch.x, batch.batch), short(first_two, index))


def test_named_readouts_are_pygs_own_aggregations():
    x = torch.tensor([[1.0], [3.0], [-2.0]])
    batch = torch.tensor([0, 0, 1])
    assert isinstance(resolve_readout("mean", 1), MeanAggregation)
    assert resolve_readout("mean", 1)(x, batch).flatten().tolist() == [2.0, -2.0]
    assert resolve_readout("sum", 1)(x, batch).flatten().tolist() == [4.0, -2.0]
    assert resolve_readout("max", 1)(x, batch).flatten().tolist() == [3.0, -2.0]
    torch.testing.assert_close(resolve_readout("mean", 1)(x, batch), global_mean_pool(x, batch))


@pytest.mark.parametrize("name", ["lstm", "mean", "sum", "max", "set2set"])
def test_every_readout_gives_one_vector_per_graph_and_backpropagates(name):
    _, batch = _batch()
    x = torch.randn(batch.num_nodes, 6, requires_grad=True)
    readout = resolve_readout(name, 6, 10)
    out = readout(x, batch.batch, dim_size=batch.num_graphs)
    assert out.shape == (3, readout_channels(readout, 6))
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_graphs_without_nodes_read_out_as_zeros_like_pyg():
    x = torch.randn(3, 4)
    batch = torch.tensor([0, 0, 2])  # graph 1 has no node
    lstm = LSTMReadout(4, 8).eval()
    out = lstm(x, batch, dim_size=4)
    assert out.shape == (4, 8)
    assert torch.equal(out[1], torch.zeros(8)) and torch.equal(out[3], torch.zeros(8))
    torch.testing.assert_close(out[2:3], lstm(x[2:], torch.zeros(1, dtype=torch.long)))
    assert resolve_readout("mean", 4)(x, batch, dim_size=4)[1].abs().sum() == 0


def test_bad_readout_arguments_fail_clearly():
    with pytest.raises(ValueError, match="cell must be one of 'rnn', 'lstm', 'gru'; got 'lstn'"):
        LSTMReadout(4, 8, cell="lstn")
    with pytest.raises(ValueError, match="readout must be one of .*got 'attention'"):
        resolve_readout("attention", 4)
    with pytest.raises(TypeError, match="readout must be one of"):
        resolve_readout(3, 4)
    with pytest.raises(ValueError, match=r"in_channels=4\], got \[3, 5\]"):
        LSTMReadout(4, 8)(torch.randn(3, 5), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="'index' tensor is not sorted"):
        LSTMReadout(4, 8)(torch.randn(3, 4), torch.tensor([1, 0, 1]))


def test_graph_classifier_takes_a_readout_name_module_or_factory():
    _, batch = _batch()
    for readout in ("lstm", "set2set", MeanAggregation(), lambda c: LSTMReadout(c, 5, cell="gru")):
        model = GraphClassifier(4, 2, hidden_channels=8, num_layers=2, readout=readout).eval()
        out = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
        assert out.shape == (3, 2)
    assert model.readout.encoder.cell == "gru"


def test_graph_classifier_reads_nodes_in_the_ordering_or_the_batch_rank():
    graphs, batch = _batch()
    torch.manual_seed(0)
    model = GraphClassifier(4, 2, hidden_channels=8, num_layers=2, readout="lstm").eval()
    assert model.ordering == "degree"
    computed = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)
    ranked = Batch.from_data_list(add_node_ranks(graphs, "degree"))
    given = model(ranked.x, ranked.edge_index, ranked.batch, ranked.num_graphs, ranked.node_rank)
    torch.testing.assert_close(computed, given)
    bfs = Batch.from_data_list(add_node_ranks(graphs, "bfs"))
    other = model(bfs.x, bfs.edge_index, bfs.batch, bfs.num_graphs, bfs.node_rank)
    assert not torch.allclose(computed, other)
    assert GraphClassifier(4, 2, readout="mean").ordering is None
    factory = GraphClassifier(4, 2, readout=lambda c: LSTMReadout(c, 4, cell="gru"))
    assert factory.ordering == "degree"  # a sequence reader, however it was given
    with pytest.raises(ValueError, match="ordering must be one of"):
        GraphClassifier(4, 2, ordering="dfs")
