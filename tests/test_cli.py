import json

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
