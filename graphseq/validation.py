"""Argument checks shared by every public function: one wording for one mistake.

Public functions validate their input at the boundary and raise an error that names the
argument, says what was wrong and how to fix it; internals then trust their callers. Each check
returns the value normalised (``int``, ``float``, a ``LongTensor`` of ids), so a caller writes
``walk_length = check_int("walk_length", walk_length)`` and moves on.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import torch

__all__ = [
    "check_channels",
    "check_choice",
    "check_edge_index",
    "check_features",
    "check_fraction",
    "check_int",
    "check_labels",
    "check_node_index",
    "check_number",
    "check_probability",
]


def check_int(name: str, value, minimum: int | None = 1, hint: str = "") -> int:
    """``value`` as an ``int`` (NumPy integers accepted, ``bool`` refused) that is ``>= minimum``;
    ``hint`` (e.g. "the paper uses fanouts=[25, 10]") ends the error message."""
    suffix = f"; {hint}" if hint else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        bound = "" if minimum is None else f" >= {minimum}"
        raise TypeError(
            f"{name} must be an int{bound}, got {type(value).__name__} {value!r}{suffix}."
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}{suffix}.")
    return value


def check_channels(name: str, value) -> int:
    """A layer width: an ``int >= 1``, or ``-1`` for lazy initialization from the first input."""
    if value == -1 and not isinstance(value, bool):
        return -1
    return check_int(name, value, hint="or -1 to take it from the first input")


def check_number(
    name: str, value, *, minimum: float | None = None, positive: bool = False, hint: str = ""
) -> float:
    """``value`` as a finite ``float``; ``positive`` requires ``> 0``, ``minimum`` ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    value = float(value)
    suffix = f"; {hint}" if hint else ""
    bound = " > 0" if positive else f" >= {minimum}" if minimum is not None else ""
    if (
        not math.isfinite(value)
        or (positive and value <= 0)
        or (minimum is not None and value < minimum)
    ):
        raise ValueError(f"{name} must be a finite number{bound}, got {value}{suffix}.")
    return value


def check_probability(name: str, value) -> float:
    """A probability in ``[0, 1)`` (dropout: 1 would drop everything)."""
    value = check_number(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}.")
    return value


def check_fraction(name: str, value) -> float:
    """A fraction in the open interval ``(0, 1)`` (a split size)."""
    value = check_number(name, value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value}.")
    return value


def check_choice(name: str, value, choices: Iterable):
    """``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def check_edge_index(
    edge_index, num_nodes: int | None = None, edge_weight=None, *, name: str = "edge_index"
) -> tuple[torch.Tensor, int, torch.Tensor | None]:
    """Check a PyG ``edge_index`` (and optional ``edge_weight``) and return them normalised.

    Returns ``(edge_index [2, E] long, num_nodes, edge_weight [E] floating or None)``; a
    floating ``edge_weight`` keeps its dtype (float64 stays float64), an integer one becomes
    float32.
    """
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape [2, num_edges], got {type(edge_index).__name__}; "
            "convert it with torch.as_tensor(..., dtype=torch.long)."
        )
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        hint = (
            " (it looks transposed: use edge_index.t())"
            if edge_index.dim() == 2 and edge_index.size(1) == 2
            else ""
        )
        raise ValueError(
            f"{name} must have shape [2, num_edges], got {list(edge_index.shape)}{hint}."
        )
    if (
        edge_index.dtype.is_floating_point
        or edge_index.dtype == torch.bool
        or edge_index.is_complex()
    ):
        raise TypeError(
            f"{name} must hold integer node ids, got dtype {edge_index.dtype}; "
            "convert it with edge_index.long()."
        )
    edge_index = edge_index.long()
    num_edges = edge_index.size(1)
    if num_edges > 0:
        low = int(edge_index.min())
        if low < 0:
            raise ValueError(
                f"{name} contains negative node id {low}; node ids must be 0 .. num_nodes - 1."
            )
        high = int(edge_index.max())
    else:
        high = -1
    if num_nodes is None:
        num_nodes = high + 1
    else:
        num_nodes = check_int("num_nodes", num_nodes, minimum=0)
        if high >= num_nodes:
            raise ValueError(
                f"{name} refers to node {high}, but num_nodes is {num_nodes}: node ids must be "
                f"0 .. num_nodes - 1. Pass num_nodes >= {high + 1} or remove the out-of-range edges."
            )
    if edge_weight is not None:
        edge_weight = torch.as_tensor(edge_weight)
        if edge_weight.dim() != 1 or edge_weight.numel() != num_edges:
            raise ValueError(
                f"edge_weight must have shape [num_edges] = [{num_edges}], got {list(edge_weight.shape)}."
            )
        if not edge_weight.is_floating_point():
            edge_weight = edge_weight.float()
        if not bool(torch.isfinite(edge_weight).all()):
            bad = int((~torch.isfinite(edge_weight)).sum())
            raise ValueError(
                f"edge_weight contains {bad} NaN or infinite value(s); every weight must be finite. "
                "Drop or replace them (e.g. torch.nan_to_num) before building the graph."
            )
        if bool((edge_weight < 0).any()):
            raise ValueError(
                "edge_weight contains negative values; walks and normalisation need weights >= 0."
            )
    return edge_index, num_nodes, edge_weight


def check_features(x, num_nodes: int | None = None, name: str = "data.x", channels=None) -> None:
    """Node features: a 2-D floating tensor (dense or sparse), ``num_nodes`` rows when given,
    ``channels`` columns when given, no NaN or infinite value."""
    if x is None:
        return
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor [num_nodes, F], got {type(x).__name__}.")
    if x.dim() != 2 or (num_nodes is not None and x.size(0) != num_nodes):
        rows = "num_nodes" if num_nodes is None else f"num_nodes={num_nodes}"
        raise ValueError(f"{name} must have shape [{rows}, F], got {list(x.shape)}.")
    if channels is not None and x.size(1) != channels:
        raise ValueError(
            f"{name} has {x.size(1)} features per node but the model was built for {channels}; "
            f"build it with in_channels={x.size(1)}."
        )
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must hold floating-point features, got {x.dtype}; convert it with "
            f"{name}.float()."
        )
    values = (
        x.values() if x.layout == torch.sparse_csr else x.coalesce().values() if x.is_sparse else x
    )
    if not bool(torch.isfinite(values).all()):
        raise ValueError(
            f"{name} contains NaN or infinite values; clean the features (e.g. torch.nan_to_num) "
            "before training."
        )


def check_labels(y, num_nodes: int, name: str = "data.y") -> bool:
    """Node labels: ``[N]`` class ids or ``[N, L]`` 0/1 multi-hot. Returns whether multi-label."""
    if y is None:
        raise ValueError(f"{name} is missing: this task needs labels.")
    if not isinstance(y, torch.Tensor) or y.dim() not in (1, 2) or y.size(0) != num_nodes:
        shape = list(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(
            f"{name} must be [num_nodes={num_nodes}] class ids or [num_nodes, num_labels] "
            f"multi-hot, got {shape}."
        )
    if y.dim() == 1:
        if y.is_floating_point() and not bool((y == y.round()).all()):
            raise ValueError(f"{name} must hold integer class ids, got non-integer values.")
        if y.numel() and int(y.min()) < 0:
            raise ValueError(f"{name} holds a negative class id ({int(y.min())}).")
        return False
    return True


def check_node_index(
    nodes, num_nodes: int, name: str = "nodes", kind: str = "node"
) -> torch.Tensor:
    """Ids (a list, ``LongTensor [k]`` or a bool mask ``[num_nodes]``) as a ``LongTensor``;
    ``kind`` names what they index (``"node"``, ``"graph"``) in the error message."""
    nodes = torch.as_tensor(nodes)
    if nodes.dtype == torch.bool:
        if nodes.shape != (num_nodes,):
            raise ValueError(
                f"a boolean {name} mask must have shape [num_nodes={num_nodes}], got "
                f"{list(nodes.shape)}."
            )
        return nodes.nonzero().flatten()
    if nodes.numel() == 0:
        return nodes.long().flatten()
    if nodes.dtype.is_floating_point or nodes.is_complex() or nodes.dim() > 1:
        raise TypeError(
            f"{name} must hold integer {kind} ids (a 1-D tensor, or a bool mask), got "
            f"{nodes.dtype} {list(nodes.shape)}; pass e.g. torch.tensor([0, 5, 7])."
        )
    nodes = nodes.long().flatten()
    low, high = int(nodes.min()), int(nodes.max())
    if low < 0 or high >= num_nodes:
        bad = low if low < 0 else high
        raise ValueError(
            f"{name} contains {kind} {bad}, out of range for {num_nodes} {kind}s (valid ids are "
            f"0 .. {num_nodes - 1})."
        )
    return nodes
