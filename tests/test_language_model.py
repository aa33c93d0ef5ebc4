"""Character-level language model: TBPTT task, exact resume, generation, CLI."""

import math

import pytest
import torch

from graphseq.cli import main
from graphseq.models.char_rnn import CharRNN, generate
from graphseq.recipes import CharLMRecipe
from graphseq.sequences import CharVocabulary
from graphseq.train import EarlyStopping, Trainer
from graphseq.train.language_model import LanguageModelTask, split_text

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def _task(**options):
    vocabulary = CharVocabulary.from_text(TEXT)
    options = {"seq_len": 10, "batch_size": 4, "steps_per_epoch": 7, **options}
    return LanguageModelTask.from_text(TEXT, vocabulary, **options), vocabulary


def test_split_text_is_contiguous_with_held_out_tail():
    ids = torch.arange(1000)
    splits = split_text(ids, 0.05, 0.1)
    assert torch.equal(torch.cat([splits["train"], splits["val"], splits["test"]]), ids)
    assert splits["test"].numel() == 100 and splits["val"].numel() == 50
    with pytest.raises(ValueError, match="sum below 1"):
        split_text(ids, 0.5, 0.5)


def test_windows_follow_the_streams_and_targets_are_next_characters():
    task, _ = _task(steps_per_epoch=None)
    generator = torch.Generator().manual_seed(0)
    batches = list(task.train_batches(generator))
    train = task.splits["train"]
    stream_length = (train.numel() - 1) // 4
    first_inputs, first_targets = batches[0]
    offset = task._inputs[0].tolist().index(first_inputs[0, 0].item())
    for b in range(4):
        start = b * stream_length + offset
        assert first_inputs[b].tolist() == train[start : start + 10].tolist()
        assert first_targets[b].tolist() == train[start + 1 : start + 11].tolist()
    # One pass covers each stream from the offset to its end, window after window.
    covered = torch.cat([inputs for inputs, _ in batches], dim=1)
    assert torch.equal(covered, task._inputs[:, offset:])


def test_hidden_state_is_carried_between_windows_and_reset_each_pass():
    task, vocabulary = _task(steps_per_epoch=None)
    model = CharRNN(vocabulary, hidden_size=8, num_layers=1, embedding_dim=4)
    generator = torch.Generator().manual_seed(0)
    batches = task.train_batches(generator)
    task.training_step(model, next(batches))
    carried = task._hidden
    assert carried is not None and not carried[0].requires_grad
    task.training_step(model, next(batches))
    assert not torch.equal(task._hidden[0], carried[0])
    assert task._hidden is not None
    next(task.train_batches(generator))  # the next epoch starts a new pass: fresh state
    assert task._hidden is None


def test_evaluate_reports_loss_bpc_and_accuracy():
    task, vocabulary = _task()
    model = CharRNN(vocabulary, hidden_size=8, num_layers=1, embedding_dim=4).eval()
    with torch.no_grad():
        metrics = task.evaluate(model, ("val", "test"))
    assert set(metrics) == {f"{s}_{m}" for s in ("val", "test") for m in ("loss", "bpc", "acc")}
    assert math.isclose(metrics["test_bpc"], metrics["test_loss"] / math.log(2))
    assert 0 <= metrics["test_acc"] <= 1


def test_lm_learns_a_repetitive_text():
    recipe = CharLMRecipe(
        hidden_size=48,
        num_layers=2,
        embedding_dim=16,
        seq_len=20,
        batch_size=8,
        steps_per_epoch=40,
        epochs=4,
        lr=1e-2,
    )
    model, trainer, metrics = recipe.train(TEXT, progress=False)
    assert metrics["test_acc"] > 0.6, metrics
    assert trainer.history_[-1]["val_loss"] < trainer.history_[0]["val_loss"]


def _fit(task, vocabulary, epochs, checkpoint=None, interrupt_at=None, resume=False):
    torch.manual_seed(0)
    model = CharRNN(vocabulary, hidden_size=12, num_layers=2, embedding_dim=6, dropout=0.1)

    def interrupt(trainer, record):
        if record["epoch"] == interrupt_at:
            raise KeyboardInterrupt

    trainer = Trainer(
        model,
        task,
        optimizer=torch.optim.Adam(model.parameters(), lr=5e-3),
        max_epochs=epochs,
        checkpoint=checkpoint,
        early_stopping=EarlyStopping(restore_best=False),
        callbacks=[interrupt] if interrupt_at else [],
        seed=3,
        grad_clip=1.0,
    )
    trainer.fit(resume=resume)
    return model, trainer


def test_resume_at_epoch_boundary_is_exact(tmp_path):
    vocabulary = CharVocabulary.from_text(TEXT)
    # 7 steps per epoch do not divide a pass: epochs end in the middle of a pass, so the
    # carried state and the position in the text must come back from the checkpoint.
    straight, _ = _fit(_task()[0], vocabulary, epochs=4)
    path = tmp_path / "lm.pt"
    with pytest.raises(KeyboardInterrupt):
        _fit(_task()[0], vocabulary, epochs=4, checkpoint=path, interrupt_at=3)
    resumed, trainer = _fit(_task()[0], vocabulary, epochs=4, checkpoint=path, resume=True)
    assert trainer.epoch_ == 4
    for (name, a), b in zip(
        straight.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, b), name


def test_model_rebuilds_from_checkpoint(tmp_path):
    task, vocabulary = _task()
    path = tmp_path / "lm.pt"
    model, _ = _fit(task, vocabulary, epochs=1, checkpoint=path)
    loaded = CharRNN.from_checkpoint(path)
    assert loaded.vocabulary == vocabulary and loaded.config == model.config
    assert generate(loaded, "the ", 30, strategy="greedy") == generate(
        model, "the ", 30, strategy="greedy"
    )


def test_generation_strategies_repeat_with_seed():
    vocabulary = CharVocabulary.from_text(TEXT)
    torch.manual_seed(0)
    model = CharRNN(vocabulary, hidden_size=16, num_layers=2, embedding_dim=8)
    for strategy in ("greedy", "sample", "top-k"):
        text = generate(model, "the cat", 40, strategy=strategy, seed=1, top_k=3)
        assert len(text) == 40 and set(text) <= set(vocabulary.characters)
        assert text == generate(model, "the cat", 40, strategy=strategy, seed=1, top_k=3)
    assert generate(model, "the", 0) == ""


def test_top_1_equals_greedy_and_low_temperature_approaches_greedy():
    vocabulary = CharVocabulary.from_text(TEXT)
    torch.manual_seed(0)
    model = CharRNN(vocabulary, hidden_size=16, num_layers=1, embedding_dim=8)
    greedy = generate(model, "the", 50, strategy="greedy")
    assert generate(model, "the", 50, strategy="top-k", top_k=1, seed=5) == greedy
    assert generate(model, "the", 50, strategy="sample", temperature=1e-4, seed=5) == greedy


@pytest.mark.parametrize(
    "options,error,message",
    [
        ({"prompt": "the Zoo"}, ValueError, r"prompt contains 1 character\(s\) .* 'Z'"),
        ({"temperature": 0}, ValueError, "temperature must be > 0"),
        ({"temperature": -1.0}, ValueError, "temperature must be > 0"),
        ({"top_k": 0}, ValueError, "top_k must be an int >= 1"),
        ({"top_k": 1000}, ValueError, "exceeds the vocabulary size"),
        ({"strategy": "beam"}, ValueError, "strategy must be one of"),
        ({"prompt": ""}, ValueError, "prompt must be a non-empty string"),
    ],
)
def test_generation_bad_input(options, error, message):
    vocabulary = CharVocabulary.from_text(TEXT)
    model = CharRNN(vocabulary, hidden_size=8, num_layers=1, embedding_dim=4)
    arguments = {"prompt": "the cat", "strategy": "top-k", **options}
    with pytest.raises(error, match=message):
        generate(model, arguments.pop("prompt"), 10, **arguments)


def test_task_bad_input():
    with pytest.raises(ValueError, match="seq_len must be an int >= 1, got 0"):
        LanguageModelTask({"train": torch.zeros(100, dtype=torch.long)}, seq_len=0)
    with pytest.raises(ValueError, match="too short for batch_size=64"):
        LanguageModelTask({"train": torch.zeros(100, dtype=torch.long)}, batch_size=64)
    with pytest.raises(ValueError, match="needs a 'train' text"):
        LanguageModelTask({"val": torch.zeros(100, dtype=torch.long)})


def test_cli_train_lm_and_generate(tmp_path, capsys):
    text_file = tmp_path / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    checkpoint = tmp_path / "lm.pt"
    common = ["--checkpoint", str(checkpoint)]
    size = ["--hidden-size", "16", "--num-layers", "2", "--embedding-dim", "8"]
    train = ["train-lm", "--text", str(text_file), *common, *size, "--batch-size", "4"]
    assert main([*train, "--seq-len", "10", "--steps-per-epoch", "5", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and '"test_acc"' in out and '"test_bpc"' in out
    assert main(["generate", *common, "--prompt", "the dog", "--strategy", "top-k"]) == 0
    assert capsys.readouterr().out.startswith("the dog")
    for bad, message in [
        (["--prompt", "Anna said that"], "character(s) the model does not know"),
        (["--prompt", "the", "--temperature", "0"], "temperature must be > 0"),
        (["--prompt", "the", "--k", "0"], "top_k must be an int >= 1"),
    ]:
        assert main(["generate", *common, *bad]) == 2
        assert message in capsys.readouterr().err
