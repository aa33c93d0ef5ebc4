"""SequenceEncoder: the one recurrent module (vanilla RNN, LSTM or GRU) used wherever graphseq
encodes a sequence (random walks, GraphSAGE's LSTM aggregator, graph readouts, text).

The cells follow the lectures' equations (PyTorch's fused layers compute exactly these):

* vanilla RNN: ``h_t = tanh(W_hx x_t + b_hx + W_hh h_{t-1} + b_hh)``
* LSTM, with the gates stacked in PyTorch's order ``i, f, g, o``::

      i = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
      f = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
      g = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate cell
      o = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
      c_t = f ⊙ c_{t-1} + i ⊙ g
      h_t = o ⊙ tanh(c_t)

* GRU: PyTorch's ``nn.GRU`` (reset gate ``r``, update gate ``z``, candidate ``n``;
  ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``).

Parameter count. One LSTM layer with input size ``d`` and hidden size ``n`` has the lectures'
``4n(d + n + 1)`` parameters (four gates, each with ``W_x [n, d]``, ``W_h [n, n]`` and a bias)
plus ``4n`` more, because PyTorch (following cuDNN) keeps two bias vectors, ``b_ih`` and
``b_hh``, whose sum plays the role of the single bias: ``4n(d + n + 2)`` in all. A GRU layer has
``3n(d + n + 2)`` and a vanilla RNN layer ``n(d + n + 2)``. A bidirectional layer has twice as
many, and layers after the first see ``d = n`` (``2n`` when bidirectional).

Variable lengths. With ``lengths``, the batch is packed (``pack_padded_sequence``) so that the
recurrence stops at each sequence's own last step: padding never enters the hidden state, the
``"last"`` output is the state at step ``lengths[b] - 1`` (and, for the backward direction, the
state after reading the valid steps backwards from there), ``"mean"`` and ``"max"`` only see
valid steps, and ``"sequence"`` holds zeros at the padded steps.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..validation import check_int

__all__ = ["SequenceEncoder", "CELLS", "OUTPUTS"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
OUTPUTS = ("last", "mean", "max", "sequence")

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class SequenceEncoder(nn.Module):
    """Encode a batch of sequences with a (multi-layer, optionally bidirectional) RNN, LSTM or GRU.

    Args:
        input_size: features per time step ``F``.
        hidden_size: hidden units ``H`` per direction.
        cell: ``"rnn"`` (vanilla, tanh), ``"lstm"`` or ``"gru"``.
        num_layers: stacked recurrent layers.
        bidirectional: also read every sequence backwards; outputs then have ``2H`` features
            (forward features first).
        dropout: dropout probability on the outputs of every layer except the last (PyTorch's
            between-layer dropout); needs ``num_layers >= 2``.
        output: what `forward` returns per sequence: ``"last"`` (the final hidden state
            of the top layer), ``"mean"`` or ``"max"`` (over the valid time steps of the top
            layer's outputs), or ``"sequence"`` (the top layer's output at every step).
        forget_bias: added at initialisation to the bias of the LSTM forget gate ``f`` (GRU:
            update gate ``z``) in every layer, so the cell starts out keeping its state and
            gradients reach far back (Gers et al. 2000; Jozefowicz et al. 2015 use 1). 0 keeps
            PyTorch's initialisation. On 40-step palindromes an LSTM with 3 learns in a few
            hundred steps where PyTorch's default stays at chance for thousands.

    Shapes (``B`` sequences, ``T`` steps, ``D = 2H`` if bidirectional else ``H``,
    ``L = num_layers * (2 if bidirectional else 1)``):

    * ``x``: ``FloatTensor [B, T, F]`` (batch first).
    * ``lengths``: optional ``LongTensor [B]`` (or a list) with ``1 <= lengths[b] <= T``; steps
      ``t >= lengths[b]`` are padding and are ignored. None means every sequence has ``T`` steps.
    * ``state``: optional initial state, ``[L, B, H]`` for ``"rnn"``/``"gru"`` and a pair
      ``(h_0, c_0)`` of ``[L, B, H]`` for ``"lstm"`` (PyTorch's layout); zeros when None.
    * returns ``[B, D]`` for ``"last"``/``"mean"``/``"max"`` and ``[B, T, D]`` for
      ``"sequence"``; with ``return_state=True`` a pair ``(output, final_state)``, the final
      state in the layout of ``state`` (taken at each sequence's own last step), e.g. to carry
      it across windows in truncated back-propagation through time.

    ``output_size`` is ``D``. The fused layer is ``self.rnn`` (an ``nn.RNN``/``nn.LSTM``/
    ``nn.GRU`` with ``batch_first=True``), so its weights are ``self.rnn.weight_ih_l0`` etc.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: str = "lstm",
        *,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        output: str = "last",
        forget_bias: float = 0.0,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}.")
        check_int("input_size", input_size)
        check_int("hidden_size", hidden_size)
        check_int("num_layers", num_layers)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        if dropout > 0 and num_layers == 1:
            raise ValueError(
                f"dropout={dropout} acts between recurrent layers, so it needs num_layers >= 2 "
                "(got 1); apply dropout to the encoder's output instead."
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.cell = cell
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.dropout = float(dropout)
        self.output = output
        if forget_bias and cell == "rnn":
            raise ValueError(
                "forget_bias needs a gated cell ('lstm' or 'gru'); a vanilla RNN has no gate."
            )
        self.forget_bias = float(forget_bias)
        options = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = CELLS[cell](
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            batch_first=True,
            **options,
        )
        self._add_forget_bias()

    def _add_forget_bias(self) -> None:
        if not self.forget_bias:
            return
        # Gate rows are stacked [i; f; g; o] (LSTM) and [r; z; n] (GRU): rows H..2H are the
        # forget gate f and the update gate z, whose large values keep the previous state.
        rows = slice(self.hidden_size, 2 * self.hidden_size)
        with torch.no_grad():
            for name, parameter in self.rnn.named_parameters():
                if name.startswith("bias_ih"):
                    parameter[rows] += self.forget_bias

    @property
    def output_size(self) -> int:
        """Features per sequence (or per step for ``"sequence"``): ``H`` or ``2H``."""
        return self.hidden_size * self.num_directions

    def reset_parameters(self) -> None:
        self.rnn.reset_parameters()
        self._add_forget_bias()

    def extra_repr(self) -> str:
        return f"output={self.output!r}"

    # ------------------------------------------------------------------ validation
    def _check_input(self, x: torch.Tensor, lengths) -> torch.Tensor | None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor [batch, time, features], got {type(x)}.")
        if x.dim() != 3:
            raise ValueError(
                f"x must have shape [batch, time, features={self.input_size}], got "
                f"{list(x.shape)}; for a single sequence use x.unsqueeze(0)."
            )
        if not x.is_floating_point():
            raise TypeError(
                f"x must be a floating-point tensor, got {x.dtype}; embed or one-hot encode "
                "token ids first."
            )
        batch, time, features = x.shape
        if features != self.input_size:
            raise ValueError(
                f"x has {features} features per step but the encoder was built with "
                f"input_size={self.input_size}."
            )
        if time == 0:
            raise ValueError("x has 0 time steps; every sequence needs at least one step.")
        if lengths is None:
            return None
        if not isinstance(lengths, torch.Tensor):
            lengths = torch.as_tensor(lengths)
        if lengths.dtype == torch.bool or lengths.is_floating_point() or lengths.is_complex():
            raise TypeError(f"lengths must hold integers, got {lengths.dtype}.")
        if lengths.shape != (batch,):
            raise ValueError(f"lengths must have shape [batch={batch}], got {list(lengths.shape)}.")
        lengths = lengths.to("cpu", torch.int64)
        if batch and int(lengths.min()) < 1:
            raise ValueError(
                f"lengths must be >= 1, got {int(lengths.min())} at position "
                f"{int(lengths.argmin())}; drop empty sequences before encoding them."
            )
        if batch and int(lengths.max()) > time:
            raise ValueError(
                f"lengths must be <= the time dimension of x ({time}), got "
                f"{int(lengths.max())} at position {int(lengths.argmax())}."
            )
        return lengths

    def _check_state(self, state, batch: int) -> None:
        expected = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if self.cell == "lstm":
            if not (isinstance(state, (tuple, list)) and len(state) == 2):
                raise ValueError(
                    "state of an LSTM must be a pair (h_0, c_0) of tensors of shape "
                    f"{list(expected)}."
                )
            parts = {"h_0": state[0], "c_0": state[1]}
        else:
            if not isinstance(state, torch.Tensor):
                raise ValueError(
                    f"state of a {self.cell.upper()} must be one tensor of shape "
                    f"{list(expected)}, got {type(state).__name__}."
                )
            parts = {"h_0": state}
        for name, tensor in parts.items():
            if tuple(tensor.shape) != expected:
                raise ValueError(
                    f"initial state {name} must have shape [num_layers * num_directions="
                    f"{expected[0]}, batch={batch}, hidden_size={expected[2]}], got "
                    f"{list(tensor.shape)}."
                )

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor | Sequence[int] | None = None,
        state: State | None = None,
        return_state: bool = False,
    ):
        """Encode ``x [B, T, F]``; see the class docstring for shapes."""
        lengths = self._check_input(x, lengths)
        batch, time, _ = x.shape
        if state is not None:
            self._check_state(state, batch)
            if self.cell == "lstm":
                state = tuple(state)
        # Full-length batches need no packing (packing costs a sort and copies).
        packed = lengths is not None and bool((lengths < time).any())
        if packed:
            sequence = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            outputs, final_state = self.rnn(sequence, state)
        else:
            outputs, final_state = self.rnn(x, state)
        result = self._reduce(outputs, final_state, lengths if packed else None, time)
        return (result, final_state) if return_state else result

    def _reduce(self, outputs, final_state, lengths, time) -> torch.Tensor:
        if self.output == "last":
            h_n = final_state[0] if self.cell == "lstm" else final_state
            # h_n: [layers * directions, B, H]; the top layer's directions are the last rows.
            top = h_n[-self.num_directions :]
            return torch.cat(list(top), dim=-1)
        if lengths is not None:
            outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=time)
        if self.output == "sequence":
            return outputs
        if lengths is None:
            return outputs.mean(1) if self.output == "mean" else outputs.amax(1)
        lengths = lengths.to(outputs.device)
        valid = torch.arange(time, device=outputs.device)[None, :] < lengths[:, None]  # [B, T]
        if self.output == "mean":
            # Padded steps are already zero after pad_packed_sequence.
            return outputs.sum(1) / lengths[:, None].to(outputs.dtype)
        return outputs.masked_fill(~valid[:, :, None], float("-inf")).amax(1)
