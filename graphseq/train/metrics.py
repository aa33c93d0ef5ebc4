"""Classification metrics computed in torch (cheap enough to run every epoch).

They agree with scikit-learn's ``accuracy_score`` and ``f1_score(average="micro"|"macro")``; macro-F1
averages over the classes present in the true or the predicted labels, as scikit-learn does.
"""

from __future__ import annotations

import torch

__all__ = ["accuracy", "classification_metrics", "f1_scores", "multilabel_f1_scores"]


def accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of equal entries; ``pred`` and ``target`` are ``LongTensor [n]``."""
    if target.numel() == 0:
        return float("nan")
    return float((pred == target).float().mean())


def _f1_from_counts(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor) -> tuple[float, float]:
    """Micro and macro F1 from per-class true-positive/false-positive/false-negative counts."""
    tp, fp, fn = tp.double(), fp.double(), fn.double()
    micro_denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    micro = float(2 * tp.sum() / micro_denominator) if micro_denominator > 0 else 0.0
    present = (tp + fp + fn) > 0
    if not bool(present.any()):
        return micro, 0.0
    per_class = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return micro, float(per_class.mean())


def f1_scores(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> tuple[float, float]:
    """``(micro_f1, macro_f1)`` of single-label predictions ``pred``, ``target``: ``[n]`` class ids."""
    if target.numel() == 0:
        return float("nan"), float("nan")
    tp = torch.bincount(target[pred == target], minlength=num_classes)
    predicted = torch.bincount(pred, minlength=num_classes)
    actual = torch.bincount(target, minlength=num_classes)
    return _f1_from_counts(tp, predicted - tp, actual - tp)


def multilabel_f1_scores(pred: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """``(micro_f1, macro_f1)`` of multi-label predictions; ``pred``, ``target``: bool ``[n, L]``."""
    if target.numel() == 0:
        return float("nan"), float("nan")
    pred, target = pred.bool(), target.bool()
    tp = (pred & target).sum(0)
    return _f1_from_counts(tp, (pred & ~target).sum(0), (~pred & target).sum(0))


def classification_metrics(
    logits: torch.Tensor, target: torch.Tensor, num_classes: int, multilabel: bool = False
) -> dict[str, float]:
    """``{"loss", "acc", "micro_f1", "macro_f1"}`` of ``logits [n, C]`` against ``target``.

    Single-label (``target [n]`` class ids): cross-entropy, argmax accuracy, F1 over classes.
    Multi-label (``target [n, C]`` 0/1): binary cross-entropy on the logits, a label is predicted
    where its logit is > 0, ``acc`` is the exact-match ratio.
    """
    import torch.nn.functional as F

    if multilabel:
        loss = F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype))
        pred, truth = logits > 0, target > 0
        acc = float((pred == truth).all(1).float().mean()) if target.numel() else float("nan")
        micro, macro = multilabel_f1_scores(pred, truth)
    else:
        loss = F.cross_entropy(logits, target)
        pred = logits.argmax(1)
        acc = accuracy(pred, target)
        micro, macro = f1_scores(pred, target, num_classes)
    return {"loss": float(loss), "acc": acc, "micro_f1": micro, "macro_f1": macro}
