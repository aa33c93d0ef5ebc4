"""Small tensor helpers shared by the layers: sparse-aware dropout and matrix product."""

from __future__ import annotations

import torch

__all__ = ["dropout", "matmul"]


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Dropout that keeps a sparse tensor sparse.

    For a sparse COO ``x`` only the stored values are dropped (and the kept ones scaled by
    ``1 / (1 - p)``), so the cost is O(nnz) instead of O(rows * cols); a dense ``x`` goes to
    ``torch.nn.functional.dropout``.
    """
    if not training or p == 0.0:
        return x
    if not x.is_sparse:
        return torch.nn.functional.dropout(x, p, training=True)
    x = x.coalesce()
    values = torch.nn.functional.dropout(x.values(), p, training=True)
    return torch.sparse_coo_tensor(
        x.indices(), values, x.shape, is_coalesced=True, check_invariants=False
    )


def matmul(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ weight`` for a dense or sparse (COO/CSR) ``x [N, F]`` and dense ``weight [F, C]``."""
    if x.layout != torch.strided:
        return torch.sparse.mm(x, weight)
    return x @ weight
