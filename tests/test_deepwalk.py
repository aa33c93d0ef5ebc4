"""DeepWalk / Node2Vec estimators, skip-gram corpus, embedding files, `graphseq embed`."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from graphseq import (
    CSRGraph,
    DeepWalk,
    Node2Vec,
    as_csr,
    load_embeddings,
    make_community_graph,
    probe_split,
    save_embeddings,
)
from graphseq.models.skipgram import write_walk_corpus

SMALL = {"dimensions": 16, "walk_length": 10, "walks_per_node": 5, "window_size": 3}


@pytest.fixture(scope="module")
def communities():
    return make_community_graph(num_nodes=150, num_classes=3, p_in=0.15, p_out=0.005, seed=0)


def test_fit_returns_self_and_embeddings_rows_are_nodes(communities):
    model = DeepWalk(**SMALL, seed=0, progress=False)
    assert model.fit(communities) is model
    assert model.embeddings_.shape == (150, 16) and model.embeddings_.dtype == torch.float32
    assert bool(model.trained_mask_.all())
    assert torch.equal(model.transform([3, 5]), model.embeddings_[[3, 5]])
    assert model.get_params()["dimensions"] == 16


def test_embeddings_separate_communities(communities):
    model = DeepWalk(**SMALL, seed=0, progress=False).fit(communities)
    result = probe_split(
        model.embeddings_, communities.y, communities.train_mask, communities.test_mask
    )
    assert result["accuracy"] > 0.9  # 3 well-separated blocks: chance is 1/3


def test_same_seed_same_embeddings_with_one_worker(communities):
    a = DeepWalk(**SMALL, seed=3, workers=1, progress=False).fit(communities).embeddings_
    b = DeepWalk(**SMALL, seed=3, workers=1, progress=False).fit(communities).embeddings_
    c = DeepWalk(**SMALL, seed=4, workers=1, progress=False).fit(communities).embeddings_
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_corpus_file_mode_matches_memory_mode_quality(communities):
    memory = DeepWalk(**SMALL, seed=0, corpus="memory", progress=False).fit(communities)
    file = DeepWalk(**SMALL, seed=0, corpus="file", workers=2, progress=False).fit(communities)
    assert memory.corpus_ == "memory" and file.corpus_ == "file"
    masks = (communities.y, communities.train_mask, communities.test_mask)
    assert probe_split(file.embeddings_, *masks)["accuracy"] > 0.9


def test_negative_sampling_option(communities):
    model = DeepWalk(**SMALL, hs=False, negative=5, seed=0, progress=False).fit(communities)
    masks = (communities.y, communities.train_mask, communities.test_mask)
    assert probe_split(model.embeddings_, *masks)["accuracy"] > 0.9


def test_hs_defaults_to_on_only_without_negative_sampling(communities):
    assert DeepWalk()._validate().hs and not DeepWalk(negative=5)._validate().hs
    assert DeepWalk(negative=5, hs=True)._validate().hs  # both, when asked for
    assert DeepWalk(negative=5)._validate().gensim_model().hs == 0


def test_large_walk_sets_stream_pass_by_pass(communities, monkeypatch):
    import graphseq.models.deepwalk as deepwalk

    whole = DeepWalk(**SMALL, seed=0, progress=False)
    chunks = list(whole._walk_chunks(as_csr(communities), 1.0, 1.0, 7, 8))
    monkeypatch.setattr(deepwalk, "IN_MEMORY_SHUFFLE_MAX_TOKENS", 0)
    streamed = list(whole._walk_chunks(as_csr(communities), 1.0, 1.0, 7, 8))
    assert len(streamed) == SMALL["walks_per_node"]  # one chunk per pass of 150 walks
    for walks in (torch.cat(chunks), torch.cat(streamed)):
        assert walks.shape == (150 * 5, 10)  # every node starts walks_per_node walks
        assert torch.equal(torch.bincount(walks[:, 0], minlength=150), torch.full((150,), 5))
    for one_pass in streamed:  # each pass starts from every node once, in a shuffled order
        assert sorted(one_pass[:, 0].tolist()) == list(range(150))
        assert one_pass[:, 0].tolist() != list(range(150))
    model = DeepWalk(**SMALL, seed=0, progress=False).fit(communities)
    masks = (communities.y, communities.train_mask, communities.test_mask)
    assert probe_split(model.embeddings_, *masks)["accuracy"] > 0.9


@pytest.mark.parametrize(
    "options",
    [{"negative": 5}, {"negative": 5, "sample": 1e-3}, {"negative": 0}],
    ids=["negative", "downsampled", "hierarchical-softmax"],
)
def test_fast_vocabulary_equals_gensims(options):
    from graphseq.models.skipgram import SkipGramSettings, build_vocabulary

    settings = SkipGramSettings(dimensions=8, hs=options["negative"] == 0, **options)
    counts = np.random.default_rng(0).zipf(1.6, 3000).astype(np.int64)
    counts[::7] = 0  # nodes no walk visited are not words
    ours, gensims = settings.gensim_model(), settings.gensim_model()
    build_vocabulary(ours, counts, 100)
    present = np.flatnonzero(counts)
    gensims.build_vocab_from_freq(
        dict(zip(present.astype(str).tolist(), counts[present].tolist(), strict=True)),
        corpus_count=100,
    )
    assert ours.wv.index_to_key == gensims.wv.index_to_key
    assert ours.wv.key_to_index == gensims.wv.key_to_index
    assert ours.wv.expandos.keys() == gensims.wv.expandos.keys()
    for key, theirs in gensims.wv.expandos.items():
        mine = ours.wv.expandos[key]
        assert mine.dtype == theirs.dtype
        assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
    assert np.array_equal(ours.wv.vectors, gensims.wv.vectors)
    if options["negative"]:
        assert np.array_equal(ours.cum_table, gensims.cum_table)
    assert ours.corpus_count == gensims.corpus_count == 100


def test_isolated_node_gets_a_zero_row():
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])  # path 0-1-2, node 3 isolated
    graph = CSRGraph.from_edge_index(edge_index, num_nodes=4)
    model = DeepWalk(**SMALL, seed=0, progress=False).fit(graph)
    assert model.trained_mask_.tolist() == [True, True, True, False]
    assert torch.equal(model.embeddings_[3], torch.zeros(16))
    assert bool((model.embeddings_[:3].abs().sum(1) > 0).all())


def test_node2vec_uses_biased_walks_and_its_own_defaults(communities):
    model = Node2Vec(p=0.5, q=2.0, **SMALL, seed=0, progress=False)
    assert model.hs is False and model.negative == 5
    assert model.get_params()["p"] == 0.5 and model.get_params()["q"] == 2.0
    model.fit(communities)
    assert model.embeddings_.shape == (150, 16)
    masks = (communities.y, communities.train_mask, communities.test_mask)
    assert probe_split(model.embeddings_, *masks)["accuracy"] > 0.8  # chance: 1/3


def test_set_params_and_repr():
    model = Node2Vec(p=2.0).set_params(q=0.5, dimensions=8)
    assert model.q == 0.5 and model.dimensions == 8
    assert repr(model) == "Node2Vec(dimensions=8, p=2.0, q=0.5)"  # scikit-learn's own repr
    with pytest.raises(ValueError, match="Invalid parameter 'size' for estimator Node2Vec"):
        model.set_params(size=3)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"walk_length": 1}, "walk_length must be >= 2"),
        ({"walk_length": 0}, "walk_length must be an int >= 1, got 0"),
        ({"dimensions": 0}, "dimensions must be an int >= 1, got 0"),
        ({"hs": False, "negative": 0}, "hs=False and negative=0"),
        ({"negative": -1}, "negative must be an int >= 0"),
        ({"alpha": 0.0}, "alpha must be a finite number > 0"),
        ({"corpus": "disk"}, "corpus must be one of 'auto', 'file', 'memory'; got 'disk'"),
    ],
)
def test_bad_parameters_fail_clearly(communities, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepWalk(**{**SMALL, **kwargs}, progress=False).fit(communities)


def test_node2vec_bad_p_q_fail_clearly(communities):
    with pytest.raises(ValueError, match="p must be a finite number > 0"):
        Node2Vec(p=0.0, **SMALL, progress=False).fit(communities)
    with pytest.raises(ValueError, match="q must be a finite number > 0"):
        Node2Vec(q=-2.0, **SMALL, progress=False).fit(communities)


def test_graph_without_edges_fails_clearly():
    graph = CSRGraph.from_edge_index(torch.zeros(2, 0, dtype=torch.long), num_nodes=4)
    with pytest.raises(ValueError, match="the graph has no edges"):
        DeepWalk(**SMALL, progress=False).fit(graph)


def test_unfitted_model_says_so():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        DeepWalk().get_embedding()


# ------------------------------------------------------------------------ corpus file
def test_corpus_file_lines_are_the_walks(tmp_path):
    walks = torch.tensor([[3, 10, 3, -1], [7, -1, -1, -1], [0, 1, 2, 12]])
    info = write_walk_corpus([walks], tmp_path / "c.txt", num_nodes=13)
    assert (tmp_path / "c.txt").read_text() == "3 10 3\n0 1 2 12\n"  # 1-node walk dropped
    assert info["tokens"] == 7 and info["walks"] == 2
    assert info["counts"][3] == 2 and info["counts"][7] == 0 and info["counts"][12] == 1


@pytest.mark.parametrize("num_nodes", [11, 10**7 + 5], ids=["short-ids", "8-digit-ids"])
def test_corpus_file_text_for_any_id_width(tmp_path, num_nodes):
    # ids of 8+ digits no longer fit one 8-byte token word: the wider path must match too
    generator = torch.Generator().manual_seed(0)
    walks = torch.randint(0, num_nodes, (20, 7), generator=generator)
    walks[[2, 5]] = torch.tensor([num_nodes - 1, 0, 9, -1, -1, -1, -1])
    write_walk_corpus([walks], tmp_path / "c.txt", num_nodes=num_nodes)
    expected = "".join(" ".join(str(int(v)) for v in row if v >= 0) + "\n" for row in walks)
    assert (tmp_path / "c.txt").read_text() == expected


# ------------------------------------------------------------------------ embedding files
@pytest.mark.parametrize("suffix", [".emb", ".npy", ".pt"])
def test_save_load_roundtrip(tmp_path, suffix):
    embeddings = torch.randn(5, 3)
    save_embeddings(embeddings, tmp_path / f"e{suffix}")
    loaded = load_embeddings(tmp_path / f"e{suffix}")
    assert torch.allclose(loaded, embeddings, atol=1e-6)


def test_word2vec_file_is_readable_by_gensim_and_rows_follow_ids(tmp_path):
    from gensim.models import KeyedVectors

    embeddings = torch.randn(4, 3)
    save_embeddings(embeddings, tmp_path / "e.emb")
    vectors = KeyedVectors.load_word2vec_format(str(tmp_path / "e.emb"), binary=False)
    assert np.allclose(vectors["2"], embeddings[2].numpy(), atol=1e-6)
    # a file in another order with a node missing (as other tools write) lands by id
    (tmp_path / "other.emb").write_text("2 2\n3 1.0 2.0\n0 5.0 6.0\n")
    loaded = load_embeddings(tmp_path / "other.emb", num_nodes=4)
    assert loaded.tolist() == [[5.0, 6.0], [0.0, 0.0], [0.0, 0.0], [1.0, 2.0]]


def test_load_rejects_a_file_without_header(tmp_path):
    (tmp_path / "bad.emb").write_text("0 1.0 2.0\n")
    with pytest.raises(
        ValueError, match=r"bad.emb is not a word2vec text file \('<count> <dimensions>'"
    ):
        load_embeddings(tmp_path / "bad.emb")


def test_estimator_saves_its_embeddings(tmp_path):
    graph = CSRGraph.from_networkx(nx.karate_club_graph(), weight=None)
    model = DeepWalk(**SMALL, seed=0, progress=False).fit(graph)
    model.save_embeddings(tmp_path / "karate.npy")
    assert torch.equal(load_embeddings(tmp_path / "karate.npy"), model.embeddings_)


# ------------------------------------------------------------------------ command line
def test_cli_embed_writes_embeddings(tmp_path, capsys):
    from graphseq.cli import main

    out = tmp_path / "karate.emb"
    code = main(
        ["embed", "node2vec", "--dataset", "KarateClub", "--p", "0.5", "--q", "2",
         "--dimensions", "8", "--walks-per-node", "4", "--walk-length", "8",
         "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    assert load_embeddings(out).shape == (34, 8)
    assert "node2vec: 34 nodes x 8 dimensions" in capsys.readouterr().out


# ------------------------------------------------------------------------ bench and real data
def test_bench_registers_deepwalk_with_published_numbers():
    from graphseq.cli import build_parser
    from graphseq.cli.bench import BENCH_MODELS

    entry = BENCH_MODELS["deepwalk"]
    assert entry.published == {"Cora": 67.2, "CiteSeer": 43.2, "PubMed": 65.3}
    assert "Kipf & Welling 2017" in entry.source
    assert build_parser().parse_args(["bench", "--models", "deepwalk"]).models == "deepwalk"


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    import os
    from pathlib import Path

    root = os.environ.get("GRAPHSEQ_DATA")
    if not root or not (Path(root) / "Planetoid" / "Cora").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("GRAPHSEQ_DATA must point at the shared data in CI")
        pytest.skip("real data not available (set GRAPHSEQ_DATA)")
    monkeypatch.setenv("GRAPHSEQ_CACHE", str(tmp_path / "cache"))
    return root


def test_cora_deepwalk_beats_chance_by_far(data_dir):
    from graphseq import load_dataset

    data = load_dataset("Cora", data_dir)
    model = DeepWalk(
        dimensions=32, walk_length=20, walks_per_node=5, window_size=5, seed=0, progress=False
    ).fit(data)
    result = probe_split(model.embeddings_, data.y, data.train_mask, data.test_mask)
    assert result["accuracy"] > 0.55  # 7 classes; the full settings reach ~0.69


# scikit-learn's estimator checks that do not feed the estimator a feature matrix X: DeepWalk and
# node2vec take a graph, so the array-based checks (check_estimator's fit(X, y) on random
# arrays: dtypes, NaN/inf, sample weights, n_features_in_, pandas output, ...) do not apply.
# Their graph equivalents (fit returns self, repeatable fit, unfitted error, pickle, parameters
# left untouched by fit) are checked below with a graph.
SKLEARN_CHECKS = (
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
)


@pytest.mark.parametrize("check", SKLEARN_CHECKS)
@pytest.mark.parametrize("estimator", [DeepWalk, Node2Vec])
def test_scikit_learn_estimator_checks(estimator, check):
    import inspect

    from sklearn.utils import estimator_checks

    function = getattr(estimator_checks, check)
    arguments = list(inspect.signature(function).parameters)
    instance = estimator(**SMALL, seed=0)
    if arguments[:2] == ["name", "estimator_orig"] or arguments[:2] == ["name", "estimator"]:
        function(estimator.__name__, instance)
    elif check == "check_valid_tag_types":
        from sklearn.utils import get_tags

        function(estimator.__name__, get_tags(instance))
    else:
        function(estimator.__name__, instance)


def test_graph_versions_of_the_array_checks(communities):
    import pickle

    from sklearn.base import clone
    from sklearn.utils.validation import check_is_fitted

    model = DeepWalk(**SMALL, seed=0, workers=1, progress=False)
    before = model.get_params()
    with pytest.raises(RuntimeError, match="not fitted yet"):
        model.get_embedding()
    assert model.fit(communities) is model  # fit returns self
    assert model.get_params() == before  # fit changes no parameter
    check_is_fitted(model)
    again = clone(model).fit(communities)  # fit is repeatable with the seed
    assert torch.equal(again.embeddings_, model.embeddings_)
    restored = pickle.loads(pickle.dumps(model))
    assert torch.equal(restored.embeddings_, model.embeddings_)
