"""Several processes, one job: the launch environment, the process group, and the few collective
operations graphseq needs (the `Trainer`, `cross_validate` and `graphseq.walk_shards` use them).

graphseq runs on plain ``torch.distributed``: every process (a *rank*) holds the whole graph (in
memory or memory-mapped) and does its share of the work; ranks talk through a process group,
``gloo`` on CPU and ``nccl`` on CUDA. Launch the same script once per rank with ``torchrun``::

    torchrun --standalone --nproc-per-node 2 train.py            # one machine, 2 ranks
    torchrun --nnodes 2 --nproc-per-node 2 --rdzv-backend c10d \\
        --rdzv-endpoint HOST:29400 train.py                       # the same on each of 2 machines

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
`launched_by_torchrun` sees them and `init_distributed` joins the group (the `Trainer` does this
itself, so a script needs no distributed code at all).

Faults: `init_distributed` sets an explicit ``timeout`` (`DEFAULT_TIMEOUT`) for every collective.
A rank that dies closes its sockets, and the other ranks' next collective fails at once; a rank
that hangs is noticed after the timeout. Either way graphseq raises `DistributedError`, which
says what to do next (restart with the same number of ranks and resume from the checkpoint).
Under ``torchrun`` the launcher also stops the remaining ranks as soon as one exits with an error.

Rule for files and output: only the main process (rank 0) writes checkpoints, results and logs
(`is_main_process`, `main_process_only`); every rank computes.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import os
from collections.abc import Callable, Iterator

import torch

__all__ = [
    "DEFAULT_TIMEOUT",
    "DistributedError",
    "TORCHRUN_VARIABLES",
    "all_gather_objects",
    "all_reduce_sums",
    "barrier",
    "broadcast_object",
    "communication_errors",
    "get_rank",
    "get_world_size",
    "init_distributed",
    "is_initialized",
    "is_main_process",
    "launched_by_torchrun",
    "local_rank",
    "main_process_only",
    "rank_device",
    "shutdown",
    "single_process",
    "wants_distributed",
    "weighted_mean",
]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
"""How long a collective waits for the other ranks before it fails (torch's own default for
gloo, set explicitly). A dead rank is noticed at once, since its sockets close; the timeout only
bounds the wait for a rank that hangs, so it must exceed the longest time one rank can work alone
while the others wait: rank 0's evaluation and checkpoint write in training, the most uneven
share of folds in `cross_validate`. Pass ``timeout=`` to `init_distributed` to change it."""

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
"""The environment variables ``torchrun`` sets for every rank (``LOCAL_RANK`` too)."""


class DistributedError(RuntimeError):
    """A collective operation failed: another rank died, hung past the timeout, or the network
    between ranks broke."""


def launched_by_torchrun() -> bool:
    """Whether this process was started by ``torchrun`` (or anything that sets the same
    `TORCHRUN_VARIABLES`)."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


_SINGLE_PROCESS = contextvars.ContextVar("graphseq_single_process", default=False)


@contextlib.contextmanager
def single_process() -> Iterator[None]:
    """Within this block a new `graphseq.train.Trainer` (and `cross_validate`) trains in this
    one process even when it is one rank of several: e.g. a model every rank trains on its own,
    or the folds `cross_validate` hands out (it uses this for each fold)."""
    token = _SINGLE_PROCESS.set(True)
    try:
        yield
    finally:
        _SINGLE_PROCESS.reset(token)


def wants_distributed() -> bool:
    """Whether a `Trainer` made now trains distributed: this process is one of several (a
    process group is initialized, or ``torchrun`` started it) and no `single_process` block is
    open. To insist on a process group, call `init_distributed` first: it fails clearly when
    the script was not launched by ``torchrun``."""
    return not _SINGLE_PROCESS.get() and (is_initialized() or launched_by_torchrun())


def is_initialized() -> bool:
    """Whether a default process group exists (this process is one rank of several)."""
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    """This process's rank (0 when not distributed)."""
    import torch.distributed as dist

    return dist.get_rank() if is_initialized() else 0


def get_world_size() -> int:
    """The number of ranks (1 when not distributed)."""
    import torch.distributed as dist

    return dist.get_world_size() if is_initialized() else 1


def local_rank() -> int:
    """This process's rank on its machine (``LOCAL_RANK``; 0 when not set)."""
    return int(os.environ.get("LOCAL_RANK", 0))


def is_main_process() -> bool:
    """True on rank 0, and in a process that is not distributed: the one that writes."""
    return get_rank() == 0


def main_process_only(function: Callable) -> Callable:
    """Decorate ``function`` (a `Trainer` callback, a logger) to run on rank 0 only; the other
    ranks return None."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if is_main_process():
            return function(*args, **kwargs)
        return None

    return wrapper


def rank_device(device: str | torch.device | None = "cpu") -> torch.device:
    """The device this rank computes on: CPU stays CPU; ``"cuda"`` (or ``"auto"`` with CUDA
    present) becomes ``cuda:LOCAL_RANK``, one GPU per rank on each machine."""
    if device is None or device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank())
    return device


def init_distributed(
    device: str | torch.device | None = "cpu",
    *,
    backend: str | None = None,
    timeout: datetime.timedelta | float = DEFAULT_TIMEOUT,
) -> torch.device:
    """Join the process group ``torchrun`` set up (once; later calls only return the device).

    Args:
        device: where this rank computes (see `rank_device`); it picks the backend.
        backend: ``"gloo"`` (CPU) or ``"nccl"`` (CUDA); default by ``device``.
        timeout: seconds or a ``timedelta``; see `DEFAULT_TIMEOUT`.

    Returns:
        This rank's device.

    Raises:
        RuntimeError: not launched by ``torchrun`` (the variables it sets are missing).
    """
    import torch.distributed as dist

    device = rank_device(device)
    if is_initialized():
        return device
    if not launched_by_torchrun():
        missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
        raise RuntimeError(
            f"distributed training needs the variables torchrun sets ({', '.join(missing)} "
            "missing): launch the script with `torchrun --nproc-per-node K script.py`, or train in "
            "this one process without calling init_distributed."
        )
    if not isinstance(timeout, datetime.timedelta):
        timeout = datetime.timedelta(seconds=float(timeout))
    if backend is None:
        backend = "nccl" if device.type == "cuda" else "gloo"
    options = {}
    if device.type == "cuda":
        torch.cuda.set_device(device)
        # NCCL errors and timeouts abort the communicator instead of leaving a rank hanging.
        os.environ.setdefault("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1")
        options["device_id"] = device
    dist.init_process_group(backend, timeout=timeout, **options)
    return device


def shutdown() -> None:
    """Leave the process group (at the end of a script; a no-op when there is none)."""
    import gc

    import torch.distributed as dist

    if is_initialized():
        gc.collect()  # DDP objects left in reference cycles must go before their group
        dist.destroy_process_group()


def communication_errors(error: BaseException) -> bool:
    """Whether ``error`` came from the communication between ranks (a closed connection, a
    timeout) rather than from the computation itself."""
    import torch.distributed as dist

    if isinstance(error, DistributedError | getattr(dist, "DistError", DistributedError)):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and any(
        marker in text
        for marker in ("gloo", "NCCL", "Connection reset", "Connection closed", "timed out")
    )


def _collective(what: str):
    """Run a collective; turn a communication failure into a `DistributedError`."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except RuntimeError as error:
                if isinstance(error, DistributedError) or not communication_errors(error):
                    raise
                raise DistributedError(
                    f"rank {get_rank()} of {get_world_size()}: {what} failed because another "
                    f"rank stopped answering ({error})"
                ) from error

        return wrapper

    return decorate


def _device_of_backend() -> torch.device:
    """Where tensors for the default group's collectives must live (nccl: this GPU)."""
    import torch.distributed as dist

    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


@_collective("an all-reduce")
def all_reduce_sums(values) -> torch.Tensor:
    """The element-wise sum of ``values`` (numbers or a tensor) over all ranks, as float64 on
    the CPU; ``values`` itself when not distributed."""
    import torch.distributed as dist

    values = torch.as_tensor(values, dtype=torch.float64).detach()
    if not is_initialized():
        return values.cpu()
    reduced = values.to(_device_of_backend()).clone()
    dist.all_reduce(reduced, op=dist.ReduceOp.SUM)
    return reduced.cpu()


def weighted_mean(total: float, count: float) -> float:
    """The mean over all ranks' items, ``sum(total) / sum(count)``: each rank gives the sum of
    its values (e.g. a loss times its batch size) and how many items they cover, so ranks with
    more items weigh more (not a mean of the ranks' means). NaN when no rank has an item."""
    total, count = all_reduce_sums([float(total), float(count)]).tolist()
    return total / count if count else float("nan")


@_collective("a broadcast")
def broadcast_object(obj, src: int = 0):
    """Rank ``src``'s ``obj`` (any picklable object) on every rank; ``obj`` when not
    distributed. The other ranks' ``obj`` is ignored (pass None)."""
    import torch.distributed as dist

    if not is_initialized():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src, device=_device_of_backend())
    return box[0]


@_collective("an all-gather")
def all_gather_objects(obj) -> list:
    """Every rank's ``obj``, in rank order, on every rank (``[obj]`` when not distributed)."""
    import torch.distributed as dist

    if not is_initialized():
        return [obj]
    gathered = [None] * get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


@_collective("a barrier")
def barrier() -> None:
    """Wait until every rank gets here (a no-op when not distributed)."""
    import torch.distributed as dist

    if is_initialized():
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()
