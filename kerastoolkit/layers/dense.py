"""The fully connected (affine) layer."""

import keras
from keras import ops

from kerastoolkit.layers._keras_args import NoLoRA, refuse_lora, refuse_quantization

__all__ = ["Dense"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Dense(NoLoRA, keras.layers.Layer):
    r"""Fully connected layer: every output is a weighted sum of every input, plus a bias.

    Each of the `units` outputs looks at all the input features through its own
    column of weights: a whole batch is one matrix product (the "Affine"
    layer of *Deep Learning from Scratch*, chapter 5), followed by an optional
    activation. Inputs of rank above 2
    are transformed along their last axis only.

    Let $X$ be the inputs (batch × $d$), $W$ be `kernel` ($d$ × `units`), $b$ be
    `bias` (`units`) and $\phi$ be `activation`:

    $$\begin{aligned}
    Y &= \phi(X W + b)
    \end{aligned}$$

    It matches `keras.layers.Dense`: same arguments, defaults and weights
    `kernel`, `bias`, the mask passed through to the next layer, and the input
    spec (a built layer refuses inputs of another last dimension). Keras's
    LoRA and quantization are not implemented: their arguments are accepted
    only at their defaults (`None`), so Keras's configs load.

    Args:
        units: the number of outputs, a positive integer.
        activation: $\phi$, anything `keras.activations.get` accepts; `None`
            is the identity. Defaults to `None`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $W$. Defaults to `"glorot_uniform"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of $W$. Defaults to `None`.
        bias_regularizer: regularizer of $b$. Defaults to `None`.
        activity_regularizer: regularizer of $Y$. Defaults to `None`.
        kernel_constraint: constraint on $W$. Defaults to `None`.
        bias_constraint: constraint on $b$. Defaults to `None`.
        lora_rank: only `None` (LoRA is not implemented). Defaults to `None`.
        lora_alpha: only `None`. Defaults to `None`.
        quantization_config: only `None` (quantization is not implemented).
            Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Dense
        >>> layer = Dense(2, kernel_initializer="ones", bias_initializer="ones")
        >>> keras.ops.convert_to_numpy(layer(np.array([[1.0, 2.0, 3.0]], "float32")))
        array([[7., 7.]], dtype=float32)

    References:
        - Rosenblatt, 1958. The perceptron: a probabilistic model for
          information storage and organization in the brain.
        - Saito, 2016. Deep Learning from Scratch, chapter 5 (the Affine layer).
    """

    def __init__(
        self,
        units,
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
        quantization_config=None,
        **kwargs,
    ):
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        refuse_lora("Dense", lora_rank, lora_alpha)
        refuse_quantization("Dense", quantization_config)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.quantization_config = None
        self.input_spec = keras.InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                "Dense needs inputs of rank >= 2 with a known last dimension. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = keras.InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            y = y + self.bias
        if self.activation is not None:
            y = self.activation(y)
        return y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
        return {**super().get_config(), **config}
