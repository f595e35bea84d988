"""The 2-D convolution layer: im2col (patches · flattened kernel), backward derived by hand."""

import math

import keras
from keras import ops

from kerastoolkit.layers._keras_args import NoLoRA, refuse_lora

__all__ = ["Conv2D"]

PADDINGS = ("valid", "same", "full")


def pair(name, value):
    """Standardize an int or a pair of ints into a tuple of two positive ints."""
    if isinstance(value, int):
        values = (value, value)
    else:
        values = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(values) != 2 or any(
        isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values
    ):
        raise ValueError(
            f"`{name}` must be a positive integer or a pair of positive integers. "
            f"Received: {name}={value!r}"
        )
    return values


def check_padding(padding, allowed=PADDINGS):
    """Lower-case `padding` and refuse values outside `allowed`."""
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"`padding` must be one of {allowed}. Received: padding={padding!r}")
    return p


def check_data_format(data_format):
    """Only channels-last layouts are computed here."""
    data_format = keras.config.image_data_format() if data_format is None else data_format
    if data_format != "channels_last":
        raise ValueError(
            "Only the channels-last layout (batch, height, width, channels) is supported. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def window_geometry(n, f, s, padding, layer, axis):
    r"""Output size and (before, after) zero padding of one spatial axis.

    For an axis of `n` pixels, a window spanning `f` pixels (the dilated kernel
    or the pool) and stride `s`, the output has $o = (n - f + P)/s + 1$
    entries (rounded down), with $P$ the total padding: $0$ for `"valid"`,
    $2(f - 1)$ for `"full"`, and for `"same"` the least padding giving
    $o = \lceil n/s \rceil$, its odd pixel at the end (bottom / right), as
    Keras and TensorFlow place it.
    """
    if n is None:
        raise ValueError(
            f"{layer} needs known spatial dimensions. Received: size None on axis {axis}"
        )
    if padding == "valid":
        if n < f:
            raise ValueError(
                f"{layer}: the window ({f} pixels on axis {axis}, dilation included) is "
                f"larger than the input ({n} pixels) with padding='valid'. Use a smaller "
                "kernel / pool or padding='same'."
            )
        before = after = 0
    elif padding == "full":
        before = after = f - 1
    else:
        total = max((math.ceil(n / s) - 1) * s + f - n, 0)
        before, after = total // 2, total - total // 2
    return (n - f + before + after) // s + 1, (before, after)


def check_rank_4(layer, input_shape):
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer} needs inputs of rank 4 (batch, height, width, channels). "
            f"Received: input_shape={tuple(input_shape)}"
        )


def strided_window(x, i, j, out_shape, strides):
    """The pixels that kernel offset (i, j) meets at every output position.

    `x[:, i + s_h·r, j + s_w·c, :]` for every output row `r` and column `c`:
    one slice of the (padded) input, shaped (batch, o_h, o_w, channels). A
    unit-stride window is a plain `ops.slice`; other strides take every s-th
    pixel.
    """
    (o_h, o_w), (s_h, s_w) = out_shape, strides
    if strides == (1, 1):
        return ops.slice(x, (0, i, j, 0), (ops.shape(x)[0], o_h, o_w, x.shape[-1]))
    return x[:, i : i + (o_h - 1) * s_h + 1 : s_h, j : j + (o_w - 1) * s_w + 1 : s_w, :]


def col2im(pieces, offsets, strides, padded_size, pads):
    r"""The adjoint of `strided_window`: add window gradients back onto the image.

    `pieces[t]` (batch, o_h, o_w, channels) is the gradient reaching the
    pixels `x[:, i + s_h·r, j + s_w·c, :]` for `offsets[t] = (i, j)`; each is
    added at those pixels of a zero image of `padded_size` (the padded
    input), and the padding `pads` ((top, bottom), (left, right)) is cut off
    at the end. With unit strides every piece is zero-padded into place and
    summed. With strides, pieces whose offsets fall on the same stride grid
    (same $i \bmod s_h$, $j \bmod s_w$) are summed on that grid first, and
    each grid is spread out once by inserting $s - 1$ zeros between its
    pixels.
    """
    (s_h, s_w), (n_h, n_w) = strides, padded_size
    grids = {}
    for piece, (i, j) in zip(pieces, offsets):
        grids.setdefault((i % s_h, j % s_w), []).append((piece, i // s_h, j // s_w))
    total = None
    for (a, b), members in grids.items():
        u, v = -(-(n_h - a) // s_h), -(-(n_w - b) // s_w)  # the grid's rows and columns
        grid = None
        for piece, q, p in members:
            o_h, o_w = piece.shape[1:3]
            placed = ops.pad(piece, ((0, 0), (q, u - q - o_h), (p, v - p - o_w), (0, 0)))
            grid = placed if grid is None else grid + placed
        if (s_h, s_w) != (1, 1):
            c = grid.shape[-1]
            spread = ops.pad(
                ops.reshape(grid, (-1, u, 1, v, 1, c)),
                ((0, 0), (0, 0), (0, s_h - 1), (0, 0), (0, s_w - 1), (0, 0)),
            )
            grid = ops.reshape(spread, (-1, u * s_h, v * s_w, c))
            grid = ops.pad(grid, ((0, 0), (a, 0), (b, 0), (0, 0)))
            grid = ops.slice(grid, (0, 0, 0, 0), (ops.shape(grid)[0], n_h, n_w, c))
        total = grid if total is None else total + grid
    (top, bottom), (left, right) = pads
    if top or bottom or left or right:
        total = ops.slice(
            total,
            (0, top, left, 0),
            (ops.shape(total)[0], n_h - top - bottom, n_w - left - right, total.shape[-1]),
        )
    return total


def im2col_matmul(out_shape, pads, kernel_size, strides, dilation_rate):
    r"""The convolution $Y = P \operatorname{vec}(K)$ with its hand-derived backward.

    Returns a function of `(x, kernel)` (positional, for
    `keras.ops.custom_gradient`) closed over the geometry. The forward keeps
    the patch matrix $P$; the backward is the course's

    $$\begin{aligned}
    dK &= P^\top dY, & dX &= \operatorname{col2im}\big(dY \operatorname{vec}(K)^\top\big),
    \end{aligned}$$

    two matrix products and one pass adding each kernel offset's slice of
    $dY \operatorname{vec}(K)^\top$ back onto the pixels it came from.
    """
    (o_h, o_w), (k_h, k_w), (d_h, d_w) = out_shape, kernel_size, dilation_rate
    offsets = [(i * d_h, j * d_w) for i in range(k_h) for j in range(k_w)]

    @ops.custom_gradient
    def conv(x, kernel):
        c, f = x.shape[-1], kernel.shape[-1]
        x_p = ops.pad(x, ((0, 0), *pads, (0, 0))) if any(map(any, pads)) else x
        windows = [strided_window(x_p, i, j, out_shape, strides) for i, j in offsets]
        if c == 1:
            # The same matrix, built faster: TensorFlow concatenates one-channel
            # pieces slowly, but stacks them on a leading axis and transposes quickly.
            stacked = ops.transpose(ops.stack(windows, axis=0), (1, 2, 3, 0, 4))
            patches = ops.reshape(stacked, (-1, o_h, o_w, k_h * k_w * c))
        else:
            patches = ops.concatenate(windows, axis=-1)
        # 2-D products: TensorFlow runs a (rows × k_h k_w C) matrix product faster
        # than the same product broadcast over (batch, o_h, o_w).
        rows = ops.reshape(patches, (-1, k_h * k_w * c))
        k = ops.reshape(kernel, (k_h * k_w * c, f))
        y = ops.reshape(ops.matmul(rows, k), (-1, o_h, o_w, f))

        def grad(*args, upstream=None):
            dy = args[0] if upstream is None else upstream  # TF: positional; JAX, torch: keyword
            dy = ops.reshape(dy, (-1, f))
            d_kernel = ops.reshape(ops.matmul(ops.transpose(rows), dy), kernel.shape)
            d_patches = ops.reshape(ops.matmul(dy, ops.transpose(k)), (-1, o_h, o_w, k_h * k_w * c))
            pieces = [d_patches[..., t * c : (t + 1) * c] for t in range(len(offsets))]
            d_x = col2im(pieces, offsets, strides, x_p.shape[1:3], pads)
            return d_x, d_kernel

        return y, grad

    return conv


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Conv2D(NoLoRA, keras.layers.Layer):
    r"""2-D convolution layer (a cross-correlation), channels last, computed as im2col.

    A small kernel slides over the image; at each position it takes the dot
    product of the patch under it with its weights, one output channel per
    filter. As in every deep-learning library the kernel is not flipped (a
    cross-correlation). All patches are unrolled into the rows of one matrix
    and multiplied by the flattened kernel: "im2col", the method of
    Chellapilla, Puri & Simard (2006) that *Deep Learning from Scratch*
    (chapter 7) teaches; the course's CNN calls TensorFlow's convolution
    (`tf.nn.conv2d`, `Conv2D`) instead.
    The patch matrix is built from $k_h k_w$ strided slices of the padded
    input, one per kernel offset, laid side by side along the channels: each
    slice is what that kernel offset sees at every output position. The
    backward pass is the course's hand derivation rather than automatic
    differentiation: $dK = P^\top dY$ with the patch matrix $P$ kept from the
    forward pass, and $dX = \operatorname{col2im}(dY \operatorname{vec}(K)^\top)$,
    which adds each kernel offset's share back onto the pixels it came from.

    Let $X$ be the zero-padded input (batch × height × width × $C$), $K$ be
    `kernel` ($k_h$ × $k_w$ × $C$ × $F$ with $(k_h, k_w)$ = `kernel_size`,
    $F$ = `filters`), $b$ be `bias`, $(s_h, s_w)$ = `strides`,
    $(d_h, d_w)$ = `dilation_rate`, $\phi$ = `activation`:

    $$\begin{aligned}
    \mathbf{p}_{n,r,c} &= \big[X_{n,\, s_h r + d_h i,\, s_w c + d_w j,\, :}\big]_{i < k_h,\ j < k_w}
      && \text{(the patch, flattened to } k_h k_w C\text{)} \\
    Y_{n,r,c,:} &= \phi\big(\mathbf{p}_{n,r,c}\, \operatorname{vec}(K) + b\big)
      && \operatorname{vec}(K) \in \mathbb{R}^{k_h k_w C \times F} \\
    o &= \left\lfloor \frac{N - k_d + P}{s} \right\rfloor + 1
      && \text{per axis, } k_d = (k - 1) d + 1
    \end{aligned}$$

    for an axis of $N$ pixels, kernel size $k$, dilation $d$ and stride $s$
    (the course's $(N - F + P)/S + 1$), with total padding $P$: $0$ for
    `"valid"`, $2(k_d - 1)$ for `"full"`, and for `"same"` the least giving
    $o = \lceil N/s \rceil$, the odd pixel at the bottom / right.

    It matches `keras.layers.Conv2D` (same arguments, defaults and weights
    `kernel`, `bias`) for the channels-last layout and `groups=1`; it adds
    `padding="full"`, and it accepts strides together with dilation (Keras
    refuses the combination).

    Args:
        filters: $F$, the number of output channels, a positive integer.
        kernel_size: $(k_h, k_w)$, an int or a pair.
        strides: $(s_h, s_w)$, an int or a pair. Defaults to `(1, 1)`.
        padding: `"valid"`, `"same"` or `"full"`. Defaults to `"valid"`.
        data_format: only `"channels_last"` (or `None`, the Keras setting,
            which must be channels last). Defaults to `None`.
        dilation_rate: $(d_h, d_w)$, the spacing between kernel taps.
            Defaults to `(1, 1)`.
        groups: only `1`. Defaults to `1`.
        activation: $\phi$. Defaults to `None`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $K$. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of $K$. Defaults to `None`.
        bias_regularizer: regularizer of $b$. Defaults to `None`.
        activity_regularizer: regularizer of $Y$. Defaults to `None`.
        kernel_constraint: constraint on $K$. Defaults to `None`.
        bias_constraint: constraint on $b$. Defaults to `None`.
        lora_rank: only `None` (Keras's LoRA is not implemented).
            Defaults to `None`.
        lora_alpha: only `None`. Defaults to `None`.

    Examples:
        The course's 4×4 image with a 2×2 kernel, stride 2:

        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Conv2D
        >>> image = np.array([[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]],
        ...                  "float32").reshape(1, 4, 4, 1)
        >>> conv = Conv2D(1, 2, strides=2, use_bias=False)
        >>> conv.build(image.shape)
        >>> conv.set_weights([np.array([[1, 0], [1, 2]], "float32").reshape(2, 2, 1, 1)])
        >>> keras.ops.convert_to_numpy(conv(image))[0, :, :, 0]
        array([[15., 25.],
               [ 8.,  8.]], dtype=float32)

    References:
        - LeCun et al., 1998. Gradient-based learning applied to document
          recognition.
        - Chellapilla, Puri & Simard, 2006. High performance convolutional
          neural networks for document processing (im2col).
        - Saito, 2016. Deep Learning from Scratch, chapter 7 (im2col).
        - Dumoulin & Visin, 2016. A guide to convolution arithmetic for deep
          learning.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        refuse_lora("Conv2D", lora_rank, lora_alpha)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        if groups != 1:
            raise ValueError(f"Only `groups=1` is supported. Received: groups={groups!r}")
        self.filters = filters
        self.kernel_size = pair("kernel_size", kernel_size)
        self.strides = pair("strides", strides)
        self.padding = check_padding(padding)
        self.data_format = check_data_format(data_format)
        self.dilation_rate = pair("dilation_rate", dilation_rate)
        self.groups = groups
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)

    def _geometry(self, input_shape):
        check_rank_4("Conv2D", input_shape)
        sizes, pads = zip(
            *(
                window_geometry(n, (k - 1) * d + 1, s, self.padding, "Conv2D", axis)
                for axis, n, k, d, s in zip(
                    (1, 2), input_shape[1:3], self.kernel_size, self.dilation_rate, self.strides
                )
            )
        )
        return sizes, pads

    def build(self, input_shape):
        self._geometry(input_shape)
        if input_shape[-1] is None:
            raise ValueError(
                f"Conv2D needs a known number of input channels. Received: input_shape="
                f"{tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1], self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs):
        out_shape, pads = self._geometry(inputs.shape)
        conv = im2col_matmul(out_shape, pads, self.kernel_size, self.strides, self.dilation_rate)
        y = conv(inputs, ops.cast(self.kernel, self.compute_dtype))
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        (o_h, o_w), _ = self._geometry(input_shape)
        return (input_shape[0], o_h, o_w, self.filters)

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": keras.regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
        }
        return {**super().get_config(), **config}
