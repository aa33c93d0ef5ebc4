import os
from pathlib import Path

import pytest
import torch

import graphseq
from graphseq.datasets import DatasetNotFoundError, dataset_table, load_dataset


def _snapshot(root: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def shared_snapshot(data_root):
    return _snapshot(data_root)


def test_shared_data_is_never_written(data_root, shared_snapshot, isolated_cache):
    load_dataset("Cora", data_root)
    load_dataset("MUTAG", data_root)
    assert _snapshot(data_root) == shared_snapshot
    assert list((isolated_cache / "processed").rglob("*.pt")), "processed files go to the cache"


@pytest.mark.parametrize(
    ("name", "nodes", "edges", "features", "classes", "split"),
    [
        ("Cora", 2708, 10556, 1433, 7, (140, 500, 1000)),
        ("CiteSeer", 3327, 9104, 3703, 6, (120, 500, 1000)),
    ],
)
def test_planetoid_counts(data_root, name, nodes, edges, features, classes, split):
    data = load_dataset(name, root=data_root)
    assert (data.num_nodes, data.num_edges, data.num_features) == (nodes, edges, features)
    assert int(data.y.max()) + 1 == classes
    counts = (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum()))
    assert counts == split


def test_environment_variable_is_searched(data_root, monkeypatch):
    monkeypatch.setenv("GRAPHSEQ_DATA", str(data_root))
    assert load_dataset("cora").num_nodes == 2708  # names are case-insensitive


def test_second_load_comes_from_cache(data_root, isolated_cache):
    first = load_dataset("Cora", data_root)
    cached = list((isolated_cache / "processed").rglob("data.pt"))
    assert len(cached) == 1
    second = load_dataset("Cora", data_root)
    assert torch.equal(first.x, second.x) and torch.equal(first.edge_index, second.edge_index)


def test_feature_options(data_root):
    data = load_dataset("Cora", data_root, normalize_features=True, sparse_features=True)
    assert data.x.is_sparse
    row_sums = torch.sparse.sum(data.x, dim=1).to_dense()
    assert torch.allclose(row_sums, torch.ones(2708))


def test_multilabel_mat_graph(data_root):
    data = load_dataset("BlogCatalog", data_root)
    assert data.num_nodes == 10312 and data.num_edges == 667966
    assert data.y.shape == (10312, 39) and data.y.dtype == torch.float32
    assert set(data.y.unique().tolist()) == {0.0, 1.0}
    assert bool((data.y.sum(1) >= 1).all())
    ppi = load_dataset("PPI-node2vec", data_root)
    assert ppi.y.shape == (3890, 50) and ppi.num_edges == 76584


def test_tu_dataset_and_degree_features(data_root):
    mutag = load_dataset("MUTAG", data_root)
    assert len(mutag) == 188 and mutag.num_classes == 2 and mutag.num_node_features == 7
    imdb = load_dataset("IMDB-BINARY", data_root)
    assert len(imdb) == 1000
    graph = imdb[0]
    assert graph.x is not None and graph.x.size(0) == graph.num_nodes
    assert torch.equal(graph.x.sum(1), torch.ones(graph.num_nodes))  # one-hot degree


def test_tu_node_attributes_are_appended_to_the_labels(data_root):
    labels_only = load_dataset("ENZYMES", data_root)
    with_attributes = load_dataset("ENZYMES", data_root, node_attributes=True)
    assert labels_only.num_node_features == 3
    assert with_attributes.num_node_features == 21  # 18 continuous attributes + 3 labels
    first, second = labels_only[0].x, with_attributes[0].x
    assert torch.equal(second[:, 18:], first)  # PyG puts the attributes first
    # The first node's attributes as written in the raw file.
    raw = data_root / "TUDataset/ENZYMES/raw/ENZYMES_node_attributes.txt"
    values = [float(v) for v in raw.read_text().splitlines()[0].split(",")]
    assert second[0, :18].tolist() == pytest.approx(values)
    with pytest.raises(ValueError, match="MUTAG has no continuous node attributes"):
        load_dataset("MUTAG", data_root, node_attributes=True)
    with pytest.raises(ValueError, match="graph \\(TU\\) datasets only"):
        load_dataset("Cora", data_root, node_attributes=True)


def test_tu_degree_features_are_appended_one_hot(data_root):
    from torch_geometric.utils import degree

    labels_only = load_dataset("MUTAG", data_root)
    with_degrees = load_dataset("MUTAG", data_root, degree_features=True)
    assert with_degrees.num_node_features == 7 + 5  # degrees 0..4 (MUTAG: at most 4)
    for i in (0, 100):
        graph, x = labels_only[i], with_degrees[i].x
        assert torch.equal(x[:, :7], graph.x)
        expected = degree(graph.edge_index[0], graph.num_nodes).long()
        assert torch.equal(x[:, 7:].argmax(1), expected)
        assert torch.equal(x[:, 7:].sum(1), torch.ones(graph.num_nodes))
    # After the continuous attributes and labels; a featureless dataset is unchanged by it.
    both = load_dataset("ENZYMES", data_root, node_attributes=True, degree_features=True)
    assert both.num_node_features > 21
    assert torch.equal(
        both[0].x[:, :21], load_dataset("ENZYMES", data_root, node_attributes=True)[0].x
    )
    imdb = load_dataset("IMDB-BINARY", data_root)
    assert torch.equal(load_dataset("IMDB-BINARY", data_root, degree_features=True)[3].x, imdb[3].x)
    with pytest.raises(ValueError, match="graph \\(TU\\) datasets only"):
        load_dataset("Cora", data_root, degree_features=True)


def test_missing_files_error_names_dataset_files_and_dirs(data_root):
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("PubMed", root=data_root)
    text = str(info.value)
    assert "dataset 'PubMed' is not available offline" in text
    assert "Planetoid/PubMed/raw/ind.pubmed.allx" in text
    assert str(data_root) in text and "0/8 files" in text
    assert "GRAPHSEQ_DATA" in text


def test_missing_everything_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHSEQ_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError, match=r"(?s)'Cora'.*ind.cora.x.*" + str(tmp_path)):
        load_dataset("Cora", root=tmp_path)


def test_unknown_name_lists_known():
    with pytest.raises(
        ValueError, match=r"unknown dataset 'Coraa'. Did you mean 'Cora'\?.*BlogCatalog"
    ):
        load_dataset("Coraa")


def test_karate_club_split():
    data = load_dataset("KarateClub")
    assert data.num_nodes == 34
    masks = data.train_mask.int() + data.val_mask.int() + data.test_mask.int()
    assert bool((masks == 1).all())
    assert int(data.train_mask.sum()) == 4


def test_synthetic_is_seeded_and_homophilous():
    a = graphseq.make_community_graph(num_nodes=200, seed=3)
    b = load_dataset("Synthetic", num_nodes=200, seed=3)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x)
    c = graphseq.make_community_graph(num_nodes=200, seed=4)
    assert not torch.equal(a.edge_index, c.edge_index)
    src, dst = a.edge_index
    assert float((a.y[src] == a.y[dst]).float().mean()) > 0.7
    with pytest.raises(ValueError, match="p_in must be a probability"):
        graphseq.make_community_graph(p_in=2.0)


def test_dataset_table_reports_availability(data_root):
    rows = {r["name"]: r for r in dataset_table(data_root)}
    assert rows["Cora"]["available"] and not rows["PubMed"]["available"]
    assert rows["KarateClub"]["where"] == "built in"
    assert os.path.samefile(rows["DD"]["where"], data_root)
