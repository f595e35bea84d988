"""Experiment `batch-normalization`: training curves with and without it, across weight scales."""

from __future__ import annotations

import keras

from kerastoolkit import activations, layers, losses, optimizers
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    accuracy,
    announce,
    finite_or_none,
    load,
    new_figure,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register

#: The standard deviations of the initial weights compared (notes 003, after DLFS 6.3).
WEIGHT_SCALES = (1.0, 0.1, 0.01)
QUICK_SCALES = (1.0, 0.01)
HIDDEN_LAYERS = 5
HIDDEN_UNITS = 100
LEARNING_RATE = 0.01
#: Keras's default 0.99 needs hundreds of steps before the moving statistics used at
#: inference forget their start; `--quick` runs only tens.
BN_MOMENTUM = 0.9
EPOCHS = 20
BATCH_SIZE = 100
QUICK_TRAIN, QUICK_EVAL, QUICK_EPOCHS = 1000, 500, 3
#: `--quick` takes smaller batches: ~100 steps, enough for the moving statistics (momentum
#: `BN_MOMENTUM`) to forget their initial values before the test set is scored.
QUICK_BATCH = 32


def mlp(input_dim, scale, batch_norm, seed=0):
    """Five hidden layers: Dense (weights ~ N(0, scale²)) [-> BatchNormalization] -> ReLU.

    The softmax output layer keeps Keras's Glorot-uniform weights: the scale
    studied is that of the hidden layers, which batch normalization follows.
    """
    stack = [keras.Input((input_dim,))]
    for i in range(HIDDEN_LAYERS):
        stack.append(layers.Dense(
            HIDDEN_UNITS, kernel_initializer=keras.initializers.RandomNormal(stddev=scale,
                                                                             seed=seed + i)))
        if batch_norm:
            stack.append(layers.BatchNormalization(momentum=BN_MOMENTUM))
        stack.append(layers.ReLU())
    stack.append(layers.Dense(10, activation=activations.softmax,
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed)))
    return keras.Sequential(stack)


@register("batch-normalization",
          "a 5-hidden-layer ReLU MLP with and without BatchNormalization, for several initial "
          "weight scales (notes 003)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Train the MLP with our SGD for each weight scale, with and without batch normalization.

    Rows give the final training loss, training accuracy and test accuracy;
    a run whose loss overflowed reports `None` for its loss.
    """
    splits = load(dataset, seed, train_size=QUICK_TRAIN if quick else None,
                  eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    (x, y), val, test = splits.train, splits.val, splits.test
    rows, histories = [], {}
    for scale in QUICK_SCALES if quick else WEIGHT_SCALES:
        for batch_norm in (False, True):
            label = f"std {scale:g}, {'with' if batch_norm else 'without'} BatchNormalization"
            announce(f"batch-normalization · {label}", verbose)
            seed_everything(seed)
            model = mlp(x.shape[1], scale, batch_norm, seed)
            model.compile(optimizers.SGD(LEARNING_RATE),
                          loss=losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
            history = model.fit(x, y, validation_data=val, epochs=epochs,
                                batch_size=QUICK_BATCH if quick else BATCH_SIZE, verbose=verbose)
            histories[label] = history.history
            rows.append({
                "weight_std": scale,
                "batch_normalization": batch_norm,
                "final_loss": finite_or_none(history.history["loss"][-1]),
                "train_accuracy": percent(history.history["accuracy"][-1]),
                "test_accuracy": percent(accuracy(model, *test)),
            })
    return Result(
        experiment="batch-normalization",
        dataset=splits.name,
        data=splits.description,
        tables={f"{HIDDEN_LAYERS}x{HIDDEN_UNITS} ReLU MLP, {epochs} epochs of "
                f"SGD({LEARNING_RATE}), batches of {QUICK_BATCH if quick else BATCH_SIZE} (%)":
                rows},
        histories=histories,
        figures={"batch_normalization_accuracy": _figure(histories)},
        summary=["the course (notes 003) shows batch normalization learning faster and "
                 "whatever the initial weight scale, as curves without numbers"],
    )


def _figure(histories):
    scales = list(dict.fromkeys(label.split(",")[0] for label in histories))
    fig, axes = new_figure(ncols=len(scales))
    for ax, scale in zip(axes[0], scales):
        for style, which in (("-", "with"), ("--", "without")):
            h = histories[f"{scale}, {which} BatchNormalization"]
            ax.plot(range(1, len(h["accuracy"]) + 1), h["accuracy"], linestyle=style,
                    label=f"{which} BatchNormalization")
        ax.set_title(f"weights {scale}", fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1.02)
    axes[0, 0].set_ylabel("training accuracy")
    axes[0, 0].legend(fontsize="small")
    fig.tight_layout()
    return fig
