"""Every random component a user can call: the same seed gives the same output, another seed a
different one (so the comparison can fail)."""

from __future__ import annotations

import functools

import pytest
import torch
from torch_geometric.data import Data

import graphseq as gs
from graphseq.models import GraphClassifier, SequenceClassifier
from graphseq.sampling import sample_negatives
from graphseq.sequences import CharVocabulary, palindrome_batch
from graphseq.train import (
    GraphClassificationTask,
    LanguageModelTask,
    SequenceClassificationTask,
)

GRAPH = gs.make_community_graph(num_nodes=90, num_classes=3, num_features=6, seed=0)


def _toy_graphs(count=24):
    """Stars (label 0) and cycles (label 1), constant features."""
    graphs = []
    for i in range(count):
        n = 4 + i % 5
        pairs = [(j, (j + 1) % n) for j in range(n)] if i % 2 else [(0, j) for j in range(1, n)]
        edge_index = torch.tensor(pairs).t()
        edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
        graphs.append(Data(x=torch.ones(n, 2), edge_index=edge_index, y=torch.tensor([i % 2])))
    return graphs


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _train(build_model, build_task, seed, epochs=3):
    gs.seed_everything(seed)
    model = build_model()
    trainer = gs.Trainer(
        model,
        build_task(),
        optimizer=functools.partial(torch.optim.Adam, lr=0.01),
        max_epochs=epochs,
        seed=seed,
        progress=False,
    ).fit()
    return _params(model), [r["loss"] for r in trainer.history_]


def _text_task():
    text = "the cat sat on the mat. the dog sat on the log. " * 20
    return LanguageModelTask.from_text(text, seq_len=10, batch_size=4, steps_per_epoch=5)


def _streamed_deepwalk(seed):
    """DeepWalk's path for walk sets too large to shuffle in memory (pass-wise streaming)."""
    import graphseq.models.deepwalk as deepwalk

    limit = deepwalk.IN_MEMORY_SHUFFLE_MAX_TOKENS
    deepwalk.IN_MEMORY_SHUFFLE_MAX_TOKENS = 0
    try:
        return gs.DeepWalk(8, 6, 2, 2, workers=1, seed=seed, progress=False).fit(GRAPH).embeddings_
    finally:
        deepwalk.IN_MEMORY_SHUFFLE_MAX_TOKENS = limit


# name -> function(seed) returning tensors (or lists) that must repeat for a repeated seed.
COMPONENTS = {
    "random_walks": lambda seed: gs.random_walks(GRAPH, 6, 2, seed=seed),
    "node2vec_walks": lambda seed: gs.random_walks(GRAPH, 6, 2, p=0.5, q=2.0, seed=seed),
    "iter_random_walks": lambda seed: torch.cat(
        list(gs.iter_random_walks(GRAPH, 5, 3, seed=seed, chunk_size=64))
    ),
    "sampler": lambda seed: (
        gs.NeighborSampler(GRAPH, [4, 3], seed=seed).sample(torch.arange(10)).n_id
    ),
    "sampler_batches": lambda seed: torch.cat(
        [
            b.n_id
            for b in gs.NeighborSampler(GRAPH, [3], replace=False).batches(
                torch.arange(40), 16, generator=torch.Generator().manual_seed(seed)
            )
        ]
    ),
    "negative_sampling": lambda seed: sample_negatives(
        torch.full((90,), 1 / 90), (30, 5), torch.Generator().manual_seed(seed)
    ),
    "random_walk_ordering": lambda seed: gs.node_ranks(
        GRAPH.edge_index, None, 90, "random_walk", seed=seed
    ),
    "community_graph": lambda seed: gs.make_community_graph(90, seed=seed).edge_index,
    "palindromes": lambda seed: palindrome_batch(20, 7, seed=seed)[0],
    "node_classification": lambda seed: _train(
        lambda: gs.GCN(6, 8, 3), lambda: gs.NodeClassificationTask(GRAPH), seed
    ),
    "sampled_node_classification": lambda seed: _train(
        lambda: gs.GraphSAGE(6, 8, 3),
        lambda: gs.SampledNodeClassificationTask(GRAPH, [4, 4], batch_size=16),
        seed,
    ),
    "unsupervised_sage_full_graph": lambda seed: _train(
        lambda: gs.GraphSAGE(6, 8, 4, dropout=0.0),
        lambda: gs.UnsupervisedSAGETask(GRAPH, batch_size=128, seed=seed),
        seed,
    ),
    "unsupervised_sage_sampled": lambda seed: _train(
        lambda: gs.GraphSAGE(6, 8, 4, dropout=0.0),
        lambda: gs.UnsupervisedSAGETask(GRAPH, batch_size=128, fanouts=[5, 5], seed=seed),
        seed,
    ),
    "lstm_aggregator": lambda seed: _train(
        lambda: gs.GraphSAGE(6, 8, 3, aggr="lstm"), lambda: gs.NodeClassificationTask(GRAPH), seed
    ),
    "walk_node_classification": lambda seed: _train(
        lambda: gs.WalkRNN(6, 3, 8),
        lambda: gs.WalkNodeClassificationTask(GRAPH, walks_per_node=2, walk_length=3),
        seed,
    ),
    "graph_classification": lambda seed: _train(
        lambda: GraphClassifier(2, 2, 8, 2, readout="lstm"),
        lambda: GraphClassificationTask(_toy_graphs(), {"train": list(range(16))}, batch_size=8),
        seed,
    ),
    "sequence_classification": lambda seed: _train(
        lambda: SequenceClassifier(10, 10, 8),
        lambda: SequenceClassificationTask({"train": palindrome_batch(64, 5, seed=0)}),
        seed,
    ),
    "language_model": lambda seed: _train(
        lambda: gs.CharRNN(CharVocabulary.from_text("the cat sat on mat. dog log"), 8, 1),
        _text_task,
        seed,
    ),
    "cross_validate": lambda seed: gs.cross_validate(
        _toy_graphs(40),
        lambda: GraphClassifier(2, 2, 8, 2, readout="lstm"),
        folds=2,
        seed=seed,
        runs=2,
        trainer_options={
            "max_epochs": 6,
            "optimizer": functools.partial(torch.optim.Adam, lr=0.05),
        },
        progress=False,
    ).to_dict()["folds"],
    "deepwalk": lambda seed: (
        gs.DeepWalk(8, 6, 2, 2, workers=1, seed=seed, progress=False).fit(GRAPH).embeddings_
    ),
    "deepwalk_streamed": lambda seed: _streamed_deepwalk(seed),
    "node2vec": lambda seed: (
        gs.Node2Vec(0.5, 2.0, 8, 6, 2, 2, workers=1, seed=seed, progress=False)
        .fit(GRAPH)
        .embeddings_
    ),
}


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def _without_timings(value):
    """Fold results carry wall-clock seconds and epoch times: not part of what repeats."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{k: v for k, v in d.items() if k not in ("seconds", "epoch_time")} for d in value]
    return value


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_same_seed_same_output_other_seed_other_output(name):
    run = COMPONENTS[name]
    first, again, other = (_without_timings(run(seed)) for seed in (0, 0, 1))
    assert _equal(first, again), f"{name}: two runs with seed 0 differ"
    assert not _equal(first, other), f"{name}: seeds 0 and 1 gave the same output"
