"""LinearRegression / LogisticRegression: hand-derived gradients equal the tape and Keras."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.models import LinearRegression, LogisticRegression
from kerastoolkit.testing import assert_histories_close, value_and_gradients

# float32: the same sums in a different order differ by a few ulps.
RTOL = 1e-5
ATOL = 1e-6

MODELS = [LinearRegression, LogisticRegression]

problems = st.fixed_dictionaries(
    {
        "batch": st.integers(1, 8),
        "features": st.integers(1, 4),
        "seed": st.integers(0, 2**16),
        "weighted": st.booleans(),
    }
)


def to_numpy(tensor):
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(tensor))


def make_data(p, model_cls):
    rng = np.random.default_rng(p["seed"])
    x = rng.normal(size=(p["batch"], p["features"])).astype("float32")
    if model_cls is LogisticRegression:
        y = rng.integers(0, 2, size=(p["batch"], 1)).astype("float32")
    else:
        y = rng.normal(size=(p["batch"],)).astype("float32")
    sw = rng.uniform(0, 2, size=p["batch"]).astype("float32") if p["weighted"] else None
    return rng, x, y, sw


@pytest.mark.parametrize("model_cls", MODELS)
@given(p=problems)
def test_hand_derived_gradients_equal_the_tape(model_cls, p):
    rng, x, y, sw = make_data(p, model_cls)
    model = model_cls()
    model.build(x.shape)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    loss = lambda: (model.compute_loss(x, y, model(x), sw), None)  # noqa: E731
    _, _, _, want = value_and_gradients(loss, [], model.trainable_weights)
    for g, t in zip(model.gradients(x, y, sw), want, strict=True):
        np.testing.assert_allclose(to_numpy(g), t, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("model_cls", MODELS)
def test_losses_are_the_course_formulas(model_cls):
    rng, x, y, _ = make_data({"batch": 6, "features": 3, "seed": 1, "weighted": False}, model_cls)
    model = model_cls()
    y_pred = model(x)
    got = model.compute_loss(x, y, y_pred)
    if model_cls is LinearRegression:
        want = 0.5 * keras.losses.MeanSquaredError()(y[:, None], y_pred)
    else:
        want = keras.losses.BinaryCrossentropy()(y, y_pred)
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=RTOL)


def fit_both(ours, twin, twin_loss, twin_lr, x, y, momentum=0.0):
    twin.build(x.shape)
    ours.build(x.shape)
    ours.set_weights(twin.get_weights())
    ours.compile(keras.optimizers.SGD(0.2, momentum=momentum))
    twin.compile(keras.optimizers.SGD(twin_lr, momentum=momentum), loss=twin_loss)
    kwargs = {"epochs": 3, "batch_size": 4, "shuffle": False, "verbose": 0}
    return ours.fit(x, y, **kwargs), twin.fit(x, y, **kwargs)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_linear_regression_trains_like_dense_on_mse_at_half_the_rate(momentum):
    # J = MSE / 2, so SGD(lr) on J steps exactly like SGD(lr / 2) on MSE, with momentum
    # too (the velocity is linear in the gradient).
    rng = np.random.default_rng(2)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = (x @ [1.0, -2.0, 0.5] + 0.3).astype("float32")[:, None]
    ours, twin = LinearRegression(), keras.Sequential([keras.layers.Dense(1)])
    h_ours, h_twin = fit_both(ours, twin, "mse", 0.1, x, y, momentum=momentum)
    for a, b in zip(ours.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(
        2 * np.array(h_ours.history["loss"]), h_twin.history["loss"], rtol=RTOL
    )


def test_logistic_regression_trains_like_dense_sigmoid_on_bce():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 2)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:] > 0).astype("float32")
    ours = LogisticRegression()
    twin = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    h_ours, h_twin = fit_both(ours, twin, "binary_crossentropy", 0.2, x, y)
    for a, b in zip(ours.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    assert_histories_close(h_ours, h_twin, rtol=RTOL)


@pytest.mark.parametrize("model_cls", MODELS)
def test_keras_round_trip(tmp_path, model_cls):
    rng, x, y, _ = make_data({"batch": 8, "features": 2, "seed": 4, "weighted": False}, model_cls)
    model = model_cls(kernel_initializer="ones")
    model.compile(keras.optimizers.Adam(0.1))
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is model_cls and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    kwargs = {"epochs": 1, "batch_size": 4, "shuffle": False, "verbose": 0}
    assert_histories_close(loaded.fit(x, y, **kwargs), model.fit(x, y, **kwargs), rtol=RTOL)


@pytest.mark.parametrize("model_cls", MODELS)
def test_bad_usage_is_refused(model_cls):
    model = model_cls()
    with pytest.raises(ValueError, match="compile it without `loss`. Received: loss='mse'"):
        model.compile("sgd", loss="mse")
    model.compile("sgd")
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        model.fit(np.zeros((4, 2, 2), "float32"), np.zeros(4), verbose=0)
