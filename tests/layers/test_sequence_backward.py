"""The whole-sequence path of SimpleRNN and LSTM (backward through time by hand), TF and JAX.

`RNN` runs `tanh_recurrence` / `lstm_recurrence` for our cells without a mask
and without `unroll`; `unroll=True` takes Keras's loop of the same cell,
differentiated automatically. The two must give the same outputs, states and
gradients in every configuration the path accepts, dropout masks included
(Keras's own layers draw theirs differently, so only our two paths can be
compared with dropout on).
"""

import keras
import numpy as np
import pytest
from test_rnn import ATOL, RTOL

from kerastoolkit import layers
from kerastoolkit.testing import assert_layers_match

pytestmark = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="the whole-sequence path runs on TensorFlow and JAX; PyTorch takes Keras's loop",
)

CONFIGS = [
    {"return_sequences": True},
    {"return_sequences": False, "return_state": True},
    {"return_sequences": True, "go_backwards": True},
    {"return_sequences": True, "return_state": True, "use_bias": False},
    {"return_sequences": True, "dropout": 0.3, "recurrent_dropout": 0.4, "seed": 3},
    {"return_sequences": True, "recurrent_dropout": 0.5, "seed": 7, "go_backwards": True},
]


def _count_sequence_calls(monkeypatch, cell_class):
    calls = []
    original = cell_class.sequence

    def counted(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cell_class, "sequence", counted)
    return calls


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
)
@pytest.mark.parametrize(
    "layer_class, cell_class, n_states",
    [(layers.SimpleRNN, layers.SimpleRNNCell, 1), (layers.LSTM, layers.LSTMCell, 2)],
    ids=["SimpleRNN", "LSTM"],
)
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("with_initial_state", [False, True])
def test_sequence_path_equals_the_differentiated_loop(
    monkeypatch, layer_class, cell_class, n_states, config, training, with_initial_state
):
    calls = _count_sequence_calls(monkeypatch, cell_class)
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 7, 4)).astype("float32")
    initial_state = None
    if with_initial_state:
        initial_state = [rng.normal(size=(3, 5)).astype("float32") for _ in range(n_states)]
    fast, loop = layer_class(5, **config), layer_class(5, unroll=True, **config)
    assert_layers_match(
        fast, loop, x, training=training, rtol=RTOL, atol=ATOL, initial_state=initial_state
    )
    # The first layer ran the whole-sequence path (forward, and again for the
    # gradients); the unrolled one never did.
    assert calls and set(calls) == {cell_class.__name__}
    n_fast = len(calls)
    loop(x, training=training, initial_state=initial_state)
    assert len(calls) == n_fast


@pytest.mark.parametrize(
    "layer_class, cell_class",
    [(layers.SimpleRNN, layers.SimpleRNNCell), (layers.LSTM, layers.LSTMCell)],
)
def test_a_mask_or_another_activation_takes_keras_loop(monkeypatch, layer_class, cell_class):
    calls = _count_sequence_calls(monkeypatch, cell_class)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer_class(4, return_sequences=True)(x, mask=mask)
    layer_class(4, return_sequences=True, activation="relu")(x)
    assert calls == []
    layer_class(4, return_sequences=True)(x)
    assert calls == [cell_class.__name__]


def test_stateful_halves_equal_one_pass_on_the_sequence_path():
    x = np.random.default_rng(1).normal(size=(2, 8, 3)).astype("float32")
    whole = layers.LSTM(4, return_sequences=True)
    halves = layers.LSTM(4, return_sequences=True, stateful=True)
    whole.build(x.shape)
    halves.build(x.shape)
    halves.set_weights(whole.get_weights())
    want = keras.ops.convert_to_numpy(whole(x))
    got = np.concatenate(
        [
            keras.ops.convert_to_numpy(halves(x[:, :4])),
            keras.ops.convert_to_numpy(halves(x[:, 4:])),
        ],
        axis=1,
    )
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_a_long_sequence_runs_the_while_loop():
    """Past UNROLL_STEPS the path loops with keras.ops.scan instead of unrolling."""
    from kerastoolkit.layers import rnn

    steps = rnn.UNROLL_STEPS + 3
    x = np.random.default_rng(2).normal(size=(2, steps, 3)).astype("float32") * 0.3
    assert_layers_match(
        layers.LSTM(3, return_sequences=True),
        layers.LSTM(3, return_sequences=True, unroll=True),
        x,
        rtol=RTOL,
        atol=ATOL,
    )
