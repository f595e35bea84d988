"""Dense equals keras.layers.Dense (outputs, gradients, any rank), saves, fails clearly."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.layers import Dense
from kerastoolkit.testing import assert_layers_match, layer_outputs_and_gradients

# float32: a product over at most 8 inputs and weight gradients summed over at
# most 3*4 rows; summation order differs by a few ulps.
RTOL, ATOL = 1e-6, 1e-6

# mixed_float16 keeps about 3 decimal digits.
FLOAT16_TOL = 1e-2


@given(
    lead=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    features=st.integers(1, 8),
    units=st.integers(1, 6),
    use_bias=st.booleans(),
    activation=st.sampled_from([None, "relu", "sigmoid", "softmax"]),
    seed=st.integers(0, 2**16),
)
def test_matches_keras_dense(lead, features, units, use_bias, activation, seed):
    x = np.random.default_rng(seed).normal(size=(*lead, features)).astype("float32")
    kwargs = dict(
        units=units, use_bias=use_bias, activation=activation, bias_initializer="random_normal"
    )
    assert_layers_match(Dense(**kwargs), keras.layers.Dense(**kwargs), x, rtol=RTOL, atol=ATOL)


def test_is_the_affine_map():
    x = np.array([[1.0, -2.0]], "float32")
    layer = Dense(3)
    layer.build(x.shape)
    w = np.arange(6, dtype="float32").reshape(2, 3)
    b = np.array([0.5, -0.5, 1.0], "float32")
    layer.set_weights([w, b])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), x @ w + b, rtol=RTOL)


def test_mixed_precision_computes_in_float16_with_float32_weights():
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    reference = Dense(3, activation="tanh")
    want = layer_outputs_and_gradients(reference, x)
    keras.config.set_dtype_policy("mixed_float16")
    layer = Dense(3, activation="tanh")
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    got = layer_outputs_and_gradients(layer, x, upstream=want[3])
    assert layer.kernel.dtype == "float32" and got[0].dtype == np.float16
    for g, w in zip([got[0], got[1], *got[2]], [want[0], want[1], *want[2]], strict=True):
        np.testing.assert_allclose(g, w, rtol=FLOAT16_TOL, atol=FLOAT16_TOL)


def test_config_round_trip_and_keras_weight_layout():
    layer = Dense(4, activation="relu", use_bias=False, kernel_regularizer="l2")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    ours, theirs = Dense(4), keras.layers.Dense(4)
    ours.build((None, 3))
    theirs.build((None, 3))
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


@pytest.mark.parametrize("units", [0, -3, 2.5, True])
def test_bad_units_are_refused(units):
    with pytest.raises(ValueError, match=f"units={units!r}"):
        Dense(units)


def test_rank_1_input_is_refused():
    with pytest.raises(ValueError, match="rank >= 2"):
        Dense(2).build((3,))
