"""Distributed training, cross-validation and walks on 2 local ranks (gloo), checked against one
process.

The ranks run tests/distributed_workers.py. One launch (the ``ranks`` fixture) trains every task
and exercises the collectives; the fault test launches twice (a rank dies, then the run
resumes); the command-line test goes through torchrun itself.
"""

from __future__ import annotations

import math
import time

import distributed_workers as workers
import numpy as np
import pytest
import torch

from graphseq import distributed as gd
from graphseq.train import cross_validate
from graphseq.train.sharding import epoch_shares, step_batches
from graphseq.walk_shards import (
    iter_walk_shards,
    read_manifest,
    train_skipgram_on_shards,
    write_walk_shards,
)

WORLD = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each of 2 ranks saved in the ``tasks`` scenario, and its output directory."""
    out = tmp_path_factory.mktemp("ranks")
    for process in workers.launch("tasks", out, WORLD):
        assert process.returncode == 0, process.stderr[-4000:]
    return [torch.load(out / f"tasks-{r}.pt", weights_only=False) for r in range(WORLD)], out


def union_reference(build, epochs: int = workers.EPOCHS, world_size: int = WORLD) -> dict:
    """One process trained on the union of the ranks' batches: per step, every rank's batch
    (sampled with that rank's share seed) and the loss ``sum_r weight_r * loss_r / K`` -- the
    mean over the step's items, what DDP's averaged gradients amount to."""
    from graphseq.seed import seed_everything

    model, task = build()
    task.setup(model, torch.device("cpu"))
    optimizer = workers.adam(model.parameters())
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        for step in step_batches(task, generator, world_size):
            optimizer.zero_grad()
            loss = sum(share.weight * task.training_step(model, batch) for batch, share in step)
            (loss / world_size).backward()
            optimizer.step()
    return workers.parameters(model)


def assert_same_parameters(left: dict, right: dict, atol: float = 1e-6) -> None:
    assert left.keys() == right.keys()
    for name in left:
        torch.testing.assert_close(left[name], right[name], atol=atol, rtol=0, msg=name)


# ---------------------------------------------------------------------------- sharding
def test_epoch_shares_are_disjoint_cover_the_epoch_and_weigh_uneven_steps():
    items = torch.arange(100, 175)  # 75 items, 2 ranks x 16: 2 full steps, then 6 + 5
    shares = [list(epoch_shares(items, 16, torch.Generator().manual_seed(3), r, 2)) for r in (0, 1)]
    assert [len(s) for s in shares] == [3, 3]
    union = torch.cat([s.items for rank in shares for s in rank])
    assert sorted(union.tolist()) == items.tolist()
    assert [s.size for s in shares[0]] == [16, 16, 6] and [s.size for s in shares[1]][-1] == 5
    assert [s.weight for s in shares[0]] == [1.0, 1.0, 2 * 6 / 11]
    assert shares[0][-1].weight + shares[1][-1].weight == 2.0
    # Every rank's generator moves on alike; seeds differ per (step, rank).
    seeds = {s.seed for rank in shares for s in rank}
    assert len(seeds) == 6
    # Fewer leftover items than ranks sit the epoch out; one rank keeps every item.
    assert sum(s.size for s in epoch_shares(33, 16, torch.Generator(), 0, 2)) == 16
    assert sum(s.size for s in epoch_shares(33, 16, torch.Generator(), 0, 1)) == 33


def test_collectives_without_a_process_group_are_the_identity():
    assert not gd.is_initialized() and gd.get_rank() == 0 and gd.get_world_size() == 1
    assert gd.weighted_mean(6.0, 3) == 2.0 and math.isnan(gd.weighted_mean(0.0, 0))
    assert gd.all_reduce_sums([1.0, 2.0]).tolist() == [1.0, 2.0]
    assert gd.all_gather_objects("a") == ["a"] and gd.broadcast_object(3) == 3
    assert gd.main_process_only(lambda: "ran")() == "ran"


def test_init_distributed_outside_torchrun_says_how_to_launch(monkeypatch):
    for name in gd.TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun --nproc-per-node K"):
        gd.init_distributed()
    from graphseq.train import LanguageModelTask, Trainer

    assert not gd.wants_distributed()
    for name, value in zip(gd.TORCHRUN_VARIABLES, ("0", "2", "127.0.0.1", "29512"), strict=True):
        monkeypatch.setenv(name, value)  # as torchrun would: a Trainer made now is distributed
    assert gd.wants_distributed()
    with gd.single_process():
        assert not gd.wants_distributed()
    assert gd.wants_distributed()
    task = LanguageModelTask.__new__(LanguageModelTask)  # no rank_batches: refused up front
    with pytest.raises(TypeError, match="LanguageModelTask does not split its epochs"):
        Trainer(torch.nn.Linear(1, 1), task)


# ---------------------------------------------------------------------------- 2 ranks
def test_sampled_graphsage_on_two_ranks_equals_one_process_on_the_union(ranks):
    results, _ = ranks
    assert_same_parameters(results[0]["tasks"]["sampled_sage"]["parameters"],
                           results[1]["tasks"]["sampled_sage"]["parameters"], atol=0)  # fmt: skip
    reference = union_reference(workers.sampled_sage)
    assert_same_parameters(results[0]["tasks"]["sampled_sage"]["parameters"], reference)


@pytest.mark.parametrize("name", ["unsupervised_sage", "graph_classification", "walk_rnn"])
def test_every_distributed_task_equals_one_process_on_the_union(ranks, name):
    results, _ = ranks
    assert_same_parameters(
        results[0]["tasks"][name]["parameters"], results[1]["tasks"][name]["parameters"], atol=0
    )
    assert_same_parameters(results[0]["tasks"][name]["parameters"],
                           union_reference(workers.TASKS[name]))  # fmt: skip


def test_ranks_share_one_history_and_a_rerun_repeats(ranks):
    results, _ = ranks
    for name in workers.TASKS:
        histories = [r["tasks"][name]["history"] for r in results]
        assert len(histories[0]) == workers.EPOCHS
        strip = lambda h: [{k: v for k, v in e.items() if k != "time"} for e in h]  # noqa: E731
        assert strip(histories[0]) == strip(histories[1])
        assert all(math.isfinite(e["loss"]) for e in histories[0])
    assert "val_loss" in results[0]["tasks"]["sampled_sage"]["history"][0]
    assert_same_parameters(
        results[0]["rerun"], results[0]["tasks"]["sampled_sage"]["parameters"], atol=0
    )


def test_metrics_are_reduced_as_weighted_means_and_broadcast_from_rank_0(ranks):
    results, _ = ranks
    for result in results:
        # rank 0: one item of 10; rank 1: two items of 20 each -> (10 + 40) / 3, not 15.
        assert result["weighted_mean"] == pytest.approx(50 / 3)
        assert result["sums"] == [2.0, 1.0]
        assert result["gathered"] == [{"rank": 0}, {"rank": 1}]
        assert result["broadcast"] == "from 0"
    assert results[0]["evaluate"] == results[1]["evaluate"]
    assert set(results[0]["evaluate"]) >= {"val_loss", "val_acc"}


def test_only_rank_0_writes_the_checkpoint_and_main_process_callbacks(ranks):
    results, out = ranks
    written = sorted(p.name for p in (out / "writes").iterdir())
    assert written == ["checkpoint.pt", "epoch1-rank0.txt", "epoch2-rank0.txt"]
    state = torch.load(out / "writes" / "checkpoint.pt", weights_only=False)
    assert state["epoch"] == workers.EPOCHS and state["distributed"]["world_size"] == WORLD
    assert len(state["distributed"]["rng"]) == WORLD


def test_cross_validation_over_two_ranks_equals_one_process(ranks):
    results, _ = ranks
    from graphseq import GraphClassifier

    single = cross_validate(
        workers.toy_graphs(24),
        lambda: GraphClassifier(2, 2, 8, 2, readout="lstm"),
        folds=3, seed=1, batch_size=8, trainer_options={"max_epochs": 3}, progress=False,
    )  # fmt: skip
    keys = ("fold", "test_acc", "val_acc", "epochs", "best_epoch")
    expected = [[f[k] for k in keys] for f in single.to_dict()["folds"]]
    for result in results:  # every rank returns all folds, in fold order
        assert [[f[k] for k in keys] for f in result["cross_validation"]["folds"]] == expected


def test_a_dead_rank_stops_the_other_and_the_run_resumes_from_the_checkpoint(tmp_path):
    # 75 training nodes in steps of 2 x 16: 3 steps per epoch; rank 1 dies in epoch 3's 2nd.
    died = workers.launch("fault", tmp_path, WORLD, epochs=4, die_at_step=8)
    ended = time.time()
    assert died[1].returncode != 0 and died[0].returncode == 0, died[0].stderr[-3000:]
    survivor = torch.load(tmp_path / "fault-0.pt", weights_only=False)
    assert survivor["error"].startswith("DistributedError: rank 0 of 2: lost another rank")
    assert "fit(resume=True)" in survivor["error"]
    death = float((tmp_path / "died").read_text())
    assert survivor["time"] - death < 60 and ended - death < 60
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert state["epoch"] == 2
    (tmp_path / "died").unlink()
    resumed = workers.launch("fault", tmp_path, WORLD, epochs=4, resume=True)
    assert all(p.returncode == 0 for p in resumed), resumed[0].stderr[-3000:]
    result = torch.load(tmp_path / "fault-0.pt", weights_only=False)
    assert result["epochs"] == 4
    # The interrupted and resumed run ends where an uninterrupted one does.
    assert_same_parameters(result["parameters"], union_reference(workers.sampled_sage, 4))


# ---------------------------------------------------------------------------- walks
def _walk_multiset(directory) -> list:
    walks = torch.cat(list(iter_walk_shards(directory)))
    return sorted(map(tuple, walks.tolist()))


def test_walk_shards_of_two_ranks_of_a_process_group_equal_one_writers(ranks, tmp_path):
    _, out = ranks
    assert read_manifest(out / "shards")["world_size"] == WORLD
    write_walk_shards(workers.walk_graph(), tmp_path, rank=0, world_size=1, **workers.WALK_OPTIONS)
    assert torch.equal(torch.cat(list(iter_walk_shards(tmp_path))),
                       torch.cat(list(iter_walk_shards(out / "shards"))))  # fmt: skip


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.5, 2.0)])
def test_walk_shards_of_one_and_of_two_ranks_hold_the_same_walks(tmp_path, p, q):
    from graphseq import make_community_graph

    data = make_community_graph(150, 3, seed=3)
    options = dict(walk_length=6, walks_per_node=3, p=p, q=q, seed=5, nodes_per_chunk=16)
    write_walk_shards(data, tmp_path / "one", rank=0, world_size=1, **options)
    for rank in range(WORLD):
        paths = write_walk_shards(data, tmp_path / "two", rank=rank, world_size=WORLD, **options)
    assert [p.name for p in paths] == ["walks-00000-of-00002.npy", "walks-00001-of-00002.npy"]
    one = torch.cat(list(iter_walk_shards(tmp_path / "one")))
    two = torch.cat(list(iter_walk_shards(tmp_path / "two")))
    assert one.shape == (450, 6) and torch.equal(one, two)  # canonical order: chunk order
    assert _walk_multiset(tmp_path / "one") == _walk_multiset(tmp_path / "two")
    shard_order = torch.cat(list(iter_walk_shards(tmp_path / "two", canonical=False)))
    files = np.concatenate([np.load(p) for p in paths])
    assert torch.equal(shard_order, torch.from_numpy(files).long())
    assert not torch.equal(shard_order, one)  # shard order interleaves the chunks
    # Another seed gives other walks.
    write_walk_shards(data, tmp_path / "other", rank=0, world_size=1, **{**options, "seed": 6})
    assert _walk_multiset(tmp_path / "other") != _walk_multiset(tmp_path / "one")


def test_walk_shards_report_missing_shards_and_train_skipgram(tmp_path):
    from graphseq import make_community_graph

    data = make_community_graph(150, 3, seed=3)
    write_walk_shards(data, tmp_path, walk_length=8, walks_per_node=4, rank=0, world_size=2)
    with pytest.raises(FileNotFoundError, match="lacks 1 of its 2 shards"):
        read_manifest(tmp_path)
    write_walk_shards(data, tmp_path, walk_length=8, walks_per_node=4, rank=1, world_size=2)
    embeddings, trained, info = train_skipgram_on_shards(tmp_path, 16, 3, progress=False)
    from graphseq import as_csr

    assert embeddings.shape == (150, 16)
    has_edges = as_csr(data).degree() > 0  # a walk from an isolated node teaches nothing
    assert torch.equal(trained, has_edges) and info["corpus"] == "file"
    assert info["walks"] == 4 * int(has_edges.sum())
    with pytest.raises(ValueError, match="give both rank and world_size"):
        write_walk_shards(data, tmp_path, rank=0)


# ---------------------------------------------------------------------------- commands
def _graphseq(*arguments, timeout=180):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(workers.REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "graphseq.cli", *map(str, arguments)],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_train_sage_with_nproc_runs_as_torchrun_ranks(tmp_path):
    sage = _graphseq("train-sage", "--dataset", "KarateClub", "--batch-size", 4, "--fanouts",
                     3, 2, "--hidden-channels", 8, "--epochs", 2, "--out", tmp_path / "s.json",
                     "--checkpoint", tmp_path / "s.pt", "--nproc", 2)  # fmt: skip
    assert sage.returncode == 0, sage.stderr[-3000:]
    assert "torch.distributed.run --standalone --nproc-per-node=2" in sage.stderr
    assert sage.stdout.count("epoch 2/2 (") == 1 and '"world_size": 2' in sage.stdout  # rank 0
    import json

    assert json.loads((tmp_path / "s.json").read_text())["world_size"] == 2
    assert sorted(p.name for p in tmp_path.glob("s.*")) == ["s.json", "s.pt"]
