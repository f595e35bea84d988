"""ConvolutionNetwork: equals its Keras-layer twin; manual backward equals the tape."""

import keras
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kerastoolkit import losses, optimizers
from kerastoolkit.models import ConvolutionNetwork
from kerastoolkit.testing import assert_histories_close, assert_layers_match, value_and_gradients

# float32: the same sums taken in a different order (im2col matmul vs the conv
# kernel's own gradient, our routing vs MaxPoolGrad) differ by a few ulps.
RTOL = 1e-5
ATOL = 1e-6
# After whole fit runs the few-ulp differences compound over the steps.
FIT_RTOL = 1e-5
FIT_ATOL = 1e-5


def to_numpy(tensor):
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(tensor))


def keras_twin(n_kernels, units, n_classes, image_shape):
    """The same network from Keras layers, outputting logits."""
    return keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Conv2D(n_kernels, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(n_classes),
        ]
    )


def random_weights(model, rng):
    """Normal weights and biases, so every ReLU and pooling branch is exercised."""
    model.set_weights([rng.normal(0.0, 0.5, size=w.shape).astype("float32") for w in model.weights])


def data(rng, batch, image_shape, n_classes):
    x = rng.uniform(-1.0, 1.0, size=(batch, *image_shape)).astype("float32")
    y = rng.integers(0, n_classes, size=batch)
    return x, y


shapes = st.fixed_dictionaries(
    {
        "batch": st.integers(1, 4),
        "height": st.integers(2, 7),
        "width": st.integers(2, 7),
        "channels": st.integers(1, 3),
        "n_kernels": st.integers(1, 3),
        "units": st.integers(1, 5),
        "n_classes": st.integers(2, 4),
        "seed": st.integers(0, 2**16),
    }
)


def build(s, backward="tape"):
    image_shape = (s["height"], s["width"], s["channels"])
    model = ConvolutionNetwork(s["n_kernels"], s["units"], s["n_classes"], backward=backward)
    model.build((None, *image_shape))
    return model, image_shape


@given(s=shapes)
def test_forward_and_gradients_equal_keras_layers(s):
    # PyTorch's CPU convolution cannot differentiate its kernel for one image,
    # one filter and several channels ("slow_conv2d: grad_weight must be
    # contiguous"), for Keras's Conv2D as for ours: not a case to compare there.
    assume(
        keras.backend.backend() != "torch"
        or not (s["batch"] == 1 and s["n_kernels"] == 1 and s["channels"] > 1)
    )
    model, image_shape = build(s)
    twin = keras_twin(s["n_kernels"], s["units"], s["n_classes"], image_shape)
    rng = np.random.default_rng(s["seed"])
    random_weights(twin, rng)
    x, _ = data(rng, s["batch"], image_shape, s["n_classes"])
    assert_layers_match(model, twin, x, rtol=RTOL, atol=ATOL)


@given(s=shapes, one_hot=st.booleans(), weighted=st.booleans())
def test_manual_gradients_equal_tape(s, one_hot, weighted):
    model, image_shape = build(s, backward="manual")
    rng = np.random.default_rng(s["seed"])
    random_weights(model, rng)
    x, y = data(rng, s["batch"], image_shape, s["n_classes"])
    if one_hot:
        y = keras.utils.to_categorical(y, s["n_classes"])
    sw = rng.uniform(0.0, 2.0, size=s["batch"]).astype("float32") if weighted else None
    loss = lambda: (model.compute_loss(x, y, model(x), sw), None)  # noqa: E731
    _, _, _, want = value_and_gradients(loss, [], model.trainable_weights)
    got = model.manual_gradients(x, y, sw)
    for w, g, t in zip(model.trainable_weights, got, want, strict=True):
        np.testing.assert_allclose(to_numpy(g), t, rtol=RTOL, atol=ATOL, err_msg=w.name)


def test_default_loss_is_mean_softmax_cross_entropy():
    rng = np.random.default_rng(0)
    model = ConvolutionNetwork(2, 3, 4)
    x, y = data(rng, 5, (4, 4, 1), 4)
    logits = model(x)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    got = model.compute_loss(x, y, logits)
    np.testing.assert_allclose(to_numpy(got), to_numpy(want), rtol=RTOL)


def test_course_network_has_the_course_parameter_count_and_routes_to_the_max():
    # The course's summary: 100 + 196,100 + 1,010 = 197,210 weights on 28x28x1.
    model = ConvolutionNetwork()
    model.build((None, 28, 28, 1))
    assert model.count_params() == 197_210
    r = keras.ops.convert_to_tensor([[[[1.0], [5.0]], [[3.0], [2.0]]]])
    routed = model._route_to_argmax(keras.ops.convert_to_tensor([[[[7.0]]]]), r)
    np.testing.assert_array_equal(to_numpy(routed)[0, :, :, 0], [[0.0, 7.0], [0.0, 0.0]])


def fit_pair(backward_a, backward_b, loss=None, **fit_kwargs):
    rng = np.random.default_rng(3)
    x, y = data(rng, 16, (6, 5, 2), 3)
    models = []
    for backward in (backward_a, backward_b):
        keras.utils.set_random_seed(0)
        model = ConvolutionNetwork(3, 4, 3, backward=backward)
        model.build((None, 6, 5, 2))
        random_weights(model, np.random.default_rng(1))
        model.compile(keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"])
        history = model.fit(x, y, batch_size=4, shuffle=False, verbose=0, **fit_kwargs)
        models.append((model, history))
    return models


def test_one_epoch_manual_ends_at_the_tape_weights():
    (tape, h_tape), (manual, h_manual) = fit_pair("tape", "manual", epochs=1)
    for a, b in zip(tape.get_weights(), manual.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=FIT_RTOL, atol=FIT_ATOL)
    assert_histories_close(h_manual, h_tape, rtol=FIT_RTOL, atol=FIT_ATOL)


@pytest.mark.parametrize(
    "loss, sparse",
    [
        (keras.losses.CategoricalCrossentropy(from_logits=True), False),
        (losses.CategoricalCrossentropy(from_logits=True), False),
        (keras.losses.SparseCategoricalCrossentropy(from_logits=True), True),
        (losses.SparseCategoricalCrossentropy(from_logits=True), True),
        # Keras's "mean" reduction is its "sum_over_batch_size", so the same gradient.
        (keras.losses.CategoricalCrossentropy(from_logits=True, reduction="mean"), False),
        (keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean"), True),
    ],
)
def test_manual_accepts_cross_entropy_from_logits(loss, sparse):
    rng = np.random.default_rng(2)
    x, y = data(rng, 8, (4, 4, 1), 3)
    if not sparse:
        y = keras.utils.to_categorical(y, 3)
    runs = []
    for backward in ("tape", "manual"):
        model = ConvolutionNetwork(2, 3, 3, backward=backward)
        model.build((None, 4, 4, 1))
        random_weights(model, np.random.default_rng(1))
        model.compile(keras.optimizers.Adam(0.01), loss=loss)
        runs.append(model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0))
    assert_histories_close(runs[1], runs[0], rtol=FIT_RTOL, atol=FIT_ATOL)


def test_fit_with_validation_and_callbacks_equals_the_keras_twin():
    rng = np.random.default_rng(4)
    x, y = data(rng, 16, (6, 6, 1), 3)
    x_val, y_val = data(rng, 8, (6, 6, 1), 3)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ours = ConvolutionNetwork(2, 4, 3)
    ours.build((None, 6, 6, 1))
    twin = keras_twin(2, 4, 3, (6, 6, 1))
    ours.set_weights(twin.get_weights())
    histories, seen = [], []
    for model in (ours, twin):
        model.compile(keras.optimizers.RMSprop(0.01), loss=loss, metrics=["accuracy"])
        epochs = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
        histories.append(
            model.fit(
                x, y, validation_data=(x_val, y_val), epochs=3, batch_size=8, shuffle=False,
                callbacks=[epochs], verbose=0,
            )
        )
    assert seen == [0, 1, 2, 0, 1, 2]
    assert set(histories[0].history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert_histories_close(histories[0], histories[1], rtol=FIT_RTOL, atol=FIT_ATOL)
    np.testing.assert_allclose(
        ours.evaluate(x_val, y_val, verbose=0), twin.evaluate(x_val, y_val, verbose=0),
        rtol=FIT_RTOL, atol=FIT_ATOL,
    )
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), twin.predict(x, verbose=0), rtol=FIT_RTOL, atol=FIT_ATOL
    )


@pytest.mark.parametrize("backward", ["tape", "manual"])
def test_keras_round_trip(tmp_path, backward):
    rng = np.random.default_rng(5)
    x, y = data(rng, 8, (5, 5, 1), 2)
    model = ConvolutionNetwork(2, 3, 2, backward=backward)
    # Our optimizer: its state is saved and restored with the model.
    model.compile(optimizers.Adam(0.01), metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = tmp_path / "convnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, ConvolutionNetwork)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    h_model = model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    h_loaded = loaded.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert_histories_close(h_loaded, h_model, rtol=FIT_RTOL, atol=FIT_ATOL)


# mixed_float16, ours vs the Keras-layer twin under the same policy: two epochs measured
# within 1.2e-5 relative in the loss and 2.4e-5 in the weights (float16 rounding).
MIXED_TOL = 2e-4


@pytest.mark.parametrize("backward", ["tape", "manual"])
def test_mixed_precision_trains_like_the_keras_twin(backward):
    keras.mixed_precision.set_global_policy("mixed_float16")
    rng = np.random.default_rng(6)
    x, y = data(rng, 8, (4, 4, 1), 2)
    model = ConvolutionNetwork(2, 3, 2, backward=backward)
    model.build((None, 4, 4, 1))
    random_weights(model, np.random.default_rng(1))
    twin = keras_twin(2, 3, 2, (4, 4, 1))
    twin.set_weights(model.get_weights())
    twin.compile(
        keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.compile(keras.optimizers.SGD(0.1))
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    reference = twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert_histories_close(history, reference, rtol=MIXED_TOL)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=MIXED_TOL, atol=MIXED_TOL)
    losses = history.history["loss"]
    assert all(w.dtype == "float32" for w in model.trainable_weights)
    assert keras.backend.standardize_dtype(model(x).dtype) == "float16"
    assert np.all(np.isfinite(losses)) and losses[1] < losses[0]


@pytest.mark.parametrize(
    "loss",
    [
        "categorical_crossentropy",
        keras.losses.CategoricalCrossentropy(),
        keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        keras.losses.MeanSquaredError(),
        keras.losses.CategoricalCrossentropy(from_logits=True, reduction="sum"),
        keras.losses.CategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight"
        ),
    ],
)
def test_manual_refuses_a_loss_it_cannot_differentiate(loss):
    model = ConvolutionNetwork(backward="manual")
    with pytest.raises(ValueError, match="backward='manual' differentiates softmax cross-entropy"):
        model.compile("sgd", loss=loss)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_kernels": 0}, "n_kernels=0"),
        ({"n_kernels": 2.5}, "n_kernels=2.5"),
        ({"units": -3}, "units=-3"),
        ({"n_classes": True}, "n_classes=True"),
        ({"backward": "auto"}, "backward='auto'"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvolutionNetwork(**kwargs)


def test_bad_inputs_and_targets_are_refused_clearly():
    model = ConvolutionNetwork(2, 3, 3)
    model.compile("sgd")
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        model.fit(np.zeros((4, 6, 6), "float32"), np.zeros(4), verbose=0)
    model.fit(np.zeros((4, 6, 6, 1), "float32"), np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match=r"one-hot rows of shape \(batch, 3\)"):
        model.fit(np.zeros((4, 6, 6, 1), "float32"), np.zeros((4, 5)), verbose=0)
    if keras.backend.backend() == "jax":
        # On JAX, Keras's fit/predict loops detach the variables' values while
        # they run and do not restore them when a traced step raises: a model
        # refused inside the loop cannot be used again, so take a fresh one.
        model = ConvolutionNetwork(2, 3, 3)
        model.compile("sgd")
        model.fit(np.zeros((4, 6, 6, 1), "float32"), np.zeros(4), verbose=0)
    with pytest.raises(ValueError, match=r"built for images of shape \(6, 6, 1\)"):
        model.predict(np.zeros((4, 8, 8, 1), "float32"), verbose=0)
