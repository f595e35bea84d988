"""Figures of the regression guide: the cost J(w), odds and logit, a decision boundary, Iris."""

import keras
import matplotlib.figure
import numpy as np
from figure_library import figure

from kerastoolkit import activations, layers, plotting
from kerastoolkit.datasets import load_iris, train_val_test_split
from kerastoolkit.losses import SparseCategoricalCrossentropy
from kerastoolkit.models import LinearRegression, LogisticRegression
from kerastoolkit.optimizers import SGD, Adam

# The notes' data: x = y = [1, 2, 3] with b = 0, and the one-sample x = y = 2 descent.
COST_X = np.array([[1.0], [2.0], [3.0]], "float32")
COST_Y = np.array([1.0, 2.0, 3.0], "float32")
W_GRID = np.linspace(-1.0, 3.0, 101, dtype="float32")
DESCENT_X, DESCENT_Y = np.array([[2.0]], "float32"), np.array([2.0], "float32")
DESCENT_START, DESCENT_STEPS = 3.0, 8
LEARNING_RATES = (0.01, 0.4, 0.51)

SIX_X = np.array([[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], "float32")
SIX_Y = np.array([0, 0, 0, 1, 1, 1], "float32")
SIX_STEPS, SIX_LR = 1000, 0.3

IRIS_SEED, IRIS_REPEATS, IRIS_EPOCHS, IRIS_LR = 0, 10, 10, 0.01


def linear_model(w, b=0.0):
    model = LinearRegression()
    model.build((None, 1))
    model.set_weights([np.array([[w]], "float32"), np.array([b], "float32")])
    return model


def descent(alpha):
    """Gradient descent on w alone (b held at 0, as in the notes) with our model's gradient."""
    model, ws = linear_model(DESCENT_START), [DESCENT_START]
    for _ in range(DESCENT_STEPS):
        dw, _ = model.gradients(DESCENT_X, DESCENT_Y)
        model.w.assign(model.w - alpha * dw)
        ws.append(float(model.w[0, 0]))
    return np.array(ws)


@figure("regression-cost")
def regression_cost():
    fig = matplotlib.figure.Figure(figsize=(10.0, 3.5), dpi=plotting.FIGURE_DPI)
    ax_cost, ax_descent = fig.subplots(1, 2)
    costs = []
    for w in W_GRID:
        model = linear_model(float(w))
        costs.append(float(model.compute_loss(COST_X, COST_Y, model(COST_X))))
    ax_cost.plot(W_GRID, costs)
    for w in (0.0, 2.0):
        ax_cost.plot(w, 14 / 6, "ro")
        ax_cost.annotate(f"J({w:g}) = 2.3333", (w, 14 / 6), textcoords="offset points",
                         xytext=(5, 5), fontsize="small")
    ax_cost.set_title("J(w) on x = y = [1, 2, 3], b = 0")
    ax_cost.set_xlabel("w")
    ax_cost.set_ylabel("J")
    wide = np.linspace(-1.6, 3.6, 105, dtype="float32")
    ax_descent.plot(wide, 0.5 * (2 * wide - 2) ** 2, color="0.6")
    for alpha in LEARNING_RATES:
        ws = descent(alpha)
        ax_descent.plot(ws, 0.5 * (2 * ws - 2) ** 2, "o-", markersize=3, label=f"α = {alpha}")
    ax_descent.set_xlim(wide[0], wide[-1])
    ax_descent.set_ylim(-0.5, 14)
    ax_descent.set_title(f"{DESCENT_STEPS} steps from w = {DESCENT_START:g} (x = y = 2)")
    ax_descent.set_xlabel("w")
    ax_descent.legend(fontsize="small")
    fig.tight_layout()
    return fig


@figure("regression-logit")
def regression_logit():
    p = np.linspace(0.01, 0.99, 99, dtype="float32")
    z = np.linspace(-6, 6, 121, dtype="float32")
    fig = matplotlib.figure.Figure(figsize=(10.0, 3.0), dpi=plotting.FIGURE_DPI)
    ax_odds, ax_logit, ax_sigmoid = fig.subplots(1, 3)
    ax_odds.plot(p, p / (1 - p))
    ax_odds.set_title("odds p / (1 - p)")
    ax_logit.plot(p, np.log(p / (1 - p)))
    ax_logit.set_title("logit(p) = log(p / (1 - p))")
    for ax in (ax_odds, ax_logit):
        ax.set_xlabel("p")
    ax_sigmoid.plot(z, keras.ops.convert_to_numpy(activations.sigmoid(z)))
    ax_sigmoid.set_title("its inverse: σ(z) = 1 / (1 + e^-z)")
    ax_sigmoid.set_xlabel("z")
    fig.tight_layout()
    return fig


def six_point_model():
    model = LogisticRegression(kernel_initializer="zeros")
    model.compile(SGD(learning_rate=SIX_LR), metrics=["accuracy"])
    model.fit(np.tile(SIX_X, (SIX_STEPS, 1)), np.tile(SIX_Y, SIX_STEPS), epochs=1,
              batch_size=len(SIX_X), shuffle=False, verbose=0)
    return model


@figure("regression-boundary")
def regression_boundary():
    model = six_point_model()
    (w1, w2), b = np.asarray(model.w)[:, 0], float(model.b[0])
    fig = matplotlib.figure.Figure(figsize=(5.0, 3.8), dpi=plotting.FIGURE_DPI)
    ax = fig.subplots()
    g1, g2 = np.meshgrid(np.linspace(0, 7, 141, dtype="float32"),
                         np.linspace(0, 4, 81, dtype="float32"))
    a = keras.ops.convert_to_numpy(model(np.stack([g1.ravel(), g2.ravel()], 1))).reshape(g1.shape)
    shade = ax.contourf(g1, g2, a, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.5)
    fig.colorbar(shade, ax=ax, label="a = σ(xw + b)")
    ax.contour(g1, g2, a, levels=[0.5], colors="k")
    for (x1, x2), label in zip(SIX_X, SIX_Y):
        ax.plot(x1, x2, "o" if label else "x", color="C3" if label else "C0", markersize=9)
    ax.set_title(f"a = 0.5 where {w1:.2f} x1 + {w2:.2f} x2 {b:+.2f} = 0")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    fig.tight_layout()
    return fig


@figure("regression-iris")
def regression_iris():
    keras.utils.set_random_seed(IRIS_SEED)
    (x_train, y_train), val, _ = train_val_test_split(*load_iris(), seed=IRIS_SEED)
    model = keras.Sequential([
        keras.Input((4,)), layers.Dense(10, activation="relu"),
        layers.Dense(10, activation="relu"), layers.Dense(3),
    ])
    model.compile(Adam(learning_rate=IRIS_LR),
                  loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(np.tile(x_train, (IRIS_REPEATS, 1)), np.tile(y_train, IRIS_REPEATS),
                        validation_data=val, epochs=IRIS_EPOCHS, batch_size=16, verbose=0)
    return plotting.plot_history(
        {"Iris 4-10-10-3": history}, metric="accuracy",
        title=f"Iris, 6:2:2 split, each epoch = {IRIS_REPEATS} passes over the 90 training flowers",
    )
