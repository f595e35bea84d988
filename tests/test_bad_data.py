"""Bad data fails loudly: out-of-range labels, shapes that cannot match, NaN/Inf inputs."""

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit import losses

ROOT = Path(__file__).resolve().parents[1]
LOGITS = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")  # K = 4


@pytest.mark.parametrize("labels, bad", [([0, 3, 7], 7), ([0, -1, 2], -1), ([4, 1, 2], 4)])
def test_out_of_range_label_raises_naming_label_and_k(labels, bad):
    with pytest.raises(ValueError, match=rf"outside \[0, 4\): \[{bad}\].*K=4"):
        losses.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True)
    probabilities = keras.ops.softmax(LOGITS)
    with pytest.raises(ValueError, match=rf"\[{bad}\].*K=4"):
        losses.SparseCategoricalCrossentropy()(labels, probabilities)


def test_ignore_class_is_exempt_and_other_bad_labels_still_raise():
    loss = losses.sparse_categorical_crossentropy([0, -1, 2], LOGITS, True, ignore_class=-1)
    reference = keras.losses.sparse_categorical_crossentropy(
        np.array([0, -1, 2]), LOGITS, from_logits=True, ignore_class=-1
    )
    np.testing.assert_allclose(loss, reference, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r"\[9\]"):
        losses.sparse_categorical_crossentropy([0, -1, 9], LOGITS, True, ignore_class=-1)


def test_out_of_range_label_raises_in_a_tensorflow_graph():
    step = tf.function(lambda c, z: losses.sparse_categorical_crossentropy(c, z, True))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"outside \[0, K\).*\[4\].*\[7\]"):
        step(tf.constant([0, 3, 7]), LOGITS)
    np.testing.assert_allclose(
        step(tf.constant([0, 3, 1]), LOGITS),
        keras.losses.sparse_categorical_crossentropy(np.array([0, 3, 1]), LOGITS, True),
        rtol=1e-6,
        atol=1e-7,
    )


def test_out_of_range_label_stops_fit():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.ones((8, 2), "float32")
    y = np.array([0, 1, 2, 3, 0, 1, 2, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"offending labels:\] \[4\]"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)


JAX_SCRIPT = textwrap.dedent(
    """
    import jax
    import numpy as np
    from kerastoolkit.losses import sparse_categorical_crossentropy as scce
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    try:
        scce(np.array([0, 3, 7]), z, True)
        print("eager: no error")
    except ValueError as err:
        print("eager:", err)
    jitted = jax.jit(lambda c, z: scce(c, z, True))
    bad = np.asarray(jitted(np.array([0, 3, 7]), z))
    good = np.asarray(jitted(np.array([0, 3, 1]), z))
    print("nan rows:", np.isnan(bad).tolist())
    print("others equal:", bool(np.array_equal(bad[:2], good[:2])))
    print("good finite:", bool(np.isfinite(good).all()))
    ignored = np.asarray(jax.jit(lambda c, z: scce(c, z, True, ignore_class=-1))(
        np.array([0, -1, 2]), z))
    print("ignored:", ignored.tolist())
    """
)


def test_out_of_range_label_on_jax_raises_eagerly_and_is_nan_under_jit():
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert "outside [0, 4): [7]" in lines["eager"]
    assert lines["nan rows"] == "[False, False, True]"
    assert lines["others equal"] == "True"
    assert lines["good finite"] == "True"
    ignored = eval(lines["ignored"])  # a list of floats
    assert ignored[1] == 0.0 and np.isfinite(ignored).all()


@pytest.mark.parametrize(
    "fn, t, p",
    [
        (losses.mean_squared_error, np.zeros((4, 3)), np.zeros((4, 2))),
        (losses.binary_crossentropy, np.zeros((4, 3)), np.full((4, 2), 0.5)),
        (losses.categorical_crossentropy, np.eye(3)[:2], np.full((2, 4), 0.25)),
        (losses.sparse_categorical_crossentropy, np.zeros((2,)), np.full((3, 4), 0.25)),
        (losses.sparse_categorical_crossentropy, np.zeros((3, 2)), np.full((3, 4), 0.25)),
    ],
    ids=["mse", "bce", "cce", "sparse-rows", "sparse-rank"],
)
def test_shapes_that_cannot_match_raise_naming_both(fn, t, p):
    shapes = rf"y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(p.shape)}"
    with pytest.raises(ValueError, match=shapes.replace("(", r"\(").replace(")", r"\)")):
        fn(t, p)


@pytest.mark.parametrize("from_logits", [False, True])
def test_one_hot_rows_not_summing_to_one_are_computed_as_keras_does(from_logits):
    # No check and no renormalisation of y_true: -sum_k t_k log p_k of the t given.
    t = np.array([[0.5, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], "float32")
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]], "float32")
    p = np.log(p) if from_logits else p
    ours = losses.categorical_crossentropy(t, p, from_logits=from_logits)
    theirs = keras.losses.categorical_crossentropy(t, p, from_logits=from_logits)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert float(ours[2]) == 0.0


class _CountBatches(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


LOSS_CASES = {
    "mse": (lambda: losses.MeanSquaredError(), 1, lambda y: y),
    "bce": (lambda: losses.BinaryCrossentropy(from_logits=True), 1, lambda y: y > 0),
    "cce": (
        lambda: losses.CategoricalCrossentropy(from_logits=True),
        3,
        lambda y: keras.utils.to_categorical((y[:, 0] > 0).astype(int), 3),
    ),
    "sparse": (
        lambda: losses.SparseCategoricalCrossentropy(from_logits=True),
        3,
        lambda y: (y[:, 0] > 0).astype(int),
    ),
}


@pytest.mark.parametrize("bad_value", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_nan_or_inf_input_makes_the_loss_nan_and_terminate_on_nan_stops(name, bad_value):
    make_loss, units, make_y = LOSS_CASES[name]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = make_y(rng.normal(size=(40, 1)).astype("float32")).astype("float32")
    x[21, 1] = bad_value  # in the third batch of 8
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    model.compile(keras.optimizers.SGD(0.01), make_loss())
    counter = _CountBatches()
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=4,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN(), counter],
    )
    assert counter.batches == 3  # stopped right after the bad batch
    assert len(history.history["loss"]) == 1
    assert model.stop_training


def test_corrupt_cached_mnist_names_the_file_to_delete(tmp_path, monkeypatch):
    from keras.src.datasets import mnist as keras_mnist

    from kerastoolkit import datasets

    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    # A zip archive whose x_train member is not an array (np.load leaks the file
    # handle of a file that is no zip at all, which filterwarnings=error reports).
    with zipfile.ZipFile(cached, "w") as archive:
        archive.writestr("x_train.npy", b"\x93NUMPY garbage")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    # Keras's loader runs; its download step hands over the damaged cached file.
    monkeypatch.setattr(keras_mnist, "get_file", lambda *args, **kwargs: str(cached))
    with pytest.raises(ValueError, match=rf"MNIST.*Delete {cached} and call again"):
        datasets.load_mnist()


def test_truncated_cached_fashion_mnist_names_the_files_to_delete(tmp_path, monkeypatch):
    import gzip

    from keras.src.datasets import fashion_mnist as keras_fashion_mnist

    from kerastoolkit import datasets

    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in datasets.FASHION_MNIST_FILES:
        with gzip.open(folder / name, "wb") as f:
            f.write(bytes(16 + 28 * 28 * 3))
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])  # cut mid-stream
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(
        keras_fashion_mnist, "get_file", lambda fname, *args, **kwargs: str(folder / fname)
    )
    with pytest.raises(ValueError, match=r"Fashion-MNIST.*Delete .*train-labels-idx1-ubyte.gz"):
        datasets.load_fashion_mnist()
