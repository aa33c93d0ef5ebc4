"""Palindromes: vanilla RNN vs LSTM vs GRU as the memory span T grows (the lectures' experiment).

A digit palindrome x_1..x_T has x_T = x_1; the model reads the first T - 1 digits (one-hot) and
predicts the last, so it must carry x_1 across T - 1 steps; chance is 10%. Every training batch
is freshly sampled (UvA DL assignment 2 setup). For each cell, T and seed, a model is trained
with Adam and gradient-norm clipping for at most ``--max-steps`` steps (stopping early once
the validation accuracy reaches ``--target-acc``), then scored on a held-out test set.

It also records ||d loss / d x_t|| for every input step t (at initialisation and after
training): the vanilla RNN's gradient vanishes exponentially towards early steps.

Outputs (``--out``): palindromes.json, palindromes.md, palindromes.png.

    PYTHONPATH=. python benchmarks/palindromes.py            # the full sweep
    PYTHONPATH=. python benchmarks/palindromes.py --lengths 5 10 --seeds 0 --max-steps 300
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
import time
from pathlib import Path

import common
import torch

from graphseq.models import SequenceClassifier
from graphseq.sequences import palindrome_batch
from graphseq.train import EarlyStopping, SequenceClassificationTask, Trainer
from graphseq.train.sequence_classification import input_gradient_norms

NUM_DIGITS = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[5, 10, 15, 20, 30, 40, 60])
    parser.add_argument("--cells", nargs="*", default=["rnn", "lstm", "gru"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--grad-clip", type=float, default=10.0)
    parser.add_argument("--max-steps", type=int, default=2000, help="step budget per run")
    parser.add_argument("--steps-per-epoch", type=int, default=100, help="steps between evals")
    parser.add_argument("--target-acc", type=float, default=0.999, help="stop once val acc >=")
    parser.add_argument(
        "--forget-bias",
        type=float,
        default=3.0,
        help="initial bias of the LSTM forget gate / GRU update gate (0: PyTorch's init)",
    )
    parser.add_argument(
        "--ablation-lengths",
        type=int,
        nargs="*",
        default=[40],
        help="T at which an LSTM with PyTorch's default initialisation (no forget bias) also runs",
    )
    parser.add_argument("--val-size", type=int, default=2000)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--gradient-samples", type=int, default=512)
    parser.add_argument("--resume", action="store_true", help="skip runs already in the JSON")
    parser.add_argument(
        "--merge",
        nargs="*",
        default=[],
        help="palindromes.json files of other processes that ran part of the sweep in "
        "parallel (e.g. --lengths 60 --out /tmp/part): their runs are added",
    )
    common.add_run_arguments(parser)
    return parser.parse_args(argv)


def variants(args) -> list[tuple[str, str, float, list[int]]]:
    """(name, cell, forget_bias, lengths) of every model variant in the sweep."""
    out = []
    for cell in args.cells:
        bias = args.forget_bias if cell in ("lstm", "gru") else 0.0
        out.append((cell, cell, bias, list(args.lengths)))
    if args.ablation_lengths and args.forget_bias:
        out.append(("lstm-default-init", "lstm", 0.0, list(args.ablation_lengths)))
    return out


def run_one(args, name: str, cell: str, forget_bias: float, length: int, seed: int) -> dict:
    val = palindrome_batch(args.val_size, length, seed=10_000 + length)
    test = palindrome_batch(args.test_size, length, seed=20_000 + length)
    probe = palindrome_batch(args.gradient_samples, length, seed=30_000 + length)

    def sampler(batch_size, generator):
        return palindrome_batch(batch_size, length, generator=generator)

    task = SequenceClassificationTask(
        {"val": val, "test": test},
        batch_size=args.batch_size,
        train_sampler=sampler,
        steps_per_epoch=args.steps_per_epoch,
    )
    task.eval_splits = ("val",)  # the test set is scored once, after training
    torch.manual_seed(seed)
    model = SequenceClassifier(
        NUM_DIGITS, NUM_DIGITS, args.hidden_size, cell, forget_bias=forget_bias
    )
    gradient_init = input_gradient_norms(model, *probe)
    solved_at = None

    def stop_when_solved(trainer, record):
        nonlocal solved_at
        if record["val_acc"] >= args.target_acc and solved_at is None:
            solved_at = record["epoch"] * args.steps_per_epoch
            trainer.max_epochs = trainer.epoch_  # ends fit() after this epoch

    trainer = Trainer(
        model,
        task,
        optimizer=functools.partial(torch.optim.Adam, lr=args.lr),
        # No early stop but the target's; the epoch of best validation accuracy is restored.
        early_stopping=EarlyStopping(monitor="val_acc"),
        max_epochs=math.ceil(args.max_steps / args.steps_per_epoch),
        grad_clip=args.grad_clip,
        seed=seed,
        callbacks=[stop_when_solved],
        progress=False,
    )
    start = time.perf_counter()
    trainer.fit()
    seconds = time.perf_counter() - start
    metrics = trainer.test()
    return {
        "model": name,
        "cell": cell,
        "forget_bias": forget_bias,
        "T": length,
        "seed": seed,
        "test_acc": metrics["test_acc"],
        "best_val_acc": trainer.best_score_,
        "steps": trainer.epoch_ * args.steps_per_epoch,
        "solved_at_step": solved_at,
        "seconds": seconds,
        "gradient_norm_init": gradient_init.tolist(),
        "gradient_norm_trained": input_gradient_norms(model, *probe).tolist(),
    }


def summarize(runs: list[dict]) -> list[dict]:
    rows = []
    keys = sorted({(r["model"], r["T"]) for r in runs}, key=lambda k: (k[0], k[1]))
    for name, length in keys:
        group = [r for r in runs if r["model"] == name and r["T"] == length]
        accs = [r["test_acc"] for r in group]
        solved = [r["solved_at_step"] for r in group if r["solved_at_step"] is not None]
        rows.append(
            {
                "model": name,
                "T": length,
                "seeds": len(group),
                "test_acc_mean": statistics.fmean(accs),
                "test_acc_std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                "test_acc_min": min(accs),
                "solved_runs": len(solved),
                "mean_steps": statistics.fmean(r["steps"] for r in group),
                "mean_seconds": statistics.fmean(r["seconds"] for r in group),
            }
        )
    return rows


def markdown(result: dict) -> str:
    config = result["config"]
    lines = [
        "# Palindromes: vanilla RNN vs LSTM vs GRU",
        "",
        "Predict the last digit of a digit palindrome of length T from the first T - 1 digits "
        "(one-hot); chance is 10%. Fresh random batches every step (UvA DL assignment 2 setup).",
        "",
        f"Setup: hidden {config['hidden_size']}, batch {config['batch_size']}, Adam lr "
        f"{config['lr']}, gradient-norm clip {config['grad_clip']}, at most "
        f"{config['max_steps']} steps per run (stop once validation accuracy >= "
        f"{config['target_acc']}), {config['val_size']} validation and {config['test_size']} "
        f"test palindromes, seeds {config['seeds']}. Gated cells start with forget-gate "
        f"(GRU: update-gate) bias {config['forget_bias']} (`forget_bias`); "
        "`lstm-default-init` is an LSTM with PyTorch's default initialisation.",
        "",
        "Test accuracy (%), mean ± std over seeds (min), runs that reached the target, mean "
        "steps and seconds per run:",
        "",
        "| model | T | test acc % | min % | solved | steps | s/run |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["summary"]:
        lines.append(
            f"| {row['model']} | {row['T']} | {100 * row['test_acc_mean']:.1f} ± "
            f"{100 * row['test_acc_std']:.1f} | {100 * row['test_acc_min']:.1f} | "
            f"{row['solved_runs']}/{row['seeds']} | {row['mean_steps']:.0f} | "
            f"{row['mean_seconds']:.0f} |"
        )
    lines += [
        "",
        f"Gradient norms ||d loss / d x_t|| at T = {result['gradient_T']} (mean over seeds and "
        f"{config['gradient_samples']} palindromes), first input step t = 1 relative to the "
        "last t = T - 1:",
        "",
        "| model | at init: t=1 / t=T-1 | trained: t=1 / t=T-1 |",
        "|---|---|---|",
    ]
    for name, ratios in result["gradient_ratios"].items():
        lines.append(f"| {name} | {ratios['init']:.2e} | {ratios['trained']:.2e} |")
    lines += [
        "",
        "![accuracy against T and gradient norms](palindromes.png)",
        "",
        f"Total time {result['total_seconds'] / 60:.1f} min; seconds are indicative on a shared "
        "machine." + parallel_note(result),
        "",
        "Reproduce: `PYTHONPATH=. python benchmarks/palindromes.py` (one process), or split "
        "it: `... --lengths 60 --ablation-lengths --out /tmp/part` beside `... --lengths 5 10 "
        "15 20 30 40`, then `... --resume --merge /tmp/part/palindromes.json`.",
        "",
        common.footer(result),
        "",
    ]
    return "\n".join(lines)


def parallel_note(result: dict) -> str:
    parts = result.get("parallel_process_seconds")
    if not parts:
        return ""
    minutes = ", ".join(f"{s / 60:.1f}" for s in parts)
    return (
        f" Part of the sweep ran in {len(parts)} more process(es) alongside the first "
        f"({minutes} min; merged with `--merge`), so the sum of process times is "
        f"{(result['total_seconds'] + sum(parts)) / 60:.1f} min."
    )


def mean_curve(runs, name, length, key):
    curves = [r[key] for r in runs if r["model"] == name and r["T"] == length]
    return torch.tensor(curves).mean(0) if curves else None


def plot(result: dict, out) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs, rows = result["runs"], result["summary"]
    colors = {"rnn": "C3", "lstm": "C0", "gru": "C2", "lstm-default-init": "C7"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        left.errorbar(
            [r["T"] for r in mine],
            [100 * r["test_acc_mean"] for r in mine],
            yerr=[100 * r["test_acc_std"] for r in mine],
            marker="o" if len(mine) > 1 else "s",
            linestyle="-" if len(mine) > 1 else "none",
            capsize=3,
            label=name,
            color=colors.get(name),
        )
        # Single runs as faint dots: the vanilla RNN either solves a length or stays at chance.
        single = [r for r in runs if r["model"] == name]
        left.scatter(
            [r["T"] for r in single],
            [100 * r["test_acc"] for r in single],
            s=12,
            alpha=0.35,
            color=colors.get(name),
        )
    left.axhline(10, color="k", linestyle=":", label="chance (10%)")
    left.set_xlabel("palindrome length T")
    left.set_ylabel("test accuracy (%)")
    left.set_ylim(0, 105)
    left.set_title(
        f"accuracy vs T (mean ± std and single runs, {len(result['config']['seeds'])} seeds)"
    )
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=5, fontsize=8, frameon=False)
    length = result["gradient_T"]
    for name in dict.fromkeys(r["model"] for r in runs):
        curve = mean_curve(runs, name, length, "gradient_norm_init")
        if curve is not None:
            steps = range(1, len(curve) + 1)
            right.semilogy(steps, curve.clamp_min(1e-30), color=colors.get(name), label=name)
    right.set_xlabel(f"input step t (T = {length}; the prediction is made after step T - 1)")
    right.set_ylabel("||d loss / d x_t||")
    right.set_title("gradient reaching each input step, at initialisation")
    right.legend(fontsize=8)
    fig.tight_layout()
    common.write_figure(fig, out, "palindromes.png", dpi=120)


def main(argv=None) -> int:
    args = parse_args(argv)
    header = common.start_run(args, argv)
    runs: list[dict] = []
    previous_seconds = 0.0
    saved = common.read_json(Path(args.out) / "palindromes.json") if args.resume else None
    if saved is not None:
        runs = saved["runs"]
        previous_seconds = saved.get("total_seconds", 0.0)
    done = {(r["model"], r["T"], r["seed"]) for r in runs}
    parallel_seconds = []
    for path in args.merge:
        part = common.read_json(path)
        parallel_seconds.append(part["total_seconds"])
        for run in part["runs"]:
            if (run["model"], run["T"], run["seed"]) not in done:
                runs.append(run)
                done.add((run["model"], run["T"], run["seed"]))
    plan = [
        (name, cell, bias, length, seed)
        for name, cell, bias, lengths in variants(args)
        for length in lengths
        for seed in args.seeds
        if (name, length, seed) not in done
    ]
    # Cheap runs first, so that partial results cover every model.
    plan.sort(key=lambda p: (p[3], p[4]))
    start = time.perf_counter()

    def save() -> dict:
        """Rewrite the outputs with every run so far (a stopped sweep keeps them)."""
        seconds = previous_seconds + time.perf_counter() - start
        result = {**header, **build_result(args, runs, seconds)}
        if parallel_seconds:
            result["parallel_process_seconds"] = parallel_seconds
        common.write_results(args.out, "palindromes", result, markdown)
        return result

    for index, (name, cell, bias, length, seed) in enumerate(plan, 1):
        run = run_one(args, name, cell, bias, length, seed)
        runs.append(run)
        print(
            f"[{index}/{len(plan)}] {name:18s} T={length:3d} seed={seed} "
            f"test_acc={run['test_acc']:.3f} steps={run['steps']} ({run['seconds']:.0f}s, "
            f"{(time.perf_counter() - start) / 60:.1f} min total)",
            flush=True,
        )
        save()
    result = save()
    plot(result, args.out)
    print(markdown(result))
    return 0


def gradient_ratios(runs, length) -> dict:
    ratios = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        init = mean_curve(runs, name, length, "gradient_norm_init")
        trained = mean_curve(runs, name, length, "gradient_norm_trained")
        if init is not None:
            ratios[name] = {
                "init": float(init[0] / init[-1]),
                "trained": float(trained[0] / trained[-1]),
            }
    return ratios


def build_result(args, runs, seconds) -> dict:
    gradient_length = 40 if 40 in args.lengths else max(args.lengths)
    return {
        "benchmark": "palindromes",
        "config": {k: v for k, v in vars(args).items() if k not in ("out", "resume", "note")},
        "summary": summarize(runs),
        "runs": runs,
        "total_seconds": seconds,
        "gradient_T": gradient_length,
        "gradient_ratios": gradient_ratios(runs, gradient_length),
    }


if __name__ == "__main__":
    sys.exit(main())
