"""Experiment `initialization`: the hidden layers' activations for three weight scales."""

from __future__ import annotations

import keras
import numpy as np

from kerastoolkit import activations, layers
from kerastoolkit.experiments._common import DEFAULT_DATASET, load, new_figure, seed_everything
from kerastoolkit.experiments._registry import Result, register

#: The activations probed, by name in `kerastoolkit.activations`.
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: The weight initializations compared (notes 003): a small fixed std, Glorot (Xavier), He.
SMALL_STD = 0.01
INITIALIZERS = ("std 0.01", "Glorot (Xavier)", "He")
HIDDEN_LAYERS = 5
HIDDEN_UNITS = 100
PROBE_SIZE = 1000
QUICK_PROBE = 300
HISTOGRAM_BINS = 30


def initializer(name, seed):
    """The Keras initializer called `name` in `INITIALIZERS` (normal draws, seeded)."""
    if name == "std 0.01":
        return keras.initializers.RandomNormal(stddev=SMALL_STD, seed=seed)
    if name == "Glorot (Xavier)":
        return keras.initializers.GlorotNormal(seed=seed)
    if name == "He":
        return keras.initializers.HeNormal(seed=seed)
    raise ValueError(f"Unknown initializer. Received: name={name!r}, allowed: {INITIALIZERS}")


def hidden_activations(x, activation, init, seed, hidden_layers=HIDDEN_LAYERS,
                       units=HIDDEN_UNITS):
    """Push `x` through `hidden_layers` fresh Dense layers; return every layer's output."""
    outputs, a = [], x
    for i in range(hidden_layers):
        dense = layers.Dense(units, activation=activation,
                             kernel_initializer=initializer(init, seed + i))
        a = dense(a)
        outputs.append(keras.ops.convert_to_numpy(a))
    return outputs


@register("initialization",
          "histograms of each hidden layer's activations for std 0.01, Glorot and He weights "
          "under sigmoid, tanh and ReLU (notes 003)", trains=False)
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Forward a batch of images through 5 untrained layers for each activation and initializer.

    Nothing is trained. Rows give the standard deviation of each hidden
    layer's activations; the figure shows their histograms.
    """
    if epochs is not None:
        raise ValueError(f"`initialization` trains nothing. Received: epochs={epochs!r}")
    size = QUICK_PROBE if quick else PROBE_SIZE
    splits = load(dataset, seed, train_size=size)
    x = splits.train[0]
    seed_everything(seed)
    rows, results = [], {}
    for act in ACTIVATIONS:
        for init in INITIALIZERS:
            outputs = hidden_activations(x, getattr(activations, act), init, seed)
            results[act, init] = outputs
            rows.append({
                "activation": act,
                "initializer": init,
                **{f"std_layer_{i + 1}": float(f"{a.std():.3g}") for i, a in enumerate(outputs)},
            })
    return Result(
        experiment="initialization",
        dataset=splits.name,
        data=f"{len(x):,} training images of {splits.description.split(':')[0]}, "
             "pushed through untrained layers",
        tables={f"std of the activations of {HIDDEN_LAYERS} hidden layers of {HIDDEN_UNITS}":
                rows},
        figures={"initialization_histograms": _figure(results)},
        summary=["the course (notes 003) shows these histograms without numbers: std 0.01 "
                 "collapses the activations, Glorot suits sigmoid and tanh, He suits ReLU"],
    )


def _figure(results):
    fig, axes = new_figure(ncols=len(INITIALIZERS), nrows=len(ACTIVATIONS))
    for r, act in enumerate(ACTIVATIONS):
        for c, init in enumerate(INITIALIZERS):
            ax = axes[r, c]
            outputs = results[act, init]
            low = min(float(a.min()) for a in outputs)
            high = max(float(a.max()) for a in outputs)
            high = high if high > low else low + 1.0
            for i, a in enumerate(outputs):
                ax.hist(a.ravel(), bins=HISTOGRAM_BINS, range=(low, high), histtype="step",
                        color=f"C{i}", label=f"layer {i + 1}")
            ax.set_title(f"{act}, {init}", fontsize="medium")
            ax.set_yscale("log")
    axes[0, 0].legend(fontsize="x-small")
    for ax in axes[-1]:
        ax.set_xlabel("activation value")
    fig.tight_layout()
    return fig


def spread(row):
    """Last hidden layer's std over the first's: 1 keeps the spread, near 0 collapses it."""
    stds = [v for k, v in row.items() if k.startswith("std_layer_")]
    return stds[-1] / stds[0] if stds[0] else float(np.nan)
