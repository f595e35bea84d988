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
            [(keras.ops.convert_to_tensor(g), v) for g, v in zip(grads, variables, strict=True)]
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
    steps = zip(got["variables"], want["variables"], strict=True)
    for step, (got_vars, want_vars) in enumerate(steps):
        for i, (g, w) in enumerate(zip(got_vars, want_vars, strict=True)):
            np.testing.assert_allclose(
                g, w, rtol=rtol, atol=atol, err_msg=f"variable {i} after step {step + 1}"
            )
    if len(got["slots"]) != len(want["slots"]):
        raise AssertionError(
            f"{type(ours).__name__} has {len(got['slots'])} optimizer variables, "
            f"{type(reference).__name__} has {len(want['slots'])}."
        )
    names = [v.path for v in reference.variables]
    for name, g, w in zip(names, got["slots"], want["slots"], strict=True):
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


def _call_arguments(call_kwargs):
    """Tensors for the layer's keyword arguments, and which of them to differentiate.

    Floating-point arrays (or lists of them, such as `initial_state`) are
    watched; anything else (a boolean `mask`, a flag) is passed through.
    """
    import tensorflow as tf

    kwargs, watched = {}, {}
    for name, value in call_kwargs.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            kwargs[name] = value
            continue
        several = isinstance(value, (list, tuple))
        tensors = [tf.convert_to_tensor(v) for v in (value if several else [value])]
        if all(t.dtype.is_floating for t in tensors):
            watched[name] = tensors
        kwargs[name] = tensors if several else tensors[0]
    return kwargs, watched


def _outputs_and_gradients(layer, inputs, training, upstream, call_kwargs):
    """Every output of `layer(inputs, **call_kwargs)` and every gradient of one scalar."""
    if keras.backend.backend() != "tensorflow":
        raise NotImplementedError(
            "layer_outputs_and_gradients needs the TensorFlow backend. "
            f"Received: backend={keras.backend.backend()!r}."
        )
    import tensorflow as tf

    x = tf.convert_to_tensor(inputs)
    kwargs, watched = _call_arguments(call_kwargs)
    if not layer.built:
        layer(x, training=training, **kwargs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        for tensors in watched.values():
            tape.watch(tensors)
        out = layer(x, training=training, **kwargs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if upstream is None:
            rng = np.random.default_rng(1)
            upstream = [rng.uniform(-1, 1, size=tuple(o.shape)) for o in outs]
        elif not isinstance(upstream, (list, tuple)):
            upstream = [upstream]
        if len(upstream) != len(outs):
            raise ValueError(
                f"`upstream` needs one array per output ({len(outs)}). "
                f"Received: {len(upstream)} arrays."
            )
        target = sum(
            tf.reduce_sum(tf.cast(o, tf.float32) * tf.cast(u, tf.float32))
            for o, u in zip(outs, upstream, strict=True)
        )
    named = [(name, t) for name, tensors in watched.items() for t in tensors]
    weights = [w.value for w in layer.trainable_weights]
    grads = tape.gradient(target, [x, *(t for _, t in named), *weights])
    as_np = [None if g is None else tf.convert_to_tensor(g).numpy() for g in grads]
    kwarg_gradients = {name: [] for name in watched}
    for (name, _), g in zip(named, as_np[1 : 1 + len(named)], strict=True):
        kwarg_gradients[name].append(g)
    return {
        "outputs": [o.numpy() for o in outs],
        "single": not isinstance(out, (list, tuple)),
        "input_gradient": as_np[0],
        "kwarg_gradients": kwarg_gradients,
        "weight_gradients": as_np[1 + len(named) :],
        "upstream": upstream,
    }


def layer_outputs_and_gradients(layer, inputs, training=False, upstream=None, **call_kwargs):
    """Call `layer` on `inputs` and differentiate a fixed scalar of its output.

    The scalar is `sum(output * upstream)` (summed over the outputs when the
    layer returns several, e.g. a recurrent layer with `return_state`);
    `upstream` defaults to fixed pseudo-random arrays so that every output
    element gets its own weight.

    Args:
        layer: a `keras.layers.Layer` (built or not).
        inputs: a NumPy array.
        training: passed to the layer. Defaults to `False`.
        upstream: the weight array of the same shape as the output (a list,
            one per output, for several outputs), or `None`.
        **call_kwargs: more arguments of the call, such as `mask` or
            `initial_state`. Use `assert_layers_match` to compare the
            gradients with respect to floating-point ones too.

    Returns:
        `(output, input_gradient, weight_gradients, upstream)` as NumPy
        arrays; weight gradients follow `layer.trainable_weights`. `output`
        and `upstream` are lists when the layer returns several outputs.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Dense
        >>> layer = Dense(2, kernel_initializer="ones")
        >>> y, dx, (dW, db), u = layer_outputs_and_gradients(layer, np.ones((1, 3), "float32"))
        >>> y.tolist(), bool(np.allclose(dx, u.sum() * np.ones((1, 3))))
        ([[3.0, 3.0]], True)
    """
    got = _outputs_and_gradients(layer, inputs, training, upstream, call_kwargs)
    one = got["single"]
    return (
        got["outputs"][0] if one else got["outputs"],
        got["input_gradient"],
        got["weight_gradients"],
        got["upstream"][0] if one else got["upstream"],
    )


def _assert_close(got, want, rtol, atol, what):
    if got is None or want is None:
        if (got is None) != (want is None):
            raise AssertionError(f"{what}: {got!r} vs {want!r} in the reference.")
        return
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


def assert_layers_match(
    ours,
    reference,
    inputs,
    training=False,
    rtol=1e-5,
    atol=1e-5,
    copy_weights=True,
    **call_kwargs,
):
    """Assert two layers agree in output and in every gradient.

    The reference is built first and, with `copy_weights`, its weights are
    copied into ours (`ours.set_weights(reference.get_weights())`), so the
    layers must share a weight layout. Every output is compared (all of them
    when the layers return several), then the gradients of one fixed scalar
    of the outputs with respect to the inputs, to every floating-point array
    in `call_kwargs` (such as an `initial_state`) and to every trainable
    weight.

    Args:
        ours: the layer under test.
        reference: the layer it must equal.
        inputs: a NumPy array.
        training: passed to both layers. Defaults to `False`.
        rtol: relative tolerance. Defaults to `1e-5`.
        atol: absolute tolerance. Defaults to `1e-5`.
        copy_weights: copy the reference's weights into ours first.
            Defaults to `True`.
        **call_kwargs: more arguments of both calls, such as `mask` or
            `initial_state`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import LSTM
        >>> x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
        >>> h0 = [np.zeros((2, 5), "float32"), np.ones((2, 5), "float32")]
        >>> assert_layers_match(LSTM(5, return_state=True),
        ...                     keras.layers.LSTM(5, return_state=True), x,
        ...                     mask=np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool),
        ...                     initial_state=h0)
    """
    want = _outputs_and_gradients(reference, inputs, training, None, call_kwargs)
    if not ours.built:
        kwargs, _ = _call_arguments(call_kwargs)
        ours(inputs, training=training, **kwargs)
    if copy_weights:
        ours.set_weights(reference.get_weights())
    got = _outputs_and_gradients(ours, inputs, training, want["upstream"], call_kwargs)
    if len(got["outputs"]) != len(want["outputs"]):
        raise AssertionError(
            f"{len(got['outputs'])} outputs vs {len(want['outputs'])} in the reference."
        )
    for k, (g, w) in enumerate(zip(got["outputs"], want["outputs"], strict=True)):
        _assert_close(g, w, rtol, atol, "output" if got["single"] else f"output {k}")
    _assert_close(got["input_gradient"], want["input_gradient"], rtol, atol, "input gradient")
    for name, wants in want["kwarg_gradients"].items():
        for k, (g, w) in enumerate(zip(got["kwarg_gradients"][name], wants, strict=True)):
            _assert_close(g, w, rtol, atol, f"gradient w.r.t. {name}[{k}]")
    if len(got["weight_gradients"]) != len(want["weight_gradients"]):
        raise AssertionError(
            f"{len(got['weight_gradients'])} trainable weights vs "
            f"{len(want['weight_gradients'])} in the reference."
        )
    pairs = zip(got["weight_gradients"], want["weight_gradients"], strict=True)
    for i, (g, w) in enumerate(pairs):
        _assert_close(g, w, rtol, atol, f"weight gradient {i}")
