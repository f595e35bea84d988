"""Experiment `optimizers`: the course's 784-512-10 MLP trained with each of our optimizers."""

from __future__ import annotations

import keras
import numpy as np

from kerastoolkit import activations, layers, losses, optimizers
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    BatchLosses,
    accuracy,
    announce,
    load,
    new_figure,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register

#: Our optimizers, each at Keras's default hyperparameters.
OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam")
#: Test accuracy (%) the course reports for the MLP on MNIST's 60,000 images (notes 001).
COURSE = {"RMSprop": 97.93, "Adam": 98.12}
HIDDEN_UNITS = 512
EPOCHS = 20
BATCH_SIZE = 32
#: `--quick`: fewer training and evaluation images, fewer epochs.
QUICK_TRAIN, QUICK_EVAL, QUICK_EPOCHS = 1000, 500, 3


def course_mlp(input_dim, units=HIDDEN_UNITS, num_classes=10):
    """The course's MLP from our layers: input -> `units` ReLU -> `num_classes` softmax."""
    return keras.Sequential(
        [
            keras.Input((input_dim,)),
            layers.Dense(units, activation=activations.relu),
            layers.Dense(num_classes, activation=activations.softmax),
        ]
    )


@register("optimizers", "the 784-512-10 MLP with each of our 8 optimizers (notes 001)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1,
        names=OPTIMIZERS):
    """Train the course's MLP once per optimizer from the same initial weights and shuffles.

    Returns a `Result` whose rows carry `optimizer`, `test_accuracy` (%),
    `final_loss` and the course's number; its figure is the training loss
    of every iteration.
    """
    splits = load(dataset, seed, train_size=QUICK_TRAIN if quick else None,
                  eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    (x, y), test = splits.train, splits.test
    seed_everything(seed)
    initial = course_mlp(x.shape[1]).get_weights()
    rows, histories, iteration_losses = [], {}, {}
    for name in names:
        announce(f"optimizers · {name}", verbose)
        model = course_mlp(x.shape[1])
        model.set_weights(initial)
        model.compile(getattr(optimizers, name)(), loss=losses.SparseCategoricalCrossentropy(),
                      metrics=["accuracy"])
        seed_everything(seed)  # the same shuffles for every optimizer
        per_batch = BatchLosses(len(x), BATCH_SIZE)
        history = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE,
                            callbacks=[per_batch], verbose=verbose)
        histories[name] = {**history.history, "iteration_loss": per_batch.losses}
        iteration_losses[name] = per_batch.losses
        rows.append({
            "optimizer": name,
            "test_accuracy": percent(accuracy(model, *test)),
            "final_loss": round(float(history.history["loss"][-1]), 4),
            "course": COURSE.get(name),
        })
    return Result(
        experiment="optimizers",
        dataset=splits.name,
        data=splits.description,
        tables={f"MLP {x.shape[1]}-{HIDDEN_UNITS}-10, {epochs} epochs, test accuracy (%)": rows},
        histories=histories,
        figures={"optimizers_loss": _figure(iteration_losses, splits.name)},
        summary=["course: test accuracy on MNIST's 10,000 test images after training on its "
                 "60,000 (notes 001); ours on the data above"],
    )


def _figure(iteration_losses, dataset):
    fig, axes = new_figure(ncols=1)
    ax = axes[0, 0]
    for i, (name, values) in enumerate(iteration_losses.items()):
        ax.plot(np.arange(1, len(values) + 1), values, color=f"C{i}", linewidth=0.8, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("iteration (batch)")
    ax.set_ylabel("training loss")
    ax.set_title(f"The course's MLP on {dataset}: loss per iteration")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return fig
