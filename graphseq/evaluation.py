"""Linear-probe evaluation of node embeddings (scikit-learn logistic regression).

Two protocols:

* `linear_probe` -- the DeepWalk / node2vec protocol: shuffle the nodes, train a
  one-vs-rest logistic regression on the first ``fraction`` of them, score micro- and macro-F1
  on the rest; repeat over several random splits and several fractions. For multi-label data
  each test node gets as many predicted labels as it truly has (the top-k labels by predicted
  probability, ``k`` = its true label count), exactly as DeepWalk's ``scoring.py`` does.
  Single-label data (``y [N]`` class ids) predict the most probable class.
* `probe_split` -- one given split (e.g. the Planetoid masks): accuracy, micro/macro-F1.

The classifier defaults mirror DeepWalk's ``scoring.py``: ``LogisticRegression(C=1.0)`` with
the liblinear solver (scikit-learn's default when it was written), one-vs-rest.
"""

from __future__ import annotations

import statistics

import numpy as np
import torch

from .train.metrics import f1_scores, multilabel_f1_scores
from .validation import check_int

__all__ = ["linear_probe", "probe_split", "top_k_f1", "top_k_predictions"]

DEFAULT_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _as_numpy_embeddings(embeddings) -> np.ndarray:
    x = torch.as_tensor(embeddings).detach().cpu()
    if x.dim() != 2:
        raise ValueError(
            f"embeddings must have shape [num_nodes, dimensions], got {list(x.shape)}."
        )
    if not x.dtype.is_floating_point:
        x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError("embeddings contain NaN or infinite values.")
    return x.double().numpy()


def _labels(labels, num_nodes: int) -> tuple[np.ndarray, bool]:
    """``(y, multilabel)``: ``y`` is ``[N]`` int class ids or ``[N, L]`` bool multi-hot."""
    y = torch.as_tensor(labels).detach().cpu()
    if y.dim() not in (1, 2) or y.size(0) != num_nodes:
        raise ValueError(
            f"labels must be [num_nodes] class ids or [num_nodes, num_labels] multi-hot with "
            f"num_nodes = {num_nodes}, got shape {list(y.shape)}."
        )
    if y.dim() == 1:
        if y.dtype.is_floating_point and not bool((y == y.round()).all()):
            raise ValueError("single-label labels must be integer class ids.")
        return y.long().numpy(), False
    return (y > 0).numpy(), True


def _classifier(C: float, solver: str, max_iter: int, n_jobs):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(
        LogisticRegression(C=C, solver=solver, max_iter=max_iter), n_jobs=n_jobs
    )


def top_k_predictions(probabilities: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Bool ``[n, L]``: for row ``i``, the ``k[i]`` labels of highest probability."""
    order = np.argsort(-probabilities, axis=1, kind="stable")
    rank = np.empty_like(order)
    rows = np.arange(probabilities.shape[0])[:, None]
    rank[rows, order] = np.arange(probabilities.shape[1])[None, :]
    return rank < np.asarray(k)[:, None]


def top_k_f1(scores, target) -> tuple[float, float]:
    """``(micro_f1, macro_f1)`` of multi-label ``scores [n, L]`` (logits or probabilities)
    under the DeepWalk protocol: each node predicts its ``k`` highest-scored labels, ``k`` = the
    number of labels it truly has."""
    scores = torch.as_tensor(scores).detach().cpu().double().numpy()
    truth = (torch.as_tensor(target).detach().cpu() > 0).numpy()
    pred = top_k_predictions(scores, truth.sum(1))
    return multilabel_f1_scores(torch.from_numpy(pred), torch.from_numpy(truth))


def _fit_predict(x_train, y_train, x_test, y_test, multilabel, C, solver, max_iter, n_jobs):
    """Micro/macro F1 (and accuracy for single-label) of one train/test split."""
    import warnings

    clf = _classifier(C, solver, max_iter, n_jobs)
    if multilabel:
        with warnings.catch_warnings():
            # a label absent from the training part gets a constant classifier; that is fine
            warnings.simplefilter("ignore", UserWarning)
            clf.fit(x_train, y_train.astype(np.int64))
        probabilities = clf.predict_proba(x_test)
        pred = top_k_predictions(probabilities, y_test.sum(1))
        micro, macro = multilabel_f1_scores(torch.from_numpy(pred), torch.from_numpy(y_test))
        return {"micro_f1": micro, "macro_f1": macro}
    clf.fit(x_train, y_train)
    pred = clf.predict(x_test)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    target, pred = torch.from_numpy(y_test), torch.from_numpy(np.asarray(pred, dtype=np.int64))
    micro, macro = f1_scores(pred, target, num_classes)
    return {
        "accuracy": float((pred == target).float().mean()),
        "micro_f1": micro,
        "macro_f1": macro,
    }


def _summary(values: list[float]) -> dict:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": values,
    }


def linear_probe(
    embeddings,
    labels,
    train_fractions=DEFAULT_FRACTIONS,
    num_splits: int = 10,
    seed: int = 0,
    *,
    C: float = 1.0,
    solver: str = "liblinear",
    max_iter: int = 1000,
    n_jobs: int | None = None,
    progress: bool = False,
) -> dict:
    """The DeepWalk/node2vec multi-label protocol (see the module docstring).

    Args:
        embeddings: ``[N, d]`` node embeddings.
        labels: ``[N, L]`` multi-hot (multi-label) or ``[N]`` class ids (single-label).
        train_fractions: fractions of nodes used for training, each in (0, 1).
        num_splits: random shuffles of the nodes; every fraction uses the same shuffles
            (the first ``int(fraction * N)`` shuffled nodes train).
        seed: seeds the shuffles.
        C: ``LogisticRegression``'s inverse regularization strength.
        solver: ``LogisticRegression``'s solver.
        max_iter: ``LogisticRegression``'s iteration limit.
        n_jobs: parallel one-vs-rest fits (scikit-learn's ``n_jobs``).
        progress: a tqdm bar over (fraction, split) fits.

    Returns:
        ``{"fractions": {fraction: {"micro_f1": {"mean", "std", "values"}, "macro_f1": ...}},
        "num_splits", "seed", "multilabel"}``; F1 values are fractions in [0, 1].
    """
    from tqdm.auto import tqdm

    x = _as_numpy_embeddings(embeddings)
    y, multilabel = _labels(labels, x.shape[0])
    fractions = [float(f) for f in train_fractions]
    if not fractions or any(not 0.0 < f < 1.0 for f in fractions):
        raise ValueError(f"train_fractions must be numbers in (0, 1), got {train_fractions}.")
    num_splits = check_int("num_splits", num_splits)
    num_nodes = x.shape[0]
    for fraction in fractions:
        size = int(fraction * num_nodes)
        if size < 1 or size >= num_nodes:
            raise ValueError(
                f"train fraction {fraction} leaves {size} training and {num_nodes - size} test "
                f"nodes out of {num_nodes}; both must be at least 1."
            )
    rng = np.random.default_rng(seed)
    shuffles = [rng.permutation(num_nodes) for _ in range(num_splits)]
    scores = {f: {} for f in fractions}
    bar = tqdm(total=len(fractions) * num_splits, desc="linear probe", disable=not progress)
    for fraction in fractions:
        size = int(fraction * num_nodes)
        runs = []
        for order in shuffles:
            train, test = order[:size], order[size:]
            runs.append(
                _fit_predict(
                    x[train], y[train], x[test], y[test], multilabel, C, solver, max_iter, n_jobs
                )
            )
            bar.update(1)
        for key in runs[0]:
            scores[fraction][key] = _summary([r[key] for r in runs])
    bar.close()
    return {"fractions": scores, "num_splits": num_splits, "seed": seed, "multilabel": multilabel}


def _mask(mask, num_nodes: int, name: str) -> np.ndarray:
    mask = torch.as_tensor(mask).detach().cpu()
    if mask.dtype != torch.bool:
        raise TypeError(f"{name} must be a bool mask [num_nodes], got dtype {mask.dtype}.")
    if mask.shape != (num_nodes,):
        raise ValueError(f"{name} must have shape [{num_nodes}], got {list(mask.shape)}.")
    if not bool(mask.any()):
        raise ValueError(f"{name} selects no node.")
    return mask.numpy()


def probe_split(
    embeddings,
    labels,
    train_mask,
    test_mask,
    *,
    val_mask=None,
    C: float | tuple = 1.0,
    solver: str = "liblinear",
    max_iter: int = 1000,
    standardize: bool = False,
    n_jobs: int | None = None,
) -> dict:
    """Logistic regression trained on ``train_mask`` nodes, scored on ``test_mask`` nodes.

    Args:
        embeddings: ``[N, d]``.
        labels: ``[N]`` class ids (or ``[N, L]`` multi-hot: top-k protocol, no accuracy).
        train_mask: bool ``[N]``, the training nodes (e.g. the Planetoid split's mask).
        test_mask: bool ``[N]``, the scored nodes.
        val_mask: with several ``C`` values, the one with the best validation accuracy
            (micro-F1 for multi-label) is used; the test set is never looked at for this.
        C: inverse regularization strength, or a tuple of candidates (needs ``val_mask``).
        standardize: scale each embedding dimension to zero mean, unit variance (statistics
            of the training nodes only).

    Returns:
        ``{"accuracy" (single-label), "micro_f1", "macro_f1", "C"}`` (fractions in [0, 1]);
        with a validation mask also ``"val_accuracy"``/``"val_micro_f1"``.
    """
    x = _as_numpy_embeddings(embeddings)
    y, multilabel = _labels(labels, x.shape[0])
    train = _mask(train_mask, x.shape[0], "train_mask")
    test = _mask(test_mask, x.shape[0], "test_mask")
    val = None if val_mask is None else _mask(val_mask, x.shape[0], "val_mask")
    candidates = tuple(C) if isinstance(C, (tuple, list)) else (C,)
    if len(candidates) > 1 and val is None:
        raise ValueError("several C values need val_mask to choose between them.")
    if standardize:
        mean, std = x[train].mean(0), x[train].std(0)
        x = (x - mean) / np.where(std > 0, std, 1.0)
    key = "micro_f1" if multilabel else "accuracy"
    best = None
    for c in candidates:
        if val is not None:
            score = _fit_predict(
                x[train], y[train], x[val], y[val], multilabel, c, solver, max_iter, n_jobs
            )[key]
            if best is None or score > best[1]:
                best = (c, score)
        else:
            best = (c, None)
    chosen, val_score = best
    result = _fit_predict(
        x[train], y[train], x[test], y[test], multilabel, chosen, solver, max_iter, n_jobs
    )
    result["C"] = chosen
    if val_score is not None:
        result[f"val_{key}"] = val_score
    return result
