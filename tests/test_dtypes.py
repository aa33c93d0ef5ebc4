"""Every layer and model runs forward and backward in float64 (``module.double()``), and in
bfloat16 where torch's CPU kernels allow it, else with an error that says what to do."""

from __future__ import annotations

import pytest
import torch
from helpers import ring_batch

import graphseq as gs
from graphseq.models import GraphClassifier, SequenceClassifier, StructureAgnosticBaseline
from graphseq.nn import GCNConv, GraphBatchNorm, LSTMReadout, SAGEConv, SequenceEncoder
from graphseq.sampling import NeighborSampler

GRAPH = gs.make_community_graph(num_nodes=90, num_classes=3, num_features=6, seed=0)
EDGES = GRAPH.edge_index


BATCH = ring_batch()
BLOCKS = NeighborSampler(EDGES, [4, 3], seed=0).sample(torch.arange(8))

# name -> (module factory, function(module, dtype) -> output tensor)
CASES = {
    "GCNConv": (lambda: GCNConv(6, 4), lambda m, d: m(GRAPH.x.to(d), EDGES)),
    "GCNConv sparse x": (lambda: GCNConv(6, 4), lambda m, d: m(GRAPH.x.to(d).to_sparse(), EDGES)),
    **{
        f"SAGEConv {aggr}": (
            lambda aggr=aggr: SAGEConv(6, 4, aggr),
            lambda m, d: m(GRAPH.x.to(d), EDGES),
        )
        for aggr in ("mean", "sum", "max", "pool", "lstm", "gcn")
    },
    **{
        f"SAGEConv {aggr} block": (
            lambda aggr=aggr: SAGEConv(6, 4, aggr),
            lambda m, d: m(GRAPH.x.to(d)[BLOCKS.n_id], BLOCKS.blocks[0]),
        )
        for aggr in ("mean", "pool", "lstm")
    },
    **{
        f"SequenceEncoder {cell}": (
            lambda cell=cell: SequenceEncoder(6, 5, cell),
            lambda m, d: m(torch.randn(3, 7, 6, dtype=d), torch.tensor([7, 3, 1])),
        )
        for cell in ("rnn", "lstm", "gru")
    },
    "LSTMReadout": (lambda: LSTMReadout(6, 5), lambda m, d: m(BATCH.x.to(d), BATCH.batch)),
    "GraphBatchNorm": (lambda: GraphBatchNorm(6), lambda m, d: m(torch.randn(4, 6, dtype=d))),
    "GCN": (lambda: gs.GCN(6, 8, 3), lambda m, d: m(GRAPH.x.to(d), EDGES)),
    "GraphSAGE": (lambda: gs.GraphSAGE(6, 8, 3), lambda m, d: m(GRAPH.x.to(d), EDGES)),
    "GraphSAGE sampled": (
        lambda: gs.GraphSAGE(6, 8, 3, aggr="pool"),
        lambda m, d: m(GRAPH.x.to(d)[BLOCKS.n_id], BLOCKS.blocks),
    ),
    **{
        f"GraphClassifier {readout}": (
            lambda readout=readout: GraphClassifier(6, 2, 8, 2, readout=readout),
            lambda m, d: m(BATCH.x.to(d), BATCH.edge_index, BATCH.batch, BATCH.num_graphs),
        )
        for readout in ("lstm", "sum", "set2set")
    },
    "StructureAgnosticBaseline": (
        lambda: StructureAgnosticBaseline(6, 2, 8),
        lambda m, d: m(BATCH.x.to(d), None, BATCH.batch, BATCH.num_graphs),
    ),
    "WalkRNN": (
        lambda: gs.WalkRNN(6, 3, 8),
        lambda m, d: m(
            GRAPH.x.to(d),
            gs.random_walks(GRAPH, 4, 2, seed=0, dead_end="stay").view(2, 90, 4).transpose(0, 1),
        ),
    ),
    "CharRNN": (
        lambda: gs.CharRNN("abcdef", 8, 2),
        lambda m, d: m(torch.randint(0, 6, (2, 9)))[0],
    ),
    "SequenceClassifier": (
        lambda: SequenceClassifier(10, 10, 8),
        lambda m, d: m(torch.randint(0, 10, (4, 6))),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_forward_and_backward(name):
    build, call = CASES[name]
    torch.manual_seed(0)
    module = build().double().train()
    out = call(module, torch.float64)
    assert out.dtype == torch.float64, f"{name} returned {out.dtype}"
    out.square().sum().backward()
    grads = [p.grad for p in module.parameters() if p.requires_grad]
    assert grads and all(g is not None and g.dtype == torch.float64 for g in grads), name
    assert all(bool(torch.isfinite(g).all()) for g in grads)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bfloat16_runs_or_fails_clearly(name):
    build, call = CASES[name]
    torch.manual_seed(0)
    module = build().to(torch.bfloat16)
    try:
        out = call(module, torch.bfloat16)
    except (RuntimeError, TypeError, NotImplementedError) as error:
        assert "bfloat16" in str(error) and "float32" in str(error), (name, str(error))
        return
    assert out.dtype == torch.bfloat16
    out.float().square().sum().backward()
