"""Forward+backward time of each activation and loss vs its Keras twin, and the course CNN's step.

Micro rows: one function computes the activation (or loss) of a 1024x1024
batch and its gradient with respect to the input, through a fixed upstream
gradient, in each way the active backend's `fit` runs a step:

* TensorFlow: graph mode (`tf.function`, each op its own kernel: what
  `fit(jit_compile=False)` runs) and XLA (`tf.function(jit_compile=True)`);
* JAX: XLA (`jax.jit` of `jax.grad`, what `fit` runs by default on JAX);
* PyTorch: eager autograd (what `fit` runs by default on PyTorch).

CNN rows: one `train_on_batch` step of the course CNN (Conv2D(10, 3x3, same,
relu) -> MaxPool(2) -> Flatten -> Dense(100, relu) -> Dense(10, softmax) on
28x28x1 images), built from Keras layers with our activation functions vs
Keras's, same loss, same optimizer, same initial weights, with Keras's
default `jit_compile="auto"` (XLA on TensorFlow with a GPU and on JAX, graph
mode on a CPU-only TensorFlow, eager on PyTorch) and, on TensorFlow, with
`jit_compile=False` as well.
"""

from __future__ import annotations

import keras
import numpy as np

from benchmarks.harness import Row, format_table, interleaved_median_ms
from kerastoolkit import activations, losses

# The micro rows are information, not targets (decided in issue 14): in graph
# mode our from-first-principles softmax (max, subtract, exp, sum, divide)
# costs more than Keras's single fused kernel, and the hand-written sigmoid
# and leaky-ReLU gradients more than Keras's; we keep the forward that shows
# the max-subtraction and the hand-written gradients. The training step is
# the target.
MICRO_TARGET = None
MICRO_NOTE = "information: the readable forward / hand-written gradient is kept (issue 14)"
CNN_TARGET = 1.10

# The batch for the micro rows, and the CNN's MNIST-sized batch.
SHAPE = (1024, 1024)
QUICK_SHAPE = (64, 64)
CNN_BATCH = 128
CLASSES = 10

ACTIVATIONS = {
    "step": (activations.step, lambda x: keras.ops.heaviside(x, 0.0)),
    "sigmoid": (activations.sigmoid, keras.activations.sigmoid),
    "tanh": (activations.tanh, keras.activations.tanh),
    "relu": (activations.relu, keras.activations.relu),
    "leaky_relu": (activations.leaky_relu, keras.activations.leaky_relu),
    "elu": (activations.elu, keras.activations.elu),
    "softmax": (activations.softmax, keras.activations.softmax),
    "log_softmax": (activations.log_softmax, keras.activations.log_softmax),
    "glu": (activations.glu, keras.activations.glu),
}

# Each loss takes (targets, predictions); the targets are drawn to suit it.
LOSSES = {
    "mean_squared_error": (losses.MeanSquaredError(), keras.losses.MeanSquaredError(), "real"),
    "binary_crossentropy": (
        losses.BinaryCrossentropy(),
        keras.losses.BinaryCrossentropy(),
        "binary",
    ),
    "binary_crossentropy(from_logits)": (
        losses.BinaryCrossentropy(from_logits=True),
        keras.losses.BinaryCrossentropy(from_logits=True),
        "binary_logits",
    ),
    "categorical_crossentropy": (
        losses.CategoricalCrossentropy(),
        keras.losses.CategoricalCrossentropy(),
        "one_hot",
    ),
    "categorical_crossentropy(from_logits)": (
        losses.CategoricalCrossentropy(from_logits=True),
        keras.losses.CategoricalCrossentropy(from_logits=True),
        "one_hot_logits",
    ),
    "sparse_categorical_crossentropy(from_logits)": (
        losses.SparseCategoricalCrossentropy(from_logits=True),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "sparse_logits",
    ),
}


def _forward_backward(fn, inputs, upstream, mode):
    """A blocking callable: `fn(*inputs)` and the gradient w.r.t. the last input.

    `mode` is one of the active backend's `MICRO_MODES`.
    """

    def total(*args):
        y = fn(*args)
        return keras.ops.sum(y * upstream[..., : y.shape[-1]]) if len(y.shape) else y

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=mode == "XLA")
        def run(*args):
            with tf.GradientTape() as tape:
                tape.watch(args[-1])
                y = total(*args)
            return tape.gradient(y, args[-1], unconnected_gradients=tf.UnconnectedGradients.ZERO)

        return lambda: run(*inputs).numpy()
    if backend == "jax":
        import jax

        run = jax.jit(jax.grad(total, argnums=len(inputs) - 1))
        return lambda: np.asarray(run(*inputs))
    if backend == "torch":
        import torch

        def run():
            x = inputs[-1].detach().requires_grad_(True)
            (g,) = torch.autograd.grad(total(*inputs[:-1], x), x, allow_unused=True)
            return (torch.zeros_like(x) if g is None else g).numpy()

        return run
    raise ValueError(f"No micro benchmark for the backend {backend!r}")


#: The ways each backend's `fit` runs a step, timed for the micro rows.
MICRO_MODES = {"tensorflow": ("graph", "XLA"), "jax": ("XLA",), "torch": ("eager",)}
#: The CNN rows' `jit_compile` settings on each backend.
CNN_MODES = {
    "tensorflow": (("auto", "default, XLA"), (False, "jit_compile=False")),
    "jax": (("auto", "default, XLA"),),
    "torch": (("auto", "default, eager"),),
}
#: Micro rows a backend cannot time: PyTorch has no derivative of `heaviside`,
#: the Keras twin of `step`, so its backward pass raises there.
MICRO_UNTIMED = {"torch": ("step",)}
#: What is not timed on a backend, and why; recorded under its table.
LEFT_OUT = {
    "jax": "left out on JAX: the graph-mode micro rows and the jit_compile=False CNN row "
    "(JAX has no graph mode; without jit it runs op by op, which `fit` never does).",
    "torch": "left out on PyTorch: the XLA rows and jit_compile=True (on PyTorch that is "
    "`torch.compile`, which Keras does not pick by default; Keras's default there is eager), "
    "and the step row (PyTorch has no derivative of `heaviside`, the Keras twin of step).",
}


def _loss_inputs(kind, shape, rng):
    scores = rng.normal(size=shape).astype("float32")
    if kind == "real":
        return [rng.normal(size=shape).astype("float32"), scores]
    if kind.startswith("binary"):
        target = rng.integers(0, 2, size=shape).astype("float32")
        return [target, scores if kind.endswith("logits") else 1 / (1 + np.exp(-scores))]
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    if kind.startswith("sparse"):
        return [labels, scores]
    target = np.eye(shape[-1], dtype="float32")[labels]
    if kind.endswith("logits"):
        return [target, scores]
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return [target, e / e.sum(-1, keepdims=True)]


def _micro_rows(quick):
    shape = QUICK_SHAPE if quick else SHAPE
    repeats, warmup = (3, 1) if quick else (40, 5)
    rng = np.random.default_rng(0)
    tensor = keras.ops.convert_to_tensor
    x = tensor(rng.normal(size=shape).astype("float32"))
    upstream = tensor(rng.normal(size=shape).astype("float32"))
    rows = []
    for mode in MICRO_MODES[keras.backend.backend()]:
        for name, (ours, theirs) in ACTIVATIONS.items():
            if name in MICRO_UNTIMED.get(keras.backend.backend(), ()):
                continue
            ms = interleaved_median_ms(
                _forward_backward(ours, [x], upstream, mode),
                _forward_backward(theirs, [x], upstream, mode),
                repeats,
                warmup,
            )
            rows.append(Row(f"{name} ({mode})", *ms, MICRO_TARGET, MICRO_NOTE))
        for name, (ours, theirs, kind) in LOSSES.items():
            inputs = [tensor(v) for v in _loss_inputs(kind, shape, rng)]
            ms = interleaved_median_ms(
                _forward_backward(ours, inputs, upstream, mode),
                _forward_backward(theirs, inputs, upstream, mode),
                repeats,
                warmup,
            )
            rows.append(Row(f"{name} ({mode})", *ms, MICRO_TARGET, MICRO_NOTE))
    return rows


def course_cnn(relu, softmax):
    """The course CNN with the given activation functions, uncompiled."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(10, (3, 3), padding="same", activation=relu),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(100, activation=relu),
            keras.layers.Dense(CLASSES, activation=softmax),
        ]
    )


def _cnn_step(relu, softmax, weights, images, labels, jit):
    model = course_cnn(relu, softmax)
    model.set_weights(weights)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        jit_compile=jit,
    )
    return lambda: model.train_on_batch(images, labels)


def _cnn_rows(quick):
    batch = 8 if quick else CNN_BATCH
    repeats, warmup = (3, 1) if quick else (40, 5)
    rng = np.random.default_rng(0)
    images = rng.normal(size=(batch, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, CLASSES, size=batch)
    theirs = (keras.activations.relu, keras.activations.softmax)
    weights = course_cnn(*theirs).get_weights()
    rows = []
    for jit, mode in CNN_MODES[keras.backend.backend()]:
        ms = interleaved_median_ms(
            _cnn_step(activations.relu, activations.softmax, weights, images, labels, jit),
            _cnn_step(*theirs, weights, images, labels, jit),
            repeats,
            warmup,
        )
        rows.append(Row(f"course CNN train step ({mode})", *ms, CNN_TARGET))
    return rows


def run(quick: bool = False) -> list[Row]:
    return _micro_rows(quick) + _cnn_rows(quick)


if __name__ == "__main__":
    print(format_table(run(), "Activations and losses: forward+backward, ours vs Keras"))
