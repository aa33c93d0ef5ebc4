"""Datasets: ``load_dataset(name)`` for the benchmark graphs, offline, from raw files.

Where raw files are looked for, in order:

1. the ``root`` argument;
2. the directory in the ``GRAPHSEQ_DATA`` environment variable;
3. the user cache, ``<cache>/data`` (see `cache_dir`).

Each of these is a *data directory* laid out like ``shared/data`` (``Planetoid/Cora/raw/...``,
``TUDataset/MUTAG/raw/...``, ``BlogCatalog/blogcatalog.mat``, ...). Raw files are only read:
processed files go to ``<cache>/processed`` (``GRAPHSEQ_CACHE`` or ``~/.cache/graphseq``), never
next to the raw files. Nothing is downloaded.

Node datasets come back as one ``torch_geometric.data.Data``; graph-classification (TU) datasets as
a PyG ``TUDataset`` (an in-memory list of graphs) built in the cache.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = [
    "DatasetNotFoundError",
    "DatasetInfo",
    "cache_dir",
    "data_search_dirs",
    "dataset_names",
    "dataset_table",
    "load_dataset",
    "make_community_graph",
    "row_normalize",
]

DATA_ENV = "GRAPHSEQ_DATA"
CACHE_ENV = "GRAPHSEQ_CACHE"
# Bumped when the processed format changes, so stale cache entries are not reused.
_PROCESSED_VERSION = "1"


class DatasetNotFoundError(FileNotFoundError):
    """Raw files of a dataset are not in any searched data directory (and nothing is downloaded)."""


def cache_dir() -> Path:
    """graphseq's cache: ``$GRAPHSEQ_CACHE``, else ``$XDG_CACHE_HOME/graphseq``, else
    ``~/.cache/graphseq``. Processed datasets live in ``processed/`` below it."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "graphseq"


def data_search_dirs(root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The data directories searched for raw files, in order, as ``(why, path)`` pairs."""
    dirs: list[tuple[str, Path]] = []
    if root is not None:
        dirs.append(("root argument", Path(root).expanduser()))
    if os.environ.get(DATA_ENV):
        dirs.append((f"${DATA_ENV}", Path(os.environ[DATA_ENV]).expanduser()))
    dirs.append(("user cache", cache_dir() / "data"))
    return dirs


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is and which raw files it needs (paths relative to a data directory)."""

    name: str
    kind: str  # "node" (one graph, node labels) or "graph" (many graphs, graph labels)
    task: str  # "multiclass" or "multilabel"
    files: tuple[str, ...]  # raw files relative to a data directory; empty = built in
    description: str
    loader: Callable[..., object]

    def find(self, root=None) -> Path | None:
        """The first searched data directory holding every raw file, or None."""
        if not self.files:
            return Path(".")
        for _, directory in data_search_dirs(root):
            if all((directory / f).is_file() for f in self.files):
                return directory
        return None


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Each row of ``x [N, F]`` divided by its sum (Kipf & Welling's feature preprocessing);
    a sparse ``x`` stays sparse (COO in, COO out), a row summing to 0 stays 0."""
    if not x.is_sparse:
        return x / x.sum(dim=1, keepdim=True).clamp(min=1e-12)
    x = x.coalesce()
    rows = x.indices()[0]
    totals = torch.zeros(x.size(0), dtype=x.dtype).index_add_(0, rows, x.values())
    values = x.values() / totals.clamp(min=1e-12)[rows]
    return torch.sparse_coo_tensor(
        x.indices(), values, x.shape, is_coalesced=True, check_invariants=False
    )


# ---------------------------------------------------------------------- processing cache
def _processed_path(*parts: str) -> Path:
    return cache_dir() / "processed" / f"v{_PROCESSED_VERSION}" / Path(*parts)


def _cached(path: Path, build: Callable[[], object]):
    """Load ``path`` if present, else build, save atomically (tmp + rename) and return."""
    if path.is_file():
        try:
            return torch.load(path, weights_only=False)
        except Exception:  # a corrupt cache entry is rebuilt, never trusted
            path.unlink(missing_ok=True)
    obj = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)
    return obj


# ---------------------------------------------------------------------- loaders
_PLANETOID_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def _planetoid_files(name: str) -> tuple[str, ...]:
    return tuple(f"Planetoid/{name}/raw/ind.{name.lower()}.{p}" for p in _PLANETOID_PARTS)


def _load_planetoid(info: DatasetInfo, directory: Path):
    from torch_geometric.io import read_planetoid_data

    raw_dir = directory / "Planetoid" / info.name / "raw"
    return _cached(
        _processed_path("Planetoid", info.name, "data.pt"),
        lambda: read_planetoid_data(str(raw_dir), info.name.lower()),
    )


def _load_mat(info: DatasetInfo, directory: Path):
    """DeepWalk/node2vec ``.mat`` graphs: ``network`` (adjacency), ``group`` (multi-hot labels)."""

    def build():
        import scipy.io as sio
        from torch_geometric.data import Data

        mat = sio.loadmat(str(directory / info.files[0]))
        adjacency, groups = mat["network"].tocoo(), mat["group"]
        edge_index = torch.stack(
            [
                torch.from_numpy(adjacency.row.astype("int64")),
                torch.from_numpy(adjacency.col.astype("int64")),
            ]
        )
        y = torch.from_numpy(groups.toarray() if hasattr(groups, "toarray") else groups).float()
        return Data(edge_index=edge_index, y=(y > 0).float(), num_nodes=adjacency.shape[0])

    return _cached(_processed_path("mat", info.name, "data.pt"), build)


def _tu_files(name: str) -> tuple[str, ...]:
    return tuple(
        f"TUDataset/{name}/raw/{name}_{part}.txt"
        for part in ("A", "graph_indicator", "graph_labels")
    )


def _load_tu(
    info: DatasetInfo,
    directory: Path,
    node_attributes: bool = False,
    degree_features: bool = False,
):
    import torch_geometric.transforms as T
    from torch_geometric.datasets import TUDataset
    from torch_geometric.utils import degree

    source = directory / "TUDataset" / info.name / "raw"
    if node_attributes and not (source / f"{info.name}_node_attributes.txt").is_file():
        raise ValueError(
            f"{info.name} has no continuous node attributes ({info.name}_node_attributes.txt "
            f"is not in {source}); ENZYMES and PROTEINS have them. Leave node_attributes=False."
        )
    # PyG writes processed/ next to raw/, so it gets its own copy of the raw files in the cache.
    root = _processed_path("TUDataset")
    target = root / info.name / "raw"
    target.mkdir(parents=True, exist_ok=True)
    for file in source.iterdir():
        if file.is_file() and not (target / file.name).is_file():
            shutil.copy2(file, target / file.name)
    # The processed file holds the attributes either way; use_node_attr only selects columns.
    dataset = TUDataset(str(root), info.name, use_node_attr=node_attributes)
    if dataset.num_node_features == 0 or degree_features:
        # No node features (IMDB-*): one-hot degree, as in Xu et al. 2019 / Errica et al. 2020.
        # Asked for, it is appended to the node labels: GCN's degree-normalized aggregation
        # only blurs a node's neighbour count into the scale of its output (with identical
        # neighbours, sqrt((d_i + 1) / (d_j + 1)) x); the one-hot degree states it outright.
        max_degree = 0
        for graph in dataset:
            if graph.num_edges:
                max_degree = max(
                    max_degree, int(degree(graph.edge_index[0], graph.num_nodes).max())
                )
        dataset.transform = T.OneHotDegree(max_degree, cat=True)
    return dataset


def _load_karate(info: DatasetInfo, directory: Path, seed: int = 0):
    """Zachary's karate club (PyG's built-in copy, 4 communities), with a fixed split: the 4
    labelled nodes of Kipf & Welling's demo for training, then 10 validation and 20 test nodes."""
    from torch_geometric.datasets import KarateClub

    data = KarateClub()[0]
    rest = (~data.train_mask).nonzero().flatten()
    rest = rest[torch.randperm(rest.numel(), generator=torch.Generator().manual_seed(seed))]
    data.val_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    data.val_mask[rest[:10]] = True
    data.test_mask = torch.zeros(data.num_nodes, dtype=torch.bool)
    data.test_mask[rest[10:]] = True
    return data


def make_community_graph(
    num_nodes: int = 300,
    num_classes: int = 3,
    p_in: float = 0.08,
    p_out: float = 0.005,
    num_features: int = 16,
    feature_signal: float = 1.0,
    train_per_class: int = 20,
    num_val: int = 50,
    seed: int = 0,
):
    """A seeded stochastic block model for tests and demos.

    Node ``v`` belongs to community ``y[v] = v % num_classes``; an undirected edge joins two nodes
    of the same community with probability ``p_in`` and of different ones with ``p_out``.
    Features are ``feature_signal * centroid[y] + N(0, 1)`` noise, ``x [num_nodes, num_features]``.
    Masks: ``train_per_class`` nodes per class, ``num_val`` validation nodes, the rest test.
    """
    from torch_geometric.data import Data

    if num_nodes < 2 or num_classes < 1 or num_nodes < num_classes * (train_per_class + 1):
        raise ValueError(
            f"num_nodes={num_nodes} is too small for {num_classes} classes with "
            f"{train_per_class} training nodes each; increase num_nodes."
        )
    for name, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}.")
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    # Edges sampled in row blocks so memory stays O(block * N), not O(N^2).
    sources, targets = [], []
    block = max(1, 2_000_000 // num_nodes)
    for start in range(0, num_nodes, block):
        rows = torch.arange(start, min(start + block, num_nodes))
        same = y[rows, None] == y[None, :]
        prob = torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
        hit = torch.rand(prob.shape, generator=generator) < prob
        hit &= rows[:, None] < torch.arange(num_nodes)[None, :]  # upper triangle: each pair once
        r, c = hit.nonzero(as_tuple=True)
        sources.append(rows[r])
        targets.append(c)
    src, dst = torch.cat(sources), torch.cat(targets)
    edge_index = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
    centroids = torch.randn(num_classes, num_features, generator=generator)
    x = feature_signal * centroids[y] + torch.randn(num_nodes, num_features, generator=generator)
    order = torch.randperm(num_nodes, generator=generator)
    train_mask = torch.zeros(num_nodes, dtype=torch.bool)
    for c in range(num_classes):
        train_mask[order[y[order] == c][:train_per_class]] = True
    remaining = order[~train_mask[order]]
    val_mask = torch.zeros(num_nodes, dtype=torch.bool)
    val_mask[remaining[:num_val]] = True
    test_mask = ~(train_mask | val_mask)
    return Data(
        x=x,
        edge_index=edge_index,
        y=y,
        train_mask=train_mask,
        val_mask=val_mask,
        test_mask=test_mask,
    )


def _load_synthetic(info: DatasetInfo, directory: Path, **options):
    return make_community_graph(**options)


def _register() -> dict[str, DatasetInfo]:
    infos = [
        DatasetInfo("Cora", "node", "multiclass", _planetoid_files("Cora"),
                    "citation graph, 2708 nodes, 7 classes, Planetoid split", _load_planetoid),
        DatasetInfo("CiteSeer", "node", "multiclass", _planetoid_files("CiteSeer"),
                    "citation graph, 3327 nodes, 6 classes, Planetoid split", _load_planetoid),
        DatasetInfo("PubMed", "node", "multiclass", _planetoid_files("PubMed"),
                    "citation graph, 19717 nodes, 3 classes, Planetoid split", _load_planetoid),
        DatasetInfo("KarateClub", "node", "multiclass", (),
                    "Zachary's karate club, 34 nodes, 4 communities (built in)", _load_karate),
        DatasetInfo("BlogCatalog", "node", "multilabel", ("BlogCatalog/blogcatalog.mat",),
                    "social graph, 10312 nodes, 39 labels (DeepWalk)", _load_mat),
        DatasetInfo("PPI-node2vec", "node", "multilabel", ("PPI-node2vec/Homo_sapiens.mat",),
                    "protein interactions, 3890 nodes, 50 labels (node2vec)", _load_mat),
        DatasetInfo("Synthetic", "node", "multiclass", (),
                    "seeded stochastic block model with class-correlated features", _load_synthetic),
    ]  # fmt: skip
    tu = {
        "MUTAG": "188 molecules, 2 classes",
        "PROTEINS": "1113 proteins, 2 classes",
        "ENZYMES": "600 enzymes, 6 classes",
        "NCI1": "4110 molecules, 2 classes",
        "PTC_MR": "344 molecules, 2 classes",
        "IMDB-BINARY": "1000 ego-networks, 2 classes, degree features",
        "IMDB-MULTI": "1500 ego-networks, 3 classes, degree features",
        "DD": "1178 proteins, 2 classes",
    }
    for name, text in tu.items():
        infos.append(DatasetInfo(name, "graph", "multiclass", _tu_files(name), text, _load_tu))
    return {info.name.lower(): info for info in infos}


_DATASETS = _register()


def dataset_names() -> list[str]:
    """Names accepted by `load_dataset`."""
    return [info.name for info in _DATASETS.values()]


def _info(name: str) -> DatasetInfo:
    if not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (str), got {type(name).__name__}.")
    info = _DATASETS.get(name.lower())
    if info is None:
        close = difflib.get_close_matches(name.lower(), list(_DATASETS), n=1)
        hint = f" Did you mean '{_DATASETS[close[0]].name}'?" if close else ""
        raise ValueError(
            f"unknown dataset '{name}'.{hint} Known datasets: {', '.join(dataset_names())}."
        )
    return info


def _not_found(info: DatasetInfo, root) -> DatasetNotFoundError:
    lines = [f"dataset '{info.name}' is not available offline: its raw files were not found."]
    lines.append("Files expected (relative to a data directory):")
    for f in info.files:
        lines.append(f"  {f}")
    lines.append("Data directories searched:")
    for why, directory in data_search_dirs(root):
        present = [f for f in info.files if (directory / f).is_file()]
        state = "missing" if not directory.is_dir() else f"{len(present)}/{len(info.files)} files"
        lines.append(f"  {directory} ({why}; {state})")
    lines.append(
        f"Put the raw files in one of these, or pass root=... / set {DATA_ENV} to a directory "
        "that has them (graphseq never downloads)."
    )
    return DatasetNotFoundError("\n".join(lines))


def load_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    normalize_features: bool = False,
    sparse_features: bool = False,
    node_attributes: bool = False,
    degree_features: bool = False,
    **options,
):
    """Load a dataset by name (case-insensitive; see `dataset_names`).

    Args:
        name: e.g. ``"Cora"``, ``"BlogCatalog"``, ``"MUTAG"``, ``"KarateClub"``, ``"Synthetic"``.
        root: a data directory to search first (then ``$GRAPHSEQ_DATA``, then the user cache).
        normalize_features: divide each node's features by their sum (Kipf & Welling's
            preprocessing); node datasets only.
        sparse_features: return ``x`` as a sparse COO tensor (bag-of-words features are about 1%
            non-zero, and graphseq's layers multiply them without densifying).
        node_attributes: graph datasets with continuous node attributes (ENZYMES: 18,
            PROTEINS: 1): append them to the one-hot node labels, as Errica et al. 2020 do
            (PyG's ``use_node_attr``). The default gives the node labels only.
        degree_features: graph datasets: append a one-hot encoding of each node's degree
            (``max_degree + 1`` columns, the maximum over the dataset) to its features, after
            the labels and attributes. Datasets without node features (IMDB-*) always get it,
            alone.
        **options: only for ``"Synthetic"``: the arguments of `make_community_graph`.

    Returns:
        ``torch_geometric.data.Data`` for node datasets (``x [N, F]`` or None, ``edge_index [2, E]``,
        ``y [N]`` class ids or ``[N, L]`` multi-hot floats for multi-label sets, and masks where the
        dataset defines a split); a PyG ``TUDataset`` for graph datasets.

    Raises:
        ValueError: unknown name (the message lists the known ones).
        DatasetNotFoundError: raw files missing; the message lists the files and directories.
    """
    info = _info(name)
    if options and info.name != "Synthetic":
        raise TypeError(f"unexpected options for {info.name}: {sorted(options)}")
    directory = info.find(root)
    if directory is None:
        raise _not_found(info, root)
    if node_attributes:
        if info.kind != "graph":
            raise ValueError("node_attributes applies to graph (TU) datasets only.")
        options = {**options, "node_attributes": True}
    if degree_features:
        if info.kind != "graph":
            raise ValueError(
                "degree_features applies to graph (TU) datasets only; for a node dataset use "
                "torch_geometric.transforms.OneHotDegree on the loaded Data."
            )
        options = {**options, "degree_features": True}
    result = info.loader(info, directory, **options)
    if info.kind == "node":
        result = result.clone()
        if normalize_features and result.x is not None:
            result.x = row_normalize(result.x)
        if sparse_features and result.x is not None and not result.x.is_sparse:
            result.x = result.x.to_sparse()
    elif normalize_features or sparse_features:
        raise ValueError("normalize_features/sparse_features apply to node datasets only.")
    return result


def dataset_table(root=None) -> list[dict]:
    """One row per dataset: name, kind, task, description, available locally, and where."""
    rows = []
    for info in _DATASETS.values():
        directory = info.find(root)
        where = "built in" if not info.files else (str(directory) if directory else "")
        rows.append(
            {
                "name": info.name,
                "kind": info.kind,
                "task": info.task,
                "description": info.description,
                "available": directory is not None,
                "where": where,
            }
        )
    return rows
