import numpy as np
import pytest
import torch

from graphseq.viz import embedding_html, plot_embeddings, plot_history, project_2d


@pytest.fixture()
def clusters():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 3
    embeddings = torch.randn(60, 8, generator=generator) + 4 * torch.eye(8)[labels]
    return embeddings, labels


def test_projection_is_seeded(clusters):
    embeddings, _ = clusters
    a = project_2d(embeddings, "tsne", seed=1)
    assert a.shape == (60, 2)
    assert np.allclose(a, project_2d(embeddings, "tsne", seed=1))
    assert project_2d(embeddings, "pca").shape == (60, 2)


def test_plot_colours_by_class_with_names(clusters):
    embeddings, labels = clusters
    figure = plot_embeddings(embeddings, labels, "pca", class_names=["a", "b", "c"])
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colours) == 3
    assert len(ax.texts) == 60  # node ids on small graphs


def test_multilabel_needs_a_label_index(clusters):
    embeddings, labels = clusters
    multi = torch.nn.functional.one_hot(labels, 3).float()
    with pytest.raises(ValueError, match="pass label_index"):
        plot_embeddings(embeddings, multi, "pca")
    figure = plot_embeddings(embeddings, multi, "pca", label_index=2, class_names=["x", "y", "z"])
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["not z", "z"]


def test_bad_inputs_are_clear(clusters):
    embeddings, labels = clusters
    with pytest.raises(ValueError, match="unknown method 'isomap'; choose one of tsne, pca, umap"):
        plot_embeddings(embeddings, labels, "isomap")
    with pytest.raises(ValueError, match="labels has 59 rows but there are 60 embeddings"):
        plot_embeddings(embeddings, labels[:59], "pca")
    with pytest.raises(ValueError, match="NaN or infinite"):
        project_2d(torch.full((5, 3), float("nan")), "pca")


def test_umap_missing_is_explained(clusters, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_umap(name, *args, **kwargs):
        if name == "umap":
            raise ImportError("no umap")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_umap)
    with pytest.raises(ImportError, match="pip install umap-learn"):
        project_2d(clusters[0], "umap")


def test_html_is_self_contained_with_hover_text(clusters, tmp_path):
    embeddings, labels = clusters
    path = embedding_html(
        embeddings, tmp_path / "e.html", labels, "pca", class_names=["a", "b", "c"]
    )
    text = open(path).read()
    assert text.count("<circle") == 60
    assert "<title>node 4: b</title>" in text
    assert "http" not in text and "<script" not in text


def test_history_plot():
    history = [
        {"epoch": i, "loss": 1 / i, "val_loss": 1.2 / i, "train_acc": 0.5, "val_acc": 0.4}
        for i in range(1, 6)
    ]
    figure = plot_history(history)
    left, right = figure.axes
    assert {line.get_label() for line in left.lines} == {"loss (training batches)", "val_loss"}
    assert {line.get_label() for line in right.lines} == {"train_acc", "val_acc"}
    with pytest.raises(ValueError, match="history is empty"):
        plot_history([])
    with pytest.raises(ValueError, match=r"metrics \['test_acc'\] are not in the history"):
        plot_history(history, metrics=["test_acc"])
