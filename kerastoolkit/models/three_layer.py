"""The course's three-layer network, built from kerastoolkit's layers and activations."""

from __future__ import annotations

import keras

from kerastoolkit import activations
from kerastoolkit.layers import Dense

#: The course's layer sizes: 2 inputs -> 3 -> 2 -> 2 outputs.
COURSE_UNITS = (3, 2, 2)


@keras.saving.register_keras_serializable(package="kerastoolkit")
def three_layer_network(
    input_dim=2,
    units=COURSE_UNITS,
    activation=activations.sigmoid,
    output_activation=activations.identity,
    weights=None,
):
    r"""Build the course's three-layer fully connected network.

    The network the course walks through by hand: each layer is a matrix
    product plus a bias, squashed by the sigmoid in the hidden layers and
    left as it is (identity, for regression) in the output layer — swap in
    softmax for classification.

    For an input row $x$ with weights $W_l$ and biases $b_l$ of layer $l$,
    $h$ = `activation`, $\sigma$ = `output_activation`:

    $$\begin{aligned}
    a_1 &= h(x W_1 + b_1) \\
    a_2 &= h(a_1 W_2 + b_2) \\
    y &= \sigma(a_2 W_3 + b_3)
    \end{aligned}$$

    The layers are `kerastoolkit.layers.Dense`, so the weights have Keras's
    layout ($W_l$ of shape (inputs, units)) and the model equals the same
    `keras.Sequential` of `keras.layers.Dense`.

    Args:
        input_dim: the size of $x$. Defaults to `2`.
        units: the sizes of the three layers. Defaults to `(3, 2, 2)`.
        activation: $h$, the hidden layers' activation. Defaults to
            `kerastoolkit.activations.sigmoid`.
        output_activation: $\sigma$, the output layer's activation. Defaults
            to `kerastoolkit.activations.identity`.
        weights: `None` (Glorot-uniform kernels, zero biases) or the list
            $[W_1, b_1, W_2, b_2, W_3, b_3]$. Defaults to `None`.

    Returns:
        A built `keras.Sequential`.

    Examples:
        >>> import numpy as np
        >>> net = three_layer_network(input_dim=4, units=(5, 3, 1))
        >>> [tuple(w.shape) for w in net.weights]
        [(4, 5), (5,), (5, 3), (3,), (3, 1), (1,)]
        >>> net(np.zeros((1, 4), "float32")).shape
        TensorShape([1, 1])

    References:
        - Saito Goki, 2016. Deep Learning from Scratch, section 3.4.
    """
    if len(units) != len(COURSE_UNITS):
        raise ValueError(f"`units` must give three layer sizes. Received: units={units!r}")
    model = keras.Sequential(
        [
            keras.Input((input_dim,)),
            Dense(units[0], activation=activation, name="layer_1"),
            Dense(units[1], activation=activation, name="layer_2"),
            Dense(units[2], activation=output_activation, name="output"),
        ],
        name="three_layer_network",
    )
    if weights is not None:
        model.set_weights(weights)
    return model
