"""Node orderings (graphseq.ordering)."""

import networkx as nx
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import from_networkx

from graphseq.ordering import OrderNodes, add_node_ranks, node_ranks, order_nodes


def _graph(edges, num_nodes, features=4):
    edge_index = torch.tensor(edges, dtype=torch.long).t()
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
    return Data(x=torch.randn(num_nodes, features), edge_index=edge_index, num_nodes=num_nodes)


def _reference_bfs(graph: nx.Graph) -> list[int]:
    """Queue BFS from the highest-degree node, neighbours in id order, restarts likewise."""
    degree = dict(graph.degree())
    order, seen = [], set()
    while len(seen) < graph.number_of_nodes():
        root = min((n for n in graph if n not in seen), key=lambda n: (-degree[n], n))
        queue = [root]
        seen.add(root)
        while queue:
            node = queue.pop(0)
            order.append(node)
            for neighbour in sorted(graph[node]):
                if neighbour not in seen:
                    seen.add(neighbour)
                    queue.append(neighbour)
    return order


def _random_batch(count=25):
    graphs = [nx.gnp_random_graph(4 + s % 11, 0.2, seed=s) for s in range(count)]
    datas = []
    for graph in graphs:
        data = from_networkx(graph)
        data.num_nodes = graph.number_of_nodes()
        datas.append(data)
    return graphs, Batch.from_data_list(datas)


def test_degree_ordering_sorts_by_degree_then_id_in_every_graph():
    graphs, batch = _random_batch()
    ranks = node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "degree")
    for i, graph in enumerate(graphs):
        order = torch.argsort(ranks[batch.ptr[i] : batch.ptr[i + 1]]).tolist()
        degree = dict(graph.degree())
        assert order == sorted(graph, key=lambda n: (-degree[n], n))


def test_bfs_ordering_matches_a_queue_bfs_including_disconnected_graphs():
    graphs, batch = _random_batch()
    assert any(not nx.is_connected(g) for g in graphs)
    ranks = node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "bfs")
    for i, graph in enumerate(graphs):
        order = torch.argsort(ranks[batch.ptr[i] : batch.ptr[i + 1]]).tolist()
        assert order == _reference_bfs(graph)


def test_bfs_ties_are_broken_by_node_id():
    # A 4-cycle: every node has degree 2, so BFS starts at node 0 and visits 1 before 3.
    data = _graph([(0, 1), (1, 2), (2, 3), (3, 0)], 4)
    assert node_ranks(data.edge_index, None, 4, "bfs").tolist() == [0, 1, 3, 2]


def test_order_nodes_lists_nodes_graph_by_graph_in_rank_order():
    batch = torch.tensor([0, 0, 0, 1, 1])
    rank = torch.tensor([2, 0, 1, 1, 0])
    assert order_nodes(batch, rank).tolist() == [1, 2, 0, 4, 3]


def test_add_node_ranks_equals_per_graph_computation_and_batches_carry_it():
    _, batch = _random_batch(6)
    graphs = batch.to_data_list()
    ranked = add_node_ranks(graphs, "bfs")
    for graph, data in zip(graphs, ranked, strict=True):
        assert torch.equal(
            data.node_rank, node_ranks(graph.edge_index, None, graph.num_nodes, "bfs")
        )
        assert not hasattr(graph, "node_rank"), "the input graphs are not modified"
    rebatched = Batch.from_data_list(ranked)
    direct = node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "bfs")
    assert torch.equal(rebatched.node_rank, direct)


def test_random_walk_ordering_is_seeded_and_starts_at_the_highest_degree_node():
    graphs, batch = _random_batch(8)
    first = node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "random_walk", seed=3)
    assert torch.equal(
        first, node_ranks(batch.edge_index, batch.batch, batch.num_nodes, "random_walk", seed=3)
    )
    for i, graph in enumerate(graphs):
        ranks = first[batch.ptr[i] : batch.ptr[i + 1]]
        assert sorted(ranks.tolist()) == list(range(graph.number_of_nodes()))
        degree = dict(graph.degree())
        assert int(torch.argmin(ranks)) == min(graph, key=lambda n: (-degree[n], n))


def test_random_walk_ordering_puts_unreached_nodes_last_in_degree_order():
    # Component {0, 1, 2} (a path, node 1 has the highest degree) and isolated 3, 4.
    data = _graph([(0, 1), (1, 2)], 5)
    ranks = node_ranks(data.edge_index, None, 5, "random_walk", seed=0, walk_length=50)
    assert ranks[1] == 0 and sorted(ranks[:3].tolist()) == [0, 1, 2]
    assert ranks[3:].tolist() == [3, 4]


def test_order_nodes_transform_adds_the_same_ranks():
    _, batch = _random_batch(3)
    graph = batch.to_data_list()[2]
    ranked = OrderNodes("bfs")(graph)
    assert torch.equal(ranked.node_rank, node_ranks(graph.edge_index, None, graph.num_nodes, "bfs"))
    assert not hasattr(graph, "node_rank"), "the transform does not modify its input"
    with pytest.raises(ValueError, match="ordering must be one of 'degree', 'bfs', 'random_walk'"):
        OrderNodes("alphabetical")
    with pytest.raises(ValueError, match="ordering must be one of"):
        node_ranks(torch.zeros(2, 0, dtype=torch.long), None, 3, "alphabetical")
