"""Ordinary PyG code runs unchanged with graphseq's layers: every case runs the same call on
``torch_geometric.nn`` and on ``graphseq.nn`` and compares the outputs (or the errors)."""

from __future__ import annotations

import pytest
import torch
import torch_geometric.nn as pyg
from torch_geometric.nn.aggr import MedianAggregation
from torch_geometric.utils import sort_edge_index

import graphseq.nn as gsn
from graphseq.nn import LSTMAggregator


def _graph(num_nodes=30, num_edges=120, features=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    edge_index = edge_index[:, edge_index[0] != edge_index[1]]  # self-loops: see the layer guide
    x = torch.randn(num_nodes, features, generator=generator)
    return x, edge_index


def _pair(layer, *args, **kwargs):
    """The same layer from both libraries, graphseq's weights copied into PyG's."""
    torch.manual_seed(0)
    ours = getattr(gsn, layer)(*args, **kwargs)
    theirs = getattr(pyg, layer)(*args, **kwargs)
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def _close(a, b):
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------------- GCNConv
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((16, 8), {}),
        ((16, 8, False, True), {}),  # positional improved, cached
        ((16, 8), {"normalize": False}),
        ((16, 8), {"add_self_loops": False}),
        ((16, 8), {"bias": False}),
        ((16, 8), {"cached": True}),
    ],
)
def test_gcn_options_give_pygs_numbers(args, kwargs):
    x, edge_index = _graph()
    weight = torch.rand(edge_index.size(1)) + 0.5
    ours, theirs = _pair("GCNConv", *args, **kwargs)
    for _ in range(2):  # twice: a cached layer reuses its adjacency
        _close(ours(x, edge_index), theirs(x, edge_index))
    ours, theirs = _pair("GCNConv", *args, **kwargs)
    _close(ours(x, edge_index, weight), theirs(x, edge_index, weight))
    assert repr(ours) == repr(theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_gcn_improved_is_a_plus_2i():
    # PyG 2.8.1 fills the self-loops of A + 2I only when edge weights are given (its
    # add_remaining_self_loops has no weights to fill otherwise, so improved=True does nothing);
    # graphseq applies A + 2I either way. With weights given, the two agree.
    x, edge_index = _graph()
    ones = torch.ones(edge_index.size(1))
    ours, theirs = _pair("GCNConv", 16, 8, improved=True)
    _close(ours(x, edge_index, ones * 0.7), theirs(x, edge_index, ones * 0.7))
    _close(ours(x, edge_index), theirs(x, edge_index, ones))
    plain, _ = _pair("GCNConv", 16, 8)
    assert not torch.allclose(ours(x, edge_index), plain(x, edge_index))


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_gcn_takes_a_torch_sparse_adjacency(layout):
    x, edge_index = _graph()
    edge_index = torch.unique(edge_index, dim=1)  # a sparse matrix holds each edge once
    adj = torch.sparse_coo_tensor(
        edge_index.flip(0), torch.ones(edge_index.size(1)), (30, 30), check_invariants=True
    ).coalesce()
    adj_t = adj if layout == "coo" else adj.to_sparse_csr()
    ours, theirs = _pair("GCNConv", 16, 8)
    _close(ours(x, adj_t), theirs(x, adj_t))
    _close(ours(x, adj_t), ours(x, edge_index))


def test_gcn_lazy_channels_are_set_by_the_first_call():
    x, edge_index = _graph()
    ours, theirs = gsn.GCNConv(-1, 8), pyg.GCNConv(-1, 8)
    ours(x, edge_index), theirs(x, edge_index)
    assert ours.lin.weight.shape == theirs.lin.weight.shape == (8, 16)
    theirs.load_state_dict(ours.state_dict())
    _close(ours(x, edge_index), theirs(x, edge_index))


def test_gcn_raises_where_pyg_raises():
    for library in (pyg, gsn):
        with pytest.raises(ValueError, match="does not support adding self-loops"):
            library.GCNConv(16, 8, add_self_loops=True, normalize=False)
        x, edge_index = _graph()
        with pytest.raises(ValueError, match="does not support bipartite message passing"):
            library.GCNConv(16, 8)((x, x), edge_index)


def test_gcn_float64():
    x, edge_index = _graph()
    ours, theirs = _pair("GCNConv", 16, 8)
    ours, theirs = ours.double(), theirs.double()
    _close(ours(x.double(), edge_index), theirs(x.double(), edge_index))


def test_gcn_reset_parameters_reinitializes():
    ours = gsn.GCNConv(16, 8)
    before = ours.lin.weight.clone()
    ours.reset_parameters()
    assert not torch.equal(before, ours.lin.weight)


# ---------------------------------------------------------------------------------- SAGEConv
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"aggr": "mean"},
        {"aggr": "max"},
        {"aggr": "sum"},
        {"aggr": "max", "project": True},
        {"aggr": "mean", "project": True},
        {"root_weight": False},
        {"normalize": True},
        {"bias": False},
    ],
)
def test_sage_options_give_pygs_numbers(kwargs):
    x, edge_index = _graph()
    ours, theirs = _pair("SAGEConv", 16, 32, **kwargs)
    _close(ours(x, edge_index), theirs(x, edge_index))
    _close(ours(x.to_sparse(), edge_index), theirs(x, edge_index))  # sparse x, PyG's dense
    assert repr(ours) == repr(theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_sage_positional_arguments_in_pygs_order():
    x, edge_index = _graph()
    ours, theirs = _pair("SAGEConv", 16, 32, "max", True, False, True)  # normalize, root, project
    _close(ours(x, edge_index), theirs(x, edge_index))


def test_sage_gradients_equal_pygs():
    x, edge_index = _graph()
    for aggr in ("mean", "max"):
        ours, theirs = _pair("SAGEConv", 16, 8, aggr=aggr, project=aggr == "max")
        ours(x, edge_index).square().sum().backward()
        theirs(x, edge_index).square().sum().backward()
        for (name, a), b in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(a.grad, b.grad, atol=1e-4, rtol=1e-4, msg=name)


def test_sage_bipartite_inputs():
    x_src, x_dst = torch.randn(30, 16), torch.randn(10, 8)
    edge_index = torch.stack([torch.randint(0, 30, (60,)), torch.randint(0, 10, (60,))])
    ours, theirs = _pair("SAGEConv", (16, 8), 32)
    _close(ours((x_src, x_dst), edge_index), theirs((x_src, x_dst), edge_index))
    out_ours = ours((x_src, None), edge_index, size=(30, 10))
    out_theirs = theirs((x_src, None), edge_index, size=(30, 10))
    assert out_ours.shape == (10, 32)
    _close(out_ours, out_theirs)


def test_sage_size_argument_keeps_trailing_isolated_targets():
    x, edge_index = _graph()
    edge_index = edge_index[:, edge_index[1] < 20]
    ours, theirs = _pair("SAGEConv", 16, 8)
    _close(
        ours((x, x[:25]), edge_index, size=(30, 25)), theirs((x, x[:25]), edge_index, size=(30, 25))
    )


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sage_takes_a_torch_sparse_adjacency(layout):
    x, edge_index = _graph()
    edge_index = torch.unique(edge_index, dim=1)
    adj = torch.sparse_coo_tensor(
        edge_index.flip(0), torch.ones(edge_index.size(1)), (30, 30), check_invariants=True
    ).coalesce()
    adj_t = adj if layout == "coo" else adj.to_sparse_csr()
    ours, theirs = _pair("SAGEConv", 16, 8)
    _close(ours(x, adj_t), theirs(x, adj_t))


def test_sage_lazy_channels_and_the_project_error():
    x, edge_index = _graph()
    ours, theirs = gsn.SAGEConv(-1, 8), pyg.SAGEConv(-1, 8)
    ours(x, edge_index), theirs(x, edge_index)
    theirs.load_state_dict(ours.state_dict())
    _close(ours(x, edge_index), theirs(x, edge_index))
    for library in (pyg, gsn):
        with pytest.raises(
            ValueError, match="does not support lazy initialization with `project=True`"
        ):
            library.SAGEConv(-1, 8, project=True)


def test_sage_lstm_padded_reads_like_pyg_and_default_reads_real_neighbours():
    x, edge_index = _graph()
    edge_index = sort_edge_index(edge_index, sort_by_row=False)  # PyG's LSTM needs this order
    torch.manual_seed(0)
    theirs = pyg.SAGEConv(16, 8, aggr="lstm")
    padded = gsn.SAGEConv(16, 8, aggr=LSTMAggregator(16, 16, padded=True))
    padded.aggr_module.lstm.rnn.load_state_dict(theirs.aggr_module.lstm.state_dict())
    for name in ("lin_l", "lin_r"):
        getattr(padded, name).load_state_dict(getattr(theirs, name).state_dict())
    _close(padded(x, edge_index), theirs(x, edge_index))  # training mode too: no shuffle
    default = gsn.SAGEConv(16, 8, aggr="lstm").eval()
    default.load_state_dict(padded.state_dict())
    # Degrees differ, so reading up to each node's last real neighbour gives other numbers.
    assert not torch.allclose(default(x, edge_index), theirs(x, edge_index), atol=1e-4)


def test_sage_takes_any_pyg_aggregation():
    x, edge_index = _graph()
    ours, theirs = _pair("SAGEConv", 16, 8, aggr=MedianAggregation())
    _close(ours(x, edge_index), theirs(x, edge_index))


def test_sage_float64_and_reset_parameters():
    x, edge_index = _graph()
    ours, theirs = _pair("SAGEConv", 16, 8, aggr="max", project=True)
    _close(ours.double()(x.double(), edge_index), theirs.double()(x.double(), edge_index))
    before = ours.lin_l.weight.clone()
    ours.reset_parameters()
    assert not torch.equal(before, ours.lin_l.weight)


def test_layers_drop_into_a_pyg_model():
    """A model written for PyG, with graphseq's layers passed in, trains the same way."""
    x, edge_index = _graph()

    class Net(torch.nn.Module):
        def __init__(self, library):
            super().__init__()
            self.conv1 = library.GCNConv(16, 16)
            self.conv2 = library.SAGEConv(16, 4, aggr="max", project=True)
            self.pool = pyg.global_mean_pool

        def forward(self, x, edge_index):
            h = self.conv1(x, edge_index).relu()
            return self.pool(self.conv2(h, edge_index), torch.zeros(x.size(0), dtype=torch.long))

    torch.manual_seed(0)
    ours = Net(gsn)
    theirs = Net(pyg)
    theirs.load_state_dict(ours.state_dict())
    _close(ours(x, edge_index), theirs(x, edge_index))
