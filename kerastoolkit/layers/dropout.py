"""Inverted dropout."""

import keras
from keras import ops

__all__ = ["Dropout"]


def _check_noise_shape(noise_shape):
    """`None`, or a tuple of positive integers and `None`s; anything else is refused."""
    if noise_shape is None:
        return None
    try:
        if isinstance(noise_shape, str):
            raise TypeError
        shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(
            "`noise_shape` must be a tuple or list of positive integers or None. "
            f"Received: noise_shape={noise_shape!r}"
        ) from None
    for i, n in enumerate(shape):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n <= 0):
            raise ValueError(
                "`noise_shape` entries must be positive integers or None. "
                f"Received: noise_shape={noise_shape!r} (entry {i} is {n!r})"
            )
    return shape


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Dropout(keras.layers.Layer):
    r"""Inverted dropout: in training, zero each input with probability `rate`.

    Randomly silencing units keeps the network from relying on any one of
    them, a cheap form of model averaging against overfitting. The survivors
    are scaled up by $1/(1-p)$ during training ("inverted" dropout), so the
    expected activation is unchanged and inference is simply the identity.

    Let $X$ be the inputs, $p$ be `rate`, and $U$ uniform noise in $[0, 1)$ of
    shape `noise_shape` (the input's shape by default; a 1 broadcasts one draw
    along that axis):

    $$\begin{aligned}
    M &= [\,U \ge p\,] \in \{0, 1\} \\
    Y &= \begin{cases} \dfrac{X \odot M}{1 - p} & \text{training} \\ X & \text{inference}
    \end{cases}
    \end{aligned}$$

    It matches `keras.layers.Dropout` (same arguments and defaults, inverted
    scaling, the same checks of `noise_shape` at construction, and a mask
    passed through to the next layer) in distribution, not mask for mask: the
    random stream differs. Unlike Keras it refuses `rate=1` (everything
    dropped, and $1/(1-p)$ undefined).

    Args:
        rate: $p$, a float in $[0, 1)$.
        noise_shape: shape of $U$ (a tuple or list of positive integers or
            `None`), broadcast against the input; `None` entries take the
            input's size. Defaults to `None`.
        seed: seed of the `keras.random.SeedGenerator` drawing $U$.
            Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import Dropout
        >>> layer = Dropout(0.5, seed=1)
        >>> x = np.ones((1, 4), "float32")
        >>> keras.ops.convert_to_numpy(layer(x))  # inference: the identity
        array([[1., 1., 1., 1.]], dtype=float32)
        >>> sorted(set(keras.ops.convert_to_numpy(layer(x, training=True)).ravel()) - {0.0, 2.0})
        []

    References:
        - Srivastava et al., 2014. Dropout: a simple way to prevent neural
          networks from overfitting.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"`rate` must be a float in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = _check_noise_shape(noise_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        # Weightless, so built at construction as Keras's Dropout is (unless a
        # subclass brings its own build).
        if type(self).build is keras.layers.Layer.build:
            self.built = True

    def _check_rank(self, input_shape):
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(
                "`noise_shape` must have the input's rank. Received: "
                f"noise_shape={self.noise_shape} for input_shape={tuple(input_shape)}"
            )

    def call(self, inputs, training=None):
        self._check_rank(inputs.shape)
        if not training or self.rate == 0:
            return inputs
        x, p = inputs, self.rate
        shape = ops.shape(x)
        if self.noise_shape is not None:
            shape = tuple(n if m is None else m for n, m in zip(shape, self.noise_shape))
        u = keras.random.uniform(shape, seed=self.seed_generator, dtype=x.dtype)
        m = ops.cast(u >= p, x.dtype)
        return x * m / ops.cast(1 - p, x.dtype)

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        return input_shape

    def get_config(self):
        config = {"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}
        return {**super().get_config(), **config}
