"""Compressed sparse row (CSR) view of a graph, built once and shared by walks and samplers.

A graph with ``N`` nodes and ``E`` directed edges is stored as

* ``indptr``  ``LongTensor [N + 1]``: the neighbours of node ``v`` are positions
  ``indptr[v]:indptr[v + 1]``;
* ``indices`` ``LongTensor [E]``: the neighbour at each position, sorted within each row;
* ``weights`` ``FloatTensor [E]`` or ``None`` for an unweighted graph;
* ``direction``: which neighbours a row lists. ``"out"``: the targets of ``v``'s out-edges
  (what a random walk follows); ``"in"``: the sources of ``v``'s in-edges (what message
  passing aggregates: PyG's ``edge_index[0]`` sends to ``edge_index[1]``). `reverse` turns one
  into the other (once: the result is memoized; free for a graph known to be symmetric);
* ``node_ids``: the original id of every node (row ``i`` is node ``node_ids[i]``), or None when
  the ids are ``0 .. N-1`` themselves.

An undirected graph is stored with both directions of every edge, as PyG does. `as_csr` is the
one boundary function: it turns any input (``Data``, ``edge_index``, networkx, scipy, a
CSRGraph of either direction) into the CSR a consumer needs, so walks, samplers and layers index
``indptr``/``indices`` directly, with no per-batch sorting and no caller-side flipping.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .validation import check_choice, check_edge_index

__all__ = ["CSRGraph", "DIRECTIONS", "as_csr", "save_graph_metadata"]

DIRECTIONS = ("out", "in")


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """A graph in CSR form (see the module docstring for the layout).

    Build one with `as_csr` or the ``from_*`` constructors; the constructor trusts its
    arguments. ``symmetric=True`` promises that every edge ``u -> v`` has its reverse ``v -> u``
    with the same weight (undirected input), which makes `reverse` free.
    """

    indptr: torch.Tensor
    indices: torch.Tensor
    num_nodes: int
    weights: torch.Tensor | None = None
    direction: str = "out"
    symmetric: bool = False
    node_ids: object = None
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edge_index(
        cls,
        edge_index: torch.Tensor,
        num_nodes: int | None = None,
        edge_weight=None,
        *,
        direction: str = "out",
        symmetric: bool = False,
        node_ids=None,
    ) -> CSRGraph:
        """Build from a PyG ``edge_index [2, E]`` (row 0 = source, row 1 = target).

        Edges keep their multiplicity; ``num_nodes`` defaults to ``max id + 1``.
        """
        check_choice("direction", direction, DIRECTIONS)
        edge_index, num_nodes, edge_weight = check_edge_index(edge_index, num_nodes, edge_weight)
        row, col = edge_index if direction == "out" else edge_index.flip(0)
        # Sort by (row, neighbour) so neighbour lists are ordered and reproducible.
        order = torch.argsort(row * max(num_nodes, 1) + col, stable=True)
        row, col = row[order], col[order]
        counts = torch.bincount(row, minlength=num_nodes)
        indptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=row.device)
        torch.cumsum(counts, 0, out=indptr[1:])
        weights = edge_weight[order] if edge_weight is not None else None
        return cls(indptr, col.contiguous(), num_nodes, weights, direction, symmetric, node_ids)

    @classmethod
    def from_data(cls, data, *, direction: str = "out") -> CSRGraph:
        """Build from a ``torch_geometric.data.Data``: its ``edge_weight`` (or a one-column
        ``edge_attr``, see `graphseq.io.edge_weights`) and its ``node_ids`` are kept."""
        from .io import edge_weights

        edge_index = getattr(data, "edge_index", None)
        if edge_index is None:
            raise ValueError(
                "data has no edge_index; a graph needs data.edge_index of shape [2, E]."
            )
        return cls.from_edge_index(
            edge_index,
            data.num_nodes,
            edge_weights(data),
            direction=direction,
            node_ids=getattr(data, "node_ids", None),
        )

    @classmethod
    def from_networkx(cls, graph, weight: str | None = "weight") -> CSRGraph:
        """Build from a networkx graph. Undirected graphs get both edge directions.

        Nodes that are exactly the integers ``0 .. N-1`` (in any order) keep them: row ``i`` is
        node ``i``. Any other hashable ids are numbered in ``graph.nodes`` order and kept in
        ``node_ids``.
        """
        nodes = list(graph.nodes)
        num_nodes = len(nodes)
        identity = (
            all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < num_nodes for n in nodes
            )
            and len(set(nodes)) == num_nodes
        )
        index = None if identity else {node: i for i, node in enumerate(nodes)}
        edges = list(graph.edges(data=True))
        src = torch.tensor(
            [u if index is None else index[u] for u, _, _ in edges], dtype=torch.long
        )
        dst = torch.tensor(
            [v if index is None else index[v] for _, v, _ in edges], dtype=torch.long
        )
        has_weight = weight is not None and any(weight in d for _, _, d in edges)
        w = (
            torch.tensor([float(d.get(weight, 1.0)) for _, _, d in edges], dtype=torch.float64)
            if has_weight
            else None
        )
        undirected = not graph.is_directed()
        if undirected:
            loops = src == dst
            src, dst = torch.cat([src, dst[~loops]]), torch.cat([dst, src[~loops]])
            if w is not None:
                w = torch.cat([w, w[~loops]])
        if w is not None:
            w = w.float()
        return cls.from_edge_index(
            torch.stack([src, dst]),
            num_nodes,
            w,
            symmetric=undirected,
            node_ids=None if identity else nodes,
        )

    @classmethod
    def from_scipy(cls, matrix) -> CSRGraph:
        """Build from a square scipy sparse adjacency matrix (entry ``[i, j]`` = edge i -> j).

        Stored values become weights unless they are all 1."""
        import scipy.sparse as sp

        if not sp.issparse(matrix):
            raise TypeError(f"matrix must be a scipy.sparse matrix, got {type(matrix).__name__}.")
        if matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"an adjacency matrix must be square, got shape {matrix.shape}.")
        coo = matrix.tocoo()
        edge_index = torch.stack(
            [torch.from_numpy(coo.row.astype("int64")), torch.from_numpy(coo.col.astype("int64"))]
        )
        values = torch.from_numpy(coo.data.astype("float32"))
        weight = None if values.numel() == 0 or bool((values == 1).all()) else values
        return cls.from_edge_index(edge_index, matrix.shape[0], weight)

    # ------------------------------------------------------------------ views
    @property
    def num_edges(self) -> int:
        """Number of stored (directed) edges ``E``."""
        return int(self.indices.numel())

    def degree(self) -> torch.Tensor:
        """Entries per row, ``LongTensor [N]``: the out-degree (``"out"``) or in-degree
        (``"in"``), counting edges, not weights."""
        return self.indptr[1:] - self.indptr[:-1]

    def weighted_degree(self) -> torch.Tensor:
        """Sum of each row's edge weights, ``FloatTensor [N]`` (the degree when unweighted)."""
        if self.weights is None:
            return self.degree().float()
        return torch.zeros(self.num_nodes, dtype=self.weights.dtype).index_add_(
            0, self.rows(), self.weights
        )

    def neighbors(self, node: int) -> torch.Tensor:
        """Row ``node``: its out-neighbours (``"out"``) or in-neighbours (``"in"``)."""
        node = int(node)
        if not 0 <= node < self.num_nodes:
            raise IndexError(
                f"node {node} is out of range for a graph with {self.num_nodes} nodes."
            )
        return self.indices[self.indptr[node] : self.indptr[node + 1]]

    def rows(self) -> torch.Tensor:
        """The row (node) of every stored entry, ``LongTensor [E]``, aligned with ``indices``."""
        return torch.repeat_interleave(
            torch.arange(self.num_nodes, device=self.indptr.device),
            self.degree(),
            output_size=self.num_edges,
        )

    def to_edge_index(self) -> torch.Tensor:
        """PyG ``edge_index [2, E]`` (row 0 = source), whatever the direction."""
        rows = self.rows()
        if self.direction == "out":
            return torch.stack([rows, self.indices])
        return torch.stack([self.indices, rows])

    def is_symmetric(self) -> bool:
        """True when every edge ``u -> v`` has a reverse ``v -> u`` (weights not compared)."""
        if self.symmetric:
            return True
        n = max(self.num_nodes, 1)
        rows = self.rows()
        forward = torch.unique(rows * n + self.indices)
        backward = torch.unique(self.indices * n + rows)
        return forward.numel() == backward.numel() and bool((forward == backward).all())

    def reverse(self) -> CSRGraph:
        """The same graph with the other `direction` (``"out"`` <-> ``"in"``).

        Computed once and memoized; for a ``symmetric`` graph it shares this graph's tensors.
        """
        cached = self._memo.get("reverse")
        if cached is not None:
            return cached
        other = "in" if self.direction == "out" else "out"
        if self.symmetric:
            result = CSRGraph(
                self.indptr, self.indices, self.num_nodes, self.weights, other, True,
                self.node_ids,
            )  # fmt: skip
        else:
            result = CSRGraph.from_edge_index(
                self.to_edge_index(), self.num_nodes, self.weights, direction=other,
                node_ids=self.node_ids,
            )  # fmt: skip
        result._memo["reverse"] = self
        self._memo["reverse"] = result
        return result

    def symmetrize(self) -> CSRGraph:
        """Undirected version: adds every missing reverse edge and removes duplicate edges.

        Where both ``u -> v`` and ``v -> u`` exist with different weights, the larger is kept.
        """
        src, dst = self.to_edge_index()
        all_src, all_dst = torch.cat([src, dst]), torch.cat([dst, src])
        n = max(self.num_nodes, 1)
        keys = all_src * n + all_dst
        unique_keys, inverse = torch.unique(keys, return_inverse=True)
        weights = None
        if self.weights is not None:
            w = torch.cat([self.weights, self.weights])
            weights = torch.full((unique_keys.numel(),), -math.inf, dtype=w.dtype).scatter_reduce(
                0, inverse, w, reduce="amax"
            )
        edge_index = torch.stack([unique_keys // n, unique_keys % n])
        return CSRGraph.from_edge_index(
            edge_index, self.num_nodes, weights, direction=self.direction, symmetric=True,
            node_ids=self.node_ids,
        )  # fmt: skip

    # ------------------------------------------------------------------ storage
    def save(self, path) -> Path:
        """Store the graph in the folder ``path`` (created): ``indptr.npy``, ``indices.npy``,
        ``weights.npy`` if weighted, ``node_ids.npy``/``.json`` if set, and ``graph.json``
        (``num_nodes``, ``direction``, ``symmetric``). Reopen it with `load`."""
        from .mmap import save_tensor

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_tensor(path / "indptr.npy", self.indptr)
        save_tensor(path / "indices.npy", self.indices)
        if self.weights is not None:
            save_tensor(path / "weights.npy", self.weights)
        save_graph_metadata(path, self.num_nodes, self.direction, self.symmetric, self.node_ids)
        return path

    @classmethod
    def load(cls, path, mmap: bool = True) -> CSRGraph:
        """The graph stored in the folder ``path`` by `save` (or by
        `graphseq.csr_builder.csr_from_edgelist`). With ``mmap`` (default) its arrays are
        memory-mapped, not read: opening costs no memory, and walks, samplers and DeepWalk
        read only the pages they touch (see `graphseq.mmap`)."""
        from .mmap import load_tensor

        path = Path(path)
        meta_file = path / _META
        if not meta_file.is_file():
            raise FileNotFoundError(
                f"no stored graph at {path} (missing {_META}); save one with CSRGraph.save(path) "
                "or build one with graphseq.csr_builder.csr_from_edgelist."
            )
        meta = json.loads(meta_file.read_text())
        weights = path / "weights.npy"
        return cls(
            load_tensor(path / "indptr.npy", mmap),
            load_tensor(path / "indices.npy", mmap),
            int(meta["num_nodes"]),
            load_tensor(weights, mmap) if weights.is_file() else None,
            meta["direction"],
            bool(meta["symmetric"]),
            _load_node_ids(path, mmap),
        )

    def to(self, device) -> CSRGraph:
        """The same graph with its tensors on ``device``."""
        return CSRGraph(
            self.indptr.to(device),
            self.indices.to(device),
            self.num_nodes,
            None if self.weights is None else self.weights.to(device),
            self.direction,
            self.symmetric,
            self.node_ids,
        )

    def __repr__(self) -> str:
        kind = "weighted" if self.weights is not None else "unweighted"
        return (
            f"CSRGraph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, {kind}, "
            f"direction={self.direction!r})"
        )


def as_csr(graph, direction: str = "out") -> CSRGraph:
    """The CSR view of ``graph`` whose rows list ``direction`` neighbours.

    Accepts a `CSRGraph` (returned as is, or its memoized `CSRGraph.reverse`), a PyG
    ``Data``, an ``edge_index [2, E]`` tensor, a networkx graph or a scipy sparse adjacency.
    Random walks want ``"out"`` (they follow edges); neighbour sampling and aggregation want
    ``"in"`` (a node gathers from the sources of its in-edges).
    """
    check_choice("direction", direction, DIRECTIONS)
    if isinstance(graph, CSRGraph):
        return graph if graph.direction == direction else graph.reverse()
    if isinstance(graph, torch.Tensor):
        return CSRGraph.from_edge_index(graph, direction=direction)
    if hasattr(graph, "edge_index"):
        return CSRGraph.from_data(graph, direction=direction)
    try:
        import scipy.sparse as sp

        if sp.issparse(graph):
            return as_csr(CSRGraph.from_scipy(graph), direction)
    except ImportError:  # pragma: no cover - scipy is a dependency
        pass
    if hasattr(graph, "adj") and hasattr(graph, "nodes"):
        return as_csr(CSRGraph.from_networkx(graph), direction)
    raise TypeError(
        "cannot build a graph from "
        f"{type(graph).__name__}; pass a torch_geometric Data, an edge_index [2, E] tensor, "
        "a networkx graph, a scipy sparse matrix or a graphseq.CSRGraph."
    )


_META = "graph.json"


def save_graph_metadata(path: Path, num_nodes: int, direction: str, symmetric: bool,
                        node_ids=None) -> None:  # fmt: skip
    """Write what a stored CSR's arrays do not say themselves into the folder ``path``:
    ``graph.json`` (node count, direction, symmetry) and the node ids (integer ids as
    ``node_ids.npy``, any other ids as a JSON list of strings). Used by `CSRGraph.save` and by
    `graphseq.csr_builder`, which writes the arrays itself."""
    from .mmap import save_tensor

    meta = {"format": 1, "num_nodes": int(num_nodes), "direction": direction,
            "symmetric": bool(symmetric)}  # fmt: skip
    if node_ids is not None:
        if isinstance(node_ids, torch.Tensor):
            save_tensor(path / "node_ids.npy", node_ids)
        else:
            (path / "node_ids.json").write_text(json.dumps([str(i) for i in node_ids]))
    (path / _META).write_text(json.dumps(meta, indent=2) + "\n")


def _load_node_ids(path: Path, mmap: bool):
    from .mmap import load_tensor

    if (path / "node_ids.npy").is_file():
        return load_tensor(path / "node_ids.npy", mmap)
    if (path / "node_ids.json").is_file():
        return json.loads((path / "node_ids.json").read_text())
    return None
