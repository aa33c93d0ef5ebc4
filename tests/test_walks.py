"""Random walks: shapes, reproducibility, dead ends, exact first/second-order probabilities."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from scipy import stats

from graphseq import CSRGraph, as_csr
from graphseq import walks as walks_module
from graphseq.walks import PAD, iter_random_walks, num_walks, random_walks


@pytest.fixture(params=["compiled", "tensor"])
def engine(request, monkeypatch):
    """Unweighted node2vec walks on the CPU run compiled (`graphseq.walk_kernels`); other
    devices run the tensor rejection sampler. Tests that take this fixture check both."""
    monkeypatch.setattr(walks_module, "_COMPILED", request.param == "compiled")
    return request.param


@pytest.fixture
def karate() -> CSRGraph:
    return CSRGraph.from_networkx(nx.karate_club_graph(), weight=None)


def _edge_set(graph: CSRGraph) -> set[tuple[int, int]]:
    return set(map(tuple, graph.to_edge_index().t().tolist()))


def _node2vec_probabilities(graph: CSRGraph, t: int, v: int, p: float, q: float, edges) -> dict:
    """Exact next-node distribution of a walker that came from t to v (the definition)."""
    weights = graph.weights
    out = {}
    for position in range(int(graph.indptr[v]), int(graph.indptr[v + 1])):
        x = int(graph.indices[position])
        alpha = 1 / p if x == t else (1.0 if (t, x) in edges else 1 / q)
        w = 1.0 if weights is None else float(weights[position])
        out[x] = out.get(x, 0.0) + alpha * w
    total = sum(out.values())
    return {x: m / total for x, m in out.items()}


def _second_order_chi2(graph, walks, p, q, min_count=200):
    """Sum of chi-square statistics over (t, v) states: observed vs exact next-node counts."""
    n = graph.num_nodes
    triples = torch.stack([walks[:, :-2], walks[:, 1:-1], walks[:, 2:]], -1).reshape(-1, 3)
    triples = triples[(triples >= 0).all(1)].numpy()
    state = triples[:, 0] * n + triples[:, 1]
    counts = np.bincount(state * n + triples[:, 2], minlength=n * n * n).reshape(n * n, n)
    visits = counts.sum(1)
    edges = _edge_set(graph)
    statistic, dof, states = 0.0, 0, 0
    for s in np.flatnonzero(visits >= min_count):
        t, v = divmod(int(s), n)
        probs = _node2vec_probabilities(graph, t, v, p, q, edges)
        keys = sorted(probs)
        observed = counts[s, keys].astype(float)
        expected = np.array([probs[x] for x in keys]) * visits[s]
        assert observed.sum() == visits[s]  # no step left the neighbourhood of v
        statistic += float(((observed - expected) ** 2 / expected).sum())
        dof += len(keys) - 1
        states += 1
    assert states >= 20, "too few states with enough samples to test"
    return stats.chi2.sf(statistic, dof)


# ------------------------------------------------------------------------ shape and validity
def test_shape_dtype_and_start_nodes(karate):
    walks = random_walks(karate, walk_length=7, walks_per_node=3, seed=0)
    assert walks.shape == (3 * 34, 7) and walks.dtype == torch.long
    assert torch.equal(walks[:, 0], torch.arange(34).repeat(3))
    assert num_walks(karate, 3) == 102


@pytest.mark.parametrize(
    "options",
    [{}, {"p": 0.5, "q": 2.0}, {"weighted": True}, {"chunk_size": 10}],
    ids=["first-order", "node2vec", "weighted", "chunked"],
)
def test_every_mode_returns_contiguous_int64(karate, options):
    # first-order walks are built in int32 internally; what users get is always int64
    options = dict(options)
    graph = karate
    if options.pop("weighted", False):
        graph = as_csr(karate)
        graph = CSRGraph(
            indptr=graph.indptr, indices=graph.indices, num_nodes=34,
            weights=torch.rand(graph.indices.numel()) + 0.1,
        )  # fmt: skip
    for walks in (
        random_walks(graph, walk_length=5, walks_per_node=2, seed=0, **options),
        torch.cat(list(iter_random_walks(graph, 5, 2, seed=0, **options))),
    ):
        assert walks.dtype == torch.long and walks.is_contiguous()
        assert walks.shape == (68, 5)


def test_every_step_follows_an_edge(karate, engine):
    edges = _edge_set(karate)
    for p, q in ((1.0, 1.0), (0.5, 2.0), (4.0, 0.25)):
        walks = random_walks(karate, 10, 2, p=p, q=q, seed=1)
        pairs = torch.stack([walks[:, :-1], walks[:, 1:]], -1).reshape(-1, 2).tolist()
        assert all(tuple(pair) in edges for pair in pairs)


def test_start_nodes_order():
    graph = CSRGraph.from_networkx(nx.cycle_graph(10))
    walks = random_walks(graph, 4, walks_per_node=2, seed=0, start_nodes=torch.tensor([7, 2]))
    assert walks[:, 0].tolist() == [7, 2, 7, 2]


def test_walk_length_one_is_the_start_node(karate):
    walks = random_walks(karate, 1, 2, seed=0)
    assert torch.equal(walks, torch.arange(34).repeat(2)[:, None])


def test_accepts_pyg_data_and_edge_index(karate):
    from torch_geometric.data import Data

    edge_index = karate.to_edge_index()
    a = random_walks(Data(edge_index=edge_index, num_nodes=34), 5, seed=3)
    b = random_walks(edge_index, 5, seed=3)
    assert torch.equal(a, b)


# ------------------------------------------------------------------------ reproducibility
def test_same_seed_same_walks_different_seed_different_walks(karate, engine):
    a = random_walks(karate, 20, 5, p=0.5, q=2.0, seed=42)
    b = random_walks(karate, 20, 5, p=0.5, q=2.0, seed=42)
    c = random_walks(karate, 20, 5, p=0.5, q=2.0, seed=43)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_chunks_concatenate_to_random_walks(karate):
    whole = random_walks(karate, 12, 4, seed=5, chunk_size=50)
    chunks = list(iter_random_walks(karate, 12, 4, seed=5, chunk_size=50))
    assert [len(c) for c in chunks] == [50, 50, 36]
    assert torch.equal(torch.cat(chunks), whole)


def test_reproducible_across_thread_counts(karate, engine):
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = random_walks(karate, 15, 3, p=0.3, q=3.0, seed=9)
        torch.set_num_threads(max(2, threads))
        b = random_walks(karate, 15, 3, p=0.3, q=3.0, seed=9)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(a, b)


# ------------------------------------------------------------------------ dead ends
def test_isolated_node_stops_or_stays():
    edge_index = torch.tensor([[0, 1], [1, 0]])  # nodes 0-1 connected, node 2 isolated
    graph = CSRGraph.from_edge_index(edge_index, num_nodes=3)
    stop = random_walks(graph, 4, seed=0)
    assert stop[2].tolist() == [2, PAD, PAD, PAD]
    assert stop[0].tolist() == [0, 1, 0, 1]
    stay = random_walks(graph, 4, seed=0, dead_end="stay")
    assert stay[2].tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("p,q", [(1.0, 1.0), (0.5, 2.0)])
def test_directed_sink_ends_the_walk(p, q, engine):
    # 0 -> 1 -> 2, and 2 has no out-edge
    graph = CSRGraph.from_edge_index(torch.tensor([[0, 1], [1, 2]]), num_nodes=3)
    walks = random_walks(graph, 5, p=p, q=q, seed=0)
    assert walks.tolist() == [[0, 1, 2, PAD, PAD], [1, 2, PAD, PAD, PAD], [2, PAD, PAD, PAD, PAD]]
    stay = random_walks(graph, 5, p=p, q=q, seed=0, dead_end="stay")
    assert stay[0].tolist() == [0, 1, 2, 2, 2]


def test_self_loop_is_not_a_dead_end():
    graph = CSRGraph.from_edge_index(torch.tensor([[0], [0]]), num_nodes=1)
    assert random_walks(graph, 3, seed=0).tolist() == [[0, 0, 0]]


def test_zero_weight_edges_are_never_taken():
    edge_index = torch.tensor([[0, 0, 1, 2], [1, 2, 0, 0]])
    graph = CSRGraph.from_edge_index(edge_index, 3, edge_weight=torch.tensor([1.0, 0.0, 1.0, 1.0]))
    walks = random_walks(graph, 3, 200, seed=0, start_nodes=[0])
    assert set(walks[:, 1].tolist()) == {1}


# ------------------------------------------------------------------------ distributions
def test_first_order_steps_are_uniform(karate):
    walks = random_walks(karate, 2, 20000, seed=0, start_nodes=[33])  # node 33 has degree 17
    neighbours = karate.neighbors(33).tolist()
    counts = np.array([(walks[:, 1] == x).sum().item() for x in neighbours])
    assert counts.sum() == 20000
    assert stats.chisquare(counts).pvalue > 1e-3


def test_weighted_first_order_steps_follow_weights():
    edge_index = torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])
    weights = torch.tensor([1.0, 2.0, 7.0, 1.0, 1.0, 1.0])
    graph = CSRGraph.from_edge_index(edge_index, 4, edge_weight=weights)
    walks = random_walks(graph, 2, 30000, seed=0, start_nodes=[0])
    counts = np.array([(walks[:, 1] == x).sum().item() for x in (1, 2, 3)])
    assert stats.chisquare(counts, 30000 * np.array([0.1, 0.2, 0.7])).pvalue > 1e-3
    assert stats.chisquare(counts).pvalue < 1e-10  # and the test can tell uniform apart


@pytest.mark.parametrize(
    "p,q",
    [
        (1.0, 1.0),  # plain DeepWalk: uniform
        (0.25, 4.0),  # return often, stay local
        (4.0, 0.25),  # rarely return, move outward
        (0.01, 1.0),  # 1/p = 100: handled by the return "outlier" mass
        (1.0, 0.01),  # 1/q = 100: many rejections, exercises the exact fallback
    ],
)
def test_node2vec_transitions_match_exact_probabilities(karate, p, q, engine):
    walks = random_walks(karate, 8, 900, p=p, q=q, seed=11)
    assert _second_order_chi2(karate, walks, p, q) > 1e-3


@pytest.mark.parametrize("p,q", [(0.25, 4.0), (4.0, 0.25)])
def test_directed_node2vec_transitions_match_exact_probabilities(p, q, engine):
    # a directed graph: going back to t is only possible where v -> t exists too
    graph = CSRGraph.from_networkx(nx.gnp_random_graph(30, 0.25, seed=3, directed=True))
    edges = _edge_set(graph)
    assert sum((v, u) not in edges for u, v in edges) > 50
    walks = random_walks(graph, 8, 900, p=p, q=q, seed=5)
    assert _second_order_chi2(graph, walks, p, q) > 1e-3


def test_compiled_walks_reproducible_across_threads_and_chunks_in_threads(karate):
    # walker w of a chunk has its own random stream: the thread that runs a chunk does not matter
    a = random_walks(karate, 12, 40, p=0.5, q=2.0, seed=4, chunk_size=64, num_threads=1)
    b = random_walks(karate, 12, 40, p=0.5, q=2.0, seed=4, chunk_size=64, num_threads=2)
    assert torch.equal(a, b)


@pytest.mark.parametrize("walkers", [1, 2, 23, 24, 25, 31, 32, 33, 100])
def test_compiled_walks_follow_edges_for_any_chunk_size(walkers):
    # the compiled loop pipelines each step over the walkers of a chunk (three stages 8
    # walkers apart, a ring of 32): every chunk size around those must give valid walks
    graph = CSRGraph.from_networkx(nx.gnp_random_graph(60, 0.1, seed=2, directed=True))
    edges = _edge_set(graph)
    walks = random_walks(graph, 12, 2, p=0.25, q=4.0, seed=3, chunk_size=walkers)
    pairs = torch.stack([walks[:, :-1], walks[:, 1:]], -1).reshape(-1, 2)
    pairs = pairs[(pairs >= 0).all(1)].tolist()
    assert len(pairs) > 500 and all(tuple(pair) in edges for pair in pairs)


@pytest.mark.parametrize("directed", [False, True])
def test_symmetry_found_when_the_graph_does_not_say(directed, engine):
    # an unflagged graph holding every reverse edge skips the "is there a way back" lookup
    from graphseq.walks import _WalkTables

    nx_graph = nx.gnp_random_graph(40, 0.2, seed=1, directed=directed)
    graph = CSRGraph.from_networkx(nx_graph)
    unflagged = CSRGraph(graph.indptr, graph.indices, graph.num_nodes, symmetric=False)
    assert _WalkTables.build(unflagged, second_order=True).symmetric == (not directed)


def test_node2vec_test_detects_wrong_bias(karate):
    # walks with p = q = 1 do not pass as p = 0.25, q = 4: the chi-square test has power
    walks = random_walks(karate, 8, 900, seed=11)
    assert _second_order_chi2(karate, walks, 0.25, 4.0) < 1e-6


def test_weighted_node2vec_transitions_match_exact_probabilities():
    graph = nx.les_miserables_graph()  # weighted co-appearance graph
    csr = CSRGraph.from_networkx(graph, weight="weight")
    assert csr.weights is not None
    walks = random_walks(csr, 8, 350, p=0.5, q=2.0, seed=2)
    assert _second_order_chi2(csr, walks, 0.5, 2.0, min_count=150) > 1e-3


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"walk_length": 0}, ValueError, "walk_length must be an int >= 1, got 0"),
        ({"walk_length": 2.5}, TypeError, "walk_length must be an int"),
        ({"walks_per_node": 0}, ValueError, "walks_per_node must be an int >= 1"),
        ({"p": 0.0}, ValueError, "p must be a finite number > 0"),
        ({"q": -1.0}, ValueError, "q must be a finite number > 0"),
        ({"p": float("nan")}, ValueError, "p must be a finite number > 0"),
        ({"start_nodes": [0, 34]}, ValueError, "start_nodes contains node 34, out of range"),
        ({"start_nodes": [-1]}, ValueError, "start_nodes contains node -1, out of range"),
        ({"start_nodes": [0.5]}, TypeError, "start_nodes must hold integer node ids"),
        ({"start_nodes": []}, ValueError, "start_nodes is empty"),
        ({"dead_end": "jump"}, ValueError, "dead_end must be one of 'stop', 'stay'; got 'jump'"),
        ({"seed": 1.5}, TypeError, "seed must be an int, got float 1.5"),
    ],
)
def test_bad_arguments_fail_clearly(karate, kwargs, error, message):
    arguments = {"walk_length": 5, **kwargs}
    with pytest.raises(error, match=message):
        random_walks(karate, **arguments)


def test_graph_without_edges_fails_clearly():
    graph = CSRGraph.from_edge_index(torch.zeros(2, 0, dtype=torch.long), num_nodes=5)
    with pytest.raises(ValueError, match="the graph has no edges"):
        random_walks(graph, 5)


def test_all_zero_weights_fail_clearly():
    graph = CSRGraph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.zeros(2))
    with pytest.raises(ValueError, match="every edge weight of the graph is 0"):
        random_walks(graph, 5)
