"""Shared fixtures: the real data directory and an isolated cache for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# The tests run many small tensor operations, for which one thread is faster than two and far
# faster on a busy machine (thread oversubscription; measured: 25x slower recurrent training
# loops with 2 threads under load). Timings belong in benchmarks/, not here.
torch.set_num_threads(1)

# The raw benchmark files: $GRAPHSEQ_DATA, else ../shared/data beside the repository.
_DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own processed-data cache, so none writes to the user's."""
    cache = tmp_path_factory.mktemp("graphseq-cache")
    monkeypatch.setenv("GRAPHSEQ_CACHE", str(cache))
    return cache


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real raw data. Under CI a missing data directory is a failure, not a skip."""
    # Absolute, because some tests change the working directory (GRAPHSEQ_DATA may be relative).
    root = Path(os.environ.get("GRAPHSEQ_DATA") or _DEFAULT_DATA).resolve()
    if not (root / "Planetoid" / "Cora" / "raw").is_dir():
        message = f"real data not found at {root}; set GRAPHSEQ_DATA to the shared data directory"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return root
