"""Sequence classification task, SequenceClassifier and the input-gradient diagnostic."""

import pytest
import torch

from graphseq.models import SequenceClassifier
from graphseq.sequences import palindrome_batch
from graphseq.train import SequenceClassificationTask, Trainer
from graphseq.train.sequence_classification import input_gradient_norms


def _sampler(length):
    return lambda batch_size, generator: palindrome_batch(batch_size, length, generator=generator)


def test_lstm_solves_short_palindromes_with_fresh_batches():
    task = SequenceClassificationTask(
        {"val": palindrome_batch(500, 5, seed=1), "test": palindrome_batch(500, 5, seed=2)},
        batch_size=64,
        train_sampler=_sampler(5),
        steps_per_epoch=50,
    )
    model = SequenceClassifier(10, 10, hidden_size=32, cell="lstm")
    task.eval_splits = ("val",)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(model, task, optimizer=optimizer, max_epochs=6, grad_clip=10.0)
    trainer.fit()
    assert trainer.test()["test_acc"] > 0.95


def test_fixed_training_split_is_shuffled_into_batches():
    x, y = palindrome_batch(100, 6, seed=0)
    task = SequenceClassificationTask({"train": (x, y)}, batch_size=32)
    batches = list(task.train_batches(torch.Generator().manual_seed(0)))
    assert [b[0].size(0) for b in batches] == [32, 32, 32, 4]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == sorted(y.tolist())
    assert task.monitor == "train_loss"


def test_variable_lengths_reach_the_model():
    x = torch.randn(6, 5, 3)
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    lengths = torch.tensor([5, 3, 1, 2, 5, 4])
    task = SequenceClassificationTask({"train": (x, y, lengths)}, batch_size=6)
    model = SequenceClassifier(3, 2, hidden_size=4, cell="gru", output="mean")
    with torch.no_grad():
        metrics = task.evaluate(model, ("train",))
        expected = torch.nn.functional.cross_entropy(model(x, lengths), y)
    assert metrics["train_loss"] == pytest.approx(float(expected), rel=1e-5)


def test_sampled_training_repeats_with_the_generator():
    task = SequenceClassificationTask({}, train_sampler=_sampler(7), steps_per_epoch=3)
    a = list(task.train_batches(torch.Generator().manual_seed(5)))
    b = list(task.train_batches(torch.Generator().manual_seed(5)))
    assert all(torch.equal(p[0], q[0]) for p, q in zip(a, b, strict=True))


def test_one_hot_features_and_bad_token_ids():
    model = SequenceClassifier(10, 10, hidden_size=8)
    x, _ = palindrome_batch(4, 6, seed=0)
    features = model.features(x)
    assert features.shape == (4, 5, 10) and torch.equal(features.argmax(-1), x)
    with pytest.raises(ValueError, match=r"token ids must be in 0..9"):
        model(x + 5)


def test_input_gradient_norms_match_autograd():
    torch.manual_seed(0)
    model = SequenceClassifier(10, 10, hidden_size=8, cell="rnn")
    x, y = palindrome_batch(16, 8, seed=0)
    norms = input_gradient_norms(model, x, y)
    features = model.features(x).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model.classify_features(features), y)
    loss.backward()
    torch.testing.assert_close(norms, features.grad.norm(dim=2).mean(0))
    assert norms.shape == (7,)


def test_vanilla_rnn_gradient_vanishes_towards_early_steps():
    """The lectures' point: in a tanh RNN, d loss / d x_t shrinks with the distance to the loss."""
    torch.manual_seed(0)
    model = SequenceClassifier(10, 10, hidden_size=64, cell="rnn")
    x, y = palindrome_batch(256, 40, seed=0)
    norms = input_gradient_norms(model, x, y)
    assert float(norms[0]) < 1e-3 * float(norms[-1])


@pytest.mark.parametrize(
    "splits,options,message",
    [
        ({}, {}, "give a 'train' split or a train_sampler"),
        (
            {},
            {"train_sampler": _sampler(5)},
            "steps_per_epoch must be given .* with a train_sampler",
        ),
        ({"train": (torch.zeros(3, 4), torch.zeros(3))}, {}, "targets must be a LongTensor"),
        ({"train": (torch.zeros(2, 4), torch.zeros(3).long())}, {}, "with N = 3 targets"),
        ({"train": torch.zeros(3, 4)}, {}, r"must be a tuple \(inputs, targets\)"),
    ],
)
def test_task_bad_input(splits, options, message):
    with pytest.raises(ValueError, match=message):
        SequenceClassificationTask(splits, **options)


def test_classifier_bad_input():
    with pytest.raises(ValueError, match="output='sequence' gives no per-sequence summary"):
        SequenceClassifier(10, 10, output="sequence")
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        SequenceClassifier(10, 1)
