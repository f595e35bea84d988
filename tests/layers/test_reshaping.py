"""Flatten equals keras.layers.Flatten in both layouts and refuses bad arguments."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.layers import Flatten
from kerastoolkit.testing import assert_layers_match

# Flatten only moves numbers: exact.
RTOL, ATOL = 0.0, 0.0


@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
    seed=st.integers(0, 2**16),
)
def test_matches_keras_flatten(shape, data_format, seed):
    x = np.random.default_rng(seed).normal(size=(2, *shape)).astype("float32")
    assert_layers_match(
        Flatten(data_format), keras.layers.Flatten(data_format), x, rtol=RTOL, atol=ATOL
    )


def test_row_major_order_and_output_shape():
    x = np.arange(12, dtype="float32").reshape(1, 2, 3, 2)
    layer = Flatten()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x.reshape(1, 12))
    assert layer.compute_output_shape((None, 2, 3, 2)) == (None, 12)
    assert layer.compute_output_shape((None, None, 3)) == (None, None)


def test_config_round_trip_and_bad_format():
    layer = Flatten("channels_first")
    assert Flatten.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        Flatten("nhwc")
