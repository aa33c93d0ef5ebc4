"""The ``graphseq`` command.

Each sub-command is a ``register_<name>(subparsers)`` function below that adds its parser and
sets ``func`` to the function that runs it; the work itself lives in the library modules.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main", "build_parser"]


def _run_datasets(args) -> int:
    from .datasets import data_search_dirs, dataset_table

    rows = dataset_table(args.root)
    width = max(len(r["name"]) for r in rows)
    print(f"{'name':<{width}}  kind   task        available  description")
    for r in rows:
        mark = "yes" if r["available"] else "no"
        print(
            f"{r['name']:<{width}}  {r['kind']:<5}  {r['task']:<10}  {mark:<9}  {r['description']}"
        )
    print("\ndata directories searched, in order:")
    for why, directory in data_search_dirs(args.root):
        print(f"  {directory}  ({why})")
    return 0


def register_datasets(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="list datasets and whether each is available")
    parser.add_argument("--root", help="data directory to search first")
    parser.set_defaults(func=_run_datasets)


def _run_bench(args) -> int:
    from .bench import run_bench_command

    return run_bench_command(args)


def register_bench(subparsers) -> None:
    from .bench import add_bench_arguments

    parser = subparsers.add_parser(
        "bench", help="node-classification benchmark with published numbers beside ours"
    )
    add_bench_arguments(parser)
    parser.set_defaults(func=_run_bench)


_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _viz_embeddings(args, data):
    """Embeddings from ``--embeddings FILE`` or trained on the fly with ``--model``."""
    import torch

    if args.embeddings:
        from .models import load_embeddings

        embeddings = load_embeddings(args.embeddings, num_nodes=None)
        if embeddings.size(0) != data.num_nodes:
            raise ValueError(
                f"{args.embeddings} has {embeddings.size(0)} rows but {args.dataset} has "
                f"{data.num_nodes} nodes; were these embeddings computed on another dataset?"
            )
        return embeddings, f"embeddings from {args.embeddings}"
    if args.model == "deepwalk":
        from .models import DeepWalk

        model = DeepWalk(walks_per_node=args.walks_per_node, seed=args.seed, progress=None)
        return model.fit(data).embeddings_, f"DeepWalk ({args.walks_per_node} walks per node)"
    if args.model == "gcn":
        from .models import GCN
        from .seed import seed_everything
        from .train import NodeClassificationTask, Trainer

        if data.x is None or getattr(data, "train_mask", None) is None:
            raise ValueError(
                f"--model gcn needs node features and a split; {args.dataset} lacks them."
            )
        seed_everything(args.seed)
        classes = int(data.y.max()) + 1
        model = GCN(data.num_features, 16, classes, cached=True)
        Trainer(
            model, NodeClassificationTask(data), max_epochs=200, patience=10, seed=args.seed
        ).fit()
        model.eval()
        with torch.no_grad():
            return model.embed(data.x, data.edge_index), "GCN hidden layer"
    raise ValueError("give --embeddings FILE or --model deepwalk|gcn.")


def _run_viz(args) -> int:
    from pathlib import Path

    from .datasets import load_dataset
    from .viz import METHODS, embedding_html, plot_embeddings

    if args.method not in METHODS:
        raise ValueError(f"unknown method {args.method!r}; choose one of {', '.join(METHODS)}.")
    out = Path(args.out)
    if out.suffix.lower() not in (*_FIGURE_SUFFIXES, ".html"):
        raise ValueError(f"--out must end in .png, .svg, .pdf or .html, got {out.name!r}.")
    if args.embeddings and not Path(args.embeddings).is_file():
        raise FileNotFoundError(f"no embeddings file at {args.embeddings}.")
    data = load_dataset(args.dataset, args.root)
    if not hasattr(data, "num_nodes") or not hasattr(data, "edge_index"):
        raise ValueError(
            f"{args.dataset} is a graph-classification dataset; viz needs node labels."
        )
    embeddings, what = _viz_embeddings(args, data)
    title = args.title or f"{what}, {args.dataset}"
    options = {"label_index": args.label_index, "seed": args.seed}
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".html":
        embedding_html(embeddings, out, data.y, args.method, title=title, **options)
    else:
        figure = plot_embeddings(embeddings, data.y, args.method, title=title, **options)
        figure.savefig(out, dpi=args.dpi, bbox_inches="tight")
    print(f"wrote {out}")
    return 0


def register_viz(subparsers) -> None:
    parser = subparsers.add_parser(
        "viz", help="plot embeddings coloured by class (PNG/SVG/PDF or interactive HTML)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--embeddings", help="embedding file (.emb word2vec text, .npy or .pt)")
    source.add_argument("--model", help="train on the fly: deepwalk or gcn (its hidden layer)")
    parser.add_argument("--dataset", required=True, help="dataset whose labels colour the points")
    parser.add_argument("--root", help="data directory to search first")
    parser.add_argument("--method", default="tsne", help="tsne (default), pca or umap")
    parser.add_argument("--label-index", type=int, help="for multi-label data: label to colour by")
    parser.add_argument("--out", required=True, help="output file: .png, .svg, .pdf or .html")
    parser.add_argument("--title", help="figure title")
    parser.add_argument("--seed", type=int, default=0, help="seeds the layout and on-the-fly model")
    parser.add_argument("--walks-per-node", type=int, default=10, help="for --model deepwalk")
    parser.add_argument("--dpi", type=int, default=150)
    parser.set_defaults(func=_run_viz)


def _run_train_lm(args) -> int:
    import json

    from .models.char_rnn import train_char_rnn
    from .sequences import load_text

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    def report(trainer, record) -> None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "time"))
        print(f"epoch {record['epoch']}/{trainer.max_epochs} ({record['time']:.1f}s): {shown}")

    _, trainer, metrics = train_char_rnn(
        load_text(args.text),
        checkpoint=args.checkpoint,
        resume=args.resume,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        cell=args.cell,
        embedding_dim=args.embedding_dim,
        dropout=args.dropout,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch or None,
        epochs=args.epochs,
        lr=args.lr,
        grad_clip=args.grad_clip or None,
        seed=args.seed,
        device=args.device,
        callbacks=[report],
    )
    print(json.dumps({"best_epoch": trainer.best_epoch_, **metrics}, indent=2))
    print(f"checkpoint: {args.checkpoint}")
    return 0


def register_train_lm(subparsers) -> None:
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
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--hidden-size", type=int, default=512)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--seq-len", type=int, default=100, help="TBPTT window")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--steps-per-epoch", type=int, default=100, help="TBPTT steps per epoch (0: one pass)"
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--grad-clip", type=float, default=5.0, help="0 disables clipping")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.set_defaults(func=_run_train_lm)


def _run_generate(args) -> int:
    from .models.char_rnn import CharRNN, generate

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


def register_generate(subparsers) -> None:
    from .models.char_rnn import STRATEGIES

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
    parser.set_defaults(func=_run_generate)


def _run_embed(args) -> int:
    from .embed import run_embed_command

    return run_embed_command(args)


def register_embed(subparsers) -> None:
    from .embed import add_embed_arguments

    parser = subparsers.add_parser(
        "embed", help="DeepWalk / node2vec embeddings of a dataset, saved to a file"
    )
    add_embed_arguments(parser)
    parser.set_defaults(func=_run_embed)


# Sub-commands, in the order `graphseq --help` lists them.
REGISTER = [
    register_bench,
    register_datasets,
    register_embed,
    register_generate,
    register_train_lm,
    register_viz,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphseq", description="Classic graph learning on PyTorch Geometric."
    )
    parser.add_argument("--version", action="version", version=f"graphseq {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTER:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError, KeyError) as error:
        # Bad input: one clear message, no traceback (set GRAPHSEQ_DEBUG=1 to see it).
        import os

        if os.environ.get("GRAPHSEQ_DEBUG"):
            raise
        print(f"graphseq {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
