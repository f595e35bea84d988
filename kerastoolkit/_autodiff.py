r"""Automatic differentiation with respect to Keras variables, on the active backend.

`plotting` (activation derivatives, optimizer paths) and `callbacks`
(per-layer gradient norms) need gradients outside `fit`. Each backend takes
them its own way: TensorFlow's `GradientTape`, `jax.grad` over the values of
the variables (read through a `keras.StatelessScope`, as Keras's own JAX
trainer does), and PyTorch's autograd. This module is that one switch, so the
modules that use it read the same on every backend.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["value_and_gradients"]


def value_and_gradients(f, variables):
    r"""`f()` and the gradients of $\sum f()$ with respect to each of `variables`.

    Args:
        f: a function of no arguments that reads `variables` (directly or
            through layers and models) and returns a tensor.
        variables: a list of `keras.Variable`s. On PyTorch they must be
            trainable (only those take part in autograd).

    Returns:
        `(y, grads)`: `y = f()`, and one gradient per variable, of its shape;
        zeros where `f` does not depend on the variable.
    """
    variables = list(variables)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch([v.value for v in variables])
            y = f()
        grads = tape.gradient(
            y, [v.value for v in variables], unconnected_gradients=tf.UnconnectedGradients.ZERO
        )
        return y, list(grads)
    if backend == "jax":
        import jax

        def total(values):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                y = f()
            return ops.sum(y), y

        (_, y), grads = jax.value_and_grad(total, has_aux=True)([v.value for v in variables])
        return y, list(grads)
    if backend == "torch":
        import torch

        y = f()
        tensors = [v.value for v in variables]
        if not y.requires_grad:
            return y.detach(), [ops.zeros_like(t) for t in tensors]
        grads = torch.autograd.grad(torch.sum(y), tensors, allow_unused=True)
        return y.detach(), [
            ops.zeros_like(t) if g is None else g for g, t in zip(grads, tensors)
        ]
    raise ValueError(
        "kerastoolkit takes gradients outside `fit` on TensorFlow, JAX and PyTorch. "
        f"Received: backend={backend!r}"
    )
