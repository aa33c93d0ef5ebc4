"""How a distributed epoch is cut into the ranks' shares (data parallelism).

Every rank holds the same Trainer generator, seeded alike, and draws from it the same epoch
permutation of the training items (nodes, graphs, positive pairs) and the same epoch seed. The
permutation is cut into steps of ``world_size * batch_size`` items; in step ``s`` rank ``r``
trains on items ``r * batch_size .. (r + 1) * batch_size`` of that step, so the ranks' shares are
disjoint and together they cover the epoch, as one process's epoch does. ``batch_size`` is per
rank: a step of K ranks trains on K batches at once.

The last step is shorter: its items are split as evenly as the ranks allow (`torch.tensor_split`);
when fewer items than ranks remain, they sit this epoch out (every rank must take part in every
step; a new permutation gives them a place in the next).

Randomness inside a batch (sampled neighbours, walks) comes from the share's own generator,
seeded from ``(epoch seed, step, rank)``: no rank needs another's draws, and one process can
reproduce any rank's batches (`step_batches` does, for all ranks of a step).

Gradients: DistributedDataParallel averages the ranks' gradients, ``(1/K) sum_r g_r``. A rank
whose loss is the mean over its ``n_r`` items then weighs as ``1/K`` whatever ``n_r``; multiplied
by `BatchShare.weight` ``= K * n_r / n`` (``n`` the step's items), the average is the gradient of
the mean loss over all ``n`` items of the step: what one process computes on their union. In the
full steps every ``n_r`` is ``batch_size`` and the weight is exactly 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["BatchShare", "epoch_shares", "step_batches"]


@dataclass(frozen=True)
class BatchShare:
    """One rank's share of one distributed training step.

    Attributes:
        items: ``LongTensor [n_r]`` (CPU): the training items (node ids, graph ids, pair
            positions) of this rank in this step.
        step: the step's number in the epoch.
        rank: the rank it belongs to.
        world_size: ``K``.
        step_size: ``n``, the items of the step over all ranks.
        seed: seeds `generator`, from ``(epoch seed, step, rank)``.
    """

    items: torch.Tensor
    step: int
    rank: int
    world_size: int
    step_size: int
    seed: int

    @property
    def size(self) -> int:
        """``n_r``."""
        return self.items.numel()

    @property
    def weight(self) -> float:
        """``K * n_r / n``: the loss factor that makes DDP's average of the ranks' gradients the
        gradient of the mean over the step's items (see the module docstring)."""
        return self.world_size * self.size / self.step_size

    @property
    def generator(self) -> torch.Generator:
        """A new CPU generator seeded with `seed`, for the randomness of this batch."""
        return torch.Generator().manual_seed(self.seed)


def _share_seed(epoch_seed: int, step: int, rank: int) -> int:
    state = np.random.SeedSequence([epoch_seed, step, rank]).generate_state(1, np.uint64)
    return int(state[0]) & (2**63 - 1)


def epoch_shares(
    items: torch.Tensor | int,
    batch_size: int,
    generator: torch.Generator,
    rank: int,
    world_size: int,
    *,
    shuffle: bool = True,
) -> Iterator[BatchShare]:
    """Rank ``rank``'s `BatchShare` of every step of one epoch (see the module docstring).

    Args:
        items: the epoch's training items, or their number ``n`` (items ``0 .. n-1``).
        batch_size: items per rank and step.
        generator: the Trainer's generator (the same state on every rank); this draws the
            permutation (when ``shuffle``) and then one epoch seed from it, on every rank alike.
        rank, world_size: this rank and the number of ranks.
        shuffle: permute the items (False: they are already in a random order).

    The draws happen when the iteration starts, so every rank's generator moves on alike.
    """
    items = torch.arange(items) if isinstance(items, int) else items.cpu()
    if shuffle:
        items = items[torch.randperm(items.numel(), generator=generator)]
    epoch_seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    per_step = batch_size * world_size
    full, rest = divmod(items.numel(), per_step)
    steps = full + (1 if rest >= world_size else 0)
    for step in range(steps):
        chunk = items[step * per_step : (step + 1) * per_step]
        if chunk.numel() == per_step:
            part = chunk[rank * batch_size : (rank + 1) * batch_size]
        else:
            part = torch.tensor_split(chunk, world_size)[rank]
        yield BatchShare(
            part, step, rank, world_size, chunk.numel(), _share_seed(epoch_seed, step, rank)
        )


def step_batches(task, generator: torch.Generator, world_size: int) -> list[list[tuple]]:
    """All ranks' batches of one distributed epoch, computed in this one process.

    Returns one list per step, holding every rank's ``(batch, share)`` in rank order: what
    ``world_size`` ranks running ``task.rank_batches`` train on together. ``generator`` ends
    where each rank's generator ends. Training one process on each step's batches with the loss
    ``sum_r share.weight * loss_r / world_size`` reproduces a distributed run (the tests check
    this); it materializes a whole epoch, so keep it to small data.
    """
    start = generator.get_state()
    per_rank = []
    for rank in range(world_size):
        generator.set_state(start)
        per_rank.append(list(task.rank_batches(generator, rank, world_size)))
    return [list(step) for step in zip(*per_rank, strict=True)]
