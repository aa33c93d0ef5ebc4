"""What the subcommands share: the one-line error they exit with."""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """A failure reported in one line (no traceback) with exit status ``code``."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
