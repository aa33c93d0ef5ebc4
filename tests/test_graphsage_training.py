"""GraphSAGE through the common Trainer: full-batch, sampled mini-batches, unsupervised, inductive."""

from __future__ import annotations

import pytest
import torch

from graphseq import GraphSAGE, Trainer, make_community_graph, seed_everything
from graphseq.evaluation import probe_split
from graphseq.train import NodeClassificationTask, SampledNodeClassificationTask
from graphseq.train.unsupervised import UnsupervisedSAGETask, negative_sampling_loss


@pytest.fixture()
def data():
    return make_community_graph(num_nodes=150, num_features=10, feature_signal=0.7, seed=0)


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("aggregator", ["mean", "gcn", "pool", "lstm"])
def test_full_batch_learns_the_communities(data, aggregator):
    seed_everything(0)
    model = GraphSAGE(10, 16, 3, aggr=aggregator, cached=True)
    trainer = Trainer(model, NodeClassificationTask(data), max_epochs=40, progress=False).fit()
    assert trainer.test()["test_acc"] > 0.8


def test_sampled_training_learns_and_is_reproducible(data):
    runs = []
    for _ in range(2):
        seed_everything(0)
        model = GraphSAGE(10, 16, 3, aggr="mean")
        task = SampledNodeClassificationTask(data, [5, 5], batch_size=16)
        trainer = Trainer(model, task, max_epochs=15, seed=0, progress=False).fit()
        runs.append((trainer, model))
    assert runs[0][0].test()["test_acc"] > 0.8
    assert torch.equal(_params(runs[0][1]), _params(runs[1][1]))
    # 60 training nodes in batches of 16: 4 optimizer steps per epoch.
    assert len(runs[0][0].history_) == 15


def test_sampled_task_without_features_uses_learned_node_embeddings(data):
    data = data.clone()
    data.num_nodes = data.x.size(0)
    data.x = None
    model = GraphSAGE(8, 16, 3, num_nodes=data.num_nodes)
    task = SampledNodeClassificationTask(data, [4, 4], batch_size=32)
    trainer = Trainer(model, task, max_epochs=2, progress=False).fit()
    assert set(trainer.test()) >= {"test_acc", "test_micro_f1"}


def test_sampled_inductive_never_samples_test_nodes(data):
    source, target = data.edge_index
    keep = ~(data.test_mask[source] | data.test_mask[target])
    task = SampledNodeClassificationTask(
        data, [5, 5], batch_size=16, train_edge_index=data.edge_index[:, keep]
    )
    for batch in task.train_batches(torch.Generator().manual_seed(0)):
        assert not bool(data.test_mask[batch.n_id].any())


def test_sampled_recipes_draw_max_and_sum_neighbours_without_replacement(data, monkeypatch):
    # A max over draws with replacement misses neighbours in training that the full-graph
    # evaluation sees (Cora, pool: 73.6 against 80.1), so max-like and sum aggregators sample
    # without unless told; mean keeps the paper's draw with replacement.
    import graphseq.train
    from graphseq.recipes import GraphSAGERecipe, SampledGraphSAGERecipe, sample_with_replacement

    seen = []

    class Recording(SampledNodeClassificationTask):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs["replace"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(graphseq.train, "SampledNodeClassificationTask", Recording)
    GraphSAGERecipe.for_aggregator("pool", fanouts=(3, 3)).train(data, 0, max_epochs=1)
    GraphSAGERecipe(fanouts=(3, 3)).train(data, 0, max_epochs=1)
    GraphSAGERecipe(aggr="pool", fanouts=(3, 3), replace=True).train(data, 0, max_epochs=1)
    SampledGraphSAGERecipe(aggr="max", fanouts=(3, 3), epochs=1).build(data, 0)
    SampledGraphSAGERecipe(fanouts=(3, 3), epochs=1).build(data, 0)
    assert seen == [False, True, True, False, True]
    assert [sample_with_replacement(a) for a in ("mean", "gcn", "lstm", "pool", "max", "sum")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip


def test_sampled_task_rejects_bad_batch_size(data):
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        SampledNodeClassificationTask(data, [5], batch_size=0)


def test_negative_sampling_loss_matches_formula():
    z_u, z_v, z_n = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 2, 3)
    sig = torch.sigmoid
    expected = -torch.log(sig((z_u * z_v).sum(1)))
    expected = expected - 2 * torch.log(sig(-(z_u[:, None] * z_n).sum(2))).mean(1)
    torch.testing.assert_close(negative_sampling_loss(z_u, z_v, z_n), expected.mean())


@pytest.mark.parametrize("fanouts", [None, [5, 5]])
def test_unsupervised_embeddings_separate_communities(data, fanouts):
    seed_everything(0)
    model = GraphSAGE(10, 32, 16, aggr="mean", dropout=0.0)
    task = UnsupervisedSAGETask(data, batch_size=256, fanouts=fanouts, seed=0)
    trainer = Trainer(model, task, max_epochs=5, seed=0, progress=False).fit()
    losses = [r["train_loss"] for r in trainer.history_]
    assert losses[-1] < losses[0]
    z = task.embed(model)
    assert z.shape == (150, 16)
    probe = probe_split(z, data.y, data.train_mask, data.test_mask)
    assert probe["accuracy"] > 0.8


def test_unsupervised_inductive_walks_avoid_held_out_nodes(data):
    source, target = data.edge_index
    keep = ~(data.test_mask[source] | data.test_mask[target])
    task = UnsupervisedSAGETask(
        data, train_edge_index=data.edge_index[:, keep], splits={"train": ~data.test_mask}, seed=0
    )
    batch = next(iter(task.train_batches(torch.Generator().manual_seed(0))))
    assert not bool(data.test_mask[batch["nodes"]].any())


def test_unsupervised_task_rejects_bad_arguments(data):
    with pytest.raises(ValueError, match="num_negatives must be an int >= 1, got 0"):
        UnsupervisedSAGETask(data, num_negatives=0)
    with pytest.raises(ValueError, match="walk_length must be an int >= 2"):
        UnsupervisedSAGETask(data, walk_length=1)
    with pytest.raises(ValueError, match="has one split, the nodes walks start from"):
        UnsupervisedSAGETask(data, splits={"train": data.train_mask, "val": data.val_mask})


def test_bench_registry_has_graphsage_rows(data):
    from graphseq.cli.bench import BENCH_MODELS

    for aggregator in ("mean", "gcn", "pool", "lstm"):
        entry = BENCH_MODELS[f"sage-{aggregator}"]
        assert entry.published == {}  # no Planetoid-split numbers in Hamilton et al. 2017
    result = BENCH_MODELS["sage-mean"].run(data, 0, max_epochs=5)
    assert 0.0 <= result["test_acc"] <= 1.0 and result["epochs"] == 5
