"""Figures of the perceptron guide: logic gates as decision boundaries, the rule at work."""

import keras
import matplotlib.figure
import numpy as np
from figure_library import figure

from kerastoolkit import activations, layers, plotting
from kerastoolkit.models import Perceptron

GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
# The course's AND and OR weights; NAND is AND negated.
GATES = {
    "AND": ((1.0, 1.0), -1.5, [0, 0, 0, 1]),
    "OR": ((0.7, 0.7), -0.3, [0, 1, 1, 1]),
    "NAND": ((-1.0, -1.0), 1.5, [1, 1, 1, 0]),
}
XOR_Y = [0, 1, 1, 0]
GRID = np.linspace(-0.5, 1.5, 161, dtype="float32")
EPOCHS = 6


def gate(w, b):
    p = Perceptron()
    p.build((None, 2))
    p.set_weights([np.array(w, "float32")[:, None], np.array([b], "float32")])
    return p


def xor_network():
    """Two layers of step neurons: NAND and OR in the hidden layer, AND on top."""
    hidden = layers.Dense(2, activation=activations.step)
    out = layers.Dense(1, activation=activations.step)
    net = keras.Sequential([keras.Input((2,)), hidden, out])
    (nw, nb), (ow, ob) = GATES["NAND"][:2], GATES["OR"][:2]
    hidden.set_weights([np.array([nw, ow], "float32").T, np.array([nb, ob], "float32")])
    aw, ab = GATES["AND"][:2]
    out.set_weights([np.array(aw, "float32")[:, None], np.array([ab], "float32")])
    return net


def _regions(ax, model, y, title):
    gx, gy = np.meshgrid(GRID, GRID)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    z = keras.ops.convert_to_numpy(model(grid)).reshape(gx.shape)
    ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#dde4f5", "#f7d9c4"])
    for (x0, x1), label in zip(GATE_X, y):
        ax.plot(x0, x1, "o" if label else "x", color="C1" if label else "C0", markersize=9)
    ax.set_title(title)
    ax.set_xlim(GRID[0], GRID[-1])
    ax.set_ylim(GRID[0], GRID[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


@figure("perceptron-gates")
def perceptron_gates():
    fig = matplotlib.figure.Figure(figsize=(12.0, 3.4), dpi=plotting.FIGURE_DPI)
    axes = fig.subplots(1, 4)
    for ax, (name, (w, b, y)) in zip(axes, GATES.items()):
        _regions(ax, gate(w, b), y, f"{name}: w = {w}, b = {b}")
    _regions(axes[3], xor_network(), XOR_Y, "XOR = AND(NAND, OR)")
    fig.tight_layout()
    return fig


@figure("perceptron-learning")
def perceptron_learning():
    """The boundary x w + b = 0 after each epoch of the online rule on AND, from zero weights."""
    p = Perceptron()
    p.compile()
    y = np.array(GATES["AND"][2], "float32")
    fig = matplotlib.figure.Figure(figsize=(8.5, 4.0), dpi=plotting.FIGURE_DPI)
    ax = fig.subplots()
    xs = np.array([GRID[0], GRID[-1]])
    for epoch in range(1, EPOCHS + 1):
        history = p.fit(GATE_X, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
        (w1, w2), b = np.asarray(p.w)[:, 0], float(p.b[0])
        label = f"epoch {epoch}: w = ({w1:g}, {w2:g}), b = {b:g}, " \
                f"mistakes {history.history['loss'][0]:.0%}"
        if w2 != 0:
            ax.plot(xs, -(w1 * xs + b) / w2, label=label, alpha=0.4 + 0.1 * epoch)
        else:
            ax.axvline(-b / w1 if w1 else np.nan, label=label, alpha=0.4 + 0.1 * epoch)
    for (x0, x1), label in zip(GATE_X, y):
        ax.plot(x0, x1, "o" if label else "x", color="C1" if label else "C0", markersize=9)
    ax.set_xlim(GRID[0], GRID[-1])
    ax.set_ylim(GRID[0], GRID[-1])
    ax.set_title("The perceptron rule learning AND (one sample at a time)")
    ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return fig
