"""Tensors kept in ``.npy`` files and reopened memory-mapped: the storage of out-of-core graphs.

`save_tensor` writes a tensor as a standard NumPy ``.npy`` file (readable by any NumPy);
`load_tensor` reopens it. Memory-mapped (the default), nothing is read until an element is
used: the operating system pages the file in on demand and may drop those pages again under
memory pressure, so a graph or a feature matrix larger than the free memory still works (at
disk speed where it does not fit). The map is copy-on-write (NumPy's ``mmap_mode="c"``): a
tensor written to in place changes only this process's copy, never the file.

Use them for node features too: ``save_tensor("x.npy", x)`` once, then ``x =
load_tensor("x.npy")`` gives a ``[N, F]`` tensor whose rows `graphseq.sampling.gather_rows`
reads for each mini-batch without the whole matrix in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

__all__ = ["load_tensor", "save_tensor"]


def save_tensor(path, tensor: torch.Tensor) -> Path:
    """Write a dense CPU ``tensor`` (any shape) to ``path`` as a ``.npy`` file; returns the path."""
    path = Path(path)
    np.save(path, tensor.detach().cpu().numpy(), allow_pickle=False)
    return path


def load_tensor(path, mmap: bool = True) -> torch.Tensor:
    """The tensor stored at ``path`` (a ``.npy`` file): memory-mapped (copy-on-write, nothing
    read yet) when ``mmap``, else read into memory."""
    array = np.load(Path(path), mmap_mode="c" if mmap else None, allow_pickle=False)
    return torch.from_numpy(array)
