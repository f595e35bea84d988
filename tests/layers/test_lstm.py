"""LSTMCell and LSTM equal Keras's twins; gate order, forget bias, dropout along time."""

import keras
import numpy as np
import pytest
from hypothesis import given
from keras.ops import convert_to_numpy as to_numpy
from test_rnn import ATOL, RTOL, assert_sequence_layers_match, sequence_cases

from kerastoolkit import layers
from kerastoolkit.testing import assert_layers_match


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@given(case=sequence_cases(n_states=2))
def test_lstm_matches_keras(case):
    units, options, x, mask, initial_state = case
    assert_sequence_layers_match(
        layers.LSTM(units, **options),
        keras.layers.LSTM(units, **options),
        x,
        mask,
        initial_state,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"unroll": True},
        {"use_bias": False},
        {"activation": "relu", "recurrent_activation": "hard_sigmoid"},
        {"unit_forget_bias": False, "bias_initializer": "ones"},
    ],
)
def test_lstm_options_match_keras(kwargs):
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    assert_layers_match(
        layers.LSTM(5, return_sequences=True, **kwargs),
        keras.layers.LSTM(5, return_sequences=True, **kwargs),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


def test_our_cell_inside_keras_rnn_matches_keras_cell():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    assert_layers_match(
        keras.layers.RNN(layers.LSTMCell(5), return_sequences=True),
        keras.layers.RNN(keras.layers.LSTMCell(5), return_sequences=True),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.parametrize("units", [1, 2, 5])
@pytest.mark.parametrize(
    "bias_initializer", ["zeros", "ones", keras.initializers.Constant(0.25)], ids=str
)
@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_initial_bias_equals_keras(units, bias_initializer, unit_forget_bias):
    kwargs = {"bias_initializer": bias_initializer, "unit_forget_bias": unit_forget_bias}
    ours, theirs = layers.LSTMCell(units, **kwargs), keras.layers.LSTMCell(units, **kwargs)
    ours.build((None, 3))
    theirs.build((None, 3))
    np.testing.assert_array_equal(ours.bias.numpy(), theirs.bias.numpy())
    # The forget block, units to 2 * units, is 1 with unit_forget_bias.
    blocks = np.split(ours.bias.numpy(), 4)
    other = keras.ops.convert_to_numpy(keras.initializers.get(bias_initializer)((units,)))
    for k, block in enumerate(blocks):
        np.testing.assert_array_equal(block, 1.0 if k == 1 and unit_forget_bias else other)


def test_initial_weights_have_keras_layout():
    ours, theirs = layers.LSTMCell(3), keras.layers.LSTMCell(3)
    ours.build((None, 2))
    theirs.build((None, 2))
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    np.testing.assert_array_equal(to_numpy(ours.bias), to_numpy(theirs.bias))
    np.testing.assert_array_equal(to_numpy(ours.bias), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert (ours.state_size, ours.output_size) == (theirs.state_size, theirs.output_size)
    np.testing.assert_array_equal(ours.get_initial_state(2)[1], np.zeros((2, 3)))


def test_hand_computed_gates():
    """The course's equations with the gates in Keras's i, f, g(c), o order, in NumPy."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    lstm = layers.LSTM(5, return_sequences=True, return_state=True)
    lstm(x)
    w_x, w_h, b = lstm.get_weights()
    seq, h_last, c_last = (to_numpy(o) for o in lstm(x))
    h = c = np.zeros((2, 5), "float32")
    for t in range(3):
        z_i, z_f, z_g, z_o = np.split(x[:, t] @ w_x + h @ w_h + b, 4, axis=-1)
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
        c = f * c + g * i
        h = o * np.tanh(c)
        np.testing.assert_allclose(seq[:, t], h, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(h_last, h, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c_last, c, rtol=RTOL, atol=ATOL)


def test_stateful_halves_equal_one_pass():
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    whole = keras.layers.LSTM(4, return_sequences=True)
    want = to_numpy(whole(x))
    ours = layers.LSTM(4, return_sequences=True, stateful=True)
    ours(x[:, :3])
    ours.set_weights(whole.get_weights())
    ours.reset_state()
    got = np.concatenate([to_numpy(ours(x[:, :3])), to_numpy(ours(x[:, 3:]))], axis=1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


# A forget-gate bias so negative that sigma(z_f) underflows to 0: c_t = i * g.
FORGET_NOTHING = -200.0


def test_dropout_mask_is_constant_along_time():
    """With no recurrence and no memory, h_t depends on x_t * m_x only."""
    rate = 0.5
    lstm = layers.LSTM(3, dropout=rate, return_sequences=True, recurrent_initializer="zeros",
                       seed=2)
    x = np.ones((4, 6, 5), "float32")
    lstm(x)
    bias = np.zeros(12, "float32")
    bias[3:6] = FORGET_NOTHING
    lstm.cell.bias.assign(bias)
    got = to_numpy(lstm(x, training=True))
    np.testing.assert_array_equal(got, np.broadcast_to(got[:, :1], got.shape))
    assert not np.allclose(got, to_numpy(lstm(x, training=False)))
    assert not np.array_equal(got, to_numpy(lstm(x, training=True))), "new sequence, new mask"


@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.5, 0.0), (0.0, 0.5), (0.3, 0.6)])
def test_dropout_masks_enter_the_equations(dropout, recurrent_dropout):
    """Training output = the NumPy equations with x_t * m_x and h_{t-1} * m_h, with masks of
    0 and 1 / (1 - rate), the same at every step."""
    rng = np.random.default_rng(5)
    batch, steps, features, units = 8, 4, 2, 5  # 8 * 2 mask entries: P(none drop) <= 0.7**16
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    h0, c0 = (rng.normal(size=(batch, units)).astype("float32") for _ in range(2))
    lstm = layers.LSTM(units, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       return_sequences=True, return_state=True, seed=4)
    lstm(x)
    lstm.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                      for w in lstm.get_weights()])
    w_x, w_h, b = lstm.get_weights()
    # Draw the masks first: the layer uses the ones already drawn, then forgets them.
    masks = []
    for rate, draw, like in (
        (dropout, lstm.cell.get_dropout_mask, (batch, features)),
        (recurrent_dropout, lstm.cell.get_recurrent_dropout_mask, (batch, units)),
    ):
        m = draw(keras.ops.ones(like))
        if rate == 0:
            assert m is None
            m = np.ones(like, "float32")
        else:
            m = keras.ops.convert_to_numpy(m)
            assert set(np.unique(m)) == {0.0, np.float32(1 / (1 - rate))}
        masks.append(m)
    m_x, m_h = masks
    seq, h_last, c_last = map(to_numpy, lstm(x, initial_state=[h0, c0], training=True))
    h, c = h0, c0
    for t in range(steps):
        z_i, z_f, z_g, z_o = np.split((x[:, t] * m_x) @ w_x + (h * m_h) @ w_h + b, 4, axis=-1)
        c = sigmoid(z_f) * c + np.tanh(z_g) * sigmoid(z_i)
        h = sigmoid(z_o) * np.tanh(c)
        np.testing.assert_allclose(seq[:, t], h, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(h_last, h, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(c_last, c, rtol=RTOL, atol=ATOL)
    assert lstm.cell._dropout_mask is None and lstm.cell._recurrent_dropout_mask is None


def test_cell_with_dropout_refuses_keras_rnn_without_masks():
    x = np.ones((2, 4, 3), "float32")
    with pytest.raises(ValueError, match="draws its dropout masks once per sequence"):
        keras.layers.RNN(layers.LSTMCell(3, recurrent_dropout=0.2))(x, training=True)
    assert layers.LSTM(3, recurrent_dropout=0.2)(x, training=True).shape == (2, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": 0}, "Received: units=0"),
        ({"units": 3, "dropout": 1.5}, r"Received: dropout=1.5"),
        ({"units": 3, "recurrent_dropout": 1}, r"Received: recurrent_dropout=1"),
    ],
)
@pytest.mark.parametrize("cls", [layers.LSTMCell, layers.LSTM])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_inputs():
    lstm = layers.LSTM(4)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        lstm(np.ones((2, 3, 1, 1), "float32"))
    x = np.ones((2, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"`initial_state` must be 2 tensor\(s\)"):
        lstm(x, initial_state=[np.zeros((2, 4), "float32")])
    with pytest.raises(ValueError, match=r"Received: initial_state shapes=\[\(3, 4\), \(3, 4\)\]"):
        lstm(x, initial_state=[np.zeros((3, 4), "float32")] * 2)


def test_config_round_trip_and_keras_file(tmp_path):
    lstm = layers.LSTM(4, dropout=0.25, recurrent_dropout=0.1, return_sequences=True, seed=1)
    assert layers.LSTM.from_config(lstm.get_config()).get_config() == lstm.get_config()
    model = keras.Sequential(
        [keras.Input((5, 3)), lstm, layers.RNN(layers.LSTMCell(2, dropout=0.5))]
    )
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((2, 2)), epochs=1, verbose=0)
    path = tmp_path / "lstm.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[0]) is layers.LSTM
    assert type(loaded.layers[1]) is layers.RNN
    assert type(loaded.layers[1].cell) is layers.LSTMCell
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
