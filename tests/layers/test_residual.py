"""Residual: y = F(x) + x, or F(x) + x W_s with a learned projection; serializes its block."""

import keras
import numpy as np
import pytest

from kerastoolkit.layers import BatchNormalization, Conv2D, Dense, Residual
from kerastoolkit.testing import layer_outputs_and_gradients

# float32: one extra addition (and a small product for the projection).
RTOL, ATOL = 1e-6, 1e-6

X = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")


def test_identity_shortcut_adds_the_input_and_its_gradient():
    block = Dense(4, activation="tanh")
    layer = Residual(block)
    y, dx, grads, upstream = layer_outputs_and_gradients(layer, X)
    fx, dfx, block_grads, _ = layer_outputs_and_gradients(block, X, upstream=upstream)
    assert layer.projection is None
    np.testing.assert_allclose(y, fx + X, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dfx + upstream, rtol=RTOL, atol=ATOL)  # the identity path
    for g, w in zip(grads, block_grads, strict=True):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def test_projection_shortcut_when_the_width_changes():
    block = Dense(6, activation="relu")
    layer = Residual(block)
    y = keras.ops.convert_to_numpy(layer(X))
    w_s = keras.ops.convert_to_numpy(layer.projection.kernel)
    assert w_s.shape == (4, 6) and layer.projection.bias is None
    fx = keras.ops.convert_to_numpy(block(X))
    np.testing.assert_allclose(y, fx + X @ w_s, rtol=RTOL, atol=ATOL)
    assert len(layer.trainable_weights) == 3  # block kernel, bias, W_s


def test_conv_block_with_projection_saves_and_loads(tmp_path):
    block = keras.Sequential(
        [Conv2D(5, 3, padding="same", activation="relu"), BatchNormalization()]
    )
    model = keras.Sequential(
        [keras.Input((6, 6, 2)), Residual(block), keras.layers.Flatten(), Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 2)).astype("float32")
    model.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    path = tmp_path / "residual.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is Residual and loaded.layers[0].projection is not None
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_config_serializes_the_block():
    layer = Residual(Dense(4, activation="relu"))
    clone = Residual.from_config(layer.get_config())
    assert type(clone.block) is Dense and clone.block.get_config() == layer.block.get_config()


def test_bad_blocks_are_refused():
    with pytest.raises(TypeError, match="block="):
        Residual(lambda x: x)
    with pytest.raises(ValueError, match="only the last axis"):
        Residual(Conv2D(2, 3))(np.zeros((1, 5, 5, 2), "float32"))
