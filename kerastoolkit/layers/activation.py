"""Activation layers: each applies one function of `kerastoolkit.activations` element-wise."""

import warnings

import keras
from keras import ops

from kerastoolkit import activations

__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax", "Sigmoid", "Tanh", "Step", "Identity"]


def _check_at_least(name, value, low):
    """Refuse a hyperparameter that is not a real number >= `low`, at construction."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
        raise ValueError(f"`{name}` must be a number >= {low}. Received: {name}={value!r}")
    return value


class _Elementwise(keras.layers.Layer):
    """A weightless layer whose output has its input's shape and mask.

    It is built at construction, as Keras's activation layers are, unless a
    subclass overrides `build` (then Keras calls that `build` on first use).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if type(self).build is keras.layers.Layer.build:
            self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ReLU(_Elementwise):
    r"""Rectified linear unit layer, with Keras's leak, threshold and cap.

    A layer form of `kerastoolkit.activations.relu`, whose gradient is
    written by hand. Let $s$ be `negative_slope`, $m$ be `max_value`
    ($+\infty$ when `None`) and $\theta$ be `threshold`:

    $$\begin{aligned}
    f(x) &= \begin{cases} \min(x, m) & x > \theta \\
    s\,(x - \theta) & x \le \theta \end{cases}
    \end{aligned}$$

    Equal to `keras.layers.ReLU`: same arguments, defaults and checks.

    Args:
        max_value: $m$, >= 0, or `None` for no cap. Defaults to `None`.
        negative_slope: $s$, >= 0. Defaults to `0.0`.
        threshold: $\theta$, >= 0. Defaults to `0.0`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import ReLU
        >>> np.asarray(ReLU(max_value=10.0, negative_slope=0.5)(np.array([-10.0, 5.0, 20.0])))
        array([-5.,  5., 10.], dtype=float32)

    References:
        - Glorot, Bordes and Bengio, 2011. Deep sparse rectifier neural
          networks.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            _check_at_least("max_value", max_value, 0)
        self.max_value = max_value
        self.negative_slope = _check_at_least("negative_slope", negative_slope, 0)
        self.threshold = _check_at_least("threshold", threshold, 0)

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self):
        config = {
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LeakyReLU(_Elementwise):
    r"""Leaky ReLU layer: slope 1 above zero, a small slope $s$ below.

    A layer form of `kerastoolkit.activations.leaky_relu`. Let $s$ be
    `negative_slope`:

    $$\begin{aligned}
    f(x) &= \begin{cases} x & x > 0 \\ s\,x & x \le 0 \end{cases}
    \end{aligned}$$

    Equal to `keras.layers.LeakyReLU`, including its default slope of 0.3
    (the function's default is 0.2, as in Keras) and its deprecated alias
    `alpha` of `negative_slope` (taken with Keras's warning).

    Args:
        negative_slope: $s$, >= 0. Defaults to `0.3`.
        **kwargs: base layer arguments (`name`, `dtype`, ...), and `alpha`,
            the deprecated name of `negative_slope`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import LeakyReLU
        >>> np.asarray(LeakyReLU()(np.array([-10.0, 0.0, 3.0])))
        array([-3.,  0.,  3.], dtype=float32)

    References:
        - Maas, Hannun and Ng, 2013. Rectifier nonlinearities improve neural
          network acoustic models.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2
            )
        super().__init__(**kwargs)
        self.negative_slope = _check_at_least("negative_slope", negative_slope, 0)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ELU(_Elementwise):
    r"""Exponential linear unit layer: identity above zero, saturating at $-\alpha$ below.

    A layer form of `kerastoolkit.activations.elu`. Let $\alpha$ be `alpha`:

    $$\begin{aligned}
    f(x) &= \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}
    \end{aligned}$$

    Equal to `keras.layers.ELU`; unlike Keras, `alpha` must be >= 0 and is
    saved in the config (Keras's `ELU.get_config` drops it).

    Args:
        alpha: $\alpha$, >= 0. Defaults to `1.0`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import ELU
        >>> np.asarray(ELU(alpha=2.0)(np.array([-20.0, 0.0, 3.0])))
        array([-2.,  0.,  3.], dtype=float32)

    References:
        - Clevert, Unterthiner and Hochreiter, 2016. Fast and accurate deep
          network learning by exponential linear units (ELUs).
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _check_at_least("alpha", alpha, 0)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _check_broadcastable(input_shape, mask_shape):
    """Refuse a mask with more axes than the input, or an axis neither 1 nor the input's."""
    fits = len(mask_shape) <= len(input_shape) and all(
        m is None or i is None or m in (1, i)
        for m, i in zip(reversed(mask_shape), reversed(input_shape))
    )
    if not fits:
        raise ValueError(
            "`mask` must broadcast to the inputs: no more axes than them, each of size 1 "
            f"or the inputs' size. Received: inputs.shape={tuple(input_shape)}, "
            f"mask.shape={tuple(mask_shape)}"
        )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Softmax(_Elementwise):
    r"""Softmax layer: scores to probabilities along `axis`, skipping masked positions.

    A layer form of `kerastoolkit.activations.softmax` (max-subtracted,
    hand-written gradient). Positions where `mask` is false (or, for a
    numeric mask, not above 0.5) get the score $-10^9$ ($-3 \cdot 10^4$ in
    float16) before the softmax, so they receive probability 0 and the rest
    still sum to 1; a mask that does not broadcast to the input is refused:

    $$\begin{aligned}
    y_i &= \frac{e^{x_i - c}}{\sum_k e^{x_k - c}}, \quad c = \max_k x_k
    \end{aligned}$$

    Equal to `keras.layers.Softmax`, masking included.

    Args:
        axis: the axis (or tuple of axes) that sums to 1. Defaults to `-1`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Softmax
        >>> np.asarray(Softmax()(np.array([[4.0, 5.0], [10.0, 1.0]]))).round(4)
        array([[0.2689, 0.7311],
               [0.9999, 0.0001]], dtype=float32)

    References:
        - Bridle, 1990. Probabilistic interpretation of feedforward
          classification network outputs.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise TypeError(
                f"`axis` must be an integer or a tuple of integers. Received: axis={axis!r}"
            )
        self.axis = tuple(axis) if isinstance(axis, list) else axis

    def call(self, inputs, mask=None):
        if mask is None:
            return activations.softmax(inputs, axis=self.axis)
        _check_broadcastable(inputs.shape, mask.shape)
        if "bool" not in str(mask.dtype):
            mask = ops.greater(mask, ops.cast(0.5, mask.dtype))
        masked_score = -3e4 if self.compute_dtype == "float16" else -1e9
        y = activations.softmax(ops.where(mask, inputs, masked_score), axis=self.axis)
        return ops.where(mask, y, 0.0)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Sigmoid(_Elementwise):
    r"""Sigmoid layer: $\sigma(x) = 1 / (1 + e^{-x})$, with the hand-written $\sigma(1 - \sigma)$.

    A layer form of `kerastoolkit.activations.sigmoid`:

    $$\begin{aligned}
    \sigma(x) &= \frac{1}{1 + e^{-x}}, \quad \sigma'(x) = \sigma(x)(1 - \sigma(x))
    \end{aligned}$$

    Equal to `keras.layers.Activation("sigmoid")` (Keras has no sigmoid layer).

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Sigmoid
        >>> np.asarray(Sigmoid()(np.array([0.0])))
        array([0.5], dtype=float32)

    References:
        - Rumelhart, Hinton and Williams, 1986. Learning representations by
          back-propagating errors.
    """

    def call(self, inputs):
        return activations.sigmoid(inputs)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Tanh(_Elementwise):
    r"""Hyperbolic tangent layer, with the hand-written derivative $1 - \tanh^2$.

    A layer form of `kerastoolkit.activations.tanh`:

    $$\begin{aligned}
    \tanh(x) &= \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}, \quad
    \tanh'(x) = 1 - \tanh^2(x)
    \end{aligned}$$

    Equal to `keras.layers.Activation("tanh")` (Keras has no tanh layer).

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Tanh
        >>> np.asarray(Tanh()(np.array([0.0])))
        array([0.], dtype=float32)

    References:
        - LeCun, Bottou, Orr and Müller, 1998. Efficient BackProp.
    """

    def call(self, inputs):
        return activations.tanh(inputs)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Step(_Elementwise):
    r"""Step layer: the perceptron's threshold, 1 for $x > 0$ and 0 otherwise.

    A layer form of `kerastoolkit.activations.step`; its gradient is zero, so
    nothing below it learns by gradient descent:

    $$\begin{aligned}
    h(x) &= \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}, \quad h'(x) = 0
    \end{aligned}$$

    Equal to `keras.layers.Activation` of `keras.ops.heaviside(x, 0)` (Keras
    has no step layer).

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Step
        >>> np.asarray(Step()(np.array([-1.0, 0.0, 2.0])))
        array([0., 0., 1.], dtype=float32)

    References:
        - Rosenblatt, 1958. The perceptron: a probabilistic model for
          information storage and organization in the brain.
    """

    def call(self, inputs):
        return activations.step(inputs)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Identity(_Elementwise):
    r"""Identity layer: the regression output, $f(x) = x$.

    $$\begin{aligned}
    f(x) &= x
    \end{aligned}$$

    Equal to `keras.layers.Identity`: it returns its input itself (sparse
    tensors included) and passes the mask through.

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import Identity
        >>> np.asarray(Identity()(np.array([-1.5, 2.0])))
        array([-1.5,  2. ], dtype=float32)

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 5.2.
    """

    def call(self, inputs):
        return activations.identity(inputs)

    def compute_output_spec(self, inputs):
        return keras.tree.map_structure(
            lambda x: keras.KerasTensor(x.shape, dtype=x.dtype, sparse=x.sparse), inputs
        )
