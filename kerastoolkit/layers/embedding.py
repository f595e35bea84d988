"""The embedding layer: a trainable lookup table of vectors."""

import warnings

import keras
from keras import ops

from kerastoolkit.layers._keras_args import NoLoRA, refuse_lora, refuse_quantization

__all__ = ["Embedding"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Embedding(NoLoRA, keras.layers.Layer):
    r"""Map each integer index to a trainable vector: row lookup in a table.

    Multiplying a one-hot vector by a matrix just selects one row of it; the
    embedding layer skips the product and reads the row directly. Only the
    looked-up rows receive gradient, so on TensorFlow the gradient of the
    table is sparse (`tf.IndexedSlices`: one slice per lookup, so a row looked
    up twice has two). Keras's optimizers apply the slices as they are;
    kerastoolkit's sum them into the dense gradient first, which changes the
    second moments of Adagrad, RMSprop, Adadelta, Adam and Nadam when a row
    repeats in a batch (see `kerastoolkit.optimizers.Optimizer`).

    Let $E$ be `embeddings` (`input_dim` × `output_dim`) and $t$ an integer
    index in $[0, \text{input\_dim})$:

    $$\begin{aligned}
    y &= E_{t,:} = \operatorname{onehot}(t)^\top E, \qquad
    \frac{\partial L}{\partial E_{t,:}} = \sum_{\text{positions with index } t}
        \frac{\partial L}{\partial y}
    \end{aligned}$$

    It matches `keras.layers.Embedding` (same arguments, defaults and weight
    `embeddings`, `mask_zero`, `weights=[matrix]` for pretrained vectors, and
    ragged inputs giving ragged symbolic outputs). Keras's LoRA and
    quantization are not implemented: their arguments are accepted only at
    their defaults (`None`), so Keras's configs load.

    Args:
        input_dim: the vocabulary size, a positive integer.
        output_dim: the vector size, a positive integer.
        embeddings_initializer: initializer of $E$. Defaults to `"uniform"`.
        embeddings_regularizer: regularizer of $E$. Defaults to `None`.
        embeddings_constraint: constraint on $E$. Defaults to `None`.
        mask_zero: whether index 0 is padding, giving a mask to later layers
            (then `input_dim` must count it). Defaults to `False`.
        weights: the initial table $E$ (`input_dim` × `output_dim`), or a
            one-element list of it; the layer is then built at construction.
            Defaults to `None`.
        lora_rank: only `None` (LoRA is not implemented). Defaults to `None`.
        lora_alpha: only `None`. Defaults to `None`.
        quantization_config: only `None` (quantization is not implemented).
            Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Embedding
        >>> layer = Embedding(3, 2)
        >>> layer.build((None, 2))
        >>> layer.set_weights([np.arange(6, dtype="float32").reshape(3, 2)])
        >>> keras.ops.convert_to_numpy(layer(np.array([[2, 0]])))
        array([[[4., 5.],
                [0., 1.]]], dtype=float32)

    References:
        - Bengio et al., 2003. A neural probabilistic language model.
        - Mikolov et al., 2013. Efficient estimation of word representations
          in vector space.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        refuse_lora("Embedding", lora_rank, lora_alpha)
        refuse_quantization("Embedding", quantization_config)
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = keras.constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        # Look rows up in the float32 table and cast only them (as Keras does),
        # so the table's gradient stays sparse under mixed precision.
        self.autocast = False
        self.quantization_config = None
        if weights is not None:
            self.build()
            self.set_weights(
                weights if isinstance(weights, list) and len(weights) == 1 else [weights]
            )

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            name="embeddings",
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def call(self, inputs):
        t = inputs if "int" in str(inputs.dtype) else ops.cast(inputs, "int32")
        return ops.cast(ops.take(self.embeddings, t, axis=0), self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape),
            dtype=self.compute_dtype,
            ragged=getattr(inputs, "ragged", False),
        )

    def get_config(self):
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": keras.constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "activity_regularizer": keras.regularizers.serialize(self.activity_regularizer),
            "quantization_config": None,
        }
        return {**super().get_config(), **config}
