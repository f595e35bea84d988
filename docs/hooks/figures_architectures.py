"""The architectures guide: model summaries of the course's networks, the residual gradient figure.

The summaries are generated text (`<!-- generated: summary-... -->`), written
from the models built with our layers while the site is built, so a parameter
count on the page cannot drift from the code.
"""

import keras
import numpy as np
from figure_library import figure, placeholder

from kerastoolkit import layers, plotting
from kerastoolkit.callbacks import GradientNormHistory

RESIDUAL_DEPTH, RESIDUAL_WIDTH, PROBE_SIZE, SEED = 20, 16, 64, 0


def mlp():
    """The notes' MLP: Flatten(28, 28) -> Dense(128, relu) -> Dense(10, softmax)."""
    return keras.Sequential([
        keras.Input((28, 28)), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax"),
    ], name="mlp")


def cnn():
    """The notes' CNN: conv 32-64-64 (3x3, relu) with two 2x2 max poolings, Dense 64 and 10."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="cnn")


def lenet5():
    """LeNet-5: 5x5 valid convolutions, 2x2 stride-2 subsampling, 120-84-10 (tanh)."""
    return keras.Sequential([
        keras.Input((32, 32, 1)),
        layers.Conv2D(6, 5, activation="tanh"), layers.AveragePooling2D(2, padding="same"),
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(), layers.Dense(120, activation="tanh"),
        layers.Dense(84, activation="tanh"), layers.Dense(10, activation="softmax"),
    ], name="lenet5")


def summary_table(model):
    """What `model.summary()` shows, as a Markdown table: layer class, output shape, parameters."""
    rows = ["| layer (kerastoolkit.layers) | output shape | parameters |", "|---|---|---:|"]
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append(f"| `{type(layer).__name__}` | `{shape}` | {layer.count_params():,} |")
    rows.append(f"| **total** | | **{model.count_params():,}** |")
    return "\n".join(rows)


@placeholder("summary-mlp")
def summary_mlp():
    return summary_table(mlp())


@placeholder("summary-cnn")
def summary_cnn():
    return summary_table(cnn())


@placeholder("summary-lenet5")
def summary_lenet5():
    return summary_table(lenet5())


def deep_net(shortcut):
    """A stem, RESIDUAL_DEPTH sigmoid Dense layers (each in a Residual or not), a head."""
    keras.utils.set_random_seed(SEED)
    hidden = [layers.Dense(RESIDUAL_WIDTH, activation="sigmoid", name=f"dense_{i + 1}")
              for i in range(RESIDUAL_DEPTH)]
    if shortcut:
        hidden = [layers.Residual(d, name=f"residual_{i + 1}") for i, d in enumerate(hidden)]
    model = keras.Sequential([keras.Input((8,)), layers.Dense(RESIDUAL_WIDTH, name="stem"),
                              *hidden, layers.Dense(1, name="head")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def hidden_gradient_norms(shortcut):
    """The gradient norm of each hidden layer at initialization, on a fixed probe batch."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(PROBE_SIZE, 8)).astype("float32")
    y = rng.normal(size=(PROBE_SIZE, 1)).astype("float32")
    model = deep_net(shortcut)
    probe = GradientNormHistory(x, y)
    probe.set_model(model)
    norms = list(probe.layer_norms().values())
    return norms[1:-1]  # the hidden layers, without stem and head


@figure("architectures-residual-gradients")
def residual_gradients():
    return plotting.plot_gradient_norms(
        {
            f"{RESIDUAL_DEPTH} sigmoid Dense layers": hidden_gradient_norms(False),
            "the same, each inside Residual": hidden_gradient_norms(True),
        },
        title="Gradient norm per hidden layer at initialization",
        xlabel="hidden layer (1 = nearest the input)",
    )
