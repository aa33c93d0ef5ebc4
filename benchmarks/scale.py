"""Scale benchmark: time and peak memory of every stage a user runs, from 10^5 to 10^8 edges.

For each graph (`scale_graphs`: seeded heavy-tailed synthetic graphs ``powerlaw:1e5`` ..
``powerlaw:1e8``, ``uniform:...``, SNAP's ``slashdot``, ``blogcatalog``) every stage
(`scale_stages`: read the edge list, build the CSR out of core, first- and second-order walks,
write the corpus, skip-gram, DeepWalk end to end, a sampler epoch, a sampled GraphSAGE epoch, a
full-graph GCN epoch, PyG's GCNConv, PecanPy) runs in its own process, one at a time, so each
peak memory is its own. Results accumulate in ``scale[_TAG].json`` (a later run adds or
replaces its rows, e.g. the 10^8-edge stages); the Markdown table, the growth exponents (the
least-squares slope of log time and log stage memory against log edges over the ``powerlaw``
sizes) and the log-log plot are rebuilt from all rows every time.

    PYTHONPATH=. GRAPHSEQ_DATA=../shared/data python benchmarks/scale.py \\
        --graphs powerlaw:1e5,powerlaw:1e6,powerlaw:1e7,slashdot --workdir /tmp/graphseq-scale

``--pecanpy-python /tmp/pecanpy-venv/bin/python`` runs the PecanPy stages in PecanPy's own
venv (see ``walks_vs_pecanpy.py``); ``--baseline-graphseq DIR`` adds a ``deepwalk@baseline``
row: the ``deepwalk`` stage with another graphseq tree first on ``PYTHONPATH`` (e.g.
``git archive db28154 graphseq | tar -x -C DIR``: the code before issue 17).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import common
import numpy as np
import scale_graphs
import scale_stages

HERE = Path(__file__).resolve().parent
ALL_STAGES = ("read,csr,walks,node2vec,corpus,skipgram,deepwalk,sampler,sage,gcn,gcn_pyg,"
              "pecanpy_precomp,pecanpy_sparseotf")  # fmt: skip
PECANPY_STAGES = ("pecanpy_precomp", "pecanpy_sparseotf")
FIT_STAGES = ("csr", "walks", "node2vec", "corpus", "sampler", "sage", "gcn", "deepwalk", "read")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graphs", default="powerlaw:1e5,powerlaw:1e6,powerlaw:1e7,slashdot")
    parser.add_argument("--stages", default=ALL_STAGES, help="comma-separated, in this order")
    parser.add_argument("--workdir", default="/tmp/graphseq-scale", help="graphs and corpora")
    parser.add_argument("--pecanpy-python", help="a python that has PecanPy (its own venv)")
    parser.add_argument("--baseline-graphseq", help="a graphseq tree for deepwalk@baseline")
    scale_stages.add_stage_options(parser)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per stage")
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    parser.add_argument("--render-only", action="store_true", help="rebuild table and plot")
    common.add_run_arguments(parser)
    return parser.parse_args(argv)


def run_stage(args, stage: str, graph: str, python: str, pythonpath: str) -> dict:
    """Run one stage in a fresh process; its JSON line (or the failure) as a dict."""
    command = [python, str(HERE / "scale_stages.py"), stage.split("@")[0], graph,
               "--workdir", args.workdir, "--threads", str(args.threads),
               *scale_stages.stage_arguments(args)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([pythonpath, str(HERE)])}
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=args.timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"stage": stage, "graph": graph, "failed": f"timeout after {args.timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"stage": stage, "graph": graph, "failed": f"exit {done.returncode}: {tail}"}
    return json.loads(lines[-1])


def growth_exponents(runs: dict, key: str, low: float, high: float) -> dict:
    """Per stage, the slope of log(value) against log(edges) over the powerlaw graphs with
    ``low <= edges <= high`` (the nominal size), and the sizes it used."""
    slopes = {}
    for stage in FIT_STAGES:
        points = []
        for graph, stages in runs.items():
            kind, edges = scale_graphs.parse(graph)
            row = stages.get(stage, {})
            if kind != "powerlaw" or not low <= edges <= high or "seconds" not in row:
                continue
            value = row["seconds"] if key == "seconds" else row["peak_rss_mib"] - row[
                "baseline_rss_mib"]  # fmt: skip
            if value > 0:
                points.append((edges, value))
        if len(points) >= 2:
            x, y = np.log10([p[0] for p in points]), np.log10([p[1] for p in points])
            slopes[stage] = {"exponent": float(np.polyfit(x, y, 1)[0]),
                             "sizes": sorted(p[0] for p in points)}  # fmt: skip
    return slopes


def render(result: dict) -> str:
    runs = result["runs"]
    lines = [
        "### Scale: time and peak memory of each stage (each in its own process)",
        "",
        "| graph | nodes | edges | stage | seconds | peak RSS (MiB) | stage memory (MiB) | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for graph, stages in runs.items():
        size = stages.get("csr", {})
        for stage, row in stages.items():
            if "failed" in row or "skipped" in row:
                note = row.get("failed") or row.get("skipped")
                lines.append(f"| {graph} | | | {stage} | - | - | - | {note} |")
                continue
            lines.append(
                f"| {graph} | {size.get('nodes', '')} | {size.get('edges', '')} | {stage} | "
                f"{row['seconds']:.2f} | {row['peak_rss_mib']:.0f} | "
                f"{row['peak_rss_mib'] - row['baseline_rss_mib']:.0f} | {_notes(row)} |"
            )
    lines += ["", "### Growth exponents (time and stage memory ~ edges^k, powerlaw graphs)", ""]
    lines += ["| stage | time, 10^5..10^7 | time, 10^6..10^8 | memory, 10^5..10^7 | "
              "memory, 10^6..10^8 |", "|---|---|---|---|---|"]  # fmt: skip
    fits = {(key, low): growth_exponents(runs, key, low, low * 100)
            for key in ("seconds", "memory") for low in (1e5, 1e6)}  # fmt: skip
    for stage in FIT_STAGES:
        cells = []
        for key in ("seconds", "memory"):
            for low in (1e5, 1e6):
                fit = fits[(key, low)].get(stage)
                sizes = fit and fit["sizes"]
                cells.append(
                    f"{fit['exponent']:.2f} ({len(sizes)} sizes)" if fit else "not measured"
                )
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    stem = result.get("stem", "scale")
    lines += [
        "",
        f"![time and memory against edges]({stem}.png)",
        "",
        "Stage memory = peak RSS minus the RSS after imports. " + common.footer(result),
    ]
    return "\n".join(lines) + "\n"


def _notes(row: dict) -> str:
    parts = []
    for key, fmt in (("tokens", "{:,} tokens"), ("steps_per_second", "{:,.0f} steps/s"),
                     ("words_per_second", "gensim {:,.0f} words/s"),
                     ("gensim_words_per_second", "gensim {:,.0f} words/s"),
                     ("walk_seconds", "walks {:.1f} s"), ("gensim_train_seconds", "gensim {:.1f} s"),
                     ("overhead_seconds", "rest {:.1f} s"), ("precompute_seconds", "precompute {:.1f} s"),
                     ("seconds_compiled", "compiled: {:.2f} s"),
                     ("first_epoch_seconds", "first epoch {:.2f} s"),
                     ("load_average", "load {0[0]:.1f}")):  # fmt: skip
        if key in row:
            parts.append(fmt.format(row[key]))
    if row.get("hs"):
        parts.append("hs=True")
    return ", ".join(parts)


def plot(result: dict, out: Path, stem: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    fits = {key: growth_exponents(result["runs"], key, 1e5, 1e8) for key in ("seconds", "memory")}
    for stage in FIT_STAGES:
        points = sorted(
            (scale_graphs.parse(g)[1], row)
            for g, stages in result["runs"].items()
            if scale_graphs.parse(g)[0] == "powerlaw" and "seconds" in (row := stages.get(stage, {}))
        )  # fmt: skip
        if len(points) < 2:
            continue
        edges = [e for e, _ in points]
        for axis, key in zip(axes, ("seconds", "memory"), strict=True):
            values = [r["seconds"] if key == "seconds" else
                      max(r["peak_rss_mib"] - r["baseline_rss_mib"], 1) for _, r in points]  # fmt: skip
            slope = fits[key].get(stage, {}).get("exponent")
            label = f"{stage} (k={slope:.2f})" if slope is not None else stage
            axis.loglog(edges, values, marker="o", label=label)
    axes[0].set(xlabel="edges", ylabel="seconds", title="time per stage")
    axes[1].set(xlabel="edges", ylabel="stage memory (MiB)", title="peak RSS - RSS after imports")
    for axis in axes:
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    common.write_figure(figure, out, f"{stem}.png", dpi=120)


def main(argv=None) -> int:
    args = parse_args(argv)
    stem = "scale" + (f"_{args.tag}" if args.tag else "")
    path = Path(args.out) / f"{stem}.json"
    header = common.start_run(args, argv)
    with common.locked_json(path, {**header, "runs": {}}) as result:
        result.update({k: v for k, v in header.items() if not args.render_only})
        result["stem"] = stem
        for graph in [] if args.render_only else args.graphs.split(","):
            # a synthetic graph's edge list is written here, so no stage's peak includes it
            scale_graphs.edgelist_path(graph, Path(args.workdir), None)
            for stage in args.stages.split(","):
                python, pythonpath = sys.executable, str(HERE.parent)
                if stage in PECANPY_STAGES:
                    if not args.pecanpy_python:
                        continue
                    python = args.pecanpy_python
                entries = [(stage, pythonpath)]
                if stage == "deepwalk" and args.baseline_graphseq:
                    entries.append(("deepwalk@baseline", args.baseline_graphseq))
                for name, tree in entries:
                    print(f"{graph} {name} (load {os.getloadavg()[0]:.1f}) ...", flush=True)
                    row = run_stage(args, name, graph, python, tree)
                    row["command"] = common.command_line(argv)
                    result["runs"].setdefault(graph, {})[name] = row
                    print("   ", json.dumps(row)[:300], flush=True)
                    common.write_results(args.out, stem, result, render)
        # re-rendering is not a measurement: keep the load recorded at the run's end
        common.write_results(args.out, stem, result, render, refresh_load=not args.render_only)
    plot(common.read_json(path), Path(args.out), stem)
    print(render(common.read_json(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
