"""``graphseq viz``: plot embeddings coloured by class (PNG/SVG/PDF or interactive HTML)."""

from __future__ import annotations

from pathlib import Path

from .common import CommandError

__all__ = ["FIGURE_SUFFIXES", "register", "run"]

FIGURE_SUFFIXES = (".png", ".svg", ".pdf", ".html")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "viz", help="plot embeddings coloured by class (PNG/SVG/PDF or interactive HTML)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--embeddings", help="embedding file (.emb word2vec text, .npy or .pt)")
    source.add_argument("--model", help="train on the fly: deepwalk or gcn (its hidden layer)")
    parser.add_argument(
        "--dataset", required=True, help="dataset (name or path) whose labels colour the points"
    )
    parser.add_argument(
        "--class-names", help="comma-separated names of the classes 0, 1, ... for the legend"
    )
    parser.add_argument("--root", help="data directory to search first")
    parser.add_argument("--method", default="tsne", help="tsne (default), pca or umap")
    parser.add_argument("--label-index", type=int, help="for multi-label data: label to colour by")
    parser.add_argument("--out", required=True, help="output file: .png, .svg, .pdf or .html")
    parser.add_argument("--title", help="figure title")
    parser.add_argument("--seed", type=int, default=0, help="seeds the layout and on-the-fly model")
    parser.add_argument("--walks-per-node", type=int, default=10, help="for --model deepwalk")
    parser.add_argument("--dpi", type=int, default=150)
    parser.set_defaults(func=run)


def embeddings_of(args, data):
    """Embeddings from ``--embeddings FILE`` or trained on the fly with ``--model``, and what
    they are (for the title)."""
    import torch

    if args.embeddings:
        from ..models import load_embeddings

        embeddings = load_embeddings(args.embeddings, num_nodes=None)
        if embeddings.size(0) != data.num_nodes:
            raise CommandError(
                f"{args.embeddings} has {embeddings.size(0)} rows but {args.dataset} has "
                f"{data.num_nodes} nodes; were these embeddings computed on another dataset?"
            )
        return embeddings, f"embeddings from {Path(args.embeddings).name}"
    if args.model == "deepwalk":
        from ..models import DeepWalk

        model = DeepWalk(walks_per_node=args.walks_per_node, seed=args.seed)
        return model.fit(data).embeddings_, f"DeepWalk ({args.walks_per_node} walks per node)"
    if args.model == "gcn":
        from ..recipes import GCNRecipe

        if data.x is None or getattr(data, "train_mask", None) is None:
            raise CommandError(
                f"--model gcn needs node features and a split; {args.dataset} lacks them."
            )
        trainer = GCNRecipe().train(data, args.seed)
        model, task = trainer.model.eval(), trainer.task
        with torch.no_grad():
            return model.embed(task.x, task.edge_index), "GCN hidden layer"
    raise CommandError("give --embeddings FILE or --model deepwalk|gcn.")


def run(args) -> int:
    from ..datasets import is_graph_collection, load_dataset
    from ..viz import METHODS, embedding_html, plot_embeddings

    if args.method not in METHODS:
        raise CommandError(f"unknown method {args.method!r}; choose one of {', '.join(METHODS)}.")
    if args.method == "umap":
        try:
            import umap  # noqa: F401
        except ImportError as error:
            raise CommandError(
                "--method umap needs the optional umap-learn package: pip install umap-learn "
                "(or use --method tsne or pca)."
            ) from error
    out = Path(args.out)
    if out.suffix.lower() not in FIGURE_SUFFIXES:
        raise CommandError(f"--out must end in .png, .svg, .pdf or .html, got {out.name!r}.")
    if args.embeddings and not Path(args.embeddings).is_file():
        raise CommandError(f"no embeddings file at {args.embeddings}.")
    data = load_dataset(args.dataset, args.root)
    if is_graph_collection(data):
        raise CommandError(
            f"{args.dataset} is a graph-classification dataset ({len(data)} graphs); viz plots "
            "the nodes of one graph."
        )
    embeddings, what = embeddings_of(args, data)
    method = {"tsne": "t-SNE", "pca": "PCA", "umap": "UMAP"}[args.method]
    title = args.title or f"{what}: {method} of {Path(args.dataset).name}"
    options = {
        "label_index": args.label_index,
        "seed": args.seed,
        "node_ids": getattr(data, "node_ids", None),
        "class_names": args.class_names.split(",") if args.class_names else None,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".html":
        embedding_html(embeddings, out, data.y, args.method, title=title, **options)
    else:
        figure = plot_embeddings(embeddings, data.y, args.method, title=title, **options)
        figure.savefig(out, dpi=args.dpi, bbox_inches="tight")
    print(f"wrote {out}")
    return 0
