"""SequenceEncoder: the lectures' equations, variable lengths, parameter counts, bad input."""

import pytest
import torch

from graphseq import SequenceEncoder
from graphseq.nn.sequence import OUTPUTS


def _encoder(cell="lstm", **options):
    torch.manual_seed(0)
    return SequenceEncoder(5, 4, cell, **options).double().eval()


def test_exported_from_package():
    import graphseq
    import graphseq.nn

    assert graphseq.SequenceEncoder is graphseq.nn.SequenceEncoder is SequenceEncoder


def test_lstm_step_matches_hand_written_gates():
    encoder = _encoder("lstm")
    rnn = encoder.rnn
    torch.manual_seed(1)
    x = torch.randn(3, 1, 5, dtype=torch.float64)
    h0 = torch.randn(1, 3, 4, dtype=torch.float64)
    c0 = torch.randn(1, 3, 4, dtype=torch.float64)
    h_last, (h1, c1) = encoder(x, state=(h0, c0), return_state=True)

    # PyTorch stacks the four gates as rows [i; f; g; o] of W_ih [4n, d] and W_hh [4n, n].
    pre = (
        x[:, 0] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h0[0] @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    )
    i, f, g, o = pre.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_expected = f * c0[0] + i * g
    h_expected = o * torch.tanh(c_expected)
    torch.testing.assert_close(c1[0], c_expected)
    torch.testing.assert_close(h1[0], h_expected)
    torch.testing.assert_close(h_last, h_expected)


def test_lstm_two_steps_match_hand_written_recurrence():
    encoder = _encoder("lstm")
    rnn = encoder.rnn
    x = torch.randn(2, 2, 5, dtype=torch.float64)
    h = torch.zeros(2, 4, dtype=torch.float64)
    c = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(2):
        pre = x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T
        i, f, g, o = (pre + rnn.bias_hh_l0).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    torch.testing.assert_close(encoder(x), h)


def test_vanilla_rnn_step_is_tanh_of_affine_map():
    encoder = _encoder("rnn")
    rnn = encoder.rnn
    x = torch.randn(3, 1, 5, dtype=torch.float64)
    h0 = torch.randn(1, 3, 4, dtype=torch.float64)
    h1 = encoder(x, state=h0)
    # tanh(W_hx x + W_hh h + b), with PyTorch's two biases summed into b.
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    expected = torch.tanh(x[:, 0] @ rnn.weight_ih_l0.T + h0[0] @ rnn.weight_hh_l0.T + b)
    torch.testing.assert_close(h1, expected)


def test_gru_step_matches_hand_written_gates():
    encoder = _encoder("gru")
    rnn = encoder.rnn
    x = torch.randn(3, 1, 5, dtype=torch.float64)
    h0 = torch.randn(1, 3, 4, dtype=torch.float64)
    gx = x[:, 0] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0
    gh = h0[0] @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    (rx, zx, nx), (rh, zh, nh) = gx.chunk(3, 1), gh.chunk(3, 1)
    r, z = torch.sigmoid(rx + rh), torch.sigmoid(zx + zh)
    n = torch.tanh(nx + r * nh)
    torch.testing.assert_close(encoder(x, state=h0), (1 - z) * n + z * h0[0])


@pytest.mark.parametrize("d,n", [(5, 4), (1, 1), (30, 128)])
def test_lstm_layer_parameter_count(d, n):
    encoder = SequenceEncoder(d, n, "lstm")
    count = sum(p.numel() for p in encoder.parameters())
    # The lectures' 4n(d + n + 1) plus PyTorch's second bias vector b_hh (4n).
    assert count == 4 * n * (d + n + 1) + 4 * n


def test_parameter_count_of_stacked_bidirectional_cells():
    d, n = 7, 6
    for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4)):
        encoder = SequenceEncoder(d, n, cell, num_layers=2, bidirectional=True)
        # Per direction: first layer reads d features, the second reads both directions (2n).
        expected = 2 * gates * n * (d + n + 2) + 2 * gates * n * (2 * n + n + 2)
        assert sum(p.numel() for p in encoder.parameters()) == expected


def _padded_batch(sequences, pad_value=7.5):
    """Pad with a large junk value so that any leak of padding changes the result."""
    time = max(s.size(0) for s in sequences)
    x = torch.full((len(sequences), time, sequences[0].size(1)), pad_value, dtype=torch.float64)
    for b, s in enumerate(sequences):
        x[b, : s.size(0)] = s
    return x, torch.tensor([s.size(0) for s in sequences])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("output", OUTPUTS)
def test_padded_batch_equals_unpadded_sequences(cell, bidirectional, output):
    torch.manual_seed(0)
    encoder = (
        SequenceEncoder(5, 4, cell, num_layers=2, bidirectional=bidirectional, output=output)
        .double()
        .eval()
    )
    sequences = [torch.randn(length, 5, dtype=torch.float64) for length in (6, 2, 4, 1)]
    x, lengths = _padded_batch(sequences)
    batched = encoder(x, lengths)
    for b, s in enumerate(sequences):
        alone = encoder(s[None])[0]
        if output == "sequence":
            torch.testing.assert_close(batched[b, : s.size(0)], alone)
            assert bool((batched[b, s.size(0) :] == 0).all()), "padded steps must be zero"
        else:
            torch.testing.assert_close(batched[b], alone)
    width = encoder.output_size
    assert width == 4 * (2 if bidirectional else 1)
    expected_shape = (4, 6, width) if output == "sequence" else (4, width)
    assert batched.shape == expected_shape


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_initial_and_final_state_with_lengths(cell):
    torch.manual_seed(0)
    encoder = SequenceEncoder(5, 4, cell, num_layers=2).double().eval()
    sequences = [torch.randn(length, 5, dtype=torch.float64) for length in (3, 5, 1)]
    x, lengths = _padded_batch(sequences)
    h0 = torch.randn(2, 3, 4, dtype=torch.float64)
    state = (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    _, final = encoder(x, lengths, state=state, return_state=True)
    for b, s in enumerate(sequences):
        own = tuple(part[:, b : b + 1] for part in state) if cell == "lstm" else h0[:, b : b + 1]
        _, alone = encoder(s[None], state=own, return_state=True)
        if cell == "lstm":
            torch.testing.assert_close(final[0][:, b], alone[0][:, 0])
            torch.testing.assert_close(final[1][:, b], alone[1][:, 0])
        else:
            torch.testing.assert_close(final[:, b], alone[:, 0])


def test_carrying_state_across_windows_equals_one_pass():
    """What truncated back-propagation through time relies on."""
    torch.manual_seed(0)
    encoder = SequenceEncoder(5, 4, "lstm", num_layers=2, output="sequence").double().eval()
    x = torch.randn(2, 10, 5, dtype=torch.float64)
    whole = encoder(x)
    first, state = encoder(x[:, :6], return_state=True)
    second = encoder(x[:, 6:], state=state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole)


def test_full_lengths_equal_no_lengths():
    encoder = _encoder("gru", output="mean")
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(encoder(x, torch.tensor([4, 4, 4])), encoder(x))
    torch.testing.assert_close(encoder(x, [4, 4, 4]), encoder(x))


def test_mean_and_max_reduce_the_sequence_output():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    steps = SequenceEncoder(5, 4, "lstm", output="sequence").double()
    mean = SequenceEncoder(5, 4, "lstm", output="mean").double()
    maximum = SequenceEncoder(5, 4, "lstm", output="max").double()
    mean.load_state_dict(steps.state_dict())
    maximum.load_state_dict(steps.state_dict())
    torch.testing.assert_close(mean(x), steps(x).mean(1))
    torch.testing.assert_close(maximum(x), steps(x).amax(1))


def test_gradients_flow_through_packed_max():
    encoder = SequenceEncoder(5, 4, "lstm", output="max", bidirectional=True)
    x = torch.randn(3, 4, 5, requires_grad=True)
    encoder(x, torch.tensor([4, 2, 1])).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert bool((x.grad[2, 1:] == 0).all()), "padding must get no gradient"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forget_bias_is_added_to_the_remembering_gate_only(cell):
    torch.manual_seed(0)
    plain = SequenceEncoder(5, 4, cell, num_layers=2, bidirectional=True)
    torch.manual_seed(0)
    biased = SequenceEncoder(5, 4, cell, num_layers=2, bidirectional=True, forget_bias=3.0)
    for (name, a), b in zip(plain.rnn.named_parameters(), biased.rnn.parameters(), strict=True):
        difference = b - a
        if name.startswith("bias_ih"):
            torch.testing.assert_close(difference[4:8], torch.full((4,), 3.0))
            difference[4:8] = 0
        assert bool((difference == 0).all()), name
    with pytest.raises(ValueError, match="forget_bias needs a gated cell"):
        SequenceEncoder(5, 4, "rnn", forget_bias=1.0)


def test_dropout_only_between_layers_in_training():
    torch.manual_seed(0)
    encoder = SequenceEncoder(5, 8, "lstm", num_layers=2, dropout=0.5)
    x = torch.randn(4, 3, 5)
    encoder.eval()
    torch.testing.assert_close(encoder(x), encoder(x))
    encoder.train()
    assert not torch.allclose(encoder(x), encoder(x))


@pytest.mark.parametrize(
    "options,message",
    [
        ({"cell": "transformer"}, "cell must be one of"),
        ({"output": "first"}, "output must be one of"),
        ({"dropout": 0.3}, "needs num_layers >= 2"),
        ({"dropout": 1.0, "num_layers": 2}, "dropout must be in"),
        ({"num_layers": 0}, "num_layers must be an int >= 1"),
    ],
)
def test_bad_constructor_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        SequenceEncoder(5, 4, **options)


def test_mismatched_feature_size():
    with pytest.raises(ValueError, match="has 3 features per step but .* input_size=5"):
        SequenceEncoder(5, 4)(torch.randn(2, 4, 3))


def test_wrong_rank_and_dtype():
    encoder = SequenceEncoder(5, 4)
    with pytest.raises(ValueError, match=r"x must have shape \[batch, time, features=5\]"):
        encoder(torch.randn(4, 5))
    with pytest.raises(TypeError, match="floating-point"):
        encoder(torch.ones(2, 4, 5, dtype=torch.long))


@pytest.mark.parametrize(
    "lengths,message",
    [
        ([3, 0], "lengths must be >= 1, got 0 at position 1"),
        ([-2, 3], "lengths must be >= 1, got -2 at position 0"),
        ([5, 3], r"lengths must be <= the time dimension of x \(4\), got 5"),
        ([3], r"lengths must have shape \[batch=2\]"),
        ([1.5, 2.0], "lengths must hold integers"),
    ],
)
def test_bad_lengths(lengths, message):
    encoder = SequenceEncoder(5, 4)
    with pytest.raises((ValueError, TypeError), match=message):
        encoder(torch.randn(2, 4, 5), torch.tensor(lengths))


def test_bad_initial_state():
    x = torch.randn(2, 4, 5)
    with pytest.raises(ValueError, match=r"pair \(h_0, c_0\)"):
        SequenceEncoder(5, 4, "lstm")(x, state=torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"h_0 must have shape \[num_layers \* num_directions=2"):
        SequenceEncoder(5, 4, "gru", bidirectional=True)(x, state=torch.zeros(1, 2, 4))
