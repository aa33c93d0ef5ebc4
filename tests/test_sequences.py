"""Palindrome generator, character vocabulary and text loading."""

import os
from pathlib import Path

import pytest
import torch

from graphseq.datasets import DatasetNotFoundError
from graphseq.sequences import CharVocabulary, load_text, palindrome_batch, palindromes


@pytest.mark.parametrize("length", [2, 5, 10, 15])
def test_palindromes_read_the_same_backwards(length):
    x = palindromes(200, length, seed=0)
    assert x.shape == (200, length) and x.dtype == torch.long
    assert torch.equal(x, x.flip(1))
    assert int(x.min()) >= 0 and int(x.max()) <= 9


def test_palindrome_digits_are_uniform_enough():
    first = palindromes(20000, 11, seed=3)[:, 0]
    counts = torch.bincount(first, minlength=10).float() / 20000
    assert float((counts - 0.1).abs().max()) < 0.01


def test_palindromes_repeat_with_seed_and_generator():
    assert torch.equal(palindromes(50, 9, seed=4), palindromes(50, 9, seed=4))
    assert not torch.equal(palindromes(50, 9, seed=4), palindromes(50, 9, seed=5))
    a = palindromes(50, 9, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, palindromes(50, 9, seed=4))


def test_palindrome_batch_targets_equal_first_digit():
    inputs, target = palindrome_batch(100, 7, seed=0)
    assert inputs.shape == (100, 6) and target.shape == (100,)
    assert torch.equal(target, inputs[:, 0])


@pytest.mark.parametrize(
    "args,message",
    [((0, 5), "num_samples must be an int >= 1"), ((10, 1), "length must be an int >= 2")],
)
def test_palindromes_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        palindromes(*args, seed=0)
    with pytest.raises(ValueError, match="either seed or generator"):
        palindromes(3, 5, seed=0, generator=torch.Generator())


def test_vocabulary_round_trip():
    text = 'Anna said that, "happy families..."\n'
    vocabulary = CharVocabulary.from_text(text)
    assert vocabulary.characters == "".join(sorted(set(text)))
    ids = vocabulary.encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert vocabulary.decode(ids) == text
    # The non-ASCII path gives the same ids.
    unicode = CharVocabulary("ab\u00e9")
    assert unicode.encode("\u00e9ab").tolist() == [2, 0, 1]


def test_vocabulary_rejects_unknown_characters_by_name():
    vocabulary = CharVocabulary("abc ")
    with pytest.raises(ValueError, match=r"prompt contains 2 character\(s\) .* 'X', 'Z'"):
        vocabulary.encode("a XZ", name="prompt")
    with pytest.raises(ValueError, match="ids must be in 0..3"):
        vocabulary.decode([0, 4])
    with pytest.raises(ValueError, match="distinct"):
        CharVocabulary("aab")


def test_load_text_from_path_and_missing(tmp_path, monkeypatch):
    path = tmp_path / "t.txt"
    path.write_text("hello", encoding="utf-8")
    assert load_text(path) == "hello"
    with pytest.raises(FileNotFoundError, match="no text file"):
        load_text(tmp_path / "missing.txt")
    monkeypatch.setenv("GRAPHSEQ_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GRAPHSEQ_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError, match="anna_karenina.txt was not found"):
        load_text()


@pytest.fixture
def real_data_dir(monkeypatch, tmp_path):
    """The shared raw data (read-only); skipped locally when missing, an error in CI."""
    root = os.environ.get("GRAPHSEQ_DATA")
    if not root or not Path(root, "text", "anna_karenina.txt").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("GRAPHSEQ_DATA must point to the shared data directory in CI.")
        pytest.skip("GRAPHSEQ_DATA with text/anna_karenina.txt is not available.")
    monkeypatch.setenv("GRAPHSEQ_CACHE", str(tmp_path / "cache"))
    return Path(root)


def test_load_anna_karenina(real_data_dir):
    text = load_text()
    # 2,025,486 bytes with Windows line ends; read as text, "\r\n" becomes "\n".
    assert len(text) == 1985223 and "\r" not in text
    assert text.startswith("Chapter 1\n\n\nHappy families are all alike")
    assert load_text(root=real_data_dir) == text
