"""Every optimizer finds the minimum of a parabola and of Rosenbrock's valley."""

import keras
import numpy as np
import pytest
from keras.ops import convert_to_numpy as to_numpy

from kerastoolkit import optimizers


def parabola(w):
    """An elongated bowl (curvatures 2 and 20), minimum at the origin."""
    return w[0] ** 2 + 10.0 * w[1] ** 2


def rosenbrock(w):
    """Rosenbrock's banana valley, minimum at (1, 1)."""
    return (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2


def minimize(optimizer, f, start, steps):
    """`steps` updates of `optimizer` on `f`, compiled where the backend compiles a loop."""
    w = keras.Variable(np.array(start, "float32"))
    optimizer.build([w])
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def train():
            for _ in tf.range(steps):
                with tf.GradientTape() as tape:
                    loss = f(w.value)
                optimizer.apply_gradients([(tape.gradient(loss, w.value), w)])

        train()
    elif backend == "jax":
        import jax

        def step(_, state):
            value, slots = state
            (value,), slots = optimizer.stateless_apply(slots, [jax.grad(f)(value)], [value])
            return value, slots

        value, _ = jax.jit(lambda state: jax.lax.fori_loop(0, steps, step, state))(
            (w.value, [v.value for v in optimizer.variables])
        )
        w.assign(value)
    else:
        import torch

        for _ in range(steps):
            value = w.value.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(f(value), [value])
            optimizer.apply_gradients([(g, w)])
    return to_numpy(w)


# name -> (optimizer factory, steps on the parabola, steps on Rosenbrock)
SETTINGS = {
    "SGD": (lambda: optimizers.SGD(2e-3), 3000, 20000),
    "Momentum": (lambda: optimizers.Momentum(1e-3, 0.9), 3000, 5000),
    "Nesterov": (lambda: optimizers.Nesterov(1e-3, 0.9), 3000, 5000),
    "Adagrad": (lambda: optimizers.Adagrad(0.5), 3000, 10000),
    "RMSprop": (lambda: optimizers.RMSprop(1e-3), 3000, 10000),
    "Adadelta": (lambda: optimizers.Adadelta(1.0, epsilon=1e-6), 3000, 20000),
    "Adam": (lambda: optimizers.Adam(0.02), 3000, 5000),
    "Nadam": (lambda: optimizers.Nadam(0.02), 3000, 5000),
}

# Adadelta's step is -lr * sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g. Near a minimum
# both averages decay below eps, so the step tends to -lr * g: plain gradient descent
# with rate lr, which on a bowl of curvature c is stable only for lr < 2 / c. With lr = 1
# on the parabola's c = 20 axis the minimum repels: w_2 falls below 1e-30, then grows by
# 1 - 20 lr = -19 per step until E[g^2] damps it, and circles at |w_2| ~ 0.02 (0.024
# after 3,000 steps; 0.085 after 30,000 in float64). TensorFlow's and JAX's CPU kernels
# flush subnormals to zero, so there w_2 becomes exactly 0 and stays; PyTorch keeps
# IEEE subnormals and shows the instability (so does Keras's own Adadelta formula there;
# Keras's torch._foreach class happens to freeze at a subnormal, its g * RMS[dx]
# underflowing first). The parabola runs Adadelta at lr = 0.09 < 2 / 20, where the
# minimum attracts in exact arithmetic; test_adadelta_minimum_repels_above_two_over_c
# shows both sides with normal floats, on every backend. (PyTorch runs the loops eagerly:
# this file takes about 30 s there, against 7 s on TensorFlow.)
PARABOLA_FACTORIES = {"Adadelta": lambda: optimizers.Adadelta(0.09, epsilon=1e-6)}

# How close to the minimiser counts as converged (max-norm).
PARABOLA_TOL = 5e-3
ROSENBROCK_TOL = 5e-2


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_converges_on_parabola(name):
    make, steps, _ = SETTINGS[name]
    make = PARABOLA_FACTORIES.get(name, make)
    w = minimize(make(), parabola, [1.0, 1.0], steps)
    np.testing.assert_allclose(w, [0.0, 0.0], atol=PARABOLA_TOL)


ROSENBROCK_CASES = [
    pytest.param(
        name,
        marks=pytest.mark.xfail(
            strict=True,
            reason="Adadelta's step is RMS(past steps)/RMS(gradients): in the valley's "
            "floor both shrink together and it crawls (about (0.6, 0.3) after 20000 "
            "steps, at any rho/epsilon tried); documented, not hidden",
        ),
    )
    if name == "Adadelta"
    else name
    for name in sorted(SETTINGS)
]


@pytest.mark.parametrize("name", ROSENBROCK_CASES)
def test_converges_on_rosenbrock(name):
    make, _, steps = SETTINGS[name]
    w = minimize(make(), rosenbrock, [-1.2, 1.0], steps)
    np.testing.assert_allclose(w, [1.0, 1.0], atol=ROSENBROCK_TOL)


def test_adadelta_descends_rosenbrock():
    """What Adadelta does achieve on the valley: the loss falls thirty-fold."""
    make, _, steps = SETTINGS["Adadelta"]
    w = minimize(make(), rosenbrock, [-1.2, 1.0], steps)
    assert float(rosenbrock(w)) < float(rosenbrock(np.array([-1.2, 1.0]))) / 30


@pytest.mark.parametrize("learning_rate, leaves", [(1.0, True), (0.09, False)])
def test_adadelta_minimum_repels_above_two_over_c(learning_rate, leaves):
    """At the minimum Adadelta is gradient descent with rate lr (both averages below eps):
    from w_2 = 1e-10 on the c = 20 axis it leaves for |w_2| ~ 1e-2 when lr > 2 / c and
    falls below 1e-20 when lr < 2 / c, in normal floats, whatever the subnormal mode."""
    w = minimize(optimizers.Adadelta(learning_rate, epsilon=1e-6), parabola, [0.0, 1e-10], 200)
    assert w[0] == 0.0
    if leaves:
        assert abs(w[1]) > 1e-3
    else:
        assert abs(w[1]) < 1e-20
