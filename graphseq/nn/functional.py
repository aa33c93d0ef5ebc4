"""Tensor helpers shared by the layers: fast dropout and sparse-dense products.

Why not plain autograd: on CPU, PyTorch's backward of ``sparse @ dense`` transposes the sparse
matrix (a sort of all its entries) on every call, and COO products are an order of magnitude
slower than CSR ones. `SparseDenseProduct` computes ``A @ B`` with a CSR ``A`` and
back-propagates with a cached transpose (or a gather + index_add when no transpose is given).
Sparse matrices are treated as constants: no gradient flows into their values.
"""

from __future__ import annotations

import torch

__all__ = ["dropout", "matmul", "sparse_dense_product", "transpose_csr"]


def _keep_mask(like: torch.Tensor, p: float) -> torch.Tensor:
    # torch.rand + compare is about 3x faster on CPU than bernoulli_, which F.dropout uses;
    # comparing in place keeps one float tensor (no bool copy, no second float copy).
    return torch.rand_like(like).ge_(p).mul_(1.0 / (1.0 - p))


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Inverted dropout that keeps a sparse tensor sparse.

    For sparse COO or CSR ``x`` only the stored values are dropped (kept ones scaled by
    ``1 / (1 - p)``), so the cost is O(nnz), not O(rows * cols), and the sparsity pattern (the
    index tensors) is shared with ``x``.
    """
    if not training or p == 0.0:
        return x
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}.")
    if x.layout == torch.sparse_csr:
        values = x.values()
        # the indices are x's own, already valid: skip the invariant check (and its warning)
        return torch.sparse_csr_tensor(
            x.crow_indices(), x.col_indices(), values * _keep_mask(values, p), x.shape,
            check_invariants=False,
        )  # fmt: skip
    if x.is_sparse:
        x = x.coalesce()
        values = x.values()
        return torch.sparse_coo_tensor(
            x.indices(), values * _keep_mask(values, p), x.shape, is_coalesced=True,
            check_invariants=False,
        )  # fmt: skip
    if not x.requires_grad:
        # Input features: the mask's own buffer becomes the result (one tensor the size of x,
        # not two: the peak of a large full-graph epoch), with the same numbers.
        return _keep_mask(x, p).mul_(x)
    return x * _keep_mask(x, p)


def transpose_csr(matrix: torch.Tensor) -> torch.Tensor:
    """The transpose of a CSR matrix, as CSR (one sort of its entries); ``matrix`` itself when
    it is symmetric (e.g. an undirected graph's propagation matrix), so that a layer caching
    both holds one copy."""
    transpose = matrix.t().to_sparse_csr()
    if matrix.size(0) == matrix.size(1) and _same_entries(matrix, transpose):
        return matrix
    return transpose


def _same_entries(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two CSR matrices of one shape store exactly the same entries."""
    return (
        torch.equal(a.crow_indices(), b.crow_indices())
        and torch.equal(a.col_indices(), b.col_indices())
        and torch.equal(a.values(), b.values())
    )


class SparseDenseProduct(torch.autograd.Function):
    """``matrix @ dense`` for a constant CSR ``matrix [N, M]`` and ``dense [M, C]`` -> ``[N, C]``.

    ``matrix_t`` is ``matrix``'s transpose as CSR, or None; the backward pass then computes
    ``matrix^T @ grad`` by gathering rows of ``grad`` and adding them into the columns (no sort).
    """

    @staticmethod
    def forward(ctx, matrix, matrix_t, dense):
        ctx.save_for_backward(matrix, matrix_t) if matrix_t is not None else ctx.save_for_backward(
            matrix
        )
        ctx.has_transpose = matrix_t is not None
        return matrix @ dense

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[2]:
            return None, None, None
        if ctx.has_transpose:
            _, matrix_t = ctx.saved_tensors
            return None, None, matrix_t @ grad
        (matrix,) = ctx.saved_tensors
        rows = torch.repeat_interleave(
            torch.arange(matrix.size(0), device=grad.device), matrix.crow_indices().diff()
        )
        contributions = grad.index_select(0, rows) * matrix.values().unsqueeze(1)
        out = torch.zeros(matrix.size(1), grad.size(1), dtype=grad.dtype, device=grad.device)
        return None, None, out.index_add_(0, matrix.col_indices(), contributions)


def _check_dtype(dense: torch.Tensor) -> None:
    """torch's CPU sparse-CSR kernels exist for float32 and float64 only: say so clearly."""
    if dense.device.type == "cpu" and dense.dtype not in (torch.float32, torch.float64):
        raise TypeError(
            f"graphseq's sparse graph products need float32 or float64 on the CPU, got "
            f"{dense.dtype} (torch has no {str(dense.dtype).removeprefix('torch.')} sparse CSR "
            "kernel there); run the model in float32 (model.float()) or float64."
        )


def sparse_dense_product(
    matrix: torch.Tensor, dense: torch.Tensor, matrix_t: torch.Tensor | None = None
) -> torch.Tensor:
    """``matrix @ dense`` with a fast backward; see `SparseDenseProduct`."""
    _check_dtype(dense)
    if matrix.layout != torch.sparse_csr:
        matrix = matrix.coalesce().to_sparse_csr() if matrix.is_sparse else matrix.to_sparse_csr()
    if not dense.requires_grad:
        return matrix @ dense
    return SparseDenseProduct.apply(matrix, matrix_t, dense)


def matmul(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ weight`` for a dense or sparse (COO/CSR) ``x [N, F]`` and dense ``weight [F, C]``."""
    if x.layout != torch.strided:
        return sparse_dense_product(x, weight)
    return x @ weight
