"""A character-level language model (embedding -> `SequenceEncoder` ->
softmax over characters) and text generation from it: greedy decoding, temperature sampling
and top-k sampling.

The model carries its `CharVocabulary` and its constructor
arguments in its ``state_dict`` (``_extra_state``), so a Trainer checkpoint alone rebuilds it:
`CharRNN.from_checkpoint`.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from ..nn.sequence import SequenceEncoder
from ..sequences import CharVocabulary
from ..validation import check_int
from .saving import SavableModule

__all__ = ["CharRNN", "STRATEGIES", "generate"]

STRATEGIES = ("greedy", "sample", "top-k")


class CharRNN(SavableModule):
    """Next-character model: ``P(x_{t+1} | x_1..x_t) = softmax(W h_t + b)``.

    Args:
        vocabulary: the characters (a `CharVocabulary` or a string of distinct
            characters).
        hidden_size: LSTM units per layer.
        num_layers: stacked recurrent layers.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"``.
        embedding_dim: size of the character embedding.
        dropout: between recurrent layers and before the output layer.

    Shapes: ``ids LongTensor [B, T]``, optional ``state`` (the encoder's state layout) ->
    ``(logits [B, T, V], final state)``.
    """

    def __init__(
        self,
        vocabulary: CharVocabulary | str,
        hidden_size: int = 512,
        num_layers: int = 2,
        cell: str = "lstm",
        embedding_dim: int = 64,
        dropout: float = 0.0,
    ):
        super().__init__()
        if isinstance(vocabulary, str):
            vocabulary = CharVocabulary(vocabulary)
        if not isinstance(vocabulary, CharVocabulary):
            raise TypeError(
                f"vocabulary must be a CharVocabulary or a str, got {type(vocabulary).__name__}."
            )
        if len(vocabulary) < 2:
            raise ValueError("vocabulary needs at least two characters.")
        self.vocabulary = vocabulary
        self.config = {
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "cell": cell,
            "embedding_dim": embedding_dim,
            "dropout": dropout,
        }
        self.embedding = nn.Embedding(len(vocabulary), embedding_dim)
        self.encoder = SequenceEncoder(
            embedding_dim,
            hidden_size,
            cell,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            output="sequence",
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, len(vocabulary))

    def forward(self, ids: torch.Tensor, state=None):
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(
                f"ids must be a LongTensor [batch, time], got {ids.dtype} {list(ids.shape)}."
            )
        steps, state = self.encoder(self.embedding(ids), state=state, return_state=True)
        return self.head(self.dropout(steps)), state

    # ------------------------------------------------------------------ saving
    def get_extra_state(self) -> dict:
        return {"vocabulary": self.vocabulary.characters, "config": dict(self.config)}

    def set_extra_state(self, state: dict) -> None:
        if state["vocabulary"] != self.vocabulary.characters or state["config"] != self.config:
            raise ValueError(
                "the saved CharRNN has a different vocabulary or architecture "
                f"({state['config']}); build it with CharRNN.from_state_dict instead."
            )

    @classmethod
    def from_state_dict(cls, state_dict: dict) -> CharRNN:
        """Rebuild a model (vocabulary, architecture and weights) from its ``state_dict()``."""
        extra = state_dict.get("_extra_state")
        if not isinstance(extra, dict) or "vocabulary" not in extra:
            raise ValueError("this state_dict does not come from a graphseq CharRNN.")
        model = cls(extra["vocabulary"], **extra["config"])
        model.load_state_dict(state_dict)
        return model

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, map_location="cpu") -> CharRNN:
        """The model saved in a Trainer checkpoint (``Trainer(..., checkpoint=path)``)."""
        from ..train.checkpoint import load_checkpoint

        state = load_checkpoint(path, map_location=map_location)
        return cls.from_state_dict(state["model"]).eval()


def _check_generation(model, strategy, temperature, top_k, length) -> None:
    if not isinstance(model, CharRNN):
        raise TypeError(f"model must be a CharRNN, got {type(model).__name__}.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}.")
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(
            f"temperature must be > 0, got {temperature!r}; use strategy='greedy' for the most "
            "likely character at every step."
        )
    check_int("top_k", top_k)
    if top_k > len(model.vocabulary):
        raise ValueError(f"top_k={top_k} exceeds the vocabulary size {len(model.vocabulary)}.")
    check_int("length", length, minimum=0)


@torch.no_grad()
def generate(
    model: CharRNN,
    prompt: str,
    length: int = 200,
    *,
    strategy: str = "top-k",
    temperature: float = 1.0,
    top_k: int = 5,
    seed: int | None = 0,
) -> str:
    """Continue ``prompt`` by ``length`` characters.

    Args:
        strategy: ``"greedy"`` (the most likely character every step), ``"sample"`` (sample from
            ``softmax(logits / temperature)``: below 1 sharper, above 1 flatter), or ``"top-k"``
            (sample among the ``top_k`` most likely characters, with ``temperature``).
        seed: seeds the sampling generator (same seed, same text); ignored by greedy decoding.

    Returns:
        the generated continuation (without the prompt).
    """
    _check_generation(model, strategy, temperature, top_k, length)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty string.")
    ids = model.vocabulary.encode(prompt, name="prompt")
    device = model.head.weight.device
    generator = torch.Generator(device=device)
    generator.manual_seed(0 if seed is None else int(seed))
    was_training = model.training
    model.eval()
    try:
        logits, state = model(ids[None].to(device))
        logits = logits[0, -1]
        produced = []
        for _ in range(length):
            if strategy == "greedy":
                next_id = logits.argmax()
            else:
                scaled = logits / temperature
                if strategy == "top-k":
                    values, indices = scaled.topk(top_k)
                    choice = torch.multinomial(values.softmax(-1), 1, generator=generator)
                    next_id = indices[choice[0]]
                else:
                    next_id = torch.multinomial(scaled.softmax(-1), 1, generator=generator)[0]
            produced.append(int(next_id))
            logits, state = model(next_id.view(1, 1), state)
            logits = logits[0, -1]
    finally:
        model.train(was_training)
    return model.vocabulary.decode(produced)
