"""Save and load node embeddings: word2vec text (gensim ``KeyedVectors``), NumPy ``.npy``, torch
``.pt``.

The word2vec text format is what DeepWalk, node2vec and gensim write: a header line
``"<num_nodes> <dimensions>"``, then one line per node, ``"<node id> <v_1> ... <v_d>"``. The keys
are the nodes' original ids (``node_ids``; ``0 .. N-1`` when a graph has no others), so a file
names every row. It is written and read by gensim's own ``KeyedVectors`` (`to_keyed_vectors`,
`load_keyed_vectors`), so any word2vec tool reads graphseq's files and graphseq reads theirs.

`load_embeddings` gives a tensor whose rows follow ``node_ids`` (when given) or, for integer ids,
the ids themselves: a line's vector goes to the row of its id, in any line order, and ids absent
from the file get zero rows. ``.npy`` holds the matrix only; ``.pt`` holds the matrix and the ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = [
    "FORMATS",
    "WORD2VEC_SUFFIXES",
    "load_embeddings",
    "load_keyed_vectors",
    "save_embeddings",
    "to_keyed_vectors",
]

FORMATS = ("word2vec", "npy", "pt")
WORD2VEC_SUFFIXES = (".emb", ".embeddings", ".txt", ".w2v", ".vec", ".word2vec")


def format_of(path, format: str | None = None) -> str:
    """The format for ``path``: ``format`` when given, else from the suffix (an unknown suffix
    is an error: a file's name should say what it holds)."""
    if format is not None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}.")
        return format
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return "npy"
    if suffix in (".pt", ".pth"):
        return "pt"
    if suffix in WORD2VEC_SUFFIXES:
        return "word2vec"
    raise ValueError(
        f"cannot tell the embedding format of {Path(path).name!r} from its suffix; name it "
        f"{', '.join(WORD2VEC_SUFFIXES)} (word2vec text), .npy or .pt, or pass format=..."
    )


def _ids(node_ids, num_nodes: int) -> list:
    if node_ids is None:
        return list(range(num_nodes))
    ids = node_ids.tolist() if isinstance(node_ids, torch.Tensor) else list(node_ids)
    if len(ids) != num_nodes:
        raise ValueError(f"node_ids has {len(ids)} entries for {num_nodes} embedding rows.")
    return ids


def to_keyed_vectors(embeddings, node_ids=None):
    """Gensim ``KeyedVectors`` of ``embeddings [N, d]``, keyed by ``str(node_ids[i])``."""
    from gensim.models import KeyedVectors

    embeddings = torch.as_tensor(embeddings).detach().cpu().float()
    if embeddings.dim() != 2:
        raise ValueError(
            f"embeddings must have shape [num_nodes, dimensions], got {list(embeddings.shape)}."
        )
    vectors = KeyedVectors(embeddings.size(1))
    vectors.add_vectors([str(i) for i in _ids(node_ids, embeddings.size(0))], embeddings.numpy())
    return vectors


def save_embeddings(embeddings, path, format: str | None = None, node_ids=None) -> Path:
    """Write ``embeddings [N, d]`` to ``path`` (word2vec text keyed by ``node_ids``, ``.npy`` or
    ``.pt``; see the module docstring); returns the path."""
    path = Path(path)
    kind = format_of(path, format)
    embeddings = torch.as_tensor(embeddings).detach().cpu().float()
    if embeddings.dim() != 2:
        raise ValueError(
            f"embeddings must have shape [num_nodes, dimensions], got {list(embeddings.shape)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "npy":
        np.save(path, embeddings.numpy())
    elif kind == "pt":
        torch.save({"embeddings": embeddings, "node_ids": node_ids}, path)
    else:
        to_keyed_vectors(embeddings, node_ids).save_word2vec_format(str(path), binary=False)
    return path


def load_keyed_vectors(path):
    """Gensim ``KeyedVectors`` from a word2vec text file (keys are the node ids, as strings)."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no embeddings file at {path}.")
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=False)
    except (ValueError, UnicodeDecodeError, IndexError, EOFError) as error:
        raise ValueError(
            f"{path} is not a word2vec text file ('<count> <dimensions>' then one '<id> <values>' "
            f"line per node): {error}"
        ) from error


def load_embeddings(
    path, format: str | None = None, num_nodes: int | None = None, node_ids=None
) -> torch.Tensor:
    """Read embeddings written by `save_embeddings` (or by DeepWalk/node2vec/gensim).

    Args:
        node_ids: the graph's node ids, in row order (e.g. ``data.node_ids``): row ``i`` of the
            result is the vector of ``node_ids[i]``; absent ids get zeros.
        num_nodes: without ``node_ids``, the number of rows (default: the larger of the file's
            count and ``max id + 1``); the file's ids must then be integers, row ``i`` = id ``i``.

    Returns:
        ``FloatTensor [num_nodes, dimensions]``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no embeddings file at {path}.")
    kind = format_of(path, format)
    if kind == "npy":
        return torch.from_numpy(np.load(path)).float()
    if kind == "pt":
        saved = torch.load(path, weights_only=False)
        return (saved["embeddings"] if isinstance(saved, dict) else saved).float()
    vectors = load_keyed_vectors(path)
    if node_ids is not None:
        ids = _ids(node_ids, len(node_ids))
        out = torch.zeros(len(ids), vectors.vector_size)
        rows = [(i, vectors.key_to_index[str(key)]) for i, key in enumerate(ids)
                if str(key) in vectors.key_to_index]  # fmt: skip
        if rows:
            target, source = map(list, zip(*rows, strict=True))
            out[target] = torch.from_numpy(vectors.vectors[source]).float()
        return out
    try:
        keys = np.array([int(key) for key in vectors.index_to_key], dtype=np.int64)
    except ValueError as error:
        raise ValueError(
            f"{path} has node ids that are not integers ({error}); pass node_ids=... (the "
            "graph's ids in row order) or read it with load_keyed_vectors."
        ) from error
    if keys.size and keys.min() < 0:
        raise ValueError(f"{path}: node ids must be integers >= 0, got {int(keys.min())}.")
    largest = int(keys.max()) + 1 if keys.size else 0
    rows = max(len(keys), largest) if num_nodes is None else num_nodes
    if largest > rows:
        raise ValueError(f"{path} has node id {largest - 1} but num_nodes is {rows}.")
    out = torch.zeros(rows, vectors.vector_size)
    out[torch.from_numpy(keys)] = torch.from_numpy(vectors.vectors).float()
    return out
