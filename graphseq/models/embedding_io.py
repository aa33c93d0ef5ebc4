"""Save and load node embeddings: word2vec text format, NumPy ``.npy`` and torch ``.pt``.

The word2vec text format is what DeepWalk, node2vec and gensim write: a header line
``"<num_nodes> <dimensions>"``, then one line per node, ``"<node id> <v_1> ... <v_d>"``. Here
node ids are the integers ``0 .. N-1`` and `load_embeddings` puts each line in the row of
its id, so files from other tools (any line order, missing nodes) load too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = ["load_embeddings", "save_embeddings"]

_FORMATS = ("word2vec", "npy", "pt")


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in _FORMATS:
            raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {format!r}.")
        return format
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return "npy"
    if suffix in (".pt", ".pth"):
        return "pt"
    return "word2vec"  # .emb, .embeddings, .txt, .w2v, ... all are word2vec text


def save_embeddings(embeddings, path, format: str | None = None) -> None:
    """Write ``embeddings [N, d]`` to ``path``.

    ``format``: ``"word2vec"`` (text), ``"npy"`` or ``"pt"``; by default taken from the suffix
    (``.npy``, ``.pt``/``.pth``, anything else is word2vec text).
    """
    path = Path(path)
    embeddings = torch.as_tensor(embeddings).detach().cpu().float()
    if embeddings.dim() != 2:
        raise ValueError(
            f"embeddings must have shape [num_nodes, dimensions], got {list(embeddings.shape)}."
        )
    kind = _format_of(path, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "npy":
        np.save(path, embeddings.numpy())
    elif kind == "pt":
        torch.save(embeddings, path)
    else:
        num, dim = embeddings.shape
        rows = np.column_stack([np.arange(num), embeddings.numpy()])
        fmt = ["%d"] + ["%.8g"] * dim
        np.savetxt(path, rows, fmt=fmt, header=f"{num} {dim}", comments="")


def load_embeddings(path, format: str | None = None, num_nodes: int | None = None) -> torch.Tensor:
    """Read embeddings written by `save_embeddings` (or by DeepWalk/node2vec/gensim).

    For the word2vec text format, node ids must be integers; row ``i`` of the result is node
    ``i``, and ids missing from the file get zero rows. ``num_nodes`` sets the number of rows
    (default: the header's count, or ``max id + 1`` if larger).

    Returns:
        ``FloatTensor [num_nodes, dimensions]``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no embeddings file at {path}.")
    kind = _format_of(path, format)
    if kind == "npy":
        return torch.from_numpy(np.load(path)).float()
    if kind == "pt":
        return torch.load(path, weights_only=True).float()
    with open(path) as handle:
        header = handle.readline().split()
    if len(header) != 2 or not all(h.isdigit() for h in header):
        raise ValueError(
            f"{path} does not start with a word2vec header '<count> <dimensions>' "
            f"(got {' '.join(header)!r})."
        )
    count, dim = int(header[0]), int(header[1])
    table = np.loadtxt(path, skiprows=1, ndmin=2, dtype=np.float64)
    if table.shape[1] != dim + 1:
        raise ValueError(f"{path}: rows have {table.shape[1] - 1} values, the header says {dim}.")
    ids = table[:, 0]
    if not np.all(ids == np.round(ids)) or (ids.size and ids.min() < 0):
        raise ValueError(f"{path}: node ids must be integers >= 0.")
    ids = ids.astype(np.int64)
    rows = max(count, int(ids.max()) + 1 if ids.size else 0) if num_nodes is None else num_nodes
    if ids.size and int(ids.max()) >= rows:
        raise ValueError(f"{path} has node id {int(ids.max())} but num_nodes is {rows}.")
    out = torch.zeros(rows, dim)
    out[torch.from_numpy(ids)] = torch.from_numpy(table[:, 1:]).float()
    return out
