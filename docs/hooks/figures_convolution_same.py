"""Figures of the convolution guide's `same`-padding section: an even kernel, two conventions."""

import keras
import numpy as np
from figure_library import figure

from kerastoolkit import layers, plotting

# The notes' 1-D example: x (9 samples) and w (4 taps); `same` pads F - 1 = 3 zeros in all.
SIGNAL = np.array([2, 8, 3, 7, 1, 2, 0, 4, 5], "float32")
KERNEL = np.array([2, 1, 5, 3], "float32")


def correlate(x, padding):
    """Our Conv2D on the signal as a 1×N image with the 1×4 kernel, no bias."""
    conv = layers.Conv2D(1, (1, len(KERNEL)), padding=padding, use_bias=False)
    conv.build((1, 1, len(x), 1))
    conv.set_weights([KERNEL[None, :, None, None]])
    return keras.ops.convert_to_numpy(conv(x[None, None, :, None]))[0, 0, :, 0]


def _same_figure(left, right, output, title):
    padded = np.pad(SIGNAL, (left, right))
    border = np.pad(np.zeros(SIGNAL.shape, bool), (left, right), constant_values=True)
    name = f"x padded {left} left, {right} right"
    return plotting.plot_grids(
        {name: padded[None], "w": KERNEL[None], "output": output[None]},
        shaded={name: border[None]}, title=title,
    )


@figure("conv-same-scipy")
def conv_same_scipy():
    # SciPy's scipy.signal.correlate(x, w, "same"), as in the notes: the larger half on the left.
    # Computed here as our valid correlation of the input padded that way.
    out = correlate(np.pad(SIGNAL, (2, 1)), "valid")
    return _same_figure(2, 1, out, 'scipy.signal.correlate(x, w, mode="same")')


@figure("conv-same-keras")
def conv_same_keras():
    return _same_figure(1, 2, correlate(SIGNAL, "same"), 'Conv2D(..., padding="same"), as Keras')
