"""SimpleRNNCell, RNN and SimpleRNN equal Keras's twins; dropout masks hold along time."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keras.ops import convert_to_numpy as to_numpy

from kerastoolkit import layers
from kerastoolkit.testing import assert_layers_match

# float32 forward values and gradients over at most 6 steps: the only
# difference from Keras is the order of two additions per step.
RTOL = 1e-5
ATOL = 1e-6


def assert_sequence_layers_match(ours, reference, x, mask=None, initial_state=None):
    """Copy the reference's weights into ours; every output, state and gradient agrees.

    Gradients are taken with respect to the input, the initial states (if
    given) and every trainable weight.
    """
    assert_layers_match(
        ours, reference, x, rtol=RTOL, atol=ATOL, mask=mask, initial_state=initial_state
    )


@st.composite
def sequence_cases(draw, n_states):
    """Small random shapes, layer options, inputs, an optional mask and initial states."""
    batch, time = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    features, units = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    options = {
        "return_sequences": draw(st.booleans()),
        "return_state": draw(st.booleans()),
        "go_backwards": draw(st.booleans()),
    }
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.normal(size=(batch, time, features)).astype("float32")
    mask = rng.uniform(size=(batch, time)) < 0.7 if draw(st.booleans()) else None
    initial_state = None
    if draw(st.booleans()):
        initial_state = [
            rng.normal(size=(batch, units)).astype("float32") for _ in range(n_states)
        ]
    return units, options, x, mask, initial_state


@given(case=sequence_cases(n_states=1))
def test_simple_rnn_matches_keras(case):
    units, options, x, mask, initial_state = case
    assert_sequence_layers_match(
        layers.SimpleRNN(units, **options),
        keras.layers.SimpleRNN(units, **options),
        x,
        mask,
        initial_state,
    )


@pytest.mark.parametrize("activation", ["tanh", "relu", None])
def test_simple_rnn_options_match_keras(activation):
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    kwargs = {"activation": activation, "use_bias": activation != "relu", "unroll": True}
    assert_layers_match(
        layers.SimpleRNN(5, return_sequences=True, **kwargs),
        keras.layers.SimpleRNN(5, return_sequences=True, **kwargs),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


def test_our_cell_inside_keras_rnn_matches_keras_cell():
    ours, theirs = layers.SimpleRNNCell(5), keras.layers.SimpleRNNCell(5)
    assert (ours.state_size, ours.output_size) == (theirs.state_size, theirs.output_size)
    np.testing.assert_array_equal(ours.get_initial_state(2)[0], np.zeros((2, 5)))
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    assert_layers_match(
        keras.layers.RNN(layers.SimpleRNNCell(5), return_sequences=True),
        keras.layers.RNN(keras.layers.SimpleRNNCell(5), return_sequences=True),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


def test_hand_computed_recurrence():
    """h_t = tanh(h_{t-1} W_h + x_t W_x + b), unrolled in NumPy."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    rnn = layers.SimpleRNN(5, return_sequences=True)
    rnn(x)
    w_x, w_h, b = rnn.get_weights()
    h = np.zeros((2, 5), "float32")
    for t in range(3):
        h = np.tanh(h @ w_h + x[:, t] @ w_x + b)
        np.testing.assert_allclose(to_numpy(rnn(x))[:, t], h, rtol=RTOL, atol=ATOL)


def test_stateful_halves_equal_one_pass():
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    whole = keras.layers.SimpleRNN(4, return_sequences=True)
    want = to_numpy(whole(x))
    ours = layers.SimpleRNN(4, return_sequences=True, stateful=True)
    ours(x[:, :3])
    ours.set_weights(whole.get_weights())
    ours.reset_state()
    got = np.concatenate([to_numpy(ours(x[:, :3])), to_numpy(ours(x[:, 3:]))], axis=1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def _identity_rnn(**kwargs):
    """A linear SimpleRNN whose kernels are identities, so the masks show in the output."""
    rnn = layers.SimpleRNN(
        4, activation=None, use_bias=False, return_sequences=True, seed=3, **kwargs
    )
    rnn(np.ones((2, 5, 4), "float32"))
    return rnn


def test_input_dropout_mask_is_constant_along_time():
    rate = 0.5
    rnn = _identity_rnn(dropout=rate, recurrent_initializer="zeros", kernel_initializer="identity")
    x = np.ones((2, 5, 4), "float32")
    first = to_numpy(rnn(x, training=True))  # h_t = x_t * m_x
    np.testing.assert_array_equal(first, np.broadcast_to(first[:, :1], first.shape))
    assert set(np.unique(first)) == {0.0, 1 / (1 - rate)}
    second = to_numpy(rnn(x, training=True))
    assert not np.array_equal(first, second), "a new sequence draws a new mask"
    np.testing.assert_array_equal(to_numpy(rnn(x, training=False)), x)


def test_recurrent_dropout_mask_is_constant_along_time():
    rate = 0.5
    rnn = _identity_rnn(
        recurrent_dropout=rate, kernel_initializer="zeros", recurrent_initializer="identity"
    )
    x = np.ones((2, 5, 4), "float32")
    h = to_numpy(rnn(x, initial_state=[np.ones((2, 4), "float32")], training=True))
    m = h[:, 0]  # h_1 = h_0 * m_h with h_0 = 1, then h_t = m_h ** t
    assert set(np.unique(m)) == {0.0, 1 / (1 - rate)}
    for t in range(5):
        np.testing.assert_allclose(h[:, t], m ** (t + 1), rtol=RTOL)


@pytest.mark.parametrize("cell_class", [layers.SimpleRNNCell, layers.LSTMCell])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_projected_loop_equals_the_step_by_step_cell_with_the_same_masks(cell_class, go_backwards):
    """Our RNN projects x W_x for all steps before the loop; keras.layers.RNN calls the
    cell on each x_t. With the same dropout masks (drawn beforehand, which both keep)
    and a mask over time, outputs and final states agree."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = rng.uniform(size=(3, 5)) < 0.7
    cell = cell_class(6, dropout=0.4, recurrent_dropout=0.3, bias_initializer="random_normal")
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    stepwise, projected = keras.layers.RNN(cell, **options), layers.RNN(cell, **options)
    stepwise(x)
    outputs = []
    for rnn in (stepwise, projected):
        cell.get_dropout_mask(keras.ops.ones((3, 4)))
        cell.get_recurrent_dropout_mask(keras.ops.ones((3, 6)))
        if rnn is stepwise:
            masks = (cell._dropout_mask, cell._recurrent_dropout_mask)
        else:
            cell._dropout_mask, cell._recurrent_dropout_mask = masks
        outputs.append([to_numpy(y) for y in rnn(x, mask=mask, training=True)])
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    assert len(np.unique(to_numpy(masks[0]))) == 2  # 0 and 1 / (1 - rate): some dropped
    for got, want in zip(outputs[1], outputs[0]):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert not cell.inputs_projected, "the cell works standalone again after the loop"


def test_cell_with_dropout_refuses_keras_rnn_without_masks():
    rnn = keras.layers.RNN(layers.SimpleRNNCell(3, dropout=0.2))
    x = np.ones((2, 4, 3), "float32")
    with pytest.raises(ValueError, match="draws its dropout masks once per sequence"):
        rnn(x, training=True)
    assert rnn(x).shape == (2, 3)  # inference needs no masks
    assert layers.RNN(layers.SimpleRNNCell(3, dropout=0.2))(x, training=True).shape == (2, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"units": -3}, "Received: units=-3"),
        ({"units": 2.5}, "Received: units=2.5"),
        ({"units": 3, "dropout": 1.0}, r"Received: dropout=1.0"),
        ({"units": 3, "recurrent_dropout": -0.1}, r"Received: recurrent_dropout=-0.1"),
    ],
)
@pytest.mark.parametrize("cls", [layers.SimpleRNNCell, layers.SimpleRNN])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_inputs():
    rnn = layers.SimpleRNN(4)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        rnn(np.ones((2, 3), "float32"))
    x = np.ones((2, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"`initial_state` must be 1 tensor\(s\).*\(2, 3\)"):
        rnn(x, initial_state=[np.zeros((2, 3), "float32")])
    with pytest.raises(ValueError, match="`initial_state` must be 1 tensor"):
        rnn(x, initial_state=[np.zeros((2, 4), "float32")] * 2)


def test_config_round_trip_and_keras_file(tmp_path):
    rnn = layers.SimpleRNN(4, dropout=0.25, return_sequences=True, seed=1)
    assert layers.SimpleRNN.from_config(rnn.get_config()).get_config() == rnn.get_config()
    model = keras.Sequential(
        [keras.Input((5, 3)), rnn, keras.layers.RNN(layers.SimpleRNNCell(2))]
    )
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    path = tmp_path / "rnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[0]) is layers.SimpleRNN
    assert type(loaded.layers[1].cell) is layers.SimpleRNNCell
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
