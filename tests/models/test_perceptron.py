"""Perceptron: the perceptron learning rule step for step against NumPy, the course's gates."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.models import Perceptron
from kerastoolkit.testing import value_and_gradients

# Sums of small integers times a float32 learning rate: a few ulps at most.
RTOL = 1e-6
ATOL = 1e-6

GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
AND_Y = np.array([0, 0, 0, 1], "float32")
OR_Y = np.array([0, 1, 1, 1], "float32")
NAND_Y = np.array([1, 1, 1, 0], "float32")
XOR_Y = np.array([0, 1, 1, 0], "float32")


def to_numpy(tensor):
    """A model's output as NumPy on every backend (PyTorch's carries its autograd graph)."""
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(tensor))


def numpy_perceptron(x, y, learning_rate, epochs, batch_size, sample_weight=None):
    """The rule written out in NumPy: w += η/B Σ s (y - h(xw + b)) x, batch by batch."""
    w, b = np.zeros((x.shape[1], 1), "float32"), np.zeros((1,), "float32")
    s = np.ones(len(x), "float32") if sample_weight is None else sample_weight
    losses = []
    for _ in range(epochs):
        epoch = []
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size, None]
            sb = s[start : start + batch_size, None]
            e = sb * (yb - (xb @ w + b > 0).astype("float32"))
            epoch.append((np.abs(e).mean(), len(xb)))
            w = w + np.float32(learning_rate) * (xb.T @ e) / len(xb)
            b = b + np.float32(learning_rate) * e.sum(axis=0) / len(xb)
        losses.append(sum(v * n for v, n in epoch) / len(x))
    return w, b, losses


def fit(x, y, epochs, batch_size=1, learning_rate=1.0, sample_weight=None):
    p = Perceptron()
    p.compile(keras.optimizers.SGD(learning_rate=learning_rate))
    history = p.fit(
        x, y, sample_weight=sample_weight, epochs=epochs, batch_size=batch_size,
        shuffle=False, verbose=0,
    )
    return p, history.history["loss"]


def test_and_by_hand():
    """The online rule on AND from zero weights, traced by hand: five epochs with mistakes."""
    p, losses = fit(GATE_X, AND_Y, epochs=7)
    np.testing.assert_array_equal(np.asarray(p.w)[:, 0], [2.0, 1.0])
    np.testing.assert_array_equal(np.asarray(p.b), [-2.0])
    np.testing.assert_allclose(losses, [0.25, 0.75, 0.75, 0.5, 0.25, 0.0, 0.0], atol=ATOL)
    np.testing.assert_array_equal(to_numpy(p(GATE_X))[:, 0], AND_Y)


@given(
    seed=st.integers(0, 2**16),
    batch_size=st.sampled_from([1, 3, 8]),
    learning_rate=st.sampled_from([0.1, 0.5, 1.0]),
    weighted=st.booleans(),
)
def test_equals_the_numpy_rule(seed, batch_size, learning_rate, weighted):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.integers(0, 2, size=8).astype("float32")
    sw = rng.uniform(0, 2, size=8).astype("float32") if weighted else None
    p, losses = fit(x, y, epochs=3, batch_size=batch_size, learning_rate=learning_rate,
                    sample_weight=sw)
    w, b, want = numpy_perceptron(x, y, learning_rate, 3, batch_size, sw)
    np.testing.assert_allclose(np.asarray(p.w), w, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(np.asarray(p.b), b, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(losses, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("y", [AND_Y, OR_Y, NAND_Y], ids=["AND", "OR", "NAND"])
def test_learns_every_linearly_separable_gate(y):
    p, losses = fit(GATE_X, y, epochs=10)
    assert losses[-1] == 0.0
    np.testing.assert_array_equal(to_numpy(p(GATE_X))[:, 0], y)


def test_never_learns_xor():
    """No line separates XOR: every epoch of the rule makes at least one mistake."""
    p, losses = fit(GATE_X, XOR_Y, epochs=30)
    assert min(losses) >= 0.25
    assert (to_numpy(p(GATE_X))[:, 0] == XOR_Y).sum() <= 3


@pytest.mark.parametrize(
    "w, b, y",
    [((1.0, 1.0), -1.5, AND_Y), ((0.7, 0.7), -0.3, OR_Y), ((-1.0, -1.0), 1.5, NAND_Y)],
    ids=["AND", "OR", "NAND"],
)
def test_course_gate_weights(w, b, y):
    """The course's hand-set weights: AND (1, 1, -1.5) and OR (0.7, 0.7, -0.3); NAND = -AND."""
    p = Perceptron()
    p.build((None, 2))
    p.set_weights([np.array(w, "float32")[:, None], np.array([b], "float32")])
    np.testing.assert_array_equal(to_numpy(p(GATE_X))[:, 0], y)


def test_the_step_gives_gradient_descent_nothing():
    """Why the rule: through the step, any loss has zero gradient w.r.t. w and b."""
    p = Perceptron(kernel_initializer="ones")
    p.build((None, 2))

    def loss(x):
        y_pred = p(x)
        return keras.ops.mean(keras.losses.binary_crossentropy(AND_Y[:, None], y_pred)), y_pred

    _, y_pred, _, grads = value_and_gradients(loss, [GATE_X], variables=[p.w, p.b])
    np.testing.assert_array_equal(y_pred[:, 0], [0.0, 1.0, 1.0, 1.0])  # the loss is not flat
    assert [g.shape for g in grads] == [(2, 1), (1,)]
    for g in grads:
        np.testing.assert_array_equal(g, np.zeros_like(g))


def test_refuses_a_loss():
    with pytest.raises(ValueError, match="loss="):
        Perceptron().compile(loss="mse")


def test_save_and_load(tmp_path):
    p, _ = fit(GATE_X, AND_Y, epochs=7)
    path = tmp_path / "perceptron.keras"
    p.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is Perceptron
    np.testing.assert_array_equal(loaded.get_weights()[0], p.get_weights()[0])
    np.testing.assert_array_equal(to_numpy(loaded(GATE_X)), to_numpy(p(GATE_X)))
    # training resumes with the saved optimizer: one more epoch changes nothing on AND
    loaded.fit(GATE_X, AND_Y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    np.testing.assert_array_equal(loaded.get_weights()[1], [-2.0])
