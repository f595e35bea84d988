"""Experiment `activations`: the sigmoid's gradient vanishes towards the input; ReLU's does not."""

import keras
import pytest

from kerastoolkit.experiments import activations as experiment

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="GradientNormHistory takes its gradients with TensorFlow's GradientTape",
)

# At initialization (Glorot, 5 hidden layers) the sigmoid's first layer gets ~1/140 of
# ReLU's gradient norm and ~1/140 of its own last hidden layer's. Demand a factor 10.
FACTOR = 10.0


@pytest.fixture(scope="module")
def result():
    return experiment.run(quick=True, verbose=0)


def test_relu_first_layer_gradient_exceeds_the_sigmoid_networks(result):
    rows = {row["activation"]: row for row in result.rows}
    assert set(rows) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu"}
    for key in ("first_layer_grad_norm_initial", "first_layer_grad_norm_final"):
        assert rows["relu"][key] > FACTOR * rows["sigmoid"][key]
    # Within the sigmoid network the norm shrinks towards the input: it vanishes.
    sigmoid = rows["sigmoid"]
    first, last = sigmoid["first_layer_grad_norm_initial"], sigmoid["last_layer_grad_norm_initial"]
    assert last > FACTOR * first


def test_the_sigmoid_network_learns_least(result):
    accuracy = {row["activation"]: row["test_accuracy"] for row in result.rows}
    assert accuracy["sigmoid"] < min(v for k, v in accuracy.items() if k != "sigmoid")
