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


def hand_derived_train_step(model, args, step):
    r"""Run `step(data)`, a stateful training step that needs no tape, on the active backend.

    `args` are the positional arguments Keras passed to `train_step`:
    `(data,)` on TensorFlow and PyTorch, `(state, data)` on JAX, whose
    trainer is stateless. There the step runs inside a `keras.StatelessScope`
    that maps every variable to its value in `state`, and the new state is
    read back from the scope.
    """
    if keras.backend.backend() != "jax":
        (data,) = args
        with _no_autodiff():
            return step(data)
    state, data = args
    groups = [
        model.trainable_variables,
        model.non_trainable_variables,
        model.optimizer.variables,
        model.metrics_variables,
    ]
    mapping = [
        (v, value) for group, values in zip(groups, state) for v, value in zip(group, values)
    ]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = step(data)
    new_state = []
    for group, values in zip(groups, state):
        updated = [scope.get_current_value(v) for v in group]
        new_state.append([old if new is None else new for new, old in zip(updated, values)])
    return logs, tuple(new_state)
