"""Figures of the activations guide: each function with its derivative, vanishing gradients."""

import keras
import numpy as np
from figure_library import figure

from kerastoolkit import activations, datasets, layers, plotting
from kerastoolkit.callbacks import GradientNormHistory

CURVES = ["step", "sigmoid", "tanh", "relu", "leaky_relu", "elu"]

# The vanishing-gradient experiment: a deep, narrow MLP on the 8x8 digits.
DEEP_LAYERS = 8
DEEP_UNITS = 32
DEEP_EPOCHS = 3
DEEP_BATCH = 64
DEEP_LEARNING_RATE = 0.1
PROBE_SIZE = 256


def _activation_figure(name):
    def draw():
        return plotting.plot_activation(getattr(activations, name), name=name)

    return draw


for _name in CURVES:
    figure(f"activation-{_name.replace('_', '-')}")(_activation_figure(_name))


def _deep_network(activation):
    model = keras.Sequential(
        [keras.Input((64,))]
        + [layers.Dense(DEEP_UNITS, activation=activation) for _ in range(DEEP_LAYERS)]
        + [layers.Dense(10, activation=activations.softmax)]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(DEEP_LEARNING_RATE), loss="sparse_categorical_crossentropy"
    )
    return model


@figure("activation-vanishing-gradients")
def vanishing_gradients():
    x, y = datasets.load_digits()
    x = x.reshape(len(x), -1)
    norms = {}
    for name in ("sigmoid", "relu"):
        keras.utils.set_random_seed(0)
        probe = GradientNormHistory(x[:PROBE_SIZE], y[:PROBE_SIZE])
        _deep_network(getattr(activations, name)).fit(
            x, y, epochs=DEEP_EPOCHS, batch_size=DEEP_BATCH, verbose=0, callbacks=[probe]
        )
        per_layer = np.array(list(probe.history.values()))  # (layers, recordings)
        norms[f"{name}, before training"] = per_layer[:, 0]
        norms[f"{name}, after {DEEP_EPOCHS} epochs"] = per_layer[:, -1]
    return plotting.plot_gradient_norms(
        norms, title=f"{DEEP_LAYERS} hidden layers of {DEEP_UNITS} units, 8x8 digits"
    )
