"""The DeepWalk Karate Club figure: the graph coloured by community beside its 2-D embedding.

As in Perozzi et al. 2014 (Figure 1), DeepWalk learns 2-dimensional embeddings directly, so the
right panel is the embedding itself, not a projection. Communities are the 4 of PyG's Karate Club.
The silhouette score of the communities in the embedding is printed on the panel. Walks: the
DeepWalk recipe's (`graphseq.recipes.DeepWalkRecipe`: 80 walks of 40 nodes per node); window 5
on this 34-node graph.

    PYTHONPATH=. python benchmarks/viz_karate_deepwalk.py
"""

from __future__ import annotations

import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import common  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

from graphseq import load_dataset  # noqa: E402
from graphseq.models import DeepWalk  # noqa: E402
from graphseq.recipes import DeepWalkRecipe  # noqa: E402
from graphseq.viz import plot_embeddings  # noqa: E402

RECIPE = DeepWalkRecipe()


def render(summary: dict) -> str:
    return (
        "### DeepWalk on Zachary's karate club (2-dimensional embedding)\n\n"
        "![karate club and its DeepWalk embedding](karate_deepwalk.png)\n\n"
        f"Silhouette of the 4 communities in the embedding: "
        f"{summary['silhouette_by_community']:.3f}.\n\n{common.footer(summary)}\n"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--walks-per-node", type=int, default=RECIPE.walks_per_node)
    parser.add_argument("--walk-length", type=int, default=RECIPE.walk_length)
    parser.add_argument("--window-size", type=int, default=5)
    common.add_run_arguments(parser)
    args = parser.parse_args(argv)
    summary = {**common.start_run(args, argv), "settings": vars(args)}

    data = load_dataset("KarateClub")
    names = [f"community {c}" for c in range(int(data.y.max()) + 1)]
    model = DeepWalk(
        dimensions=2,
        walk_length=args.walk_length,
        walks_per_node=args.walks_per_node,
        window_size=args.window_size,
        workers=1,
        seed=args.seed,
        progress=False,
    ).fit(data)
    embeddings = model.embeddings_
    silhouette = float(silhouette_score(embeddings.numpy(), data.y.numpy()))

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    graph = nx.Graph()
    graph.add_nodes_from(range(data.num_nodes))
    graph.add_edges_from(data.edge_index.t().tolist())
    layout = nx.spring_layout(graph, seed=args.seed)
    cmap = plt.get_cmap("tab10")
    colours = [cmap(int(c)) for c in data.y]
    nx.draw_networkx_edges(graph, layout, ax=left, alpha=0.3)
    nx.draw_networkx_nodes(graph, layout, ax=left, node_color=colours, node_size=220)
    nx.draw_networkx_labels(graph, layout, ax=left, font_size=7)
    left.set_title("Zachary's karate club, coloured by community")
    left.axis("off")
    plot_embeddings(
        embeddings, data.y, method="pca", class_names=names, ax=right, seed=args.seed,
        title=f"DeepWalk, 2 dimensions (silhouette {silhouette:.2f})",
    )  # fmt: skip
    right.set_xlabel("dimension 1")
    right.set_ylabel("dimension 2")
    figure.tight_layout()
    common.write_figure(figure, args.out, "karate_deepwalk.png", dpi=130)
    summary["silhouette_by_community"] = silhouette
    common.write_results(args.out, "karate_deepwalk", summary, render)
    print(f"silhouette {silhouette:.3f}; wrote {args.out}/karate_deepwalk.png, .json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
