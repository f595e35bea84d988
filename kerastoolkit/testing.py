"""Helpers that compare a component with a reference implementation.

These are the tools kerastoolkit's own tests use to prove each component
equal to its Keras twin; they are public so you can check your own
components the same way. They depend only on Keras and NumPy (gradients use
the TensorFlow backend's `GradientTape`).

Examples:
    >>> import keras, numpy as np
    >>> from kerastoolkit.testing import assert_optimizers_match
    >>> steps = [[np.full((2,), 0.5, "float32")]] * 3
    >>> assert_optimizers_match(
    ...     keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
    ...     [np.zeros((2,), "float32")], steps)
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = [
    "optimizer_trajectories",
    "assert_optimizers_match",
    "assert_histories_close",
    "layer_outputs_and_gradients",
    "assert_layers_match",
]


def optimizer_trajectories(optimizer, initial_values, gradient_steps):
    """Run `optimizer` on fresh variables over a fixed sequence of gradients.

    Args:
        optimizer: an (unbuilt) `keras.optimizers.Optimizer`.
        initial_values: one array per variable.
        gradient_steps: a sequence of steps, each a list with one gradient
            array per variable.

    Returns:
        A dict with `"variables"`: a list (one entry per step) of lists of
        NumPy arrays, the variables after that step; and `"slots"`: the
        optimizer's own variables (`optimizer.variables`) after the last
        step, as NumPy arrays in creation order.
    """
    variables = [
        keras.Variable(np.asarray(value), name=f"w{i}")
        for i, value in enumerate(initial_values)
    ]
    trajectory = []
    for grads in gradient_steps:
        if len(grads) != len(variables):
            raise ValueError(
                f"Each step needs one gradient per variable ({len(variables)}). "
                f"Received: {len(grads)} gradients."
            )
        optimizer.apply_gradients(
            [(keras.ops.convert_to_tensor(g), v) for g, v in zip(grads, variables)]
        )
        trajectory.append([keras.ops.convert_to_numpy(v) for v in variables])
    slots = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]
    return {"variables": trajectory, "slots": slots}


def assert_optimizers_match(
    ours, reference, initial_values, gradient_steps, rtol=1e-5, atol=1e-6
):
    """Assert two optimizers give the same variables and slots at every step.

    Both optimizers run from the same initial values on the same gradient
    sequence. Every variable is compared after every step, and every optimizer
    variable (iteration counter, learning rate, slots, in creation order) after
    the last step.

    Args:
        ours: the optimizer under test.
        reference: the optimizer it must equal (e.g. its Keras twin).
        initial_values: one array per variable.
        gradient_steps: a sequence of lists of gradient arrays.
        rtol: relative tolerance. Defaults to `1e-5`.
        atol: absolute tolerance. Defaults to `1e-6`.
    """
    got = optimizer_trajectories(ours, initial_values, gradient_steps)
    want = optimizer_trajectories(reference, initial_values, gradient_steps)
    for step, (got_vars, want_vars) in enumerate(zip(got["variables"], want["variables"])):
        for i, (g, w) in enumerate(zip(got_vars, want_vars)):
            np.testing.assert_allclose(
                g, w, rtol=rtol, atol=atol, err_msg=f"variable {i} after step {step + 1}"
            )
    if len(got["slots"]) != len(want["slots"]):
        raise AssertionError(
            f"{type(ours).__name__} has {len(got['slots'])} optimizer variables, "
            f"{type(reference).__name__} has {len(want['slots'])}."
        )
    names = [v.path for v in reference.variables]
    for name, g, w in zip(names, got["slots"], want["slots"]):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"slot {name}")


def assert_histories_close(history, reference, rtol=1e-5, atol=0.0):
    """Assert two `fit` histories hold the same metrics with close values.

    Args:
        history: a `keras.callbacks.History` (or its `.history` dict).
        reference: the history it must equal.
        rtol: relative tolerance. Defaults to `1e-5`.
        atol: absolute tolerance. Defaults to `0.0`.
    """
    got = getattr(history, "history", history)
    want = getattr(reference, "history", reference)
    if sorted(got) != sorted(want):
        raise AssertionError(f"Different metrics: {sorted(got)} vs {sorted(want)}.")
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol, err_msg=key)


def layer_outputs_and_gradients(layer, inputs, training=False, upstream=None):
    """Call `layer` on `inputs` and differentiate a fixed scalar of its output.

    The scalar is `sum(output * upstream)`; `upstream` defaults to a fixed
    pseudo-random array so that every output element gets its own weight.

    Args:
        layer: a `keras.layers.Layer` (built or not).
        inputs: a NumPy array.
        training: passed to the layer. Defaults to `False`.
        upstream: the weight array of the same shape as the output, or `None`.

    Returns:
        `(output, input_gradient, weight_gradients, upstream)` as NumPy
        arrays; weight gradients follow `layer.trainable_weights`.
    """
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            "layer_outputs_and_gradients needs the TensorFlow backend. "
            f"Received: backend={keras.backend.backend()!r}."
        )
    import tensorflow as tf

    x = tf.convert_to_tensor(inputs)
    if not layer.built:
        layer(x, training=training)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=training)
        if upstream is None:
            upstream = np.random.default_rng(1).uniform(-1, 1, size=tuple(y.shape))
        target = tf.reduce_sum(tf.cast(y, tf.float32) * tf.cast(upstream, tf.float32))
    weights = [w.value for w in layer.trainable_weights]
    grads = tape.gradient(target, [x, *weights])
    as_np = [None if g is None else tf.convert_to_tensor(g).numpy() for g in grads]
    return y.numpy(), as_np[0], as_np[1:], upstream


def assert_layers_match(
    ours, reference, inputs, training=False, rtol=1e-5, atol=1e-5, copy_weights=True
):
    """Assert two layers agree in output and in every gradient.

    The reference is built first and, with `copy_weights`, its weights are
    copied into ours (`ours.set_weights(reference.get_weights())`), so the
    layers must share a weight layout.

    Args:
        ours: the layer under test.
        reference: the layer it must equal.
        inputs: a NumPy array.
        training: passed to both layers. Defaults to `False`.
        rtol: relative tolerance. Defaults to `1e-5`.
        atol: absolute tolerance. Defaults to `1e-5`.
        copy_weights: copy the reference's weights into ours first.
            Defaults to `True`.
    """
    want = layer_outputs_and_gradients(reference, inputs, training=training)
    if not ours.built:
        ours(inputs, training=training)
    if copy_weights:
        ours.set_weights(reference.get_weights())
    got = layer_outputs_and_gradients(ours, inputs, training=training, upstream=want[3])
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=atol, err_msg="output")
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=atol, err_msg="input gradient")
    if len(got[2]) != len(want[2]):
        raise AssertionError(
            f"{len(got[2])} trainable weights vs {len(want[2])} in the reference."
        )
    for i, (g, w) in enumerate(zip(got[2], want[2])):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"weight gradient {i}")
