"""kerastoolkit.testing's layer helpers: they compare what they say, and fail when it differs."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit import layers
from kerastoolkit.testing import assert_layers_match, layer_outputs_and_gradients

X = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")


class Shift(keras.layers.Layer):
    """x + offset, the offset's gradient either passed or stopped."""

    def __init__(self, stop=False, **kwargs):
        super().__init__(**kwargs)
        self.stop = stop

    def call(self, x, offset=None, mask=None):
        offset = ops.stop_gradient(offset) if self.stop else offset
        y = x + offset
        return y if mask is None else ops.where(mask[..., None], y, 0.0)


class Twice(keras.layers.Layer):
    """Two outputs: x and factor * x."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return [x, self.factor * x]


def test_keyword_gradients_are_compared():
    offset = np.ones_like(X)
    assert_layers_match(Shift(), Shift(), X, offset=offset)
    # Same outputs, but the offset's gradient is missing in ours.
    with pytest.raises(AssertionError, match="offset"):
        assert_layers_match(Shift(stop=True), Shift(), X, offset=offset)


def test_a_boolean_mask_is_passed_through_not_differentiated():
    mask = np.array([[True, False, True, True], [False, True, True, True]])
    offset = np.zeros_like(X)
    y, dx, weights, upstream = layer_outputs_and_gradients(Shift(), X, mask=mask, offset=offset)
    np.testing.assert_array_equal(y[~mask], 0.0)
    np.testing.assert_allclose(dx, upstream * mask[..., None])
    assert weights == []


def test_every_output_is_compared():
    y, dx, _, upstream = layer_outputs_and_gradients(Twice(), X)
    assert isinstance(y, list) and len(y) == len(upstream) == 2
    # float32 gradient vs the float64 sum of the two upstreams
    np.testing.assert_allclose(dx, upstream[0] + 2 * upstream[1], rtol=1e-5, atol=1e-6)
    assert_layers_match(Twice(), Twice(), X)
    with pytest.raises(AssertionError, match="output 1"):
        assert_layers_match(Twice(3.0), Twice(), X)


def test_upstream_must_cover_every_output():
    with pytest.raises(ValueError, match="one array per output"):
        layer_outputs_and_gradients(Twice(), X, upstream=[np.ones_like(X)])


def test_recurrent_states_and_their_gradients_are_compared():
    h0 = [np.zeros((2, 5), "float32"), np.full((2, 5), 0.5, "float32")]
    kwargs = dict(return_sequences=True, return_state=True)
    assert_layers_match(layers.LSTM(5, **kwargs), keras.layers.LSTM(5, **kwargs), X,
                        initial_state=h0, rtol=1e-5, atol=1e-6)
    # The same weights (copied) but a different cell activation: every output
    # still has the right shape, the numbers differ.
    ours = layers.LSTM(5, activation="relu", **kwargs)
    reference = keras.layers.LSTM(5, **kwargs)
    with pytest.raises(AssertionError, match="output"):
        assert_layers_match(ours, reference, X, initial_state=h0)
