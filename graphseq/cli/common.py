"""What the subcommands share: the one-line error they exit with, the environment a benchmark
result records."""

from __future__ import annotations

import os
import platform
import time

__all__ = ["CommandError", "run_environment"]


def run_environment() -> dict:
    """What a benchmark result records about where it ran: versions, machine, torch threads,
    the load average now (``environment``), and the date (``date``)."""
    import torch

    import graphseq

    return {
        "environment": {
            "graphseq": graphseq.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "threads": torch.get_num_threads(),
            "load_average": list(os.getloadavg()),
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


class CommandError(Exception):
    """A failure reported in one line (no traceback) with exit status ``code``."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
