"""Experiment `activations`: five activations in one deep MLP; the sigmoid's vanishing gradient."""

from __future__ import annotations

import keras

from kerastoolkit import activations, layers, losses, optimizers, plotting
from kerastoolkit.callbacks import GradientNormHistory
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    accuracy,
    announce,
    load,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register

#: The activations compared (notes 001 and 003), by name in `kerastoolkit.activations`.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
HIDDEN_LAYERS = 5
HIDDEN_UNITS = 100
#: Plain gradient descent shows the difference best (adaptive steps hide small gradients).
LEARNING_RATE = 0.1
EPOCHS = 20
BATCH_SIZE = 32
#: The fixed batch the gradient norms are measured on.
PROBE_SIZE = 256
QUICK_TRAIN, QUICK_EVAL, QUICK_EPOCHS = 1000, 500, 2


def deep_mlp(input_dim, activation, hidden_layers=HIDDEN_LAYERS, units=HIDDEN_UNITS):
    """`hidden_layers` of our Dense with `activation`, then a softmax output of 10."""
    return keras.Sequential(
        [keras.Input((input_dim,))]
        + [layers.Dense(units, activation=activation, name=f"hidden_{i + 1}")
           for i in range(hidden_layers)]
        + [layers.Dense(10, activation=activations.softmax, name="output")]
    )


@register("activations",
          "sigmoid, tanh, ReLU, Leaky ReLU and ELU in a 5-hidden-layer MLP: accuracy and "
          "per-layer gradient norms (notes 001, 003)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Train the same deep MLP with each activation (our SGD, same seed) and record gradient norms.

    Rows carry the test accuracy and the gradient norm of the first and of
    the last hidden layer at initialization and after training
    (`GradientNormHistory` on a fixed probe batch, by the backend's autodiff).
    """
    splits = load(dataset, seed, train_size=QUICK_TRAIN if quick else None,
                  eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    (x, y), val, test = splits.train, splits.val, splits.test
    rows, histories, initial_norms = [], {}, {}
    for name in ACTIVATIONS:
        announce(f"activations · {name}", verbose)
        seed_everything(seed)
        model = deep_mlp(x.shape[1], getattr(activations, name))
        model.compile(optimizers.SGD(LEARNING_RATE), loss=losses.SparseCategoricalCrossentropy(),
                      metrics=["accuracy"])
        norms = GradientNormHistory(x[:PROBE_SIZE], y[:PROBE_SIZE])
        history = model.fit(x, y, validation_data=val, epochs=epochs, batch_size=BATCH_SIZE,
                            callbacks=[norms], verbose=verbose)
        hidden = [norms.history[f"hidden_{i + 1}"] for i in range(HIDDEN_LAYERS)]
        initial_norms[name] = [layer[0] for layer in hidden]
        histories[name] = {**history.history, "gradient_norms": norms.history}
        rows.append({
            "activation": name,
            "test_accuracy": percent(accuracy(model, *test)),
            "first_layer_grad_norm_initial": float(f"{hidden[0][0]:.4g}"),
            "last_layer_grad_norm_initial": float(f"{hidden[-1][0]:.4g}"),
            "first_layer_grad_norm_final": float(f"{hidden[0][-1]:.4g}"),
            "last_layer_grad_norm_final": float(f"{hidden[-1][-1]:.4g}"),
        })
    figures = {
        "activations_accuracy": plotting.plot_history(
            histories, metric="accuracy",
            title=f"{HIDDEN_LAYERS} hidden layers of {HIDDEN_UNITS}, SGD({LEARNING_RATE})"),
        "activations_gradient_norms": plotting.plot_gradient_norms(
            initial_norms, title="gradient norm of each hidden layer at initialization"),
    }
    return Result(
        experiment="activations",
        dataset=splits.name,
        data=splits.description,
        tables={f"{HIDDEN_LAYERS}x{HIDDEN_UNITS} MLP, {epochs} epochs of SGD({LEARNING_RATE})":
                rows},
        histories=histories,
        figures=figures,
        summary=["the course shows the sigmoid's gradient vanishing towards the input "
                 "(notes 003) without a number; compare the first layer's norm with the last's"],
    )
