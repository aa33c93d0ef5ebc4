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
    "GCNRecipe",
    "GraphSAGERecipe",
    "WalkRNNRecipe",
    "normalized_features",
    "num_classes",
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


@dataclass(frozen=True)
class GraphSAGERecipe(_TrainedRecipe):
    """Supervised full-batch GraphSAGE in the GCN recipe's setting, so the two share a table: 2
    layers, 16 hidden, dropout 0.5, Adam lr 0.01, weight decay 5e-4, row-normalized sparse
    features, early stopping on the validation loss with best weights restored; the pool and LSTM
    aggregators use 64 aggregator channels.

    Patience is 20, not GCN's 10: with PyG-style ``Linear`` initialisation the validation loss of
    some seeds first rises for ~10 epochs while the model fits the balanced training prior
    (Cora seed 5 stopped at epoch 11 with 31.9% under patience 10)."""

    aggr: str = "mean"
    hidden_channels: int = 16
    dropout: float = 0.5
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int = 20
    aggr_channels: int = 64

    def train(self, data, seed: int, max_epochs: int = 200):
        from .models import GraphSAGE
        from .seed import seed_everything
        from .train import NodeClassificationTask

        data = normalized_features(data)
        seed_everything(seed)
        model = GraphSAGE(
            data.num_features,
            self.hidden_channels,
            num_classes(data),
            aggr=self.aggr,
            dropout=self.dropout,
            aggr_channels=self.aggr_channels,
            cached=True,
        )
        optimizer = functools.partial(torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay)
        return _fit(model, NodeClassificationTask(data), optimizer, self.patience, max_epochs, seed)


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
    loss are kept."""

    hidden_size: int = 256
    num_layers: int = 2
    cell: str = "lstm"
    embedding_dim: int = 64
    dropout: float = 0.0
    seq_len: int = 100
    batch_size: int = 32
    steps_per_epoch: int | None = 100
    epochs: int = 20
    lr: float = 3e-3
    grad_clip: float | None = 5.0
    val_fraction: float = 0.05
    test_fraction: float = 0.1
    seed: int = 0

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
