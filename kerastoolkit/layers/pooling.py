"""2-D max and average pooling from slices of the input, with hand-written gradients."""

import keras
import numpy as np
from keras import ops

from kerastoolkit.layers.conv import (
    check_data_format,
    check_padding,
    check_rank_4,
    col2im,
    pair,
    strided_window,
    window_geometry,
)

__all__ = ["AveragePooling2D", "MaxPooling2D"]

POOL_PADDINGS = ("valid", "same")


def _crop_padding(tiles, padded_shape, pads):
    """Put `tiles` at the top left of a zero image of `padded_shape`, then cut `pads` off."""
    (n_h, n_w), ((top, bottom), (left, right)) = padded_shape, pads
    t_h, t_w, c = tiles.shape[1:]
    e_h, e_w = min(t_h, n_h - bottom), min(t_w, n_w - right)  # the tile rows/columns kept
    if (top, left, e_h, e_w) != (0, 0, t_h, t_w):
        tiles = ops.slice(tiles, (0, top, left, 0), (ops.shape(tiles)[0], e_h - top, e_w - left, c))
    if (e_h, e_w) != (n_h - bottom, n_w - right):
        tiles = ops.pad(tiles, ((0, 0), (0, n_h - bottom - e_h), (0, n_w - right - e_w), (0, 0)))
    return tiles


class _Pooling2D(keras.layers.Layer):
    """Shared arguments and geometry of the two pooling layers."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else pair("strides", strides)
        self.padding = check_padding(padding, POOL_PADDINGS)
        self.data_format = check_data_format(data_format)
        # Weightless, so built at construction as Keras's pooling layers are (the
        # geometry is still checked by compute_output_shape and call); a subclass
        # with a build of its own gets it called.
        if type(self).build is _Pooling2D.build:
            self.built = True

    def _geometry(self, input_shape):
        name = type(self).__name__
        check_rank_4(name, input_shape)
        sizes, pads = zip(
            *(
                window_geometry(n, p, s, self.padding, name, axis)
                for axis, n, p, s in zip((1, 2), input_shape[1:3], self.pool_size, self.strides)
            )
        )
        return sizes, pads

    def _windows(self, x, out_shape):
        """The p_h·p_w window offsets stacked on a leading axis.

        Entry (i·p_w + j) is what offset (i, j) sees at every output position,
        shaped (p_h·p_w, batch, o_h, o_w, channels). Non-overlapping windows
        (strides = pool size) tile the image, so a reshape and a transpose
        bring each window's pixels to the front; overlapping windows stack one
        strided slice of the input per offset.
        """
        (o_h, o_w), (p_h, p_w), c = out_shape, self.pool_size, x.shape[-1]
        if self.strides != self.pool_size:
            return ops.stack(
                [
                    strided_window(x, i, j, out_shape, self.strides)
                    for i in range(p_h)
                    for j in range(p_w)
                ],
                axis=0,
            )
        if tuple(x.shape[1:3]) != (o_h * p_h, o_w * p_w):
            x = ops.slice(x, (0, 0, 0, 0), (ops.shape(x)[0], o_h * p_h, o_w * p_w, c))
        tiles = ops.reshape(x, (-1, o_h, p_h, o_w, p_w, c))
        return ops.reshape(ops.transpose(tiles, (2, 4, 0, 1, 3, 5)), (p_h * p_w, -1, o_h, o_w, c))

    def _unwindows(self, pieces, padded_shape, pads):
        """The adjoint of `_windows`: window gradients back onto the unpadded input.

        `pieces[i·p_w + j]` is the gradient reaching offset (i, j) of every
        window. Non-overlapping windows are put back into their tiles (the
        transpose and reshape of `_windows` run backwards), the pixels no
        window covers get zero and the padding is cut off; overlapping ones go
        through `col2im`.
        """
        (p_h, p_w), (o_h, o_w, c) = self.pool_size, pieces[0].shape[1:]
        if self.strides != self.pool_size:
            offsets = [(i, j) for i in range(p_h) for j in range(p_w)]
            return col2im(pieces, offsets, self.strides, padded_shape, pads)
        stacked = ops.reshape(ops.stack(pieces, axis=0), (p_h, p_w, -1, o_h, o_w, c))
        tiles = ops.reshape(
            ops.transpose(stacked, (2, 3, 0, 4, 1, 5)), (-1, o_h * p_h, o_w * p_w, c)
        )
        return _crop_padding(tiles, padded_shape, pads)

    def build(self, input_shape):
        self._geometry(input_shape)

    def compute_output_shape(self, input_shape):
        (o_h, o_w), _ = self._geometry(input_shape)
        return (input_shape[0], o_h, o_w, input_shape[-1])

    def get_config(self):
        config = {
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class MaxPooling2D(_Pooling2D):
    r"""2-D max pooling: the largest value of each window, channel by channel.

    A window of `pool_size` slides over the image by `strides` and keeps only
    its largest entry, which shrinks the feature map and makes it tolerant to
    small shifts; it has no weights. No built-in pooling op is used: the
    $p_h p_w$ window offsets are stacked on a leading axis (by a reshape and a
    transpose for the usual non-overlapping windows, by one strided slice of
    the input per offset otherwise) and reduced with a maximum. The
    gradient, written by hand, flows back to the winning pixel of each
    window; when several pixels tie for the maximum (whole windows of zeros
    after a ReLU), the first one in row-major order takes all of it, as in
    Keras.

    Let $X$ be the input (padded with $-\infty$ for `"same"`), $(p_h, p_w)$ be
    `pool_size` and $(s_h, s_w)$ be `strides`:

    $$\begin{aligned}
    Y_{n,r,c,k} &= \max_{0 \le i < p_h,\ 0 \le j < p_w} X_{n,\, s_h r + i,\, s_w c + j,\, k}
    \end{aligned}$$

    with the output size of `Conv2D`: $\lfloor (N - p + P)/s \rfloor + 1$ per
    axis. It matches `keras.layers.MaxPooling2D` (same arguments and
    defaults, channels last, Keras's placement of `"same"` padding).

    Args:
        pool_size: $(p_h, p_w)$, an int or a pair. Defaults to `(2, 2)`.
        strides: $(s_h, s_w)$, an int or a pair; `None` means `pool_size`.
            Defaults to `None`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: only `"channels_last"` (or `None`). Defaults to `None`.

    Examples:
        The course's 2×2 example:

        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import MaxPooling2D
        >>> x = np.array([[4, 3], [2, 1]], "float32").reshape(1, 2, 2, 1)
        >>> keras.ops.convert_to_numpy(MaxPooling2D(2)(x)).ravel()
        array([4.], dtype=float32)

    References:
        - Ranzato et al., 2007. Unsupervised learning of invariant feature
          hierarchies with applications to object recognition.
    """

    def call(self, inputs):
        out_shape, pads = self._geometry(inputs.shape)

        @ops.custom_gradient
        def max_pool(x):
            if any(map(any, pads)):
                x = ops.pad(x, ((0, 0), *pads, (0, 0)), constant_values=float("-inf"))
            windows = self._windows(x, out_shape)
            y = ops.max(windows, axis=0)

            def grad(*args, upstream=None):
                # TF passes the incoming gradient positionally, JAX and torch by keyword.
                rest = args[0] if upstream is None else upstream
                # Row-major order: the first maximum takes the window's whole gradient
                # and leaves nothing for later ties; what is left when the last offset
                # comes is its own (it is then the only maximum).
                pieces = []
                for w in ops.unstack(windows)[:-1]:
                    d = ops.where(w == y, rest, ops.zeros_like(rest))
                    rest = rest - d
                    pieces.append(d)
                pieces.append(rest)
                return self._unwindows(pieces, x.shape[1:3], pads)

            return y, grad

        return max_pool(inputs)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class AveragePooling2D(_Pooling2D):
    r"""2-D average pooling: the mean of each window, channel by channel.

    Like `MaxPooling2D` but each window is replaced by its mean: the sum over
    the $p_h p_w$ stacked window offsets divided by the number of real
    (not padded) pixels in the window, so that `"same"` padding does not pull
    border means towards zero. The hand-written gradient spreads each
    window's incoming gradient evenly over its real pixels, a share
    $1/n_{r,c}$ to each.

    Let $X$ be the zero-padded input, $(p_h, p_w)$ be `pool_size`,
    $(s_h, s_w)$ be `strides` and $n_{r,c}$ the number of input pixels inside
    window $(r, c)$ ($p_h p_w$ except at padded borders):

    $$\begin{aligned}
    Y_{n,r,c,k} &= \frac{1}{n_{r,c}} \sum_{i < p_h,\ j < p_w}
        X_{n,\, s_h r + i,\, s_w c + j,\, k}
    \end{aligned}$$

    It matches `keras.layers.AveragePooling2D` (same arguments and defaults,
    channels last, padding excluded from the mean as in TensorFlow). On PyTorch,
    Keras 3.15's own layer instead counts edge-replicated pixels where
    `"same"` padding is uneven (fixed upstream by keras-team/keras#23233); ours keeps
    TensorFlow's and JAX's convention on every backend.

    Args:
        pool_size: $(p_h, p_w)$, an int or a pair. Defaults to `(2, 2)`.
        strides: $(s_h, s_w)$, an int or a pair; `None` means `pool_size`.
            Defaults to `None`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: only `"channels_last"` (or `None`). Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import AveragePooling2D
        >>> x = np.array([[4, 3], [2, 1]], "float32").reshape(1, 2, 2, 1)
        >>> keras.ops.convert_to_numpy(AveragePooling2D(2)(x)).ravel()
        array([2.5], dtype=float32)

    References:
        - LeCun et al., 1998. Gradient-based learning applied to document
          recognition.
    """

    def call(self, inputs):
        out_shape, pads = self._geometry(inputs.shape)
        n = ops.cast(self._window_counts(inputs.shape[1:3], out_shape, pads), inputs.dtype)

        @ops.custom_gradient
        def average_pool(x):
            if any(map(any, pads)):
                x = ops.pad(x, ((0, 0), *pads, (0, 0)))
            windows = self._windows(x, out_shape)
            total = ops.sum(windows, axis=0)

            def grad(*args, upstream=None):
                g = args[0] if upstream is None else upstream  # TF: positional; JAX: keyword
                return self._unwindows([g / n] * windows.shape[0], x.shape[1:3], pads)

            return total / n, grad

        return average_pool(inputs)

    def _window_counts(self, size, out_shape, pads):
        """n_{r,c}: how many real (not padded) pixels window (r, c) covers, as (1, o_h, o_w, 1)."""
        counts = []
        for n, o, p, s, (before, _) in zip(size, out_shape, self.pool_size, self.strides, pads):
            start = np.arange(o) * s - before  # the window's first pixel in input coordinates
            counts.append(np.minimum(start + p, n) - np.maximum(start, 0))
        return np.outer(*counts).reshape(1, *out_shape, 1).astype("float32")
