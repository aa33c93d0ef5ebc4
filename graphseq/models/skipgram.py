"""Skip-gram over random walks with gensim's ``Word2Vec``: walks in, one vector per node out.

Node ``i`` is the word ``"i"``. Two ways to hand the walks to gensim:

* **in memory** (small walk sets): a list of token lists. gensim then reads the corpus in one
  Python thread, which caps how much extra workers help;
* **corpus file** (large walk sets): the walks are written once to a temporary text file, one
  walk per line, and gensim's ``corpus_file`` mode lets every worker read its own byte range
  of the file without the GIL, so training scales with ``workers``.

The file is written without a Python loop per walk: every node id's text is looked up in a
byte table, separators are placed with array operations, and one boolean mask squeezes out the
padding. The vocabulary is counted with ``bincount`` and given to gensim directly
(``build_vocab_from_freq``), so the file is read only for training.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from ..progress import progress_bar

__all__ = ["SkipGramSettings", "build_vocabulary", "train_skipgram", "write_walk_corpus"]

# Token slots per block when writing the corpus file (bounds the temporary byte arrays).
_TOKENS_PER_BLOCK = 1 << 22
# Above this many tokens, "auto" feeds gensim from a corpus file.
CORPUS_FILE_MIN_TOKENS = 1_000_000


@dataclass(frozen=True)
class SkipGramSettings:
    """gensim ``Word2Vec`` settings (skip-gram is always on: ``sg=1``)."""

    dimensions: int = 128
    window_size: int = 10
    hs: bool = True
    negative: int = 0
    sample: float = 0.0
    alpha: float = 0.025
    min_alpha: float = 0.0001
    epochs: int = 1
    workers: int = 1
    seed: int = 0

    def gensim_model(self):
        """An untrained gensim ``Word2Vec`` with these settings (skip-gram, every word kept:
        ``min_count=1``); give it its vocabulary with `build_vocabulary`."""
        from gensim.models import Word2Vec

        return Word2Vec(
            vector_size=self.dimensions,
            window=self.window_size,
            min_count=1,
            sg=1,
            hs=int(self.hs),
            negative=self.negative,
            sample=self.sample,
            alpha=self.alpha,
            min_alpha=self.min_alpha,
            workers=self.workers,
            epochs=self.epochs,
            seed=self.seed,
        )


def _token_tables(num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Each node id's text followed by a space / by a newline, as zero-padded 8-byte words.

    ``uint64 [num_nodes + 1, k]`` tables (``k = 1`` for ids of up to 7 digits): one token is
    one 8-byte word, so turning walks into text is one integer gather. The extra last row is
    all zeros: it stands for ``-1`` padding, which writes nothing.
    """
    ids = np.arange(num_nodes).astype("S")  # vectorized int -> bytes, NUL-padded
    width = ids.dtype.itemsize
    words = -(-(width + 1) // 8)
    lengths = np.char.str_len(ids)
    text = np.zeros((num_nodes + 1, 8 * words), dtype=np.uint8)
    text[:num_nodes, :width] = np.frombuffer(ids.tobytes(), np.uint8).reshape(num_nodes, width)
    rows = np.arange(num_nodes)
    tables = []
    for separator in (b" ", b"\n"):
        table = text.copy()
        table[rows, lengths] = ord(separator)
        tables.append(table.view(np.uint64))
    return tables[0], tables[1]


def _walks_as_bytes(walks: np.ndarray, tables: tuple[np.ndarray, np.ndarray]) -> bytes:
    """One line per walk (tokens separated by spaces); ``-1`` entries (padding) are dropped.

    Every token is gathered as fixed-width zero-padded words; the text is those bytes with the
    zeros removed (node ids and separators never contain a zero byte).
    """
    with_space, with_newline = tables
    valid = walks >= 0
    index = np.where(valid, walks, len(with_space) - 1)
    if with_space.shape[1] == 1:  # a 1-D take is ~2x faster than a row gather
        tokens = np.take(with_space[:, 0], index)[..., None]  # [W, L, 1]
    else:
        tokens = with_space[index]  # [W, L, words]
    rows = np.arange(walks.shape[0])
    last = valid.sum(1) - 1  # the last real token of each walk ends its line
    tokens[rows, last] = with_newline[index[rows, last]]
    raw = tokens.view(np.uint8).ravel()
    return raw[raw != 0].tobytes()


def write_walk_corpus(walk_chunks: Iterable[torch.Tensor], path, num_nodes: int) -> dict:
    """Write walks to ``path`` in gensim's ``LineSentence`` format.

    Args:
        walk_chunks: ``LongTensor [W, L]`` blocks of walks (``-1`` = padding after a dead end).
        path: the file to write.
        num_nodes: ``N``; node ids are ``0 .. N-1``.

    Returns:
        ``{"counts": LongTensor [N] occurrences of each node, "tokens": int, "walks": int}``.
        Walks with fewer than 2 nodes carry no context and are left out (and not counted).
    """
    tables = _token_tables(num_nodes)
    counts = torch.zeros(num_nodes, dtype=torch.long)
    tokens = lines = 0
    with open(path, "wb") as handle:
        for chunk in walk_chunks:
            chunk = chunk[(chunk >= 0).sum(1) >= 2]
            if chunk.numel() == 0:
                continue
            block = max(1, _TOKENS_PER_BLOCK // chunk.size(1))
            for start in range(0, chunk.size(0), block):
                part = chunk[start : start + block]
                real = part[part >= 0]
                counts += torch.bincount(real, minlength=num_nodes)
                tokens += real.numel()
                lines += part.size(0)
                handle.write(_walks_as_bytes(part.cpu().numpy(), tables))
    return {"counts": counts, "tokens": tokens, "walks": lines}


class _GensimProgress(logging.Handler):
    """Turns gensim's progress log records into a progress bar (or lines, when piped): its
    ``EPOCH i - PROGRESS: at p% ..., w words/s`` reports (every second) move the bar, its
    ``EPOCH i: training on ... words/s`` records end an epoch with a line."""

    def __init__(self, bar, epochs: int):
        super().__init__(logging.INFO)
        self.bar, self.epochs, self.position = bar, epochs, 0

    def emit(self, record) -> None:
        message = record.msg if isinstance(record.msg, str) else ""
        args = record.args if isinstance(record.args, tuple) else ()
        # gensim numbers epochs from 0.
        if message.startswith("EPOCH %i - PROGRESS") and len(args) >= 3:
            epoch, percent, words_per_second = args[:3]
            self._move(int(100 * epoch + percent))
            self.bar.set_postfix_str(
                f"epoch {epoch + 1}/{self.epochs}, {words_per_second:,.0f} words/s"
            )
        elif message.startswith("EPOCH %i: training on") and len(args) >= 5:
            epoch, raw, _, seconds, words_per_second = args[:5]
            self._move(100 * (epoch + 1))
            self.bar.set_postfix_str(
                f"epoch {epoch + 1}/{self.epochs}, {words_per_second:,.0f} words/s"
            )
            self.bar.write(
                f"skip-gram epoch {epoch + 1}/{self.epochs}: {raw:,} words in {seconds:.1f} s "
                f"({words_per_second:,.0f} words/s)"
            )

    def _move(self, position: int) -> None:
        if position > self.position:
            self.bar.update(position - self.position)
            self.position = position


def build_vocabulary(model, counts: np.ndarray, corpus_count: int) -> None:
    """Give gensim ``model`` its vocabulary: the nodes with ``counts [N] > 0`` (int64).

    The same state as ``model.build_vocab_from_freq({str(i): counts[i]}, corpus_count)`` (the
    order of the words, their counts, down-sampling thresholds, negative-sampling table and
    initial vectors; tested), built with array operations: gensim's own version loops in Python
    over the words several times (and over ``set_vecattr``), about 30 s for a million nodes.
    Falls back to gensim's method when the model lacks the attributes this relies on.
    """
    wv = model.wv
    if model.max_final_vocab is not None or not hasattr(wv, "expandos") or model.min_count > 1:
        present = np.flatnonzero(counts)
        words = dict(zip(present.astype(str).tolist(), counts[present].tolist(), strict=True))
        model.build_vocab_from_freq(words, corpus_count=corpus_count)
        return
    present = np.flatnonzero(counts)
    word_counts = counts[present].astype(np.int64)
    # gensim's order: descending count, ties by descending position in the frequency dict
    order = np.lexsort((-np.arange(present.size), -word_counts))
    present, word_counts = present[order], word_counts[order]
    wv.index_to_key = present.astype(str).tolist()
    wv.key_to_index = {word: i for i, word in enumerate(wv.index_to_key)}
    wv.expandos = {"count": word_counts}
    total = int(word_counts.sum())
    model.corpus_count = corpus_count
    model.effective_min_count = model.min_count
    if not model.sample:
        threshold = total
    elif model.sample < 1.0:
        threshold = model.sample * total
    else:
        threshold = int(model.sample * (3 + np.sqrt(5)) / 2)
    probability = (np.sqrt(word_counts / threshold) + 1) * (threshold / word_counts)
    probability = np.minimum(probability, 1.0)
    wv.expandos["sample_int"] = (probability * (2**32 - 1)).astype(np.uint32)
    if model.hs:
        model.create_binary_tree()
    if model.negative:
        domain = 2**31 - 1
        # Python's float power (as gensim's loop), not numpy's: they differ in the last bit
        exponent = float(model.ns_exponent)
        powers = np.array([count**exponent for count in word_counts.tolist()])
        cumulative = np.cumsum(powers)  # sequential, like gensim's running sum
        model.cum_table = np.rint(cumulative / cumulative[-1] * domain).astype(np.uint32)
    model.init_weights()


def train_skipgram(
    walk_chunks: Iterable[torch.Tensor],
    num_nodes: int,
    settings: SkipGramSettings,
    corpus: str = "auto",
    expected_tokens: int | None = None,
    progress: bool | None = False,
    workdir=None,
) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Train skip-gram on walks; return ``(embeddings, trained, info)``.

    Args:
        walk_chunks: ``LongTensor [W, L]`` blocks of walks (``-1`` = padding).
        num_nodes: ``N``.
        settings: the ``Word2Vec`` settings.
        corpus: ``"memory"``, ``"file"`` or ``"auto"`` (file when ``expected_tokens`` is at
            least `CORPUS_FILE_MIN_TOKENS`).
        expected_tokens: walk tokens expected (for ``"auto"``).
        progress: a bar over the epochs (in % of each, with gensim's words/s) and a line per
            epoch, as `graphseq.progress` decides (None: a bar on a terminal, lines when piped).
        workdir: directory for the temporary corpus file (default: the system's temp dir).

    Returns:
        ``embeddings``: ``FloatTensor [N, dimensions]``, row ``i`` = node ``i``; zeros for nodes
        that occur in no walk of 2 or more nodes (they had no context to learn from).
        ``trained``: ``BoolTensor [N]``, which rows were learned.
        ``info``: ``{"corpus": "memory"|"file", "tokens", "walks", "train_seconds"}``.
    """
    import time

    if corpus not in ("auto", "memory", "file"):
        raise ValueError(f"corpus must be 'auto', 'memory' or 'file', got {corpus!r}.")
    if corpus == "auto":
        # a large corpus also costs less memory as a file than as Python strings
        large = (expected_tokens or 0) >= CORPUS_FILE_MIN_TOKENS
        corpus = "file" if large else "memory"
    model = settings.gensim_model()
    bar = progress_bar(100 * settings.epochs, desc="skip-gram", unit="%", progress=progress)
    listener = _GensimProgress(bar, settings.epochs)
    gensim_log = logging.getLogger("gensim.models.word2vec")
    level = gensim_log.level
    path = None
    try:
        if corpus == "file":
            handle, path = tempfile.mkstemp(prefix="graphseq-walks-", suffix=".txt", dir=workdir)
            os.close(handle)
            written = write_walk_corpus(walk_chunks, path, num_nodes)
            counts, tokens, walks = written["counts"], written["tokens"], written["walks"]
            sentences = None
        else:
            # one str object per node, shared by all its occurrences
            names = np.arange(num_nodes).astype(str).astype(object)
            sentences, counts, tokens = [], torch.zeros(num_nodes, dtype=torch.long), 0
            for chunk in walk_chunks:
                lengths = (chunk >= 0).sum(1)
                chunk = chunk[lengths >= 2]
                real = chunk[chunk >= 0]
                counts += torch.bincount(real, minlength=num_nodes)
                tokens += real.numel()
                array = chunk.cpu().numpy()
                lengths = (array >= 0).sum(1)
                # gensim wants lists of str; this is gensim's own in-memory format
                sentences.extend(
                    names[row[:n]].tolist() for row, n in zip(array, lengths, strict=True)
                )
            walks = len(sentences)
        trained = counts > 0
        if not bool(trained.any()):
            raise ValueError(
                "no walk has 2 or more nodes, so skip-gram has nothing to learn from; "
                "use walk_length >= 2 on a graph whose start nodes have out-edges."
            )
        build_vocabulary(model, counts.numpy(), walks)
        start = time.perf_counter()
        if progress is not False:
            gensim_log.addHandler(listener)
            gensim_log.setLevel(logging.INFO)
        if corpus == "file":
            model.train(
                corpus_file=path, total_words=tokens, total_examples=walks, epochs=settings.epochs
            )
        else:
            model.train(sentences, total_examples=walks, epochs=settings.epochs)
        train_seconds = time.perf_counter() - start
    finally:
        gensim_log.removeHandler(listener)
        gensim_log.setLevel(level)
        bar.close()
        if path is not None:
            os.unlink(path)
    # The output layers are no longer needed: free them before the result is allocated (for
    # 10^7 nodes and 64 dimensions each is 2.5 GB), and copy the vectors only once.
    model.syn1neg = model.syn1 = None
    keys = np.asarray(model.wv.index_to_key).astype(np.int64)
    embeddings = torch.zeros(num_nodes, settings.dimensions)
    embeddings[torch.from_numpy(keys)] = torch.from_numpy(model.wv.vectors)
    del model
    info = {"corpus": corpus, "tokens": tokens, "walks": walks, "train_seconds": train_seconds}
    logging.getLogger(__name__).debug("skip-gram trained: %s", info)
    return embeddings, trained, info
