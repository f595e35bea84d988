"""The residual (skip) connection around a block of layers."""

import keras

from kerastoolkit.layers.dense import Dense

__all__ = ["Residual"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Residual(keras.layers.Layer):
    r"""Residual connection: add a block's input to its output.

    The block only has to learn the *residual* $F(x) = y - x$, and the
    identity path lets gradients flow straight through the addition, which is
    what makes very deep networks trainable. When the block changes the
    number of features (the last axis), the input is first mapped to the
    block's width by a learned linear projection $W_s$ (a bias-free `Dense`,
    which on images is a 1×1 convolution), created when the layer is built.

    Let $x$ be the inputs, $F$ be `block` and $W_s$ the projection (the
    identity when $F(x)$ already has $x$'s shape):

    $$\begin{aligned}
    y &= F(x) + x W_s
    \end{aligned}$$

    Keras has no built-in twin; it is the addition of `keras.layers.Add`
    applied to a block and its input, with the projection shortcut of He et
    al. (option B).

    Args:
        block: the layer $F$ (any `keras.layers.Layer`, e.g. a
            `keras.Sequential`); only its last axis may differ from the
            input's.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Dense, Residual
        >>> layer = Residual(Dense(2, kernel_initializer="ones", use_bias=False))
        >>> keras.ops.convert_to_numpy(layer(np.array([[1.0, 2.0]], "float32")))
        array([[4., 5.]], dtype=float32)

    References:
        - He, Zhang, Ren & Sun, 2016. Deep residual learning for image
          recognition.
    """

    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(block, keras.layers.Layer):
            raise TypeError(f"`block` must be a keras.layers.Layer. Received: block={block!r}")
        self.block = block
        self.projection = None

    def build(self, input_shape):
        if not self.block.built:
            self.block.build(input_shape)
        out_shape = tuple(self.block.compute_output_shape(input_shape))
        if tuple(out_shape[:-1]) != tuple(input_shape[:-1]):
            raise ValueError(
                "Residual: the block may change only the last axis of its input. Received: "
                f"input_shape={tuple(input_shape)}, block output shape={out_shape}"
            )
        if out_shape[-1] != input_shape[-1]:
            self.projection = Dense(out_shape[-1], use_bias=False, name="projection")
            self.projection.build(input_shape)

    def call(self, inputs, training=None):
        x = inputs
        shortcut = x if self.projection is None else self.projection(x)
        return self.block(x, training=training) + shortcut

    def compute_output_shape(self, input_shape):
        return self.block.compute_output_shape(input_shape)

    def get_config(self):
        config = {"block": keras.saving.serialize_keras_object(self.block)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["block"] = keras.saving.deserialize_keras_object(config["block"])
        return cls(**config)
