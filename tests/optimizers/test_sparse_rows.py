"""Sparse gradients (`tf.IndexedSlices`, from `Embedding`) with a row repeated: ours follows
the dense maths, (sum of slices)^2; Keras 3's sparse path adds each slice's square instead.

A NumPy float64 copy of Keras's arithmetic takes, per step, the dense gradient G1 (the slices
summed per row) and the second-moment increment G2: G1**2 for the dense maths, the sum of the
slices' squares for Keras's sparse path. Keras's two paths are checked against the two, so
the tests fail when Keras changes either; ours is checked against the dense one.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit import optimizers

# tf.IndexedSlices sparse gradients are TensorFlow's: TensorFlow only.
pytestmark = pytest.mark.tensorflow_only

# float32 against float32 with the same ops.
RTOL, ATOL = 1e-6, 1e-7
# float32 against the float64 reference over a few steps: 1e-5 of the distance travelled
# (at most about 0.5 here) in absolute terms. The paths' gaps asserted below exceed 1e-3.
REF_RTOL, REF_ATOL = 1e-5, 5e-6

# name -> (ours, Keras twin, kwargs), covering every branch with a second moment.
CASES = {
    "SGD": (optimizers.SGD, keras.optimizers.SGD, {"learning_rate": 0.1}),
    "Momentum": (optimizers.SGD, keras.optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}),
    "Adagrad": (optimizers.Adagrad, keras.optimizers.Adagrad, {"learning_rate": 0.1}),
    "RMSprop": (optimizers.RMSprop, keras.optimizers.RMSprop, {"learning_rate": 0.01}),
    "RMSprop(centered, momentum)": (
        optimizers.RMSprop,
        keras.optimizers.RMSprop,
        {"learning_rate": 0.01, "centered": True, "momentum": 0.5},
    ),
    "Adadelta": (optimizers.Adadelta, keras.optimizers.Adadelta, {"learning_rate": 1.0}),
    "Adam": (optimizers.Adam, keras.optimizers.Adam, {"learning_rate": 0.1}),
    "Adam(amsgrad)": (
        optimizers.Adam,
        keras.optimizers.Adam,
        {"learning_rate": 0.1, "amsgrad": True},
    ),
    "Nadam": (optimizers.Nadam, keras.optimizers.Nadam, {"learning_rate": 0.1}),
}
# The optimizers whose update squares the gradient: the two paths differ on repeated rows.
SECOND_MOMENT = {name for name in CASES if not name.startswith(("SGD", "Momentum"))}

SHAPE = (6, 3)
REPEATED = [1, 3, 1, 1]  # row 1 three times, row 3 once
UNIQUE = [0, 2, 5]
STEPS = 5


def _problem(indices, seed=0):
    rng = np.random.default_rng(seed)
    start = rng.normal(size=SHAPE).astype("float32")
    values = [
        rng.normal(size=(len(indices), SHAPE[1])).astype("float32")
        for _ in range(STEPS)
    ]
    return start, values


def _slices(values, indices):
    return tf.IndexedSlices(
        tf.constant(values), tf.constant(indices), dense_shape=tf.constant(SHAPE)
    )


def _run(optimizer, start, values, indices, dense):
    variable = keras.Variable(start)
    for v in values:
        g = _slices(v, indices)
        optimizer.apply_gradients([(tf.convert_to_tensor(g) if dense else g, variable)])
    return variable.numpy()


def _reference(name, config, start, values, indices, square_each_slice):
    """Keras's update in float64, the second-moment increment G2 as chosen."""
    w = start.astype("float64")
    lr = config["learning_rate"]
    zeros = np.zeros_like(w)
    m, v, v_max, g_avg, mom, delta = (zeros.copy() for _ in range(6))
    acc = np.full_like(w, config.get("initial_accumulator_value", 0.0))
    u_product = 1.0
    for t, slices in enumerate(values, start=1):
        g1, squares = zeros.copy(), zeros.copy()
        np.add.at(g1, indices, slices.astype("float64"))
        np.add.at(squares, indices, slices.astype("float64") ** 2)
        g2 = squares if square_each_slice else g1**2
        eps = config.get("epsilon")
        if name in ("SGD", "Momentum"):
            mom = config["momentum"] * mom - lr * g1
            w = w + mom
        elif name == "Adagrad":
            acc = acc + g2
            w = w - lr * g1 / np.sqrt(acc + eps)
        elif name.startswith("RMSprop"):
            rho = config["rho"]
            v = rho * v + (1 - rho) * g2
            if config["centered"]:
                g_avg = rho * g_avg + (1 - rho) * g1
            increment = lr * g1 / np.sqrt(v - g_avg**2 + eps)
            mom = config["momentum"] * mom + increment
            w = w - mom
        elif name == "Adadelta":
            rho = config["rho"]
            v = rho * v + (1 - rho) * g2
            ratio = np.sqrt(delta + eps) / np.sqrt(v + eps)
            # Keras squares the step slice by slice too: ratio^2 * G2.
            delta = rho * delta + (1 - rho) * ratio**2 * g2
            w = w - lr * ratio * g1
        elif name.startswith("Adam"):
            b1, b2 = config["beta_1"], config["beta_2"]
            # Keras raises the float32 betas to the power t.
            p1, p2 = float(np.float32(b1)) ** t, float(np.float32(b2)) ** t
            m = b1 * m + (1 - b1) * g1
            v = b2 * v + (1 - b2) * g2
            v_max = np.maximum(v_max, v) if config["amsgrad"] else v
            alpha = lr * np.sqrt(1 - p2) / (1 - p1)
            w = w - alpha * m / (np.sqrt(v_max) + eps)
        elif name == "Nadam":
            b1, b2 = config["beta_1"], config["beta_2"]
            b1_32, decay = float(np.float32(b1)), float(np.float32(0.96))  # Keras's float32s
            u_t = b1_32 * (1 - 0.5 * decay**t)
            u_next = b1_32 * (1 - 0.5 * decay ** (t + 1))
            u_product *= u_t
            m = b1 * m + (1 - b1) * g1
            v = b2 * v + (1 - b2) * g2
            m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g1 / (1 - u_product)
            w = w - lr * m_hat / (np.sqrt(v / (1 - float(np.float32(b2)) ** t)) + eps)
        else:
            raise AssertionError(name)
    return w


def _paths(name, indices):
    ours_cls, keras_cls, kwargs = CASES[name]
    start, values = _problem(indices)
    config = ours_cls(**kwargs).get_config()
    return {
        "ours sparse": _run(ours_cls(**kwargs), start, values, indices, dense=False),
        "keras sparse": _run(keras_cls(**kwargs), start, values, indices, dense=False),
        "keras dense": _run(keras_cls(**kwargs), start, values, indices, dense=True),
        "dense maths": _reference(name, config, start, values, indices, False),
        "sum of squares": _reference(name, config, start, values, indices, True),
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_repeated_rows_ours_equals_keras_dense_path(name):
    got = _paths(name, REPEATED)
    np.testing.assert_allclose(got["ours sparse"], got["keras dense"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["keras dense"], got["dense maths"], rtol=REF_RTOL, atol=REF_ATOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repeated_rows_keras_sparse_path_adds_each_slices_square(name):
    got = _paths(name, REPEATED)
    # Keras's sparse path is the sum-of-squares arithmetic, to float32 rounding ...
    np.testing.assert_allclose(
        got["keras sparse"], got["sum of squares"], rtol=REF_RTOL, atol=REF_ATOL
    )
    # ... so ours differs from it by exactly what (sum g)^2 vs sum g^2 predicts,
    np.testing.assert_allclose(
        got["ours sparse"] - got["keras sparse"],
        got["dense maths"] - got["sum of squares"],
        rtol=REF_RTOL,
        atol=REF_ATOL,
    )
    # only on the repeated row, and by far more than rounding where the gradient is squared.
    gap = np.abs(got["dense maths"] - got["sum of squares"]).max(axis=1)
    np.testing.assert_array_equal(gap[[0, 2, 3, 4, 5]], 0.0)
    if name in SECOND_MOMENT:
        assert gap[1] > 1e-3, gap
    else:
        assert gap[1] == 0.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_unique_rows_equal_keras_on_both_paths(name):
    got = _paths(name, UNIQUE)
    for path in ("keras sparse", "keras dense"):
        np.testing.assert_allclose(got["ours sparse"], got[path], rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(got["dense maths"], got["sum of squares"])
    np.testing.assert_allclose(got["ours sparse"], got["dense maths"], rtol=REF_RTOL, atol=REF_ATOL)


def test_the_documented_two_line_example():
    """docs/optimizers.md: row 1 of a 4 x 2 variable of ones, looked up twice, two Adam steps."""

    def run(optimizer, dense):
        w = keras.Variable(np.ones((4, 2), "float32"))
        for _ in range(2):
            g = tf.IndexedSlices(tf.ones((2, 2)), tf.constant([1, 1]), tf.constant([4, 2]))
            optimizer.apply_gradients([(tf.convert_to_tensor(g) if dense else g, w)])
        return w.numpy()[1, 0], optimizer._velocities[0].numpy()[1, 0]

    for optimizer, dense, want in [
        (keras.optimizers.Adam(0.1), False, [0.7172, 0.0040]),
        (keras.optimizers.Adam(0.1), True, [0.8000, 0.0080]),
        (optimizers.Adam(0.1), False, [0.8000, 0.0080]),
        (optimizers.Adam(0.1), True, [0.8000, 0.0080]),
    ]:
        # The page quotes four decimals.
        assert np.round(np.float64(run(optimizer, dense)), 4).tolist() == want
