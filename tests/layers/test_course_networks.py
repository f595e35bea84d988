"""The course's CNN and MLP built from our layers: parameter counts, fit, save/load, vs Keras."""

import keras
import numpy as np
import pytest

from kerastoolkit import layers
from kerastoolkit.testing import assert_histories_close

# The course's parameter counts: conv 3*3*1*10 + 10, dense 1960*100 + 100 and
# 100*10 + 10; and 784*512 + 512 + 512*10 + 10.
COURSE_CNN_PARAMS = 197_210
MLP_PARAMS = 407_050

# A few float32 training steps on the same data from the same weights: the two
# models' losses and accuracies stay within accumulated float32 rounding.
HISTORY_RTOL = 1e-5

# mixed_float16 against float32: float16's unit roundoff is 2^-11 = 4.9e-4; the course
# CNN's probabilities (all below 0.25) were measured within 7e-4 relative (1.1e-4
# absolute) over four seeds.
FLOAT16_RTOL, FLOAT16_ATOL = 2e-3, 1e-5
# Ours against Keras's layers, both under mixed_float16: predictions measured bitwise
# equal (tolerance: one float16 ulp, 2^-10 relative); three epochs of fit measured within
# 9e-5 relative (a float32 weight ulp can flip a float16 rounding).
HALF_ULP = 2.0**-10
MIXED_HISTORY_RTOL = 5e-4

SAMPLES, EPOCHS = 16, 3


def course_cnn(L):
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(10, (3, 3), padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(100, activation="relu"),
            L.Dense(10, activation="softmax"),
        ]
    )


def mlp(L):
    return keras.Sequential(
        [
            keras.Input((784,)),
            L.Dense(512, activation="relu"),
            L.Dense(10, activation="softmax"),
        ]
    )


NETWORKS = {
    "course CNN": (course_cnn, COURSE_CNN_PARAMS, (28, 28, 1)),
    "MLP": (mlp, MLP_PARAMS, (784,)),
}


def _data(shape):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(SAMPLES, *shape)).astype("float32")
    return x, rng.integers(0, 10, size=(SAMPLES,))


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_trains_like_keras_and_reloads(name, tmp_path):
    build, params, shape = NETWORKS[name]
    ours, theirs = build(layers), build(keras.layers)
    assert ours.count_params() == theirs.count_params() == params
    ours.set_weights(theirs.get_weights())
    x, y = _data(shape)
    histories = []
    for model in (ours, theirs):
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        histories.append(model.fit(x, y, batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0))
    assert histories[0].history["loss"][-1] < histories[0].history["loss"][0]
    assert_histories_close(histories[0], histories[1], rtol=HISTORY_RTOL)

    path = tmp_path / "model.keras"
    ours.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in ours.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_regularized_cnn_with_dropout_batchnorm_residual_reloads(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Residual(layers.Conv2D(4, 3, padding="same", activation="relu")),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.3, seed=0),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 8, 8, 1)).astype("float32")
    model.fit(x, rng.integers(0, 3, size=(8,)), epochs=2, verbose=0)
    path = tmp_path / "regularized.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_course_cnn_trains_in_mixed_precision_close_to_float32_and_like_keras():
    """mixed_float16: float16 maths, float32 weights, predictions within float16 rounding
    of float32, and equal to Keras's layers under the same policy, in predict and fit."""
    x, y = _data((28, 28, 1))
    reference = course_cnn(layers)
    want = reference.predict(x, verbose=0)
    keras.config.set_dtype_policy("mixed_float16")
    model = course_cnn(layers)
    model.set_weights(reference.get_weights())
    assert all(w.dtype == "float32" for w in model.weights)
    assert all(layer.compute_dtype == "float16" for layer in model.layers)
    got = model.predict(x, verbose=0)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, want, rtol=FLOAT16_RTOL, atol=FLOAT16_ATOL)
    twin = course_cnn(keras.layers)
    twin.set_weights(reference.get_weights())
    np.testing.assert_allclose(got, twin.predict(x, verbose=0), rtol=HALF_ULP, atol=0)
    histories = []
    for m in (model, twin):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        histories.append(m.fit(x, y, batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0))
    assert_histories_close(histories[0], histories[1], rtol=MIXED_HISTORY_RTOL)
    assert histories[0].history["loss"][-1] < histories[0].history["loss"][0]
