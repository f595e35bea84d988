"""kerastoolkit.testing's layer helpers: they compare what they say, and fail when it differs."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit import layers
from kerastoolkit.testing import (
    assert_histories_close,
    assert_layers_match,
    assert_optimizers_match,
    layer_outputs_and_gradients,
)

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


def _scaled_gradient(factor):
    """The identity, whose gradient is `factor` times the upstream one."""

    @ops.custom_gradient
    def f(x):
        def grad(*args, upstream=None):
            return factor * (args[0] if upstream is None else upstream)

        return x * 1.0, grad

    return f


class ScaledGradients(keras.layers.Layer):
    """x * w, with the gradients w.r.t. x and w scaled: same outputs, other gradients."""

    def __init__(self, input_factor=1.0, weight_factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.input_factor = input_factor
        self.weight_factor = weight_factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        w = _scaled_gradient(self.weight_factor)(self.w * 1.0)  # a tensor, not the variable
        return _scaled_gradient(self.input_factor)(x) * w


def test_input_and_weight_gradients_are_compared():
    assert_layers_match(ScaledGradients(), ScaledGradients(), X)
    with pytest.raises(AssertionError, match="input gradient"):
        assert_layers_match(ScaledGradients(input_factor=1.001), ScaledGradients(), X)
    with pytest.raises(AssertionError, match="weight gradient 0"):
        assert_layers_match(ScaledGradients(weight_factor=1.001), ScaledGradients(), X)


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


def test_assert_optimizers_match_fails_on_a_variable_or_a_slot():
    initial = [np.ones((3,), "float32")]
    steps = [[np.array([3.0, -0.5, 1.0], "float32")]]
    assert_optimizers_match(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), initial, steps)
    with pytest.raises(AssertionError, match="variable 0 after step 1"):
        assert_optimizers_match(
            keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1 * 1.001), initial, steps
        )
    # Adam's first step is lr * sign(g) up to epsilon whatever beta_2 is: the variables
    # agree, only the velocity slot, (1 - beta_2) g^2, tells them apart.
    with pytest.raises(AssertionError, match="slot .*velocity"):
        assert_optimizers_match(
            keras.optimizers.Adam(0.1, beta_2=0.99), keras.optimizers.Adam(0.1), initial, steps
        )
    with pytest.raises(AssertionError, match="optimizer variables"):
        assert_optimizers_match(
            keras.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1), initial,
            [[np.zeros((3,), "float32")]],
        )


def test_assert_histories_close_fails_on_a_value_or_a_metric():
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]}
    assert_histories_close(history, {"accuracy": [0.5, 0.75], "loss": [1.0, 0.5]})
    with pytest.raises(AssertionError, match="loss"):
        assert_histories_close(history, {"loss": [1.0, 0.5 * 1.001], "accuracy": [0.5, 0.75]})
    with pytest.raises(AssertionError, match="Different metrics"):
        assert_histories_close(history, {"loss": [1.0, 0.5]})
    with pytest.raises(AssertionError, match="accuracy"):
        assert_histories_close(history, {"loss": [1.0, 0.5], "accuracy": [0.5]})
