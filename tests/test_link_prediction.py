"""Link prediction: leakage-free splits, heuristics against their definitions, metrics, models."""

from __future__ import annotations

import functools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components

import graphseq as gs
from graphseq.link_prediction import (
    HEURISTICS,
    EdgeScorer,
    heuristic_scores,
    link_metrics,
    sample_non_edges,
    spectral_embedding,
    split_edges,
)


def _graph(seed=0):
    return gs.make_community_graph(num_nodes=200, num_classes=4, p_in=0.1, p_out=0.01, seed=seed)


def _pair_set(edge_index, directed=False):
    pairs = edge_index.t().tolist()
    return {tuple(p) if directed else tuple(sorted(p)) for p in pairs}


@pytest.mark.parametrize("method", ["random", "connected"])
def test_no_held_out_edge_is_in_the_training_graph(method):
    data = _graph()
    split = split_edges(data, 0.1, 0.2, method=method, seed=0)
    train = _pair_set(split.train_edge_index)
    everything = _pair_set(data.edge_index)
    for name in ("val_pos", "test_pos"):
        held = _pair_set(getattr(split, name))
        assert held and not held & train, f"{name} leaks into the training graph"
        assert held <= everything
    for name in ("val_neg", "test_neg"):
        negatives = _pair_set(getattr(split, name))
        assert not negatives & everything, f"{name} holds real edges"
        assert all(u != v for u, v in negatives)
    assert not _pair_set(split.val_neg) & _pair_set(split.test_neg)
    assert split.val_pos.size(1) == split.val_neg.size(1) and split.test_pos.size(
        1
    ) == split.test_neg.size(1)
    # Both directions of every training edge, and nothing else removed.
    assert _pair_set(split.train_edge_index, directed=True) == {
        *[(u, v) for u, v in train],
        *[(v, u) for u, v in train],
    }
    assert len(train) + split.val_pos.size(1) + split.test_pos.size(1) == len(everything)


def _components(edge_index, num_nodes):
    matrix = sp.coo_matrix(
        (np.ones(edge_index.size(1)), (edge_index[0].numpy(), edge_index[1].numpy())),
        shape=(num_nodes, num_nodes),
    )
    return connected_components(matrix, directed=False)[1]


def test_connected_split_keeps_the_components_of_the_input():
    graph = nx.connected_caveman_graph(6, 8)  # 6 cliques in a ring, plus a separate path
    graph.add_edges_from([(100, 101), (101, 102)])
    data = gs.from_networkx(graph)
    split = split_edges(data, 0.1, 0.3, method="connected", seed=3)
    before = _components(data.edge_index, data.num_nodes)
    after = _components(split.train_edge_index, data.num_nodes)
    assert len(set(before)) == 2
    # The same partition of the nodes (labels may be numbered differently).
    assert len(set(zip(before.tolist(), after.tolist(), strict=True))) == len(set(before))
    assert len(set(after)) == len(set(before))
    random = split_edges(data, 0.1, 0.3, method="random", seed=3)
    assert len(set(_components(random.train_edge_index, data.num_nodes))) > 2


def test_directed_split_holds_out_ordered_pairs():
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7, 1, 3], [1, 2, 3, 4, 5, 6, 7, 0, 0, 2]])
    split = split_edges(edge_index, 0.2, 0.2, directed=True, seed=0)
    assert split.directed
    train = _pair_set(split.train_edge_index, directed=True)
    for held in (split.val_pos, split.test_pos):
        assert not _pair_set(held, directed=True) & train


def test_splits_repeat_with_the_seed_and_errors_are_clear():
    data = _graph()
    a, b, c = (split_edges(data, seed=s) for s in (0, 0, 1))
    assert torch.equal(a.test_pos, b.test_pos) and torch.equal(a.val_neg, b.val_neg)
    assert not torch.equal(a.test_pos, c.test_pos)
    with pytest.raises(ValueError, match="val \\+ test must leave training edges"):
        split_edges(data, 0.5, 0.5)
    with pytest.raises(ValueError, match="cannot sample"):
        sample_non_edges(torch.tensor([[0, 1], [1, 0]]), 2, 5)


def test_heuristics_match_their_definitions():
    graph = nx.les_miserables_graph()
    graph = nx.convert_node_labels_to_integers(graph)
    data = gs.from_networkx(graph, weight=None)
    pairs = torch.tensor([[0, 11, 25, 48, 2], [11, 23, 48, 27, 60]])
    expected = {
        "common_neighbors": [
            len(list(nx.common_neighbors(graph, u, v))) for u, v in pairs.t().tolist()
        ],
        "jaccard": [p for _, _, p in nx.jaccard_coefficient(graph, pairs.t().tolist())],
        "adamic_adar": [p for _, _, p in nx.adamic_adar_index(graph, pairs.t().tolist())],
        "resource_allocation": [
            p for _, _, p in nx.resource_allocation_index(graph, pairs.t().tolist())
        ],
        "preferential_attachment": [
            p for _, _, p in nx.preferential_attachment(graph, pairs.t().tolist())
        ],
    }
    for name in HEURISTICS:
        scores = heuristic_scores(data, pairs, name, chunk=2)  # several chunks
        np.testing.assert_allclose(scores.numpy(), expected[name], rtol=1e-9, err_msg=name)


def test_spectral_embedding_matches_scikit_learn_and_survives_many_components(monkeypatch):
    from sklearn.manifold import SpectralEmbedding

    import graphseq.link_prediction as link_prediction

    graph = nx.convert_node_labels_to_integers(nx.les_miserables_graph())  # connected
    data = gs.from_networkx(graph, weight=None)
    adjacency = sp.csr_matrix(nx.to_numpy_array(graph, weight=None))
    expected = SpectralEmbedding(8, affinity="precomputed", random_state=0).fit_transform(adjacency)
    dense = spectral_embedding(data, 8)
    assert dense.shape == (graph.number_of_nodes(), 8)
    np.testing.assert_allclose(dense.numpy(), expected, atol=1e-4)
    monkeypatch.setattr(link_prediction, "_DENSE_SPECTRAL_NODES", 0)  # scikit-learn's ARPACK
    np.testing.assert_allclose(spectral_embedding(data, 8).numpy(), expected, atol=1e-4)
    monkeypatch.undo()
    # 30 components (as many zero eigenvalues as requested vectors): finite, and the width is
    # clamped for a small graph
    pieces = gs.from_networkx(nx.disjoint_union_all([nx.path_graph(3)] * 30), weight=None)
    embedding = spectral_embedding(pieces, 16)
    assert embedding.shape == (90, 16) and torch.isfinite(embedding).all()
    assert spectral_embedding(gs.from_networkx(nx.path_graph(5)), 128).shape == (5, 3)
    with pytest.raises(ValueError, match="at least 3 nodes"):
        spectral_embedding(gs.from_networkx(nx.path_graph(2)), 4)


def test_metrics_match_scikit_learn_and_ogb_hits():
    from sklearn.metrics import average_precision_score, roc_auc_score

    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(300, generator=generator)
    labels = (torch.rand(300, generator=generator) < scores).long()
    metrics = link_metrics(scores, labels, hits_at=(10,))
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, scores))
    assert metrics["ap"] == pytest.approx(average_precision_score(labels, scores))
    negatives = scores[labels == 0]
    tenth = torch.topk(negatives, 10).values[-1]
    assert metrics["hits@10"] == pytest.approx(float((scores[labels == 1] > tenth).double().mean()))
    with pytest.raises(ValueError, match="both positive"):
        link_metrics(torch.ones(3), torch.ones(3))


@pytest.mark.parametrize("operator", ["inner", "average", "hadamard", "weighted_l1", "weighted_l2"])
def test_edge_scorer_separates_communities(operator):
    data = _graph()
    split = split_edges(data, seed=0)
    embeddings = torch.nn.functional.one_hot(torch.arange(200) % 4, 4).float()  # the community
    scorer = EdgeScorer(operator, seed=0).fit(embeddings, split)
    metrics = scorer.evaluate(embeddings, split)
    if operator in ("inner", "hadamard", "weighted_l1", "weighted_l2"):
        # The embedding carries only "same community or not", so the best any scorer can do is
        # rank same-community pairs first with ties inside each group: that AUC, computed from
        # the test pairs, is what these operators must reach (average cannot express it).
        community = torch.arange(200) % 4
        same_pos = (community[split.test_pos[0]] == community[split.test_pos[1]]).double().mean()
        same_neg = (community[split.test_neg[0]] == community[split.test_neg[1]]).double().mean()
        best = same_pos * (1 - same_neg) + 0.5 * (
            same_pos * same_neg + (1 - same_pos) * (1 - same_neg)
        )
        assert best > 0.7  # the test is only informative when the communities matter
        assert metrics["roc_auc"] == pytest.approx(float(best), abs=0.01), operator
    again = EdgeScorer(operator, seed=0).fit(embeddings, split).evaluate(embeddings, split)
    assert again == metrics


def test_gae_learns_links_through_the_trainer():
    data = _graph()
    split = split_edges(data, seed=0)
    for variational in (False, True):
        gs.seed_everything(0)
        model = gs.GAE(data.num_features, 16, 8, variational=variational)
        trainer = gs.Trainer(
            model,
            gs.LinkPredictionTask(data, split),
            optimizer=functools.partial(torch.optim.Adam, lr=0.01),
            max_epochs=60,
            progress=False,
        )
        untrained = trainer.test()["test_roc_auc"]
        trainer.fit()
        assert (
            trainer.early_stopping.monitor == "val_roc_auc" and trainer.early_stopping.mode == "max"
        )
        # This graph's edges are mostly "same community": knowing the community alone gives
        # ~0.76 AUC (see the scorer test), an untrained GAE ~0.56.
        trained = trainer.test()["test_roc_auc"]
        assert trained > 0.72 and trained > untrained + 0.1, (untrained, trained)
    with pytest.raises(TypeError, match="split must be a graphseq.link_prediction.EdgeSplit"):
        gs.LinkPredictionTask(data, {"train": data.edge_index})


def test_link_bench_command(capsys, tmp_path):
    from graphseq.cli import main

    code = main(
        ["bench", "--task", "link", "--dataset", "KarateClub", "--seeds", "2", "--models",
         "gae,adamic_adar,deepwalk", "--out", str(tmp_path), "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "### Link prediction on KarateClub (2 seeds, 85/5/10 random edge split" in out
    for model in ("gae", "adamic_adar", "deepwalk"):
        assert f"| {model} |" in out
    assert (tmp_path / "bench_link_KarateClub.json").is_file()


def test_link_benchmark_configs_build_their_rows():
    """Every committed benchmark config names known models and real recipe fields."""
    import sys
    from pathlib import Path

    benchmarks = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(benchmarks))
    try:
        import link_prediction as script
    finally:
        sys.path.remove(str(benchmarks))
    names = sorted(p.stem for p in (benchmarks / "configs" / "link_prediction").glob("*.toml"))
    assert names == sorted(script.DATASETS)
    for name in names:
        config = script.read_config(script.CONFIGS, name)
        rows = [script.link_model(m, config.get(m, {})) for m in config["models"]]
        assert rows and all(callable(row.run) for row in rows)
    with pytest.raises(SystemExit, match="unknown field"):
        script.link_model("deepwalk", {"walks": 3})


def test_link_benchmark_resumes_an_interrupted_run():
    from graphseq.cli.link_bench import run_link_benchmark

    models = ["common_neighbors", "jaccard", "adamic_adar"]
    full = run_link_benchmark("KarateClub", models, seeds=2, progress=False)
    saved = {}

    def stop_after_four(runs):
        saved.update({m: list(r) for m, r in runs.items()})
        if sum(len(r) for r in runs.values()) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_link_benchmark("KarateClub", models, seeds=2, progress=False, on_fit=stop_after_four)
    assert sum(len(r) for r in saved.values()) == 4
    fits = []
    resumed = run_link_benchmark(
        "KarateClub", models, seeds=2, progress=False, done=saved, on_fit=fits.append
    )
    assert len(fits) == 2  # only the two missing fits ran
    for model in models:
        assert resumed["models"][model]["test_roc_auc"] == full["models"][model]["test_roc_auc"]
