"""Activation functions, with the derivatives the course derives written by hand."""

import functools
import math

import keras
from keras import ops

__all__ = [
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "identity",
    "softmax",
    "log_softmax",
    "glu",
]


# Where ReLU's family has a kink the derivative is a convention, and Keras's is the one
# its backend's primitives give; ours takes Keras's on each backend. TensorFlow's and
# PyTorch's clip pass the cap (slope 1 at x = m) and their leaky ReLU takes the slope s
# at 0. On JAX, `jnp.clip` is a maximum and a minimum, whose derivative splits a tie in
# two (slope 1/2 at x = m), and `jax.nn.leaky_relu` is `where(x >= 0, x, s x)` (slope 1
# at 0). The backend is fixed once per process, so these are constants.
_ON_JAX = keras.backend.backend() == "jax"
_SLOPE_AT_CLIPPED_CAP = 0.5 if _ON_JAX else 1.0


def _upstream(args, upstream):
    """The incoming gradient: TensorFlow passes it positionally, JAX by keyword."""
    return args[0] if upstream is None else upstream


def _check_at_least(name, value, low):
    """Refuse a hyperparameter that is not a real number >= `low`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low:
        raise ValueError(f"`{name}` must be a number >= {low}. Received: {name}={value!r}")
    return float(value)


def _check_axis(axis, allow_none=True):
    """Refuse an axis that is neither an integer nor a tuple of integers."""
    if axis is None and allow_none:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        raise TypeError(
            f"`axis` must be an integer or a tuple of integers. Received: axis={axis!r}"
        )
    return tuple(axes) if isinstance(axis, (tuple, list)) else axis


@ops.custom_gradient
def _step(x):
    y = ops.cast(x > 0, x.dtype)

    def grad(*args, upstream=None):
        return ops.zeros_like(_upstream(args, upstream))

    return y, grad


@keras.saving.register_keras_serializable(package="kerastoolkit", name="step")
def step(x):
    r"""Step function: the perceptron's all-or-nothing threshold at zero.

    The first artificial neuron fires (1) when its weighted input is positive
    and stays silent (0) otherwise. Its derivative is zero everywhere it
    exists, so the chain rule sends no signal back: gradient descent cannot
    tell the weights which way to move, which is why the perceptron had to be
    trained by its own update rule and why networks switched to smooth
    activations such as the sigmoid.

    $$\begin{aligned}
    h(x) &= \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases} \\
    h'(x) &= 0
    \end{aligned}$$

    Equal to `keras.ops.heaviside(x, 0)` (Keras has no step activation); the
    gradient returned is the zero tensor rather than `None`, so a model using
    it still trains (and its weights below the step never move).

    Args:
        x: the input tensor.

    Returns:
        A tensor of 0s and 1s with the dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import step
        >>> np.asarray(step(np.array([-1.0, 0.0, 2.0], "float32")))
        array([0., 0., 1.], dtype=float32)

    References:
        - Rosenblatt, 1958. The perceptron: a probabilistic model for
          information storage and organization in the brain.
    """
    return _step(ops.convert_to_tensor(x))


@ops.custom_gradient
def _sigmoid(x):
    y = ops.sigmoid(x)

    def grad(*args, upstream=None):
        return _upstream(args, upstream) * y * (1 - y)

    return y, grad


@keras.saving.register_keras_serializable(package="kerastoolkit", name="sigmoid")
def sigmoid(x):
    r"""Logistic sigmoid: squashes any real number into $(0, 1)$.

    A smooth version of the step: large negative inputs give almost 0,
    large positive ones almost 1, and zero gives 1/2. Its derivative is
    written with the output alone, so backpropagation reuses the value
    computed on the way forward; it never exceeds 1/4, which is why deep
    stacks of sigmoids pass back vanishing gradients.

    $$\begin{aligned}
    \sigma(x) &= \frac{1}{1 + e^{-x}} \\
    \sigma'(x) &= \sigma(x)\,\bigl(1 - \sigma(x)\bigr)
    \end{aligned}$$

    Equal to `keras.activations.sigmoid`, values and gradients.

    Args:
        x: the input tensor.

    Returns:
        $\sigma(x)$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import sigmoid
        >>> np.asarray(sigmoid(np.array([-1.0, 0.0, 2.0], "float32"))).round(4)
        array([0.2689, 0.5   , 0.8808], dtype=float32)

    References:
        - Rumelhart, Hinton and Williams, 1986. Learning representations by
          back-propagating errors.
    """
    return _sigmoid(ops.convert_to_tensor(x))


@ops.custom_gradient
def _tanh(x):
    y = ops.tanh(x)

    def grad(*args, upstream=None):
        return _upstream(args, upstream) * (1 - ops.square(y))

    return y, grad


@keras.saving.register_keras_serializable(package="kerastoolkit", name="tanh")
def tanh(x):
    r"""Hyperbolic tangent: a zero-centred sigmoid with range $(-1, 1)$.

    It is the sigmoid stretched and shifted, $\tanh(x) = 2\sigma(2x) - 1$, so
    its outputs are centred on zero and its slope at zero is 1 rather than
    1/4; like the sigmoid, its derivative is written with the output alone.

    $$\begin{aligned}
    \tanh(x) &= \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} \\
    \tanh'(x) &= 1 - \tanh^2(x)
    \end{aligned}$$

    Equal to `keras.activations.tanh`, values and gradients.

    Args:
        x: the input tensor.

    Returns:
        $\tanh(x)$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import tanh
        >>> np.asarray(tanh(np.array([-1.0, 0.0, 2.0], "float32"))).round(4)
        array([-0.7616,  0.    ,  0.964 ], dtype=float32)

    References:
        - LeCun, Bottou, Orr and Müller, 1998. Efficient BackProp.
    """
    return _tanh(ops.convert_to_tensor(x))


@ops.custom_gradient
def _relu(x):
    y = ops.relu(x)

    def grad(*args, upstream=None):
        return _upstream(args, upstream) * ops.sign(y)

    return y, grad


@functools.cache
def _leaky_relu(s):
    @ops.custom_gradient
    def f(x):
        y = ops.leaky_relu(x, negative_slope=s)

        def grad(*args, upstream=None):
            g = _upstream(args, upstream)
            if _ON_JAX:  # JAX's convention, f'(0) = 1
                return ops.where(x >= 0, g, s * g)
            if s <= 1:  # f'(x) = max(sign(x), s): one cheap mask, no boolean select
                return g * ops.maximum(ops.sign(x), s)
            return ops.where(x > 0, g, s * g)

        return y, grad

    return f


@functools.cache
def _thresholded_relu(s, m, theta):
    # Keras's kinks: 0 at x = theta; at x = m its clip's slope (1, or 1/2 on JAX),
    # except for theta = 0 and m = 6, where Keras calls relu6, whose slope at 6 is 0.
    at_cap = 0.0 if theta == 0 and m == 6 else _SLOPE_AT_CLIPPED_CAP

    @ops.custom_gradient
    def f(x):
        above = x > theta
        y = ops.where(above, ops.minimum(x, m), s * (x - theta))

        def grad(*args, upstream=None):
            g = _upstream(args, upstream)
            capped = ops.where(x < m, g, ops.where(x == m, at_cap * g, 0))
            return ops.where(above, capped, ops.where(x < theta, s * g, 0))

        return y, grad

    return f


@keras.saving.register_keras_serializable(package="kerastoolkit", name="relu")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    r"""Rectified linear unit: pass positive inputs, silence the rest.

    ReLU keeps a slope of exactly 1 wherever the unit is active, so gradients
    pass through many layers without shrinking (the sigmoid's slope is at
    most 1/4), and it costs one comparison. The optional arguments give the
    variants Keras folds into the same function: a leak below the threshold,
    a threshold other than zero, and a cap.

    Let $s$ be `negative_slope`, $m$ be `max_value` ($+\infty$ when `None`)
    and $\theta$ be `threshold`:

    $$\begin{aligned}
    f(x) &= \begin{cases} \min(x, m) & x > \theta \\
    s\,(x - \theta) & x \le \theta \end{cases} \\
    f'(x) &= \begin{cases} s & x < \theta \\ 1 & \theta < x < m \\
    0 & x > \max(\theta, m) \end{cases}
    \end{aligned}$$

    With the defaults, $f(x) = \max(x, 0)$ and $f'(x) = 1$ for $x > 0$, else
    $0$; the gradient is computed from the output as $g \cdot
    \operatorname{sign}(f(x))$, one mask and one product. Equal to
    `keras.activations.relu` with the same arguments, values and gradients,
    at the kinks too, where the derivative is a convention and ours is the one
    Keras computes on the active backend. At $x = \theta$ it is 0, except
    that a plain leaky ReLU ($\theta = 0$, no cap) takes $s$ there on
    TensorFlow and PyTorch and 1 on JAX (`jax.nn.leaky_relu` is
    `where(x >= 0, x, s x)`). At $x = m$ it is 1 on TensorFlow and PyTorch
    (Keras's clip passes its boundary) and 1/2 on JAX (`jnp.clip`, a maximum
    and a minimum, splits the tie), except that $\theta = 0$, $m = 6$ takes 0
    there on every backend (Keras calls `relu6`).

    Args:
        x: the input tensor.
        negative_slope: $s$, the slope below the threshold, >= 0.
            Defaults to `0.0`.
        max_value: $m$, the cap, >= 0, or `None` for no cap.
            Defaults to `None`.
        threshold: $\theta$, where the unit switches on, >= 0.
            Defaults to `0.0`.

    Returns:
        $f(x)$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import relu
        >>> x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0], "float32")
        >>> np.asarray(relu(x))
        array([ 0.,  0.,  0.,  5., 10.], dtype=float32)
        >>> np.asarray(relu(x, negative_slope=0.5, max_value=5.0))
        array([-5. , -2.5,  0. ,  5. ,  5. ], dtype=float32)

    References:
        - Glorot, Bordes and Bengio, 2011. Deep sparse rectifier neural
          networks.
    """
    s = _check_at_least("negative_slope", negative_slope, 0)
    m = math.inf if max_value is None else _check_at_least("max_value", max_value, 0)
    theta = _check_at_least("threshold", threshold, 0)
    x = ops.convert_to_tensor(x)
    if m == math.inf and theta == 0:
        return _relu(x) if s == 0 else _leaky_relu(s)(x)
    return _thresholded_relu(s, m, theta)(x)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="leaky_relu")
def leaky_relu(x, negative_slope=0.2):
    r"""Leaky ReLU: ReLU with a small slope for negative inputs.

    A plain ReLU unit whose input stays negative gets zero gradient and can
    stop learning for good ("dies"); a small slope $s$ below zero keeps a
    trickle of gradient flowing. With $s = 0$ it is ReLU.

    Let $s$ be `negative_slope`:

    $$\begin{aligned}
    f(x) &= \begin{cases} x & x > 0 \\ s\,x & x \le 0 \end{cases} \\
    f'(x) &= \begin{cases} 1 & x > 0 \\ s & x < 0 \end{cases}
    \end{aligned}$$

    On TensorFlow and PyTorch, for $s \le 1$ the derivative is computed as
    $\max(\operatorname{sign}(x), s)$, which is 1 for $x > 0$ and $s$
    otherwise. Equal to
    `keras.activations.leaky_relu` (default slope 0.2; the `LeakyReLU`
    layer's default is 0.3, as in Keras), including Keras's derivative at the
    kink on each backend: $f'(0) = s$ on TensorFlow and PyTorch, as above,
    and $f'(0) = 1$ on JAX, whose `jax.nn.leaky_relu` is
    `where(x >= 0, x, s x)` (the gradient is then that select).

    Args:
        x: the input tensor.
        negative_slope: $s$, >= 0. Defaults to `0.2`.

    Returns:
        $f(x)$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import leaky_relu
        >>> np.asarray(leaky_relu(np.array([-10.0, 0.0, 3.0], "float32")))
        array([-2.,  0.,  3.], dtype=float32)

    References:
        - Maas, Hannun and Ng, 2013. Rectifier nonlinearities improve neural
          network acoustic models.
    """
    s = _check_at_least("negative_slope", negative_slope, 0)
    return _leaky_relu(s)(ops.convert_to_tensor(x))


@functools.cache
def _elu(alpha):
    @ops.custom_gradient
    def f(x):
        y = ops.elu(x, alpha=alpha)

        def grad(*args, upstream=None):
            g = _upstream(args, upstream)
            if alpha == 1:  # f'(x) = min(f(x) + 1, 1): one pass fewer than the select
                return g * ops.minimum(y + 1, 1)
            return ops.where(x > 0, g, g * (y + alpha))

        return y, grad

    return f


@keras.saving.register_keras_serializable(package="kerastoolkit", name="elu")
def elu(x, alpha=1.0):
    r"""Exponential linear unit: identity above zero, a smooth saturating curve below.

    Negative inputs give negative outputs that level off at $-\alpha$, which
    pulls the mean activation towards zero (as tanh does) while keeping
    ReLU's slope of 1 for positive inputs. Below zero the derivative is again
    written with the output: $\alpha e^x = f(x) + \alpha$.

    Let $\alpha$ be `alpha`, the value the negative part saturates to:

    $$\begin{aligned}
    f(x) &= \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases} \\
    f'(x) &= \begin{cases} 1 & x > 0 \\ f(x) + \alpha & x \le 0 \end{cases}
    \end{aligned}$$

    With $\alpha = 1$ (the default) both cases are $\min(f(x) + 1, 1)$,
    which is how the gradient is computed then. Equal to
    `keras.activations.elu`. Keras's docstring calls `alpha` the
    slope of the positive part; it is the negative saturation value, and it
    must be >= 0 here (Keras accepts any number).

    Args:
        x: the input tensor.
        alpha: $\alpha$, >= 0. Defaults to `1.0`.

    Returns:
        $f(x)$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import elu
        >>> np.asarray(elu(np.array([-20.0, 0.0, 3.0], "float32"), alpha=2.0))
        array([-2.,  0.,  3.], dtype=float32)

    References:
        - Clevert, Unterthiner and Hochreiter, 2016. Fast and accurate deep
          network learning by exponential linear units (ELUs).
    """
    a = _check_at_least("alpha", alpha, 0)
    return _elu(a)(ops.convert_to_tensor(x))


@keras.saving.register_keras_serializable(package="kerastoolkit", name="identity")
def identity(x):
    r"""Identity: the output layer of a regression network.

    A regression network predicts any real number, so its last layer applies
    no squashing at all; paired with the mean squared error, the gradient
    reaching the last layer is simply the prediction error.

    $$\begin{aligned}
    f(x) &= x \\
    f'(x) &= 1
    \end{aligned}$$

    Equal to `keras.activations.linear`.

    Args:
        x: the input tensor.

    Returns:
        `x` itself.

    Examples:
        >>> from kerastoolkit.activations import identity
        >>> identity(3.5)
        3.5

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 5.2.
    """
    return x


@functools.cache
def _softmax(axis):
    @ops.custom_gradient
    def f(x):
        e = ops.exp(x - ops.max(x, axis=axis, keepdims=True))
        y = e / ops.sum(e, axis=axis, keepdims=True)

        def grad(*args, upstream=None):
            g = _upstream(args, upstream)
            return y * (g - ops.sum(g * y, axis=axis, keepdims=True))

        return y, grad

    return f


@keras.saving.register_keras_serializable(package="kerastoolkit", name="softmax")
def softmax(x, axis=-1):
    r"""Softmax: turn scores into a probability distribution along an axis.

    Exponentiating makes every score positive and dividing by the sum makes
    them add up to 1, while keeping their order. Exponentials overflow
    (float32's $e^{89}$ is already infinite), so the maximum $c$ is first
    subtracted: the result is unchanged, since the factor $e^{-c}$ cancels,
    and the largest exponent becomes $e^0 = 1$. The Jacobian
    $\partial y_i / \partial x_j = y_i(\delta_{ij} - y_j)$ applied to the
    upstream gradient $g$ collapses to one line.

    Let the sums run over `axis`:

    $$\begin{aligned}
    c &= \max_k x_k \\
    y_i &= \frac{e^{x_i - c}}{\sum_k e^{x_k - c}} \\
    \frac{\partial L}{\partial x_i} &= y_i \Bigl(g_i - \sum_k g_k\,y_k\Bigr)
    \end{aligned}$$

    Equal to `keras.activations.softmax`, values and gradients; `axis` may
    also be a tuple of axes or `None` (all axes).

    Args:
        x: the input tensor (the scores, or logits).
        axis: the axis (or axes) that sum to 1. Defaults to `-1`.

    Returns:
        $y$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import softmax
        >>> np.asarray(softmax(np.array([0.3, 2.9, 4.0], "float32"))).round(4)
        array([0.0182, 0.2452, 0.7366], dtype=float32)

    References:
        - Bridle, 1990. Probabilistic interpretation of feedforward
          classification network outputs.
    """
    return _softmax(_check_axis(axis))(ops.convert_to_tensor(x))


@functools.cache
def _log_softmax(axis):
    @ops.custom_gradient
    def f(x):
        z = x - ops.max(x, axis=axis, keepdims=True)
        y = z - ops.log(ops.sum(ops.exp(z), axis=axis, keepdims=True))

        def grad(*args, upstream=None):
            g = _upstream(args, upstream)
            return g - ops.exp(y) * ops.sum(g, axis=axis, keepdims=True)

        return y, grad

    return f


@keras.saving.register_keras_serializable(package="kerastoolkit", name="log_softmax")
def log_softmax(x, axis=-1):
    r"""Log-softmax: the logarithm of the softmax, computed without forming it.

    Cross-entropy needs $\log y$; taking the log of a softmax that has
    underflowed to 0 gives $-\infty$. Written out, $\log y_i$ is the shifted
    score minus the log of the shifted sum ("log-sum-exp"), which stays
    finite for any finite input. Its gradient is the upstream gradient minus
    the softmax times the upstream total.

    Let the sums run over `axis`:

    $$\begin{aligned}
    c &= \max_k x_k \\
    \ell_i &= (x_i - c) - \log \sum_k e^{x_k - c} \\
    \frac{\partial L}{\partial x_i} &= g_i - e^{\ell_i} \sum_k g_k
    \end{aligned}$$

    Equal to `keras.activations.log_softmax`.

    Args:
        x: the input tensor (the scores, or logits).
        axis: the axis (or axes) of the distribution. Defaults to `-1`.

    Returns:
        $\ell$, with the shape and dtype of `x`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import log_softmax
        >>> np.asarray(log_softmax(np.array([1010.0, 1000.0, 990.0], "float32"))).round(3)
        array([ -0.,  -10., -20.], dtype=float32)

    References:
        - Goodfellow, Bengio and Courville, 2016. Deep learning, section 4.1.
    """
    return _log_softmax(_check_axis(axis))(ops.convert_to_tensor(x))


@keras.saving.register_keras_serializable(package="kerastoolkit", name="glu")
def glu(x, axis=-1):
    r"""Gated linear unit: half of the features gate the other half.

    The input is split in two equal halves $a$ and $b$ along `axis`; the
    sigmoid of $b$, between 0 and 1, decides how much of each feature of $a$
    passes. The linear path $a$ keeps a gradient of $\sigma(b)$ that does not
    vanish when the gate is open. The derivative is the product rule over
    the hand-written sigmoid derivative.

    Let $a$ be the first half of `x` along `axis` and $b$ the second:

    $$\begin{aligned}
    f(x) &= a \odot \sigma(b) \\
    \frac{\partial f}{\partial a} &= \sigma(b), \quad
    \frac{\partial f}{\partial b} = a \odot \sigma(b)\bigl(1 - \sigma(b)\bigr)
    \end{aligned}$$

    Equal to `keras.activations.glu`.

    Args:
        x: the input tensor; its size along `axis` must be even.
        axis: the axis to split. Defaults to `-1`.

    Returns:
        $f(x)$: the shape of `x` with the size along `axis` halved.

    Raises:
        ValueError: if the size of `x` along `axis` is odd.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.activations import glu
        >>> np.asarray(glu(np.array([2.0, -4.0, 0.0, 100.0], "float32")))
        array([ 1., -4.], dtype=float32)

    References:
        - Dauphin, Fan, Auli and Grangier, 2017. Language modeling with gated
          convolutional networks.
    """
    x = ops.convert_to_tensor(x)
    axis = _check_axis(axis, allow_none=False)
    if isinstance(axis, tuple):
        raise TypeError(f"`axis` must be one integer. Received: axis={axis!r}")
    size = x.shape[axis]
    if size is not None and size % 2:
        raise ValueError(
            f"`glu` splits `axis` in two equal halves, so its size must be even. "
            f"Received: x.shape={tuple(x.shape)} with axis={axis}"
        )
    a, b = ops.split(x, 2, axis=axis)
    return a * sigmoid(b)
