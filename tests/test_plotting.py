"""kerastoolkit.plotting draws what the maths says: surfaces, derivatives, optimizer paths."""

import keras
import numpy as np
import pytest
from keras import ops

from kerastoolkit import optimizers, plotting

# float32 arithmetic on values of order 1-100: a few ulps of relative error.
RTOL = 1e-6
# Paths of 20 float32 steps, each rounding once: the error grows with the steps.
PATH_RTOL = 1e-5
PATH_ATOL = 1e-6
# Two implementations of one rule may round each step differently by up to one
# ulp of the largest coordinate (|x| <= 8 here): after t steps they may differ
# by t ulps, and no more (measured worst: Adam, about 0.6 ulp a step).
TWIN_STEPS = 60
TWIN_ATOL = TWIN_STEPS * float(np.spacing(np.float32(8.0)))


def test_beale_known_values():
    assert float(plotting.beale(3.0, 0.5)) == 0.0
    # f(0, 0) = 1.5^2 + 2.25^2 + 2.625^2
    np.testing.assert_allclose(float(plotting.beale(0.0, 0.0)), 14.203125, rtol=RTOL)


def test_derivative_of_the_minimum_is_zero():
    path = plotting.optimizer_path(optimizers.SGD(0.01), plotting.beale, (3.0, 0.5), steps=5)
    np.testing.assert_array_equal(path, np.tile([[3.0, 0.5]], (6, 1)))


@pytest.mark.parametrize(
    "fn, exact",
    [
        (ops.tanh, lambda x: 1 - np.tanh(x) ** 2),
        (ops.sigmoid, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
        (ops.square, lambda x: 2 * x),
    ],
)
def test_derivative_matches_the_calculus(fn, exact):
    x = np.linspace(-4, 4, 33, dtype="float32")
    np.testing.assert_allclose(plotting.derivative(fn, x), exact(x), rtol=RTOL, atol=RTOL)


@pytest.mark.parametrize("lr, ratio", [(0.05, 4.0), (0.09, 20.0)])
def test_sgd_path_on_the_valley_is_the_closed_form(lr, ratio):
    # grad = (x, r y), so SGD gives x_t = (1 - lr)^t x_0 and y_t = (1 - lr r)^t y_0.
    steps, start = 20, np.array([-8.0, 1.5])

    def valley(x, y):
        return plotting.narrow_valley(x, y, ratio=ratio)

    path = plotting.optimizer_path(optimizers.SGD(learning_rate=lr), valley, start, steps)
    t = np.arange(steps + 1)[:, None]
    exact = start * np.stack([(1 - lr) ** t[:, 0], (1 - lr * ratio) ** t[:, 0]], axis=1)
    np.testing.assert_allclose(path, exact, rtol=PATH_RTOL, atol=PATH_ATOL)


# The figures' settings on the narrow valley, a quadratic: its gradient is linear,
# so round-off is not amplified along the path the way a non-convex surface
# (or a diverging run) amplifies it.
TWIN_CASES = [
    ("Momentum", dict(learning_rate=0.02), "SGD", dict(learning_rate=0.02, momentum=0.9)),
    ("Adagrad", dict(learning_rate=1.0), "Adagrad", dict(learning_rate=1.0)),
    ("RMSprop", dict(learning_rate=0.1), "RMSprop", dict(learning_rate=0.1)),
    ("Adam", dict(learning_rate=0.3), "Adam", dict(learning_rate=0.3)),
    ("Nadam", dict(learning_rate=0.3), "Nadam", dict(learning_rate=0.3)),
]


@pytest.mark.parametrize("ours, ours_kwargs, twin, twin_kwargs", TWIN_CASES)
def test_path_of_our_optimizer_equals_the_keras_twin(ours, ours_kwargs, twin, twin_kwargs):
    a = plotting.optimizer_path(
        getattr(optimizers, ours)(**ours_kwargs), plotting.narrow_valley, (-8.0, 1.5),
        steps=TWIN_STEPS,
    )
    b = plotting.optimizer_path(
        getattr(keras.optimizers, twin)(**twin_kwargs), plotting.narrow_valley, (-8.0, 1.5),
        steps=TWIN_STEPS,
    )
    np.testing.assert_allclose(a, b, rtol=0, atol=TWIN_ATOL)


def test_plot_optimizer_paths_draws_the_computed_paths():
    settings = {"SGD": optimizers.SGD(0.01), "Adam": optimizers.Adam(0.05)}
    fig = plotting.plot_optimizer_paths(
        settings, plotting.beale, (1.0, 1.5), 10, ((-1, 4), (-1, 2)), minimum=(3.0, 0.5)
    )
    lines = [line for line in fig.axes[0].lines if line.get_label() in settings]
    assert [line.get_label() for line in lines] == ["SGD", "Adam"]
    expected = plotting.optimizer_path(optimizers.SGD(0.01), plotting.beale, (1.0, 1.5), 10)
    np.testing.assert_allclose(np.asarray(lines[0].get_xydata()), expected, rtol=RTOL)


def test_plot_activation_draws_the_function_and_its_derivative():
    fig = plotting.plot_activation(ops.tanh, x_range=(-3.0, 3.0), num=61)
    (x, y), (_, dy) = (fig.axes[i].lines[-1].get_data() for i in (0, 1))
    np.testing.assert_allclose(y, np.tanh(x), rtol=RTOL, atol=RTOL)
    np.testing.assert_allclose(dy, 1 - np.tanh(x) ** 2, rtol=RTOL, atol=RTOL)


def test_plot_history_draws_train_and_validation():
    history = {"loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]}
    fig = plotting.plot_history({"cnn": history}, log_scale=True)
    train, val = fig.axes[0].lines
    np.testing.assert_array_equal(train.get_ydata(), history["loss"])
    np.testing.assert_array_equal(val.get_ydata(), history["val_loss"])
    assert val.get_linestyle() == "--" and fig.axes[0].get_yscale() == "log"


def test_plot_gradient_norms_draws_each_network():
    norms = {"sigmoid": [1e-5, 1e-3, 1e-1], "relu": [0.5, 0.6, 0.7]}
    fig = plotting.plot_gradient_norms(norms)
    for line, values in zip(fig.axes[0].lines, norms.values()):
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(line.get_ydata(), values)


def test_plot_correlation_shows_the_padding_and_the_numbers():
    image = np.arange(16).reshape(4, 4)
    output = np.arange(4).reshape(2, 2)
    fig = plotting.plot_correlation(image, np.ones((3, 3)), output, padding=1)
    shaded = [p for p in fig.axes[0].patches if p.get_facecolor()[0] < 1]
    assert len(shaded) == 6 * 6 - 4 * 4
    assert [t.get_text() for t in fig.axes[2].texts] == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plotting.narrow_valley(1.0, 1.0, ratio=0.0), "ratio=0.0"),
        (lambda: plotting.optimizer_path(optimizers.SGD(), plotting.beale, (0, 0), -1),
         "steps=-1"),
        (lambda: plotting.plot_correlation(np.ones((2, 2)), np.ones((1, 1)), np.ones((2, 2)),
                                           padding=-1), "padding=-1"),
        (lambda: plotting.plot_history({"run": {"loss": [1.0]}}, metric="accuracy"),
         "no metric 'accuracy'"),
        (lambda: plotting.plot_grids({"cube": np.ones((2, 2, 2))}), "'cube' of shape"),
    ],
)
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_path_presets_refuse_unknown_optimizers():
    from kerastoolkit.plotting import PATH_PRESETS

    with pytest.raises(ValueError, match="`names` must be among SGD"):
        PATH_PRESETS["beale"].optimizers(["SGD", "LBFGS"])
