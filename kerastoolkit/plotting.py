r"""Pictures of the algorithms: activation curves, optimizer paths, training histories, grids.

Every figure on the documentation site is drawn by these functions during the
docs build, from the toolkit's own components, so a picture cannot drift from
the code. Each function returns a `matplotlib.figure.Figure` (it never calls
`plt.show()`); save it with `fig.savefig(...)`. Derivatives and gradients are
taken by automatic differentiation on the active Keras backend (TensorFlow's
`GradientTape`, `jax.grad` or PyTorch's autograd), so every function here
runs on each of the three.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from kerastoolkit.plotting import beale, optimizer_path
    >>> from kerastoolkit.optimizers import SGD
    >>> path = optimizer_path(SGD(learning_rate=0.01), beale, start=(1.0, 1.0), steps=3)
    >>> path.shape, bool(beale(*path[-1]) < beale(*path[0]))
    ((4, 2), True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import keras
import matplotlib.figure
import matplotlib.patches
import numpy as np
from keras import ops

from kerastoolkit._autodiff import value_and_gradients

__all__ = [
    "beale",
    "narrow_valley",
    "derivative",
    "optimizer_path",
    "plot_activation",
    "plot_optimizer_paths",
    "PathPreset",
    "PATH_PRESETS",
    "plot_history",
    "plot_gradient_norms",
    "plot_grids",
    "plot_correlation",
]

FIGURE_DPI = 100
"""Resolution of every figure, in dots per inch."""

PANEL_SIZE = (4.0, 3.0)
"""Width and height, in inches, of one panel of a figure."""

GRID_CELL_SIZE = 0.45
"""Width and height, in inches, of one cell of a drawn grid of numbers."""


def beale(x, y):
    r"""Beale's function, a classic optimizer benchmark with a flat valley and steep walls.

    $$f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$$

    Its global minimum is $f(3, 0.5) = 0$; around it lies a long, curved,
    nearly flat valley, where plain gradient descent crawls and adaptive
    step sizes help.

    Args:
        x: first coordinate, a scalar or an array (any `keras.ops` input).
        y: second coordinate, broadcastable against `x`.

    Returns:
        $f(x, y)$, with the broadcast shape of `x` and `y`.

    Examples:
        >>> from kerastoolkit.plotting import beale
        >>> float(beale(3.0, 0.5))
        0.0

    References:
        - Beale, 1958. On an iterative method for finding a local minimum of a
          function of more than one variable.
    """
    x = ops.convert_to_tensor(x, "float32")
    y = ops.convert_to_tensor(y, "float32")
    return (
        ops.square(1.5 - x + x * y)
        + ops.square(2.25 - x + x * y**2)
        + ops.square(2.625 - x + x * y**3)
    )


def narrow_valley(x, y, ratio=20.0):
    r"""A long narrow valley: a quadratic bowl stretched `ratio` times along $y$.

    $$f(x, y) = \frac{x^2}{2} + \frac{r\, y^2}{2}$$

    with $r$ = `ratio`. The curvature across the valley is $r$ times the
    curvature along it, so a step size small enough not to bounce across the
    valley crawls along it: the picture Momentum and the adaptive methods
    were invented for. Its minimum is $f(0, 0) = 0$.

    Args:
        x: first coordinate, a scalar or an array (any `keras.ops` input).
        y: second coordinate, broadcastable against `x`.
        ratio: $r$, the ratio of the two curvatures, positive.
            Defaults to `20.0`.

    Returns:
        $f(x, y)$, with the broadcast shape of `x` and `y`.

    Examples:
        >>> from kerastoolkit.plotting import narrow_valley
        >>> float(narrow_valley(2.0, 1.0, ratio=10.0))
        7.0
    """
    if ratio <= 0:
        raise ValueError(f"`ratio` must be positive. Received: ratio={ratio}")
    x = ops.convert_to_tensor(x, "float32")
    y = ops.convert_to_tensor(y, "float32")
    return 0.5 * ops.square(x) + 0.5 * ratio * ops.square(y)


def _compiled(fn):
    """On TensorFlow, `fn` traced once into a graph: a path of hundreds of steps then takes ms.

    JAX and PyTorch run `fn` as it is, op by op (an optimizer's step updates
    its variables in place, which `jax.jit` would need in stateless form).
    """
    if keras.backend.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    return tf.function(fn)


def derivative(fn: Callable, x) -> np.ndarray:
    r"""The derivative $f'(x)$ of an elementwise function, by automatic differentiation.

    Because `fn` acts elementwise, the gradient of $\sum_i f(x_i)$ with
    respect to $x_i$ is $f'(x_i)$, so one backward pass gives the whole
    curve. Hand-written gradients (`keras.ops.custom_gradient`) are the ones
    used, so this is also how to picture them.

    Args:
        fn: an elementwise function of a float32 tensor.
        x: the points, an array.

    Returns:
        $f'(x)$ as a float32 NumPy array of the shape of `x`.

    Examples:
        >>> import numpy as np
        >>> from keras import ops
        >>> from kerastoolkit.plotting import derivative
        >>> derivative(ops.square, np.array([1.0, -2.0]))
        array([ 2., -4.], dtype=float32)
    """
    v = keras.Variable(np.asarray(x, "float32"), name="x")
    _, (g,) = value_and_gradients(lambda: fn(v.value), [v])
    return ops.convert_to_numpy(g)


def optimizer_path(optimizer, surface: Callable, start: Sequence[float], steps: int):
    r"""Run an optimizer on a 2-D surface and return the points it visits.

    The point $w = (x, y)$ starts at `start`; each step takes the gradient
    $\nabla f(w)$ by automatic differentiation and hands it to
    `optimizer.apply_gradients`, exactly as `fit` would.

    Args:
        optimizer: a fresh (unbuilt) `keras.optimizers.Optimizer`, ours or Keras's.
        surface: $f(x, y)$, written with `keras.ops` (e.g. [`beale`][kerastoolkit.plotting.beale]).
        start: the starting point $(x_0, y_0)$.
        steps: the number of optimizer steps, non-negative.

    Returns:
        A float32 NumPy array of shape `(steps + 1, 2)`: the start, then the
        point after every step.
    """
    if steps < 0:
        raise ValueError(f"`steps` must be non-negative. Received: steps={steps}")
    w0 = np.asarray(start, "float32")
    w = keras.Variable(w0, name="w")
    optimizer.build([w])

    def loss():
        v = w.value
        return surface(v[0], v[1])

    def step():
        _, (g,) = value_and_gradients(loss, [w])
        optimizer.apply_gradients([(g, w)])
        return w.value

    step = _compiled(step)
    path = [w0]
    for _ in range(steps):
        path.append(ops.convert_to_numpy(step()))
    return np.stack(path)


def _new_figure(ncols=1, nrows=1, width=None):
    """A figure of `nrows` x `ncols` panels (matplotlib's OO API: no global state)."""
    w, h = PANEL_SIZE
    fig = matplotlib.figure.Figure(figsize=(width or w * ncols, h * nrows), dpi=FIGURE_DPI)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def plot_activation(
    fn: Callable, name: str | None = None, x_range=(-5.0, 5.0), num=401, variable="x"
):
    r"""Plot an activation function and its derivative side by side.

    The derivative is computed by automatic differentiation through `fn`
    (see [`derivative`][kerastoolkit.plotting.derivative]), so what is drawn
    is the gradient backpropagation actually uses.

    Args:
        fn: an elementwise activation function, e.g. `kerastoolkit.activations.relu`.
        name: the title; `fn.__name__` when `None`. Defaults to `None`.
        x_range: the interval $[x_{min}, x_{max}]$ drawn. Defaults to `(-5.0, 5.0)`.
        num: the number of points. Defaults to `401`.
        variable: the name of the argument in the titles and on the axis (e.g.
            `"z"` for a loss drawn against a logit). Defaults to `"x"`.

    Returns:
        A `matplotlib.figure.Figure` with two panels, $f(x)$ and $f'(x)$.

    Examples:
        >>> from keras import ops
        >>> from kerastoolkit.plotting import plot_activation
        >>> fig = plot_activation(ops.tanh)
        >>> [ax.get_title() for ax in fig.axes]
        ['tanh(x)', "tanh'(x)"]
    """
    name = name or getattr(fn, "__name__", "f")
    x = np.linspace(*x_range, num, dtype="float32")
    y = ops.convert_to_numpy(fn(ops.convert_to_tensor(x)))
    dy = derivative(fn, x)
    fig, axes = _new_figure(ncols=2)
    for ax, values, title, color in (
        (axes[0, 0], y, f"{name}({variable})", "C0"),
        (axes[0, 1], dy, f"{name}'({variable})", "C1"),
    ):
        ax.axhline(0.0, color="0.8", linewidth=0.8)
        ax.axvline(0.0, color="0.8", linewidth=0.8)
        ax.plot(x, values, color=color)
        ax.set_title(title)
        ax.set_xlabel(variable)
    fig.tight_layout()
    return fig


def plot_optimizer_paths(
    optimizers: Mapping[str, object],
    surface: Callable,
    start: Sequence[float],
    steps: int,
    bounds: Sequence[Sequence[float]],
    minimum: Sequence[float] | None = None,
    title: str | None = None,
    grid_size: int = 200,
    levels: int = 30,
):
    r"""Draw each optimizer's path over the contour lines of a 2-D surface.

    Every optimizer runs from the same `start` for the same number of steps
    (see [`optimizer_path`][kerastoolkit.plotting.optimizer_path]); the
    contour levels are spaced logarithmically so that both the walls and the
    floor of a valley are visible.

    Args:
        optimizers: a mapping from a label to a fresh optimizer instance.
        surface: $f(x, y)$, written with `keras.ops`.
        start: the common starting point $(x_0, y_0)$.
        steps: the number of steps each optimizer takes.
        bounds: `((x_min, x_max), (y_min, y_max))`, the region drawn.
        minimum: the known minimum, marked with a star, or `None`.
            Defaults to `None`.
        title: the figure title, or `None`. Defaults to `None`.
        grid_size: the contour grid resolution per axis. Defaults to `200`.
        levels: the number of contour levels. Defaults to `30`.

    Returns:
        A `matplotlib.figure.Figure`, and the paths are in its legend order.
    """
    (x0, x1), (y0, y1) = bounds
    gx, gy = np.meshgrid(
        np.linspace(x0, x1, grid_size, dtype="float32"),
        np.linspace(y0, y1, grid_size, dtype="float32"),
    )
    gz = ops.convert_to_numpy(surface(gx, gy))
    positive = gz[gz > 0]
    fig, axes = _new_figure(width=PANEL_SIZE[0] * 1.75)
    ax = axes[0, 0]
    fig.set_figheight(PANEL_SIZE[1] * 1.5)
    ax.contour(
        gx, gy, gz,
        levels=np.geomspace(positive.min(), positive.max(), levels),
        cmap="viridis", linewidths=0.6, alpha=0.6,
    )
    for label, optimizer in optimizers.items():
        path = optimizer_path(optimizer, surface, start, steps)
        ax.plot(path[:, 0], path[:, 1], marker=".", markersize=2, linewidth=1.2, label=label)
    ax.plot(*start, "ko", markersize=4)
    if minimum is not None:
        ax.plot(*minimum, "r*", markersize=12)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if title:
        ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.tight_layout()
    return fig


@dataclasses.dataclass(frozen=True)
class PathPreset:
    """A surface with a start, a view and per-optimizer settings that draw legible paths.

    The learning rates are chosen per optimizer so that every path is worth
    looking at on this surface in `steps` steps (one learning rate for all
    would leave some optimizers frozen and send others off the picture); they
    are not tuned for speed.

    Attributes:
        surface: $f(x, y)$, written with `keras.ops`.
        start: the common starting point $(x_0, y_0)$.
        bounds: `((x_min, x_max), (y_min, y_max))`, the region drawn.
        minimum: the known minimum, marked with a star.
        steps: the number of steps each optimizer takes.
        settings: a mapping from a `kerastoolkit.optimizers` class name to
            its constructor arguments.
        title: what the surface is called in a figure title.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from kerastoolkit.plotting import PATH_PRESETS
        >>> fig = PATH_PRESETS["valley"].plot(["SGD", "Adam"], steps=5)
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['SGD (lr=0.09)', 'Adam (lr=0.3)']
    """

    surface: Callable
    start: tuple[float, float]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    minimum: tuple[float, float]
    steps: int
    settings: Mapping[str, Mapping[str, float]]
    title: str

    def optimizers(self, names: Sequence[str] | None = None) -> dict:
        """Fresh optimizers labelled with their learning rate: all of `settings`, or `names`."""
        from kerastoolkit import optimizers

        names = list(self.settings) if names is None else list(names)
        unknown = [n for n in names if n not in self.settings]
        if unknown:
            raise ValueError(
                f"`names` must be among {', '.join(self.settings)}. Received: {unknown}"
            )
        return {
            f"{n} (lr={self.settings[n]['learning_rate']:g})": getattr(optimizers, n)(
                **self.settings[n]
            )
            for n in names
        }

    def plot(self, names=None, steps=None, title=None):
        """`plot_optimizer_paths` of `optimizers(names)` on this surface.

        Args:
            names: the optimizers to draw (class names), or `None` for all.
            steps: the number of steps, or `None` for `self.steps`.
            title: the figure title, or `None` for the surface and the steps.

        Returns:
            A `matplotlib.figure.Figure`.
        """
        steps = self.steps if steps is None else steps
        return plot_optimizer_paths(
            self.optimizers(names), self.surface, self.start, steps, self.bounds, self.minimum,
            title=f"{self.title}, {steps} steps" if title is None else title,
        )


PATH_PRESETS = {
    "beale": PathPreset(
        surface=beale,
        start=(1.0, 1.5),
        bounds=((-0.5, 4.0), (-1.0, 2.5)),
        minimum=(3.0, 0.5),
        steps=300,
        settings={
            "SGD": dict(learning_rate=0.01),
            "Momentum": dict(learning_rate=0.005, momentum=0.9),
            "Nesterov": dict(learning_rate=0.005, momentum=0.9),
            "Adagrad": dict(learning_rate=0.5),
            "RMSprop": dict(learning_rate=0.01),
            "Adadelta": dict(learning_rate=10.0),
            "Adam": dict(learning_rate=0.05),
            "Nadam": dict(learning_rate=0.05),
        },
        title="Beale's function",
    ),
    "valley": PathPreset(
        surface=narrow_valley,
        start=(-8.0, 1.5),
        bounds=((-9.0, 2.0), (-2.0, 2.0)),
        minimum=(0.0, 0.0),
        steps=60,
        settings={
            "SGD": dict(learning_rate=0.09),
            "Momentum": dict(learning_rate=0.02, momentum=0.9),
            "Nesterov": dict(learning_rate=0.02, momentum=0.9),
            "Adagrad": dict(learning_rate=1.0),
            "RMSprop": dict(learning_rate=0.1),
            "Adadelta": dict(learning_rate=10.0),
            "Adam": dict(learning_rate=0.3),
            "Nadam": dict(learning_rate=0.3),
        },
        title="A narrow valley (curvature ratio 20)",
    ),
}
"""The two surfaces of the optimizers guide (and of `kerastoolkit plot optimizers`)."""


def _history_dict(history):
    """The metrics dict of a `keras.callbacks.History` or of a plain mapping."""
    return history.history if hasattr(history, "history") else dict(history)


def plot_history(
    histories: Mapping[str, object],
    metric: str = "loss",
    title: str | None = None,
    log_scale: bool = False,
):
    r"""Plot training curves: solid for training, dashed for validation.

    Args:
        histories: a mapping from a label to a `keras.callbacks.History` (what
            `fit` returns) or to its `.history` dict.
        metric: the metric to draw; its `"val_"` twin is drawn dashed when
            present. Defaults to `"loss"`.
        title: the figure title, or `None`. Defaults to `None`.
        log_scale: draw the metric on a logarithmic axis. Defaults to `False`.

    Returns:
        A `matplotlib.figure.Figure` with one panel.

    Examples:
        >>> from kerastoolkit.plotting import plot_history
        >>> fig = plot_history({"run": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}})
        >>> [line.get_label() for line in fig.axes[0].lines]
        ['run (train)', 'run (validation)']
    """
    fig, axes = _new_figure(width=PANEL_SIZE[0] * 1.5)
    ax = axes[0, 0]
    for i, (label, history) in enumerate(histories.items()):
        h = _history_dict(history)
        if metric not in h:
            raise ValueError(
                f"History {label!r} has no metric {metric!r}. Received metrics: {sorted(h)}"
            )
        epochs = np.arange(1, len(h[metric]) + 1)
        ax.plot(epochs, h[metric], color=f"C{i}", label=f"{label} (train)")
        if f"val_{metric}" in h:
            ax.plot(
                epochs, h[f"val_{metric}"], color=f"C{i}", linestyle="--",
                label=f"{label} (validation)",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if log_scale:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_gradient_norms(
    norms: Mapping[str, Sequence[float]],
    title: str | None = None,
    xlabel: str = "layer (1 = nearest the input)",
):
    r"""Plot the gradient norm of each layer, input side first, one line per network.

    Meant for the per-layer norms recorded by
    [`GradientNormHistory`][kerastoolkit.callbacks.GradientNormHistory]: a
    line that falls by orders of magnitude towards the input is the
    vanishing-gradient problem made visible.

    Args:
        norms: a mapping from a label to the layers' gradient norms, in
            order from the input to the output.
        title: the figure title, or `None`. Defaults to `None`.
        xlabel: what the positions are (layers, or time steps for a recurrent
            network). Defaults to `"layer (1 = nearest the input)"`.

    Returns:
        A `matplotlib.figure.Figure` with one panel, on a logarithmic axis.

    Examples:
        >>> from kerastoolkit.plotting import plot_gradient_norms
        >>> fig = plot_gradient_norms({"sigmoid": [1e-4, 1e-2, 1.0]})
        >>> fig.axes[0].get_yscale()
        'log'
    """
    fig, axes = _new_figure(width=PANEL_SIZE[0] * 1.5)
    ax = axes[0, 0]
    for label, values in norms.items():
        depth = np.arange(1, len(values) + 1)
        ax.plot(depth, values, marker="o", label=label)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("gradient norm")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _draw_grid(ax, values, title, shaded=None):
    """Draw a 2-D array as a table of numbers; `shaded` marks cells drawn grey."""
    rows, cols = values.shape
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    for r in range(rows):
        for c in range(cols):
            face = "0.88" if shaded is not None and shaded[r, c] else "white"
            ax.add_patch(
                matplotlib.patches.Rectangle((c, r), 1, 1, facecolor=face, edgecolor="0.3")
            )
            ax.text(c + 0.5, r + 0.5, f"{values[r, c]:g}", ha="center", va="center")
    ax.set_title(title, fontsize="medium")


def plot_grids(grids: Mapping[str, object], shaded: Mapping[str, object] | None = None,
               title: str | None = None):
    r"""Draw 2-D arrays side by side as tables of numbers, one titled panel each.

    The building block of the worked convolution and pooling examples: each
    array is drawn cell by cell with its value written in, so a reader can
    redo the arithmetic.

    Args:
        grids: a mapping from a panel title to a 2-D array.
        shaded: a mapping from a panel title to a boolean mask of the cells
            to shade (e.g. the zero padding), or `None`. Defaults to `None`.
        title: the figure title, or `None`. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure` with one panel per grid.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.plotting import plot_grids
        >>> fig = plot_grids({"input": np.eye(2), "max": np.ones((1, 1))})
        >>> [ax.get_title() for ax in fig.axes], [t.get_text() for t in fig.axes[1].texts]
        (['input', 'max'], ['1'])
    """
    arrays = {name: np.asarray(a) for name, a in grids.items()}
    for name, a in arrays.items():
        if a.ndim != 2:
            raise ValueError(f"Each grid must be 2-D. Received: {name!r} of shape {a.shape}")
    shaded = shaded or {}
    widths = [a.shape[1] for a in arrays.values()]
    height = max(a.shape[0] for a in arrays.values())
    fig = matplotlib.figure.Figure(
        figsize=(GRID_CELL_SIZE * (sum(widths) + len(widths)),
                 GRID_CELL_SIZE * (height + 2)),
        dpi=FIGURE_DPI,
    )
    axes = fig.subplots(1, len(arrays), gridspec_kw={"width_ratios": widths}, squeeze=False)
    for ax, (name, a) in zip(axes[0], arrays.items()):
        _draw_grid(ax, a, name, shaded.get(name))
    if title:
        fig.suptitle(title)
    return fig


def plot_correlation(image, kernel, output, padding: int = 0, title: str | None = None):
    r"""Draw a worked 2-D cross-correlation as three grids: input ⋆ kernel = output.

    The padded border of the input, if any, is shaded so that "valid",
    "same" and "full" padding can be told apart at a glance; the output is
    whatever the caller computed (on the docs site: our `Conv2D`).

    Args:
        image: the 2-D input, unpadded.
        kernel: the 2-D kernel.
        output: the 2-D result.
        padding: the number of zero rows/columns added on each side.
            Defaults to `0`.
        title: the figure title, or `None`. Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure` with three panels.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.plotting import plot_correlation
        >>> fig = plot_correlation(np.eye(2), np.ones((1, 1)), np.eye(2), padding=1)
        >>> [ax.get_title() for ax in fig.axes]
        ['input (padding 1)', 'kernel', 'output']
    """
    if padding < 0:
        raise ValueError(f"`padding` must be non-negative. Received: padding={padding}")
    image = np.asarray(image)
    padded = np.pad(image, padding)
    border = np.pad(np.zeros(image.shape, bool), padding, constant_values=True)
    name = f"input (padding {padding})" if padding else "input"
    return plot_grids(
        {name: padded, "kernel": kernel, "output": output}, shaded={name: border}, title=title
    )
