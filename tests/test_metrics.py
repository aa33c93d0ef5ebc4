import torch
from sklearn.metrics import f1_score

from graphseq.train import f1_scores, multilabel_f1_scores


def test_f1_matches_sklearn():
    generator = torch.Generator().manual_seed(0)
    target = torch.randint(0, 6, (300,), generator=generator)
    pred = torch.where(
        torch.rand(300, generator=generator) < 0.6,
        target,
        torch.randint(0, 7, (300,), generator=generator),
    )
    micro, macro = f1_scores(pred, target, 7)
    assert abs(micro - f1_score(target, pred, average="micro")) < 1e-9
    assert abs(macro - f1_score(target, pred, average="macro")) < 1e-9


def test_multilabel_f1_matches_sklearn():
    generator = torch.Generator().manual_seed(1)
    target = torch.rand(200, 9, generator=generator) < 0.3
    pred = torch.rand(200, 9, generator=generator) < 0.3
    target[:, 8] = False
    pred[:, 8] = False  # a label nobody has or predicts
    micro, macro = multilabel_f1_scores(pred, target)
    assert abs(micro - f1_score(target, pred, average="micro")) < 1e-9
    assert (
        abs(macro - f1_score(target, pred, average="macro", zero_division=0, labels=range(8)))
        < 1e-9
    )
