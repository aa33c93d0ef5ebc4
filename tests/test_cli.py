"""The graphseq command: every subcommand's work, its exit codes and its one-line errors."""

import json

import pytest
import torch

from graphseq.cli import main
from graphseq.models import save_embeddings


def run(arguments, capsys):
    """``(exit code, stdout, stderr)`` of ``graphseq arguments``."""
    code = main([str(a) for a in arguments])
    out, err = capsys.readouterr()
    return code, out, err


def test_datasets_command_lists_availability_and_the_cache(data_root, capsys):
    code, out, _ = run(["datasets", "--root", data_root], capsys)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert " yes " in lines["Cora"] and " no " in lines["PubMed"]
    assert str(data_root) in out and "processed files:" in out


def test_datasets_clear_cache_empties_the_processed_folder(data_root, isolated_cache, capsys):
    from graphseq import load_dataset

    load_dataset("Cora", data_root)
    assert any((isolated_cache / "processed").rglob("data.pt"))
    code, out, _ = run(["datasets", "--clear-cache", "--root", data_root], capsys)
    assert code == 0 and out.startswith("cleared the processed-data cache")
    assert not (isolated_cache / "processed").exists()


def test_bench_writes_results_and_a_line_per_seed(data_root, tmp_path, capsys):
    arguments = ["bench", "--dataset", "Cora", "--root", data_root, "--seeds", 2, "--epochs", 30]
    code, out, err = run([*arguments, "--out", tmp_path], capsys)
    assert code == 0
    assert "| gcn |" in out and "| 81.5 |" in out
    # stderr is not a terminal here: one line per finished seed instead of a bar.
    assert "bench Cora gcn seed 0: acc " in err and "bench Cora gcn seed 1: acc " in err
    results = json.loads((tmp_path / "bench_Cora.json").read_text())
    row = results["models"]["gcn"]
    assert len(row["test_acc"]) == 2 and row["published"] == 81.5 and row["epoch_time_ms"] > 0
    assert (tmp_path / "bench_Cora.md").read_text().startswith("### Node classification on Cora")


def test_bench_missing_dataset_fails_unless_a_fallback_is_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRAPHSEQ_DATA", raising=False)
    arguments = ["bench", "--dataset", "PubMed", "--root", tmp_path / "empty", "--seeds", 1]
    code, _, err = run([*arguments, "--epochs", 5, "--out", tmp_path, "--quiet"], capsys)
    assert code == 2
    assert err.startswith("graphseq bench: error: dataset 'PubMed' is not available offline")
    assert not (tmp_path / "bench_KarateClub.json").exists()
    code, _, err = run([*arguments, "--epochs", 5, "--out", tmp_path, "--fallback"], capsys)
    assert code == 0
    assert "PubMed is not available offline; running on KarateClub instead." in err
    assert (tmp_path / "bench_KarateClub.json").is_file()


def test_bench_on_a_multilabel_graph_file_without_a_split(tmp_path, capsys):
    import networkx as nx
    import scipy.io as sio
    import scipy.sparse as sp

    graph = nx.connected_caveman_graph(4, 6)  # 4 cliques of 6
    labels = sp.csr_matrix(torch.nn.functional.one_hot(torch.arange(24) // 6, 4).numpy())
    sio.savemat(
        tmp_path / "caves.mat",
        {"network": nx.to_scipy_sparse_array(graph, format="csc"), "group": labels},
    )
    code, out, _ = run(
        ["bench", "--dataset", tmp_path / "caves.mat", "--models", "deepwalk", "--seeds", 1,
         "--out", tmp_path, "--quiet"],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert "### Node classification on caves.mat (1 seeds, test micro-F1 %, top-k)" in out
    results = json.loads((tmp_path / "bench_caves.mat.json").read_text())
    assert results["metric"] == "micro_f1" and results["split"].startswith("random per seed")
    assert results["models"]["deepwalk"]["test_micro_f1"][0] > 50


def test_bench_refuses_a_graph_classification_dataset(data_root, capsys):
    code, _, err = run(["bench", "--dataset", "MUTAG", "--root", data_root, "--quiet"], capsys)
    assert code == 2 and "MUTAG is a graph-classification dataset (188 graphs)" in err


def test_bad_input_gives_one_clear_line(capsys):
    code, _, err = run(["bench", "--models", "gcn,nope", "--seeds", 1], capsys)
    assert code == 2
    assert err.startswith("graphseq bench: error: unknown model(s) ['nope']; available:")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".png", lambda path: path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"),
        (".html", lambda path: "<title>node 0: class" in path.read_text()),
    ],
)
def test_viz_from_embedding_file(tmp_path, suffix, check, capsys):
    save_embeddings(torch.randn(34, 8), tmp_path / "karate.emb")
    out = tmp_path / f"karate{suffix}"
    arguments = ["viz", "--embeddings", tmp_path / "karate.emb", "--dataset", "KarateClub"]
    code, _, _ = run([*arguments, "--method", "pca", "--out", out], capsys)
    assert code == 0 and check(out)


def test_viz_trains_a_gcn_and_names_method_and_dataset(tmp_path, capsys):
    out = tmp_path / "karate.html"
    arguments = ["viz", "--model", "gcn", "--dataset", "KarateClub", "--method", "pca"]
    code, _, _ = run([*arguments, "--class-names", "a,b,c,d", "--out", out], capsys)
    assert code == 0
    text = out.read_text()
    assert "<title>GCN hidden layer: PCA of KarateClub</title>" in text
    assert "<title>node 0: a</title>" in text or "<title>node 0: b</title>" in text


def test_viz_tsne_reports_start_and_end(tmp_path, capsys):
    save_embeddings(torch.randn(34, 8), tmp_path / "karate.npy")
    arguments = ["viz", "--embeddings", tmp_path / "karate.npy", "--dataset", "KarateClub"]
    code, _, err = run([*arguments, "--out", tmp_path / "k.png"], capsys)
    assert code == 0
    assert "t-SNE of 34 embeddings ..." in err and "t-SNE of 34 embeddings: done in" in err


def test_viz_errors_are_clear(tmp_path, capsys, monkeypatch):
    base = ["viz", "--dataset", "KarateClub", "--out", tmp_path / "a.png"]
    code, _, err = run([*base, "--embeddings", tmp_path / "nope.emb"], capsys)
    assert code == 2 and f"no embeddings file at {tmp_path / 'nope.emb'}" in err
    save_embeddings(torch.randn(10, 4), tmp_path / "small.npy")
    code, _, err = run([*base, "--embeddings", tmp_path / "small.npy"], capsys)
    assert code == 2 and "has 10 rows but KarateClub has 34 nodes" in err
    code, _, err = run(
        [*base, "--embeddings", tmp_path / "small.npy", "--method", "isomap"], capsys
    )
    assert code == 2 and "unknown method 'isomap'; choose one of tsne, pca, umap" in err
    code, _, err = run(
        ["viz", "--dataset", "KarateClub", "--model", "gcn", "--out", tmp_path / "a.jpg"], capsys
    )
    assert code == 2 and "--out must end in .png, .svg, .pdf or .html, got 'a.jpg'" in err
    # Without the optional umap-learn package: one line, no traceback.
    monkeypatch.setitem(__import__("sys").modules, "umap", None)
    code, _, err = run([*base, "--embeddings", tmp_path / "small.npy", "--method", "umap"], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "--method umap needs the optional umap-learn package: pip install umap-learn" in err


def test_embed_writes_the_graphs_own_ids(tmp_path, capsys):
    edges = tmp_path / "ids.csv"
    edges.write_text("source,target\nalice,bob\nbob,carol\ncarol,alice\ndave,erin\n")
    out = tmp_path / "ids.emb"
    arguments = ["embed", "deepwalk", "--edgelist", edges, "--out", out, "--dimensions", 4]
    code, stdout, err = run([*arguments, "--walks-per-node", 5, "--walk-length", 6], capsys)
    assert code == 0 and "5 nodes x 4 dimensions of" in stdout
    assert "skip-gram epoch 1/1:" in err  # one line per skip-gram epoch when piped
    from graphseq.models import load_keyed_vectors

    vectors = load_keyed_vectors(out)
    assert sorted(vectors.index_to_key) == ["alice", "bob", "carol", "dave", "erin"]


def test_embed_errors_are_clear(data_root, tmp_path, capsys):
    code, _, err = run(
        [
            "embed",
            "deepwalk",
            "--dataset",
            "MUTAG",
            "--root",
            data_root,
            "--out",
            tmp_path / "m.emb",
        ],
        capsys,
    )
    assert code == 2
    assert "MUTAG is a graph-classification dataset (188 graphs); embed learns the nodes" in err
    code, _, err = run(
        ["embed", "deepwalk", "--dataset", "KarateClub", "--out", tmp_path / "k.jpg"], capsys
    )
    assert code == 2 and "cannot tell the embedding format of 'k.jpg' from its suffix" in err
    assert not (tmp_path / "k.jpg").exists()
    code, _, err = run(
        ["embed", "deepwalk", "--dataset", "KarateClub", "--p", 0.5, "--out", tmp_path / "k.emb"],
        capsys,
    )
    assert code == 2 and "--p/--q bias node2vec walks" in err


def test_train_sage_trains_resumes_and_writes_its_results(tmp_path, capsys):
    checkpoint, out = tmp_path / "sage.pt", tmp_path / "sage.json"
    arguments = ["train-sage", "--dataset", "KarateClub", "--batch-size", 8, "--fanouts", 5, 3,
                 "--hidden-channels", 8, "--checkpoint", checkpoint, "--out", out]  # fmt: skip
    code, stdout, _ = run([*arguments, "--epochs", 2], capsys)
    assert code == 0 and stdout.startswith("epoch 1/2 (") and "val_loss" in stdout
    first = json.loads(out.read_text())
    assert first["epochs"] == 2 and first["world_size"] == 1 and "test_micro_f1" in first["test"]
    code, stdout, _ = run([*arguments, "--epochs", 3, "--resume"], capsys)
    assert code == 0 and stdout.startswith("epoch 3/3 (")  # epochs 1-2 came from the checkpoint
    resumed = json.loads(out.read_text())
    assert [r["epoch"] for r in resumed["history"]] == [1, 2, 3]
    assert resumed["history"][:2] == first["history"]
    code, _, err = run(["train-sage", "--dataset", "KarateClub", "--nproc", 0], capsys)
    assert code == 2 and "--nproc must be at least 1" in err


def test_train_sage_replace_option_defaults_by_aggregator():
    from graphseq.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["train-sage", "--dataset", "KarateClub"]).replace is None
    assert parse(["train-sage", "--dataset", "KarateClub", "--no-replace"]).replace is False
    assert parse(["train-sage", "--dataset", "KarateClub", "--replace"]).replace is True


def test_walks_command_writes_shards_and_embeddings(tmp_path, capsys):
    arguments = ["walks", "--dataset", "KarateClub", "--out", tmp_path / "walks",
                 "--walks-per-node", 4, "--walk-length", 6, "--embed", tmp_path / "k.npy",
                 "--dimensions", 8]  # fmt: skip
    code, stdout, _ = run(arguments, capsys)
    assert code == 0 and "walks: 1 shard(s) of KarateClub" in stdout
    assert "skip-gram: 34 of 34 nodes learned" in stdout
    import numpy as np

    assert np.load(tmp_path / "k.npy").shape == (34, 8)
    assert np.load(tmp_path / "walks" / "walks-00000-of-00001.npy").shape == (136, 6)
