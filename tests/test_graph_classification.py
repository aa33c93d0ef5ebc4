"""GraphClassifier, the structure-agnostic baseline, GraphClassificationTask and k-fold CV."""

import functools

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphseq.models import GraphClassifier, StructureAgnosticBaseline
from graphseq.nn import GraphBatchNorm
from graphseq.ordering import add_node_ranks
from graphseq.train import (
    CrossValidationResult,
    EarlyStopping,
    GraphClassificationTask,
    Trainer,
    cross_validate,
    stratified_folds,
)


def adam(lr):
    return functools.partial(torch.optim.Adam, lr=lr)


def _toy_graphs(count=40, seed=0):
    """Cycles (label 0) and stars (label 1) of 4-9 nodes with constant features: only the
    structure tells them apart, so a structure-agnostic model cannot beat chance by much."""
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(count):
        n = int(torch.randint(4, 10, (1,), generator=generator))
        if i % 2 == 0:
            edges = [(j, (j + 1) % n) for j in range(n)]
        else:
            edges = [(0, j) for j in range(1, n)]
        edge_index = torch.tensor(edges).t()
        edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
        graphs.append(Data(x=torch.ones(n, 2), edge_index=edge_index, y=torch.tensor([i % 2])))
    return graphs


@pytest.mark.parametrize("readout", ["lstm", "mean", "sum", "max", "set2set"])
def test_graph_classifier_gives_logits_per_graph(readout):
    batch = Batch.from_data_list(_toy_graphs(6))
    model = GraphClassifier(2, 3, 16, 2, readout=readout)
    logits = model(batch.x, batch.edge_index, batch.batch, num_graphs=batch.num_graphs)
    assert logits.shape == (6, 3)


def test_graph_classifier_rejects_a_wrong_feature_size():
    model = GraphClassifier(5, 2, 8)
    with pytest.raises(ValueError, match="x has 2 features per node but the model was built for 5"):
        model(torch.ones(3, 2), torch.zeros(2, 0, dtype=torch.long))


def test_task_rejects_a_model_built_for_other_features_and_mixed_feature_sizes():
    graphs = _toy_graphs(4)
    task = GraphClassificationTask(graphs, {"train": [0, 1], "val": [2, 3]})
    with pytest.raises(ValueError, match="the model expects 7 node features but the graphs have 2"):
        Trainer(GraphClassifier(7, 2, 8), task, max_epochs=1, progress=False)
    graphs[3].x = torch.ones(graphs[3].num_nodes, 3)
    with pytest.raises(ValueError, match="graph 3 has 3 node features but graph 0 has 2"):
        GraphClassificationTask(graphs, {"train": [0, 1]})


def test_task_rejects_empty_graphs_and_bad_splits():
    graphs = _toy_graphs(4)
    graphs[2] = Data(
        x=torch.ones(0, 2), edge_index=torch.zeros(2, 0, dtype=torch.long), y=torch.tensor([0])
    )
    with pytest.raises(ValueError, match="graph 2 has zero nodes"):
        GraphClassificationTask(graphs, {"train": [0, 1]})
    with pytest.raises(
        ValueError, match=r"splits\['val'\] contains graph 9, out of range for 4 graphs"
    ):
        GraphClassificationTask(_toy_graphs(4), {"train": [0], "val": [9]})
    with pytest.raises(ValueError, match="splits has no 'train' entry"):
        GraphClassificationTask(_toy_graphs(4), {"val": [0]})


def test_lstm_readout_classifier_learns_structure_the_baseline_cannot():
    graphs = add_node_ranks(_toy_graphs(60), "bfs")
    splits = {"train": list(range(40)), "val": list(range(40, 60))}
    accuracies = {}
    for name, model in {
        "lstm": GraphClassifier(2, 2, 16, 2, readout="lstm", ordering="bfs", dropout=0.0),
        "baseline": StructureAgnosticBaseline(2, 2, 16, dropout=0.0),
    }.items():
        trainer = Trainer(
            model,
            GraphClassificationTask(graphs, splits, batch_size=16),
            max_epochs=40,
            seed=0,
            progress=False,
        ).fit()
        accuracies[name] = trainer.evaluate(("val",))["val_acc"]
    assert accuracies["lstm"] >= 0.95
    # Same feature sums are possible for a cycle and a star (n nodes each): no perfect baseline.
    assert accuracies["baseline"] < accuracies["lstm"]


def test_stratified_folds_partition_the_graphs_and_keep_class_balance():
    labels = torch.tensor([0] * 30 + [1] * 20)
    splits = stratified_folds(labels, 5, seed=3)
    tests = torch.cat([s["test"] for s in splits])
    assert sorted(tests.tolist()) == list(range(50))
    for split in splits:
        parts = [set(split[k].tolist()) for k in ("train", "val", "test")]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert len(parts[0] | parts[1] | parts[2]) == 50
        assert labels[split["test"]].sum() == 4  # 20 positives / 5 folds
    again = stratified_folds(labels, 5, seed=3)
    assert all(torch.equal(a["val"], b["val"]) for a, b in zip(splits, again, strict=True))
    with pytest.raises(ValueError, match="the smallest class has 20 graphs, fewer than folds=25"):
        stratified_folds(labels, 25)


def test_cross_validation_is_reproducible_and_saves_its_result(tmp_path):
    graphs = _toy_graphs(30)

    def run():
        return cross_validate(
            graphs,
            lambda: GraphClassifier(2, 2, 8, 2, readout="lstm"),
            folds=3,
            seed=1,
            batch_size=8,
            trainer_options={"max_epochs": 3},
            progress=False,
        )

    first, second = run(), run()
    assert isinstance(first, CrossValidationResult) and len(first.folds) == 3
    assert first.test_acc == second.test_acc and first.val_acc == second.val_acc
    assert first.mean == pytest.approx(sum(first.test_acc) / 3)
    assert [f.fold for f in first.folds] == [0, 1, 2] and first.folds[0].epochs == 3
    path = first.save(tmp_path / "cv.json")
    import json

    loaded = CrossValidationResult.from_dict(json.loads(path.read_text()))
    assert loaded.test_acc == first.test_acc and loaded.std == first.std


def test_cross_validation_of_the_remaining_folds_gives_the_numbers_of_one_run():
    graphs = _toy_graphs(30)
    options = dict(seed=2, batch_size=8, trainer_options={"max_epochs": 4}, progress=False)

    def build():
        return GraphClassifier(2, 2, 8, 2, readout="lstm")

    whole = cross_validate(graphs, build, folds=3, **options)
    seen = []
    labels = torch.tensor([int(g.y) for g in graphs])
    rest = stratified_folds(labels, 3, seed=2)[1:]  # as if interrupted after the first fold
    resumed = cross_validate(graphs, build, folds=rest, on_fold=seen.append, **options)
    assert [f.fold for f in resumed.folds] == [1, 2] == [f.fold for f in seen]
    assert resumed.test_acc == whole.test_acc[1:] and resumed.val_acc == whole.val_acc[1:]


def test_trainer_options_reach_every_run():
    graphs = add_node_ranks(_toy_graphs(24), "degree")
    step = functools.partial(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    options = {
        "optimizer": adam(0.05),
        "scheduler": step,
        "max_epochs": 6,
        "early_stopping": EarlyStopping("val_loss", patience=2),
    }
    result = cross_validate(
        graphs,
        lambda: GraphClassifier(2, 2, 8, 2),
        folds=3,
        trainer_options=options,
        progress=False,
    )
    assert all(f.epochs <= 6 for f in result.folds)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        cross_validate(
            graphs, lambda: GraphClassifier(2, 2, 8, 2), folds=3, progress=False,
            trainer_options={"optimizer": "adam"},
        )  # fmt: skip


def test_several_runs_per_fold_average_runs_whose_first_is_the_single_run():
    graphs = add_node_ranks(_toy_graphs(40), "degree")
    options = dict(
        folds=4, seed=1, batch_size=8, progress=False,
        trainer_options={"max_epochs": 25, "optimizer": adam(0.02)},
    )  # fmt: skip

    def build():
        return GraphClassifier(2, 2, 8, 2, readout="lstm")

    single = cross_validate(graphs, build, **options)
    built = []
    three = cross_validate(graphs, lambda: built.append(1) or build(), runs=3, **options)
    assert len(built) == 12 and three.runs == 3
    assert [f.run_test_acc[0] for f in three.folds] == single.test_acc
    assert [f.run_val_acc[0] for f in three.folds] == single.val_acc
    assert [f.run_test_acc for f in single.folds] == [[a] for a in single.test_acc]
    for fold in three.folds:
        assert len(fold.run_test_acc) == 3
        assert fold.test_acc == pytest.approx(sum(fold.run_test_acc) / 3)
    # The runs differ (own weights and holdout), so at least one fold's runs disagree.
    assert any(len(set(f.run_test_acc)) > 1 for f in three.folds)
    with pytest.raises(ValueError, match="runs must be an int >= 1, got 0"):
        cross_validate(graphs, build, runs=0, **options)


def test_each_run_draws_its_own_stratified_holdout_from_the_training_part():
    from graphseq.train.cross_validation import stratified_holdout

    labels = torch.tensor([0] * 30 + [1] * 20)
    split = stratified_folds(labels, 5, seed=0)[0]
    train_val = torch.cat([split["train"], split["val"]]).sort().values.numpy()
    again = stratified_holdout(train_val, split["test"], labels.numpy(), 0.1, 1000)
    assert torch.equal(again["test"], split["test"])
    before = set(split["train"].tolist()) | set(split["val"].tolist())
    after = set(again["train"].tolist()) | set(again["val"].tolist())
    assert before == after and not set(again["val"].tolist()) & set(again["train"].tolist())
    assert not torch.equal(again["val"], split["val"])
    assert int(labels[again["val"]].sum()) == int(labels[split["val"]].sum())


def test_baseline_is_unchanged_by_the_scale_of_the_features():
    graphs = _toy_graphs(8)
    batch = Batch.from_data_list(graphs)
    torch.manual_seed(0)
    model = StructureAgnosticBaseline(2, 2, 16, dropout=0.0)
    model.train()  # batch statistics: a feature scaled by 1000 is standardized the same way
    out = model(batch.x, batch.edge_index, batch.batch)
    scaled = model(batch.x * 1000.0, batch.edge_index, batch.batch)
    assert torch.allclose(out, scaled, atol=1e-4)
    # A training batch of a single graph (an epoch's last batch can be one) uses the running
    # statistics instead of failing.
    one = Batch.from_data_list(graphs[:1])
    single = model(one.x, one.edge_index, one.batch)
    assert single.shape == (1, 2) and bool(torch.isfinite(single).all())
    plain = StructureAgnosticBaseline(2, 2, 16, dropout=0.0, batch_norm=False)
    assert not torch.allclose(
        plain(batch.x, None, batch.batch), plain(batch.x * 1000.0, None, batch.batch)
    )


def test_readout_norm_standardizes_the_graph_vectors_entering_the_head():
    graphs = _toy_graphs(8)
    batch = Batch.from_data_list(graphs)
    torch.manual_seed(0)
    model = GraphClassifier(2, 2, 8, 2, readout="sum", readout_norm=True, dropout=0.0)
    assert isinstance(model.readout_norm, GraphBatchNorm)
    sums, seen = [], []
    model.readout.register_forward_hook(lambda module, inputs, output: sums.append(output))
    model.head.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model.train()
    model(batch.x, batch.edge_index, batch.batch)
    # The head gets each channel of the graph sums standardized over the batch (the norm's
    # weight and bias start at 1 and 0).
    mean, var = sums[0].mean(0), sums[0].var(0, unbiased=False)
    expected = (sums[0] - mean) / torch.sqrt(var + model.readout_norm.eps)
    assert torch.allclose(seen[0], expected, atol=1e-5)
    assert not torch.allclose(seen[0], sums[0])
    # A training batch of one graph uses the running statistics instead of failing.
    one = Batch.from_data_list(graphs[:1])
    assert model(one.x, one.edge_index, one.batch).shape == (1, 2)
    assert isinstance(GraphClassifier(2, 2, 8, 2, readout="sum").readout_norm, torch.nn.Identity)


def test_readout_dropout_is_separate_from_the_head_dropout():
    graph = _toy_graphs(1)[0]
    seen = []
    model = GraphClassifier(2, 2, 8, 2, readout="mean", dropout=0.5, readout_dropout=0.0)
    model.readout.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model.train()
    model(graph.x, graph.edge_index)
    assert torch.equal(seen[0], model.embed_nodes(graph.x, graph.edge_index))
    dropped = GraphClassifier(2, 2, 8, 2, readout="mean", dropout=0.0, readout_dropout=0.9)
    dropped.readout.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    dropped.train()
    dropped(graph.x, graph.edge_index)
    assert bool((seen[1] == 0).float().mean() > 0.5)
    assert GraphClassifier(2, 2, 8, 2, dropout=0.3).readout_dropout == 0.3
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="readout_dropout must be in"):
            GraphClassifier(2, 2, 8, 2, readout_dropout=bad)
    with pytest.raises(TypeError, match="readout_dropout must be a number"):
        GraphClassifier(2, 2, 8, 2, readout_dropout=True)


@pytest.mark.parametrize("jumping_knowledge", [True, False])
def test_include_input_prepends_the_input_features_to_the_read_out_embeddings(jumping_knowledge):
    torch.manual_seed(0)
    graph = _toy_graphs(1)[0]
    graph.x = torch.randn(graph.num_nodes, 2)
    plain = GraphClassifier(2, 2, 8, 3, readout="lstm", jumping_knowledge=jumping_knowledge)
    with_input = GraphClassifier(
        2, 2, 8, 3, readout="lstm", jumping_knowledge=jumping_knowledge, include_input=True
    )
    with_input.convs.load_state_dict(plain.convs.state_dict())
    plain.eval(), with_input.eval()
    embedded = with_input.embed_nodes(graph.x, graph.edge_index)
    assert embedded.shape == (graph.num_nodes, 2 + 8 * (3 if jumping_knowledge else 1))
    assert torch.equal(embedded[:, :2], graph.x)
    assert torch.equal(embedded[:, 2:], plain.embed_nodes(graph.x, graph.edge_index))
    # The readout is built for the wider input, and the whole model runs.
    assert with_input(graph.x, graph.edge_index).shape == (1, 2)


def test_graph_store_select_matches_pyg_collation():
    from graphseq.train.graph_classification import GraphStore

    graphs = add_node_ranks(_toy_graphs(12), "degree")
    ids = torch.tensor([7, 2, 11, 3])
    mine = GraphStore(graphs).select(ids)
    pyg = Batch.from_data_list([graphs[i] for i in ids.tolist()])
    for name in ("x", "edge_index", "batch", "node_rank"):
        assert torch.equal(getattr(mine, name), getattr(pyg, name)), name
    assert torch.equal(mine.y, pyg.y) and mine.num_graphs == 4
