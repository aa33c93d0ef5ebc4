"""One stage of the scale benchmark, run in its own process so that its peak memory is its own.

    python benchmarks/scale_stages.py STAGE GRAPH --workdir DIR [--walk-length 40 ...]

prints one JSON line: ``{"seconds", "peak_rss_mib", "baseline_rss_mib", ...}``. ``seconds``
times the stage's work only (not Python's start-up or imports); ``peak_rss_mib`` is the
process's peak resident memory (``getrusage``: the imports' ``baseline_rss_mib`` included,
and the file pages of memory-mapped graphs it touched). `scale.py` runs every stage this way.

Stages (what a user runs, in order): ``read`` (`graphseq.read_edgelist` + `CSRGraph.from_data`,
all in memory), ``csr`` (`graphseq.csr_builder.csr_from_edgelist`: the out-of-core build every
later stage reopens memory-mapped), ``walks`` / ``node2vec`` (first- / second-order walks,
streamed and discarded), ``corpus`` (walks written as gensim's corpus file), ``skipgram``
(gensim on that file: vocabulary + training), ``deepwalk`` (`graphseq.DeepWalk` end to end),
``sampler`` (a [25, 10] neighbour-sampling epoch over 10% of the nodes), ``sage`` (a sampled
GraphSAGE training epoch over them, memory-mapped features), ``gcn`` / ``gcn_pyg`` (a
full-graph 2-layer GCN training epoch, graphseq's vs PyG's ``GCNConv``), and, in a venv that has
PecanPy, ``pecanpy_precomp`` / ``pecanpy_sparseotf`` (its node2vec walks).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scale_graphs
import torch

FEATURES, CLASSES, HIDDEN = 32, 8, 64
FANOUTS, BATCH = [25, 10], 512


def rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def csr_folder(args) -> Path:
    return Path(args.workdir) / f"csr_{args.graph.replace(':', '_')}"


def open_csr(args):
    """The graph the ``csr`` stage stored, memory-mapped. (Built by hand where graphseq has no
    `CSRGraph.load`: the baseline graphseq of the ``deepwalk`` stage's comparison.)"""
    from graphseq import CSRGraph

    folder = csr_folder(args)
    if hasattr(CSRGraph, "load"):
        return CSRGraph.load(folder)
    meta = json.loads((folder / "graph.json").read_text())
    arrays = [
        torch.from_numpy(np.load(folder / f, mmap_mode="c")) for f in ("indptr.npy", "indices.npy")
    ]
    return CSRGraph(*arrays, meta["num_nodes"], symmetric=meta["symmetric"])


def train_nodes(num_nodes: int) -> torch.Tensor:
    """A seeded 10% of the nodes: the seeds of a sampler / GraphSAGE epoch."""
    generator = torch.Generator().manual_seed(0)
    return torch.randperm(num_nodes, generator=generator)[: max(1, num_nodes // 10)]


def node_data(args, num_nodes: int, mmap: bool = True):
    """Seeded random features ``[N, 32]`` (a .npy file, memory-mapped unless ``mmap=False``)
    and labels ``[N]``."""
    from graphseq.mmap import load_tensor, save_tensor

    path = Path(args.workdir) / f"x_{args.graph.replace(':', '_')}.npy"
    if not path.exists():
        generator = torch.Generator().manual_seed(1)
        x = torch.empty(num_nodes, FEATURES)
        for begin in range(0, num_nodes, 1 << 20):  # bounded memory for the generator too
            x[begin : begin + (1 << 20)] = torch.randn(
                min(1 << 20, num_nodes - begin), FEATURES, generator=generator
            )
        save_tensor(path, x)
        del x
    labels = torch.randint(0, CLASSES, (num_nodes,), generator=torch.Generator().manual_seed(2))
    return load_tensor(path, mmap), labels


# ---------------------------------------------------------------------------- the stages
def stage_read(args, result):
    from graphseq import CSRGraph, load_graph

    begin = time.perf_counter()
    graph = CSRGraph.from_data(load_graph(scale_graphs.edgelist_path(args.graph, args.work, None)))
    result.update(seconds=time.perf_counter() - begin, nodes=graph.num_nodes,
                  edges=graph.num_edges)  # fmt: skip


def stage_csr(args, result):
    from graphseq import CSRGraph, load_graph
    from graphseq.csr_builder import csr_from_edgelist

    path = scale_graphs.edgelist_path(args.graph, args.work, None)
    begin = time.perf_counter()
    if path.suffix == ".mat":  # not an edge list: read whole, then stored the same way
        graph = CSRGraph.from_data(load_graph(path)).save(csr_folder(args))
        graph = CSRGraph.load(csr_folder(args))
    else:
        graph = csr_from_edgelist(path, csr_folder(args))
    result.update(seconds=time.perf_counter() - begin, nodes=graph.num_nodes,
                  edges=graph.num_edges, input_bytes=path.stat().st_size)  # fmt: skip


def _walk_options(args, second_order: bool) -> dict:
    options = {"walk_length": args.walk_length, "walks_per_node": args.walks_per_node, "seed": 0}
    if second_order:
        options.update(p=args.p, q=args.q)
    return options


def stage_walks(args, result, second_order: bool = False):
    from graphseq.walks import iter_random_walks

    if second_order:
        # an import like PecanPy's below (numba): its time is not the stage's
        import graphseq.walk_kernels  # noqa: F401
    graph = open_csr(args)
    options = _walk_options(args, second_order)
    begin = time.perf_counter()
    tokens = sum(int(chunk.numel()) for chunk in iter_random_walks(graph, **options))
    seconds = time.perf_counter() - begin
    result.update(seconds=seconds, tokens=tokens, steps_per_second=tokens / seconds,
                  settings=options)  # fmt: skip
    if second_order and seconds < 60:
        # as for PecanPy: the first call includes numba loading (or, once per install,
        # compiling) the walk loop; the second shows the compiled loop alone
        begin = time.perf_counter()
        sum(int(chunk.numel()) for chunk in iter_random_walks(graph, **options))
        result["seconds_compiled"] = time.perf_counter() - begin


def stage_corpus(args, result):
    from graphseq.models.skipgram import write_walk_corpus
    from graphseq.walks import iter_random_walks

    graph = open_csr(args)
    path = Path(args.workdir) / f"corpus_{args.graph.replace(':', '_')}.txt"
    begin = time.perf_counter()
    written = write_walk_corpus(
        iter_random_walks(graph, **_walk_options(args, False)), path, graph.num_nodes
    )
    seconds = time.perf_counter() - begin
    np.save(path.with_suffix(".counts.npy"), written["counts"].numpy())
    result.update(seconds=seconds, tokens=written["tokens"], walks=written["walks"],
                  corpus_bytes=path.stat().st_size, note="walks included")  # fmt: skip


def _skipgram_settings(args):
    from graphseq.models.skipgram import SkipGramSettings

    return SkipGramSettings(dimensions=64, window_size=5, hs=False, negative=5, sample=0.0,
                            workers=args.workers, seed=0)  # fmt: skip


def stage_skipgram(args, result):
    from graphseq.models.skipgram import build_vocabulary

    path = Path(args.workdir) / f"corpus_{args.graph.replace(':', '_')}.txt"
    counts = np.load(path.with_suffix(".counts.npy"))
    lines = sum(1 for _ in open(path, "rb"))
    model = _skipgram_settings(args).gensim_model()
    begin = time.perf_counter()
    build_vocabulary(model, counts, lines)
    vocabulary = time.perf_counter() - begin
    model.train(corpus_file=str(path), total_words=int(counts.sum()), total_examples=lines,
                epochs=1)  # fmt: skip
    seconds = time.perf_counter() - begin
    train = seconds - vocabulary
    result.update(seconds=seconds, vocabulary_seconds=vocabulary, train_seconds=train,
                  words_per_second=int(counts.sum()) / train, workers=args.workers)  # fmt: skip


def stage_deepwalk(args, result):
    import graphseq
    from graphseq import DeepWalk

    graph = open_csr(args)
    model = DeepWalk(dimensions=64, walk_length=args.walk_length,
                     walks_per_node=args.walks_per_node, window_size=5, negative=5,
                     workers=args.workers, seed=0, progress=False)  # fmt: skip
    result["hs"] = model.hs  # True in graphseq before issue 17 (both output layers trained)
    begin = time.perf_counter()
    model.fit(graph)
    seconds = time.perf_counter() - begin
    tokens = args.walks_per_node * args.walk_length * graph.num_nodes
    result.update(seconds=seconds, walk_seconds=model.walk_seconds_,
                  gensim_train_seconds=model.train_seconds_,
                  overhead_seconds=seconds - model.walk_seconds_ - model.train_seconds_,
                  tokens_per_second=tokens / seconds,
                  gensim_words_per_second=tokens / model.train_seconds_,
                  workers=args.workers, graphseq_file=graphseq.__file__)  # fmt: skip


def stage_sampler(args, result):
    from graphseq.sampling import NeighborSampler

    graph = open_csr(args)
    seeds = train_nodes(graph.num_nodes)
    sampler = NeighborSampler(graph, FANOUTS, seed=0)
    begin = time.perf_counter()
    sampled = sum(batch.n_id.numel() for batch in sampler.batches(seeds, BATCH))
    result.update(seconds=time.perf_counter() - begin, seeds=int(seeds.numel()),
                  sampled_nodes=int(sampled), fanouts=FANOUTS, batch_size=BATCH)  # fmt: skip


def stage_sage(args, result):
    import torch.nn.functional as F

    from graphseq.models import GraphSAGE
    from graphseq.sampling import NeighborSampler, gather_rows

    graph = open_csr(args)
    x, labels = node_data(args, graph.num_nodes)
    seeds = train_nodes(graph.num_nodes)
    torch.manual_seed(0)
    model = GraphSAGE(FEATURES, HIDDEN, CLASSES, num_layers=2, aggr="mean")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    sampler = NeighborSampler(graph, FANOUTS, seed=0)
    begin = time.perf_counter()
    batches = 0
    for batch in sampler.batches(seeds, BATCH):
        optimizer.zero_grad()
        logits = model(gather_rows(x, batch.n_id), batch.blocks)
        F.cross_entropy(logits, labels[batch.seeds]).backward()
        optimizer.step()
        batches += 1
    result.update(seconds=time.perf_counter() - begin, batches=batches,
                  seeds=int(seeds.numel()), features="memory-mapped .npy")  # fmt: skip


def _gcn_epochs(args, result, build_model):
    import torch.nn.functional as F

    graph = open_csr(args)
    # full-graph training reads every row: read into memory (not mapped and copied, which
    # would count the features twice)
    x, labels = node_data(args, graph.num_nodes, mmap=False)
    edge_index = graph.to_edge_index()
    del graph
    torch.manual_seed(0)
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    times = []
    for _ in range(args.gcn_epochs):
        begin = time.perf_counter()
        optimizer.zero_grad()
        F.cross_entropy(model(x, edge_index), labels).backward()
        optimizer.step()
        times.append(time.perf_counter() - begin)
    steady = times[1:] or times
    result.update(
        seconds=statistics.median(steady),
        first_epoch_seconds=times[0],
        epoch_seconds=times,
        note="median epoch after the first (cached adjacency)",
    )


def stage_gcn(args, result):
    from graphseq.models import GCN

    _gcn_epochs(args, result, lambda: GCN(FEATURES, 16, CLASSES, dropout=0.5, cached=True))


def stage_gcn_pyg(args, result):
    import torch.nn.functional as F
    from torch_geometric.nn import GCNConv

    class PyGGCN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = GCNConv(FEATURES, 16, cached=True)
            self.conv2 = GCNConv(16, CLASSES, cached=True)

        def forward(self, x, edge_index):
            x = F.dropout(x, 0.5, self.training)
            x = F.dropout(F.relu(self.conv1(x, edge_index)), 0.5, self.training)
            return self.conv2(x, edge_index)

    _gcn_epochs(args, result, PyGGCN)


def stage_pecanpy(args, result, mode: str):
    import numba
    from pecanpy import pecanpy

    numba.set_num_threads(args.threads)
    graph = open_csr(args)
    degree = graph.degree().double()
    if mode == "PreComp":
        # PreComp stores an alias table of deg(v) entries for every edge (t, v): 8 bytes each
        need = float((degree * degree).sum()) * 8 / 2**30
        result["precomputed_gib"] = need
        if need > args.pecanpy_max_gib:
            result.update(skipped=f"its tables need {need:.1f} GiB > --pecanpy-max-gib")
            return
    begin = time.perf_counter()
    walker = getattr(pecanpy, mode)(p=args.p, q=args.q, workers=args.threads, random_state=0)
    walker.set_node_ids([str(i) for i in range(graph.num_nodes)])
    walker.indptr = graph.indptr.numpy()
    walker.indices = graph.indices.numpy().astype(np.uint32)
    walker.data = np.ones(graph.num_edges, dtype=np.float32)
    result["setup_seconds"] = time.perf_counter() - begin
    # twice: the first call includes numba's compilation (what a user waits for once per
    # process), the second shows the compiled kernels alone -- unless the first took long
    # enough (a minute) for compilation not to matter
    for run in ("", "_compiled"):
        if run and result["seconds"] > 60:
            break
        begin = time.perf_counter()
        walker.preprocess_transition_probs()
        precompute = time.perf_counter() - begin
        begin = time.perf_counter()
        walks = walker.simulate_walks(args.walks_per_node, args.walk_length - 1)
        walking = time.perf_counter() - begin
        result.update(
            {
                f"seconds{run}": precompute + walking,
                f"precompute_seconds{run}": precompute,
                f"walk_seconds{run}": walking,
            }
        )
        del walks
    result["note"] = "precomputation + simulate_walks, first call (compiles numba)"


STAGES = {
    "read": stage_read,
    "csr": stage_csr,
    "walks": stage_walks,
    "node2vec": lambda a, r: stage_walks(a, r, second_order=True),
    "corpus": stage_corpus,
    "skipgram": stage_skipgram,
    "deepwalk": stage_deepwalk,
    "sampler": stage_sampler,
    "sage": stage_sage,
    "gcn": stage_gcn,
    "gcn_pyg": stage_gcn_pyg,
    "pecanpy_precomp": lambda a, r: stage_pecanpy(a, r, "PreComp"),
    "pecanpy_sparseotf": lambda a, r: stage_pecanpy(a, r, "SparseOTF"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("graph")
    parser.add_argument("--workdir", required=True)
    add_stage_options(parser)
    parser.add_argument("--threads", type=int, default=1, help="torch / numba threads")
    return parser.parse_args(argv)


# The settings a stage takes; `scale.py` has the same options and passes them on.
STAGE_OPTIONS = {
    "walk_length": (int, 40, "nodes per walk"),
    "walks_per_node": (int, 1, "walks from every node"),
    "p": (float, 0.5, "node2vec return parameter"),
    "q": (float, 2.0, "node2vec in-out parameter"),
    "workers": (int, 2, "gensim workers"),
    "gcn_epochs": (int, 4, "full-graph GCN epochs timed (the first builds the adjacency)"),
    "pecanpy_max_gib": (float, 8.0, "skip PecanPy PreComp when its tables need more"),
}


def add_stage_options(parser: argparse.ArgumentParser) -> None:
    for name, (kind, default, meaning) in STAGE_OPTIONS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=default,
                            help=f"{meaning} (default {default})")  # fmt: skip


def stage_arguments(args) -> list[str]:
    """The command-line flags that pass ``args``' stage options on to a stage process."""
    flags = []
    for name in STAGE_OPTIONS:
        flags += ["--" + name.replace("_", "-"), str(getattr(args, name))]
    return flags


def main(argv=None) -> int:
    args = parse_args(argv)
    args.work = Path(args.workdir)
    args.work.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    # what every stage imports anyway, loaded before the baseline so it is not stage memory
    import torch_geometric.nn  # noqa: F401

    import graphseq.models  # noqa: F401

    result = {"stage": args.stage, "graph": args.graph, "baseline_rss_mib": current_rss_mib()}
    STAGES[args.stage](args, result)
    result.update(peak_rss_mib=rss_mib(), load_average=list(os.getloadavg()))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
