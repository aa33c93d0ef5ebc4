import json

import pytest

from graphseq.cli import main


def test_datasets_command_lists_availability(data_root, capsys):
    assert main(["datasets", "--root", str(data_root)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert " yes " in lines["Cora"] and " no " in lines["PubMed"]
    assert str(data_root) in out


def test_bench_writes_results(data_root, tmp_path, capsys):
    code = main(
        [
            "bench",
            "--dataset",
            "Cora",
            "--root",
            str(data_root),
            "--seeds",
            "2",
            "--epochs",
            "30",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| gcn |" in out and "| 81.5 |" in out
    results = json.loads((tmp_path / "bench_Cora.json").read_text())
    row = results["models"]["gcn"]
    assert len(row["test_acc"]) == 2 and row["published"] == 81.5 and row["epoch_time_ms"] > 0
    assert (tmp_path / "bench_Cora.md").read_text().startswith("### Node classification on Cora")


def test_bench_falls_back_to_karate_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GRAPHSEQ_DATA", raising=False)
    code = main(
        [
            "bench",
            "--root",
            str(tmp_path / "empty"),
            "--seeds",
            "2",
            "--epochs",
            "20",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "Cora is not available offline (see `graphseq datasets`); running on KarateClub instead."
    )
    assert (tmp_path / "bench_KarateClub.json").is_file()


def test_bad_input_gives_one_clear_line(capsys):
    assert main(["bench", "--models", "gcn,nope", "--seeds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphseq bench: error: unknown model(s) ['nope']; available:")


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".png", lambda path: path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"),
        (".html", lambda path: "<title>node 0: class" in path.read_text()),
    ],
)
def test_viz_from_embedding_file(tmp_path, suffix, check):
    import torch

    from graphseq.models import save_embeddings

    save_embeddings(torch.randn(34, 8), tmp_path / "karate.emb")
    out = tmp_path / f"karate{suffix}"
    arguments = ["viz", "--embeddings", str(tmp_path / "karate.emb"), "--dataset", "KarateClub"]
    assert main([*arguments, "--method", "pca", "--out", str(out)]) == 0
    assert check(out)


def test_viz_trains_a_model_on_the_fly(tmp_path):
    out = tmp_path / "karate.svg"
    assert (
        main(
            [
                "viz",
                "--model",
                "gcn",
                "--dataset",
                "KarateClub",
                "--method",
                "pca",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_text().lstrip().startswith("<?xml")


def test_viz_errors_are_clear(tmp_path, capsys):
    import torch

    from graphseq.models import save_embeddings

    assert (
        main(
            [
                "viz",
                "--embeddings",
                str(tmp_path / "nope.emb"),
                "--dataset",
                "KarateClub",
                "--out",
                str(tmp_path / "a.png"),
            ]
        )
        == 2
    )
    assert f"no embeddings file at {tmp_path / 'nope.emb'}" in capsys.readouterr().err
    save_embeddings(torch.randn(10, 4), tmp_path / "small.npy")
    assert (
        main(
            [
                "viz",
                "--embeddings",
                str(tmp_path / "small.npy"),
                "--dataset",
                "KarateClub",
                "--out",
                str(tmp_path / "a.png"),
            ]
        )
        == 2
    )
    assert "has 10 rows but KarateClub has 34 nodes" in capsys.readouterr().err
    assert (
        main(
            [
                "viz",
                "--embeddings",
                str(tmp_path / "small.npy"),
                "--dataset",
                "KarateClub",
                "--method",
                "isomap",
                "--out",
                str(tmp_path / "a.png"),
            ]
        )
        == 2
    )
    assert "unknown method 'isomap'; choose one of tsne, pca, umap" in capsys.readouterr().err
