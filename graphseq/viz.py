"""Pictures of what was learned: 2-D embedding scatter plots and training curves.

* `project_2d` reduces ``[N, D]`` embeddings to ``[N, 2]`` with t-SNE, PCA or UMAP (seeded).
* `plot_embeddings` draws them coloured by class, with a legend of class names.
* `embedding_html` writes the same scatter as one self-contained HTML file (inline SVG;
  hovering a point shows its node id and label; no server, no network, no JavaScript library).
* `plot_history` draws a `Trainer`'s per-epoch history.

matplotlib is imported lazily and always with the non-interactive ``Agg`` backend unless the user
already chose one, so plotting works on machines without a display.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence

import numpy as np
import torch

from .progress import stage

__all__ = ["METHODS", "embedding_html", "plot_embeddings", "plot_history", "project_2d"]

METHODS = ("tsne", "pca", "umap")


def _pyplot():
    import matplotlib

    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _as_numpy(embeddings) -> np.ndarray:
    if isinstance(embeddings, torch.Tensor):
        embeddings = embeddings.detach().cpu()
        embeddings = embeddings.to_dense() if embeddings.is_sparse else embeddings
        embeddings = embeddings.float().numpy()
    array = np.asarray(embeddings, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < 2:
        raise ValueError(
            f"embeddings must have shape [num_nodes >= 2, dimensions], got {list(array.shape)}."
        )
    if not np.isfinite(array).all():
        raise ValueError("embeddings contain NaN or infinite values; cannot project them.")
    return array


def project_2d(
    embeddings,
    method: str = "tsne",
    seed: int = 0,
    perplexity: float = 30.0,
    progress: bool | None = None,
):
    """Reduce ``embeddings [N, D]`` to ``[N, 2]`` (a NumPy array).

    ``"tsne"`` and ``"pca"`` use scikit-learn; ``"umap"`` needs the optional ``umap-learn``
    package (``pip install "graphseq[umap]"``). Embeddings that are already 2-D are returned as
    they are. The same ``seed`` gives the same layout. t-SNE and UMAP take up to a minute on a few
    thousand points: a line says when they start and end (``progress=False``: silent).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    array = _as_numpy(embeddings)
    if array.shape[1] == 2:
        return array
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(array)
    if method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        # t-SNE needs perplexity < number of points; small graphs (Karate Club) get a smaller one.
        perplexity = min(perplexity, max(2.0, (array.shape[0] - 1) / 3))
        tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
        # On small inputs threads cost more than they give (20x slower on a busy 2-core machine).
        with (
            threadpool_limits(1 if array.shape[0] < 2000 else None),
            stage(f"t-SNE of {array.shape[0]} embeddings", progress),
        ):
            return tsne.fit_transform(array)
    try:
        import umap
    except ImportError as error:
        raise ImportError(
            "method='umap' needs the optional umap-learn package: pip install umap-learn "
            "(or use method='tsne' or 'pca')."
        ) from error
    with stage(f"UMAP of {array.shape[0]} embeddings", progress):
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(array)


def _node_names(node_ids, num_nodes: int) -> list[str]:
    """The text of every node's id: its original id, else its row number."""
    if node_ids is None:
        return [str(i) for i in range(num_nodes)]
    ids = node_ids.tolist() if isinstance(node_ids, torch.Tensor) else list(node_ids)
    if len(ids) != num_nodes:
        raise ValueError(f"node_ids has {len(ids)} entries for {num_nodes} embeddings.")
    return [str(i) for i in ids]


def _labels_for_colour(labels, num_nodes: int, label_index: int | None) -> np.ndarray | None:
    """Class id per node; for multi-hot labels ``[N, L]``, 1/0 membership of ``label_index``."""
    if labels is None:
        return None
    labels = (
        labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    )
    if labels.shape[0] != num_nodes:
        raise ValueError(
            f"labels has {labels.shape[0]} rows but there are {num_nodes} embeddings; "
            "give one label per embedded node."
        )
    if labels.ndim == 2:
        if label_index is None:
            raise ValueError(
                "labels are multi-label [N, L]: pass label_index=... to colour by one label."
            )
        if not 0 <= label_index < labels.shape[1]:
            raise ValueError(f"label_index must be in [0, {labels.shape[1]}), got {label_index}.")
        return (labels[:, label_index] > 0).astype(int)
    return labels.astype(int)


def _class_names(classes: np.ndarray, class_names, multilabel_index: int | None) -> list[str]:
    if multilabel_index is not None:
        name = (
            class_names[multilabel_index]
            if class_names is not None
            else f"label {multilabel_index}"
        )
        return [f"not {name}", str(name)]
    if class_names is None:
        return [f"class {c}" for c in classes]
    return [str(class_names[c]) if c < len(class_names) else f"class {c}" for c in classes]


def plot_embeddings(
    embeddings,
    labels=None,
    method: str = "tsne",
    *,
    class_names: Sequence[str] | None = None,
    label_index: int | None = None,
    show_ids: bool | None = None,
    node_ids=None,
    seed: int = 0,
    title: str | None = None,
    ax=None,
    point_size: float | None = None,
    progress: bool | None = None,
):
    """Scatter plot of embeddings projected to 2-D, coloured by class.

    Args:
        embeddings: ``[N, D]`` tensor or array (row i = node i).
        labels: ``[N]`` class ids, ``[N, L]`` multi-hot (then ``label_index`` picks the label to
            colour by), or None for one colour.
        method: ``"tsne"``, ``"pca"`` or ``"umap"`` (see `project_2d`).
        class_names: names for the legend, indexed by class id.
        show_ids: write node ids beside the points; default only for graphs of <= 60 nodes.
        node_ids: the original id of every row (e.g. ``data.node_ids`` or a DeepWalk's
            ``node_ids_``), written instead of the row numbers.
        seed: seeds the layout.
        ax: draw into this matplotlib axis instead of a new figure.

    Returns:
        the matplotlib ``Figure``.
    """
    points = project_2d(embeddings, method, seed, progress=progress)
    num_nodes = points.shape[0]
    id_texts = _node_names(node_ids, num_nodes)
    colours = _labels_for_colour(labels, num_nodes, label_index)
    plt = _pyplot()
    if ax is None:
        figure, ax = plt.subplots(figsize=(7, 6))
    else:
        figure = ax.figure
    size = point_size or (60 if num_nodes <= 100 else 12 if num_nodes <= 3000 else 4)
    if colours is None:
        ax.scatter(points[:, 0], points[:, 1], s=size, color="tab:blue", linewidths=0)
    else:
        classes = np.unique(colours)
        names = _class_names(classes, class_names, label_index)
        cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
        for i, (c, name) in enumerate(zip(classes, names, strict=True)):
            chosen = colours == c
            ax.scatter(
                points[chosen, 0], points[chosen, 1], s=size, color=cmap(i % cmap.N),
                label=name, linewidths=0, alpha=0.85,
            )  # fmt: skip
        # Outside the axes, so the legend never hides points.
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
            markerscale=max(1.0, 30 / size) ** 0.5,
        )  # fmt: skip
    if show_ids is None:
        show_ids = num_nodes <= 60
    if show_ids:
        for text, (x, y) in zip(id_texts, points, strict=True):
            ax.annotate(text, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_title(
        title or f"{method.upper() if method != 'tsne' else 't-SNE'} of {num_nodes} embeddings"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    figure.tight_layout()
    return figure


def embedding_html(
    embeddings,
    path: str | os.PathLike,
    labels=None,
    method: str = "tsne",
    *,
    class_names: Sequence[str] | None = None,
    label_index: int | None = None,
    node_ids=None,
    seed: int = 0,
    title: str = "graphseq embeddings",
    size: int = 720,
    progress: bool | None = None,
) -> str:
    """Write an interactive scatter as one self-contained HTML file and return its path.

    Each point is an SVG circle whose tooltip (shown on hover by the browser itself) gives the
    node id and its label; the file references nothing outside itself.
    """
    points = project_2d(embeddings, method, seed, progress=progress)
    colours = _labels_for_colour(labels, points.shape[0], label_index)
    node_names = _node_names(node_ids, points.shape[0])
    low, high = points.min(0), points.max(0)
    scale = (size - 40) / np.maximum(high - low, 1e-12)
    xy = (points - low) * scale + 20
    plt = _pyplot()
    palette = plt.get_cmap("tab10" if colours is None or len(np.unique(colours)) <= 10 else "tab20")
    classes = np.unique(colours) if colours is not None else np.array([0])
    names = dict(
        zip(classes, _class_names(classes, class_names, label_index), strict=True)
        if colours is not None
        else [(0, "")]
    )
    index = {c: i for i, c in enumerate(classes)}
    circles = []
    for node, (x, y) in enumerate(xy):
        c = colours[node] if colours is not None else 0
        r, g, b, _ = palette(index[c] % palette.N)
        tip = f"node {node_names[node]}" + (f": {names[c]}" if colours is not None else "")
        circles.append(
            f'<circle cx="{x:.1f}" cy="{size - y:.1f}" r="4" '
            f'fill="rgb({int(255 * r)},{int(255 * g)},{int(255 * b)})">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    legend = "".join(
        f'<li><span style="background:rgb({",".join(str(int(255 * v)) for v in palette(index[c] % palette.N)[:3])})"></span>'
        f"{html.escape(names[c])}</li>"
        for c in classes
        if colours is not None
    )
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 20px; display: flex; gap: 24px; }}
svg {{ border: 1px solid #ccc; }} circle:hover {{ stroke: #000; stroke-width: 2; }}
ul {{ list-style: none; padding: 0; font-size: 14px; }}
li span {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; }}
</style></head><body>
<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img">{"".join(circles)}</svg>
<div><h3>{html.escape(title)}</h3><p>{method} projection of {len(xy)} nodes; hover a point for
its node id and label.</p><ul>{legend}</ul></div>
</body></html>
"""
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(document)
    return path


def plot_history(
    history: Sequence[dict], metrics: Sequence[str] | None = None, title: str | None = None
):
    """Training curves from ``Trainer.history_``: the loss on the left, the other metrics on the
    right (by default every ``*_acc`` key, e.g. train and validation accuracy).

    Returns the matplotlib ``Figure``.
    """
    if not history:
        raise ValueError("history is empty: train for at least one epoch first.")
    keys = set().union(*history)
    if metrics is None:
        metrics = sorted(k for k in keys if k.endswith("_acc"))
    missing = [m for m in metrics if m not in keys]
    if missing:
        raise ValueError(f"metrics {missing} are not in the history; it has {sorted(keys)}.")
    epochs = [record.get("epoch", i + 1) for i, record in enumerate(history)]
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key in sorted(k for k in keys if k == "loss" or k.endswith("_loss")):
        label = "loss (training batches)" if key == "loss" else key
        left.plot(epochs, [r.get(key, np.nan) for r in history], label=label)
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend(frameon=False)
    for key in metrics:
        right.plot(epochs, [r.get(key, np.nan) for r in history], label=key)
    right.set_xlabel("epoch")
    right.set_ylabel("metric")
    if metrics:
        right.legend(frameon=False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
