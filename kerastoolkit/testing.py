"""Helpers that compare a component with a reference implementation.

These are the tools kerastoolkit's own tests use to prove each component
equal to its Keras twin; they are public so you can check your own
components the same way. They depend only on Keras and NumPy (gradients use
each backend's own differentiation: TensorFlow's `GradientTape`, JAX's
`jax.value_and_grad`, PyTorch's autograd).

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
    "value_and_gradients",
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


def _is_floating(tensor):
    return "float" in keras.backend.standardize_dtype(tensor.dtype)


def _to_numpy(tensor):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(tensor)  # densify Embedding's IndexedSlices
    elif backend == "torch":
        tensor = tensor.detach()
    return keras.ops.convert_to_numpy(tensor)


def value_and_gradients(fn, arrays, variables=(), state=()):
    r"""Call `fn(*arrays)` and differentiate its scalar on the active Keras backend.

    One function for the three backends: TensorFlow's `GradientTape`, JAX's
    `jax.value_and_grad` (the `variables` are read through a
    `keras.StatelessScope` so they can be traced) and PyTorch's
    `torch.autograd.grad`.

    Args:
        fn: a function of one tensor per array, returning `(scalar, aux)`,
            where `aux` is anything `fn` wants to hand back (its outputs).
        arrays: NumPy arrays (or tensors) to differentiate by; arrays that
            are not floating point are passed through and get no gradient.
        variables: `keras.Variable`s `fn` reads, to differentiate by as well.
            Defaults to `()`.
        state: other variables `fn` may update (moving statistics, seed
            states). JAX runs `fn` in a `keras.StatelessScope`, so their new
            values are assigned afterwards; the other backends update them
            in place. Defaults to `()`.

    Returns:
        `(value, aux, array_gradients, variable_gradients)`: the scalar as a
        float, `aux` (its tensors as NumPy arrays) and one NumPy gradient per
        array and per variable. A floating-point input the scalar does not
        depend on gets zeros; a non-floating one gets `None`.

    Examples:
        >>> import numpy as np
        >>> value, _, (dx,), _ = value_and_gradients(
        ...     lambda x: (keras.ops.sum(x ** 2), None), [np.array([1.0, 2.0], "float32")])
        >>> value, dx.tolist()
        (5.0, [2.0, 4.0])
    """
    backend = keras.backend.backend()
    tensors = [keras.ops.convert_to_tensor(a) for a in arrays]
    n = len(tensors)
    wrt = [i for i, t in enumerate(tensors) if _is_floating(t)]
    variables = list(variables)
    if backend == "tensorflow":
        import tensorflow as tf

        sources = [tensors[i] for i in wrt] + [v.value for v in variables]
        with tf.GradientTape() as tape:
            tape.watch(sources)
            value, aux = fn(*tensors)
        grads = tape.gradient(value, sources, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    elif backend == "jax":
        import jax

        others = [v for v in state if all(v is not w for w in variables)]

        def pure(diff, variable_values, other_values):
            inputs = list(tensors)
            for i, t in zip(wrt, diff):
                inputs[i] = t
            mapping = list(zip(variables, variable_values)) + list(zip(others, other_values))
            with keras.StatelessScope(state_mapping=mapping) as scope:
                value, aux = fn(*inputs)
            updates = [scope.get_current_value(v) for v in others]
            return value, (aux, updates)

        (value, (aux, updates)), (d_in, d_var) = jax.value_and_grad(
            pure, argnums=(0, 1), has_aux=True
        )([tensors[i] for i in wrt], [v.value for v in variables], [v.value for v in others])
        for v, u in zip(others, updates):
            if u is not None:
                v.assign(u)
        grads = list(d_in) + list(d_var)
    elif backend == "torch":
        import torch

        for i in wrt:
            tensors[i] = tensors[i].detach().requires_grad_(True)
        value, aux = fn(*tensors)
        sources = [tensors[i] for i in wrt] + [v.value for v in variables]
        grads = [None] * len(sources)
        if value.requires_grad:
            grads = list(torch.autograd.grad(value, sources, allow_unused=True))
        grads = [torch.zeros_like(s) if g is None else g for g, s in zip(grads, sources)]
    else:
        raise NotImplementedError(
            "value_and_gradients supports the tensorflow, jax and torch backends. "
            f"Received: backend={backend!r}."
        )
    array_grads = [None] * n
    for i, g in zip(wrt, grads):
        array_grads[i] = _to_numpy(g)
    variable_grads = [_to_numpy(g) for g in grads[len(wrt) :]]
    aux = keras.tree.map_structure(lambda t: _to_numpy(t) if keras.ops.is_tensor(t) else t, aux)
    return float(_to_numpy(value)), aux, array_grads, variable_grads


def _call_arguments(call_kwargs):
    """The layer's keyword arguments as arrays, and the names of those to differentiate.

    Floating-point arrays (or lists of them, such as `initial_state`) are
    differentiated; anything else (a boolean `mask`, a flag) is passed through.
    """
    passed, arrays = {}, {}
    for name, value in call_kwargs.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            passed[name] = value
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        arrays[name] = (isinstance(value, (list, tuple)), [np.asarray(v) for v in values])
    return passed, arrays


def _build(layer, inputs, training, call_kwargs):
    """Call `layer` once so that it creates its weights."""
    passed, arrays = _call_arguments(call_kwargs)
    for name, (several, values) in arrays.items():
        tensors = [keras.ops.convert_to_tensor(v) for v in values]
        passed[name] = tensors if several else tensors[0]
    layer(keras.ops.convert_to_tensor(np.asarray(inputs)), training=training, **passed)


def _outputs_and_gradients(layer, inputs, training, upstream, call_kwargs):
    """Every output of `layer(inputs, **call_kwargs)` and every gradient of one scalar."""
    passed, arrays = _call_arguments(call_kwargs)
    flat = [a for _, values in arrays.values() for a in values]

    def regroup(tensors):
        kwargs, k = dict(passed), 0
        for name, (several, values) in arrays.items():
            group = list(tensors[k : k + len(values)])
            k += len(values)
            kwargs[name] = group if several else group[0]
        return kwargs

    if not layer.built:
        _build(layer, inputs, training, call_kwargs)
    weights = list(layer.trainable_weights)
    chosen = {"upstream": upstream}

    def scalar(x, *tensors):
        out = layer(x, training=training, **regroup(tensors))
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        u = chosen["upstream"]
        if u is None:
            rng = np.random.default_rng(1)
            u = [rng.uniform(-1, 1, size=tuple(o.shape)) for o in outs]
        elif not isinstance(u, (list, tuple)):
            u = [u]
        if len(u) != len(outs):
            raise ValueError(
                f"`upstream` needs one array per output ({len(outs)}). "
                f"Received: {len(u)} arrays."
            )
        chosen["upstream"] = u
        target = sum(
            keras.ops.sum(
                keras.ops.cast(o, "float32") * keras.ops.convert_to_tensor(np.asarray(w), "float32")
            )
            for o, w in zip(outs, u, strict=True)
        )
        return target, (outs, isinstance(out, (list, tuple)))

    _, (outs, several), array_grads, weight_grads = value_and_gradients(
        scalar, [np.asarray(inputs), *flat], weights, state=layer.variables
    )
    kwarg_gradients, k = {}, 1
    for name, (_, values) in arrays.items():
        if _is_floating(keras.ops.convert_to_tensor(values[0])):
            kwarg_gradients[name] = array_grads[k : k + len(values)]
        k += len(values)
    return {
        "outputs": outs,
        "single": not several,
        "input_gradient": array_grads[0],
        "kwarg_gradients": kwarg_gradients,
        "weight_gradients": weight_grads,
        "upstream": chosen["upstream"],
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
        _build(ours, inputs, training, call_kwargs)
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
