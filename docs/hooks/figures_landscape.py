"""Figures of the landscape guide: minima and a saddle, paths, schedules, loss vs accuracy."""

import keras
import matplotlib.figure
import numpy as np
from figure_library import figure

from kerastoolkit import optimizers, plotting
from kerastoolkit.models import LogisticRegression

# (x^2 - 1)^2 - 0.3 x^3 + y^2, lifted by 0.5 so the log-spaced contours see the floor:
# a global minimum at x = 1.1188, a local one at x = -0.8938, a saddle at the origin.
LIFT = 0.5
GLOBAL_MIN = (1.1188, 0.0)
LOCAL_MIN = (-0.8938, 0.0)
SADDLE = (0.0, 0.0)
BOUNDS = ((-2.0, 2.0), (-1.5, 1.5))
STEPS = 100
LEARNING_RATE = 0.05
STARTS = {"left": (-1.6, 1.2), "ridge": (0.0, 1.2), "right": (1.6, 1.2)}
SCHEDULE_STEPS = 100


def two_minima(x, y):
    return (x**2 - 1) ** 2 - 0.3 * x**3 + y**2 + LIFT


def _contours(ax):
    (x0, x1), (y0, y1) = BOUNDS
    gx, gy = np.meshgrid(np.linspace(x0, x1, 200, dtype="float32"),
                         np.linspace(y0, y1, 200, dtype="float32"))
    gz = keras.ops.convert_to_numpy(two_minima(gx, gy))
    ax.contour(gx, gy, gz, levels=np.geomspace(gz.min(), gz.max(), 30),
               cmap="viridis", linewidths=0.6, alpha=0.6)
    for point, marker, label in ((GLOBAL_MIN, "r*", "global minimum"),
                                 (LOCAL_MIN, "bs", "local minimum"),
                                 (SADDLE, "kx", "saddle point")):
        ax.plot(*point, marker, markersize=9, label=label)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


@figure("landscape-starts")
def landscape_starts():
    fig = matplotlib.figure.Figure(figsize=(7.0, 4.5), dpi=plotting.FIGURE_DPI)
    ax = fig.subplots()
    _contours(ax)
    for start in STARTS.values():
        path = plotting.optimizer_path(optimizers.SGD(learning_rate=LEARNING_RATE),
                                       two_minima, start, STEPS)
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1.2,
                label=f"SGD from {start}")
    ax.set_title(f"SGD (lr={LEARNING_RATE}), {STEPS} steps from three starts")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.tight_layout()
    return fig


@figure("landscape-optimizers")
def landscape_optimizers():
    runs = {
        f"SGD (lr={LEARNING_RATE})": optimizers.SGD(learning_rate=LEARNING_RATE),
        f"Momentum (lr={LEARNING_RATE}, 0.9)": optimizers.Momentum(
            learning_rate=LEARNING_RATE, momentum=0.9),
        "Adam (lr=0.1)": optimizers.Adam(learning_rate=0.1),
    }
    return plotting.plot_optimizer_paths(
        runs, two_minima, STARTS["left"], STEPS, BOUNDS, minimum=GLOBAL_MIN,
        title=f"From {STARTS['left']}: who crosses the saddle ({STEPS} steps)",
    )


@figure("landscape-schedules")
def landscape_schedules():
    s = keras.optimizers.schedules
    schedules = {
        "ExponentialDecay(0.1, 10, 0.8)": s.ExponentialDecay(0.1, 10, 0.8),
        "InverseTimeDecay(0.1, 10, 1.0)": s.InverseTimeDecay(0.1, 10, 1.0),
        "PiecewiseConstantDecay([30, 60], [0.1, 0.05, 0.01])": s.PiecewiseConstantDecay(
            [30, 60], [0.1, 0.05, 0.01]),
        "CosineDecay(0.1, 100)": s.CosineDecay(0.1, SCHEDULE_STEPS),
    }
    fig = matplotlib.figure.Figure(figsize=(7.0, 3.5), dpi=plotting.FIGURE_DPI)
    ax = fig.subplots()
    steps = np.arange(SCHEDULE_STEPS + 1)
    for label, schedule in schedules.items():
        ax.plot(steps, [float(schedule(t)) for t in steps], label=label)
    ax.set_xlabel("step (optimizer.iterations)")
    ax.set_ylabel("learning rate")
    ax.set_title("Keras learning-rate schedules")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


# Six points on a line, labels 0 0 0 1 1 1; the boundary -b/w sweeps across them.
LOSS_X = np.array([[-2.5], [-1.5], [-0.5], [0.5], [1.5], [2.5]], "float32")
LOSS_Y = np.array([0, 0, 0, 1, 1, 1], "float32")


@figure("landscape-loss-vs-accuracy")
def landscape_loss_vs_accuracy():
    model = LogisticRegression()
    model.build((None, 1))
    biases = np.linspace(-4, 4, 801, dtype="float32")
    losses, accuracies = [], []
    for b in biases:
        model.set_weights([np.ones((1, 1), "float32"), np.array([b], "float32")])
        a = keras.ops.convert_to_numpy(model(LOSS_X))[:, 0]
        losses.append(float(model.compute_loss(LOSS_X, LOSS_Y, a)))
        accuracies.append(float(np.mean((a >= 0.5) == LOSS_Y)))
    fig = matplotlib.figure.Figure(figsize=(8.0, 3.0), dpi=plotting.FIGURE_DPI)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(biases, losses)
    ax_loss.set_title("cross-entropy loss: smooth")
    ax_acc.plot(biases, accuracies, color="C1")
    ax_acc.set_title("accuracy: flat steps, zero slope")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("bias b (w = 1)")
    fig.tight_layout()
    return fig
