"""Users' own graphs: every input keeps its node ids and weights; the cache is never stale."""

from __future__ import annotations

import gzip
import shutil

import networkx as nx
import numpy as np
import pytest
import scipy.io as sio
import scipy.sparse as sp
import torch

import graphseq as gs
from graphseq.datasets import RawFileError
from graphseq.io import edge_weights, from_networkx, read_edgelist, read_mat

DEEPWALK = {"dimensions": 8, "walk_length": 8, "walks_per_node": 20, "window_size": 3}


def _two_cliques(first, second):
    graph = nx.Graph()
    graph.add_edges_from(nx.complete_graph(first).edges)
    graph.add_edges_from(nx.complete_graph(second).edges)
    return graph


def _check_rows_follow_ids(model, groups):
    """Each id's nearest other embedding (cosine) is an id of its own clique."""
    ids = [
        str(i)
        for i in (model.node_ids_.tolist() if torch.is_tensor(model.node_ids_) else model.node_ids_)
    ]
    z = torch.nn.functional.normalize(model.embeddings_, dim=1)
    similarity = z @ z.t()
    similarity.fill_diagonal_(-2)
    group_of = {str(node): g for g, members in enumerate(groups) for node in members}
    for row, node in enumerate(ids):
        nearest = ids[int(similarity[row].argmax())]
        assert group_of[nearest] == group_of[node], (node, nearest)


def test_networkx_ids_in_any_order_are_the_rows():
    # Cliques {0, 2, 4, 6, 8} and {1, 3, 5, 7, 9}, nodes added in a shuffled order.
    graph = nx.Graph()
    graph.add_nodes_from([7, 2, 9, 0, 4, 1, 8, 3, 6, 5])
    graph.add_edges_from(_two_cliques([0, 2, 4, 6, 8], [1, 3, 5, 7, 9]).edges)
    csr = gs.as_csr(graph)
    assert csr.node_ids is None  # ids 0..N-1 in any order: row i is node i
    for node in graph:
        assert sorted(csr.neighbors(node).tolist()) == sorted(graph[node])
    model = gs.DeepWalk(**DEEPWALK, seed=0, workers=1, progress=False).fit(graph)
    assert model.node_ids_.tolist() == list(range(10))
    _check_rows_follow_ids(model, [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]])


def test_networkx_string_ids_are_kept_and_looked_up():
    groups = [["ann", "bea", "cal", "dov", "eli"], ["fay", "gus", "hal", "ivy", "jon"]]
    graph = _two_cliques(*groups)
    data = from_networkx(graph)
    assert data.node_ids == list(graph.nodes)
    model = gs.DeepWalk(**DEEPWALK, seed=0, workers=1, progress=False).fit(graph)
    assert model.node_ids_ == list(graph.nodes)
    _check_rows_follow_ids(model, groups)
    torch.testing.assert_close(
        model.lookup(["gus"])[0], model.embeddings_[list(graph).index("gus")]
    )
    with pytest.raises(KeyError, match="not in the fitted graph"):
        model.lookup(["zed"])
    vectors = model.to_keyed_vectors()
    assert vectors.most_similar("ann", topn=1)[0][0] in groups[0]


def test_edge_list_with_non_contiguous_ids(tmp_path):
    groups = [[10, 30, 50, 70], [1000, 2000, 3000, 4000]]
    path = tmp_path / "graph.txt"
    lines = [f"{u} {v}" for u, v in _two_cliques(*groups).edges]
    path.write_text("# a comment\n" + "\n".join(lines) + "\n")
    data = read_edgelist(path)
    assert data.node_ids.tolist() == sorted(groups[0] + groups[1])
    assert data.num_nodes == 8 and data.num_edges == 2 * len(lines)
    model = gs.DeepWalk(**DEEPWALK, seed=0, workers=1, progress=False).fit(data)
    _check_rows_follow_ids(model, groups)
    saved = model.save_embeddings(tmp_path / "graph.emb")
    assert sorted(gs.load_keyed_vectors(saved).index_to_key) == sorted(
        map(str, data.node_ids.tolist())
    )
    rows = gs.load_embeddings(saved, node_ids=data.node_ids)
    torch.testing.assert_close(rows, model.embeddings_, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("name", "text", "options"),
    [
        ("crlf.txt", "% KONECT style\r\n0 1\r\n1 2\r\n", {}),
        ("header.csv", "source,target,weight\n0,1,2.5\n1,2,0.5\n", {}),
        ("tabs.tsv", "0\t1\t2.5\n1\t2\t0.5\n", {}),
        ("spaces.txt", "0   1  2.5\n1 2   0.5\n\n", {}),
    ],
)
def test_edge_list_formats(tmp_path, name, text, options):
    path = tmp_path / name
    path.write_bytes(text.encode())
    data = read_edgelist(path, directed=True, **options)
    assert data.edge_index.tolist() == [[0, 1], [1, 2]] and data.num_nodes == 3
    if "2.5" in text:
        assert data.edge_weight.tolist() == [2.5, 0.5]
    else:
        assert getattr(data, "edge_weight", None) is None


def test_edge_list_undirected_keeps_each_pair_once_with_the_larger_weight(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("0 1 1.0\n1 0 3.0\n1 1 2.0\n")
    data = read_edgelist(path)
    pairs = dict(
        zip(map(tuple, data.edge_index.t().tolist()), data.edge_weight.tolist(), strict=True)
    )
    assert pairs == {(0, 1): 3.0, (1, 0): 3.0, (1, 1): 2.0}


def test_edge_list_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0 1 x\n")
    with pytest.raises(ValueError, match=r"bad.txt: 1 weight\(s\) in the third column"):
        read_edgelist(path, weighted=True)
    path.write_text("# nothing\n")
    with pytest.raises(ValueError, match="holds no edge"):
        read_edgelist(path)
    truncated = tmp_path / "cut.txt.gz"
    lines = "".join(f"{u} {v}\n" for u, v in np.random.default_rng(0).integers(0, 10**6, (2000, 2)))
    compressed = gzip.compress(lines.encode())
    truncated.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match=r"cut.txt.gz could not be read as an edge list"):
        read_edgelist(truncated)
    with pytest.raises(FileNotFoundError, match="no edge-list file"):
        read_edgelist(tmp_path / "missing.txt")


def test_snap_slashdot_loads_with_the_readme_counts(data_root):
    data = read_edgelist(data_root / "SNAP" / "soc-Slashdot0902.txt.gz", directed=True)
    assert data.num_edges == 948_464 and data.num_nodes == 82_168
    assert int((data.edge_index[0] == data.edge_index[1]).sum()) == 78_303
    assert getattr(data, "node_ids", None) is None  # ids are 0 .. 82167


def test_weighted_mat_file_gives_weight_proportional_walks(tmp_path):
    # Node 0 has neighbours 1, 2, 3 with weights 1, 2, 7.
    adjacency = sp.csc_matrix(
        np.array([[0, 1, 2, 7], [1, 0, 0, 0], [2, 0, 0, 0], [7, 0, 0, 0]], float)
    )
    sio.savemat(tmp_path / "weighted.mat", {"network": adjacency})
    data = gs.load_dataset(tmp_path / "weighted.mat")
    assert data.edge_weight is not None and sorted(data.edge_weight.tolist()) == [1, 1, 2, 2, 7, 7]
    walks = gs.random_walks(data, 2, 20_000, seed=0, start_nodes=torch.tensor([0]))
    frequencies = torch.bincount(walks[:, 1], minlength=4)[1:].float() / walks.size(0)
    torch.testing.assert_close(frequencies, torch.tensor([0.1, 0.2, 0.7]), atol=0.01, rtol=0)


def test_mat_key_names_and_errors(tmp_path):
    sio.savemat(tmp_path / "g.mat", {"A": sp.csc_matrix(np.eye(3)), "labels": np.eye(3)})
    with pytest.raises(ValueError, match=r"has no 'network' matrix; it holds \['A', 'labels'\]"):
        read_mat(tmp_path / "g.mat")
    data = read_mat(tmp_path / "g.mat", network_key="A", group_key="labels")
    assert data.num_nodes == 3 and data.y.shape == (3, 3)


def test_edge_attr_with_one_column_is_taken_as_weights(recwarn):
    from torch_geometric.data import Data

    data = Data(
        edge_index=torch.tensor([[0, 1], [1, 0]]),
        edge_attr=torch.tensor([[2.0], [2.0]]),
        num_nodes=2,
    )
    with pytest.warns(UserWarning, match="using it as the edge weights"):
        assert gs.as_csr(data).weights.tolist() == [2.0, 2.0]
    data.edge_attr = torch.ones(2, 3)
    with pytest.raises(
        ValueError, match=r"edge_attr has 3 columns.*data.edge_weight = data.edge_attr\[:, k\]"
    ):
        edge_weights(data)


def _copy_tu(data_root, tmp_path, new_name):
    source = data_root / "TUDataset" / "MUTAG" / "raw"
    for root in ("ours", "pyg"):
        target = tmp_path / root / "TUDataset" / new_name / "raw"
        target.mkdir(parents=True)
        for file in source.glob("MUTAG_*.txt"):
            shutil.copy(file, target / file.name.replace("MUTAG", new_name))
    return tmp_path / "ours", tmp_path / "pyg" / "TUDataset"


def test_any_tu_folder_loads_by_its_name_like_pygs_reader(data_root, tmp_path):
    from torch_geometric.datasets import TUDataset

    ours_root, pyg_root = _copy_tu(data_root, tmp_path, "MOLECULES")
    ours = gs.load_dataset("MOLECULES", root=ours_root)
    theirs = TUDataset(str(pyg_root), "MOLECULES")
    assert len(ours) == len(theirs) == 188
    for a, b in zip(ours, theirs, strict=True):
        for key in ("x", "edge_index", "y", "edge_attr"):
            assert torch.equal(getattr(a, key), getattr(b, key)), key
    assert not any(ours_root.rglob("processed")), "nothing is written next to the raw files"
    rows = {row["name"]: row for row in gs.datasets.dataset_table(ours_root)}
    assert rows["MOLECULES"]["available"] and rows["MOLECULES"]["kind"] == "graph"


def _copy_cora(data_root, tmp_path):
    target = tmp_path / "data" / "Planetoid" / "Cora" / "raw"
    shutil.copytree(data_root / "Planetoid" / "Cora" / "raw", target)
    return tmp_path / "data", target


def test_cache_rebuilds_when_a_raw_file_changes(data_root, tmp_path, isolated_cache):
    root, raw = _copy_cora(data_root, tmp_path)
    first = gs.load_dataset("Cora", root=root)
    # A changed test index (two test nodes swapped) must be seen, not a stale copy served.
    index = (raw / "ind.cora.test.index").read_text().split()
    index[0], index[1] = index[1], index[0]
    (raw / "ind.cora.test.index").write_text("\n".join(index) + "\n")
    second = gs.load_dataset("Cora", root=root)
    assert not torch.equal(first.x, second.x)
    entries = list((isolated_cache / "processed" / "planetoid").iterdir())
    assert len(entries) == 1, "the entry of the old raw files is removed"


def test_cache_rebuilds_a_corrupt_processed_file(data_root, isolated_cache, capsys):
    first = gs.load_dataset("Cora", root=data_root)
    (processed,) = (isolated_cache / "processed" / "planetoid").rglob("data.pt")
    processed.write_bytes(processed.read_bytes()[:100])
    again = gs.load_dataset("Cora", root=data_root)
    assert torch.equal(first.x, again.x)
    err = capsys.readouterr().err
    assert f"the cached {processed} could not be read" in err and len(err.strip().splitlines()) == 1


def test_truncated_raw_file_names_itself_and_loads_once_fixed(data_root, tmp_path):
    root, raw = _copy_cora(data_root, tmp_path)
    original = (raw / "ind.cora.x").read_bytes()
    (raw / "ind.cora.x").write_bytes(original[: len(original) // 2])
    with pytest.raises(RawFileError, match=r"ind\.cora\.x: expected Planetoid's ind\.cora\.x"):
        gs.load_dataset("Cora", root=root)
    (raw / "ind.cora.x").write_bytes(original)  # the user fixes the source
    assert gs.load_dataset("Cora", root=root).num_nodes == 2708


def test_truncated_tu_file_names_the_folder_and_loads_once_fixed(data_root, tmp_path):
    ours_root, _ = _copy_tu(data_root, tmp_path, "MOLS")
    indicator = ours_root / "TUDataset" / "MOLS" / "raw" / "MOLS_graph_indicator.txt"
    original = indicator.read_text()
    indicator.write_text(original[: len(original) // 2])
    with pytest.raises(RawFileError, match=r"MOLS/raw: expected the TU files MOLS_\*\.txt"):
        gs.load_dataset("MOLS", root=ours_root)
    indicator.write_text(original)
    assert len(gs.load_dataset("MOLS", root=ours_root)) == 188


def test_unknown_name_lists_the_ways_to_load(tmp_path):
    with pytest.raises(
        ValueError, match=r"unknown dataset 'Coraa'. Did you mean 'Cora'\?.*TU folder name"
    ):
        gs.load_dataset("Coraa", root=tmp_path)
