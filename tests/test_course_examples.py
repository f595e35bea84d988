"""The course notes' worked numbers, each reproduced by our components.

Each test quotes the notes' own inputs and printed results; where the notes
use NumPy, SciPy or TensorFlow directly, the number is recomputed here by the
matching kerastoolkit layer, activation or model.
"""

import keras
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from kerastoolkit import activations, layers
from kerastoolkit.models import LinearRegression
from kerastoolkit.plotting import derivative

# float32 arithmetic on small integers is exact; on the transcendental
# functions a few ulps.
RTOL = 1e-6
# The notes print two decimals.
PRINTED_ATOL = 5e-3


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def dense_with_kernel(kernel, bias=None):
    kernel = np.asarray(kernel, "float32")
    layer = layers.Dense(kernel.shape[1], use_bias=bias is not None)
    layer.build((None, kernel.shape[0]))
    layer.set_weights([kernel] if bias is None else [kernel, np.asarray(bias, "float32")])
    return layer


def conv(kernels, x, padding="valid", strides=1):
    """Our Conv2D with kernel shape (F_h, F_w, C_in, C_out) set by hand, no bias, applied to x."""
    kernels = np.asarray(kernels, "float32")
    layer = layers.Conv2D(kernels.shape[-1], kernels.shape[:2], strides=strides,
                          padding=padding, use_bias=False)
    layer.build(x.shape)
    layer.set_weights([kernels])
    return numpy(layer(x))


def image(rows):
    """A 2-D array as a batch of one single-channel image."""
    return np.asarray(rows, "float32")[None, :, :, None]


# --- matrix products (002) -------------------------------------------------------


def test_matrix_product_through_dense():
    """[[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]: a Dense layer's x W."""
    layer = dense_with_kernel([[5, 6], [7, 8]])
    np.testing.assert_array_equal(numpy(layer(np.array([[1, 2], [3, 4]], "float32"))),
                                  [[19, 22], [43, 50]])


def test_network_product_through_dense():
    """X = [1, 2], W = [[1, 3, 5], [2, 4, 6]]: X · W = [5, 11, 17]."""
    layer = dense_with_kernel([[1, 3, 5], [2, 4, 6]])
    np.testing.assert_array_equal(numpy(layer(np.array([[1, 2]], "float32")))[0], [5, 11, 17])


# --- 1-D cross-correlation and convolution (004) -----------------------------------

SIGNAL = [2, 8, 3, 7, 1, 2, 0, 4, 5]
KERNEL_1D = [2, 1, 5, 3]
COURSE_VALID = [48, 57, 24, 25, 16, 39]
COURSE_FULL = [6, 34, 51, 48, 57, 24, 25, 16, 39, 29, 13, 10]
COURSE_CONVOLVE = [63, 48, 49, 28, 21, 20]
# `same` with the even kernel: the notes' scipy.signal.correlate puts the
# larger half of the padding (2 of 3) on the left; Keras, and our Conv2D, on
# the right.
COURSE_SAME_SCIPY = [34, 51, 48, 57, 24, 25, 16, 39, 29]
KERAS_SAME = [51, 48, 57, 24, 25, 16, 39, 29, 13]


def correlate_1d(kernel, padding):
    """The 1-D signal as a 1×9 image, the kernel as a 1×4 Conv2D kernel."""
    return conv(np.asarray(kernel)[None, :, None, None], image([SIGNAL]), padding)[0, 0, :, 0]


@pytest.mark.parametrize(
    "padding, want", [("valid", COURSE_VALID), ("full", COURSE_FULL), ("same", KERAS_SAME)]
)
def test_1d_cross_correlation(padding, want):
    np.testing.assert_array_equal(correlate_1d(KERNEL_1D, padding), want)


def test_1d_convolution_is_correlation_with_the_flipped_kernel():
    """np.flip(w) = [3, 5, 1, 2]; the notes' convolve(x, w, 'valid') = [63, 48, 49, 28, 21, 20]."""
    np.testing.assert_array_equal(correlate_1d(np.flip(KERNEL_1D), "valid"), COURSE_CONVOLVE)


def test_same_padding_conventions_side_by_side():
    """SciPy's correlate and Keras agree on valid and full, not on `same` with an even kernel.

    The notes' 1-D result is SciPy's; our Conv2D (like keras.layers.Conv2D) is
    the `full` result shifted by one, the window that starts one sample later.
    """
    x, w = np.array(SIGNAL), np.array(KERNEL_1D)
    np.testing.assert_array_equal(scipy.signal.correlate(x, w, "valid"), COURSE_VALID)
    np.testing.assert_array_equal(scipy.signal.correlate(x, w, "full"), COURSE_FULL)
    np.testing.assert_array_equal(scipy.signal.correlate(x, w, "same"), COURSE_SAME_SCIPY)
    np.testing.assert_array_equal(scipy.signal.convolve(x, w, "valid"), COURSE_CONVOLVE)
    ours = correlate_1d(KERNEL_1D, "same")
    np.testing.assert_array_equal(ours, KERAS_SAME)
    np.testing.assert_array_equal(ours, COURSE_FULL[2:11])  # left pad 1, right pad 2
    np.testing.assert_array_equal(COURSE_SAME_SCIPY, COURSE_FULL[1:10])  # left 2, right 1
    keras_conv = keras.layers.Conv2D(1, (1, 4), padding="same", use_bias=False)
    keras_conv.build((None, 1, 9, 1))
    keras_conv.set_weights([np.asarray(KERNEL_1D, "float32")[None, :, None, None]])
    np.testing.assert_array_equal(numpy(keras_conv(image([SIGNAL])))[0, 0, :, 0], KERAS_SAME)


# --- 2-D examples (004) -----------------------------------------------------------

IMAGE_3X3 = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
ONES_2X2_SAME = [[12, 16, 9], [24, 28, 15], [15, 17, 9]]


def test_2d_valid_with_a_one_hot_kernel():
    """correlate2d(x, [[2, 0], [0, 0]], 'valid') = [[2, 4], [8, 10]]."""
    y = conv(np.array([[2, 0], [0, 0]])[:, :, None, None], image(IMAGE_3X3))
    np.testing.assert_array_equal(y[0, :, :, 0], [[2, 4], [8, 10]])


def test_2d_same_with_a_one_hot_kernel_agrees_with_correlate2d():
    """The notes' correlate2d(x, [[2, 0], [0, 0]], 'same') = 2x: SciPy's 2-D `same` pads
    bottom and right, like Keras (SciPy's n-D correlate would pad top and left)."""
    y = conv(np.array([[2, 0], [0, 0]])[:, :, None, None], image(IMAGE_3X3), "same")
    want = [[2, 4, 6], [8, 10, 12], [14, 16, 18]]
    np.testing.assert_array_equal(y[0, :, :, 0], want)
    x = np.array(IMAGE_3X3)
    np.testing.assert_array_equal(scipy.signal.correlate2d(x, [[2, 0], [0, 0]], "same"), want)
    assert scipy.signal.correlate(x, np.array([[2, 0], [0, 0]]), "same")[0, 0] == 0


def test_ones_kernel_conv2d_same():
    """Conv2D(filters=1, kernel_size=2, padding='same') with a ones kernel on the 3×3 image."""
    y = conv(np.ones((2, 2, 1, 1)), image(IMAGE_3X3), "same")
    assert y.shape == (1, 3, 3, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], ONES_2X2_SAME)


def test_ones_kernel_conv2d_valid():
    y = conv(np.ones((2, 2, 1, 1)), image(IMAGE_3X3), "valid")
    np.testing.assert_array_equal(y[0, :, :, 0], [[12, 16], [24, 28]])


def test_three_filters_ones_times_ten_and_minus_one():
    """The kernel [[[[1, 10, -1]]] ...] of shape (2, 2, 1, 3): three feature maps."""
    kernels = np.tile(np.array([1.0, 10.0, -1.0]), (2, 2, 1, 1))
    assert kernels.shape == (2, 2, 1, 3)
    y = conv(kernels, image(IMAGE_3X3), "same")
    base = np.array(ONES_2X2_SAME)
    for channel, scale in enumerate([1, 10, -1]):
        np.testing.assert_array_equal(y[0, :, :, channel], scale * base)
    np.testing.assert_array_equal(y[0, :, :, 1], [[120, 160, 90], [240, 280, 150], [150, 170, 90]])
    np.testing.assert_array_equal(y[0, :, :, 2], [[-12, -16, -9], [-24, -28, -15], [-15, -17, -9]])


def test_the_animated_5x5_example():
    """The 5×5 image and the 3×3 kernel [[1, 0, 1], [0, 1, 0], [1, 0, 1]]: the first output
    is the notes' 1·1 + 1·0 + 1·1 + 0·0 + 1·1 + 1·0 + 0·1 + 0·0 + 1·1 = 4."""
    x = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    y = conv(k[:, :, None, None], image(x))[0, :, :, 0]
    np.testing.assert_array_equal(y, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, scipy.signal.correlate2d(x, k, "valid"))


def test_the_unpadded_3x3_example():
    """The 4×4 image and the kernel [[1, 0, 0], [1, 2, 1], [1, 2, 3]] without padding."""
    x = [[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]]
    k = np.array([[1, 0, 0], [1, 2, 1], [1, 2, 3]])
    y = conv(k[:, :, None, None], image(x))[0, :, :, 0]
    np.testing.assert_array_equal(y, [[41, 33], [25, 23]])


# --- pooling (004) ----------------------------------------------------------------

IMAGE_4X4 = np.arange(1, 17).reshape(4, 4)


def test_average_pooling():
    """2×2 average pooling, stride 2, of [[1 .. 4], ..., [13 .. 16]]."""
    y = numpy(layers.AveragePooling2D(2, strides=2)(image(IMAGE_4X4)))[0, :, :, 0]
    np.testing.assert_array_equal(y, [[3.5, 5.5], [11.5, 13.5]])


def test_max_pooling_stride_1():
    y = numpy(layers.MaxPooling2D(2, strides=1)(image(IMAGE_4X4)))[0, :, :, 0]
    np.testing.assert_array_equal(y, [[6, 7, 8], [10, 11, 12], [14, 15, 16]])


@pytest.mark.parametrize("padding, want", [("valid", [[4]]), ("same", [[4, 3], [2, 1]])])
def test_max_pooling_of_the_2x2_image(padding, want):
    """MaxPool2D(pool_size=(2, 2), strides=1) of [[4, 3], [2, 1]]: valid 4; same keeps 2×2."""
    pool = layers.MaxPooling2D((2, 2), strides=1, padding=padding)
    np.testing.assert_array_equal(numpy(pool(image([[4, 3], [2, 1]])))[0, :, :, 0], want)


# --- softmax and tanh -------------------------------------------------------------


def test_softmax_of_the_notes_scores():
    """Scores z = logit(0.9), logit(0.8), logit(0.7) = 2.20, 1.39, 0.85 -> 0.59, 0.26, 0.15."""
    p = np.array([0.9, 0.8, 0.7], "float32")
    z = -np.log(1 / p - 1)
    np.testing.assert_allclose(z, [2.20, 1.39, 0.85], atol=PRINTED_ATOL)
    np.testing.assert_allclose(numpy(activations.sigmoid(z)), p, rtol=RTOL)
    y = numpy(activations.softmax(z[None]))[0]
    np.testing.assert_allclose(y, [0.59, 0.26, 0.15], atol=PRINTED_ATOL)
    np.testing.assert_allclose(y.sum(), 1.0, rtol=RTOL)


def test_tensorflow_softmax_rows():
    """The notes' tf.nn.softmax([[4, 5], [10, 1]]), row by row."""
    y = numpy(activations.softmax(np.array([[4.0, 5.0], [10.0, 1.0]], "float32")))
    np.testing.assert_allclose(y, [[2.6894143e-01, 7.3105854e-01], [9.9987662e-01, 1.2339458e-04]],
                               rtol=RTOL)


def test_tanh_is_a_rescaled_sigmoid():
    """tanh(x) = 2 σ(2x) - 1."""
    x = np.linspace(-6, 6, 121, dtype="float32")
    np.testing.assert_allclose(numpy(activations.tanh(x)),
                               2 * numpy(activations.sigmoid(2 * x)) - 1, rtol=1e-5, atol=1e-6)


# --- GradientTape (004) -----------------------------------------------------------


def test_tape_derivative_of_w_squared():
    """loss = w², d loss / dw at w = 1 is 2."""
    w = tf.Variable([[1.0]])
    with tf.GradientTape() as tape:
        loss = w * w
    np.testing.assert_array_equal(tape.gradient(loss, w).numpy(), [[2.0]])
    np.testing.assert_array_equal(derivative(keras.ops.square, np.array([1.0])), [2.0])


def test_derivative_of_the_cubic():
    """d/dx (x³ + 2x + 5) = 3x² + 2: 5, 14, 29 at x = 1, 2, 3."""
    g = derivative(lambda x: x**3 + 2 * x + 5, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [5.0, 14.0, 29.0])
    x = tf.Variable(np.array([1.0, 2.0, 3.0]))
    with tf.GradientTape() as tape:
        y = x**3 + 2 * x + 5
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [5.0, 14.0, 29.0])


def test_persistent_tape_and_second_derivative():
    """z = (x²)² at x = 3: dz/dx = 108, dy/dx = 6; y = x³ at 1: dy/dx = 3, d²y/dx² = 6."""
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(x)
        y = x * x
        z = y * y
    assert float(t.gradient(z, x)) == 108.0 and float(t.gradient(y, x)) == 6.0
    del t
    v = tf.Variable(1.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = v * v * v
        dy = inner.gradient(y, v)
    assert float(dy) == 3.0 and float(outer.gradient(dy, v)) == 6.0


@pytest.mark.parametrize("power, want", [(6, 12.0), (5, 12.0), (4, 4.0)])
def test_tape_through_python_control_flow(power, want):
    """The notes' f(x, y): a loop that multiplies by x for 1 < i < 5; gradients at x = 2."""
    def f(x, y):
        output = 1.0
        for i in range(y):
            if 1 < i < 5:
                output = tf.multiply(output, x)
        return output

    x = tf.convert_to_tensor(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        out = f(x, power)
    assert float(t.gradient(out, x)) == want


# --- regression (004) -------------------------------------------------------------


@pytest.mark.parametrize("w, want", [(0.0, 14 / 6), (2.0, 14 / 6), (1.0, 0.0)])
def test_linear_regression_cost(w, want):
    """x = y = [1, 2, 3], b = 0: J(0) = J(2) = 2.3333 and J(1) = 0."""
    model = LinearRegression()
    model.build((None, 1))
    model.set_weights([np.array([[w]], "float32"), np.zeros(1, "float32")])
    x, y = np.array([[1.0], [2.0], [3.0]], "float32"), np.array([1.0, 2.0, 3.0], "float32")
    j = float(model.compute_loss(x, y, model(x)))
    np.testing.assert_allclose(j, want, rtol=RTOL, atol=1e-7)
    if w == 0.0:
        assert round(j, 4) == 2.3333


# --- parameter counts (003) -------------------------------------------------------


def test_mlp_784_128_10_parameters():
    """Flatten(28, 28) -> Dense(128, relu) -> Dense(10, softmax): 101,770 parameters."""
    model = keras.Sequential([
        keras.Input((28, 28)), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax"),
    ])
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10 == 101_770


def test_cnn_32_64_64_parameters():
    """Conv 32-64-64 (3×3) with two 2×2 max poolings, Dense(64), Dense(10): 93,322."""
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [320, 0, 18_496, 0, 36_928, 0, 36_928, 650]
    assert model.count_params() == 93_322
