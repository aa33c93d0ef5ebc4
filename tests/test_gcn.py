import pytest
import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

from graphseq import GCN, GCNConv, make_community_graph
from graphseq.nn import normalized_adjacency
from graphseq.nn.functional import dropout


@pytest.fixture(scope="module")
def graph():
    data = make_community_graph(num_nodes=120, num_features=12, seed=1)
    # A few duplicate edges, an existing self-loop and an isolated node, to exercise the corners.
    extra = torch.tensor([[0, 0, 5], [1, 1, 5]])
    data.edge_index = torch.cat([data.edge_index, extra], 1)
    data.x = torch.cat([data.x, torch.randn(1, 12)])
    data.num_nodes = 121
    return data


def _pair(in_channels, out_channels, **options):
    torch.manual_seed(0)
    ours = GCNConv(in_channels, out_channels, add_self_loops=options.get("add_self_loops", True))
    pyg = PyGGCNConv(in_channels, out_channels, **options)
    with torch.no_grad():
        ours.bias.copy_(torch.randn(out_channels))
    pyg.load_state_dict(ours.state_dict())  # the same parameter names and shapes
    return ours, pyg


@pytest.mark.parametrize("add_self_loops", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_pyg(graph, add_self_loops, weighted):
    ours, pyg = _pair(12, 5, add_self_loops=add_self_loops)
    weight = torch.rand(graph.edge_index.size(1)) + 0.1 if weighted else None
    expected = pyg(graph.x, graph.edge_index, weight)
    assert torch.allclose(ours(graph.x, graph.edge_index, weight), expected, atol=1e-5)


def test_sparse_input_matches_dense_and_pyg(graph):
    ours, pyg = _pair(12, 5)
    out = ours(graph.x.to_sparse(), graph.edge_index)
    assert out.layout == torch.strided
    assert torch.allclose(out, pyg(graph.x, graph.edge_index), atol=1e-5)


def test_gradients_match_pyg(graph):
    ours, pyg = _pair(12, 5)
    ours(graph.x.to_sparse(), graph.edge_index).square().sum().backward()
    pyg(graph.x, graph.edge_index).square().sum().backward()
    assert torch.allclose(ours.lin.weight.grad, pyg.lin.weight.grad, atol=1e-4)
    assert torch.allclose(ours.bias.grad, pyg.bias.grad, atol=1e-4)


def test_random_walk_normalization_is_row_stochastic():
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    matrix = normalized_adjacency(edge_index, 3, normalization="rw").to_dense()
    a_plus_i = torch.tensor([[1.0, 1, 0], [1, 1, 1], [0, 1, 1]])
    assert torch.allclose(matrix, a_plus_i / a_plus_i.sum(1, keepdim=True))
    sym = normalized_adjacency(edge_index, 3).to_dense()
    d = a_plus_i.sum(1).rsqrt()
    assert torch.allclose(sym, d[:, None] * a_plus_i * d[None, :])


def test_rw_layer_equals_dense_formula(graph):
    conv = GCNConv(12, 4, normalize="rw", bias=False)
    n = graph.num_nodes
    a = torch.zeros(n, n).index_put_(
        (graph.edge_index[1], graph.edge_index[0]),
        torch.ones(graph.edge_index.size(1)),
        accumulate=True,
    )
    a.fill_diagonal_(0)
    a += torch.eye(n)  # every node gets a loop of weight 1 (node 5 keeps its own, also 1)
    expected = (a / a.sum(1, keepdim=True)) @ graph.x @ conv.lin.weight.T
    assert torch.allclose(conv(graph.x, graph.edge_index), expected, atol=1e-5)


def test_cached_adjacency_reused(graph):
    conv = GCNConv(12, 3, cached=True)
    conv(graph.x, graph.edge_index)
    first = conv._cached_adjacency
    conv(graph.x, graph.edge_index)
    assert conv._cached_adjacency is first
    conv.reset_parameters()
    assert conv._cached_adjacency is None


def test_cache_keeps_one_matrix_for_an_undirected_graph(graph):
    # The fixture's extra edges (0 -> 1 twice) make it directed: P and its transpose differ.
    directed = GCNConv(12, 3, cached=True)
    directed(graph.x, graph.edge_index)
    matrix, transpose = directed._cached_adjacency
    assert transpose is not matrix
    assert torch.equal(transpose.to_dense(), matrix.to_dense().t())
    undirected_edges = torch.cat([graph.edge_index, graph.edge_index.flip(0)], 1)
    undirected = GCNConv(12, 3, cached=True)
    x = graph.x.clone().requires_grad_()
    undirected(x, undirected_edges).sum().backward()
    matrix, transpose = undirected._cached_adjacency
    assert transpose is matrix  # symmetric P: one copy serves forward and backward
    assert matrix.col_indices().dtype == torch.int32
    # the gradient through the shared matrix is the dense formula's
    dense = matrix.to_dense()
    x_dense = graph.x.clone().requires_grad_()
    (dense @ undirected.lin(x_dense) + undirected.bias).sum().backward()
    torch.testing.assert_close(x.grad, x_dense.grad, atol=1e-5, rtol=1e-5)


def test_dropout_without_gradient_matches_and_keeps_input():
    x = torch.randn(50, 7)
    original = x.clone()
    torch.manual_seed(3)
    reused = dropout(x, 0.4)  # x needs no gradient: the mask's buffer becomes the result
    torch.manual_seed(3)
    tracked = dropout(x.clone().requires_grad_(), 0.4)
    assert torch.equal(x, original)  # the input is never written
    assert torch.equal(reused, tracked.detach())
    assert 0 < int((reused == 0).sum()) < reused.numel()


def test_feature_size_mismatch_is_clear(graph):
    with pytest.raises(ValueError, match=r"in_channels=7\], got \[121, 12\]"):
        GCNConv(7, 3)(graph.x, graph.edge_index)
    with pytest.raises(ValueError, match="normalize must be True, False, 'sym' or 'rw'"):
        GCNConv(7, 3, normalize="left")


def test_sparse_dropout_stays_sparse():
    x = torch.eye(50).to_sparse()
    torch.manual_seed(0)
    out = dropout(x, 0.5, training=True)
    assert out.is_sparse and out._nnz() == 50
    kept = out.coalesce().values()
    assert set(kept.unique().tolist()) <= {0.0, 2.0} and 10 < int((kept > 0).sum()) < 40
    assert dropout(x, 0.5, training=False) is x


def test_gcn_model_shapes_and_embed(graph):
    model = GCN(12, 8, 3, num_layers=3)
    model.eval()
    assert model(graph.x, graph.edge_index).shape == (121, 3)
    assert model.embed(graph.x, graph.edge_index).shape == (121, 8)
    with pytest.raises(ValueError, match="num_layers must be an int >= 1"):
        GCN(12, 8, 3, num_layers=0)
