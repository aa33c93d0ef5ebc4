"""Graph inputs: any graph a user has, in as a PyG ``Data`` with its node ids and weights kept.

One entry point, `load_graph`, and one reader per source:

* `read_edgelist`: a ``.txt``/``.tsv``/``.csv`` edge list (optionally ``.gz``/``.bz2``/``.xz``),
  ``#``/``%`` comment lines, CRLF line ends, an optional header row, an optional weight column,
  any node ids (non-contiguous integers, strings), read by pandas' C parser (no Python loop per
  line), directed or not;
* `read_mat`: a MATLAB ``.mat`` graph (DeepWalk/node2vec's ``network``/``group`` by default, any
  key names), keeping its weights;
* `from_networkx` (any hashable node ids), `from_scipy` (a sparse adjacency), and a PyG ``Data``
  itself (`edge_weights`: ``edge_weight``, or a one-column ``edge_attr`` taken as the weights).

Node ids. Row ``i`` of every result (features, labels, embeddings) is the node ``node_ids[i]``;
``data.node_ids`` is set whenever the ids are not simply ``0 .. N-1`` in order (integer ids as a
``LongTensor``, any other ids as a list). Integer ids keep their order (sorted), so a file whose
ids are ``0 .. N-1`` gives row ``i`` = node ``i``; string ids are sorted too, so the numbering
does not depend on the order of the lines.

Undirected inputs (``directed=False``, the default of an edge list as of networkx) are stored
with both directions of every edge, as PyG does; a pair given twice (either way round) is kept
once, with the larger weight.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import torch

from .validation import check_edge_index

__all__ = [
    "EDGELIST_SUFFIXES",
    "edge_weights",
    "from_networkx",
    "from_scipy",
    "iter_edgelist_chunks",
    "load_graph",
    "node_ids_of",
    "read_edgelist",
    "read_mat",
]

EDGELIST_SUFFIXES = (".txt", ".tsv", ".csv", ".edges", ".edgelist", ".el")
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
# Column names that mark a first line as a header, whatever the ids look like.
_HEADER_WORDS = {
    "source", "target", "src", "dst", "from", "to", "node1", "node2", "u", "v", "weight",
    "fromnodeid", "tonodeid", "head", "tail",
}  # fmt: skip


def _data(edge_index, num_nodes, edge_weight=None, node_ids=None, **attributes):
    from torch_geometric.data import Data

    data = Data(edge_index=edge_index, num_nodes=num_nodes, **attributes)
    if edge_weight is not None:
        data.edge_weight = edge_weight
    if node_ids is not None:
        data.node_ids = node_ids
    return data


def node_ids_of(data):
    """The original id of every node of ``data``: ``data.node_ids``, else ``arange(N)``."""
    ids = getattr(data, "node_ids", None)
    return torch.arange(data.num_nodes) if ids is None else ids


def _undirected(source, target, weight):
    """Both directions of every edge, each unordered pair once (the larger weight), self-loops
    once. ``source``/``target`` ``int64`` arrays of node indices, ``weight`` floats or None."""
    low, high = np.minimum(source, target), np.maximum(source, target)
    n = int(high.max()) + 1 if high.size else 1
    keys = low * n + high
    if weight is None:
        keys = np.unique(keys)
    else:
        order = np.lexsort((-weight, keys))  # per key, the largest weight first
        keys, first = np.unique(keys[order], return_index=True)
        weight = weight[order][first]
    low, high = keys // n, keys % n
    loops = low == high
    source = np.concatenate([low, high[~loops]])
    target = np.concatenate([high, low[~loops]])
    if weight is not None:
        weight = np.concatenate([weight, weight[~loops]])
    return source, target, weight


def _index_ids(source_ids, target_ids):
    """Map raw ids (numbers or strings) to ``0 .. N-1``: ``(source, target, node_ids or None)``;
    ``node_ids`` is None when the ids already are ``0 .. N-1``."""
    ids, inverse = np.unique(np.concatenate([source_ids, target_ids]), return_inverse=True)
    source, target = np.split(inverse.astype(np.int64), 2)
    if ids.dtype.kind in "iu":
        if ids[0] == 0 and ids[-1] == len(ids) - 1:
            return source, target, None
        return source, target, torch.from_numpy(ids.astype(np.int64))
    return source, target, [str(i) for i in ids.tolist()]


def _finish(source, target, weight, node_ids, num_nodes, directed, **attributes):
    if not directed:
        source, target, weight = _undirected(source, target, weight)
    edge_index = torch.stack([torch.from_numpy(source), torch.from_numpy(target)]).long()
    edge_weight = None if weight is None else torch.from_numpy(weight.astype(np.float32))
    check_edge_index(edge_index, num_nodes, edge_weight)
    return _data(edge_index, num_nodes, edge_weight, node_ids, **attributes)


def _looks_numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _opener(compression):
    import bz2
    import gzip
    import lzma

    return {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}.get(compression, open)


def _head(path: Path, compression, comment: str, count: int = 2) -> tuple[list[str], str]:
    """The first ``count`` data lines and the comment character the file uses (pandas takes
    one), read from the file's head only."""
    lines, used = [], None
    with _opener(compression)(path, "rt", errors="replace") as handle:
        for line in handle:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped[0] in comment:
                used = used or stripped[0]
                continue
            lines.append(stripped)
            if len(lines) == count:
                break
    return lines, used or comment[:1]


def _edgelist_format(path, delimiter, header, comment):
    """``(path, compression, delimiter, header, comment_char)`` of an edge-list file, each
    option as given or detected from the file's name and head (see `read_edgelist`)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no edge-list file at {path}.")
    suffixes = [s.lower() for s in path.suffixes]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    plain = (
        suffixes[-2] if compression and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    )
    if delimiter is None:
        delimiter = {".csv": ",", ".tsv": "\t"}.get(plain, r"\s+")
    first, comment_char = _head(path, compression, comment)
    if not first:
        raise ValueError(f"{path} holds no edge: every line is empty or a comment ({comment!r}).")
    if header is None:
        split = [line.split(",") if delimiter == "," else line.split() for line in first]
        names = {token.strip().strip("\"'").lower() for token in split[0][:3]}
        header = bool(names & _HEADER_WORDS) or (
            len(split) == 2
            and not all(_looks_numeric(t) for t in split[0][:2])
            and all(_looks_numeric(t) for t in split[1][:2])
        )
    return path, compression, delimiter, header, comment_char


def _csv_options(delimiter: str, header: bool, comment_char) -> dict:
    """pandas ``read_csv`` options for an edge list of the given format."""
    return {
        "sep": delimiter,
        "comment": comment_char or None,
        "header": 0 if header else None,
        "engine": "c" if len(delimiter) == 1 or delimiter == r"\s+" else "python",
        "skip_blank_lines": True,
        "on_bad_lines": "error",
    }


def _unreadable(path, error) -> ValueError:
    """The error for an edge-list file the parser (or decompressor) gave up on."""
    return ValueError(
        f"{path} could not be read as an edge list ({type(error).__name__}: {error}); expected "
        "one edge per line, 'source target [weight]', and a complete (not truncated) file."
    )


def _table_columns(path, table, weighted: bool | None):
    """``([source ids, target ids], weight float64 array or None)`` of a parsed edge table,
    checked: two id columns without gaps, finite weights >= 0 (``weighted=None``: read the
    third column when there is one)."""
    import pandas as pd

    if table.shape[1] < 2 or table.iloc[:, :2].isna().any().any():
        raise ValueError(
            f"{path}: every line needs a source and a target column; found "
            f"{table.shape[1]} column(s). Check the delimiter (delimiter=...)."
        )
    if weighted is None:
        weighted = table.shape[1] >= 3 and not table.iloc[:, 2].isna().all()
    weight = None
    if weighted:
        if table.shape[1] < 3:
            raise ValueError(f"{path} has no weight column but weighted=True was given.")
        weight = pd.to_numeric(table.iloc[:, 2], errors="coerce").to_numpy(np.float64)
        if not np.isfinite(weight).all() or (weight < 0).any():
            bad = int((~np.isfinite(weight) | (weight < 0)).sum())
            raise ValueError(
                f"{path}: {bad} weight(s) in the third column are not finite numbers >= 0; fix "
                "them or pass weighted=False to ignore the column."
            )
    return [table.iloc[:, column] for column in (0, 1)], weight


def read_edgelist(
    path,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    comment: str = "#%",
):
    """Read an edge list file into a ``Data`` (see the module docstring).

    Args:
        path: the file: one edge per line, ``source target [weight]``; ``.gz``/``.bz2``/``.xz``
            are decompressed on the fly.
        directed: keep each line as one directed edge (SNAP's directed graphs); otherwise every
            edge gets both directions and duplicate pairs are kept once.
        weighted: read the third column as edge weights; None: when the file has one.
        delimiter: the column separator; None: ``","`` for ``.csv``, a tab for ``.tsv``, any
            whitespace otherwise.
        header: whether the first line names the columns; None: when it holds a usual column
            name (``source``, ``target``, ``from``, ``to``, ``weight``, ...) or when its first two
            fields are not numbers but the next line's are.
        comment: characters that may start a comment line (skipped); the file's own is the
            first of them its head uses (text after it on any line is ignored).

    Returns:
        ``Data(edge_index [2, E], num_nodes, edge_weight [E] if weighted, node_ids if the ids
        are not 0 .. N-1)``.

    Raises:
        FileNotFoundError: no such file. ValueError: a line without two columns, a weight that is
        not a number, negative or NaN weights, an empty file; the message names the file.
    """
    import pandas as pd

    path, compression, delimiter, header, comment_char = _edgelist_format(
        path, delimiter, header, comment
    )
    try:
        source = path
        if compression is not None:
            # Decompressed here, whole: Python's decoders notice a cut-short archive (pandas
            # would parse the part that decompresses and say nothing).
            source = io.BytesIO(_opener(compression)(path, "rb").read())
        table = pd.read_csv(source, **_csv_options(delimiter, header, comment_char))
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as error:
        raise _unreadable(path, error) from error
    ids, weight = _table_columns(path, table, weighted)
    if not all(pd.api.types.is_integer_dtype(column) for column in ids):
        # Any id that is not an integer makes every id a string ("7" and 7 are one node).
        ids = [column.astype(str) for column in ids]
    source, target, node_ids = _index_ids(ids[0].to_numpy(), ids[1].to_numpy())
    num_nodes = len(node_ids) if node_ids is not None else int(max(source.max(), target.max())) + 1
    return _finish(source, target, weight, node_ids, num_nodes, directed)


def iter_edgelist_chunks(
    path,
    chunk_lines: int = 1 << 22,
    *,
    weighted: bool | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    comment: str = "#%",
):
    """Read an edge list ``chunk_lines`` lines at a time, without holding the whole file.

    The file format is detected as in `read_edgelist`; compressed files are decompressed as a
    stream. Node ids must be integers ``>= 0`` (what an edge list too large for memory
    has; `graphseq.csr_builder` numbers them).

    Yields:
        ``(source, target, weight)`` per chunk: ``int64`` numpy arrays ``[n]`` of raw ids, and
        ``float64 [n]`` weights, or None when the file is read unweighted.

    Raises:
        ValueError: a line without two integer ids, a weight that is not a finite number >= 0.
    """
    import pandas as pd

    path, compression, delimiter, header, comment_char = _edgelist_format(
        path, delimiter, header, comment
    )
    options = _csv_options(delimiter, header, comment_char)
    try:
        reader = pd.read_csv(path, compression=compression, chunksize=chunk_lines, **options)
        for table in reader:
            columns, weight = _table_columns(path, table, weighted)
            weighted = weight is not None  # the first chunk decides for the file
            if not all(pd.api.types.is_integer_dtype(column) for column in columns):
                raise ValueError(
                    f"{path}: node ids must be integers for a chunked read, got "
                    f"{columns[0].dtype}/{columns[1].dtype}; renumber them, or read the file "
                    "whole with read_edgelist (any ids)."
                )
            source, target = (column.to_numpy(np.int64) for column in columns)
            if source.size and min(source.min(), target.min()) < 0:
                raise ValueError(f"{path}: node ids must be >= 0 for a chunked read.")
            yield source, target, weight
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as error:
        raise _unreadable(path, error) from error


def read_mat(path, *, network_key: str = "network", group_key: str | None = "group"):
    """Read a MATLAB ``.mat`` graph: the sparse adjacency under ``network_key`` (its values kept
    as ``edge_weight`` unless they are all 1) and, if present, the multi-hot labels under
    ``group_key`` as ``y [N, L]`` floats (DeepWalk's BlogCatalog, node2vec's PPI layout)."""
    import scipy.io as sio
    import scipy.sparse as sp

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no .mat file at {path}.")
    try:
        mat = sio.loadmat(str(path))
    except (ValueError, OSError, TypeError) as error:
        raise ValueError(
            f"{path} could not be read as a MATLAB file ({error}); it may be truncated: copy it "
            "again from its source."
        ) from error
    keys = sorted(k for k in mat if not k.startswith("__"))
    if network_key not in mat:
        raise ValueError(
            f"{path} has no {network_key!r} matrix; it holds {keys}. Pass network_key=... naming "
            "the adjacency matrix."
        )
    adjacency = mat[network_key]
    if not sp.issparse(adjacency):
        adjacency = sp.csr_matrix(adjacency)
    data = from_scipy(adjacency)
    if group_key is not None and group_key in mat:
        groups = mat[group_key]
        groups = groups.toarray() if sp.issparse(groups) else np.asarray(groups)
        data.y = (torch.from_numpy(np.asarray(groups)) > 0).float()
    return data


def from_scipy(matrix):
    """A ``Data`` from a square scipy sparse adjacency (entry ``[i, j]`` = edge ``i -> j``);
    stored values become ``edge_weight`` unless they are all 1."""
    import scipy.sparse as sp

    if not sp.issparse(matrix):
        raise TypeError(f"matrix must be a scipy.sparse matrix, got {type(matrix).__name__}.")
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"an adjacency matrix must be square, got shape {matrix.shape}.")
    coo = matrix.tocoo()
    edge_index = torch.stack(
        [torch.from_numpy(coo.row.astype(np.int64)), torch.from_numpy(coo.col.astype(np.int64))]
    )
    values = torch.from_numpy(coo.data.astype(np.float32))
    weight = None if values.numel() == 0 or bool((values == 1).all()) else values
    check_edge_index(edge_index, matrix.shape[0], weight)
    return _data(edge_index, matrix.shape[0], weight)


def from_networkx(graph, weight: str | None = "weight"):
    """A ``Data`` from a networkx graph with any hashable node ids.

    Nodes that are exactly the integers ``0 .. N-1`` (in any order) keep them: row ``i`` is node
    ``i``. Other ids are numbered in ``graph.nodes`` order and kept in ``data.node_ids``.
    Undirected graphs get both directions of every edge; the edge attribute ``weight`` (if any
    edge has it) becomes ``edge_weight``.
    """
    from .graph import CSRGraph

    csr = CSRGraph.from_networkx(graph, weight=weight)
    node_ids = csr.node_ids
    if node_ids is not None and all(isinstance(n, (int, np.integer)) for n in node_ids):
        node_ids = torch.tensor([int(n) for n in node_ids])
    return _data(csr.to_edge_index(), csr.num_nodes, csr.weights, node_ids)


def edge_weights(data) -> torch.Tensor | None:
    """The edge weights of a PyG ``Data``: ``edge_weight``; else a one-column ``edge_attr``
    (taken as the weights, with a warning saying so); else None. An ``edge_attr`` of several
    columns is an error that says how to choose one."""
    weight = getattr(data, "edge_weight", None)
    if weight is not None:
        return weight
    attr = getattr(data, "edge_attr", None)
    if attr is None:
        return None
    if attr.dim() == 1 or (attr.dim() == 2 and attr.size(1) == 1):
        warnings.warn(
            "data.edge_attr has one column: using it as the edge weights (set data.edge_weight "
            "to say so, or delete data.edge_attr to ignore it).",
            stacklevel=3,
        )
        return attr.reshape(-1)
    raise ValueError(
        f"data.edge_attr has {attr.size(1)} columns, so it is not one weight per edge. Set "
        "data.edge_weight = data.edge_attr[:, k] for the column to use as weights, or "
        "del data.edge_attr to treat the graph as unweighted."
    )


def load_graph(source, **options):
    """Any graph source as a ``Data``: a path (an edge list, a ``.mat`` file), a networkx graph,
    a scipy sparse matrix, or a ``Data`` (returned as is). ``options`` go to the reader."""
    from torch_geometric.data import Data

    if isinstance(source, Data):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        suffixes = [s.lower() for s in path.suffixes]
        if suffixes and suffixes[-1] in _COMPRESSIONS:
            suffixes = suffixes[:-1]
        if suffixes and suffixes[-1] == ".mat":
            return read_mat(path, **options)
        return read_edgelist(path, **options)
    try:
        import scipy.sparse as sp

        if sp.issparse(source):
            return from_scipy(source)
    except ImportError:  # pragma: no cover - scipy is a dependency
        pass
    if hasattr(source, "adj") and hasattr(source, "nodes"):
        return from_networkx(source, **options)
    raise TypeError(
        f"cannot load a graph from {type(source).__name__}; pass a file path (edge list or .mat), "
        "a networkx graph, a scipy sparse matrix or a torch_geometric Data."
    )
