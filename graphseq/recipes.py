"""Recipes: each model's default hyper-parameters and how it is trained, in one place.

A recipe is a frozen dataclass: its fields are the hyper-parameters (the published setting where
a paper gives one), its ``fit``/``train`` method the procedure. ``graphseq bench``, ``graphseq
train-lm`` and the scripts in ``benchmarks/`` all read these, so a table and the command that
reproduces it cannot drift apart; change a setting with ``dataclasses.replace(recipe, ...)``.

Node-classification recipes train on a dataset's given split (``train_mask``/``val_mask``/
``test_mask``) for one ``seed`` and return ``{"test_acc", "test_micro_f1", "test_macro_f1":
fractions, "epoch_time": seconds per training epoch, "epochs": epochs run}``; on multi-label data
the F1 scores follow the DeepWalk protocol (each test node predicts as many labels as it has).
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass

import torch

from .datasets import row_normalize

__all__ = [
    "CharLMRecipe",
    "DeepWalkRecipe",
    "EmbeddingLinkRecipe",
    "GAERecipe",
    "GCNRecipe",
    "GraphSAGERecipe",
    "SAGE_AGGREGATOR_SETTINGS",
    "HeuristicRecipe",
    "SampledGraphSAGERecipe",
    "WalkRNNRecipe",
    "normalized_features",
    "num_classes",
    "sample_with_replacement",
]


def normalized_features(data, identity_if_missing: bool = True):
    """A copy of ``data`` with row-normalized sparse features (Kipf & Welling's preprocessing,
    computed without densifying); a graph without features gets one-hot node ids (sparse)
    unless ``identity_if_missing`` is False."""
    data = data.clone()
    if data.x is None:
        if not identity_if_missing:
            return data
        data.x = torch.sparse_coo_tensor(
            torch.arange(data.num_nodes).repeat(2, 1),
            torch.ones(data.num_nodes),
            (data.num_nodes, data.num_nodes),
            check_invariants=False,
        ).coalesce()
    x = data.x if data.x.is_sparse else data.x.to_sparse()
    data.x = row_normalize(x)
    return data


def num_classes(data) -> int:
    """Output channels a node classifier of ``data`` needs: classes, or labels (multi-label)."""
    return data.y.size(1) if data.y.dim() == 2 else int(data.y.max()) + 1


def _fit(model, task, optimizer, patience: int, max_epochs: int, seed: int):
    """The node recipes' training: early stopping on the task's validation loss with
    ``patience``, best weights restored, no progress bar (a benchmark runs many seeds)."""
    from .train import EarlyStopping, Trainer

    return Trainer(
        model,
        task,
        optimizer=optimizer,
        early_stopping=EarlyStopping(patience=patience),
        max_epochs=max_epochs,
        seed=seed,
        progress=False,
    ).fit()


class _TrainedRecipe:
    """A recipe whose ``train(data, seed, max_epochs)`` returns the fitted `Trainer`."""

    def train(self, data, seed: int, max_epochs: int = 200):
        raise NotImplementedError

    def fit(self, data, seed: int, max_epochs: int = 200) -> dict:
        trainer = self.train(data, seed, max_epochs)
        metrics = trainer.test()
        result = {
            "test_acc": metrics["test_acc"],
            "test_micro_f1": metrics["test_micro_f1"],
            "test_macro_f1": metrics["test_macro_f1"],
            "epoch_time": trainer.epoch_time_,
            "epochs": trainer.epoch_,
        }
        task = trainer.task
        if getattr(task, "multilabel", False):
            # Multi-label: the DeepWalk protocol's top-k rule, as linear_probe scores embeddings.
            from .evaluation import top_k_f1

            nodes = task.splits["test"]
            with torch.no_grad():
                logits = task.logits(trainer.model.eval(), "test")[nodes]
            result["test_micro_f1"], result["test_macro_f1"] = top_k_f1(logits, task.y[nodes])
        return result


@dataclass(frozen=True)
class GCNRecipe(_TrainedRecipe):
    """Kipf & Welling 2017: 2 layers, 16 hidden, dropout 0.5, Adam lr 0.01, weight decay 5e-4 on
    the first layer only, row-normalized sparse features, early stopping on the validation loss
    (patience 10, best weights restored)."""

    hidden_channels: int = 16
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int = 10

    def train(self, data, seed: int, max_epochs: int = 200):
        from .models import GCN
        from .seed import seed_everything
        from .train import NodeClassificationTask

        data = normalized_features(data)
        seed_everything(seed)
        classes = num_classes(data)
        model = GCN(
            data.num_features, self.hidden_channels, classes, dropout=self.dropout, cached=True
        )
        optimizer = torch.optim.Adam(
            [
                {"params": model.convs[0].parameters(), "weight_decay": self.weight_decay},
                {
                    "params": [p for c in model.convs[1:] for p in c.parameters()],
                    "weight_decay": 0.0,
                },
            ],
            lr=self.lr,
        )
        return _fit(model, NodeClassificationTask(data), optimizer, self.patience, max_epochs, seed)


# Per-aggregator settings that differ from the mean aggregator's (chosen on validation accuracy,
# Cora: benchmarks/results/sage_accuracy_notes.md). With 140 labels the pool and LSTM
# aggregators over-fit at mean's settings (train 100%, validation 73%): they need the paper's l2
# normalization of hidden layers, more dropout and a wider hidden layer. At dropout 0.8 both learn
# slowly and noisily, so patience 20 stops some seeds early: the LSTM's training loss can jump
# once (Cora seed 4: at epoch 24, stopped at 43 with 36.1% under patience 20; 79.4% with patience
# 100, best epoch 137); pool seed 5 stopped at epoch 68 with 75.9% (79.9% with patience 100).
# With the longer patience both take a little more weight decay (10 seeds, validation: pool
# 78.6 at 5e-4, 79.3 at 1e-3, 78.4-79.0 at 1.5e-3-3e-3; LSTM 77.7 at 5e-4, 78.2 at 1e-3).
_FEW_LABEL_SETTINGS = {"hidden_channels": 64, "dropout": 0.8, "normalize": True,
                       "weight_decay": 1e-3, "patience": 100}  # fmt: skip
SAGE_AGGREGATOR_SETTINGS = {
    "pool": _FEW_LABEL_SETTINGS,
    "lstm": {**_FEW_LABEL_SETTINGS, "aggr_channels": 128},
}


# Aggregators sampled without replacement unless a recipe says otherwise. A max over draws
# with replacement misses some of a node's neighbours in training (a degree-4 node misses at
# least one in 10 draws with probability 0.22) that the full-graph evaluation sees; Cora, pool,
# [25, 10], 3 seeds: 73.6 with replacement, 80.1 without (full batch 80.4). A sum over draws
# is not the sum over the neighbours either. Without replacement a node with at most `fanout`
# neighbours gets exactly them. A mean keeps the paper's draw with replacement (its estimate
# is unbiased under either), and so does the LSTM, for which the draw made no difference
# measured (sampled [25, 10], 3 seeds: Cora 76.9 with, 76.5 without; CiteSeer 62.2 / 63.3).
_WITHOUT_REPLACEMENT = frozenset({"pool", "max", "sum"})


def sample_with_replacement(aggr: str, replace: bool | None = None) -> bool:
    """``replace`` itself, or when None the draw that suits ``aggr``: without replacement for
    ``"pool"``, ``"max"`` and ``"sum"`` (their value over sampled neighbours must see every
    neighbour of a node with at most ``fanout`` of them), with replacement (the paper) for the
    others."""
    return aggr not in _WITHOUT_REPLACEMENT if replace is None else bool(replace)


@dataclass(frozen=True)
class GraphSAGERecipe(_TrainedRecipe):
    """Supervised GraphSAGE in the GCN recipe's setting, so the two share a table: 2 layers, 16
    hidden, dropout 0.5, Adam lr 0.01, weight decay 5e-4, row-normalized sparse features, early
    stopping on the validation loss with best weights restored; `for_aggregator` gives the
    settings chosen for each aggregator (`SAGE_AGGREGATOR_SETTINGS`). Full-batch by default;
    ``fanouts`` (e.g. ``(25, 10)``) trains on sampled mini-batches of ``batch_size`` seeds,
    neighbours drawn as `sample_with_replacement` says for ``aggr`` unless ``replace`` is given
    (validation and test on the full graph).

    Patience is 20, not GCN's 10: with PyG-style ``Linear`` initialisation the validation loss of
    some seeds first rises for ~10 epochs while the model fits the balanced training prior
    (Cora seed 5 stopped at epoch 11 with 31.9% under patience 10)."""

    aggr: str = "mean"
    hidden_channels: int = 16
    dropout: float = 0.5
    normalize: bool = False
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int = 20
    aggr_channels: int = 64
    fanouts: tuple | None = None
    batch_size: int = 32
    replace: bool | None = None

    @classmethod
    def for_aggregator(cls, aggr: str, **changes) -> GraphSAGERecipe:
        """The recipe with ``aggr``'s chosen settings (then ``changes``)."""
        return cls(**{"aggr": aggr, **SAGE_AGGREGATOR_SETTINGS.get(aggr, {}), **changes})

    def model(self, data, cached: bool = True):
        """The untrained `GraphSAGE` for ``data`` (seed the RNG first for its weights);
        ``cached``: the layers keep the graph's aggregation structure (one fixed graph)."""
        from .models import GraphSAGE

        return GraphSAGE(
            data.num_features,
            self.hidden_channels,
            num_classes(data),
            aggr=self.aggr,
            dropout=self.dropout,
            normalize=self.normalize,
            aggr_channels=self.aggr_channels,
            cached=cached,
        )

    def train(self, data, seed: int, max_epochs: int = 200, train_edge_index=None):
        """Fit on ``data``; ``train_edge_index`` trains on another graph (inductive: e.g. without
        the test nodes' edges) while the test nodes are scored on the full graph."""
        from .seed import seed_everything
        from .train import NodeClassificationTask, SampledNodeClassificationTask

        # Sparse rows: a [25, 10] batch gathers ~9000 input rows; dense, their dropout mask and
        # copy took 90% of the epoch (2.4 s against 0.19 s per Cora epoch, same model).
        data = normalized_features(data)
        seed_everything(seed)
        # One fixed graph only: a cache would carry the training graph into the evaluation.
        model = self.model(data, cached=self.fanouts is None and train_edge_index is None)
        if self.fanouts is None:
            task = NodeClassificationTask(data, train_edge_index=train_edge_index)
        else:
            task = SampledNodeClassificationTask(
                data, list(self.fanouts), batch_size=self.batch_size,
                train_edge_index=train_edge_index,
                replace=sample_with_replacement(self.aggr, self.replace),
            )  # fmt: skip
        optimizer = functools.partial(torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay)
        return _fit(model, task, optimizer, self.patience, max_epochs, seed)


@dataclass(frozen=True)
class SampledGraphSAGERecipe(_TrainedRecipe):
    """Supervised GraphSAGE on sampled mini-batches, the setting that scales to large graphs and
    over several processes (`graphseq train-sage`, ``benchmarks/distributed_sage.py``): 2 layers
    of ``hidden_channels``, fan-outs [25, 10] (drawn with replacement as Hamilton et al. 2017
    for mean-like aggregators, without for pool, max and sum: `sample_with_replacement`; set
    ``replace`` to choose),
    de-duplicated sampled nodes, ``batch_size`` seeds per batch (per rank when distributed),
    dropout 0.5, Adam lr 0.01, a fixed number of epochs and the last epoch's weights (as
    ``benchmarks/sage_blogcatalog.py``: on multi-label data the validation loss is lowest long
    before the F1 scores stop rising). A graph without features learns an
    ``embedding_dim``-vector per node as its input; one without a split gets a seeded random one
    (``train_fraction`` trains, 10% validate, the rest test). Single- or multi-label."""

    aggr: str = "mean"
    hidden_channels: int = 128
    embedding_dim: int = 64
    fanouts: tuple = (25, 10)
    batch_size: int = 512
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 0.0
    epochs: int = 10
    train_fraction: float = 0.5
    replace: bool | None = None

    def build(
        self,
        data,
        seed: int = 0,
        max_epochs: int | None = None,
        *,
        eval_splits: tuple = ("val",),
        **trainer_options,
    ):
        """The unfitted `Trainer` (``trainer_options``: ``checkpoint``, ``device``, ``progress``,
        ``callbacks``; it trains distributed when launched by ``torchrun``, see
        `graphseq.distributed.wants_distributed`); ``eval_splits``: scored after every epoch
        (empty: none, the history then holds the training loss only)."""
        from .models import GraphSAGE
        from .seed import seed_everything
        from .train import EarlyStopping, SampledNodeClassificationTask, Trainer
        from .train.task import random_splits

        splits = None
        if getattr(data, "train_mask", None) is None:
            splits = random_splits(data.num_nodes, self.train_fraction, 0.1, seed=seed)
        featureless = getattr(data, "x", None) is None
        seed_everything(seed)
        model = GraphSAGE(
            self.embedding_dim if featureless else data.num_features,
            self.hidden_channels,
            num_classes(data),
            aggr=self.aggr,
            dropout=self.dropout,
            num_nodes=data.num_nodes if featureless else None,
            cached=True,
        )
        task = SampledNodeClassificationTask(
            data, list(self.fanouts), splits=splits, batch_size=self.batch_size,
            deduplicate=True, replace=sample_with_replacement(self.aggr, self.replace),
        )  # fmt: skip
        task.eval_splits = tuple(eval_splits)
        options = {"progress": False, **trainer_options}
        return Trainer(
            model,
            task,
            optimizer=functools.partial(
                torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay
            ),
            early_stopping=EarlyStopping(
                None if eval_splits else "loss", patience=None, restore_best=False
            ),
            max_epochs=self.epochs if max_epochs is None else max_epochs,
            seed=seed,
            **options,
        )

    def train(self, data, seed: int = 0, max_epochs: int | None = None, *, resume=False, **options):
        """`build`, then ``fit(resume)``; returns the fitted `Trainer`."""
        return self.build(data, seed, max_epochs, **options).fit(resume=resume)


@dataclass(frozen=True)
class DeepWalkRecipe:
    """DeepWalk (Perozzi et al. 2014): 80 walks of 40 nodes per node, window 10, 128 dimensions,
    hierarchical softmax, one skip-gram pass; then a logistic regression trained on the split's
    training nodes, its C chosen on the validation nodes."""

    dimensions: int = 128
    walk_length: int = 40
    walks_per_node: int = 80
    window_size: int = 10
    probe_c: tuple = (0.01, 0.1, 1.0, 10.0)
    workers: int | None = None
    """gensim threads; None: min(2, CPUs). Only ``workers=1`` repeats bit for bit."""

    def fit(self, data, seed: int, max_epochs: int = 200) -> dict:
        """``max_epochs`` (a GCN setting) does not apply; the whole fit + probe is one "epoch"."""
        from .evaluation import probe_split
        from .models import DeepWalk

        start = time.perf_counter()
        model = DeepWalk(
            self.dimensions,
            self.walk_length,
            self.walks_per_node,
            self.window_size,
            seed=seed,
            workers=self.workers or min(2, os.cpu_count() or 1),
            progress=False,
        ).fit(data)
        result = probe_split(
            model.embeddings_,
            data.y,
            data.train_mask,
            data.test_mask,
            val_mask=data.val_mask,
            C=self.probe_c,
        )
        return {
            "test_acc": result.get("accuracy"),
            "test_micro_f1": result["micro_f1"],
            "test_macro_f1": result["macro_f1"],
            "epoch_time": time.perf_counter() - start,
            "epochs": 1,
        }


@dataclass(frozen=True)
class WalkRNNRecipe(_TrainedRecipe):
    """WalkRNN: K=8 walks of L=4 nodes per node read by an LSTM (hidden 64), walk vectors
    averaged and concatenated with the node's own embedding; row-normalized features, dropout
    0.5, Adam lr 0.01, weight decay 5e-4, early stopping on the validation loss (patience 50:
    with 20, some seeds stopped at a noisy plateau around epoch 45), training walks re-sampled
    every epoch, evaluation walks fixed by the seed."""

    walks_per_node: int = 8
    walk_length: int = 4
    hidden_channels: int = 64
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int = 50

    def train(self, data, seed: int, max_epochs: int = 200):
        from .models import WalkRNN
        from .seed import seed_everything
        from .train import WalkNodeClassificationTask

        use_features = data.x is not None
        data = normalized_features(data, identity_if_missing=False)
        seed_everything(seed)
        model = WalkRNN(
            data.num_features if use_features else None,
            num_classes(data),
            self.hidden_channels,
            num_nodes=data.num_nodes,
            dropout=self.dropout,
        )
        task = WalkNodeClassificationTask(
            data,
            walks_per_node=self.walks_per_node,
            walk_length=self.walk_length,
            eval_seed=seed,
            use_features=use_features,
        )
        optimizer = functools.partial(torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay)
        return _fit(model, task, optimizer, self.patience, max_epochs, seed)


@dataclass(frozen=True)
class CharLMRecipe:
    """A character-level LSTM language model trained with truncated BPTT (`graphseq train-lm`,
    ``benchmarks/char_lm.py``): the text is split into train / val / test (the last
    ``test_fraction``, held out); an epoch is ``steps_per_epoch`` windows of ``seq_len``
    characters in ``batch_size`` streams; the weights of the epoch with the lowest validation
    loss are kept.

    The defaults are what reached 0.60+ held-out accuracy on Anna Karenina within the hour on
    two cores (``benchmarks/results/char_lm.md``): 16 epochs x 200 steps x 64 streams x 100
    characters, about 12 passes over the training text, dropout 0.1 between the LSTM layers,
    Adam with a cosine learning-rate decay."""

    hidden_size: int = 256
    num_layers: int = 2
    cell: str = "lstm"
    embedding_dim: int = 64
    dropout: float = 0.1
    seq_len: int = 100
    batch_size: int = 64
    steps_per_epoch: int | None = 200
    epochs: int = 16
    lr: float = 3e-3
    lr_schedule: str = "cosine"
    grad_clip: float | None = 5.0
    val_fraction: float = 0.05
    test_fraction: float = 0.1
    seed: int = 0

    def _scheduler(self):
        """``"cosine"``: the learning rate follows a half cosine from ``lr`` down to
        ``lr / 100`` over the ``epochs`` (stepped once per epoch); ``"constant"``: none."""
        if self.lr_schedule == "constant":
            return None
        if self.lr_schedule == "cosine":
            return functools.partial(
                torch.optim.lr_scheduler.CosineAnnealingLR, T_max=self.epochs, eta_min=self.lr / 100
            )
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant'; got {self.lr_schedule!r}.")

    def train(
        self,
        text: str,
        *,
        checkpoint=None,
        resume: bool = False,
        device: str = "cpu",
        progress: bool | None = None,
        callbacks=(),
    ):
        """Train on ``text``; returns ``(model, trainer, test_metrics)`` with ``test_metrics`` =
        ``{"test_loss", "test_bpc", "test_acc", ...}`` of the kept weights on the held-out text
        (empty without a test split). With ``checkpoint`` the state is saved after every epoch
        and ``resume=True`` continues an interrupted run."""
        from .models import CharRNN
        from .sequences import CharVocabulary
        from .train import LanguageModelTask, Trainer

        if not isinstance(text, str) or len(text) < 2:
            raise ValueError("text must be a string of at least two characters.")
        vocabulary = CharVocabulary.from_text(text)
        task = LanguageModelTask.from_text(
            text,
            vocabulary,
            val_fraction=self.val_fraction,
            test_fraction=self.test_fraction,
            seq_len=self.seq_len,
            batch_size=self.batch_size,
            steps_per_epoch=self.steps_per_epoch,
        )
        torch.manual_seed(self.seed)  # the initial weights
        model = CharRNN(
            vocabulary,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            cell=self.cell,
            embedding_dim=self.embedding_dim,
            dropout=self.dropout,
        )
        trainer = Trainer(
            model,
            task,
            optimizer=functools.partial(torch.optim.Adam, lr=self.lr),
            scheduler=self._scheduler(),
            max_epochs=self.epochs,
            grad_clip=self.grad_clip,
            seed=self.seed,
            device=device,
            progress=progress,
            checkpoint=checkpoint,
            callbacks=callbacks,
        )
        trainer.fit(resume=resume)
        metrics = trainer.evaluate(("test",)) if "test" in task.splits else {}
        return model, trainer, metrics


# ---------------------------------------------------------------------------------- links
def _featureless_identity(data):
    """``data`` with one-hot node ids as sparse features when it has none (as Kipf & Welling
    do for a featureless graph), else with row-normalized features."""
    return normalized_features(data, identity_if_missing=True)


def _link_result(metrics_val: dict, metrics_test: dict, **extra) -> dict:
    result = {f"val_{k}": v for k, v in metrics_val.items()}
    result.update({f"test_{k}": v for k, v in metrics_test.items()})
    result.update(extra)
    return result


@dataclass(frozen=True)
class GAERecipe:
    """A graph auto-encoder for link prediction (Kipf & Welling 2016): GCN 32 -> 16, inner-product
    decoder, Adam lr 0.01, one non-edge per training edge drawn afresh every epoch, 400 epochs,
    the epoch of best validation ROC-AUC restored; row-normalized features (one-hot node ids on a
    graph without features)."""

    variational: bool = False
    hidden_channels: int = 32
    out_channels: int = 16
    lr: float = 0.01
    epochs: int = 400
    negatives_per_edge: int = 1

    def fit(self, data, split, seed: int) -> dict:
        from .models import GAE
        from .seed import seed_everything
        from .train import LinkPredictionTask, Trainer

        data = _featureless_identity(data)
        seed_everything(seed)
        model = GAE(
            data.num_features, self.hidden_channels, self.out_channels,
            variational=self.variational,
        )  # fmt: skip
        trainer = Trainer(
            model,
            LinkPredictionTask(data, split, negatives_per_edge=self.negatives_per_edge),
            optimizer=functools.partial(torch.optim.Adam, lr=self.lr),
            max_epochs=self.epochs,
            seed=seed,
            progress=False,
        ).fit()
        metrics = trainer.evaluate(("val", "test"))
        val = {k[4:]: v for k, v in metrics.items() if k.startswith("val_")}
        test = {k[5:]: v for k, v in metrics.items() if k.startswith("test_")}
        return _link_result(val, test, epochs=trainer.epoch_, epoch_time=trainer.epoch_time_)


@dataclass(frozen=True)
class HeuristicRecipe:
    """A neighbourhood heuristic of the training graph (`graphseq.link_prediction`): nothing
    is trained, so validation and test are scored the same way."""

    name: str = "adamic_adar"

    def fit(self, data, split, seed: int) -> dict:
        from .link_prediction import heuristic_scores, link_metrics

        graph = split.train_graph()
        scores = {}
        for which in ("val", "test"):
            pairs, labels = split.pairs(which)
            scores[which] = link_metrics(heuristic_scores(graph, pairs, self.name), labels)
        return _link_result(scores["val"], scores["test"])


@dataclass(frozen=True)
class EmbeddingLinkRecipe:
    """Node embeddings of the training graph scored as edges: the inner product and node2vec's
    four operators + logistic regression (`graphseq.link_prediction.EdgeScorer`); the operator
    with the best validation ROC-AUC gives the test numbers.

    ``method``: ``"deepwalk"`` (`DeepWalkRecipe`'s walks and skip-gram), ``"node2vec"`` (10 walks of
    80 nodes, p and q from ``node2vec_pq``, each pair tried and chosen on validation too),
    ``walks_per_node`` / ``walk_length`` override the walks (fewer on a large graph),
    ``"graphsage"`` (`graphseq.models.UnsupervisedGraphSAGE`, 128-d, 10 epochs) or ``"spectral"``
    (scikit-learn's spectral embedding of the training graph, 128-d)."""

    method: str = "deepwalk"
    dimensions: int = 128
    walks_per_node: int | None = None
    walk_length: int | None = None
    node2vec_pq: tuple = ((1.0, 1.0), (1.0, 0.5), (1.0, 2.0))
    workers: int | None = None
    operators: tuple = ("inner", "average", "hadamard", "weighted_l1", "weighted_l2")

    def _embeddings(self, graph, seed: int, p: float = 1.0, q: float = 1.0):
        workers = self.workers or min(2, os.cpu_count() or 1)
        if self.method == "deepwalk":
            from .models import DeepWalk

            walks = self.walks_per_node or DeepWalkRecipe.walks_per_node
            return (
                DeepWalk(
                    self.dimensions,
                    walk_length=self.walk_length or DeepWalkRecipe.walk_length,
                    walks_per_node=walks,
                    workers=workers,
                    seed=seed,
                    progress=False,
                )
                .fit(graph)
                .embeddings_
            )
        if self.method == "node2vec":
            from .models import Node2Vec

            return Node2Vec(
                p, q, self.dimensions, walk_length=self.walk_length or 80,
                walks_per_node=self.walks_per_node or 10,
                workers=workers, seed=seed, progress=False,
            ).fit(graph).embeddings_  # fmt: skip
        if self.method == "graphsage":
            from .models import UnsupervisedGraphSAGE

            return UnsupervisedGraphSAGE(
                self.dimensions, self.dimensions, seed=seed, progress=False
            ).fit_transform(_featureless_identity(graph))
        if self.method == "spectral":
            from .link_prediction import spectral_embedding

            return spectral_embedding(graph, self.dimensions, seed)
        raise ValueError(
            f"method must be 'deepwalk', 'node2vec', 'graphsage' or 'spectral'; got {self.method!r}."
        )

    def fit(self, data, split, seed: int) -> dict:
        from .link_prediction import EdgeScorer

        graph = split.train_graph(data)
        candidates = self.node2vec_pq if self.method == "node2vec" else ((1.0, 1.0),)
        best = None
        for p, q in candidates:
            embeddings = self._embeddings(graph, seed, p, q)
            for operator in self.operators:
                scorer = EdgeScorer(operator, seed=seed).fit(embeddings, split)
                val = scorer.evaluate(embeddings, split, "val")
                if best is None or val["roc_auc"] > best[0]["roc_auc"]:
                    best = (val, scorer.evaluate(embeddings, split, "test"), operator, p, q)
        val, test, operator, p, q = best
        extra = {"operator": operator}
        if self.method == "node2vec":
            extra.update(p=p, q=q)
        return _link_result(val, test, **extra)
