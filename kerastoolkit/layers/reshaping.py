"""The layer that flattens each sample into a vector."""

import math

import keras
from keras import ops

__all__ = ["Flatten"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Flatten(keras.layers.Layer):
    r"""Flatten each sample into one vector, keeping the batch axis.

    The bridge from convolutional feature maps to dense layers: a sample of
    shape $(d_1, \dots, d_k)$ becomes a vector of $d_1 \cdots d_k$ entries, read
    in row-major (C) order. With `data_format="channels_first"` the channels
    axis is first moved last, so both layouts flatten to the same order. It
    has no weights.

    $$\begin{aligned}
    Y_{n,\, \operatorname{idx}(i_1, \dots, i_k)} &= X_{n, i_1, \dots, i_k},
    \qquad \operatorname{idx}(i_1, \dots, i_k) = \sum_{m=1}^{k} i_m \prod_{l > m} d_l
    \end{aligned}$$

    It matches `keras.layers.Flatten` (same argument and default; a sparse
    symbolic input gives a sparse symbolic output).

    Args:
        data_format: `"channels_last"`, `"channels_first"` or `None` (the
            Keras setting). Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Flatten
        >>> x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)
        >>> keras.ops.convert_to_numpy(Flatten()(x))
        array([[0., 1., 2., 3., 4., 5., 6., 7.]], dtype=float32)

    References:
        - Saito, 2016. Deep Learning from Scratch, chapter 7 (from feature
          maps to the Affine layer).
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = keras.config.image_data_format() if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'. "
                f"Received: data_format={data_format!r}"
            )
        self.data_format = data_format

    def build(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(
                f"Flatten needs inputs with a batch axis. Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        x = inputs
        rank = len(x.shape)
        if self.data_format == "channels_first" and rank > 2:
            x = ops.transpose(x, (0, *range(2, rank), 1))
        return ops.reshape(x, (ops.shape(x)[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=inputs.dtype, sparse=inputs.sparse
        )

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
