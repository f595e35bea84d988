"""The demo: the course's MLP and CNN trained with our components and with Keras's, side by side.

On the embedded MNIST sample by default (no network), it trains (a) the
course's MLP once with each kerastoolkit optimizer and once with its Keras
twin, and (b) the course's CNN three ways — Keras layers with a Keras
optimizer, kerastoolkit layers with a kerastoolkit optimizer, and the
hand-written `ConvolutionNetwork` — all from the same initial weights.
"""

from __future__ import annotations

import statistics
import time

import keras

from kerastoolkit import activations, layers, losses, optimizers, plotting
from kerastoolkit.experiments._common import DEFAULT_DATASET, announce, load, seed_everything
from kerastoolkit.experiments._registry import Result
from kerastoolkit.models import ConvolutionNetwork

#: The kerastoolkit optimizers the demo compares with their Keras twins.
OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam")
#: The optimizer of the CNN comparison when none is given (the course's).
CNN_OPTIMIZER = "Adam"
DEFAULT_EPOCHS = 5
BATCH_SIZE = 32
SEED = 0
#: The course's MLP hidden layer (784 -> 512 ReLU -> 10 softmax).
MLP_UNITS = 512
#: The course's CNN: 10 kernels of 3x3, 2x2 pooling, 100 hidden units.
CNN_KERNELS = 10
CNN_UNITS = 100
N_CLASSES = 10
#: MNIST's image side: smaller images (the 8x8 digits) are resized to it for the CNN.
MNIST_SIDE = 28
#: Our builds' test accuracy must be within this many percentage points of Keras's.
ACCURACY_MARGIN_PP = 1.0
#: How the demo's table cells are printed.
FORMATS = {
    "ours loss": ".6f", "Keras loss": ".6f", "Δ loss": "+.1e",
    "ours acc": ".4f", "Keras acc": ".4f", "Δ acc": "+.4f",
    "final loss": ".4f", "s / epoch": ".3f", "ratio to Keras": ".2f",
}


def _resized(splits, side):
    def resize(x):
        if x.shape[1] == side:
            return x
        return keras.ops.convert_to_numpy(keras.ops.image.resize(x, (side, side)))

    return [(resize(x), y) for x, y in splits]


def keras_or_ours(side, name):
    """A fresh optimizer: kerastoolkit's `name` (`side="kerastoolkit"`), or its Keras twin."""
    if side == "kerastoolkit":
        return getattr(optimizers, name)()
    twins = {
        "SGD": lambda: keras.optimizers.SGD(),
        "Momentum": lambda: keras.optimizers.SGD(momentum=0.9),
        "Nesterov": lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True),
    }
    return twins[name]() if name in twins else getattr(keras.optimizers, name)()


class _EpochTimer(keras.callbacks.Callback):
    """Seconds per epoch of one `fit`."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    @property
    def per_epoch(self):
        # The first epoch also traces and compiles the step: leave it out when we can.
        return statistics.mean(self.seconds[1:] or self.seconds)


def _fit(model, train, val, epochs, title, verbose):
    announce(title, verbose)
    timer = _EpochTimer()
    seed_everything(SEED)  # the same shuffles for every run
    history = model.fit(*train, validation_data=val, epochs=epochs, batch_size=BATCH_SIZE,
                        callbacks=[timer], verbose=verbose)
    return history, timer.per_epoch


def mlp_part(splits, epochs, names, verbose=1):
    """(a) The course's MLP with each kerastoolkit optimizer and its Keras twin: table rows."""
    (x_tr, y_tr), (x_va, y_va), _ = splits
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    train, val = (flat(x_tr), y_tr), (flat(x_va), y_va)
    rows = []
    for name in names:
        results = {}
        for side in ("kerastoolkit", "keras"):
            seed_everything(SEED)  # the same initial weights for both
            model = keras.Sequential(
                [
                    keras.Input((train[0].shape[1],)),
                    keras.layers.Dense(MLP_UNITS, activation="relu"),
                    keras.layers.Dense(N_CLASSES, activation="softmax"),
                ]
            )
            model.compile(keras_or_ours(side, name), loss="categorical_crossentropy",
                          metrics=["accuracy"])
            history, _ = _fit(model, train, val, epochs, f"MLP · {name} · {side}", verbose)
            results[side] = (history.history["loss"][-1], history.history["accuracy"][-1])
        (l_ours, a_ours), (l_keras, a_keras) = results["kerastoolkit"], results["keras"]
        rows.append({
            "optimizer": name, "ours loss": l_ours, "Keras loss": l_keras,
            "Δ loss": l_ours - l_keras, "ours acc": a_ours, "Keras acc": a_keras,
            "Δ acc": a_ours - a_keras,
        })
    return rows


def cnn_builds(image_shape, optimizer_name):
    """The course's CNN three ways, all starting from the Keras build's initial weights."""
    seed_everything(SEED)
    reference = keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Conv2D(CNN_KERNELS, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(CNN_UNITS, activation="relu"),
            keras.layers.Dense(N_CLASSES, activation="softmax"),
        ]
    )
    reference.compile(keras_or_ours("keras", optimizer_name), loss="categorical_crossentropy",
                      metrics=["accuracy"])
    ours = keras.Sequential(
        [
            keras.Input(image_shape),
            layers.Conv2D(CNN_KERNELS, 3, padding="same", activation=activations.relu),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(CNN_UNITS, activation=activations.relu),
            layers.Dense(N_CLASSES, activation=activations.softmax),
        ]
    )
    ours.compile(keras_or_ours("kerastoolkit", optimizer_name),
                 loss=losses.CategoricalCrossentropy(), metrics=["accuracy"])
    hand = ConvolutionNetwork(CNN_KERNELS, CNN_UNITS, N_CLASSES)
    hand.build((None, *image_shape))
    hand.compile(keras_or_ours("kerastoolkit", optimizer_name), metrics=["accuracy"])
    for model in (ours, hand):
        model.set_weights(reference.get_weights())
    return {
        f"Keras layers + Keras {optimizer_name}": reference,
        f"kerastoolkit layers + kerastoolkit {optimizer_name}": ours,
        f"ConvolutionNetwork + kerastoolkit {optimizer_name}": hand,
    }


def cnn_part(splits, epochs, optimizer_name, verbose=1):
    """(b) The course's CNN three ways: rows, histories, and the largest accuracy gap (pp)."""
    train, val, (x_te, y_te) = _resized(splits, MNIST_SIDE)
    builds = cnn_builds(train[0].shape[1:], optimizer_name)
    histories, rows, accuracies = {}, [], []
    keras_seconds = None
    for label, model in builds.items():
        history, seconds = _fit(model, train, val, epochs, f"CNN · {label}", verbose)
        _, test_acc = model.evaluate(x_te, y_te, verbose=0)
        keras_seconds = keras_seconds or seconds
        histories[label] = history.history
        accuracies.append(test_acc)
        rows.append({
            "build": label, "test accuracy": f"{100 * test_acc:.2f} %",
            "final loss": history.history["loss"][-1], "s / epoch": seconds,
            "ratio to Keras": seconds / keras_seconds,
        })
    gap = max(100 * abs(a - accuracies[0]) for a in accuracies[1:])
    return rows, histories, gap


def run(dataset=DEFAULT_DATASET, epochs=DEFAULT_EPOCHS, optimizer=None, verbose=1):
    """Run both parts; `optimizer` limits part (a) to one optimizer and trains the CNNs with it.

    The result is `ok` when our CNN builds' test accuracy is within
    `ACCURACY_MARGIN_PP` percentage points of the Keras build's.
    """
    data = load(dataset, SEED, flatten=False, one_hot=True)
    splits = [data.train, data.val, data.test]
    names = [optimizer] if optimizer else list(OPTIMIZERS)
    mlp_rows = mlp_part(splits, epochs, names, verbose)
    cnn_rows, histories, gap = cnn_part(splits, epochs, optimizer or CNN_OPTIMIZER, verbose)
    ok = gap <= ACCURACY_MARGIN_PP
    figures = {
        f"cnn_{metric}": plotting.plot_history(histories, metric,
                                               title=f"The course's CNN: {metric}")
        for metric in ("loss", "accuracy")
    }
    return Result(
        experiment="demo",
        dataset=data.name,
        data=data.description,
        tables={
            f"(a) MLP {MLP_UNITS} ReLU → {N_CLASSES} softmax, {epochs} epochs: final training "
            "loss and accuracy, kerastoolkit optimizer vs its Keras twin": mlp_rows,
            f"(b) the course's CNN, {epochs} epochs (s / epoch leaves out the first, which "
            "compiles the step)": cnn_rows,
        },
        histories=histories,
        figures=figures,
        summary=[f"our builds' test accuracy is within {gap:.2f} percentage points of the Keras "
                 f"build (required: {ACCURACY_MARGIN_PP}): {'ok' if ok else 'MISSED'}"],
        ok=ok,
        formats=FORMATS,
    )
