"""The processed-data cache: never stale, never trusted when corrupt, never a copy of raw files.

Loading a dataset parses its raw files once and keeps the result in
``<cache>/processed/<kind>/<name>-<key>/data.pt``. The ``key`` is a fingerprint of

* every raw file's identity: its path, size and modification time, and its content (SHA-1)
  when the file is at most `HASH_LIMIT` bytes (all the benchmark sets are);
* `CACHE_FORMAT`, bumped whenever graphseq processes raw files differently;
* the load options that change the processed result.

So a changed, replaced or fixed raw file gives another key, and its data is parsed again; the
entries of older keys for the same dataset are removed when the new one is written. A processed
file that cannot be read back is rebuilt, with a one-line notice on stderr. Raw files are only
read, never copied: a corrupt raw file raises an error where it lies, and once it is fixed the
next load parses the fixed file.

``<cache>`` is ``$GRAPHSEQ_CACHE``, else ``$XDG_CACHE_HOME/graphseq``, else
``~/.cache/graphseq`` (`cache_dir`); `clear_cache` (``graphseq datasets --clear-cache``) empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

__all__ = ["CACHE_ENV", "CACHE_FORMAT", "HASH_LIMIT", "cache_dir", "cached", "clear_cache"]

CACHE_ENV = "GRAPHSEQ_CACHE"
CACHE_FORMAT = "2"
"""Version of the processed format; part of every key."""
HASH_LIMIT = 256 << 20
"""Raw files up to this size (256 MiB) are identified by their content too, not only by their
size and modification time."""


def cache_dir() -> Path:
    """graphseq's cache: ``$GRAPHSEQ_CACHE``, else ``$XDG_CACHE_HOME/graphseq``, else
    ``~/.cache/graphseq``. Processed datasets live in ``processed/`` below it."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "graphseq"


def _file_identity(path: Path) -> dict:
    stat = path.stat()
    identity = {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if stat.st_size <= HASH_LIMIT:
        digest = hashlib.sha1()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        identity["sha1"] = digest.hexdigest()
    return identity


def fingerprint(files: Iterable[Path], options: dict | None = None) -> str:
    """The cache key of processing ``files`` with ``options`` (see the module docstring)."""
    record = {
        "format": CACHE_FORMAT,
        "files": [_file_identity(Path(f)) for f in sorted(map(str, files))],
        "options": options or {},
    }
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def cached(
    kind: str,
    name: str,
    files: Iterable[Path],
    build: Callable[[], object],
    options: dict | None = None,
):
    """``build()``'s result for these raw ``files``, from the cache when it holds this exact
    fingerprint, else built, saved atomically and returned."""
    files = list(files)
    key = fingerprint(files, options)
    folder = cache_dir() / "processed" / _safe(kind)
    path = folder / f"{_safe(name)}-{key}" / "data.pt"
    if path.is_file():
        try:
            return torch.load(path, weights_only=False)
        except Exception as error:  # a corrupt entry is rebuilt, never trusted
            print(
                f"graphseq: the cached {path} could not be read ({type(error).__name__}); "
                "rebuilding it from the raw files.",
                file=sys.stderr,
            )
            path.unlink(missing_ok=True)
    result = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"data.pt.tmp{os.getpid()}")
    torch.save(result, tmp)
    os.replace(tmp, path)
    for stale in folder.iterdir():
        # The same dataset processed from older raw files (its name, another key).
        if stale != path.parent and stale.is_dir() and stale.name.rsplit("-", 1)[0] == _safe(name):
            shutil.rmtree(stale, ignore_errors=True)
    return result


def clear_cache() -> Path:
    """Remove every processed dataset; returns the folder that was emptied."""
    folder = cache_dir() / "processed"
    if folder.exists():
        shutil.rmtree(folder)
    return folder
