"""DeepWalk and node2vec node embeddings (scikit-learn style estimators).

DeepWalk (Perozzi et al. 2014): (1) random walks turn the graph into node sequences,
(2) skip-gram learns one vector per node from which nodes co-occur within a window of a walk.
node2vec (Grover & Leskovec 2016) is the same with second-order walks biased by ``p`` and ``q``.

>>> model = DeepWalk(dimensions=64, walks_per_node=10, seed=0).fit(data)
>>> model.embeddings_.shape        # FloatTensor [num_nodes, 64], row i = node i
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ..graph import as_csr
from ..progress import progress_bar
from ..validation import check_choice, check_int, check_number
from ..walks import check_bias, iter_random_walks
from .embedding_io import save_embeddings, to_keyed_vectors
from .saving import SavableEstimator
from .skipgram import SkipGramSettings, train_skipgram

__all__ = ["IN_MEMORY_SHUFFLE_MAX_TOKENS", "DeepWalk", "Node2Vec"]

IN_MEMORY_SHUFFLE_MAX_TOKENS = 1 << 26
"""Largest walk set (walks x walk_length nodes) that `DeepWalk` shuffles whole in memory: 2^26
int64 nodes = 512 MiB (1 GiB while permuted). Larger walk sets stream (see ``shuffle_walks``)."""


def _as_list(ids) -> list:
    return ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)


class DeepWalk(SavableEstimator, BaseEstimator):
    """DeepWalk embeddings: uniform (or weight-proportional) walks + gensim skip-gram.

    The defaults are the paper's BlogCatalog settings: 80 walks of 40 nodes from every node,
    window 10, 128 dimensions, skip-gram with hierarchical softmax, one pass over the walks.

    Args:
        dimensions: embedding size ``d``.
        walk_length: nodes per walk (the start node included).
        walks_per_node: walks started at every node.
        window_size: skip-gram context window (nodes on each side).
        hs: hierarchical softmax (the paper's choice). None (default): on exactly when
            ``negative == 0``, so ``negative=5`` alone means negative sampling only (with both
            on, gensim trains both output layers: for a million nodes about 3x slower, and
            its Huffman tree alone takes tens of seconds). With ``hs=False`` set
            ``negative > 0``.
        negative: negative samples per positive pair (0 = off).
        epochs: passes of skip-gram over the walks.
        sample: gensim's frequent-node down-sampling threshold (0 = off, as in the paper).
        alpha: initial skip-gram learning rate, decayed linearly to ``min_alpha``.
        min_alpha: final skip-gram learning rate.
        workers: gensim worker threads. With more than one, training is not bit-reproducible
            (thread scheduling), the walks still are.
        seed: seeds the walks, their order and gensim; same seed and ``workers=1``, same
            embeddings.
        corpus: ``"auto"`` (a corpus file for large walk sets -- at least
            `CORPUS_FILE_MIN_TOKENS` nodes in all -- so that
            workers scale and memory stays small), ``"file"`` or ``"memory"``.
        shuffle_walks: present the walks to skip-gram in random order rather than grouped
            pass by pass. Walk sets of up to `IN_MEMORY_SHUFFLE_MAX_TOKENS` nodes are shuffled
            as a whole, in memory; larger ones stream to skip-gram chunk by chunk, never all
            in memory, each pass starting from the nodes in a fresh random order (DeepWalk's
            own "shuffle the nodes in each pass").
        dead_end: what a walk does at a node without out-edges (see `graphseq.walks`).
        progress: tqdm bars for walking and training (default: only on a terminal).

    Attributes (after `fit`):
        embeddings_: ``FloatTensor [num_nodes, dimensions]``; row ``i`` is the node
            ``node_ids_[i]`` (node ``i`` when the graph's ids are ``0 .. N-1``). A node
            that occurs in no walk of 2 or more nodes (an isolated node; with directed graphs,
            a node no walk reaches that has no out-edges) has a zero row.
        node_ids_: the original id of every row (``LongTensor`` or a list): a networkx graph's
            nodes, an edge list's ids (`graphseq.io`), or ``arange(num_nodes)``.
        trained_mask_: ``BoolTensor [num_nodes]``: rows that were learned.
        walk_seconds_, train_seconds_, fit_seconds_: where the time went.
        corpus_: ``"file"`` or ``"memory"``, how gensim was fed.
    """

    # DeepWalk's walks are first order; Node2Vec has these as parameters.
    p: float = 1.0
    q: float = 1.0

    def __init__(
        self,
        dimensions: int = 128,
        walk_length: int = 40,
        walks_per_node: int = 80,
        window_size: int = 10,
        *,
        hs: bool | None = None,
        negative: int = 0,
        epochs: int = 1,
        sample: float = 0.0,
        alpha: float = 0.025,
        min_alpha: float = 0.0001,
        workers: int = 1,
        seed: int | None = None,
        corpus: str = "auto",
        shuffle_walks: bool = True,
        dead_end: str = "stop",
        progress: bool | None = None,
    ):
        self.dimensions = dimensions
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.window_size = window_size
        self.hs = hs
        self.negative = negative
        self.epochs = epochs
        self.sample = sample
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.workers = workers
        self.seed = seed
        self.corpus = corpus
        self.shuffle_walks = shuffle_walks
        self.dead_end = dead_end
        self.progress = progress

    # ------------------------------------------------------------------ fitting
    def _validate(self) -> SkipGramSettings:
        for name in ("dimensions", "walk_length", "walks_per_node", "window_size", "epochs"):
            check_int(name, getattr(self, name))
        workers = check_int("workers", self.workers)
        check_int("negative", self.negative, minimum=0)
        hs = self.negative == 0 if self.hs is None else bool(self.hs)
        if not hs and self.negative == 0:
            raise ValueError(
                "hs=False and negative=0 leave skip-gram without an output layer; "
                "use hs=True (hierarchical softmax) or negative > 0 (e.g. 5)."
            )
        if self.walk_length < 2:
            raise ValueError(
                f"walk_length must be >= 2 for skip-gram to see any context, got {self.walk_length}."
            )
        check_number("sample", self.sample, minimum=0.0)
        for name in ("alpha", "min_alpha"):
            check_number(name, getattr(self, name), positive=True)
        check_choice("corpus", self.corpus, ("auto", "file", "memory"))
        check_choice("dead_end", self.dead_end, ("stop", "stay"))
        return SkipGramSettings(
            dimensions=self.dimensions,
            window_size=self.window_size,
            hs=hs,
            negative=self.negative,
            sample=float(self.sample),
            alpha=float(self.alpha),
            min_alpha=float(self.min_alpha),
            epochs=self.epochs,
            workers=workers,
            seed=0,  # replaced in fit
        )

    def fit(self, data, y=None) -> DeepWalk:
        """Learn the embeddings of ``data``'s nodes; returns ``self``.

        Args:
            data: a PyG ``Data``, ``edge_index [2, E]``, `CSRGraph`, networkx graph or
                scipy sparse adjacency. Undirected graphs need both edge directions (PyG's
                convention; networkx/scipy inputs are converted accordingly).
            y: ignored (scikit-learn compatibility).
        """
        settings = self._validate()
        p = check_bias("p", self.p, "the return parameter")
        q = check_bias("q", self.q, "the in-out parameter")
        graph = as_csr(data, "out")
        seed = self.seed
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
        walk_seed, order_seed, model_seed = np.random.SeedSequence(seed).generate_state(3)
        settings = SkipGramSettings(**{**settings.__dict__, "seed": int(model_seed) >> 1})
        start = time.perf_counter()
        total = self.walks_per_node * graph.num_nodes
        bar = progress_bar(total, desc="random walks", unit="walk", progress=self.progress)
        walking = {"seconds": 0.0}

        def timed_chunks():
            """The walk chunks for skip-gram, timing the walking (and shuffling) itself."""
            chunks = self._walk_chunks(graph, p, q, int(walk_seed), int(order_seed) >> 1)
            while True:
                begin = time.perf_counter()
                chunk = next(chunks, None)
                walking["seconds"] += time.perf_counter() - begin
                if chunk is None:
                    bar.close()
                    return
                bar.update(chunk.size(0))
                yield chunk

        embeddings, trained, info = train_skipgram(
            timed_chunks(),
            graph.num_nodes,
            settings,
            corpus=self.corpus,
            expected_tokens=total * self.walk_length,
            progress=self.progress,
        )
        self.walk_seconds_ = walking["seconds"]
        self.embeddings_ = embeddings
        ids = graph.node_ids
        if ids is not None and not isinstance(ids, torch.Tensor):
            ids = torch.tensor(ids) if all(isinstance(i, int) for i in ids) else list(ids)
        self.node_ids_ = torch.arange(graph.num_nodes) if ids is None else ids
        self.trained_mask_ = trained
        self.corpus_ = info["corpus"]
        self.train_seconds_ = info["train_seconds"]
        self.num_walks_ = total
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _walk_chunks(self, graph, p: float, q: float, walk_seed: int, order_seed: int):
        """``LongTensor [W, walk_length]`` chunks of all walks, in skip-gram's order.

        Shuffled walk sets that fit `IN_MEMORY_SHUFFLE_MAX_TOKENS` are walked whole and
        permuted (the order graphseq always used, so a seed gives the embeddings it gave).
        Larger ones are walked pass by pass from a seeded random permutation of the start
        nodes, streamed: memory holds a few chunks, not the walk set."""
        walk = functools.partial(
            iter_random_walks, graph, self.walk_length, p=p, q=q, dead_end=self.dead_end
        )
        total = self.walks_per_node * graph.num_nodes
        if not self.shuffle_walks:
            yield from walk(self.walks_per_node, seed=walk_seed)
            return
        generator = torch.Generator().manual_seed(order_seed)
        if total * self.walk_length <= IN_MEMORY_SHUFFLE_MAX_TOKENS:
            walks = torch.cat(list(walk(self.walks_per_node, seed=walk_seed)))
            walks = walks[torch.randperm(walks.size(0), generator=generator)]
            rows = max(1, (1 << 22) // self.walk_length)
            for begin in range(0, walks.size(0), rows):
                yield walks[begin : begin + rows]
            return
        pass_seeds = np.random.SeedSequence([walk_seed, 1]).generate_state(self.walks_per_node)
        for pass_seed in pass_seeds:
            order = torch.randperm(graph.num_nodes, generator=generator)
            yield from walk(1, seed=int(pass_seed) >> 1, start_nodes=order)

    # ------------------------------------------------------------------ results
    def _check_fitted(self) -> None:
        if not hasattr(self, "embeddings_"):
            raise RuntimeError(
                f"this {type(self).__name__} is not fitted yet; call fit(data) first."
            )

    def get_embedding(self) -> torch.Tensor:
        """``FloatTensor [num_nodes, dimensions]`` (the same as ``embeddings_``)."""
        self._check_fitted()
        return self.embeddings_

    def transform(self, nodes=None) -> torch.Tensor:
        """Embeddings of the rows ``nodes`` (``LongTensor [k]`` of positions ``0 .. N-1``; all
        nodes when None). To look nodes up by their original ids, use `lookup`."""
        self._check_fitted()
        if nodes is None:
            return self.embeddings_
        nodes = torch.as_tensor(nodes).long()
        if nodes.numel() and (int(nodes.min()) < 0 or int(nodes.max()) >= len(self.embeddings_)):
            raise IndexError(
                f"nodes must be ids in 0 .. {len(self.embeddings_) - 1}, got "
                f"{int(nodes.min())} .. {int(nodes.max())}."
            )
        return self.embeddings_[nodes]

    def lookup(self, ids) -> torch.Tensor:
        """``[len(ids), d]``: the embeddings of the nodes whose original ids are ``ids``
        (``node_ids_``: the ids of the graph that was fitted, e.g. a networkx graph's or an edge
        list's, which need not be ``0 .. N-1``)."""
        self._check_fitted()
        index = {str(node): row for row, node in enumerate(_as_list(self.node_ids_))}
        missing = [i for i in ids if str(i) not in index]
        if missing:
            raise KeyError(
                f"node id(s) {missing[:5]} are not in the fitted graph ({len(index)} nodes, e.g. "
                f"{_as_list(self.node_ids_)[:3]})."
            )
        return self.embeddings_[torch.tensor([index[str(i)] for i in ids], dtype=torch.long)]

    def to_keyed_vectors(self):
        """The embeddings as gensim ``KeyedVectors`` keyed by ``str(original id)``."""
        self._check_fitted()
        return to_keyed_vectors(self.embeddings_, self.node_ids_)

    def fit_transform(self, data, y=None) -> torch.Tensor:
        """``fit(data)`` then the embeddings of every node."""
        return self.fit(data).embeddings_

    # ------------------------------------------------------------------ saving
    _FITTED = (
        "embeddings_", "node_ids_", "trained_mask_", "corpus_", "walk_seconds_",
        "train_seconds_", "num_walks_", "fit_seconds_",
    )  # fmt: skip

    def _fitted_state(self) -> dict:
        self._check_fitted()
        return {name: getattr(self, name) for name in self._FITTED if hasattr(self, name)}

    def _load_fitted_state(self, state: dict) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def save_embeddings(self, path, format: str | None = None):
        """Save ``embeddings_`` keyed by the original node ids (word2vec text, ``.npy`` or
        ``.pt``; see `graphseq.models.save_embeddings`); returns the path."""
        self._check_fitted()
        return save_embeddings(self.embeddings_, path, format=format, node_ids=self.node_ids_)


class Node2Vec(DeepWalk):
    """node2vec embeddings: second-order walks biased by ``p`` and ``q`` + gensim skip-gram.

    The defaults are the node2vec paper's: 10 walks of 80 nodes per node, window 10, 128
    dimensions, skip-gram with negative sampling (5 negatives), one pass.

    Args:
        p: return parameter (``> 0``): weight ``1/p`` for stepping back to the previous node.
        q: in-out parameter (``> 0``): weight ``1/q`` for moving away from the previous node
            (``q < 1`` explores outward like DFS, ``q > 1`` stays local like BFS).

    The other arguments are `DeepWalk`'s.
    """

    def __init__(
        self,
        p: float = 1.0,
        q: float = 1.0,
        dimensions: int = 128,
        walk_length: int = 80,
        walks_per_node: int = 10,
        window_size: int = 10,
        *,
        hs: bool = False,
        negative: int = 5,
        epochs: int = 1,
        sample: float = 0.0,
        alpha: float = 0.025,
        min_alpha: float = 0.0001,
        workers: int = 1,
        seed: int | None = None,
        corpus: str = "auto",
        shuffle_walks: bool = True,
        dead_end: str = "stop",
        progress: bool | None = None,
    ):
        super().__init__(
            dimensions, walk_length, walks_per_node, window_size, hs=hs, negative=negative,
            epochs=epochs, sample=sample, alpha=alpha, min_alpha=min_alpha, workers=workers,
            seed=seed, corpus=corpus, shuffle_walks=shuffle_walks, dead_end=dead_end,
            progress=progress,
        )  # fmt: skip
        self.p = p
        self.q = q
