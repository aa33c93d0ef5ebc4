"""Character-level LSTM language model on Anna Karenina (the lectures' assignment text).

Embedding -> 2-layer LSTM (graphseq's SequenceEncoder) -> softmax over characters, trained with
truncated back-propagation through time by `graphseq.recipes.CharLMRecipe` (whose fields are this
script's model and training options, with the recipe's defaults). The last 10% of the book is
held out: its next-character accuracy and bits per character are reported beside n-gram
baselines (counted on the training part) measured in the same run. Samples from every decoding
strategy (greedy, temperature 0.5 / 1 / 2, top-k) continue the prompt "Anna said that".

Outputs (``--out``): char_lm.json, char_lm.md, char_lm_samples.md, char_lm.png.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/char_lm.py --epochs 40
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

import common
import torch

from graphseq.models.char_rnn import generate
from graphseq.recipes import CharLMRecipe
from graphseq.sequences import CharVocabulary, load_text
from graphseq.train.language_model import split_text

PROMPT = "Anna said that"
DECODINGS = [
    ("greedy", {"strategy": "greedy"}),
    ("sample, temperature 0.5", {"strategy": "sample", "temperature": 0.5}),
    ("sample, temperature 1", {"strategy": "sample", "temperature": 1.0}),
    ("sample, temperature 2", {"strategy": "sample", "temperature": 2.0}),
    ("top-k (k=5, temperature 1)", {"strategy": "top-k", "top_k": 5}),
]
RECIPE_FIELDS = [field.name for field in dataclasses.fields(CharLMRecipe)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", help="text file (default: text/anna_karenina.txt)")
    defaults = CharLMRecipe()
    for name in RECIPE_FIELDS:  # the recipe's hyper-parameters, with its defaults
        default = getattr(defaults, name)
        parser.add_argument(
            "--" + name.replace("_", "-"), type=type(default), default=default, help="recipe"
        )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=55.0,
        help="stop after the epoch that passes this much training time (0: no limit)",
    )
    parser.add_argument("--sample-length", type=int, default=400)
    parser.add_argument("--checkpoint", default="/tmp/graphseq-char-lm/char_lm.pt")
    parser.add_argument("--resume", action="store_true")
    common.add_run_arguments(parser)
    return parser.parse_args(argv)


def ngram_accuracy(train: torch.Tensor, test: torch.Tensor, order: int, vocab: int) -> float:
    """Held-out accuracy of predicting the most frequent next character after the previous
    ``order - 1`` characters of the training text (ties: the smallest character id), backing
    off to shorter contexts for contexts never seen in training. Vectorized with torch."""

    def contexts(ids: torch.Tensor, length: int) -> torch.Tensor:
        # Base-V code of the `length` characters before position i, for i >= length.
        code = torch.zeros(ids.numel() - length, dtype=torch.long)
        for j in range(length):
            code = code * vocab + ids[j : ids.numel() - length + j]
        return code

    prediction = torch.full((test.numel() - 1,), -1, dtype=torch.long)
    for length in range(order - 1, -1, -1):
        code = contexts(train, length)
        pairs, counts = torch.unique(code * vocab + train[length:], return_counts=True)
        context, following = pairs // vocab, pairs % vocab
        # Sort by context, then by count (descending), then by character id: the first row of
        # each context is its most frequent next character.
        top = counts.max()
        rank = torch.argsort((context * (top + 1) + (top - counts)) * vocab + following)
        context, following = context[rank], following[rank]
        first = torch.ones_like(context, dtype=torch.bool)
        first[1:] = context[1:] != context[:-1]
        known, best = context[first], following[first]
        # Test positions i = 1..n-1 whose context (the `length` characters before) exists.
        positions = torch.arange(max(length, 1), test.numel())
        query = contexts(test, length)[positions - length]
        slot = torch.searchsorted(known, query).clamp_max(known.numel() - 1)
        found = (known[slot] == query) & (prediction[positions - 1] < 0)
        prediction[positions[found] - 1] = best[slot[found]]
    return float((prediction == test[1:]).float().mean())


def main(argv=None) -> int:
    args = parse_args(argv)
    run = common.start_run(args, argv)
    text = load_text(args.text)
    recipe = CharLMRecipe(**{name: getattr(args, name) for name in RECIPE_FIELDS})
    start = time.perf_counter()

    def report(trainer, record):
        elapsed = sum(r["time"] for r in trainer.history_)
        print(
            f"epoch {record['epoch']}: train loss {record['loss']:.3f}, val loss "
            f"{record['val_loss']:.3f}, val bpc {record['val_bpc']:.3f}, val acc "
            f"{record['val_acc']:.4f} ({record['time']:.0f}s; {elapsed / 60:.1f} min training)",
            flush=True,
        )
        if args.max_minutes and elapsed > 60 * args.max_minutes:
            trainer.max_epochs = trainer.epoch_  # time budget spent: end after this epoch

    model, trainer, metrics = recipe.train(
        text, checkpoint=args.checkpoint, resume=args.resume, callbacks=[report], progress=False
    )
    train_seconds = sum(r["time"] for r in trainer.history_)
    # n-gram baselines on the same held-out tail (the train part here = train + val).
    vocabulary = CharVocabulary.from_text(text)
    ids = vocabulary.encode(text)
    held_out = split_text(ids, recipe.val_fraction, recipe.test_fraction)["test"].numel()
    train_ids, test_ids = ids[:-held_out], ids[-held_out:]
    baselines = {
        f"{n}-gram": ngram_accuracy(train_ids, test_ids, n, len(vocabulary)) for n in (1, 2, 3, 5)
    }
    samples = {
        name: generate(model, PROMPT, args.sample_length, seed=args.seed, **options)
        for name, options in DECODINGS
    }
    steps = trainer.epoch_ * args.steps_per_epoch
    result = {
        **run,
        "benchmark": "char_lm",
        "config": {k: v for k, v in vars(args).items() if k not in ("out", "resume", "note")},
        "text_characters": len(text),
        "vocabulary_size": len(vocabulary),
        "held_out_characters": held_out,
        "epochs": trainer.epoch_,
        "tbptt_steps": steps,
        "training_characters": steps * args.seq_len * args.batch_size,
        "best_epoch": trainer.best_epoch_,
        "test": metrics,
        "baselines_test_acc": baselines,
        "history": trainer.history_,
        "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - start,
        "samples": {name: PROMPT + s for name, s in samples.items()},
    }
    common.write_results(args.out, "char_lm", result, markdown)
    common.write_atomically(Path(args.out) / "char_lm_samples.md", samples_markdown(result))
    plot(result, args.out)
    print(markdown(result))
    print(samples_markdown(result))
    return 0


def markdown(result: dict) -> str:
    c, test = result["config"], result["test"]
    lines = [
        "# Character-level LSTM language model on Anna Karenina",
        "",
        f"Model: embedding {c['embedding_dim']} -> {c['num_layers']}-layer LSTM, hidden "
        f"{c['hidden_size']} (graphseq `SequenceEncoder`) -> softmax over "
        f"{result['vocabulary_size']} characters. Truncated BPTT: {c['batch_size']} streams, "
        f"windows of {c['seq_len']} characters, state carried across windows; dropout "
        f"{c.get('dropout', 0.0)}; Adam lr {c['lr']} ({c.get('lr_schedule', 'constant')} "
        f"schedule), gradient clip {c['grad_clip']}, seed {c['seed']}. Text: "
        f"{result['text_characters']:,} characters; train = first 85%, validation = next 5% "
        f"(keeps the best epoch), held-out test = last 10% ({result['held_out_characters']:,} "
        "characters).",
        "",
        f"Trained {result['epochs']} epochs x {c['steps_per_epoch']} steps = "
        f"{result['tbptt_steps']} TBPTT steps ({result['training_characters']:,} characters, "
        f"{result['training_characters'] / (0.85 * result['text_characters']):.1f} passes); best "
        f"epoch {result['best_epoch']}.",
        "",
        "| held-out (last 10%) | next-char accuracy | bits per char | loss (nats/char) |",
        "|---|---|---|---|",
        f"| graphseq CharRNN | {test['test_acc']:.4f} | {test['test_bpc']:.3f} | "
        f"{test['test_loss']:.3f} |",
    ]
    for name, acc in result["baselines_test_acc"].items():
        lines.append(f"| {name} baseline (most frequent next char, back-off) | {acc:.4f} | | |")
    lines += [
        "",
        "No published number exists for this split; the n-gram rows are measured in the same "
        "run on the same held-out text.",
        "",
        "![validation bits per character during training](char_lm.png)",
        "",
        f"Time: {result['train_seconds'] / 60:.1f} min training, {result['total_seconds'] / 60:.1f}"
        " min in all.",
        "",
        "Samples from each decoding strategy: [char_lm_samples.md](char_lm_samples.md).",
        "",
        "Reproduce: `GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/char_lm.py "
        f"--batch-size {c['batch_size']} --epochs {result['epochs']} --max-minutes 0` (the "
        f"default run stops after the epoch that passes {c['max_minutes']:g} min of training).",
        "",
        "The same model from the command line: `graphseq train-lm --checkpoint lm.pt "
        f"--hidden-size {c['hidden_size']} --batch-size {c['batch_size']} "
        f"--steps-per-epoch {c['steps_per_epoch']} "
        f"--epochs {result['epochs']} --lr {c['lr']} --threads {c['threads']}` then "
        '`graphseq generate --checkpoint lm.pt --prompt "Anna said that" --strategy top-k`.',
        "",
        common.footer(result),
        "",
    ]
    return "\n".join(lines)


def samples_markdown(result: dict) -> str:
    lines = [
        '# Samples from the character-level LSTM (prompt: "Anna said that")',
        "",
        f"Held-out accuracy {result['test']['test_acc']:.4f}, "
        f"{result['test']['test_bpc']:.3f} bits/char; seed {result['config']['seed']}.",
        "",
    ]
    for name, text in result["samples"].items():
        lines += [f"## {name}", "", "```text", text, "```", ""]
    return "\n".join(lines)


def plot(result: dict, out) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = result["config"]["steps_per_epoch"]
    history = result["history"]
    fig, ax = plt.subplots(figsize=(6, 4))
    x = [r["epoch"] * steps for r in history]
    ax.plot(x, [r["loss"] / math.log(2) for r in history], label="train (mean over epoch)")
    ax.plot(x, [r["val_bpc"] for r in history], label="validation")
    ax.axhline(result["test"]["test_bpc"], color="k", linestyle=":", label="held-out test")
    ax.set_xlabel("TBPTT steps")
    ax.set_ylabel("bits per character")
    ax.legend()
    fig.tight_layout()
    common.write_figure(fig, out, "char_lm.png", dpi=120)


if __name__ == "__main__":
    sys.exit(main())
