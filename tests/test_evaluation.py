"""Linear probe: the DeepWalk multi-label protocol and single-split accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from graphseq.evaluation import linear_probe, probe_split, top_k_predictions


def _multilabel_problem(num_nodes=300, num_labels=5, dims=8, seed=0):
    """Labels that depend on the embeddings (so a probe can learn them)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_nodes, dims))
    scores = x @ rng.normal(size=(dims, num_labels))
    y = scores > 0.8
    y[np.arange(num_nodes), scores.argmax(1)] = True  # every node has a label
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def test_top_k_predictions_take_k_most_probable():
    probabilities = np.array([[0.1, 0.7, 0.2], [0.5, 0.4, 0.3], [0.2, 0.3, 0.9]])
    pred = top_k_predictions(probabilities, np.array([2, 1, 0]))
    assert pred.tolist() == [[False, True, True], [True, False, False], [False, False, False]]


def test_multilabel_probe_predicts_true_label_count_and_learns():
    x, y = _multilabel_problem()
    result = linear_probe(x, y, (0.5,), num_splits=3, seed=0)
    scores = result["fractions"][0.5]
    assert result["multilabel"] and len(scores["micro_f1"]["values"]) == 3
    assert scores["micro_f1"]["mean"] > 0.7
    noise = linear_probe(torch.randn(300, 8), y, (0.5,), num_splits=3, seed=0)
    assert noise["fractions"][0.5]["micro_f1"]["mean"] < scores["micro_f1"]["mean"] - 0.2


def test_multilabel_probe_agrees_with_scikit_learn_f1():
    """Rebuild one split by hand with scikit-learn (DeepWalk's scoring.py) and compare."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    x, y = _multilabel_problem(seed=1)
    result = linear_probe(x, y, (0.3,), num_splits=1, seed=7)
    order = np.random.default_rng(7).permutation(300)
    train, test = order[:90], order[90:]
    clf = OneVsRestClassifier(LogisticRegression(solver="liblinear", max_iter=1000))
    clf.fit(x[train].double().numpy(), y[train].numpy().astype(int))
    probabilities = clf.predict_proba(x[test].double().numpy())
    truth = y[test].numpy().astype(int)
    pred = top_k_predictions(probabilities, truth.sum(1)).astype(int)
    micro = f1_score(truth, pred, average="micro")
    macro = f1_score(truth, pred, average="macro", zero_division=0)
    assert result["fractions"][0.3]["micro_f1"]["values"][0] == pytest.approx(micro)
    assert result["fractions"][0.3]["macro_f1"]["values"][0] == pytest.approx(macro)


def test_same_seed_same_scores():
    x, y = _multilabel_problem()
    a = linear_probe(x, y, (0.2, 0.8), num_splits=2, seed=4)
    b = linear_probe(x, y, (0.2, 0.8), num_splits=2, seed=4)
    assert a == b


def test_single_label_probe_and_split_accuracy():
    rng = np.random.default_rng(0)
    y = torch.tensor(rng.integers(0, 3, 200))
    x = torch.nn.functional.one_hot(y, 3).float() * 3 + torch.randn(200, 3) * 0.3
    result = linear_probe(x, y, (0.5,), num_splits=2)
    assert not result["multilabel"] and result["fractions"][0.5]["accuracy"]["mean"] > 0.95
    train = torch.zeros(200, dtype=torch.bool)
    train[:100] = True
    split = probe_split(x, y, train, ~train)
    assert split["accuracy"] > 0.95 and split["micro_f1"] == pytest.approx(split["accuracy"])


def test_probe_split_chooses_c_on_validation_only():
    rng = np.random.default_rng(1)
    y = torch.tensor(rng.integers(0, 2, 300))
    x = y[:, None].float() + torch.randn(300, 4)
    train, val, test = (torch.zeros(300, dtype=torch.bool) for _ in range(3))
    train[:100], val[100:200], test[200:] = True, True, True
    result = probe_split(x, y, train, test, val_mask=val, C=(0.001, 1.0))
    assert result["C"] in (0.001, 1.0) and "val_accuracy" in result
    with pytest.raises(ValueError, match="several C values need val_mask"):
        probe_split(x, y, train, test, C=(0.1, 1.0))


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x, y: linear_probe(x, y, (0.0,)), "train_fractions must be numbers in"),
        (lambda x, y: linear_probe(x, y, (0.5,), num_splits=0), "num_splits must be an int"),
        (lambda x, y: linear_probe(x[:10], y), "labels must be"),
        (lambda x, y: linear_probe(x[:, 0], y), "embeddings must have shape"),
        (lambda x, y: linear_probe(x * float("nan"), y), "NaN or infinite"),
    ],
)
def test_bad_input_fails_clearly(call, message):
    x, y = _multilabel_problem(num_nodes=50)
    with pytest.raises(ValueError, match=message):
        call(x, y)


def test_masks_must_be_bool():
    x, y = torch.randn(10, 2), torch.zeros(10, dtype=torch.long)
    with pytest.raises(TypeError, match="train_mask must be a bool mask"):
        probe_split(x, y, torch.ones(10), torch.ones(10, dtype=torch.bool))
