"""Max/AveragePooling2D equal their Keras twins, reproduce the course example, fail clearly."""

import keras
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kerastoolkit.layers import AveragePooling2D, MaxPooling2D
from kerastoolkit.testing import assert_layers_match, value_and_gradients

# float32: a max is exact; a mean adds at most 4*4 = 16 values and divides,
# a few ulps apart between summation orders.
RTOL, ATOL = 1e-6, 1e-6

PAIRS = {
    "max": (MaxPooling2D, keras.layers.MaxPooling2D),
    "average": (AveragePooling2D, keras.layers.AveragePooling2D),
}


@st.composite
def pool_cases(draw):
    """A small input (continuous values: no ties for the max) and pooling arguments."""
    shape = (
        draw(st.integers(1, 3)),
        draw(st.integers(3, 9)),
        draw(st.integers(3, 9)),
        draw(st.integers(1, 4)),
    )
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.sampled_from(["valid", "same"]))
    if padding == "valid":
        assume(pool[0] <= shape[1] and pool[1] <= shape[2])
    x = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape).astype("float32")
    return dict(pool_size=pool, strides=strides, padding=padding), x


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _AverageExcludingPadding(keras.layers.Layer):
    """Keras's 'same' average pooling as TensorFlow and JAX define it, from Keras's 'valid' one.

    'same' pads ``max((ceil(n / s) - 1) s + k - n, 0)`` pixels per axis, the
    odd one at the end, and leaves the padding out of each mean. Keras 3.15 on
    PyTorch pads that amount too, but where it is uneven it pads by
    replicating the edge pixels and counts the copies in the mean
    (``_apply_same_padding`` in keras/src/backend/torch/nn.py;
    keras-team/keras#19721, fixed by #23233 after 3.15): a 3-wide window over
    the last two pixels ``a, b`` gives ``(a + 2b) / 3`` there instead of
    ``(a + b) / 2`` (a 2-wide one happens to agree). This reference zero-pads
    as TensorFlow does and divides the window sums of the input by those of
    ones, so the padding is left out of each mean on every backend.
    """

    def __init__(self, pool_size, strides=None, padding="same"):
        super().__init__()
        self.pool = keras.layers.AveragePooling2D(pool_size, strides=strides, padding="valid")
        self.pool_size = _pair(pool_size)
        self.strides = self.pool_size if strides is None else _pair(strides)

    def call(self, x):
        pads = [(0, 0), *_same_pads(x.shape, self.pool_size, self.strides), (0, 0)]
        ones = keras.ops.ones_like(x)
        return self.pool(keras.ops.pad(x, pads)) / self.pool(keras.ops.pad(ones, pads))


def _same_pads(shape, pool_size, strides=None):
    """'same' padding (before, after) of the two spatial axes, the odd pixel after."""
    pool_size = _pair(pool_size)
    strides = pool_size if strides is None else _pair(strides)
    pads = []
    for n, k, s in zip(shape[1:3], pool_size, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _keras_on_torch_replicates(kind, kwargs, shape):
    """Whether Keras 3.15 on PyTorch pads this pooling with copies of the edges."""
    uneven = any(before != after for before, after in _same_pads(shape, **_geometry(kwargs)))
    return kind == "average" and kwargs["padding"] == "same" and uneven and (
        keras.backend.backend() == "torch"
    )


def _geometry(kwargs):
    return {"pool_size": kwargs["pool_size"], "strides": kwargs["strides"]}


def _reference(kind, kwargs, shape):
    """Keras's twin, but TensorFlow's 'same' average where Keras on PyTorch replicates edges."""
    if _keras_on_torch_replicates(kind, kwargs, shape):
        return _AverageExcludingPadding(**kwargs)
    return PAIRS[kind][1](**kwargs)


@pytest.mark.parametrize("kind", sorted(PAIRS))
@given(case=pool_cases())
def test_matches_keras_pooling(kind, case):
    kwargs, x = case
    assert_layers_match(
        PAIRS[kind][0](**kwargs), _reference(kind, kwargs, x.shape), x, rtol=RTOL, atol=ATOL
    )


def test_course_max_pooling_example():
    """2x2 max pooling of [[4, 3], [2, 1]]: 4 (valid), the image itself (same, stride 1)."""
    x = np.array([[4, 3], [2, 1]], "float32").reshape(1, 2, 2, 1)
    valid = keras.ops.convert_to_numpy(MaxPooling2D(2)(x))
    same = keras.ops.convert_to_numpy(MaxPooling2D(2, strides=1, padding="same")(x))
    np.testing.assert_array_equal(valid.reshape(1, 1), [[4]])
    np.testing.assert_array_equal(same[0, :, :, 0], [[4, 3], [2, 1]])


def _pool_and_gradient(layer, x):
    """The pooled output and the gradient of its sum w.r.t. the input."""
    _, y, (g,), _ = value_and_gradients(lambda x: (keras.ops.sum(y := layer(x)), y), [x])
    return y, g


def test_max_gradient_goes_to_the_winner_only():
    x = np.array([[1, 5], [2, 3]], "float32").reshape(1, 2, 2, 1)
    _, g = _pool_and_gradient(MaxPooling2D(2), x)
    np.testing.assert_array_equal(g[0, :, :, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("strides", [None, 1])
def test_max_gradient_on_ties_goes_to_the_first_pixel_and_is_conserved(strides):
    """After a ReLU whole windows are 0: each window passes back exactly its gradient,
    all of it to its first pixel in row-major order (as Keras does)."""
    y, g = _pool_and_gradient(MaxPooling2D(2, strides=strides), np.zeros((1, 4, 4, 1), "float32"))
    g = g[0, :, :, 0]
    np.testing.assert_array_equal(g.sum(), np.prod(y.shape))
    if strides is None:  # the top-left pixel of each 2x2 window
        np.testing.assert_array_equal(g, [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    else:  # window (r, c) starts at pixel (r, c): every pixel of the 3x3 top left gets one
        np.testing.assert_array_equal(g, [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])


GRID = [
    dict(pool_size=p, strides=s, padding=pad)
    for p in [2, 3, (2, 3)]
    for s in [None, 1, 2, (1, 3)]
    for pad in ["valid", "same"]
]


@pytest.mark.parametrize("kind", sorted(PAIRS))
@pytest.mark.parametrize("kwargs", GRID, ids=str)
def test_gradients_match_keras_with_ties_on_a_grid(kind, kwargs):
    """Values drawn from {0, 1, 2}: most windows hold tied maxima, and the grid covers
    non-overlapping, overlapping and gapped windows with both paddings."""
    x = np.random.default_rng(3).integers(0, 3, size=(2, 7, 8, 3)).astype("float32")
    assert_layers_match(
        PAIRS[kind][0](**kwargs), _reference(kind, kwargs, x.shape), x, rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("kwargs", [k for k in GRID if k["padding"] == "same"], ids=str)
def test_the_reference_is_keras_s_same_average_pooling(kwargs):
    """The reference equals Keras's 'same' average on TensorFlow and JAX, and on PyTorch
    wherever the padding is even; where it is uneven Keras 3.15 on PyTorch averages the
    edge-replicated input instead, which is why the PyTorch run compares with the reference."""
    x = np.random.default_rng(4).normal(size=(2, 7, 8, 3)).astype("float32")
    keras_y = keras.ops.convert_to_numpy(keras.layers.AveragePooling2D(**kwargs)(x))
    if _keras_on_torch_replicates("average", kwargs, x.shape):
        edges = np.pad(x, [(0, 0), *_same_pads(x.shape, **_geometry(kwargs)), (0, 0)], "edge")
        valid = keras.layers.AveragePooling2D(**_geometry(kwargs), padding="valid")
        np.testing.assert_allclose(
            keras_y, keras.ops.convert_to_numpy(valid(edges)), rtol=RTOL, atol=ATOL,
            err_msg="Keras on PyTorch no longer replicates the edges: compare with its twin",
        )
    else:
        reference = keras.ops.convert_to_numpy(_AverageExcludingPadding(**kwargs)(x))
        np.testing.assert_allclose(reference, keras_y, rtol=RTOL, atol=ATOL)


def test_average_same_padding_excludes_the_padding():
    """The corner window of a 3x3 'same' pool on ones sees 4 pixels: its mean is 1, not 4/9."""
    y = AveragePooling2D(3, strides=1, padding="same")(np.ones((1, 4, 4, 1), "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), 1.0, rtol=RTOL)


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_config_round_trip(kind):
    layer = PAIRS[kind][0](pool_size=(3, 2), strides=(1, 2), padding="same")
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.strides == (1, 2) and PAIRS[kind][0](3).strides == (3, 3)


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_bad_arguments_and_inputs(cls):
    with pytest.raises(ValueError, match="pool_size=0"):
        cls(0)
    with pytest.raises(ValueError, match="strides=-1"):
        cls(2, strides=-1)
    with pytest.raises(ValueError, match="padding='full'"):
        cls(2, padding="full")
    with pytest.raises(ValueError, match="rank 4"):
        cls(2)(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match="larger than the input"):
        cls(3)(np.zeros((1, 2, 5, 1), "float32"))


def test_short_aliases_are_keras_s():
    # Keras spells MaxPooling2D also MaxPool2D (the course's code uses it).
    from kerastoolkit import layers

    assert keras.layers.MaxPool2D is keras.layers.MaxPooling2D
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool2D is layers.AveragePooling2D
