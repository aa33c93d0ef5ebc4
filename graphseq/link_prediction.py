"""Link prediction: leakage-free edge splits, edge scores from embeddings, heuristics, metrics.

The protocol (Kipf & Welling 2016 for GAE; Grover & Leskovec 2016 for node2vec):

1. `split_edges` holds out a fraction of the edges for validation and test, each beside as many
   sampled **non-edges** (pairs that are edges nowhere in the graph), and keeps the rest as the
   training graph, the only one any model or heuristic sees. Undirected graphs are split by
   unordered pair: an edge held out is removed in both directions. ``method="connected"`` (the
   node2vec paper's variant) only removes edges outside a random spanning forest, so the training
   graph keeps exactly the input's connected components.
2. A pair ``(u, v)`` gets a score: a heuristic of the training graph (`heuristic_scores`: common
   neighbours, Jaccard, Adamic-Adar, resource allocation, preferential attachment; vectorized over
   all pairs with sparse row products), or a function of two node embeddings (`EdgeScorer`: the
   inner product, or one of node2vec's four operators -- average, Hadamard, weighted-L1,
   weighted-L2 -- followed by a logistic regression trained on training edges and non-edges).
3. `link_metrics` scores positives against negatives: ROC-AUC, average precision, Hits@K (OGB's:
   the share of positives ranked above the K-th best negative).

Every random step takes a ``seed``: the same seed gives the same split and the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .graph import as_csr
from .validation import check_choice, check_fraction, check_int

__all__ = [
    "EdgeScorer",
    "EdgeSplit",
    "HEURISTICS",
    "OPERATORS",
    "adjacency_matrix",
    "heuristic_scores",
    "link_metrics",
    "sample_non_edges",
    "spectral_embedding",
    "split_edges",
]

# Up to this many nodes the spectral embedding solves the dense Laplacian (LAPACK, 3.5 s at
# 3,327 nodes); above it, ARPACK on the sparse one.
_DENSE_SPECTRAL_NODES = 5000

HEURISTICS = (
    "common_neighbors",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
)
OPERATORS = ("inner", "average", "hadamard", "weighted_l1", "weighted_l2")


@dataclass
class EdgeSplit:
    """A link-prediction split.

    Attributes:
        train_edge_index: ``[2, E_train]`` the training graph (both directions of every edge
            when undirected): what models and heuristics see.
        val_pos, val_neg, test_pos, test_neg: ``[2, k]`` held-out edges (one direction per
            unordered pair when undirected) and as many sampled non-edges.
        num_nodes: ``N``.
        directed: whether the pairs are ordered.
    """

    train_edge_index: torch.Tensor
    val_pos: torch.Tensor
    val_neg: torch.Tensor
    test_pos: torch.Tensor
    test_neg: torch.Tensor
    num_nodes: int
    directed: bool

    def train_graph(self, data=None):
        """A ``Data`` of the training graph, with ``data``'s node attributes (features, ids)."""
        from torch_geometric.data import Data

        graph = Data(edge_index=self.train_edge_index, num_nodes=self.num_nodes)
        if data is not None:
            for key in ("x", "node_ids", "y"):
                if getattr(data, key, None) is not None:
                    setattr(graph, key, getattr(data, key))
        return graph

    def pairs(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(pairs [2, 2k], labels [2k])`` of ``"val"`` or ``"test"``: positives then negatives."""
        check_choice("split", split, ("val", "test"))
        pos, neg = getattr(self, f"{split}_pos"), getattr(self, f"{split}_neg")
        labels = torch.cat([torch.ones(pos.size(1)), torch.zeros(neg.size(1))])
        return torch.cat([pos, neg], 1), labels


def _keys(edge_index: torch.Tensor, num_nodes: int, directed: bool) -> torch.Tensor:
    source, target = edge_index
    if not directed:
        source, target = torch.minimum(source, target), torch.maximum(source, target)
    return source * num_nodes + target


def sample_non_edges(
    edge_index: torch.Tensor,
    num_nodes: int,
    count: int,
    *,
    directed: bool = False,
    exclude: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``[2, count]`` distinct uniform node pairs ``u != v`` that are no edge of ``edge_index``
    (nor in ``exclude``, e.g. already sampled negatives); undirected pairs as ``u < v``."""
    count = check_int("count", count, minimum=0)
    taken = torch.unique(_keys(edge_index, num_nodes, directed))
    if exclude is not None and exclude.numel():
        taken = torch.unique(torch.cat([taken, _keys(exclude, num_nodes, directed)]))
    available = num_nodes * (num_nodes - 1) // (1 if directed else 2) - taken.numel()
    if count > available:
        raise ValueError(
            f"the graph has only {available} node pairs that are not edges; cannot sample "
            f"{count} non-edges. Hold out fewer edges."
        )
    found = torch.zeros(0, dtype=torch.long)
    while found.numel() < count:
        need = count - found.numel()
        draws = torch.randint(0, num_nodes, (2, 2 * need + 16), generator=generator)
        draws = draws[:, draws[0] != draws[1]]
        keys = _keys(draws, num_nodes, directed)
        fresh = keys[~torch.isin(keys, taken) & ~torch.isin(keys, found)]
        # Keep the first occurrence of each new key, in draw order (deterministic).
        unique, inverse = torch.unique(fresh, return_inverse=True)
        first = torch.full((unique.numel(),), fresh.numel(), dtype=torch.long)
        first.scatter_reduce_(0, inverse, torch.arange(fresh.numel()), reduce="amin")
        found = torch.cat([found, fresh[first.sort().values][:need]])
    return torch.stack([found // num_nodes, found % num_nodes])


def _spanning_forest_mask(pairs: torch.Tensor, num_nodes: int, generator) -> torch.Tensor:
    """Bool ``[P]``: the unordered ``pairs`` on a random spanning forest (a minimum spanning
    forest of random weights, computed by scipy in C)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import minimum_spanning_tree

    weights = torch.rand(pairs.size(1), generator=generator, dtype=torch.float64) + 1.0
    matrix = sp.coo_matrix(
        (weights.numpy(), (pairs[0].numpy(), pairs[1].numpy())), shape=(num_nodes, num_nodes)
    ).tocsr()
    forest = minimum_spanning_tree(matrix).tocoo()
    keys = torch.from_numpy(
        np.minimum(forest.row, forest.col) * num_nodes + np.maximum(forest.row, forest.col)
    )
    return torch.isin(pairs[0] * num_nodes + pairs[1], keys.long())


def split_edges(
    graph,
    val: float = 0.05,
    test: float = 0.1,
    *,
    method: str = "random",
    directed: bool | None = None,
    seed: int = 0,
) -> EdgeSplit:
    """Hold out ``val`` and ``test`` fractions of the edges, each with as many non-edges.

    Args:
        graph: anything `graphseq.as_csr` reads (a ``Data``, ``edge_index``, networkx, ...).
        val, test: fractions of the (unordered, when undirected) edges held out; the defaults
            are the GAE paper's 85/5/10 split.
        method: ``"random"`` (any edge may be held out) or ``"connected"`` (only edges outside a
            random spanning forest: the training graph keeps the input's connected components,
            as in the node2vec paper).
        directed: treat ``(u, v)`` and ``(v, u)`` as different pairs; default: whether the graph
            is not symmetric.
        seed: the same seed gives the same split.

    Self-loops are never held out (nor sampled as negatives) and stay in the training graph.
    """
    check_choice("method", method, ("random", "connected"))
    val, test = check_fraction("val", val), check_fraction("test", test)
    if val + test >= 1.0:
        raise ValueError(f"val + test must leave training edges: got {val} + {test}.")
    csr = as_csr(graph, "out")
    num_nodes = csr.num_nodes
    edge_index = csr.to_edge_index()
    if directed is None:
        directed = not csr.is_symmetric()
    generator = torch.Generator().manual_seed(int(seed))
    loops = edge_index[0] == edge_index[1]
    keys = torch.unique(_keys(edge_index[:, ~loops], num_nodes, directed))
    pairs = torch.stack([keys // num_nodes, keys % num_nodes])
    order = torch.randperm(pairs.size(1), generator=generator)
    if method == "connected":
        if directed:
            raise ValueError(
                "method='connected' keeps an undirected spanning forest; use it on an undirected graph."
            )
        keep = _spanning_forest_mask(pairs, num_nodes, generator)
        order = order[~keep[order]]  # only edges off the forest may be held out
    num_val, num_test = int(round(val * pairs.size(1))), int(round(test * pairs.size(1)))
    if num_val + num_test > order.numel():
        raise ValueError(
            f"only {order.numel()} edges can be held out ({method} split) but val + test asks for "
            f"{num_val + num_test}; use smaller fractions or method='random'."
        )
    if num_val == 0 or num_test == 0:
        raise ValueError(
            f"the graph has {pairs.size(1)} edges: val={val} and test={test} hold out none; the "
            "split needs at least one edge in each."
        )
    held = order[: num_val + num_test]
    val_pos, test_pos = pairs[:, held[:num_val]], pairs[:, held[num_val:]]
    held_keys = keys[held]
    remaining = ~torch.isin(_keys(edge_index, num_nodes, directed), held_keys)
    train_edge_index = edge_index[:, remaining | loops]
    test_neg = sample_non_edges(
        edge_index, num_nodes, num_test, directed=directed, generator=generator
    )
    val_neg = sample_non_edges(
        edge_index, num_nodes, num_val, directed=directed, exclude=test_neg, generator=generator
    )
    return EdgeSplit(train_edge_index, val_pos, val_neg, test_pos, test_neg, num_nodes, directed)


# ---------------------------------------------------------------------------------- metrics
def link_metrics(scores: torch.Tensor, labels: torch.Tensor, hits_at=(20, 50, 100)) -> dict:
    """``{"roc_auc", "ap", "hits@K" ...}`` of ``scores [P]`` for ``labels [P]`` (1 = edge).

    ROC-AUC and average precision are scikit-learn's; Hits@K is OGB's: the fraction of positive
    pairs scored above the K-th highest-scored negative (1 when there are at most K negatives).
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = torch.as_tensor(scores).detach().double().cpu()
    labels = torch.as_tensor(labels).detach().cpu() > 0
    if not bool(torch.isfinite(scores).all()):
        raise ValueError("scores contain NaN or infinite values.")
    if labels.all() or not labels.any():
        raise ValueError("labels need both positive (1) and negative (0) pairs.")
    metrics = {
        "roc_auc": float(roc_auc_score(labels.numpy(), scores.numpy())),
        "ap": float(average_precision_score(labels.numpy(), scores.numpy())),
    }
    positives, negatives = scores[labels], scores[~labels]
    for k in hits_at:
        if negatives.numel() < k:
            metrics[f"hits@{k}"] = 1.0
            continue
        threshold = torch.topk(negatives, k).values[-1]
        metrics[f"hits@{k}"] = float((positives > threshold).double().mean())
    return metrics


# ---------------------------------------------------------------------------------- heuristics
def adjacency_matrix(graph):
    """The 0/1 scipy CSR adjacency ``[N, N]`` of ``graph`` (entry ``[u, v]`` for an edge
    ``u -> v``; duplicate edges once)."""
    import scipy.sparse as sp

    graph = as_csr(graph, "out")
    n = graph.num_nodes
    matrix = sp.csr_matrix(
        (np.ones(graph.num_edges), graph.indices.numpy(), graph.indptr.numpy()), shape=(n, n)
    )
    matrix.data[:] = 1.0  # a multigraph's duplicate edges count once
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def spectral_embedding(graph, dimensions: int = 128, seed: int = 0) -> torch.Tensor:
    """Laplacian eigenmaps of ``graph`` (edges taken as undirected): ``FloatTensor [N, d]``,
    ``d = min(dimensions, N - 2)``: the eigenvectors of the smallest eigenvalues of the normalized
    Laplacian after its trivial ones, each divided by ``sqrt(degree)``, signs fixed so that the
    entry of largest magnitude is positive. On a connected graph this is scikit-learn's
    ``SpectralEmbedding(affinity="precomputed")`` (tested).

    A graph with ``c`` connected components has ``c`` zero eigenvalues whose eigenvectors only
    say which component a node is in; scikit-learn drops the first of them only, so on
    CiteSeer's 85% training graph (687 components) every one of 128 dimensions would be such an
    indicator, and its shift-invert ARPACK may not converge for an hour. Graphs of up to 5,000
    nodes are therefore solved densely (exact, seconds) with one trivial eigenvector dropped per
    component (fewer than ``d`` left: the rest are zeros). Larger graphs use scikit-learn's ARPACK
    as it is (seeded by ``seed``): fine for a connected graph, slow for a fragmented one."""
    import scipy.linalg
    import scipy.sparse.csgraph as csgraph

    adjacency = adjacency_matrix(graph)
    adjacency = adjacency.maximum(adjacency.T).astype(np.float64)
    n = adjacency.shape[0]
    width = min(int(dimensions), n - 2)
    if width < 1:
        raise ValueError(f"a spectral embedding needs at least 3 nodes; the graph has {n}.")
    if n > _DENSE_SPECTRAL_NODES:
        from sklearn.manifold import SpectralEmbedding

        # scikit-learn takes only 32-bit sparse indices
        adjacency.indices = adjacency.indices.astype(np.int32)
        adjacency.indptr = adjacency.indptr.astype(np.int32)
        embedding = SpectralEmbedding(width, affinity="precomputed", random_state=seed)
        return torch.from_numpy(embedding.fit_transform(adjacency)).float()
    components = int(csgraph.connected_components(adjacency, directed=False)[0])
    laplacian, root_degree = csgraph.laplacian(adjacency, normed=True, return_diag=True)
    last = min(components + width, n) - 1
    _, vectors = scipy.linalg.eigh(laplacian.toarray(), subset_by_index=[0, last])
    embedding = np.zeros((n, width))
    found = vectors[:, components:] / root_degree[:, None]
    if found.shape[1]:
        largest = np.abs(found).argmax(0)
        found *= np.sign(found[largest, np.arange(found.shape[1])])
        embedding[:, : found.shape[1]] = found
    return torch.from_numpy(embedding).float()


def heuristic_scores(
    graph, pairs: torch.Tensor, name: str, *, chunk: int = 1 << 16
) -> torch.Tensor:
    """``[P]`` scores of the node ``pairs [2, P]`` on ``graph`` (the training graph) by a
    neighbourhood heuristic of `HEURISTICS` (Liben-Nowell & Kleinberg 2007):

    * ``common_neighbors``: ``|N(u) ∩ N(v)|``; ``jaccard``: ``|N(u) ∩ N(v)| / |N(u) ∪ N(v)|``;
    * ``adamic_adar``: ``Σ_{w ∈ N(u) ∩ N(v)} 1 / log deg(w)``;
    * ``resource_allocation``: ``Σ_{w ∈ N(u) ∩ N(v)} 1 / deg(w)``;
    * ``preferential_attachment``: ``deg(u) · deg(v)``.

    Neighbourhoods are out-neighbours, self-loops ignored. Computed for ``chunk`` pairs at a time
    with sparse row products (no Python loop over pairs).
    """
    check_choice("name", name, HEURISTICS)
    adjacency = adjacency_matrix(graph)
    adjacency.setdiag(0)
    adjacency.eliminate_zeros()
    degree = np.asarray(adjacency.sum(1)).ravel()
    pairs = torch.as_tensor(pairs).long()
    if name == "preferential_attachment":
        return torch.from_numpy(degree[pairs[0].numpy()] * degree[pairs[1].numpy()])
    weight = {
        "adamic_adar": np.divide(
            1.0, np.log(np.maximum(degree, 2.0)), out=np.zeros_like(degree), where=degree > 1
        ),
        "resource_allocation": np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0),
    }.get(name, np.ones_like(degree))
    out = np.empty(pairs.size(1))
    for start in range(0, pairs.size(1), chunk):
        u = pairs[0, start : start + chunk].numpy()
        v = pairs[1, start : start + chunk].numpy()
        common = adjacency[u].multiply(adjacency[v])  # [chunk, N]: 1 where w is shared
        shared = np.asarray(common @ weight).ravel()
        if name == "jaccard":
            union = degree[u] + degree[v] - np.asarray(common.sum(1)).ravel()
            shared = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        out[start : start + chunk] = shared
    return torch.from_numpy(out)


# ---------------------------------------------------------------------------------- embeddings
def _edge_features(embeddings: torch.Tensor, pairs: torch.Tensor, operator: str) -> torch.Tensor:
    u, v = embeddings[pairs[0]], embeddings[pairs[1]]
    if operator == "average":
        return (u + v) / 2
    if operator == "hadamard":
        return u * v
    if operator == "weighted_l1":
        return (u - v).abs()
    return (u - v) ** 2


class EdgeScorer:
    """Scores node pairs from node embeddings ``[N, d]``.

    ``operator="inner"``: the inner product ``z_u · z_v`` (nothing to train: what GAE decodes).
    Any other of `OPERATORS` (node2vec's, Grover & Leskovec 2016, Table 1): the edge's feature
    vector (``(z_u + z_v) / 2``, ``z_u ⊙ z_v``, ``|z_u - z_v|``, ``(z_u - z_v)²``) is classified by
    a logistic regression fitted on the training graph's edges against as many sampled non-edges
    (`fit`), as in the node2vec paper's link-prediction protocol.
    """

    def __init__(self, operator: str = "hadamard", *, C: float = 1.0, seed: int = 0):
        self.operator = check_choice("operator", operator, OPERATORS)
        self.C, self.seed = C, seed
        self.classifier = None

    def fit(self, embeddings, split: EdgeSplit) -> EdgeScorer:
        """Fit the operator's classifier on ``split``'s training edges and non-edges."""
        if self.operator == "inner":
            return self
        from sklearn.linear_model import LogisticRegression

        embeddings = torch.as_tensor(embeddings).detach().float().cpu()
        train = split.train_edge_index
        train = train[:, train[0] != train[1]]
        if not split.directed:
            train = train[:, train[0] < train[1]]
        # Negatives are non-edges of the training graph only (the held-out edges are not known
        # to be edges, so they are not excluded); the evaluation pairs themselves are.
        generator = torch.Generator().manual_seed(int(self.seed))
        negatives = sample_non_edges(
            split.train_edge_index, split.num_nodes, train.size(1), directed=split.directed,
            exclude=torch.cat([split.val_pos, split.val_neg, split.test_pos, split.test_neg], 1),
            generator=generator,
        )  # fmt: skip
        features = _edge_features(embeddings, torch.cat([train, negatives], 1), self.operator)
        labels = np.concatenate([np.ones(train.size(1)), np.zeros(negatives.size(1))])
        self.classifier = LogisticRegression(C=self.C, max_iter=1000).fit(features.numpy(), labels)
        return self

    def score(self, embeddings, pairs: torch.Tensor) -> torch.Tensor:
        """``[P]`` scores of ``pairs [2, P]`` (higher: more likely an edge)."""
        embeddings = torch.as_tensor(embeddings).detach().float().cpu()
        pairs = torch.as_tensor(pairs).long()
        if self.operator == "inner":
            return (embeddings[pairs[0]] * embeddings[pairs[1]]).sum(1)
        if self.classifier is None:
            raise RuntimeError(f"fit the {self.operator} scorer on a split first: scorer.fit(...).")
        features = _edge_features(embeddings, pairs, self.operator).numpy()
        return torch.from_numpy(self.classifier.decision_function(features))

    def evaluate(self, embeddings, split: EdgeSplit, which: str = "test") -> dict:
        """`link_metrics` of ``which`` (``"val"`` or ``"test"``) pairs."""
        pairs, labels = split.pairs(which)
        return link_metrics(self.score(embeddings, pairs), labels)
