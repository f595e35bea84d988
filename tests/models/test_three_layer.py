"""The course's three-layer network (fixed weights) and XOR with our layers."""

import keras
import numpy as np
import pytest

from kerastoolkit import activations, losses
from kerastoolkit.layers import Dense
from kerastoolkit.models import three_layer_network

# float32 forward pass through three small layers.
RTOL = 1e-6

# The course's weights and its printed result for the input [1.0, 0.5].
W1 = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]
B1 = [0.1, 0.2, 0.3]
W2 = [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]
B2 = [0.1, 0.2]
W3 = [[0.1, 0.3], [0.2, 0.4]]
B3 = [0.1, 0.2]
COURSE_WEIGHTS = [np.array(w, "float32") for w in (W1, B1, W2, B2, W3, B3)]
COURSE_OUTPUT = [0.31682708, 0.69627909]

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
XOR_Y = np.array([[0], [1], [1], [0]], "float32")
# Full-batch steps, run as one epoch over the data repeated (one fit, not 200).
XOR_STEPS = 200


def test_course_three_layer_network():
    net = three_layer_network(weights=COURSE_WEIGHTS)
    y = keras.ops.convert_to_numpy(net(np.array([[1.0, 0.5]], "float32")))
    np.testing.assert_allclose(y[0], COURSE_OUTPUT, rtol=RTOL)


def test_equals_the_numpy_forward_pass_and_the_keras_twin():
    x = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    net = three_layer_network(output_activation=activations.softmax)
    W1, b1, W2, b2, W3, b3 = net.get_weights()
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z3 = sig(sig(x @ W1 + b1) @ W2 + b2) @ W3 + b3
    want = np.exp(z3) / np.exp(z3).sum(axis=1, keepdims=True)
    got = keras.ops.convert_to_numpy(keras.ops.stop_gradient(net(x)))
    np.testing.assert_allclose(got, want, rtol=RTOL)
    twin = keras.Sequential(
        [keras.Input((2,))]
        + [keras.layers.Dense(u, activation="sigmoid") for u in (3, 2)]
        + [keras.layers.Dense(2, activation="softmax")]
    )
    twin.set_weights(net.get_weights())
    np.testing.assert_allclose(
        *(keras.ops.convert_to_numpy(keras.ops.stop_gradient(m(x))) for m in (net, twin)), rtol=RTOL
    )


def train_xor(layers):
    model = keras.Sequential([keras.Input((2,)), *layers])
    model.compile(keras.optimizers.Adam(0.1), loss=losses.BinaryCrossentropy())
    x, y = np.tile(XOR_X, (XOR_STEPS, 1)), np.tile(XOR_Y, (XOR_STEPS, 1))
    model.fit(x, y, epochs=1, batch_size=len(XOR_X), shuffle=False, verbose=0)
    return keras.ops.convert_to_numpy(model(XOR_X))


def test_xor_is_learned_by_two_layers():
    hidden = Dense(4, activation=activations.tanh)
    p = train_xor([hidden, Dense(1, activation=activations.sigmoid)])
    np.testing.assert_array_equal((p > 0.5).astype("float32"), XOR_Y)


# One sigmoid unit's cross-entropy on XOR is strictly convex in (w, b) with its minimum
# at w = 0, b = 0 (there sum (p - y) x = 0 and sum (p - y) = 0): the best a line can do
# is 1/2 for every point, a loss of log 2. Adam(0.1) gets there to within (measured:
# 2e-6 to 6e-6 over three seeds):
XOR_ONE_LAYER_TOL = 1e-4


def test_xor_one_layer_ends_at_one_half_everywhere():
    # XOR is not linearly separable: the trained unit is undecided, p = 1/2 for all four.
    p = train_xor([Dense(1, activation=activations.sigmoid)])
    np.testing.assert_allclose(p, 0.5, atol=XOR_ONE_LAYER_TOL)


def test_units_must_be_three_sizes():
    with pytest.raises(ValueError, match=r"units=\(3, 2\)"):
        three_layer_network(units=(3, 2))
