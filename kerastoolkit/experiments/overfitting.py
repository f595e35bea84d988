"""Experiment `overfitting`: 300 training images, a deep MLP, and three cures."""

from __future__ import annotations

import keras

from kerastoolkit import activations, layers, losses, optimizers
from kerastoolkit.experiments._common import (
    DEFAULT_DATASET,
    InferenceAccuracy,
    announce,
    load,
    new_figure,
    percent,
    seed_everything,
)
from kerastoolkit.experiments._registry import Result, register

#: The notes' recipe for overfitting on purpose (notes 003): few samples, a deep network.
TRAIN_SIZE = 300
HIDDEN_LAYERS = 6
HIDDEN_UNITS = 100
EPOCHS = 60
BATCH_SIZE = 20
#: Plain SGD, as in the notes: an adaptive optimizer would scale the penalty's gradient away.
LEARNING_RATE = 0.01
#: L2 penalty per kernel: the loss gains `L2_FACTOR * sum(w ** 2)` (`keras.regularizers.L2`),
#: the notes' λ = 0.1 in their ½ λ ‖W‖².
L2_FACTOR = 0.05
#: Decoupled weight decay of our SGD: every step, `w -= learning_rate * WEIGHT_DECAY * w`,
#: the same shrinking as `L2_FACTOR` for plain SGD.
WEIGHT_DECAY = 2 * L2_FACTOR
DROPOUT_RATE = 0.3
CURES = ("none", "L2 kernel_regularizer", "decoupled weight_decay", "Dropout")
QUICK_EVAL, QUICK_EPOCHS = 500, 20


def deep_mlp(input_dim, cure):
    """Six hidden ReLU layers of our Dense (He-normal weights) and a softmax output, one cure."""
    regularizer = keras.regularizers.L2(L2_FACTOR) if cure == "L2 kernel_regularizer" else None
    stack = [keras.Input((input_dim,))]
    for _ in range(HIDDEN_LAYERS):
        stack.append(layers.Dense(HIDDEN_UNITS, activation=activations.relu,
                                  kernel_initializer="he_normal", kernel_regularizer=regularizer))
        if cure == "Dropout":
            stack.append(layers.Dropout(DROPOUT_RATE))
    stack.append(layers.Dense(10, activation=activations.softmax, kernel_initializer="he_normal",
                              kernel_regularizer=regularizer))
    return keras.Sequential(stack)


@register("overfitting",
          "300 training images and a deep MLP: train vs test accuracy, plain, with L2 weight "
          "decay (kernel_regularizer and decoupled weight_decay) and with Dropout (notes 003)")
def run(dataset=DEFAULT_DATASET, epochs=None, seed=0, quick=False, out=None, verbose=1):
    """Train the deep MLP on 300 images four ways; rows give the final train-test gap.

    Both accuracies are measured after every epoch in inference mode (no
    dropout noise), on the 300 training images and on the test set.
    """
    splits = load(dataset, seed, train_size=TRAIN_SIZE, eval_size=QUICK_EVAL if quick else None)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    (x, y), test = splits.train, splits.test
    rows, histories = [], {}
    for cure in CURES:
        announce(f"overfitting · {cure}", verbose)
        seed_everything(seed)
        model = deep_mlp(x.shape[1], cure)
        decay = WEIGHT_DECAY if cure == "decoupled weight_decay" else None
        model.compile(optimizers.SGD(LEARNING_RATE, weight_decay=decay),
                      loss=losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
        measured = InferenceAccuracy({"train": (x, y), "test": test})
        history = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, callbacks=[measured],
                            verbose=verbose)
        train_acc, test_acc = measured.history["train"][-1], measured.history["test"][-1]
        histories[cure] = {**history.history, "train_accuracy": measured.history["train"],
                           "test_accuracy": measured.history["test"]}
        rows.append({
            "cure": cure,
            "train_accuracy": percent(train_acc),
            "test_accuracy": percent(test_acc),
            "gap": round(percent(train_acc) - percent(test_acc), 2),
        })
    return Result(
        experiment="overfitting",
        dataset=splits.name,
        data=splits.description,
        tables={f"after {epochs} epochs of SGD({LEARNING_RATE}) on {TRAIN_SIZE} images (%)": rows},
        histories=histories,
        figures={"overfitting_accuracy": _figure(histories)},
        summary=["the course (notes 003) trains on 300 MNIST images until the training accuracy "
                 "reaches 100 % while the test accuracy stalls; it gives the curves, not numbers"],
    )


def _figure(histories):
    fig, axes = new_figure(ncols=len(histories))
    for ax, (cure, h) in zip(axes[0], histories.items()):
        epochs = range(1, len(h["train_accuracy"]) + 1)
        ax.plot(epochs, h["train_accuracy"], label="train")
        ax.plot(epochs, h["test_accuracy"], linestyle="--", label="test")
        ax.set_title(cure, fontsize="medium")
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1.02)
    axes[0, 0].set_ylabel("accuracy")
    axes[0, 0].legend(fontsize="small")
    fig.tight_layout()
    return fig
