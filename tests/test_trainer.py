import functools

import pytest
import torch

from graphseq import (
    GCN,
    EarlyStopping,
    NodeClassificationTask,
    Trainer,
    make_community_graph,
    seed_everything,
)
from graphseq.train import Task


def adam(lr):
    return functools.partial(torch.optim.Adam, lr=lr)


@pytest.fixture()
def data():
    return make_community_graph(num_nodes=150, num_features=10, feature_signal=0.7, seed=0)


def _trainer(data, seed=0, **options):
    seed_everything(seed)
    model = GCN(10, 16, 3, dropout=0.5)
    return Trainer(model, NodeClassificationTask(data), seed=seed, progress=False, **options)


def _params(trainer):
    return torch.cat([p.detach().flatten() for p in trainer.model.parameters()])


def test_learns_the_communities(data):
    trainer = _trainer(data, max_epochs=100).fit()
    assert trainer.test()["test_acc"] > 0.8
    assert len(trainer.history_) == 100
    assert {"loss", "time", "train_acc", "val_acc", "val_loss", "val_macro_f1"} <= set(
        trainer.history_[0]
    )


def test_same_seed_same_numbers(data):
    a = _trainer(data, max_epochs=30).fit()
    b = _trainer(data, max_epochs=30).fit()
    assert torch.equal(_params(a), _params(b))
    assert [r["loss"] for r in a.history_] == [r["loss"] for r in b.history_]
    c = _trainer(data, seed=1, max_epochs=30).fit()
    assert not torch.equal(_params(a), _params(c))


def test_early_stopping_restores_best_weights(data):
    trainer = _trainer(
        data, max_epochs=500, early_stopping=EarlyStopping(patience=5), optimizer=adam(0.05)
    )
    trainer.fit()
    assert trainer.stopped_early_ and trainer.epoch_ < 500
    assert trainer.epoch_ == trainer.best_epoch_ + 5
    best = min(r["val_loss"] for r in trainer.history_)
    assert trainer.best_score_ == best
    assert abs(trainer.evaluate(("val",))["val_loss"] - best) < 1e-6


def test_monitor_max_mode(data):
    stopping = EarlyStopping("val_acc", "max")
    trainer = _trainer(data, max_epochs=40, early_stopping=stopping).fit()
    assert trainer.best_score_ == max(r["val_acc"] for r in trainer.history_)
    assert stopping.best_epoch == -1  # the Trainer works on its own copy


def test_the_epoch_loss_can_be_the_monitor_without_evaluation(data):
    task = NodeClassificationTask(data)
    task.eval_splits = ()
    seed_everything(0)
    stopping = EarlyStopping("loss", patience=None)
    trainer = Trainer(GCN(10, 16, 3), task, early_stopping=stopping, max_epochs=5, progress=True)
    trainer.fit()
    assert set(trainer.history_[0]) == {"epoch", "loss", "lr", "time"}
    assert trainer.best_score_ == min(r["loss"] for r in trainer.history_)


def test_mode_follows_the_monitor_name_when_not_given(data):
    # The node task minimizes its own val_loss; an accuracy monitor must not inherit "min".
    def mode(**options):
        return _trainer(data, max_epochs=1, early_stopping=EarlyStopping(**options)).early_stopping

    assert _trainer(data, max_epochs=1).early_stopping.mode == "min"
    assert _trainer(data, max_epochs=1).early_stopping.monitor == "val_loss"
    assert mode(monitor="val_acc").mode == "max"
    assert mode(monitor="train_loss").mode == "min"
    assert mode(monitor="val_acc", mode="min").mode == "min"
    trainer = _trainer(data, max_epochs=40, early_stopping=EarlyStopping("val_acc")).fit()
    assert trainer.best_score_ == max(r["val_acc"] for r in trainer.history_)


def test_unknown_monitor_is_clear(data):
    with pytest.raises(KeyError, match=r"monitor='val_f1' is not among the metrics"):
        _trainer(data, max_epochs=3, early_stopping=EarlyStopping("val_f1")).fit()


def test_tie_breaker_picks_the_lowest_loss_among_epochs_of_equal_accuracy(data):
    stopping = EarlyStopping("val_acc", tie_breaker="val_loss")
    trainer = _trainer(data, max_epochs=60, early_stopping=stopping).fit()
    history = trainer.history_
    best_acc = max(r["val_acc"] for r in history)
    tied = [r for r in history if r["val_acc"] == best_acc]
    assert len(tied) > 1  # accuracy on 30 validation nodes ties often
    chosen = min(tied, key=lambda r: r["val_loss"])
    assert trainer.best_epoch_ == chosen["epoch"]
    assert trainer.evaluate(("val",))["val_loss"] == pytest.approx(chosen["val_loss"], abs=1e-6)
    # Without the tie breaker the first epoch of the best accuracy is kept.
    plain = _trainer(data, max_epochs=60, early_stopping=EarlyStopping("val_acc")).fit()
    assert plain.best_epoch_ == tied[0]["epoch"]


def test_early_stopping_tie_breaker_unit():
    from graphseq.train import EarlyStopping

    model = torch.nn.Linear(1, 1)
    stopping = EarlyStopping("val_acc", patience=2, tie_breaker="val_f1")
    assert stopping.mode == "max" and stopping.tie_mode == "max"
    assert not stopping.step({"val_acc": 0.5, "val_f1": 0.2}, model, 1)
    # tie, better f1: best, patience resets
    assert not stopping.step({"val_acc": 0.5, "val_f1": 0.4}, model, 2)
    assert stopping.best_epoch == 2
    assert not stopping.step({"val_acc": 0.5, "val_f1": 0.3}, model, 3)  # tie, worse f1: bad
    assert stopping.step({"val_acc": 0.4, "val_f1": 0.9}, model, 4)  # second bad epoch, stop
    assert (stopping.best_epoch, stopping.best_score, stopping.best_tie_score) == (2, 0.5, 0.4)
    with pytest.raises(ValueError, match="mode must be one of 'min', 'max'; got 'lowest'"):
        EarlyStopping("val_acc", "lowest")
    with pytest.raises(ValueError, match="patience must be an int >= 1, got 0"):
        EarlyStopping(patience=0)


def test_unknown_tie_breaker_is_clear(data):
    with pytest.raises(KeyError, match=r"tie_breaker='val_f1' is not among the metrics"):
        stopping = EarlyStopping("val_acc", tie_breaker="val_f1")
        _trainer(data, max_epochs=3, early_stopping=stopping).fit()


class _Interrupt(Exception):
    pass


def test_resume_after_interruption_equals_uninterrupted_run(data, tmp_path):
    reference = _trainer(data, max_epochs=25, early_stopping=EarlyStopping(patience=50)).fit()

    def interrupt_at_12(trainer, record):
        if record["epoch"] == 12:
            raise _Interrupt

    checkpoint = tmp_path / "run.pt"
    first = _trainer(
        data,
        max_epochs=25,
        early_stopping=EarlyStopping(patience=50),
        checkpoint=checkpoint,
        callbacks=[interrupt_at_12],
    )
    with pytest.raises(_Interrupt):
        first.fit()
    # A new process would rebuild model and trainer (with another seed for the initial weights) ...
    resumed = _trainer(
        data,
        seed=123,
        max_epochs=25,
        early_stopping=EarlyStopping(patience=50),
        checkpoint=checkpoint,
    )
    resumed.fit(resume=True)
    assert resumed.epoch_ == 25
    assert torch.equal(_params(resumed), _params(reference))
    assert [r["loss"] for r in resumed.history_] == [r["loss"] for r in reference.history_]
    assert resumed.best_epoch_ == reference.best_epoch_


def test_resume_of_a_finished_run_does_nothing(data, tmp_path):
    checkpoint = tmp_path / "run.pt"
    done = _trainer(data, max_epochs=5, checkpoint=checkpoint).fit()
    again = _trainer(data, seed=7, max_epochs=5, checkpoint=checkpoint).fit(resume=True)
    assert again.epoch_ == 5 and torch.equal(_params(done), _params(again))


def test_checkpoint_for_another_model_is_rejected(data, tmp_path):
    checkpoint = tmp_path / "run.pt"
    _trainer(data, max_epochs=2, checkpoint=checkpoint).fit()
    other = Trainer(
        GCN(10, 4, 3), NodeClassificationTask(data), checkpoint=checkpoint, progress=False
    )
    with pytest.raises(ValueError, match="does not fit this model"):
        other.fit(resume=True)


def test_gradient_clipping_bounds_the_update(data):
    seen = []

    class Recording(NodeClassificationTask):
        def training_step(self, model, batch):
            loss = super().training_step(model, batch) * 1e4
            return loss

    seed_everything(0)
    model = GCN(10, 16, 3)
    trainer = Trainer(
        model,
        Recording(data),
        optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
        grad_clip=0.5,
        max_epochs=1,
        progress=False,
        callbacks=[
            lambda t, r: seen.append(
                torch.cat([p.grad.flatten() for p in t.model.parameters()]).norm()
            )
        ],
    )
    trainer.fit()
    assert float(seen[0]) <= 0.5 + 1e-5


def test_nan_loss_fails_clearly(data):
    class Broken(NodeClassificationTask):
        def training_step(self, model, batch):
            return super().training_step(model, batch) * float("nan")

    trainer = Trainer(GCN(10, 4, 3), Broken(data), max_epochs=2, progress=False)
    with pytest.raises(FloatingPointError, match="lower the learning rate or set grad_clip"):
        trainer.fit()


def test_multilabel_task(data):
    data.y = torch.nn.functional.one_hot(data.y, 3).float()
    data.y[:10, 0] = 1.0
    seed_everything(0)
    trainer = Trainer(
        GCN(10, 16, 3), NodeClassificationTask(data), max_epochs=60, progress=False
    ).fit()
    metrics = trainer.test()
    assert trainer.task.multilabel and metrics["test_micro_f1"] > 0.7


def test_bad_task_inputs(data):
    bad = data.clone()
    bad.x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="data.x contains NaN or infinite values"):
        NodeClassificationTask(bad)
    no_train = data.clone()
    del no_train.train_mask
    with pytest.raises(ValueError, match="no training split"):
        NodeClassificationTask(no_train)
    with pytest.raises(TypeError, match="task must be a graphseq.train.Task"):
        Trainer(GCN(10, 4, 3), object())
    with (
        pytest.raises(RuntimeError, match="CUDA is not available")
        if not torch.cuda.is_available()
        else pytest.raises(Exception)
    ):
        Trainer(GCN(10, 4, 3), NodeClassificationTask(data), device="cuda")


def test_custom_task_through_the_same_trainer():
    """A minimal regression task: the Trainer needs nothing beyond the Task interface."""

    class Regression(Task):
        splits = {"train": None}

        def __init__(self):
            generator = torch.Generator().manual_seed(0)
            self.x = torch.randn(64, 3, generator=generator)
            self.y = self.x @ torch.tensor([1.0, -2.0, 0.5])

        def train_batches(self, generator):
            order = torch.randperm(64, generator=generator)
            return [order[i : i + 16] for i in range(0, 64, 16)]

        def training_step(self, model, batch):
            return (model(self.x[batch]).squeeze(1) - self.y[batch]).square().mean()

        def evaluate(self, model, splits):
            return {"train_loss": float((model(self.x).squeeze(1) - self.y).square().mean())}

    trainer = Trainer(
        torch.nn.Linear(3, 1), Regression(), optimizer=adam(0.1), max_epochs=60, progress=False
    ).fit()
    assert trainer.early_stopping.monitor == "train_loss"
    assert trainer.history_[-1]["train_loss"] < 1e-3


def test_resume_with_more_epochs_continues_like_one_longer_run(data, tmp_path):
    reference = _trainer(data, max_epochs=20).fit()
    checkpoint = tmp_path / "run.pt"
    _trainer(data, max_epochs=10, checkpoint=checkpoint).fit()
    longer = _trainer(data, seed=5, max_epochs=20, checkpoint=checkpoint).fit(resume=True)
    assert longer.epoch_ == 20
    assert torch.equal(_params(longer), _params(reference))
    assert [r["loss"] for r in longer.history_] == [r["loss"] for r in reference.history_]


def test_scheduler_is_torchs_own_and_steps_once_per_epoch(data):
    step = functools.partial(torch.optim.lr_scheduler.StepLR, step_size=3, gamma=0.5)
    trainer = _trainer(data, max_epochs=7, optimizer=adam(0.04), scheduler=step).fit()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)  # decayed at 3 and 6
    assert [r["lr"] for r in trainer.history_] == pytest.approx([0.04] * 3 + [0.02] * 3 + [0.01])
    constant = _trainer(data, max_epochs=7, optimizer=adam(0.04)).fit()
    assert constant.optimizer.param_groups[0]["lr"] == pytest.approx(0.04)


def test_plateau_scheduler_reads_the_monitor(data):
    plateau = functools.partial(
        torch.optim.lr_scheduler.ReduceLROnPlateau, mode="min", patience=0, factor=0.5
    )
    trainer = _trainer(data, max_epochs=30, optimizer=adam(0.5), scheduler=plateau).fit()
    assert trainer.optimizer.param_groups[0]["lr"] < 0.5


def test_scheduler_state_is_resumed(data, tmp_path):
    step = functools.partial(torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5)
    reference = _trainer(data, max_epochs=6, optimizer=adam(0.04), scheduler=step).fit()
    checkpoint = tmp_path / "run.pt"
    _trainer(data, max_epochs=3, optimizer=adam(0.04), scheduler=step, checkpoint=checkpoint).fit()
    resumed = _trainer(
        data, max_epochs=6, optimizer=adam(0.04), scheduler=step, checkpoint=checkpoint
    ).fit(resume=True)
    assert torch.equal(_params(resumed), _params(reference))
    assert [r["lr"] for r in resumed.history_] == [r["lr"] for r in reference.history_]
    plain = _trainer(data, max_epochs=6, checkpoint=checkpoint)
    with pytest.raises(ValueError, match="saved with a learning-rate scheduler"):
        plain.fit(resume=True)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"optimizer": "adam"}, TypeError, "optimizer must be a torch.optim.Optimizer"),
        ({"scheduler": 3}, TypeError, "scheduler must be a torch.optim.lr_scheduler object"),
        (
            {"early_stopping": 10},
            TypeError,
            r"early_stopping must be a graphseq.train.EarlyStopping",
        ),
        ({"max_epochs": -1}, ValueError, "max_epochs must be an int >= 0"),
        ({"grad_clip": 0.0}, ValueError, "grad_clip must be a finite number > 0"),
    ],
)
def test_bad_options_fail_clearly(data, options, error, message):
    with pytest.raises(error, match=message):
        _trainer(data, **options)
