"""What the ranks of the distributed tests run: ``python distributed_workers.py SCENARIO OUT``.

`launch` (used by tests/test_distributed.py) starts one process per rank with the variables
torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), so the
code under test finds its process group exactly as under torchrun, but without torchrun's agent,
which would stop the other ranks itself when one dies (the fault test needs to see graphseq's own
handling). Each rank saves what the test checks to ``OUT/<scenario>-<rank>.pt``.

The builders (`sampled_sage`, ...) are shared with the tests, which train the single-process
references on the same data and models.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)

REPOSITORY = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- launching
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(scenario: str, out, world_size: int = 2, timeout: float = 120, **options):
    """Run ``scenario`` on ``world_size`` local ranks; returns their ``CompletedProcess``es."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    processes = []
    for rank in range(world_size):
        env = {
            **os.environ,
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world_size),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "PYTHONPATH": os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]),
            "GRAPHSEQ_TEST_OPTIONS": json.dumps(options),
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, __file__, scenario, str(out)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        results.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return results


# ---------------------------------------------------------------------------- shared builders
def adam(parameters):
    return torch.optim.Adam(parameters, lr=0.01)


def sampled_sage():
    """(model, task) of sampled GraphSAGE node classification; 75 training nodes, so the last
    step of 2 ranks x 16 seeds is uneven (6 + 5)."""
    from graphseq import GraphSAGE, make_community_graph
    from graphseq.train import SampledNodeClassificationTask

    data = make_community_graph(200, 3, num_features=8, seed=0)
    torch.manual_seed(0)
    model = GraphSAGE(8, 16, 3, dropout=0.0)
    task = SampledNodeClassificationTask(
        data, [5, 3], splits={"train": torch.arange(75), "val": torch.arange(150, 200)},
        batch_size=16,
    )  # fmt: skip
    return model, task


def unsupervised_sage():
    from graphseq import GraphSAGE, make_community_graph
    from graphseq.train import UnsupervisedSAGETask

    data = make_community_graph(120, 3, num_features=8, seed=1)
    torch.manual_seed(0)
    model = GraphSAGE(8, 16, 8, dropout=0.0)
    task = UnsupervisedSAGETask(data, fanouts=[4, 2], batch_size=128, eval_pairs=64)
    return model, task


def toy_graphs(count: int = 40, seed: int = 0):
    """Cycles (label 0) and stars (label 1) of 4..9 nodes."""
    from torch_geometric.data import Data

    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(count):
        n = int(torch.randint(4, 10, (1,), generator=generator))
        nodes = torch.arange(n)
        if i % 2 == 0:
            src, dst = nodes, (nodes + 1) % n
        else:
            src, dst = torch.zeros(n - 1, dtype=torch.long), nodes[1:]
        edge_index = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
        graphs.append(Data(x=torch.ones(n, 2), edge_index=edge_index, y=torch.tensor([i % 2])))
    return graphs


def graph_classification():
    from graphseq.models import GraphClassifier
    from graphseq.train import GraphClassificationTask

    graphs = toy_graphs(45)
    torch.manual_seed(0)
    # No batch norm: the bias before it has a zero gradient, whose round-off noise Adam would
    # blow up to lr-sized steps that differ between any two summation orders.
    model = GraphClassifier(2, 2, 8, 2, readout="lstm", dropout=0.0, batch_norm=False)
    task = GraphClassificationTask(
        graphs, {"train": torch.arange(35), "val": torch.arange(35, 45)}, batch_size=8
    )
    return model, task


def walk_rnn():
    from graphseq import WalkRNN, make_community_graph
    from graphseq.train import WalkNodeClassificationTask

    data = make_community_graph(150, 3, num_features=8, seed=2)
    torch.manual_seed(0)
    model = WalkRNN(8, 3, 16, dropout=0.0)
    task = WalkNodeClassificationTask(data, walks_per_node=3, walk_length=4, batch_size=16)
    return model, task


WALK_OPTIONS = dict(walk_length=6, walks_per_node=3, seed=5, nodes_per_chunk=16)


def walk_graph():
    from graphseq import make_community_graph

    return make_community_graph(150, 3, seed=3)


TASKS = {
    "sampled_sage": sampled_sage,
    "unsupervised_sage": unsupervised_sage,
    "graph_classification": graph_classification,
    "walk_rnn": walk_rnn,
}
EPOCHS = 2


def trainer(model, task, **options):
    from graphseq.train import EarlyStopping, Trainer

    options = {
        "optimizer": adam,
        "early_stopping": EarlyStopping(patience=None, restore_best=False),
        "max_epochs": EPOCHS,
        "seed": 0,
        "progress": False,
        **options,
    }
    return Trainer(model, task, **options)


def parameters(model) -> dict:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


# ---------------------------------------------------------------------------- scenarios
def scenario_tasks(out: Path, rank: int, options: dict) -> dict:
    """Every task trained over the ranks, a same-seed rerun, the collectives, the writes."""
    from graphseq import distributed as gd
    from graphseq.train import cross_validate

    result = {"tasks": {}}
    for name, build in TASKS.items():
        model, task = build()
        fitted = trainer(model, task).fit()
        result["tasks"][name] = {"parameters": parameters(model), "history": fitted.history_}
    model, task = sampled_sage()
    trainer(model, task).fit()
    result["rerun"] = parameters(model)
    # Collectives: rank r has r + 1 items of value 10 * (r + 1).
    result["weighted_mean"] = gd.weighted_mean(10.0 * (rank + 1) * (rank + 1), rank + 1)
    result["sums"] = gd.all_reduce_sums([1.0, rank]).tolist()
    result["gathered"] = gd.all_gather_objects({"rank": rank})
    result["broadcast"] = gd.broadcast_object(f"from {rank}")
    # Writes: a checkpoint, and a callback that writes a file on rank 0 only.
    checkpoint = out / "writes" / "checkpoint.pt"
    checkpoint.parent.mkdir(exist_ok=True)

    @gd.main_process_only
    def write_epoch(trainer, record):
        (out / "writes" / f"epoch{record['epoch']}-rank{gd.get_rank()}.txt").write_text("x")

    model, task = sampled_sage()
    trainer(model, task, checkpoint=checkpoint, callbacks=[write_epoch]).fit()
    result["evaluate"] = trainer(*sampled_sage()).evaluate(("val",))
    cv = cross_validate(
        toy_graphs(24),
        lambda: __import__("graphseq").GraphClassifier(2, 2, 8, 2, readout="lstm"),
        folds=3,
        seed=1,
        batch_size=8,
        trainer_options={"max_epochs": 3},
        progress=False,
    )
    result["cross_validation"] = cv.to_dict()
    # Walk shards, the ranks found from the process group.
    from graphseq.walk_shards import write_walk_shards

    write_walk_shards(walk_graph(), out / "shards", **WALK_OPTIONS)
    return result


class _Dying:
    """Wraps a task: on rank ``rank`` the process kills itself in training step ``step``."""

    def __init__(self, task, rank: int, step: int, out: Path):
        self.task, self.rank, self.step, self.out, self.count = task, rank, step, out, 0

    def __call__(self, model, batch):
        self.count += 1
        if self.count == self.step and int(os.environ["RANK"]) == self.rank:
            (self.out / "died").write_text(str(time.time()))
            os.kill(os.getpid(), signal.SIGKILL)
        return type(self.task).training_step(self.task, model, batch)


def scenario_fault(out: Path, rank: int, options: dict) -> dict:
    """Sampled GraphSAGE for ``epochs`` epochs with a checkpoint; with ``die_at_step``, rank 1
    kills itself in that training step; with ``resume``, the run continues from the checkpoint."""
    model, task = sampled_sage()
    if options.get("die_at_step"):
        task.training_step = _Dying(task, 1, options["die_at_step"], out)
    fitted = trainer(model, task, checkpoint=out / "checkpoint.pt", max_epochs=options["epochs"])
    try:
        fitted.fit(resume=options.get("resume", False))
    except Exception as error:  # the surviving rank's error is the result
        return {"error": f"{type(error).__name__}: {error}", "time": time.time()}
    return {"parameters": parameters(model), "epochs": fitted.epoch_}


SCENARIOS = {"tasks": scenario_tasks, "fault": scenario_fault}


def main() -> None:
    scenario, out = sys.argv[1], Path(sys.argv[2])
    rank = int(os.environ["RANK"])
    options = json.loads(os.environ.get("GRAPHSEQ_TEST_OPTIONS", "{}"))
    result = SCENARIOS[scenario](out, rank, options)
    torch.save(result, out / f"{scenario}-{rank}.pt")
    from graphseq import distributed

    distributed.shutdown()


if __name__ == "__main__":
    main()
