"""Figures of the convolution guide: the course's worked 4x4 examples, computed by our layers."""

import keras
import numpy as np
from figure_library import figure

from kerastoolkit import layers, plotting

# The course's worked example: one 4x4 single-channel image and three kernels.
COURSE_IMAGE = np.array([[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]], "float32")
COURSE_KERNEL_3 = np.array([[1, 0, 1], [1, 2, 0], [3, 0, 1]], "float32")
COURSE_KERNEL_2 = np.array([[1, 0], [1, 2]], "float32")
COURSE_KERNEL_PAD = np.array([[1, 0, 0], [1, 2, 1], [1, 2, 3]], "float32")
POOL_SIZE = 2


def _as_batch(image):
    """A 2-D image as a batch of one single-channel image (channels last)."""
    return image[None, :, :, None]


def _correlate(image, kernel, strides=1, padding="valid"):
    """Our Conv2D with one filter set to `kernel` and no bias, applied to `image`."""
    conv = layers.Conv2D(1, kernel.shape, strides=strides, padding=padding, use_bias=False)
    conv.build(_as_batch(image).shape)
    conv.set_weights([kernel[:, :, None, None]])
    return keras.ops.convert_to_numpy(conv(_as_batch(image)))[0, :, :, 0]


def _correlation_figure(kernel, strides, padding, shown_padding):
    out = _correlate(COURSE_IMAGE, kernel, strides, padding)
    return plotting.plot_correlation(
        COURSE_IMAGE, kernel, out, padding=shown_padding,
        title=f'Conv2D(kernel_size={kernel.shape[0]}, strides={strides}, padding="{padding}")',
    )


@figure("conv-valid-3x3")
def conv_valid_3x3():
    return _correlation_figure(COURSE_KERNEL_3, 1, "valid", 0)


@figure("conv-stride-1")
def conv_stride_1():
    return _correlation_figure(COURSE_KERNEL_2, 1, "valid", 0)


@figure("conv-stride-2")
def conv_stride_2():
    return _correlation_figure(COURSE_KERNEL_2, 2, "valid", 0)


@figure("conv-padding-valid")
def conv_padding_valid():
    return _correlation_figure(COURSE_KERNEL_PAD, 1, "valid", 0)


@figure("conv-padding-same")
def conv_padding_same():
    return _correlation_figure(COURSE_KERNEL_PAD, 1, "same", COURSE_KERNEL_PAD.shape[0] // 2)


@figure("conv-padding-full")
def conv_padding_full():
    return _correlation_figure(COURSE_KERNEL_PAD, 1, "full", COURSE_KERNEL_PAD.shape[0] - 1)


@figure("conv-max-pooling")
def conv_max_pooling():
    pooled = {}
    for name, layer in (("max", layers.MaxPooling2D(POOL_SIZE)),
                        ("average", layers.AveragePooling2D(POOL_SIZE))):
        pooled[name] = keras.ops.convert_to_numpy(layer(_as_batch(COURSE_IMAGE)))[0, :, :, 0]
    return plotting.plot_grids(
        {"input": COURSE_IMAGE, **pooled},
        title=f"{POOL_SIZE}x{POOL_SIZE} pooling, stride {POOL_SIZE}",
    )
