"""Unsupervised GraphSAGE as an estimator: fit on one graph, embed the nodes of any graph.

GraphSAGE learns a function of a node's features and its neighbourhood, not a table of
vectors, so a trained model embeds nodes it never saw: ``transform(new_graph)`` runs it on a graph
that holds them (their features and their edges), e.g. the training graph grown by new nodes
(Hamilton et al. 2017's inductive setting).

>>> model = UnsupervisedGraphSAGE(out_channels=64, epochs=10, seed=0).fit(train_graph)
>>> z = model.transform(full_graph)      # [full_graph.num_nodes, 64], new nodes included
"""

from __future__ import annotations

import functools

import torch
from sklearn.base import BaseEstimator

from ..validation import check_features, check_int
from .graphsage import GraphSAGE
from .saving import SavableEstimator

__all__ = ["UnsupervisedGraphSAGE"]


class UnsupervisedGraphSAGE(SavableEstimator, BaseEstimator):
    """Node embeddings from GraphSAGE trained with the unsupervised negative-sampling loss
    (`graphseq.train.UnsupervisedSAGETask`: random-walk co-occurrence positives, degree^0.75
    negatives), through the common Trainer.

    Args:
        hidden_channels, out_channels, num_layers, aggr, dropout, aggr_channels: the
            `GraphSAGE` model (``normalize_output=True``: unit-length embeddings).
        walk_length, walks_per_node, window, num_negatives, batch_size, fanouts: the task.
        lr, epochs: Adam's learning rate and the number of epochs.
        seed: seeds the walks, the negatives and the initial weights (same seed, same
            embeddings).
        progress: the Trainer's bar (see `graphseq.progress`).

    Attributes (after `fit`): ``model_`` (the trained `GraphSAGE`), ``embeddings_`` (``[N, d]``
    of the fitted graph), ``history_`` (the Trainer's).
    """

    def __init__(
        self,
        hidden_channels: int = 128,
        out_channels: int = 128,
        num_layers: int = 2,
        aggr: str = "mean",
        dropout: float = 0.0,
        aggr_channels: int | None = None,
        *,
        walk_length: int = 5,
        walks_per_node: int = 1,
        window: int = 2,
        num_negatives: int = 5,
        batch_size: int = 512,
        fanouts=None,
        lr: float = 0.01,
        epochs: int = 10,
        seed: int = 0,
        progress: bool | None = None,
    ):
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.aggr = aggr
        self.dropout = dropout
        self.aggr_channels = aggr_channels
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.window = window
        self.num_negatives = num_negatives
        self.batch_size = batch_size
        self.fanouts = fanouts
        self.lr = lr
        self.epochs = epochs
        self.seed = seed
        self.progress = progress

    def fit(self, data, y=None) -> UnsupervisedGraphSAGE:
        """Train on ``data`` (a PyG ``Data`` with ``x`` and ``edge_index``); returns ``self``."""
        from ..seed import seed_everything
        from ..train import Trainer, UnsupervisedSAGETask

        if getattr(data, "x", None) is None:
            raise ValueError(
                "UnsupervisedGraphSAGE needs node features data.x (they are what lets it embed "
                "new nodes); for a graph without features use DeepWalk or GraphSAGE(num_nodes=...)."
            )
        check_int("epochs", self.epochs)
        seed_everything(self.seed)
        model = GraphSAGE(
            data.num_features,
            self.hidden_channels,
            self.out_channels,
            self.num_layers,
            self.aggr,
            self.dropout,
            normalize_output=True,
            aggr_channels=self.aggr_channels,
        )
        task = UnsupervisedSAGETask(
            data,
            walk_length=self.walk_length,
            walks_per_node=self.walks_per_node,
            window=self.window,
            num_negatives=self.num_negatives,
            batch_size=self.batch_size,
            fanouts=self.fanouts,
            seed=self.seed,
        )
        trainer = Trainer(
            model,
            task,
            optimizer=functools.partial(torch.optim.Adam, lr=self.lr),
            max_epochs=self.epochs,
            seed=self.seed,
            progress=self.progress,
        ).fit()
        self.model_ = model.eval()
        self.history_ = trainer.history_
        self.embeddings_ = self.transform(data)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError(
                "this UnsupervisedGraphSAGE is not fitted yet; call fit(data) first."
            )

    @torch.no_grad()
    def transform(self, data) -> torch.Tensor:
        """``[data.num_nodes, d]`` embeddings of every node of ``data`` (any graph with the same
        features: the fitted one, or one with nodes added after training)."""
        self._check_fitted()
        check_features(getattr(data, "x", None), data.num_nodes, channels=self.model_.in_channels)
        self.model_.eval()
        return self.model_(data.x, data.edge_index)

    def fit_transform(self, data, y=None) -> torch.Tensor:
        return self.fit(data).embeddings_

    # ------------------------------------------------------------------ saving
    def _fitted_state(self) -> dict:
        self._check_fitted()
        return {
            "model": self.model_.init_args,
            "state_dict": self.model_.state_dict(),
            "embeddings_": self.embeddings_,
            "history_": self.history_,
        }

    def _load_fitted_state(self, state: dict) -> None:
        self.model_ = GraphSAGE(**state["model"]).eval()
        self.model_.load_state_dict(state["state_dict"])
        self.embeddings_, self.history_ = state["embeddings_"], state["history_"]
