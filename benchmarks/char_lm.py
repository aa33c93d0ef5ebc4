"""Character-level LSTM language model on Anna Karenina (the lectures' assignment text).

Embedding -> 2-layer LSTM (graphseq's SequenceEncoder) -> softmax over characters, trained with
truncated back-propagation through time through the common Trainer. The last 10% of the book is
held out: its next-character accuracy and bits per character are reported beside n-gram
baselines (counted on the training part) measured in the same run. Samples from every decoding
strategy (greedy, temperature 0.5 / 1 / 2, top-k) continue the prompt "Anna said that".

Outputs (``--out``): char_lm.json, char_lm.md, char_lm_samples.md, char_lm.png.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/char_lm.py
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

from graphseq.models.char_rnn import generate, train_char_rnn
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", help="text file (default: text/anna_karenina.txt)")
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30, help="upper bound on epochs")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=22.0,
        help="stop after the epoch that passes this much training time (0: no limit)",
    )
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--grad-clip", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sample-length", type=int, default=400)
    parser.add_argument("--checkpoint", default="/tmp/graphseq-char-lm/char_lm.pt")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--out", default="benchmarks/results")
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
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = load_text(args.text)
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

    model, trainer, metrics = train_char_rnn(
        text,
        checkpoint=args.checkpoint,
        resume=args.resume,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        lr=args.lr,
        grad_clip=args.grad_clip,
        seed=args.seed,
        callbacks=[report],
        progress=False,
    )
    train_seconds = sum(r["time"] for r in trainer.history_)
    # n-gram baselines on the same held-out tail (the train part here = train + val).
    vocabulary = CharVocabulary.from_text(text)
    ids = vocabulary.encode(text)
    held_out = split_text(ids)["test"].numel()
    train_ids, test_ids = ids[:-held_out], ids[-held_out:]
    baselines = {
        f"{n}-gram": ngram_accuracy(train_ids, test_ids, n, len(vocabulary)) for n in (1, 2, 3, 5)
    }
    samples = {
        name: generate(model, PROMPT, args.sample_length, seed=args.seed, **options)
        for name, options in DECODINGS
    }
    total = time.perf_counter() - start
    steps = trainer.epoch_ * args.steps_per_epoch
    result = {
        "benchmark": "char_lm",
        "config": {k: v for k, v in vars(args).items() if k not in ("out", "resume")},
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
        "total_seconds": total,
        "samples": {name: PROMPT + s for name, s in samples.items()},
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
    }
    (out / "char_lm.json").write_text(json.dumps(result, indent=1))
    (out / "char_lm.md").write_text(markdown(result))
    (out / "char_lm_samples.md").write_text(samples_markdown(result))
    plot(result, out / "char_lm.png")
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
        f"windows of {c['seq_len']} characters, state carried across windows; Adam lr "
        f"{c['lr']}, gradient clip {c['grad_clip']}, seed {c['seed']}. Text: "
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
        f" min in all, {c['threads']} torch thread(s) on a shared 2-core machine "
        f"({result['machine']}, torch {result['torch']}); other benchmarks ran at the same time.",
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


def plot(result: dict, path: Path) -> None:
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
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
