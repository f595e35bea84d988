"""BatchNormalization equals keras.layers.BatchNormalization in training and inference."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.layers import BatchNormalization
from kerastoolkit.testing import assert_layers_match

# float32: batch statistics over at most 3*5*5 = 75 values, then a division by
# sqrt(var + eps); the two libraries order the reductions differently.
RTOL, ATOL = 1e-5, 1e-5

# mixed_float16 outputs keep about 3 decimal digits.
FLOAT16_TOL = 1e-2


@st.composite
def bn_cases(draw):
    rank = draw(st.integers(2, 4))
    shape = (draw(st.integers(2, 3)), *(draw(st.integers(1, 5)) for _ in range(rank - 1)))
    seed = draw(st.integers(0, 2**16))
    kwargs = dict(
        axis=draw(st.integers(-rank + 1, rank - 1).filter(lambda a: a != 0)),
        momentum=draw(st.sampled_from([0.0, 0.5, 0.99])),
        epsilon=draw(st.sampled_from([1e-3, 0.1])),
        center=draw(st.booleans()),
        scale=draw(st.booleans()),
        beta_initializer="random_normal",
        gamma_initializer="random_uniform",
        # Moving statistics far from Keras's defaults (0 and 1), so momentum shows.
        moving_mean_initializer=keras.initializers.RandomNormal(0.0, 2.0, seed=seed),
        moving_variance_initializer=keras.initializers.RandomUniform(0.25, 4.0, seed=seed),
    )
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=shape).astype("float32")
    return kwargs, x


@pytest.mark.parametrize("training", [True, False])
@given(case=bn_cases())
def test_matches_keras_batch_normalization(training, case):
    kwargs, x = case
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    assert_layers_match(ours, theirs, x, training=training, rtol=RTOL, atol=ATOL)
    # From the same (non-trivial, drawn) moving statistics, two more training steps
    # on shifted batches move them alike, and inference uses them alike.
    ours.set_weights(theirs.get_weights())
    for shift in (0.0, 1.5):
        ours(x + shift, training=True)
        theirs(x + shift, training=True)
    assert_moving_statistics_equal(ours, theirs)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x, training=False)),
        keras.ops.convert_to_numpy(theirs(x, training=False)),
        rtol=RTOL,
        atol=ATOL,
        err_msg="inference after training",
    )


def assert_moving_statistics_equal(ours, theirs):
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(getattr(ours, name)),
            keras.ops.convert_to_numpy(getattr(theirs, name)),
            rtol=RTOL,
            atol=ATOL,
            err_msg=name,
        )


def test_moving_statistics_match_keras_after_several_steps():
    rng = np.random.default_rng(0)
    batches = [rng.normal(1.0, 2.0, size=(8, 4, 4, 3)).astype("float32") for _ in range(6)]
    ours, theirs = BatchNormalization(momentum=0.9), keras.layers.BatchNormalization(momentum=0.9)
    for x in batches:
        ours(x, training=True)
        theirs(x, training=True)
    assert_moving_statistics_equal(ours, theirs)
    x = batches[0]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), keras.ops.convert_to_numpy(theirs(x)), RTOL, ATOL
    )


def test_training_standardizes_the_batch():
    x = np.random.default_rng(1).normal(5.0, 4.0, size=(64, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(BatchNormalization(epsilon=1e-8)(x, training=True))
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=ATOL)
    np.testing.assert_allclose(y.std(axis=0), 1.0, rtol=RTOL)


def test_frozen_layer_uses_and_keeps_moving_statistics():
    x = np.random.default_rng(2).normal(size=(4, 2)).astype("float32")
    layer = BatchNormalization(epsilon=1e-8)
    layer.build(x.shape)
    layer.trainable = False
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_allclose(y, x, rtol=RTOL, atol=ATOL)  # moving mean 0, variance 1
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.moving_mean), [0, 0])


def test_weights_layout_and_trainability_match_keras():
    ours, theirs = BatchNormalization(), keras.layers.BatchNormalization()
    ours.build((None, 5))
    theirs.build((None, 5))
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.name for w in ours.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in ours.non_trainable_weights] == ["moving_mean", "moving_variance"]


def test_mixed_precision_keeps_float32_statistics():
    x = np.random.default_rng(3).normal(size=(6, 4)).astype("float32")
    want = keras.ops.convert_to_numpy(BatchNormalization()(x, training=True))
    keras.config.set_dtype_policy("mixed_float16")
    layer = BatchNormalization()
    y = layer(x, training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), want, atol=FLOAT16_TOL)


def test_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False)
    assert BatchNormalization.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, match",
    [({"momentum": 1.5}, "momentum=1.5"), ({"epsilon": 0}, "epsilon=0"), ({"axis": "x"}, "axis")],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNormalization(**kwargs)


def test_axis_out_of_range_is_refused_at_build():
    with pytest.raises(ValueError, match="axis=3"):
        BatchNormalization(axis=3)(np.zeros((2, 3), "float32"))
