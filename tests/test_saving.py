"""Every model a user trains saves to one file and loads back to the same outputs; the
unsupervised GraphSAGE estimator embeds nodes it never saw."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from helpers import ring_batch

import graphseq as gs
from graphseq.models import GraphClassifier, SequenceClassifier, StructureAgnosticBaseline
from graphseq.models.saving import MODEL_FORMAT
from graphseq.nn import LSTMReadout

GRAPH = gs.make_community_graph(num_nodes=90, num_classes=3, num_features=6, seed=0)


BATCH = ring_batch()
WALKS = gs.random_walks(GRAPH, 4, 2, seed=0, dead_end="stay").view(2, 90, 4).transpose(0, 1)

MODULES = {
    "GCN": (lambda: gs.GCN(6, 8, 3, cached=True), lambda m: m(GRAPH.x, GRAPH.edge_index)),
    "GraphSAGE": (
        lambda: gs.GraphSAGE(6, 8, 3, aggr="lstm"),
        lambda m: m(GRAPH.x, GRAPH.edge_index),
    ),
    "GAE": (lambda: gs.GAE(6, 8, 4, variational=True), lambda m: m(GRAPH.x, GRAPH.edge_index)),
    "GraphClassifier": (
        lambda: GraphClassifier(6, 2, 8, 2, readout=lambda c: LSTMReadout(c, 5, cell="gru")),
        lambda m: m(BATCH.x, BATCH.edge_index, BATCH.batch, BATCH.num_graphs),
    ),
    "StructureAgnosticBaseline": (
        lambda: StructureAgnosticBaseline(6, 2, 8),
        lambda m: m(BATCH.x, None, BATCH.batch, BATCH.num_graphs),
    ),
    "WalkRNN": (lambda: gs.WalkRNN(None, 3, 8, num_nodes=90), lambda m: m(None, WALKS)),
    "CharRNN": (lambda: gs.CharRNN("abcdef ", 8, 2), lambda m: m(torch.tensor([[0, 3, 6, 2]]))[0]),
    "SequenceClassifier": (
        lambda: SequenceClassifier(10, 10, 8, "gru"),
        lambda m: m(torch.randint(0, 10, (4, 6), generator=torch.Generator().manual_seed(0))),
    ),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_round_trip_gives_identical_outputs(name, tmp_path):
    build, call = MODULES[name]
    torch.manual_seed(0)
    model = build()
    with torch.no_grad():  # change the weights, so defaults are not what is compared
        for parameter in model.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    model.eval()
    path = model.save(tmp_path / f"{name}.pt")
    loaded = gs.load_model(path)
    assert type(loaded) is type(model) and not loaded.training
    assert torch.equal(call(loaded), call(model))
    assert type(model).load(path).init_args.keys() == model.init_args.keys()


def test_estimators_round_trip_with_their_node_ids(tmp_path):
    graph = nx.relabel_nodes(nx.karate_club_graph(), lambda n: f"m{n}")
    model = gs.Node2Vec(0.5, 2.0, 8, 6, 3, 2, workers=1, seed=0, progress=False).fit(graph)
    loaded = gs.Node2Vec.load(model.save(tmp_path / "n2v.pt"))
    assert loaded.get_params() == model.get_params()
    assert (
        torch.equal(loaded.embeddings_, model.embeddings_) and loaded.node_ids_ == model.node_ids_
    )
    assert torch.equal(loaded.lookup(["m5"]), model.lookup(["m5"]))
    with pytest.raises(TypeError, match="holds a Node2Vec, not a UnsupervisedGraphSAGE"):
        gs.UnsupervisedGraphSAGE.load(tmp_path / "n2v.pt")


def test_a_file_of_another_format_fails_clearly(tmp_path):
    path = gs.GCN(6, 8, 3).save(tmp_path / "gcn.pt")
    record = torch.load(path, weights_only=False)
    record["graphseq_model_format"] = MODEL_FORMAT + 1
    record["graphseq_version"] = "9.9.9"
    torch.save(record, path)
    with pytest.raises(
        ValueError, match=r"saved by graphseq 9\.9\.9 in model format 2; this graphseq"
    ):
        gs.load_model(path)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="is not a saved graphseq model"):
        gs.load_model(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="no saved model"):
        gs.load_model(tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="cannot save a Linear"):
        gs.save_model(torch.nn.Linear(2, 2), tmp_path / "linear.pt")


def test_unsupervised_graphsage_embeds_held_out_nodes_near_their_neighbours(tmp_path):
    data = gs.make_community_graph(num_nodes=300, num_classes=3, num_features=16, seed=1)
    held_out = torch.zeros(300, dtype=torch.bool)
    held_out[torch.randperm(300, generator=torch.Generator().manual_seed(0))[:30]] = True
    source, target = data.edge_index
    train = data.clone()
    train.edge_index = data.edge_index[:, ~(held_out[source] | held_out[target])]
    model = gs.UnsupervisedGraphSAGE(32, 16, epochs=5, batch_size=256, seed=0, progress=False)
    model.fit(train)  # the held-out nodes are isolated here: no walk reaches them
    z = model.transform(data)  # the full graph: the held-out nodes with their edges
    assert z.shape == (300, 16)
    similarity = z @ z.t()
    for node in held_out.nonzero().flatten().tolist():
        neighbours = target[source == node]
        if neighbours.numel() == 0:
            continue
        others = torch.ones(300, dtype=torch.bool)
        others[neighbours], others[node] = False, False
        # Closer to its own neighbours than to the other nodes, on average.
        assert similarity[node, neighbours].mean() > similarity[node, others].mean()
    loaded = gs.UnsupervisedGraphSAGE.load(model.save(tmp_path / "sage.pt"))
    assert torch.equal(loaded.transform(data), z)
