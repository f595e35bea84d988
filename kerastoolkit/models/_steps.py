"""A hand-derived training step, run the same way on every Keras backend."""

from __future__ import annotations

import contextlib

import keras


def _no_autodiff():
    """PyTorch records every op for autograd unless told not to; nothing here needs it."""
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def hand_derived_train_step(model, args, gradients):
    r"""One training step whose gradients come from `gradients(data)`, on the active backend.

    `gradients(data)` returns `(grads, log)`: one gradient per trainable
    variable, in `model.trainable_variables` order, and a function that
    updates the metrics and returns the logs. `args` are the positional
    arguments Keras passed to `train_step`: `(data,)` on TensorFlow and
    PyTorch, where the optimizer applies the gradients in place; `(state,
    data)` on JAX, whose trainer is stateless: there the gradients are
    computed inside a `keras.StatelessScope` that maps every variable to its
    value in `state`, applied with `optimizer.stateless_apply`, and the
    metrics updated in a second scope, as Keras's own JAX `train_step` does.
    """
    if keras.backend.backend() != "jax":
        (data,) = args
        with _no_autodiff():
            grads, log = gradients(data)
            model.optimizer.apply(grads, model.trainable_variables)
            return log()
    state, data = args
    trainable, non_trainable, optimizer_values, metric_values = state
    mapping = [
        *zip(model.trainable_variables, trainable),
        *zip(model.non_trainable_variables, non_trainable),
        *zip(model.optimizer.variables, optimizer_values),
    ]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        grads, log = gradients(data)
    non_trainable = [
        old if new is None else new
        for new, old in zip(
            (scope.get_current_value(v) for v in model.non_trainable_variables), non_trainable
        )
    ]
    trainable, optimizer_values = model.optimizer.stateless_apply(
        optimizer_values, grads, trainable
    )
    with keras.StatelessScope(
        state_mapping=list(zip(model.metrics_variables, metric_values))
    ) as scope:
        logs = log()
    metric_values = [
        old if new is None else new
        for new, old in zip((scope.get_current_value(v) for v in model.metrics_variables),
                            metric_values)
    ]
    return logs, (trainable, non_trainable, optimizer_values, metric_values)
