import networkx as nx
import pytest
import scipy.sparse as sp
import torch

from graphseq import CSRGraph, as_csr
from graphseq.validation import check_edge_index as validate_edge_index


def test_from_edge_index_sorts_and_counts():
    edge_index = torch.tensor([[2, 0, 1, 0], [0, 2, 0, 1]])
    graph = CSRGraph.from_edge_index(edge_index)
    assert graph.num_nodes == 3 and graph.num_edges == 4
    assert graph.indptr.tolist() == [0, 2, 3, 4]
    assert graph.neighbors(0).tolist() == [1, 2]
    assert graph.degree().tolist() == [2, 1, 1]
    assert graph.to_edge_index().tolist() == [[0, 0, 1, 2], [1, 2, 0, 0]]


def test_isolated_nodes_kept_with_num_nodes():
    graph = CSRGraph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=5)
    assert graph.degree().tolist() == [1, 0, 0, 0, 0]
    assert graph.neighbors(4).numel() == 0


def test_weights_follow_their_edges():
    edge_index = torch.tensor([[1, 0], [0, 1]])
    graph = CSRGraph.from_edge_index(edge_index, edge_weight=torch.tensor([5.0, 2.0]))
    assert graph.weights.tolist() == [2.0, 5.0]
    assert graph.weighted_degree().tolist() == [2.0, 5.0]


def test_from_networkx_undirected_has_both_directions():
    graph = CSRGraph.from_networkx(nx.path_graph(3))
    assert graph.to_edge_index().tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert graph.is_symmetric()
    assert graph.weights is None


def test_from_networkx_relabels_and_reads_weights():
    g = nx.Graph()
    g.add_edge("a", "b", weight=3.0)
    graph = CSRGraph.from_networkx(g)
    assert graph.num_nodes == 2 and graph.weights.tolist() == [3.0, 3.0]


def test_from_scipy_matches_matrix():
    matrix = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 2], [1, 2, 0])), shape=(4, 4))
    graph = CSRGraph.from_scipy(matrix)
    assert graph.num_nodes == 4 and graph.weights is None
    assert graph.to_edge_index().tolist() == [[0, 1, 2], [1, 2, 0]]
    assert not graph.is_symmetric()


def test_from_any_dispatches():
    from torch_geometric.data import Data

    ei = torch.tensor([[0, 1], [1, 0]])
    assert as_csr(Data(edge_index=ei, num_nodes=3)).num_nodes == 3
    assert as_csr(ei).num_edges == 2
    assert as_csr(nx.path_graph(4)).num_edges == 6
    with pytest.raises(TypeError, match="cannot build a graph from list"):
        as_csr([1, 2])


def test_symmetrize_adds_reverse_and_deduplicates():
    graph = CSRGraph.from_edge_index(torch.tensor([[0, 0, 1], [1, 1, 2]]))
    sym = graph.symmetrize()
    assert sym.to_edge_index().tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert sym.is_symmetric()


def test_symmetrize_keeps_larger_weight():
    graph = CSRGraph.from_edge_index(
        torch.tensor([[0, 1], [1, 0]]), edge_weight=torch.tensor([1.0, 4.0])
    )
    assert graph.symmetrize().weights.tolist() == [4.0, 4.0]


@pytest.mark.parametrize(
    ("edge_index", "num_nodes", "message"),
    [
        ([[0, 1]], None, r"torch.Tensor of shape \[2, num_edges\]"),
        (torch.tensor([0, 1]), None, r"must have shape \[2, num_edges\], got \[2\]"),
        (torch.tensor([[0, 1], [1, 2], [2, 0]]), None, r"looks transposed"),
        (
            torch.tensor([[0.0, 1.0], [1.0, 0.0]]),
            None,
            r"integer node ids, got dtype torch.float32",
        ),
        (torch.tensor([[0, -1], [1, 0]]), None, r"negative node id -1"),
        (
            torch.tensor([[0, 7], [1, 0]]),
            5,
            r"refers to node 7, but num_nodes is 5.*num_nodes >= 8",
        ),
    ],
)
def test_edge_index_validation(edge_index, num_nodes, message):
    with pytest.raises((TypeError, ValueError), match=message):
        CSRGraph.from_edge_index(edge_index, num_nodes)


def test_weight_validation():
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"1 NaN or infinite value\(s\)"):
        validate_edge_index(ei, 2, torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match=r"1 NaN or infinite"):
        validate_edge_index(ei, 2, torch.tensor([float("inf"), 1.0]))
    with pytest.raises(ValueError, match=r"shape \[num_edges\] = \[2\]"):
        validate_edge_index(ei, 2, torch.tensor([1.0]))
    with pytest.raises(ValueError, match="negative values"):
        validate_edge_index(ei, 2, torch.tensor([1.0, -1.0]))


def test_neighbors_out_of_range():
    graph = CSRGraph.from_edge_index(torch.tensor([[0], [1]]))
    with pytest.raises(IndexError, match="node 2 is out of range for a graph with 2 nodes"):
        graph.neighbors(2)
