"""Feedback on long work: the one rule for progress bars and log lines.

Every long step in graphseq (walks, skip-gram, training, t-SNE, benchmarks) reports through
`progress_bar`, with one argument, ``progress``:

* ``None`` (the default everywhere): a tqdm bar when stderr is a terminal; when it is not (output
  piped to a file or CI log), plain lines on stderr instead -- one when a step that ran longer
  than `LINE_AFTER` seconds ends, and one every `LINE_EVERY` seconds while it runs -- so a log
  shows what ran and how long it took without carriage-return noise;
* ``True``: always a tqdm bar;
* ``False``: nothing.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

__all__ = [
    "LINE_AFTER",
    "LINE_EVERY",
    "note",
    "progress_bar",
    "progress_mode",
    "show_progress",
    "stage",
]

LINE_AFTER = 2.0
"""Seconds after which a finished step is worth a line in a piped log."""
LINE_EVERY = 30.0
"""Seconds between lines while a step runs (piped logs)."""


def progress_mode(progress: bool | None) -> str:
    """``"bar"``, ``"lines"`` or ``"off"`` for a ``progress`` argument (see the module docs)."""
    if progress is None:
        return "bar" if sys.stderr.isatty() else "lines"
    return "bar" if progress else "off"


def show_progress(progress: bool | None) -> bool:
    """Whether ``progress`` asks for a tqdm bar (a terminal, or ``True``)."""
    return progress_mode(progress) == "bar"


class _Lines:
    """A tqdm-like object that writes plain lines instead of redrawing a bar."""

    def __init__(self, total=None, desc: str = "", unit: str = "it", initial: int = 0):
        self.total, self.desc, self.unit = total, desc, unit
        self.n = initial
        self.postfix = ""
        self.start = self.last = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self.last >= LINE_EVERY:
            self.last = now
            self._write(now, "")

    def set_postfix(self, **values) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def write(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def _write(self, now: float, suffix: str) -> None:
        count = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        extra = f", {self.postfix}" if self.postfix else ""
        print(
            f"{self.desc}: {count} {self.unit} ({now - self.start:.1f} s{extra}){suffix}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        now = time.perf_counter()
        if now - self.start >= LINE_AFTER:
            self._write(now, " done")
        self.total = None if self.total is None else self.n  # later closes write nothing new
        self.start = now

    def __iter__(self):  # pragma: no cover - graphseq only uses update()
        raise TypeError("iterate over the data and call update(); no iterable was given")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_bar(
    total: int | None = None,
    *,
    desc: str = "",
    unit: str = "it",
    progress: bool | None = None,
    initial: int = 0,
    leave: bool = False,
):
    """A progress reporter with tqdm's ``update``/``set_postfix``/``close``, chosen by
    `progress_mode`: a tqdm bar, plain lines, or a disabled tqdm."""
    mode = progress_mode(progress)
    if mode == "lines":
        return _Lines(total, desc, unit, initial)
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc=desc, unit=unit, initial=initial, leave=leave, disable=mode == "off"
    )


def note(text: str, progress: bool | None = None) -> None:
    """Write ``text`` as one line on stderr, unless ``progress`` is False."""
    if progress_mode(progress) != "off":
        print(text, file=sys.stderr, flush=True)


@contextmanager
def stage(description: str, progress: bool | None = None):
    """A step without a count (t-SNE, a file read): a line when it starts and one when it ends,
    with its seconds, unless ``progress`` is False."""
    note(f"{description} ...", progress)
    start = time.perf_counter()
    yield
    note(f"{description}: done in {time.perf_counter() - start:.1f} s", progress)
