"""Experiment `learning-rate`: the notes' linear regression with α = 0.01, 0.4 and 0.51."""

from __future__ import annotations

import keras
import numpy as np

from kerastoolkit import optimizers
from kerastoolkit.experiments._common import new_figure
from kerastoolkit.experiments._registry import Result, register
from kerastoolkit.models import LinearRegression

#: The notes' data (notes 004): x = y = [1, 2, 3], fitted by y = w x with b held at 0.
X = np.array([[1.0], [2.0], [3.0]], "float32")
Y = np.array([[1.0], [2.0], [3.0]], "float32")
W0 = 0.0
#: The notes' learning rates and what they show for each.
RATES = {0.01: "slow", 0.4: "oscillating", 0.51: "diverging"}
STEPS = 20
QUICK_STEPS = 10
#: The cost the notes mark at w = 0 and at w = 2 (b = 0): J = 14/6.
COURSE_COST = 2.3333
#: A run has "converged" once |w - w*| is below this share of where it started.
CONVERGED_SHARE = 0.1


def cost(w, b=0.0):
    r"""The notes' cost $J(w, b) = \frac{1}{2m}\sum_i (w x_i + b - y_i)^2$ on `X`, `Y`."""
    w = np.asarray(w, "float64")[..., None]
    return 0.5 * np.mean((w * X[:, 0] + b - Y[:, 0]) ** 2, axis=-1)


def descend(learning_rate, steps, w0=W0):
    r"""Gradient descent on w alone (b stays 0), with `LinearRegression.gradients` and our SGD.

    Returns the iterates $w_0 \ldots w_T$ and the costs $J(w_t)$ the model computes.
    """
    model = LinearRegression(kernel_initializer=keras.initializers.Constant(w0))
    model.build((None, 1))
    sgd = optimizers.SGD(learning_rate)
    ws, costs = [], []
    for _ in range(steps + 1):
        ws.append(float(keras.ops.convert_to_numpy(model.w)[0, 0]))
        costs.append(float(model.compute_loss(y=Y, y_pred=model(X))))
        dw, _db = model.gradients(X, Y)
        sgd.apply([dw], [model.w])
    return np.array(ws[: steps + 1]), np.array(costs[: steps + 1])


def behaviour(ws, w_star=1.0):
    """`diverges`, `oscillates, converges`, `converges slowly` or `converges`, from the iterates."""
    distance = np.abs(ws - w_star)
    if distance[-1] >= distance[0]:
        return "diverges"
    if np.all(np.sign(ws[1:] - w_star) != np.sign(ws[:-1] - w_star)):
        return "oscillates, converges"
    return "converges slowly" if distance[-1] > CONVERGED_SHARE * distance[0] else "converges"


@register("learning-rate",
          "the notes' linear regression on x = y = [1, 2, 3] with α = 0.01, 0.4 and 0.51, and "
          "its cost curve J(w) (notes 004)", uses_dataset=False)
def run(dataset=None, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Descend J(w) from w = 0 with each learning rate; `epochs` is the number of steps.

    Rows give the final w and J and the behaviour beside the notes' word
    for it; a second table checks the cost curve at the notes' two points.
    """
    if dataset is not None:
        raise ValueError("`learning-rate` runs on the notes' three points x = y = [1, 2, 3]. "
                         f"Received: dataset={dataset!r}, allowed: None")
    steps = epochs or (QUICK_STEPS if quick else STEPS)
    paths, rows = {}, []
    for rate, course in RATES.items():
        ws, costs = descend(rate, steps)
        paths[rate] = (ws, costs)
        if verbose:
            print(f"α = {rate:g}: w = " + ", ".join(f"{w:.4g}" for w in ws), flush=True)
        rows.append({
            "learning_rate": rate,
            "final_w": float(f"{ws[-1]:.5g}"),
            "final_cost": float(f"{costs[-1]:.5g}"),
            "behaviour": behaviour(ws),
            "course": course,
        })
    curve_rows = [{"w": w, "b": 0.0, "cost": round(float(cost(w)), 4), "course": COURSE_COST}
                  for w in (0.0, 2.0)]
    return Result(
        experiment="learning-rate",
        dataset="course",
        data="the notes' three points x = y = [1, 2, 3], b held at 0, full-batch steps from w = 0",
        tables={f"{steps} steps of gradient descent on J(w)": rows,
                "the cost curve J(w) at b = 0": curve_rows},
        histories={f"α = {rate:g}": {"w": ws.tolist(), "cost": c.tolist()}
                   for rate, (ws, c) in paths.items()},
        figures={"learning_rate": _figure(paths)},
        summary=["course: the notes' plots for α = 0.01 (slow), 0.4 (oscillating) and 0.51 "
                 "(diverging), and J(0) = J(2) = 2.3333 (notes 004); steps converge for "
                 "α < 2 / J''(w) = 3/7 ≈ 0.4286"],
    )


def _figure(paths):
    fig, axes = new_figure(ncols=2)
    curve, steps = axes[0, 0], axes[0, 1]
    w = np.linspace(-1.0, 3.0, 201)
    curve.plot(w, cost(w), color="0.6", label="J(w), b = 0")
    for i, (rate, (ws, costs)) in enumerate(paths.items()):
        shown = np.abs(ws - 1.0) <= 2.0  # the iterates inside the drawn window
        curve.plot(ws[shown], cost(ws[shown]), marker="o", markersize=3, linewidth=0.8,
                   color=f"C{i}", label=f"α = {rate:g}")
        steps.plot(range(len(costs)), costs, marker="o", markersize=3, color=f"C{i}",
                   label=f"α = {rate:g}")
    curve.set_xlabel("w")
    curve.set_ylabel("J(w)")
    curve.set_ylim(-0.3, 10.0)
    curve.set_title("the cost curve and each run's steps", fontsize="medium")
    curve.legend(fontsize="small")
    steps.set_yscale("log")
    steps.set_xlabel("step")
    steps.set_ylabel("J")
    steps.set_title("J after each step", fontsize="medium")
    fig.tight_layout()
    return fig
