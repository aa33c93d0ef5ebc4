"""Compressed sparse row (CSR) view of a graph, built once and shared by walks and samplers.

A graph with ``N`` nodes and ``E`` directed edges is stored as

* ``indptr``  ``LongTensor [N + 1]``: the out-edges of node ``v`` are positions
  ``indptr[v]:indptr[v + 1]``;
* ``indices`` ``LongTensor [E]``: the target node of each edge, sorted by source;
* ``weights`` ``FloatTensor [E]`` or ``None`` for an unweighted graph.

An undirected graph is stored with both directions of every edge, as PyG does. The
conversion from ``edge_index`` (PyG's ``[2, E]`` source/target layout), networkx or scipy
happens once; random walks and neighbour sampling then index ``indptr``/``indices``
directly, with no per-batch sorting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["CSRGraph", "validate_edge_index"]


def validate_edge_index(
    edge_index, num_nodes: int | None = None, edge_weight=None, *, name: str = "edge_index"
) -> tuple[torch.Tensor, int, torch.Tensor | None]:
    """Check a PyG ``edge_index`` (and optional ``edge_weight``) and return them normalised.

    Returns ``(edge_index [2, E] long, num_nodes, edge_weight [E] float or None)``. Raises
    ``TypeError``/``ValueError`` naming the argument, the problem and the fix.
    """
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape [2, num_edges], got {type(edge_index).__name__}; "
            "convert it with torch.as_tensor(..., dtype=torch.long)."
        )
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        hint = (
            " (it looks transposed: use edge_index.t())"
            if edge_index.dim() == 2 and edge_index.size(1) == 2
            else ""
        )
        raise ValueError(
            f"{name} must have shape [2, num_edges], got {list(edge_index.shape)}{hint}."
        )
    if (
        edge_index.dtype.is_floating_point
        or edge_index.dtype == torch.bool
        or edge_index.is_complex()
    ):
        raise TypeError(
            f"{name} must hold integer node ids, got dtype {edge_index.dtype}; "
            "convert it with edge_index.long()."
        )
    edge_index = edge_index.long()
    num_edges = edge_index.size(1)
    if num_edges > 0:
        low = int(edge_index.min())
        if low < 0:
            raise ValueError(
                f"{name} contains negative node id {low}; node ids must be 0 .. num_nodes - 1."
            )
        high = int(edge_index.max())
    else:
        high = -1
    if num_nodes is None:
        num_nodes = high + 1
    else:
        num_nodes = int(num_nodes)
        if num_nodes < 0:
            raise ValueError(f"num_nodes must be >= 0, got {num_nodes}.")
        if high >= num_nodes:
            raise ValueError(
                f"{name} refers to node {high}, but num_nodes is {num_nodes}: node ids must be "
                f"0 .. num_nodes - 1. Pass num_nodes >= {high + 1} or remove the out-of-range edges."
            )
    if edge_weight is not None:
        edge_weight = torch.as_tensor(edge_weight)
        if edge_weight.dim() != 1 or edge_weight.numel() != num_edges:
            raise ValueError(
                f"edge_weight must have shape [num_edges] = [{num_edges}], got {list(edge_weight.shape)}."
            )
        edge_weight = edge_weight.float()
        if not bool(torch.isfinite(edge_weight).all()):
            bad = int((~torch.isfinite(edge_weight)).sum())
            raise ValueError(
                f"edge_weight contains {bad} NaN or infinite value(s); every weight must be finite. "
                "Drop or replace them (e.g. torch.nan_to_num) before building the graph."
            )
        if bool((edge_weight < 0).any()):
            raise ValueError(
                "edge_weight contains negative values; walks and normalisation need weights >= 0."
            )
    return edge_index, num_nodes, edge_weight


@dataclass(frozen=True)
class CSRGraph:
    """A graph in CSR form (see the module docstring for the layout).

    Build one with `from_edge_index`, `from_data`, `from_networkx`,
    `from_scipy` or `from_any`; the constructor trusts its arguments.
    """

    indptr: torch.Tensor
    indices: torch.Tensor
    num_nodes: int
    weights: torch.Tensor | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edge_index(
        cls, edge_index: torch.Tensor, num_nodes: int | None = None, edge_weight=None
    ) -> CSRGraph:
        """Build from a PyG ``edge_index [2, E]`` (row 0 = source, row 1 = target).

        Edges keep their multiplicity; ``num_nodes`` defaults to ``max id + 1``.
        """
        edge_index, num_nodes, edge_weight = validate_edge_index(edge_index, num_nodes, edge_weight)
        src, dst = edge_index
        # Sort by (source, target) so neighbour lists are ordered and reproducible.
        order = torch.argsort(src * max(num_nodes, 1) + dst, stable=True)
        src, dst = src[order], dst[order]
        counts = torch.bincount(src, minlength=num_nodes)
        indptr = torch.zeros(num_nodes + 1, dtype=torch.long)
        torch.cumsum(counts, 0, out=indptr[1:])
        weights = edge_weight[order] if edge_weight is not None else None
        return cls(indptr=indptr, indices=dst.contiguous(), num_nodes=num_nodes, weights=weights)

    @classmethod
    def from_data(cls, data) -> CSRGraph:
        """Build from a ``torch_geometric.data.Data`` (uses ``edge_weight`` if present)."""
        edge_index = getattr(data, "edge_index", None)
        if edge_index is None:
            raise ValueError(
                "data has no edge_index; a graph needs data.edge_index of shape [2, E]."
            )
        edge_weight = getattr(data, "edge_weight", None)
        return cls.from_edge_index(edge_index, data.num_nodes, edge_weight)

    @classmethod
    def from_networkx(cls, graph, weight: str | None = "weight") -> CSRGraph:
        """Build from a networkx graph whose nodes are ``0..N-1`` (or any hashable, relabelled
        in ``graph.nodes`` order). Undirected graphs get both edge directions."""
        import networkx as nx

        nodes = list(graph.nodes)
        if nodes != list(range(len(nodes))):
            graph = nx.convert_node_labels_to_integers(graph, ordering="default")
        num_nodes = graph.number_of_nodes()
        edges = list(graph.edges(data=True))
        if not edges:
            return cls.from_edge_index(torch.zeros(2, 0, dtype=torch.long), num_nodes)
        src = torch.tensor([u for u, _, _ in edges], dtype=torch.long)
        dst = torch.tensor([v for _, v, _ in edges], dtype=torch.long)
        has_weight = weight is not None and any(weight in d for _, _, d in edges)
        w = torch.tensor([float(d.get(weight, 1.0)) for _, _, d in edges]) if has_weight else None
        if not graph.is_directed():
            loops = src == dst
            src, dst = torch.cat([src, dst[~loops]]), torch.cat([dst, src[~loops]])
            if w is not None:
                w = torch.cat([w, w[~loops]])
        return cls.from_edge_index(torch.stack([src, dst]), num_nodes, w)

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

    @classmethod
    def from_any(cls, graph) -> CSRGraph:
        """Accept a CSRGraph, PyG ``Data``, networkx graph, scipy sparse matrix or ``edge_index``."""
        if isinstance(graph, CSRGraph):
            return graph
        if isinstance(graph, torch.Tensor):
            return cls.from_edge_index(graph)
        if hasattr(graph, "edge_index"):
            return cls.from_data(graph)
        try:
            import scipy.sparse as sp

            if sp.issparse(graph):
                return cls.from_scipy(graph)
        except ImportError:  # pragma: no cover - scipy is a dependency
            pass
        if hasattr(graph, "adj") and hasattr(graph, "nodes"):
            return cls.from_networkx(graph)
        raise TypeError(
            "cannot build a graph from "
            f"{type(graph).__name__}; pass a torch_geometric Data, an edge_index [2, E] tensor, "
            "a networkx graph or a scipy sparse matrix."
        )

    # ------------------------------------------------------------------ views
    @property
    def num_edges(self) -> int:
        """Number of stored (directed) edges ``E``."""
        return int(self.indices.numel())

    def degree(self) -> torch.Tensor:
        """Out-degree of every node, ``LongTensor [N]`` (edge count, ignoring weights)."""
        return self.indptr[1:] - self.indptr[:-1]

    def weighted_degree(self) -> torch.Tensor:
        """Sum of out-edge weights per node, ``FloatTensor [N]`` (the degree when unweighted)."""
        if self.weights is None:
            return self.degree().float()
        src = torch.repeat_interleave(torch.arange(self.num_nodes), self.degree())
        return torch.zeros(self.num_nodes).index_add_(0, src, self.weights)

    def neighbors(self, node: int) -> torch.Tensor:
        """Targets of the out-edges of ``node``, ``LongTensor [degree(node)]``."""
        node = int(node)
        if not 0 <= node < self.num_nodes:
            raise IndexError(
                f"node {node} is out of range for a graph with {self.num_nodes} nodes."
            )
        return self.indices[self.indptr[node] : self.indptr[node + 1]]

    def sources(self) -> torch.Tensor:
        """Source node of every stored edge, ``LongTensor [E]`` (aligned with ``indices``)."""
        return torch.repeat_interleave(torch.arange(self.num_nodes), self.degree())

    def to_edge_index(self) -> torch.Tensor:
        """PyG ``edge_index [2, E]``, sorted by source then target."""
        return torch.stack([self.sources(), self.indices])

    def is_symmetric(self) -> bool:
        """True when every edge ``u -> v`` has a reverse ``v -> u`` (weights not compared)."""
        n = max(self.num_nodes, 1)
        forward = torch.unique(self.sources() * n + self.indices)
        backward = torch.unique(self.indices * n + self.sources())
        return forward.numel() == backward.numel() and bool((forward == backward).all())

    def symmetrize(self) -> CSRGraph:
        """Undirected version: adds every missing reverse edge and removes duplicate edges.

        Where both ``u -> v`` and ``v -> u`` exist with different weights, the larger is kept.
        """
        src, dst = self.sources(), self.indices
        all_src, all_dst = torch.cat([src, dst]), torch.cat([dst, src])
        n = max(self.num_nodes, 1)
        keys = all_src * n + all_dst
        unique_keys, inverse = torch.unique(keys, return_inverse=True)
        weights = None
        if self.weights is not None:
            w = torch.cat([self.weights, self.weights])
            weights = torch.full((unique_keys.numel(),), -math.inf).scatter_reduce(
                0, inverse, w, reduce="amax"
            )
        edge_index = torch.stack([unique_keys // n, unique_keys % n])
        return CSRGraph.from_edge_index(edge_index, self.num_nodes, weights)

    def to(self, device) -> CSRGraph:
        """The same graph with its tensors on ``device``."""
        return CSRGraph(
            indptr=self.indptr.to(device),
            indices=self.indices.to(device),
            num_nodes=self.num_nodes,
            weights=None if self.weights is None else self.weights.to(device),
        )

    def __repr__(self) -> str:
        kind = "weighted" if self.weights is not None else "unweighted"
        return f"CSRGraph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, {kind})"
