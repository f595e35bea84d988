"""Gated linear unit layer: half of the features gate the other half."""

import keras

from kerastoolkit import activations

__all__ = ["GLU"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class GLU(keras.layers.Layer):
    r"""Gated linear unit: split the input in two along `axis`, let $\sigma(b)$ gate $a$.

    The first half $a$ carries the signal and the second half $b$, through a
    sigmoid, decides feature by feature how much of it passes; the linear
    path keeps a gradient $\sigma(b)$ that does not vanish while the gate is
    open. A layer form of `kerastoolkit.activations.glu`. Let $a$ and $b$ be
    the first and second halves of the input along `axis`:

    $$\begin{aligned}
    f(x) &= a \odot \sigma(b)
    \end{aligned}$$

    Equal to `keras.layers.Activation(keras.activations.glu)` (Keras has no
    GLU layer). The size of `axis` must be even; an odd size is refused when
    the layer is built. A mask (e.g. from `Embedding(mask_zero=True)`) passes
    through when `axis` lies beyond the mask's axes (the feature axis); a
    mask over the split axis would pair up masked and unmasked halves, so it
    is refused.

    Args:
        axis: the axis split in two. Defaults to `-1`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import GLU
        >>> np.asarray(GLU()(np.array([[2.0, -4.0, 0.0, 100.0]])))
        array([[ 1., -4.]], dtype=float32)

    References:
        - Dauphin, Fan, Auli and Grangier, 2017. Language modeling with gated
          convolutional networks.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"`axis` must be an integer. Received: axis={axis!r}")
        self.axis = axis
        self.supports_masking = True

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(
                f"`axis` is out of range for inputs of rank {len(input_shape)}. "
                f"Received: axis={self.axis}"
            )
        size = input_shape[self.axis]
        if size is not None and size % 2:
            raise ValueError(
                "GLU splits `axis` in two equal halves, so its size must be even. "
                f"Received: input_shape={tuple(input_shape)} with axis={self.axis}"
            )

    def call(self, inputs):
        return activations.glu(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        rank = len(inputs.shape)
        if self.axis % rank < len(mask.shape):
            raise ValueError(
                f"GLU(axis={self.axis}) would split an axis that the mask covers. Received: "
                f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
            )
        return mask

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if shape[self.axis] is not None:
            shape[self.axis] //= 2
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
