"""Node orderings: the order in which a sequence readout reads each graph's nodes.

Orderings (`ORDERINGS`), each a *rank* of every node inside its own graph (0 = read
first); ties are always broken by the smaller node id, so an ordering is a function of the
graph (and, for ``"random_walk"``, of the seed):

* ``"degree"``: by decreasing degree. One stable sort of the whole batch by
  ``(graph id, -degree)``; cheap enough to compute on every batch.
* ``"bfs"``: breadth-first order from the highest-degree node; neighbours are visited in
  increasing id, and when a component is exhausted the search restarts from the
  highest-degree unvisited node. The search runs level by level over *all* graphs of the
  batch at once (one sort per level, not a Python loop per node or per graph), but it still
  needs one step per BFS level, so `add_node_ranks` (or the `OrderNodes` transform) computes it ONCE per
  dataset and stores it as the node attribute ``node_rank``, which PyG's collation then carries into every
  mini-batch.
* ``"random_walk"``: the order in which a seeded random walk from the highest-degree node
  first visits the nodes (walks from `graphseq.walks`); nodes it never reaches follow in
  degree order. Also precomputed once per dataset with `add_node_ranks`.

Use them as a PyG transform (``dataset.transform = OrderNodes("bfs")``), once over a list of
graphs (`add_node_ranks`), or on a batch (`node_ranks`). `graphseq.models.GraphClassifier` reads
a batch's ``node_rank`` (or computes its ``ordering`` on the fly) and hands the readout the nodes
in that order.
"""

from __future__ import annotations

import torch
from torch_geometric.transforms import BaseTransform

from .validation import check_choice, check_edge_index

__all__ = ["ORDERINGS", "OrderNodes", "add_node_ranks", "graph_sizes", "node_ranks", "order_nodes"]

ORDERINGS = ("degree", "bfs", "random_walk")


def _check_ordering(ordering: str) -> None:
    check_choice("ordering", ordering, ORDERINGS)


def graph_sizes(batch: torch.Tensor, num_graphs: int | None, num_nodes: int) -> torch.Tensor:
    """Nodes per graph ``[G]`` of a sorted ``batch`` vector; raises when ``batch`` is malformed or
    a graph has no node."""
    if not isinstance(batch, torch.Tensor) or batch.dim() != 1 or batch.numel() != num_nodes:
        shape = list(batch.shape) if isinstance(batch, torch.Tensor) else type(batch).__name__
        raise ValueError(
            f"batch must be a LongTensor [num_nodes={num_nodes}] giving each node's graph, "
            f"got {shape}."
        )
    if num_nodes and int(batch.min()) < 0:
        raise ValueError("batch holds negative graph ids; graph ids must be 0 .. num_graphs-1.")
    if num_graphs is None:
        num_graphs = int(batch.max()) + 1 if num_nodes else 0
    if num_nodes and int(batch.max()) >= num_graphs:
        raise ValueError(
            f"batch holds graph id {int(batch.max())} but num_graphs={num_graphs}; pass the "
            "batch's own num_graphs."
        )
    if num_nodes > 1 and bool((batch[1:] < batch[:-1]).any()):
        raise ValueError(
            "batch must be sorted (the nodes of each graph contiguous, as PyG's DataLoader "
            "makes them)."
        )
    sizes = torch.bincount(batch, minlength=num_graphs)
    if num_graphs == 0 or bool((sizes == 0).any()):
        empty = (sizes == 0).nonzero().flatten().tolist() if num_graphs else []
        raise ValueError(
            f"graph(s) {empty[:10]} of the batch have zero nodes (num_graphs={num_graphs}); a "
            "graph readout needs at least one node per graph: drop empty graphs from the "
            "dataset (e.g. dataset[[g.num_nodes > 0 for g in dataset]])."
            if num_graphs
            else "the batch holds no graph; a graph readout needs at least one node."
        )
    return sizes


# ---------------------------------------------------------------------------- orderings
def _max(values: torch.Tensor) -> int:
    return int(values.max()) if values.numel() else 0


def _degree(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    return torch.bincount(edge_index[0], minlength=num_nodes)


def _ranks_from_order(order: torch.Tensor, batch: torch.Tensor, sizes: torch.Tensor):
    """``order`` lists the nodes graph by graph in reading order -> the rank of each node."""
    starts = torch.cumsum(sizes, 0) - sizes
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel()) - starts[batch[order]]
    return rank


def _degree_order(edge_index, batch, sizes) -> torch.Tensor:
    degree = _degree(edge_index, batch.numel())
    # Stable sort keeps ascending node id among equal (graph, degree) keys.
    key = batch * (_max(degree) + 1) + (_max(degree) - degree)
    return torch.sort(key, stable=True).indices


def _first_per_graph(candidates: torch.Tensor, key: torch.Tensor, batch: torch.Tensor):
    """The candidate node with the smallest ``key`` in each graph (ties: smaller node id)."""
    order = candidates[torch.sort(key[candidates], stable=True).indices]
    order = order[torch.sort(batch[order], stable=True).indices]
    graphs = batch[order]
    first = torch.ones_like(graphs, dtype=torch.bool)
    first[1:] = graphs[1:] != graphs[:-1]
    return order[first]


def _bfs_order(edge_index, batch, sizes) -> torch.Tensor:
    """Level-synchronous BFS in all graphs at once (see the module docstring)."""
    num_nodes = batch.numel()
    degree = _degree(edge_index, num_nodes)
    restart_key = _max(degree) - degree  # highest degree first
    source, target = edge_index
    rank = torch.full((num_nodes,), -1, dtype=torch.long)
    filled = torch.zeros(sizes.numel(), dtype=torch.long)  # ranks given so far, per graph
    frontier = torch.zeros(num_nodes, dtype=torch.bool)
    while bool((rank < 0).any()):
        # Nodes discovered from the frontier, keyed by the rank of their first discoverer
        # (queue order), then by their own id: exactly the queue BFS with sorted neighbours.
        hit = frontier[source] & (rank[target] < 0)
        parents = torch.full((num_nodes,), num_nodes, dtype=torch.long)
        parents.scatter_reduce_(0, target[hit], rank[source[hit]], reduce="amin")
        new = (parents < num_nodes).nonzero().flatten()
        # Graphs with an empty frontier but unvisited nodes restart from their highest-degree
        # unvisited node.
        active = torch.zeros(sizes.numel(), dtype=torch.bool)
        active[batch[new]] = True
        unvisited = (rank < 0) & ~active[batch]
        if bool(unvisited.any()):
            roots = _first_per_graph(unvisited.nonzero().flatten(), restart_key, batch)
            parents[roots] = -1
            new = torch.cat([new, roots])
        new = new[torch.sort(parents[new] * num_nodes + new).indices]
        new = new[torch.sort(batch[new], stable=True).indices]
        graphs = batch[new]
        counts = torch.bincount(graphs, minlength=sizes.numel())
        offset = torch.cumsum(counts, 0) - counts
        rank[new] = filled[graphs] + torch.arange(new.numel()) - offset[graphs]
        filled += counts
        frontier.zero_()
        frontier[new] = True
    return torch.sort(batch * num_nodes + rank).indices


def _random_walk_order(edge_index, batch, sizes, seed, walk_length) -> torch.Tensor:
    from .graph import CSRGraph
    from .walks import random_walks

    num_nodes = batch.numel()
    degree = _degree(edge_index, num_nodes)
    key = _max(degree) - degree
    starts = _first_per_graph(torch.arange(num_nodes), key, batch)
    if walk_length is None:
        walk_length = 2 * int(sizes.max())
    if edge_index.size(1) == 0:  # no edge anywhere: every walk stays at its start node
        walks = starts[:, None]
    else:
        graph = CSRGraph.from_edge_index(edge_index, num_nodes)
        # "stay": a walk stuck at a node without edges repeats it (no -1 padding to filter).
        walks = random_walks(
            graph, walk_length, 1, seed=seed, start_nodes=starts, dead_end="stay"
        )  # [G, walk_length]
    steps = torch.arange(walks.size(1)).expand_as(walks)
    first_visit = torch.full((num_nodes,), walks.size(1), dtype=torch.long)
    first_visit.scatter_reduce_(0, walks.flatten(), steps.flatten(), reduce="amin")
    # Unreached nodes (first_visit == walk length) follow in degree order.
    secondary = torch.where(first_visit < walks.size(1), 0, key)
    order = torch.sort(secondary, stable=True).indices
    order = order[torch.sort(first_visit[order], stable=True).indices]
    return order[torch.sort(batch[order], stable=True).indices]


def node_ranks(
    edge_index: torch.Tensor,
    batch: torch.Tensor | None = None,
    num_nodes: int | None = None,
    ordering: str = "degree",
    *,
    num_graphs: int | None = None,
    seed: int = 0,
    walk_length: int | None = None,
) -> torch.Tensor:
    """The position of every node in its graph's sequence under ``ordering``.

    Args:
        edge_index: ``LongTensor [2, E]`` of the (batched) graphs.
        batch: ``LongTensor [N]`` graph id of each node (sorted); None for one graph.
        num_nodes: ``N`` (default: ``batch.numel()``, else ``edge_index.max() + 1``).
        ordering: one of `ORDERINGS`.
        seed: random seed of the ``"random_walk"`` ordering.
        walk_length: steps of that walk (default ``2 * max_nodes``).

    Returns:
        ``LongTensor [N]``: 0 for the node read first in its graph, 1 for the next, ...
    """
    _check_ordering(ordering)

    if num_nodes is None:
        num_nodes = batch.numel() if batch is not None else None
    edge_index, num_nodes, _ = check_edge_index(edge_index, num_nodes)
    if batch is None:
        batch = torch.zeros(num_nodes, dtype=torch.long)
    batch = batch.cpu().long()
    edge_index = edge_index.cpu()
    sizes = graph_sizes(batch, num_graphs, num_nodes)
    if ordering == "degree":
        order = _degree_order(edge_index, batch, sizes)
    elif ordering == "bfs":
        order = _bfs_order(edge_index, batch, sizes)
    else:
        order = _random_walk_order(edge_index, batch, sizes, seed, walk_length)
    return _ranks_from_order(order, batch, sizes)


def order_nodes(batch: torch.Tensor, node_rank: torch.Tensor) -> torch.Tensor:
    """The permutation ``[N]`` listing the nodes graph by graph, each graph in rank order."""
    key = batch.long() * (_max(node_rank) + 1) + node_rank.long()
    return torch.sort(key).indices


def add_node_ranks(graphs, ordering: str, *, seed: int = 0, attr: str = "node_rank") -> list:
    """Compute an ordering once for a whole dataset and store it on each graph.

    ``graphs`` is a PyG dataset or a list of ``Data``; returns a list of copies with the node
    attribute ``attr`` (``LongTensor [num_nodes]``), which mini-batches then carry (PyG
    concatenates it without offsets). All graphs are ranked in one batched call.
    """
    _check_ordering(ordering)
    from torch_geometric.data import Batch

    graphs = [graph.clone() for graph in graphs]
    if not graphs:
        return graphs
    big = Batch.from_data_list(graphs)
    ranks = node_ranks(
        big.edge_index, big.batch, big.num_nodes, ordering, num_graphs=len(graphs), seed=seed
    )
    for graph, part in zip(graphs, torch.split(ranks, big.ptr.diff().tolist()), strict=True):
        setattr(graph, attr, part.clone())
    return graphs


class OrderNodes(BaseTransform):
    """A PyG transform adding ``node_rank`` (``LongTensor [num_nodes]``) to a graph: its
    position in the graph's sequence under ``ordering`` (see the module docstring).

    ``dataset.transform = OrderNodes("bfs")`` ranks each graph when it is read; for many
    epochs, `add_node_ranks` ranks every graph once, batched.
    """

    def __init__(self, ordering: str = "degree", *, seed: int = 0, attr: str = "node_rank"):
        _check_ordering(ordering)
        self.ordering, self.seed, self.attr = ordering, seed, attr

    def forward(self, data):
        rank = node_ranks(data.edge_index, None, data.num_nodes, self.ordering, seed=self.seed)
        setattr(data, self.attr, rank)
        return data

    def __repr__(self) -> str:
        return f"OrderNodes({self.ordering!r}, seed={self.seed})"
