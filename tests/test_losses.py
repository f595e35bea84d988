"""Losses: equal to Keras's (values, gradients, reductions, sample weights, clipping at 0 and
1), the hand-derived softmax/sigmoid cross-entropy gradients, fit/save/load, bad arguments."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerastoolkit import losses
from kerastoolkit.testing import assert_histories_close, value_and_gradients

# float32, same formulas as Keras: values and gradients agree to a few ulps
# (the gradients of clipped logs reach 1/epsilon = 1e7, hence relative).
RTOL = 1e-5
ATOL = 1e-6
# The range of extreme logits.
BIG = 1e4

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None, "none"]

batch_shapes = st.tuples(st.integers(1, 4), st.integers(2, 5))


def logits(shape):
    return hnp.arrays(np.float32, shape, elements=st.floats(-BIG, BIG, width=32))


def probabilities(shape):
    # Exactly 0 and exactly 1 are drawn often: the clipping must match Keras's there.
    p = st.one_of(st.just(0.0), st.just(1.0), st.floats(0, 1, width=32))
    return hnp.arrays(np.float32, shape, elements=p)


def value_and_grad(fn, y_true, y_pred):
    """The loss and the gradient of sum(loss * upstream) w.r.t. y_pred, upstream fixed."""

    def total(y_pred):
        loss = fn(y_true, y_pred)
        upstream = np.linspace(0.5, 1.5, int(np.prod(loss.shape)), dtype="float32")
        u = keras.ops.convert_to_tensor(upstream.reshape(loss.shape))
        return keras.ops.sum(keras.ops.cast(loss, "float32") * u), loss

    _, loss, (g,), _ = value_and_gradients(total, [y_pred])
    return loss, g


def assert_same(ours, theirs, y_true, y_pred):
    got = value_and_grad(ours, y_true, y_pred)
    want = value_and_grad(theirs, y_true, y_pred)
    for g, w, what in zip(got, want, ("loss", "gradient"), strict=True):
        assert np.array_equal(np.isfinite(g), np.isfinite(w)), what  # finite where Keras is
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=what)


# ------------------------------------------------------------- functions


@given(shape=batch_shapes, data=st.data())
def test_mean_squared_error_matches_keras(shape, data):
    y_true = data.draw(logits(shape))
    y_pred = data.draw(logits(shape))
    assert_same(losses.mean_squared_error, keras.losses.mean_squared_error, y_true, y_pred)


@given(
    shape=batch_shapes,
    from_logits=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.1, 1.0]),
    axis=st.sampled_from([-1, 0]),
    data=st.data(),
)
def test_binary_crossentropy_matches_keras(shape, from_logits, smoothing, axis, data):
    y_true = data.draw(hnp.arrays(np.float32, shape, elements=st.sampled_from([0.0, 1.0])))
    y_pred = data.draw(logits(shape) if from_logits else probabilities(shape))
    kwargs = {"from_logits": from_logits, "label_smoothing": smoothing, "axis": axis}
    assert_same(
        lambda t, p: losses.binary_crossentropy(t, p, **kwargs),
        lambda t, p: keras.losses.binary_crossentropy(t, p, **kwargs),
        y_true,
        y_pred,
    )


@given(
    shape=batch_shapes,
    from_logits=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.2]),
    axis=st.sampled_from([-1, 0]),
    data=st.data(),
)
def test_categorical_crossentropy_matches_keras(shape, from_logits, smoothing, axis, data):
    if smoothing:
        axis = -1  # Keras smooths with the size of the last axis whatever `axis` is
    classes, samples = (shape[0], shape[1]) if axis == 0 else (shape[1], shape[0])
    labels = data.draw(hnp.arrays(np.int64, samples, elements=st.integers(0, classes - 1)))
    y_true = np.eye(classes, dtype="float32")[labels]
    if axis == 0:
        y_true = y_true.T
    y_pred = data.draw(logits(shape) if from_logits else probabilities(shape))
    kwargs = {"from_logits": from_logits, "label_smoothing": smoothing, "axis": axis}
    assert_same(
        lambda t, p: losses.categorical_crossentropy(t, p, **kwargs),
        lambda t, p: keras.losses.categorical_crossentropy(t, p, **kwargs),
        y_true,
        y_pred,
    )


@given(
    classes=st.integers(2, 5),
    samples=st.integers(1, 4),
    from_logits=st.booleans(),
    data=st.data(),
)
def test_label_smoothing_along_axis_0_divides_by_that_axis_size(
    classes, samples, from_logits, data
):
    # Keras divides by the size of the last axis whatever `axis` is, so the reference is
    # Keras along the last axis of the transposed arrays; samples != classes tells them apart.
    if samples == classes:
        samples += 1
    labels = data.draw(hnp.arrays(np.int64, samples, elements=st.integers(0, classes - 1)))
    y_true = np.eye(classes, dtype="float32")[labels]  # (samples, classes)
    shape = (samples, classes)
    y_pred = data.draw(logits(shape) if from_logits else probabilities(shape))
    kwargs = {"from_logits": from_logits, "label_smoothing": 0.2}
    loss, grad = value_and_grad(
        lambda t, p: losses.categorical_crossentropy(t, p, axis=0, **kwargs), y_true.T, y_pred.T
    )
    loss_ref, grad_ref = value_and_grad(
        lambda t, p: keras.losses.categorical_crossentropy(t, p, axis=-1, **kwargs), y_true, y_pred
    )
    np.testing.assert_allclose(loss, loss_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad, grad_ref.T, rtol=RTOL, atol=ATOL)


def test_logits_gradient_is_exact_for_targets_not_summing_to_one():
    # d/dz of -sum_k t_k log softmax(z)_k is y * sum(t) - t; TensorFlow's fused kernel,
    # which Keras calls on TensorFlow, returns y - t, the gradient only when sum(t) = 1.
    t = np.array([[0.5, 0.2, 0.0], [0.1, 0.1, 0.1]], "float32")
    z = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]], "float32")
    y = np.exp(z.astype("float64"))
    y /= y.sum(axis=-1, keepdims=True)
    upstream = np.array([[0.5], [1.5]])  # value_and_grad's weights for two samples
    loss, grad = value_and_grad(
        lambda a, b: losses.categorical_crossentropy(a, b, from_logits=True), t, z
    )
    loss_ref, grad_ref = value_and_grad(
        lambda a, b: keras.losses.categorical_crossentropy(a, b, from_logits=True), t, z
    )
    np.testing.assert_allclose(loss, loss_ref, rtol=RTOL)
    np.testing.assert_allclose(grad, upstream * (y * t.sum(axis=-1, keepdims=True) - t), rtol=RTOL)
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_allclose(grad_ref, upstream * (y - t), rtol=RTOL)
    else:  # Keras on JAX and PyTorch differentiates its log-softmax: exact there too
        np.testing.assert_allclose(grad_ref, grad, rtol=RTOL)


@given(shape=batch_shapes, from_logits=st.booleans(), trailing=st.booleans(), data=st.data())
def test_sparse_categorical_crossentropy_matches_keras(shape, from_logits, trailing, data):
    labels = data.draw(hnp.arrays(np.int32, shape[:1], elements=st.integers(0, shape[1] - 1)))
    if trailing:
        labels = labels[:, None]  # labels of shape (batch, 1) are accepted too
    y_pred = data.draw(logits(shape) if from_logits else probabilities(shape))
    theirs = lambda t, p: keras.losses.sparse_categorical_crossentropy(  # noqa: E731
        t, p, from_logits=from_logits
    )
    if not from_logits and keras.backend.backend() != "tensorflow":
        # Keras's own backends disagree here: on TensorFlow it clips the
        # probabilities to [eps, 1 - eps] and then normalises them (through
        # softmax of their log); on JAX and PyTorch it normalises first and
        # clips after, so for rows that do not sum to 1 with entries at the
        # clip bounds the gradients differ. Ours follows TensorFlow on every
        # backend; the reference is TensorFlow's formula in Keras's ops.
        eps = keras.config.epsilon()
        theirs = lambda t, p: keras.losses.sparse_categorical_crossentropy(  # noqa: E731
            t, keras.ops.log(keras.ops.clip(p, eps, 1.0 - eps)), from_logits=True
        )
    assert_same(
        lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=from_logits),
        theirs,
        labels,
        y_pred,
    )


def test_probabilities_of_exactly_zero_and_one_are_finite():
    t = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    p = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")  # confidently wrong
    for ours, theirs in (
        (losses.binary_crossentropy, keras.losses.binary_crossentropy),
        (losses.categorical_crossentropy, keras.losses.categorical_crossentropy),
    ):
        got, grad = value_and_grad(ours, t, p)
        assert np.isfinite(got).all() and np.isfinite(grad).all()
        np.testing.assert_allclose(got, np.asarray(theirs(t, p)), rtol=RTOL)
    # -log(epsilon): the clipped cost of a probability of 0 for the true class.
    eps = keras.config.epsilon()
    np.testing.assert_allclose(
        np.asarray(losses.categorical_crossentropy(t, p)), -np.log(eps), rtol=RTOL
    )


def test_all_equal_logits_give_log_k():
    z = np.full((2, 4), BIG, "float32")
    t = np.eye(4, dtype="float32")[[0, 3]]
    np.testing.assert_allclose(
        np.asarray(losses.categorical_crossentropy(t, z, from_logits=True)), np.log(4), rtol=RTOL
    )
    np.testing.assert_allclose(
        np.asarray(losses.sparse_categorical_crossentropy([0, 3], z, from_logits=True)),
        np.log(4),
        rtol=RTOL,
    )


# ------------------------------------------------ hand-derived gradients


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@given(shape=batch_shapes, data=st.data())
def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot(shape, data):
    z = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(-30, 30, width=32)))
    labels = data.draw(hnp.arrays(np.int64, shape[:1], elements=st.integers(0, shape[1] - 1)))
    t = np.eye(shape[1], dtype="float32")[labels]
    y = _softmax(z.astype("float64"))
    for loss in (
        lambda z: losses.categorical_crossentropy(t, z, from_logits=True),
        lambda z: losses.sparse_categorical_crossentropy(labels, z, from_logits=True),
    ):
        total = lambda z, loss=loss: (keras.ops.sum(loss(z)), None)  # noqa: E731
        _, _, (g,), _ = value_and_gradients(total, [z])
        np.testing.assert_allclose(g, y - t, rtol=RTOL, atol=ATOL)


@given(shape=batch_shapes, data=st.data())
def test_softmax_cross_entropy_gradient_equals_autodiff(shape, data):
    # Any non-negative targets, not only distributions: the hand-derived gradient
    # y * sum(t) - t is exact, as autodiff of the written-out formula shows.
    z = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(-30, 30, width=32)))
    t = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(0, 2, width=32)))

    def written_out(t, z):
        s = z - keras.ops.max(z, axis=-1, keepdims=True)
        log_y = s - keras.ops.log(keras.ops.sum(keras.ops.exp(s), axis=-1, keepdims=True))
        return -keras.ops.sum(keras.ops.convert_to_tensor(t) * log_y, axis=-1)

    got = value_and_grad(lambda a, b: losses.categorical_crossentropy(a, b, from_logits=True), t, z)
    want = value_and_grad(written_out, t, z)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


@given(shape=batch_shapes, data=st.data())
def test_sigmoid_cross_entropy_gradient_is_sigmoid_minus_target(shape, data):
    z = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(-30, 30, width=32)))
    t = data.draw(hnp.arrays(np.float32, shape, elements=st.floats(0, 1, width=32)))
    _, g = value_and_grad(lambda a, b: losses.binary_crossentropy(a, b, from_logits=True), t, z)
    upstream = np.linspace(0.5, 1.5, shape[0], dtype="float32")[:, None]
    sigma = 1 / (1 + np.exp(-z.astype("float64")))
    np.testing.assert_allclose(g, upstream * (sigma - t) / shape[1], rtol=RTOL, atol=ATOL)


# ------------------------------------------------------ classes, reductions


def _loss_pair(name, **kwargs):
    return getattr(losses, name)(**kwargs), getattr(keras.losses, name)(**kwargs)


CLASS_CASES = [
    ("MeanSquaredError", {}, "real"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("CategoricalCrossentropy", {}, "one_hot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "one_hot_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
]


def _case_data(kind, rng, n=5, k=3):
    z = rng.normal(size=(n, k)).astype("float32") * 3
    if kind == "real":
        return rng.normal(size=(n, k)).astype("float32"), z
    if kind.startswith("binary"):
        t = rng.integers(0, 2, size=(n, k)).astype("float32")
        return t, z if kind.endswith("logits") else 1 / (1 + np.exp(-z))
    labels = rng.integers(0, k, size=n)
    p = z if kind.endswith("logits") else _softmax(z).astype("float32")
    return (labels if kind.startswith("sparse") else np.eye(k, dtype="float32")[labels]), p


@pytest.mark.parametrize("name, kwargs, kind", CLASS_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_classes_reduce_and_weight_like_keras(name, kwargs, kind, reduction):
    ours, theirs = _loss_pair(name, reduction=reduction, **kwargs)
    rng = np.random.default_rng(0)
    y_true, y_pred = _case_data(kind, rng)
    weights = rng.uniform(0, 2, size=len(y_pred)).astype("float32")
    for sample_weight in (None, weights):
        np.testing.assert_allclose(
            np.asarray(ours(y_true, y_pred, sample_weight=sample_weight)),
            np.asarray(theirs(y_true, y_pred, sample_weight=sample_weight)),
            rtol=RTOL,
            atol=ATOL,
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_class", [0, -1])
def test_sparse_ignore_class_like_keras(reduction, ignore_class):
    rng = np.random.default_rng(1)
    labels = np.array([0, 2, ignore_class, 1, ignore_class, 2])
    z = rng.normal(size=(6, 3)).astype("float32")
    weights = rng.uniform(0, 2, size=6).astype("float32")
    kwargs = {"from_logits": True, "ignore_class": ignore_class, "reduction": reduction}
    ours, theirs = _loss_pair("SparseCategoricalCrossentropy", **kwargs)
    for sample_weight in (None, weights):
        np.testing.assert_allclose(
            np.asarray(ours(labels, z, sample_weight=sample_weight)),
            np.asarray(theirs(labels, z, sample_weight=sample_weight)),
            rtol=RTOL,
            atol=ATOL,
        )


def test_constructor_defaults_and_configs_match_keras():
    for name in [
        "MeanSquaredError",
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "SparseCategoricalCrossentropy",
    ]:
        ours, theirs = _loss_pair(name)
        want, got = theirs.get_config(), ours.get_config()
        assert {key: got[key] for key in want} == want
        assert set(got) - set(want) <= {"dtype", "axis"}  # extras Keras does not save
        clone = type(ours).from_config(ours.get_config())
        assert clone.get_config() == ours.get_config()


# ------------------------------------------------------- fit, save, load


FIT_CASES = [
    ("MeanSquaredError", {}, "real"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "one_hot_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
]


@pytest.mark.parametrize("name, kwargs, kind", FIT_CASES)
def test_fit_matches_keras_loss(name, kwargs, kind):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y, _ = _case_data(kind, rng, n=32)
    reference = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, "tanh"), keras.layers.Dense(3)]
    )
    histories = []
    for loss in _loss_pair(name, **kwargs):
        model = keras.models.clone_model(reference)
        model.set_weights(reference.get_weights())
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
        histories.append(model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0))
    assert_histories_close(histories[0], histories[1], rtol=RTOL)


def test_saved_model_reloads_our_loss(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(
        optimizer="sgd",
        loss=losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is losses.CategoricalCrossentropy
    assert loaded.loss.get_config() == model.loss.get_config()


def test_functions_are_registered_under_our_names():
    for name in [
        "mean_squared_error",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
    ]:
        fn = getattr(losses, name)
        assert keras.saving.get_registered_object(f"kerastoolkit>{name}") is fn


# --------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: losses.MeanSquaredError(reduction="average"), ValueError, r"reduction=average"),
        (
            lambda: losses.BinaryCrossentropy(label_smoothing=1.5),
            ValueError,
            r"label_smoothing=1.5",
        ),
        (
            lambda: losses.CategoricalCrossentropy(from_logits="yes"),
            TypeError,
            r"from_logits='yes'",
        ),
        (lambda: losses.CategoricalCrossentropy(axis="last"), ValueError, r"axis='last'"),
        (lambda: losses.SparseCategoricalCrossentropy(axis=0), ValueError, r"axis=0"),
        (
            lambda: losses.SparseCategoricalCrossentropy(ignore_class=1.5),
            TypeError,
            r"ignore_class=1.5",
        ),
    ],
)
def test_bad_arguments_raise_at_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "fn", [losses.categorical_crossentropy, losses.binary_crossentropy], ids=lambda f: f.__name__
)
def test_mismatched_shapes_raise(fn):
    with pytest.raises(ValueError, match=r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"):
        fn(np.zeros((2, 3)), np.ones((2, 4)))
