"""Sequence data from the lectures' recurrent-network experiments.

* Digit palindromes (UvA Deep Learning, assignment 2): a palindrome ``x_1 .. x_T`` of digits has
  ``x_T = x_1``, so predicting the last digit from the first ``T - 1`` needs a memory of ``T - 1``
  steps; chance is 10%.
* Character text for language models: `load_text` (Anna Karenina by default) and
  `CharVocabulary` (characters <-> ids).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch

from .datasets import DatasetNotFoundError, data_search_dirs
from .validation import check_int

__all__ = [
    "CharVocabulary",
    "DEFAULT_TEXT",
    "load_text",
    "palindrome_batch",
    "palindromes",
]

NUM_DIGITS = 10
DEFAULT_TEXT = "text/anna_karenina.txt"


def palindromes(
    num_samples: int, length: int, *, seed: int | None = None, generator=None
) -> torch.Tensor:
    """``num_samples`` random digit palindromes of ``length`` digits.

    The first ``ceil(length / 2)`` digits are uniform in 0..9, the rest mirror them. Pass
    ``seed`` or a ``torch.Generator`` (the same one gives the same palindromes).

    Returns:
        ``LongTensor [num_samples, length]`` with ``x[:, t] == x[:, length - 1 - t]``.
    """
    check_int("num_samples", num_samples)
    check_int(
        "length", length, minimum=2, hint="a palindrome of one digit has nothing to predict from"
    )
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else int(seed))
    elif seed is not None:
        raise ValueError("pass either seed or generator, not both.")
    half = torch.randint(
        0, NUM_DIGITS, (num_samples, (length + 1) // 2), generator=generator, dtype=torch.long
    )
    return torch.cat([half, half[:, : length // 2].flip(1)], dim=1)


def palindrome_batch(
    num_samples: int, length: int, *, seed: int | None = None, generator=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The lectures' palindrome task: inputs are the first ``length - 1`` digits, the target is
    the last digit (which equals the first).

    Returns:
        ``(digits LongTensor [num_samples, length - 1], target LongTensor [num_samples])``.
    """
    sequences = palindromes(num_samples, length, seed=seed, generator=generator)
    return sequences[:, :-1], sequences[:, -1]


# ---------------------------------------------------------------------------------- text
def load_text(path: str | os.PathLike | None = None, root: str | os.PathLike | None = None) -> str:
    """Read a plain-text corpus.

    Args:
        path: a text file; when None, ``text/anna_karenina.txt`` is looked for in the data
            directories (``root``, then ``$GRAPHSEQ_DATA``, then the user cache).
        root: a data directory to search first.
    """
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no text file at {path}.")
        candidates = [path]
    else:
        candidates = [directory / DEFAULT_TEXT for _, directory in data_search_dirs(root)]
    for candidate in candidates:
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
            if not text:
                raise ValueError(f"{candidate} is empty.")
            return text
    searched = "\n  ".join(str(c) for c in candidates)
    raise DatasetNotFoundError(
        f"{DEFAULT_TEXT} was not found; searched:\n  {searched}\nSet GRAPHSEQ_DATA to the "
        "directory holding text/anna_karenina.txt or pass path=... ."
    )


class CharVocabulary:
    """A fixed character set; encodes text to ids ``0..len(self)-1`` and back.

    Args:
        characters: the characters, in id order (duplicates are an error); build one from a
            corpus with `from_text` (sorted distinct characters).
    """

    def __init__(self, characters: Iterable[str]):
        characters = list(characters)
        if not characters:
            raise ValueError("a vocabulary needs at least one character.")
        if any(not isinstance(c, str) or len(c) != 1 for c in characters):
            raise ValueError("characters must be single-character strings.")
        if len(set(characters)) != len(characters):
            raise ValueError("characters must be distinct.")
        self.characters = "".join(characters)
        self._index = {c: i for i, c in enumerate(characters)}
        # Byte-to-id lookup table for fast encoding of (mostly ASCII) text.
        self._table = None
        if all(ord(c) < 256 for c in characters):
            table = torch.full((256,), -1, dtype=torch.long)
            for i, c in enumerate(characters):
                table[ord(c)] = i
            self._table = table

    @classmethod
    def from_text(cls, text: str) -> CharVocabulary:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.characters)

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocabulary) and other.characters == self.characters

    def __repr__(self) -> str:
        return f"CharVocabulary({len(self)} characters)"

    def unknown(self, text: str) -> list[str]:
        """The distinct characters of ``text`` that are not in the vocabulary, in order."""
        return sorted(set(text) - self._index.keys())

    def encode(self, text: str, *, name: str = "text") -> torch.Tensor:
        """``LongTensor [len(text)]`` of ids; unknown characters are an error naming them."""
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str, got {type(text).__name__}.")
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:10])
            more = f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""
            raise ValueError(
                f"{name} contains {len(missing)} character(s) the model does not know: "
                f"{shown}{more}; use only characters of its vocabulary "
                f"({len(self)} characters: {self.characters!r})."
            )
        if self._table is not None and text.isascii():
            raw = torch.frombuffer(bytearray(text.encode("ascii")), dtype=torch.uint8)
            return self._table[raw.long()]
        return torch.tensor([self._index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        """The text of a 1-D sequence of ids."""
        ids = torch.as_tensor(ids).reshape(-1).tolist()
        if ids and (min(ids) < 0 or max(ids) >= len(self)):
            raise ValueError(f"ids must be in 0..{len(self) - 1}, got {min(ids)}..{max(ids)}.")
        return "".join(self.characters[i] for i in ids)
