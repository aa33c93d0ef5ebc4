"""WalkRNN and its node mini-batch task."""

import pytest
import torch

from graphseq import make_community_graph
from graphseq.models.walk_rnn import WalkRNN
from graphseq.train import Trainer
from graphseq.train.walk_node_classification import WalkNodeClassificationTask, walks_from


@pytest.fixture(scope="module")
def graph():
    # Weak features, clear communities: the walks must carry the signal.
    return make_community_graph(200, 3, p_in=0.1, p_out=0.005, feature_signal=0.3, seed=1)


def test_walks_from_gives_k_walks_starting_at_each_node(graph):
    task = WalkNodeClassificationTask(graph, walks_per_node=3, walk_length=5)
    nodes = torch.tensor([4, 9, 17])
    walks = walks_from(task.graph, nodes, 3, 5, seed=0)
    assert walks.shape == (3, 3, 5)
    assert torch.equal(walks[:, :, 0], nodes[:, None].expand(3, 3))
    assert torch.equal(walks, walks_from(task.graph, nodes, 3, 5, seed=0))


def test_training_walks_are_resampled_every_epoch_but_evaluation_walks_are_fixed(graph):
    task = WalkNodeClassificationTask(graph, walks_per_node=2, walk_length=4, batch_size=1000)
    generator = torch.Generator().manual_seed(0)
    (nodes1, walks1), (nodes2, walks2) = (
        next(task.train_batches(generator)),
        next(task.train_batches(generator)),
    )
    order1, order2 = torch.argsort(nodes1), torch.argsort(nodes2)
    assert not torch.equal(walks1[order1], walks2[order2])
    again = WalkNodeClassificationTask(graph, walks_per_node=2, walk_length=4)
    assert torch.equal(task.eval_walks["val"], again.eval_walks["val"])


@pytest.mark.parametrize("use_features", [True, False])
def test_walk_rnn_learns_communities_with_and_without_features(graph, use_features):
    torch.manual_seed(0)
    model = WalkRNN(
        graph.num_features if use_features else None,
        3,
        16,
        num_nodes=graph.num_nodes,
        dropout=0.2,
    )
    task = WalkNodeClassificationTask(
        graph, walks_per_node=4, walk_length=4, batch_size=32, use_features=use_features
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    trainer = Trainer(model, task, optimizer=optimizer, max_epochs=30, seed=0, progress=False)
    trainer.fit()
    assert trainer.test()["test_acc"] > 0.8


def test_walk_rnn_rejects_bad_input(graph):
    with pytest.raises(ValueError, match="cell must be one of .* got 'lstmm'"):
        WalkRNN(16, 3, cell="lstmm")
    with pytest.raises(ValueError, match="pass num_nodes=data.num_nodes"):
        WalkRNN(None, 3)
    model = WalkRNN(16, 3, 8)
    walks = torch.zeros(2, 3, 4, dtype=torch.long)
    with pytest.raises(
        ValueError, match=r"x must have shape \[num_nodes, in_channels=16\], got \[5, 7\]"
    ):
        model(torch.ones(5, 7), walks)
    with pytest.raises(
        ValueError, match=r"walks must have shape \[nodes, walks_per_node, walk_length\]"
    ):
        model(torch.ones(5, 16), walks[0])
    with pytest.raises(ValueError, match="walk_length must be an int >= 1, got 0"):
        WalkNodeClassificationTask(graph, walk_length=0)
