"""Activation functions: equal to Keras's (values and gradients), hand-written gradients equal
to autodiff, the course's worked examples, identities, fit/save/load, and bad arguments."""

import keras
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerastoolkit
from kerastoolkit import activations
from kerastoolkit.testing import assert_histories_close, assert_layers_match, value_and_gradients

# float32, same primitive ops as Keras: values and gradients agree to a few ulps.
RTOL = 1e-5
ATOL = 1e-6
# Hand-written gradient vs autodiff of the written-out formula: different
# rounding orders. sigma(1 - sigma) and 1 - tanh^2 are computed from the rounded
# output y ~ 1, so their error is absolute, a few float32 eps (1.19e-7) times the
# upstream gradient (drawn in [-1, 1]); elsewhere a few ulps relative.
AUTODIFF_RTOL = 1e-5
AUTODIFF_ATOL = 8 * float(np.finfo(np.float32).eps)
# Course examples are quoted to 7-8 significant digits.
COURSE_RTOL = 1e-6
# float16 keeps ~3 decimal digits.
HALF_RTOL = 1e-2
HALF_ATOL = 1e-3
# mixed_float16, ours vs Keras's activations: predictions measured within one float16
# ulp (2.4e-4 at 0.33, 7e-4 relative); two epochs of fit within 1.5e-5 relative in the
# loss and 2e-5 in the weights.
MIXED_PREDICT_RTOL = 2e-3
MIXED_FIT_TOL = 2e-4
# The range of extreme inputs.
BIG = 1e4

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def _floats(bound):
    return st.floats(-bound, bound, width=32, allow_nan=False, allow_infinity=False)


def arrays(shape=shapes, bound=BIG, kinks=(0.0,)):
    """Arrays whose every element is drawn on its own (no repeated fill value), from a
    mix of ranges: moderate (|x| <= 1 and <= 20, where the curves bend), the full
    `bound`, and the kinks exactly."""
    elements = st.one_of(
        _floats(min(bound, 1.0)),
        _floats(min(bound, 20.0)),
        _floats(bound),
        *([st.sampled_from([np.float32(k) for k in kinks])] if kinks else []),
    )
    return hnp.arrays(np.float32, shape, elements=elements, fill=st.nothing())


def wrap(fn, **kwargs):
    """An Activation layer around `fn` with fixed hyperparameters."""
    return keras.layers.Activation(lambda x: fn(x, **kwargs))


def value_and_grad(fn, x, upstream=None):
    """fn(x) and the gradient of sum(fn(x) * upstream) (upstream defaults to ones)."""

    def total(x):
        y = fn(x)
        w = np.ones(y.shape, "float32") if upstream is None else upstream
        w = keras.ops.convert_to_tensor(w, "float32")
        return keras.ops.sum(keras.ops.cast(y, "float32") * w), y

    _, y, (g,), _ = value_and_gradients(total, [x])
    return y, g


# ---------------------------------------------------------------- vs Keras


PARAMETERLESS = [
    (activations.sigmoid, keras.activations.sigmoid),
    (activations.tanh, keras.activations.tanh),
    (activations.relu, keras.activations.relu),
    (activations.identity, keras.activations.linear),
]


@pytest.mark.parametrize("ours, theirs", PARAMETERLESS, ids=lambda f: f.__name__)
@given(x=arrays())
def test_parameterless_match_keras(ours, theirs, x):
    assert_layers_match(wrap(ours), wrap(theirs), x, rtol=RTOL, atol=ATOL)


@given(x=arrays(), s=st.floats(0, 3))  # slopes above 1 take the other derivative branch
def test_leaky_relu_matches_keras(x, s):
    assert_layers_match(
        wrap(activations.leaky_relu, negative_slope=s),
        wrap(keras.activations.leaky_relu, negative_slope=s),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


@given(x=arrays(), alpha=st.one_of(st.just(1.0), st.floats(0, 3)))  # 1: its own gradient form
def test_elu_matches_keras(x, alpha):
    assert_layers_match(
        wrap(activations.elu, alpha=alpha),
        wrap(keras.activations.elu, alpha=alpha),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


@given(
    x=arrays(bound=20, kinks=(0.0, 0.5, 1.0, 2.0, 6.0)),
    s=st.sampled_from([0.0, 0.1, 0.5]),
    m=st.sampled_from([None, 1.0, 6.0]),
    theta=st.sampled_from([0.0, 0.5, 2.0]),
)
def test_relu_with_keras_options_matches_keras(x, s, m, theta):
    # The elements include the kinks x = theta and x = m exactly.
    kwargs = {"negative_slope": s, "max_value": m, "threshold": theta}
    assert_layers_match(
        wrap(activations.relu, **kwargs),
        wrap(keras.activations.relu, **kwargs),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


# Every kink: x = 0, x = theta and x = max_value, for each branch of relu's code (plain,
# leaky, capped by relu6 or by a clip, thresholded, capped below the threshold).
RELU_KINKS = [
    {},
    {"negative_slope": 0.3},
    {"max_value": 6.0},
    {"max_value": 6.0, "negative_slope": 0.3},
    {"max_value": 5.0},
    {"max_value": 5.0, "negative_slope": 0.3},
    {"threshold": 2.0},
    {"threshold": 2.0, "negative_slope": 0.3},
    {"threshold": 2.0, "max_value": 6.0},
    {"threshold": 2.0, "max_value": 5.0, "negative_slope": 0.3},
    {"threshold": 2.0, "max_value": 1.0, "negative_slope": 0.3},
]


@pytest.mark.parametrize("kwargs", RELU_KINKS, ids=str)
def test_relu_gradient_at_its_kinks_equals_keras(kwargs):
    kinks = [0.0, kwargs.get("threshold", 0.0), kwargs.get("max_value") or 0.0]
    x = np.array(sorted(set(kinks)) + [-1.0, 1.5, 3.0, 7.0], "float32")
    upstream = np.linspace(0.5, 2.0, x.size).astype("float32")
    y, g = value_and_grad(lambda v: activations.relu(v, **kwargs), x, upstream)
    y_ref, g_ref = value_and_grad(lambda v: keras.activations.relu(v, **kwargs), x, upstream)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(g, g_ref)


# Keras's slopes at the kinks that differ by backend (relu's docstring): at a clipped cap
# TensorFlow's and PyTorch's clip pass the boundary, JAX's maximum/minimum split the tie;
# at 0 TensorFlow's and PyTorch's leaky ReLU take s, JAX's `where(x >= 0, ...)` takes 1.
ON_JAX = keras.backend.backend() == "jax"
SLOPE_AT_CLIPPED_CAP = 0.5 if ON_JAX else 1.0


def test_relu_gradient_at_its_kinks_written_out():
    # relu6 has slope 0 at 6; a clip at any other cap: 1, or 1/2 on JAX.
    x = np.array([0.0, 5.0, 6.0], "float32")
    assert value_and_grad(lambda v: activations.relu(v, max_value=6.0), x)[1].tolist() == [0, 1, 0]
    g = value_and_grad(lambda v: activations.relu(v, max_value=5.0), x)[1]
    assert g.tolist() == [0, SLOPE_AT_CLIPPED_CAP, 0]
    x = np.array([1.0, 2.0, 3.0], "float32")  # theta = 2: slope s below, 0 at, 1 above
    g = value_and_grad(lambda v: activations.relu(v, negative_slope=0.5, threshold=2.0), x)[1]
    assert g.tolist() == [0.5, 0.0, 1.0]
    x = np.array([-1.0, 0.0, 1.0], "float32")  # leaky ReLU at 0: s, or 1 on JAX
    for s in (0.5, 2.0):  # both derivative branches
        g = value_and_grad(lambda v, s=s: activations.leaky_relu(v, s), x)[1]
        assert g.tolist() == [s, 1.0 if ON_JAX else s, 1.0]


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda v: activations.leaky_relu(v, 0.2), lambda v: keras.activations.leaky_relu(v, 0.2)),
        (lambda v: activations.leaky_relu(v, 1.5), lambda v: keras.activations.leaky_relu(v, 1.5)),
        (activations.elu, keras.activations.elu),
        (lambda v: activations.elu(v, 0.5), lambda v: keras.activations.elu(v, 0.5)),
    ],
    ids=["leaky_relu", "leaky_relu(slope above 1)", "elu", "elu(alpha=0.5)"],
)
def test_other_kinks_at_zero_equal_keras(ours, theirs):
    x = np.array([-1e-3, 0.0, 1e-3], "float32")
    y, g = value_and_grad(ours, x)
    y_ref, g_ref = value_and_grad(theirs, x)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(g, g_ref, rtol=RTOL, atol=ATOL)


@given(x=arrays(), axis=st.integers(-1, 0))
def test_softmax_and_log_softmax_match_keras(x, axis):
    for ours, theirs in (
        (activations.softmax, keras.activations.softmax),
        (activations.log_softmax, keras.activations.log_softmax),
    ):
        assert_layers_match(
            wrap(ours, axis=axis), wrap(theirs, axis=axis), x, rtol=RTOL, atol=ATOL
        )


@given(x=arrays(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), bound=50))
def test_softmax_over_several_axes_matches_float64(x):
    # Keras's layer computes several axes as exp(x - logsumexp(x)), which loses
    # ulp(max x) in the exponent; the reference here is float64 NumPy instead.
    axes = (-2, -1)
    upstream = np.random.default_rng(0).uniform(-1, 1, size=x.shape)
    y, g = value_and_grad(lambda v: activations.softmax(v, axis=axes), x, upstream)
    x64 = x.astype("float64")
    e = np.exp(x64 - x64.max(axis=axes, keepdims=True))
    y64 = e / e.sum(axis=axes, keepdims=True)
    g64 = y64 * (upstream - (upstream * y64).sum(axis=axes, keepdims=True))
    np.testing.assert_allclose(y, y64, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g, g64, rtol=RTOL, atol=ATOL)


@given(
    x=arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)),
    axis=st.sampled_from([0, -1]),
)
def test_glu_matches_keras(x, axis):
    x = np.concatenate([x, -x[::-1]], axis=axis)  # an even size along `axis`
    assert_layers_match(
        wrap(activations.glu, axis=axis),
        wrap(keras.activations.glu, axis=axis),
        x,
        rtol=RTOL,
        atol=ATOL,
    )


@given(x=arrays())
@example(x=np.array([-1e-3, 0.0, 1e-3], "float32"))  # at and around the kink
def test_step_matches_heaviside_with_zero_gradient(x):
    """The step is Keras's heaviside(x, 0) and passes back exactly zero, the kink included.
    Keras's heaviside passes back zero on TensorFlow and JAX too, but has no derivative on
    PyTorch (aten::heaviside), so the zero is stated rather than compared with Keras's."""
    y, g = value_and_grad(activations.step, x)
    np.testing.assert_array_equal(y, keras.ops.convert_to_numpy(keras.ops.heaviside(x, 0.0)))
    np.testing.assert_array_equal(g, np.zeros_like(x))


# ------------------------------------------------- hand-written = autodiff


def _naive_sigmoid(x):
    return 1 / (1 + keras.ops.exp(-x))


AUTODIFF = {
    "sigmoid": (activations.sigmoid, _naive_sigmoid),
    "tanh": (activations.tanh, lambda x: (1 - keras.ops.exp(-2 * x)) / (1 + keras.ops.exp(-2 * x))),
    "relu": (activations.relu, lambda x: keras.ops.where(x > 0, x, 0.0)),
    "leaky_relu": (
        lambda x: activations.leaky_relu(x, 0.3),
        lambda x: keras.ops.where(x > 0, x, 0.3 * x),
    ),
    "leaky_relu(slope above 1)": (
        lambda x: activations.leaky_relu(x, 2.0),
        lambda x: keras.ops.where(x > 0, x, 2.0 * x),
    ),
    "elu(alpha=1)": (
        activations.elu,
        lambda x: keras.ops.where(x > 0, x, keras.ops.exp(keras.ops.minimum(x, 0)) - 1),
    ),
    "elu": (
        lambda x: activations.elu(x, 1.5),
        lambda x: keras.ops.where(x > 0, x, 1.5 * (keras.ops.exp(keras.ops.minimum(x, 0)) - 1)),
    ),
    "relu(threshold, max_value)": (
        lambda x: activations.relu(x, 0.2, 3.0, 0.5),
        lambda x: keras.ops.where(x > 0.5, keras.ops.minimum(x, 3.0), 0.2 * (x - 0.5)),
    ),
    "softmax": (
        lambda x: activations.softmax(x, axis=0),
        lambda x: keras.ops.exp(x) / keras.ops.sum(keras.ops.exp(x), axis=0, keepdims=True),
    ),
    "log_softmax": (
        activations.log_softmax,
        lambda x: x - keras.ops.log(keras.ops.sum(keras.ops.exp(x), axis=-1, keepdims=True)),
    ),
}


AUTODIFF_KINKS = [0.0, 0.5, 3.0]  # the formulas' kinks, where autodiff takes its own convention


def _at_a_kink(a):
    # A float32 subnormal is the kink 0 to CPU kernels that flush subnormals to zero
    # (XLA's, so JAX's): there `minimum(x, 0)` ties and its derivative is split in two.
    return np.isin(a, AUTODIFF_KINKS) | (np.abs(a) < np.finfo(np.float32).tiny)


@pytest.mark.parametrize("name", AUTODIFF)
@given(
    x=arrays(bound=5, kinks=()).map(lambda a: np.where(_at_a_kink(a), a + np.float32(0.125), a)),
    seed=st.integers(0, 2**16),
)
def test_hand_written_gradient_equals_autodiff(name, x, seed):
    # Moderate inputs: the written-out formulas do not overflow, and float32 tanh
    # (which rounds to exactly 1 beyond |x| ~ 7.9, where 1 - y^2 is then 0) is not
    # saturated; no kinks (moved off them above).
    ours, formula = AUTODIFF[name]
    upstream = np.random.default_rng(seed).uniform(-1, 1, size=x.shape).astype("float32")
    y, g = value_and_grad(ours, x, upstream)
    y_ref, g_ref = value_and_grad(formula, x, upstream)
    np.testing.assert_allclose(y, y_ref, rtol=AUTODIFF_RTOL, atol=AUTODIFF_ATOL)
    np.testing.assert_allclose(g, g_ref, rtol=AUTODIFF_RTOL, atol=AUTODIFF_ATOL)


def test_course_derivative_formulas_hold():
    x = np.linspace(-4, 4, 9, dtype="float32")
    s, ds = value_and_grad(activations.sigmoid, x)
    np.testing.assert_allclose(ds, s * (1 - s), rtol=COURSE_RTOL)
    t, dt = value_and_grad(activations.tanh, x)
    np.testing.assert_allclose(dt, 1 - t**2, rtol=COURSE_RTOL, atol=ATOL)
    assert ds.max() == pytest.approx(0.25)  # the sigmoid's slope never exceeds 1/4
    _, dr = value_and_grad(activations.relu, x)
    np.testing.assert_array_equal(dr, (x > 0).astype("float32"))


# ---------------------------------------------------------- worked examples


def test_course_softmax_example():
    y = np.asarray(activations.softmax(np.array([0.3, 2.9, 4.0], "float32")))
    np.testing.assert_allclose(y, [0.01821127, 0.24519181, 0.73659691], rtol=COURSE_RTOL)
    assert y.sum() == pytest.approx(1.0)


def test_course_softmax_overflow_example():
    a = np.array([1010, 1000, 990], "float32")
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(a) / np.sum(np.exp(a))
    assert np.isnan(naive).all()  # exp(1010) overflows: inf / inf
    y = np.asarray(activations.softmax(a))
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, [9.999546e-01, 4.539787e-05, 2.061060e-09], rtol=COURSE_RTOL)


def test_course_softmax_over_rows():
    x = np.array([[4, 5], [10, 1]], "float32")
    y = np.asarray(activations.softmax(x, axis=1))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=COURSE_RTOL)
    np.testing.assert_allclose(y.sum(axis=1), [1, 1], rtol=COURSE_RTOL)
    np.testing.assert_allclose(
        y, [[0.26894142, 0.73105858], [0.99987661, 0.00012339458]], rtol=COURSE_RTOL
    )
    # Over columns instead: softmax(4, 10) and softmax(5, 1), each column summing to 1.
    y0 = np.asarray(activations.softmax(x, axis=0))
    np.testing.assert_allclose(
        y0, [[0.0024726232, 0.98201379], [0.99752738, 0.017986210]], rtol=COURSE_RTOL
    )
    np.testing.assert_allclose(y0.sum(axis=0), [1, 1], rtol=COURSE_RTOL)


# --------------------------------------------------------------- identities


@given(x=arrays())
def test_leaky_relu_with_slope_zero_is_relu(x):
    y, g = value_and_grad(lambda v: activations.leaky_relu(v, 0.0), x)
    y_ref, g_ref = value_and_grad(activations.relu, x)
    np.testing.assert_array_equal(y, y_ref)
    if ON_JAX:
        # Keras's JAX leaky ReLU has slope 1 at 0 and its ReLU slope 0, and ours follows
        # Keras: there the identity holds except at the kink, where XLA's CPU kernels
        # treat a subnormal as 0 too.
        g_ref = np.where(np.abs(x) < np.finfo(np.float32).tiny, 1.0, g_ref)
    np.testing.assert_array_equal(g, g_ref)


@given(x=arrays(st.tuples(st.integers(1, 6)), bound=80))
def test_softmax_of_x_and_zero_is_sigmoid(x):
    pair = np.stack([x, np.zeros_like(x)], axis=-1)
    np.testing.assert_allclose(
        np.asarray(activations.softmax(pair))[:, 0],
        np.asarray(activations.sigmoid(x)),
        rtol=RTOL,
        atol=ATOL,
    )


@given(x=arrays(bound=30))
def test_log_softmax_is_log_of_softmax(x):
    np.testing.assert_allclose(
        np.exp(np.asarray(activations.log_softmax(x))),
        np.asarray(activations.softmax(x)),
        rtol=RTOL,
        atol=ATOL,
    )


# ---------------------------------------------------------- extreme inputs


EVERY = {
    # h'(x) = 0: Keras's heaviside has no derivative on PyTorch, so stop its gradient.
    "step": (activations.step, lambda x: keras.ops.heaviside(keras.ops.stop_gradient(x), 0.0)),
    "sigmoid": (activations.sigmoid, keras.activations.sigmoid),
    "tanh": (activations.tanh, keras.activations.tanh),
    "relu": (activations.relu, keras.activations.relu),
    "leaky_relu": (activations.leaky_relu, keras.activations.leaky_relu),
    "elu": (activations.elu, keras.activations.elu),
    "softmax": (activations.softmax, keras.activations.softmax),
    "log_softmax": (activations.log_softmax, keras.activations.log_softmax),
    "glu": (activations.glu, keras.activations.glu),
}


@pytest.mark.parametrize("name", EVERY)
def test_finite_wherever_keras_is_finite(name):
    ours, theirs = EVERY[name]
    x = np.array(
        [[-BIG, BIG, 0.0, -1e-30], [BIG, BIG, BIG, BIG], [-BIG, -BIG, -BIG, -BIG], [3.0] * 4],
        "float32",
    )
    width = 2 if name == "glu" else 4  # glu halves the last axis
    upstream = np.random.default_rng(0).normal(size=(4, width)).astype("float32")
    y, g = value_and_grad(ours, x, upstream)
    y_ref, g_ref = value_and_grad(theirs, x, upstream)
    assert np.array_equal(np.isfinite(y), np.isfinite(y_ref))
    assert np.array_equal(np.isfinite(g), np.isfinite(g_ref))
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g, g_ref, rtol=RTOL, atol=ATOL)


def test_all_equal_logits_give_the_uniform_distribution():
    x = np.full((2, 5), 1e4, "float32")
    np.testing.assert_allclose(np.asarray(activations.softmax(x)), 0.2, rtol=COURSE_RTOL)
    np.testing.assert_allclose(np.asarray(activations.log_softmax(x)), -np.log(5), rtol=COURSE_RTOL)


@pytest.mark.parametrize("name", EVERY)
def test_float16_values_and_gradients(name):
    ours, theirs = EVERY[name]
    x = np.linspace(-6, 6, 8, dtype="float16").reshape(2, 4)
    y, g = value_and_grad(ours, x)
    y_ref, g_ref = value_and_grad(theirs, x)
    assert y.dtype == np.float16 and g.dtype == np.float16
    np.testing.assert_allclose(y, y_ref, rtol=HALF_RTOL, atol=HALF_ATOL)
    np.testing.assert_allclose(g, g_ref, rtol=HALF_RTOL, atol=HALF_ATOL)


def test_mixed_precision_dense_layers_train_like_keras_activations():
    # Under mixed_float16 both models compute in float16: same predictions and the same
    # fit as Keras's activations, to float16 rounding compounded over the steps.
    keras.config.set_dtype_policy("mixed_float16")
    x, y = _data()
    reference = _mlp(keras.activations)
    models, histories = [], []
    for acts in (activations, keras.activations):
        model = _mlp(acts)
        model.set_weights(reference.get_weights())
        assert model.layers[0].compute_dtype == "float16"
        np.testing.assert_allclose(
            model.predict(x, verbose=0), reference.predict(x, verbose=0),
            rtol=MIXED_PREDICT_RTOL, atol=1e-5,
        )
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        histories.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0))
        models.append(model)
    assert_histories_close(histories[0], histories[1], rtol=MIXED_FIT_TOL)
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=MIXED_FIT_TOL, atol=MIXED_FIT_TOL)


# -------------------------------------------------------- fit, save, load


def _mlp(acts):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6, activation=acts.relu),
            keras.layers.Dense(6, activation=acts.elu),
            keras.layers.Dense(6, activation=acts.tanh),
            keras.layers.Dense(6, activation=acts.leaky_relu),
            keras.layers.Dense(6, activation=acts.sigmoid),
            keras.layers.Dense(3, activation=acts.softmax),
        ]
    )


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 3, size=32)


# The two fits run the same maths in a different op order (Keras's loss fuses
# softmax and log when it sees Keras's softmax): a few ulps per step, compounded.
FIT_RTOL = 1e-5


def test_fit_matches_keras_activations():
    x, y = _data()
    histories = []
    reference = _mlp(keras.activations)
    for acts in (activations, keras.activations):
        model = _mlp(acts)
        model.set_weights(reference.get_weights())
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        histories.append(model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0))
    assert_histories_close(histories[0], histories[1], rtol=FIT_RTOL)


def test_saved_model_reloads_our_functions(tmp_path):
    model = _mlp(activations)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for layer, fn in zip(
        loaded.layers,
        [activations.relu, activations.elu, activations.tanh, activations.leaky_relu,
         activations.sigmoid, activations.softmax],
        strict=True,
    ):
        assert layer.activation is fn
    x, _ = _data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_registered_names():
    for name in activations.__all__:
        fn = getattr(activations, name)
        assert keras.saving.get_registered_name(fn) == f"kerastoolkit>{name}"
        assert keras.saving.get_registered_object(f"kerastoolkit>{name}") is fn
    assert keras.activations.get(keras.activations.serialize(activations.glu)) is activations.glu
    assert kerastoolkit.activations is activations


# ------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: activations.elu([1.0], alpha=-1.0), r"alpha.*Received: alpha=-1.0"),
        (lambda: activations.leaky_relu([1.0], negative_slope=-0.1), r"negative_slope=-0.1"),
        (lambda: activations.relu([1.0], max_value=-2.0), r"max_value=-2.0"),
        (lambda: activations.relu([1.0], threshold=-1.0), r"threshold=-1.0"),
        (lambda: activations.elu([1.0], alpha="big"), r"alpha='big'"),
        (lambda: activations.glu(np.zeros((2, 3), "float32")), r"even.*x.shape=\(2, 3\)"),
    ],
)
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_axis_raises_type_error():
    with pytest.raises(TypeError, match=r"axis='last'"):
        activations.softmax([1.0, 2.0], axis="last")
    with pytest.raises(TypeError, match=r"axis=\(0, 1\)"):
        activations.glu(np.zeros((2, 2), "float32"), axis=(0, 1))
