"""Cora node embeddings side by side: DeepWalk, GCN hidden layer, GraphSAGE, WalkRNN.

Each model is trained once (seed 0) by its `graphseq.recipes` recipe (the ``graphseq bench``
entry), with two changes for the figure: the GCN and GraphSAGE hidden layers are 64 wide (the
recipes' 16 make a poor picture), and DeepWalk runs 10 walks per node with window 5 (the
recipe's 80 walks and window 10 take ~4 minutes for no visible gain). Each model's node
representations are projected to 2-D with t-SNE and coloured by class. The silhouette score of
the classes, computed on the representations themselves (Euclidean, all 2708 nodes), is printed
on each panel: higher means the classes form tighter, better separated groups.

    GRAPHSEQ_DATA=../shared/data PYTHONPATH=. python benchmarks/viz_cora_embeddings.py
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import matplotlib

matplotlib.use("Agg")
import common  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

import graphseq as gs  # noqa: E402
from graphseq.recipes import (  # noqa: E402
    DeepWalkRecipe,
    GCNRecipe,
    GraphSAGERecipe,
    WalkRNNRecipe,
    normalized_features,
)
from graphseq.viz import plot_embeddings  # noqa: E402

HIDDEN = 64  # the GCN / GraphSAGE hidden width of the figure


def deepwalk_embeddings(data, seed):
    recipe = DeepWalkRecipe()
    model = gs.DeepWalk(
        dimensions=recipe.dimensions, walk_length=recipe.walk_length, walks_per_node=10,
        window_size=5, workers=2, seed=seed, progress=False,
    )  # fmt: skip
    return model.fit(data).embeddings_


def hidden_layer(recipe, data, seed):
    """The hidden representation of the model ``recipe`` trains (best weights restored)."""
    model = dataclasses.replace(recipe, hidden_channels=HIDDEN).train(data, seed).model
    data = normalized_features(data)  # what the recipe trained on
    model.eval()
    with torch.no_grad():
        return model.embed(data.x, data.edge_index)


def walkrnn_embeddings(data, seed):
    recipe = WalkRNNRecipe()
    model = recipe.train(data, seed).model
    x = normalized_features(data).x
    # The representation the classifier reads: captured at its input for every node, on
    # fresh walks of the recipe's shape.
    starts = torch.arange(data.num_nodes).repeat_interleave(recipe.walks_per_node)
    walks = gs.random_walks(
        gs.CSRGraph.from_data(data), recipe.walk_length, 1, seed=seed, start_nodes=starts,
        dead_end="stay",
    )  # fmt: skip
    captured = []
    handle = model.classifier.register_forward_pre_hook(lambda m, args: captured.append(args[0]))
    model.eval()
    with torch.no_grad():
        model(x, walks.view(data.num_nodes, recipe.walks_per_node, recipe.walk_length))
    handle.remove()
    return captured[0]


PANELS = {
    "DeepWalk (128-d)": deepwalk_embeddings,
    f"GCN hidden layer ({HIDDEN}-d)": lambda data, seed: hidden_layer(GCNRecipe(), data, seed),
    f"GraphSAGE-mean hidden layer ({HIDDEN}-d)": lambda data, seed: hidden_layer(
        GraphSAGERecipe(aggr="mean"), data, seed
    ),
    "WalkRNN walk + node vector (128-d)": walkrnn_embeddings,
}


def render(summary: dict) -> str:
    lines = [
        "### Cora node representations (t-SNE), silhouette by class",
        "",
        "![Cora embeddings](cora_embeddings.png)",
        "",
        "| representation | silhouette | seconds |",
        "|---|---|---|",
    ]
    for name, panel in summary["panels"].items():
        lines.append(f"| {name} | {panel['silhouette']:.3f} | {panel['seconds']:.0f} |")
    return "\n".join([*lines, "", common.footer(summary)]) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="data directory (else $GRAPHSEQ_DATA)")
    parser.add_argument("--seed", type=int, default=0)
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    summary = {**common.start_run(args, argv), "settings": vars(args), "panels": {}}
    data = gs.load_dataset("Cora", args.root)
    figure, axes = plt.subplots(2, 2, figsize=(14, 12))
    for ax, (name, build) in zip(axes.flat, PANELS.items(), strict=True):
        start = time.perf_counter()
        embeddings = build(data, args.seed).float()
        silhouette = float(silhouette_score(embeddings.numpy(), data.y.numpy()))
        plot_embeddings(embeddings, data.y, "tsne", ax=ax, seed=args.seed, point_size=5,
                        title=f"{name}\nsilhouette by class {silhouette:.3f}")  # fmt: skip
        summary["panels"][name] = {
            "silhouette": silhouette,
            "seconds": time.perf_counter() - start,
        }
        print(f"{name}: silhouette {silhouette:.3f}", flush=True)
    figure.suptitle("Cora node representations (t-SNE), coloured by class", fontsize=14)
    figure.tight_layout()
    common.write_figure(figure, args.out, "cora_embeddings.png", dpi=110)
    common.write_results(args.out, "cora_embeddings", summary, render)
    print(f"wrote {args.out}/cora_embeddings.png, .json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
