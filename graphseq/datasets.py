"""Datasets: ``load_dataset(name or path)`` for the benchmark graphs and the user's own, offline.

What ``name`` can be:

* a registered name (`dataset_names`: Cora, CiteSeer, PubMed, BlogCatalog, PPI-node2vec, the TU
  sets, KarateClub, Synthetic), case-insensitive;
* the folder name of **any** TU dataset in a data directory (``TUDataset/<NAME>/raw/<NAME>_A.txt``,
  or ``<NAME>/raw/...``, or ``<NAME>/<NAME>_A.txt``), read with PyG's own TU reader;
* a path: an edge-list file (``.txt``/``.tsv``/``.csv``, optionally compressed), a ``.mat`` graph,
  or a TU folder (see `graphseq.io`).

Where raw files are looked for, in order:

1. the ``root`` argument;
2. the directory in the ``GRAPHSEQ_DATA`` environment variable;
3. the user cache, ``<cache>/data`` (see `graphseq.cache.cache_dir`).

Each of these is a *data directory* laid out like ``shared/data`` (``Planetoid/Cora/raw/...``,
``TUDataset/MUTAG/raw/...``, ``BlogCatalog/blogcatalog.mat``, ...). Raw files are only read, never
copied: processed files go to the content-keyed cache of `graphseq.cache`, which a changed raw
file invalidates. Nothing is downloaded.

Node datasets come back as one ``torch_geometric.data.Data``; graph-classification (TU) datasets
as a `TUGraphs` (a PyG ``InMemoryDataset``, like PyG's ``TUDataset``).
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch_geometric.data import InMemoryDataset

from .cache import cache_dir, cached
from .io import EDGELIST_SUFFIXES

__all__ = [
    "DatasetNotFoundError",
    "DatasetInfo",
    "RawFileError",
    "TUGraphs",
    "cache_dir",
    "data_search_dirs",
    "discovered_tu_folders",
    "find_tu_folder",
    "is_graph_collection",
    "dataset_names",
    "dataset_table",
    "load_dataset",
    "make_community_graph",
    "row_normalize",
]

DATA_ENV = "GRAPHSEQ_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """Raw files of a dataset are not in any searched data directory (and nothing is downloaded)."""


class RawFileError(ValueError):
    """A raw file exists but cannot be read: truncated, corrupt, or not what its name says."""

    def __init__(self, path, expected: str):
        self.path = Path(path)
        super().__init__(
            f"{self.path}: expected {expected}. Copy the file again from its source (graphseq "
            f"only reads raw files; its processed copies are in {cache_dir() / 'processed'}, "
            "`graphseq datasets --clear-cache` empties them)."
        )


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


# ---------------------------------------------------------------------- loaders
_PLANETOID_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def _planetoid_files(name: str) -> tuple[str, ...]:
    return tuple(f"Planetoid/{name}/raw/ind.{name.lower()}.{p}" for p in _PLANETOID_PARTS)


def _check_planetoid_files(raw_dir: Path, prefix: str) -> None:
    """Open every Planetoid pickle the way PyG does, so a truncated or foreign file is named."""
    import pickle

    for part in _PLANETOID_PARTS:
        path = raw_dir / f"ind.{prefix}.{part}"
        try:
            if part == "test.index":
                values = [int(line) for line in path.read_text().split()]
                if not values:
                    raise ValueError("no index")
            else:
                with open(path, "rb") as handle, warnings.catch_warnings():
                    # The 2016 pickles name scipy.sparse.csr, which scipy now warns about.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pickle.load(handle, encoding="latin1")  # as PyG's read_planetoid_data
        except Exception as error:
            raise RawFileError(
                path,
                f"Planetoid's ind.{prefix}.{part} ("
                + ("one test node id per line" if part == "test.index" else "a pickled matrix")
                + f"), but reading it failed: {type(error).__name__}: {error}",
            ) from error


def _load_planetoid(info: DatasetInfo, directory: Path):
    from torch_geometric.io import read_planetoid_data

    raw_dir = directory / "Planetoid" / info.name / "raw"
    prefix = info.name.lower()

    def build():
        _check_planetoid_files(raw_dir, prefix)
        try:
            return read_planetoid_data(str(raw_dir), prefix)
        except (IndexError, RuntimeError, ValueError) as error:
            raise RawFileError(
                raw_dir,
                f"the 8 Planetoid files ind.{prefix}.* of one dataset, but they do not fit "
                f"together ({type(error).__name__}: {error}); one of them is from another "
                "dataset or was cut short",
            ) from error

    return cached("planetoid", info.name, [directory / f for f in info.files], build)


def _load_mat(info: DatasetInfo, directory: Path):
    """DeepWalk/node2vec ``.mat`` graphs: ``network`` (adjacency, weights kept), ``group``
    (multi-hot labels)."""
    from .io import read_mat

    path = directory / info.files[0]
    return cached("mat", info.name, [path], lambda: read_mat(path))


def _tu_files(name: str) -> tuple[str, ...]:
    return tuple(
        f"TUDataset/{name}/raw/{name}_{part}.txt"
        for part in ("A", "graph_indicator", "graph_labels")
    )


class TUGraphs(InMemoryDataset):
    """The graphs of a TU folder, read by PyG's ``read_tu_data`` and held in memory; PyG's
    ``TUDataset`` without its on-disk ``processed/`` folder (graphseq never writes next to raw
    files). ``use_node_attr``/``use_edge_attr`` select the continuous attributes as PyG's do."""

    def __init__(self, name, data, slices, sizes, *, use_node_attr=False, use_edge_attr=False):
        super().__init__(None)
        self.name, self.sizes = name, sizes
        data = data.clone()
        if data.x is not None and not use_node_attr:
            data.x = data.x[:, sizes["num_node_attributes"] :]
        if data.edge_attr is not None and not use_edge_attr:
            data.edge_attr = data.edge_attr[:, sizes["num_edge_attributes"] :]
        self._data, self.slices = data, slices

    @property
    def num_node_labels(self) -> int:
        return self.sizes["num_node_labels"]

    @property
    def num_node_attributes(self) -> int:
        return self.sizes["num_node_attributes"]

    def __repr__(self) -> str:
        return f"{self.name}({len(self)})"


def find_tu_folder(name: str, root=None) -> tuple[Path, str] | None:
    """``(folder, prefix)`` of a TU dataset called ``name`` in the data directories (or at the
    path ``name``): the folder holds ``<prefix>_A.txt`` and ``<prefix>_graph_indicator.txt``."""
    candidates = []
    path = Path(name).expanduser()
    if path.is_dir():
        candidates += [path / "raw", path]
    for _, directory in data_search_dirs(root):
        candidates += [directory / "TUDataset" / name / "raw", directory / name / "raw"]
        candidates.append(directory / name)
    for folder in candidates:
        if not folder.is_dir():
            continue
        prefixes = [p.name[: -len("_A.txt")] for p in folder.glob("*_A.txt")]
        prefix = (
            path.name if path.name in prefixes else (prefixes[0] if len(prefixes) == 1 else None)
        )
        if prefix and (folder / f"{prefix}_graph_indicator.txt").is_file():
            return folder, prefix
    return None


def _read_tu(folder: Path, prefix: str):
    from torch_geometric.io import read_tu_data

    files = sorted(folder.glob(f"{prefix}_*.txt"))

    def build():
        try:
            return read_tu_data(str(folder), prefix)
        except (ValueError, RuntimeError, IndexError) as error:
            raise RawFileError(
                folder,
                f"the TU files {prefix}_*.txt (one row of integers or numbers per line), but "
                f"they could not be read together ({type(error).__name__}: {error}); one of "
                "them may be cut short or from another dataset",
            ) from error

    return cached("tu", f"{prefix}@{folder.parent.name}", files, build)


def _load_tu(
    info: DatasetInfo,
    directory: Path | None,
    node_attributes: bool = False,
    degree_features: bool = False,
    folder: Path | None = None,
    prefix: str | None = None,
):
    import torch_geometric.transforms as T
    from torch_geometric.utils import degree

    folder = folder or directory / "TUDataset" / info.name / "raw"
    prefix = prefix or info.name
    if node_attributes and not (folder / f"{prefix}_node_attributes.txt").is_file():
        raise ValueError(
            f"{info.name} has no continuous node attributes ({prefix}_node_attributes.txt "
            f"is not in {folder}); ENZYMES and PROTEINS have them. Leave node_attributes=False."
        )
    data, slices, sizes = _read_tu(folder, prefix)
    # The processed data holds the attributes either way; use_node_attr only selects columns.
    dataset = TUGraphs(info.name, data, slices, sizes, use_node_attr=node_attributes)
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


def _unknown(name: str, root) -> ValueError:
    close = difflib.get_close_matches(name.lower(), list(_DATASETS), n=1)
    hint = f" Did you mean '{_DATASETS[close[0]].name}'?" if close else ""
    searched = ", ".join(str(d) for _, d in data_search_dirs(root))
    return ValueError(
        f"unknown dataset '{name}'.{hint} Known datasets: {', '.join(dataset_names())}; or a TU "
        f"folder name in a data directory ({searched}), or a path to an edge list, .mat file or "
        "TU folder."
    )


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


def _is_path(name) -> bool:
    if isinstance(name, Path):
        return True
    return os.sep in name or name.startswith((".", "~")) or Path(name).suffix.lower() in (
        ".mat", ".gz", ".bz2", ".xz", *EDGELIST_SUFFIXES,
    )  # fmt: skip


def _load_path(path: Path, **options):
    """A user's graph file (edge list, ``.mat``) or TU folder, processed through the cache."""
    from .io import load_graph

    path = path.expanduser()
    if path.is_dir():
        found = find_tu_folder(str(path))
        if found is None:
            raise ValueError(
                f"{path} is a folder but holds no TU dataset (<NAME>_A.txt and "
                "<NAME>_graph_indicator.txt); pass an edge-list or .mat file, or a TU folder."
            )
        folder, prefix = found
        info = DatasetInfo(prefix, "graph", "multiclass", (), f"TU folder {folder}", _load_tu)
        return info, _load_tu(info, None, folder=folder, prefix=prefix, **options)
    if not path.is_file():
        raise DatasetNotFoundError(f"no file or folder at {path}.")
    info = DatasetInfo(path.name, "node", "unknown", (), f"graph file {path}", _load_path)
    return info, cached("file", path.name, [path], lambda: load_graph(path, **options), options)


def load_dataset(
    name: str | os.PathLike,
    root: str | os.PathLike | None = None,
    *,
    normalize_features: bool = False,
    sparse_features: bool = False,
    node_attributes: bool = False,
    degree_features: bool = False,
    **options,
):
    """Load a dataset by name or path (see the module docstring).

    Args:
        name: a registered name (``"Cora"``, ``"BlogCatalog"``, ``"MUTAG"``, ``"KarateClub"``,
            ``"Synthetic"``, ...; case-insensitive), the folder name of any TU dataset in a data
            directory, or a path (edge list, ``.mat``, TU folder).
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
        **options: for ``"Synthetic"``, the arguments of `make_community_graph`; for a graph
            file, the reader's (`graphseq.io.read_edgelist`: ``directed``, ``weighted``,
            ``delimiter``, ``header``; `graphseq.io.read_mat`: ``network_key``, ``group_key``).

    Returns:
        ``torch_geometric.data.Data`` for node datasets (``x [N, F]`` or None, ``edge_index [2, E]``,
        ``edge_weight`` when weighted, ``y [N]`` class ids or ``[N, L]`` multi-hot floats for
        multi-label sets, masks where the dataset defines a split, ``node_ids`` when a file's ids
        are not ``0 .. N-1``); a `TUGraphs` dataset for graph datasets.

    Raises:
        ValueError: unknown name (the message lists the known ones); RawFileError: a raw file
        that cannot be read (the message names it).
        DatasetNotFoundError: raw files missing; the message lists the files and directories.
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a dataset name or a path, got {type(name).__name__}.")
    graph_options = {"node_attributes": True} if node_attributes else {}
    if degree_features:
        graph_options["degree_features"] = True
    info = _DATASETS.get(str(name).lower())
    if info is None and isinstance(name, str) and not _is_path(name):
        found = find_tu_folder(name, root)
        if found is None:
            raise _unknown(name, root)
        folder, prefix = found
        info = DatasetInfo(name, "graph", "multiclass", (), f"TU folder {folder}", _load_tu)
        result = _load_tu(info, None, folder=folder, prefix=prefix, **graph_options, **options)
    elif info is None:
        if graph_options and Path(name).expanduser().is_file():
            raise ValueError(
                "node_attributes/degree_features apply to graph (TU) datasets only; for a node "
                "graph use torch_geometric.transforms.OneHotDegree on the loaded Data."
            )
        info, result = _load_path(Path(name), **graph_options, **options)
    else:
        if options and info.name != "Synthetic":
            raise TypeError(f"unexpected options for {info.name}: {sorted(options)}")
        directory = info.find(root)
        if directory is None:
            raise _not_found(info, root)
        if graph_options and info.kind != "graph":
            raise ValueError(
                "node_attributes/degree_features apply to graph (TU) datasets only; for a node "
                "dataset use torch_geometric.transforms.OneHotDegree on the loaded Data."
            )
        result = info.loader(info, directory, **graph_options, **options)
    if info.kind == "node":
        result = result.clone()
        if normalize_features and result.x is not None:
            result.x = row_normalize(result.x)
        if sparse_features and result.x is not None and not result.x.is_sparse:
            result.x = result.x.to_sparse()
    elif normalize_features or sparse_features:
        raise ValueError("normalize_features/sparse_features apply to node datasets only.")
    return result


def is_graph_collection(data) -> bool:
    """Whether ``data`` is a dataset of many graphs (graph classification), not one graph."""
    from torch_geometric.data import Data

    return not isinstance(data, Data)


def discovered_tu_folders(root=None) -> list[tuple[str, Path]]:
    """``(name, folder)`` of every TU dataset found in the data directories but not registered."""
    found = {}
    for _, directory in data_search_dirs(root):
        for indicator in sorted((directory / "TUDataset").glob("*/raw/*_graph_indicator.txt")):
            name = indicator.parent.parent.name
            if name.lower() not in _DATASETS and name not in found:
                found[name] = indicator.parent
    return sorted(found.items())


def dataset_table(root=None) -> list[dict]:
    """One row per dataset (registered, then TU folders found in the data directories): name,
    kind, task, description, available locally, and where."""
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
    for name, folder in discovered_tu_folders(root):
        rows.append(
            {
                "name": name,
                "kind": "graph",
                "task": "multiclass",
                "description": "TU folder found in a data directory",
                "available": True,
                "where": str(folder),
            }
        )
    return rows
