"""``graphseq train-lm``: train a character-level language model (truncated BPTT, resumable).

Its options are the fields of `graphseq.recipes.CharLMRecipe`, with the recipe's defaults.
"""

from __future__ import annotations

import dataclasses

__all__ = ["register", "run"]

# Recipe fields whose 0 on the command line means "none" (no clipping, one pass per epoch).
_ZERO_MEANS_NONE = ("grad_clip", "steps_per_epoch")


def register(subparsers) -> None:
    from ..recipes import CharLMRecipe

    parser = subparsers.add_parser(
        "train-lm",
        help="train a character-level LSTM language model (truncated BPTT, resumable)",
        description="Train a character-level language model on a text (default: Anna Karenina "
        "from the data directories). The last 10%% of the text is held out; its next-character "
        "accuracy and bits per character are printed at the end.",
    )
    parser.add_argument("--checkpoint", required=True, help="file for the training state")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--text", help="a text file (default: text/anna_karenina.txt)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    for field in dataclasses.fields(CharLMRecipe):
        default = field.default
        kind = {"int": int, "float": float, "str": str}.get(
            str(field.type).split(" |")[0], float if isinstance(default, float) else int
        )
        extra = " (0: none)" if field.name in _ZERO_MEANS_NONE else ""
        options = {"choices": ["lstm", "gru", "rnn"]} if field.name == "cell" else {}
        parser.add_argument(
            "--" + field.name.replace("_", "-"),
            type=kind,
            default=default,
            help=f"default {default}{extra}",
            **options,
        )
    parser.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..recipes import CharLMRecipe
    from ..sequences import load_text

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(CharLMRecipe)}
    for name in _ZERO_MEANS_NONE:
        values[name] = values[name] or None
    recipe = CharLMRecipe(**values)

    def report(trainer, record) -> None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "time"))
        print(f"epoch {record['epoch']}/{trainer.max_epochs} ({record['time']:.1f}s): {shown}")

    _, trainer, metrics = recipe.train(
        load_text(args.text),
        checkpoint=args.checkpoint,
        resume=args.resume,
        device=args.device,
        callbacks=[report],
    )
    print(json.dumps({"best_epoch": trainer.best_epoch_, **metrics}, indent=2))
    print(f"checkpoint: {args.checkpoint}")
    return 0
