"""What every benchmark script shares: how a run is recorded and how its outputs are written.

A run's record is a dict with at least ``command`` (the exact command line), ``date`` and
``environment`` (`environment`: versions, machine, torch threads, load average at start and at
the last write). `start_run` makes that header (after setting torch's threads, so the record
holds the number actually used); `write_results` writes the record as JSON and its Markdown
rendering side by side, each atomically (a temporary file renamed over the old one, so a run
stopped mid-write never leaves half a file); `footer` is the line every Markdown output ends
with. `locked_json` serializes read-modify-write updates of a result file that several
benchmark processes share (e.g. different rows of one table run in parallel).

The scripts are run as ``python benchmarks/<script>.py``, which puts this folder on
``sys.path``: they import this module as ``common``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
"""Where the committed outputs live (``benchmarks/results/``); ``--out`` overrides it."""

DEFAULT_NOTE = "2-core machine shared with other jobs; compare ratios inside one run only"

# Versions shown in the footer, in this order, when the environment block has them.
_FOOTER_VERSIONS = (
    ("graphseq", "graphseq"),
    ("torch", "torch"),
    ("torch_geometric", "PyG"),
    ("gensim", "gensim"),
    ("numba", "numba"),
    ("pecanpy", "PecanPy"),
    ("python", "Python"),
)


def add_run_arguments(parser: argparse.ArgumentParser, *, threads: int | None = 1) -> None:
    """The options every script has: ``--threads``, ``--out`` and ``--note``."""
    parser.add_argument(
        "--threads",
        type=int,
        default=threads,
        help=f"torch intra-op threads (default {threads}; on a shared machine more threads "
        "than free cores wait on each other)",
    )
    parser.add_argument(
        "--out", default=str(RESULTS), help="output directory (default benchmarks/results)"
    )
    parser.add_argument(
        "--note", default=DEFAULT_NOTE, help="what else ran on the machine (shown in the footer)"
    )


def command_line(argv: list[str] | None = None) -> str:
    """The command that ran this script, as one would type it again (shell-quoted)."""
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(Path.cwd())
    except ValueError:
        pass
    arguments = sys.argv[1:] if argv is None else list(argv)
    return "python " + shlex.join([str(script), *arguments])


def _cpu_model() -> str | None:
    """The processor's model name (Linux), else what `platform` knows."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def environment(note: str = "", **versions: str) -> dict:
    """Versions, machine, torch threads and the load average now (as ``load_average_at_start``).
    ``versions`` adds the packages a script compares with (e.g. ``gensim=gensim.__version__``)."""
    import graphseq

    block = {"graphseq": graphseq.__version__, "torch": torch.__version__}
    with contextlib.suppress(ImportError):
        import torch_geometric

        block["torch_geometric"] = torch_geometric.__version__
    block.update(versions)
    block.update(
        python=platform.python_version(),
        machine=platform.machine(),
        cpu=_cpu_model(),
        cpus=os.cpu_count(),
        threads=torch.get_num_threads(),
        load_average_at_start=list(os.getloadavg()),
        data=os.environ.get("GRAPHSEQ_DATA"),
        note=note,
    )
    return block


def start_run(args: argparse.Namespace, argv: list[str] | None = None, **versions: str) -> dict:
    """Set torch's threads from ``args.threads`` (None: torch's default) and return the run's
    header ``{"command", "date", "environment"}``; the script adds its results to it."""
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    return {
        "command": command_line(argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "environment": environment(getattr(args, "note", ""), **versions),
    }


def footer(result: dict) -> str:
    """``command — versions, threads, machine, load average at start / end; note; date``."""
    env = result.get("environment", {})
    parts = [f"{label} {env[key]}" for key, label in _FOOTER_VERSIONS if env.get(key)]
    if env.get("threads") is not None:
        cpus = f" on {env['cpus']} CPUs" if env.get("cpus") else ""
        parts.append(f"{env['threads']} torch thread(s){cpus}")
    machine = ", ".join(str(env[key]) for key in ("cpu", "machine") if env.get(key))
    if machine:
        parts.append(machine)
    load = [
        f"{env[key][0]:.1f} at {when}"
        for key, when in (("load_average_at_start", "start"), ("load_average_at_end", "end"))
        if env.get(key)
    ]
    if load:
        parts.append("load average " + ", ".join(load))
    text = ", ".join(parts)
    if env.get("note"):
        text += f" ({env['note']})"
    command = f"`{result['command']}` — " if result.get("command") else ""
    return f"{command}{text}; {result.get('date', '')}."


def mark_end(record: dict) -> dict:
    """Record the load average now as ``environment.load_average_at_end``."""
    record.setdefault("environment", {})["load_average_at_end"] = list(os.getloadavg())
    return record


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def write_figure(figure, out: str | Path, name: str, **savefig) -> Path:
    """Save a matplotlib ``figure`` as ``<out>/<name>`` atomically, then close it."""
    import matplotlib.pyplot as plt

    path = Path(out) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")  # suffix: the format
    figure.savefig(tmp, bbox_inches="tight", **savefig)
    tmp.replace(path)
    plt.close(figure)
    return path


def to_json(data) -> str:
    return json.dumps(data, indent=2) + "\n"


def write_results(
    out: str | Path,
    stem: str,
    result: dict,
    render: Callable[[dict], str],
    *,
    refresh_load: bool = True,
) -> tuple[Path, Path]:
    """Write ``<out>/<stem>.json`` (``result``) and ``<out>/<stem>.md`` (``render(result)``).

    The load average is refreshed first (``environment.load_average_at_end``; scripts that save
    after every step leave, in the end, the load at their last write), unless ``refresh_load``
    is False (a file assembled from earlier runs keeps theirs).
    """
    if refresh_load:
        mark_end(result)
    out = Path(out)
    markdown = render(result)
    return (
        write_atomically(out / f"{stem}.json", to_json(result)),
        write_atomically(out / f"{stem}.md", markdown),
    )


@contextlib.contextmanager
def locked_json(path: str | Path, empty: dict) -> Iterator[dict]:
    """Read-modify-write the JSON file ``path`` under an exclusive lock (``<path>.lock``), so
    that processes updating one result file never lose each other's updates. Yields its
    content (``empty`` when it does not exist yet); writes it back, atomically, when the block
    ends without an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        content = json.loads(path.read_text()) if path.exists() else empty
        yield content
        write_atomically(path, to_json(content))


def read_json(path: str | Path, default=None):
    """The parsed JSON file ``path``, or ``default`` when it does not exist."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else default
