"""``graphseq generate``: continue a prompt with a character-level language model."""

from __future__ import annotations

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from ..models.char_rnn import STRATEGIES

    parser = subparsers.add_parser(
        "generate", help="continue a prompt with a character-level language model"
    )
    parser.add_argument("--checkpoint", required=True, help="a checkpoint from train-lm")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--strategy", default="top-k", choices=STRATEGIES)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--k", type=int, default=5, help="candidates for top-k sampling")
    parser.add_argument("--length", type=int, default=300, help="characters to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..models.char_rnn import CharRNN, generate

    model = CharRNN.from_checkpoint(args.checkpoint)
    text = generate(
        model,
        args.prompt,
        args.length,
        strategy=args.strategy,
        temperature=args.temperature,
        top_k=args.k,
        seed=args.seed,
    )
    print(args.prompt + text)
    return 0
