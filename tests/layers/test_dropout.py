"""Dropout: the identity at inference, inverted dropout with the right statistics in training."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import Dropout
from kerastoolkit.testing import value_and_gradients

# Statistics over N Bernoulli draws: the kept fraction has standard deviation
# sqrt(p(1-p)/N); 5 of them is a bound a correct layer practically never crosses.
N = 200_000
SIGMAS = 5


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_training_keeps_the_right_fraction_and_the_mean(rate):
    layer = Dropout(rate, seed=7)
    y = keras.ops.convert_to_numpy(layer(np.ones((N,), "float32"), training=True))
    kept = y != 0
    bound = SIGMAS * np.sqrt(rate * (1 - rate) / N)
    assert abs(kept.mean() - (1 - rate)) < bound
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)  # inverted scaling
    assert abs(y.mean() - 1.0) < bound / (1 - rate)  # expectation unchanged


def test_inference_and_rate_zero_are_the_identity():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    for y in (Dropout(0.5)(x), Dropout(0.5)(x, training=False), Dropout(0.0)(x, training=True)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), x)


def test_fixed_seed_reproduces_masks_and_steps_draw_new_ones():
    x = np.ones((4, 16), "float32")
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    first_a, first_b = (keras.ops.convert_to_numpy(d(x, training=True)) for d in (a, b))
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, keras.ops.convert_to_numpy(a(x, training=True)))


def test_noise_shape_shares_the_mask_along_broadcast_axes():
    y = keras.ops.convert_to_numpy(
        Dropout(0.5, noise_shape=(None, 1, 8), seed=1)(np.ones((3, 5, 8), "float32"), training=True)
    )
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert 0 < (y == 0).mean() < 1


def test_gradient_is_the_mask_scaled():
    layer = Dropout(0.25, seed=2)
    _, y, (g,), _ = value_and_gradients(
        lambda x: (keras.ops.sum(y := layer(x, training=True)), y), [np.ones((2, 50), "float32")]
    )
    assert 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(g, y)


def test_mixed_precision_keeps_float16():
    keras.config.set_dtype_policy("mixed_float16")
    layer = Dropout(0.5, seed=0)
    y = layer(np.ones((2, 8), "float32"), training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert set(np.unique(keras.ops.convert_to_numpy(y))) <= {0.0, 2.0}


def test_config_round_trip():
    layer = Dropout(0.3, noise_shape=(None, 1), seed=4)
    assert Dropout.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None])
def test_bad_rate_is_refused(rate):
    with pytest.raises(ValueError, match=f"rate={rate!r}"):
        Dropout(rate)


def test_noise_shape_of_wrong_rank_is_refused():
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(1,))(np.ones((2, 3), "float32"), training=True)
