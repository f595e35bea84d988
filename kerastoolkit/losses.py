"""Losses: mean squared error and the three cross-entropies, as functions and `Loss` classes."""

import functools

import keras
from keras import ops

__all__ = [
    "mean_squared_error",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "MeanSquaredError",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
]


def _upstream(args, upstream):
    """The incoming gradient: TensorFlow passes it positionally, JAX by keyword."""
    return args[0] if upstream is None else upstream


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return value


def _check_smoothing(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"`label_smoothing` must be a number in [0, 1]. Received: label_smoothing={value!r}"
        )
    return float(value)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an integer. Received: axis={axis!r}")
    return axis


def _check_same_shape(t, p):
    """Refuse targets and predictions whose known dimensions differ (no silent broadcasting)."""
    same = len(t.shape) == len(p.shape) and all(
        a is None or b is None or a == b for a, b in zip(t.shape, p.shape)
    )
    if not same:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(p.shape)}"
        )


def _check_broadcastable(t, p):
    """Refuse targets and predictions whose known dimensions cannot broadcast together.

    Shapes that broadcast are left to broadcast, as `keras.losses.mean_squared_error` does.
    """
    for a, b in zip(reversed(t.shape), reversed(p.shape)):
        if a is not None and b is not None and a != b and 1 not in (a, b):
            raise ValueError(
                "`y_true` and `y_pred` must have the same shape (or shapes that broadcast). "
                f"Received: y_true.shape={tuple(t.shape)}, y_pred.shape={tuple(p.shape)}"
            )


def _same_rank(y_true, y_pred):
    """Drop a trailing axis of size 1 that only one of the two has (as Keras's losses do)."""
    if len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
        if len(y_pred.shape) == 1:
            return y_true, ops.expand_dims(y_pred, -1)
        return ops.squeeze(y_true, -1), y_pred
    if len(y_pred.shape) == len(y_true.shape) + 1 and y_pred.shape[-1] == 1:
        if len(y_true.shape) == 1:
            return ops.expand_dims(y_true, -1), y_pred
        return y_true, ops.squeeze(y_pred, -1)
    return y_true, y_pred


@keras.saving.register_keras_serializable(package="kerastoolkit", name="mean_squared_error")
def mean_squared_error(y_true, y_pred):
    r"""Mean squared error over the last axis: the regression loss.

    The squared difference punishes large errors much more than small ones
    and is smooth everywhere; its gradient with respect to the prediction is
    the error itself (scaled), so, with an identity output layer, the last
    layer learns in proportion to how wrong it is.

    Let $t$ be `y_true`, $p$ be `y_pred`, $n$ the size of the last axis:

    $$\begin{aligned}
    L &= \frac{1}{n} \sum_{i=1}^{n} (t_i - p_i)^2 \\
    \frac{\partial L}{\partial p_i} &= \frac{2}{n}\,(p_i - t_i)
    \end{aligned}$$

    Equal to `keras.losses.mean_squared_error` (the course's $\frac12 \sum$
    version differs by the constant factor $2/n$).

    Args:
        y_true: the targets $t$.
        y_pred: the predictions $p$, same shape (a trailing axis of size 1
            on one side only is dropped).

    Returns:
        The loss per sample: the shape of `y_pred` without its last axis.

    Examples:
        >>> from kerastoolkit.losses import mean_squared_error
        >>> float(mean_squared_error([1.0, 0.0, 1.0], [0.9, 0.1, 0.8]))
        0.02

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 5.2.
    """
    p = ops.convert_to_tensor(y_pred)
    t = ops.convert_to_tensor(y_true, dtype=p.dtype)
    t, p = _same_rank(t, p)
    _check_broadcastable(t, p)
    return ops.mean(ops.square(t - p), axis=-1)


@ops.custom_gradient
def _sigmoid_cross_entropy(t, z):
    loss = ops.relu(z) - z * t + ops.log1p(ops.exp(-ops.abs(z)))

    def grad(*args, upstream=None):
        g = _upstream(args, upstream)
        return -g * z, g * (ops.sigmoid(z) - t)

    return loss, grad


@keras.saving.register_keras_serializable(package="kerastoolkit", name="binary_crossentropy")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    r"""Binary cross-entropy, averaged over `axis`: the loss of yes/no predictions.

    It is the negative log-likelihood of the target under a Bernoulli
    distribution with the predicted probability: a confident wrong answer
    costs a lot ($-\log \epsilon$), a confident right one almost nothing.
    From probabilities, $p$ is first clipped to $[\epsilon, 1 - \epsilon]$ so
    that probabilities of exactly 0 or 1 give a finite loss. From logits $z$,
    $p = \sigma(z)$ is never formed: the loss is rewritten so that nothing
    overflows, and its gradient is the course's hand-derived $\sigma(z) - t$
    (logistic regression's gradient).

    Let $t$ be `y_true`, $p$ be `y_pred` (or $z$ when `from_logits`),
    $\lambda$ be `label_smoothing`, $\epsilon$ be `keras.config.epsilon()`,
    and the mean run over `axis`:

    $$\begin{aligned}
    \tilde t &= t\,(1 - \lambda) + \lambda / 2 \\
    \ell &= -\bigl(\tilde t \log \operatorname{clip}(p, \epsilon, 1 - \epsilon)
    + (1 - \tilde t) \log (1 - \operatorname{clip}(p, \epsilon, 1 - \epsilon))\bigr) \\
    \ell_{\text{logits}} &= \max(z, 0) - z\,\tilde t + \log\bigl(1 + e^{-|z|}\bigr),
    \qquad \frac{\partial \ell_{\text{logits}}}{\partial z} = \sigma(z) - \tilde t \\
    L &= \operatorname{mean}(\ell)
    \end{aligned}$$

    Equal to `keras.losses.binary_crossentropy`, clipping included. Unlike
    Keras, a probability tensor that was produced by a Keras sigmoid is not
    traced back to its logits: pass `from_logits=True` with the logits for
    the exact value.

    Args:
        y_true: the targets $t$, in $[0, 1]$.
        y_pred: probabilities $p$, or logits $z$ when `from_logits`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: $\lambda$ in $[0, 1]$, which squeezes the targets
            towards 1/2. Defaults to `0.0`.
        axis: the axis averaged over. Defaults to `-1`.

    Returns:
        The loss per sample: the shape of `y_pred` without `axis`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.losses import binary_crossentropy
        >>> np.asarray(binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])).round(3)
        array([0.916, 0.714], dtype=float32)

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 4.3.2.
    """
    _check_bool("from_logits", from_logits)
    lam = _check_smoothing(label_smoothing)
    axis = _check_axis(axis)
    p = ops.convert_to_tensor(y_pred)
    t = ops.cast(y_true, p.dtype)
    _check_same_shape(t, p)
    if lam:
        t = t * (1.0 - lam) + 0.5 * lam
    if from_logits:
        return ops.mean(_sigmoid_cross_entropy(t, p), axis=axis)
    eps = keras.config.epsilon()
    p = ops.clip(p, eps, 1.0 - eps)
    return ops.mean(-(t * ops.log(p) + (1 - t) * ops.log(1 - p)), axis=axis)


@functools.cache
def _softmax_cross_entropy(axis, one_hot=False):
    """Cross-entropy of softmax(z) against t; `one_hot`: rows of t sum to exactly 1."""

    @ops.custom_gradient
    def f(t, z):
        s = z - ops.max(z, axis=axis, keepdims=True)
        e = ops.exp(s)
        total = ops.sum(e, axis=axis, keepdims=True)
        log_y = s - ops.log(total)
        loss = -ops.sum(t * log_y, axis=axis)

        def grad(*args, upstream=None):
            g = ops.expand_dims(_upstream(args, upstream), axis)
            y = e / total
            if one_hot:  # sum_k t_k = 1: the course's softmax minus one-hot
                return -g * log_y, g * (y - t)
            return -g * log_y, g * (y * ops.sum(t, axis=axis, keepdims=True) - t)

        return loss, grad

    return f


@keras.saving.register_keras_serializable(
    package="kerastoolkit", name="categorical_crossentropy"
)
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    r"""Categorical cross-entropy: the loss of a softmax classifier with one-hot targets.

    The negative log of the probability given to the right class (with soft
    targets, the expected negative log-probability). From probabilities, the
    rows are renormalised to sum to 1 and clipped to $[\epsilon, 1 -
    \epsilon]$, so a probability of exactly 0 costs $-\log\epsilon$ rather
    than infinity. From logits, softmax and log are fused through the
    log-sum-exp and the gradient is the course's hand-derived one: the
    softmax output minus the target, $y - t$ (written $y \sum_k t_k - t$, so
    it stays exact for targets that do not sum to 1).

    Let $t$ be `y_true`, $p$ be `y_pred` (or $z$ when `from_logits`),
    $\lambda$ be `label_smoothing`, $K$ the size of `axis` (the number of
    classes), $\epsilon$ be `keras.config.epsilon()`, and the sums run over
    `axis`:

    $$\begin{aligned}
    \tilde t &= t\,(1 - \lambda) + \lambda / K \\
    L &= -\sum_k \tilde t_k \log \operatorname{clip}\Bigl(\frac{p_k}{\sum_j p_j},
    \epsilon, 1 - \epsilon\Bigr) \\
    L_{\text{logits}} &= -\sum_k \tilde t_k \log y_k, \quad
    y_k = \frac{e^{z_k - c}}{\sum_j e^{z_j - c}}, \quad c = \max_j z_j \\
    \frac{\partial L_{\text{logits}}}{\partial z_k} &= y_k \sum_j \tilde t_j
    - \tilde t_k
    \end{aligned}$$

    Equal to `keras.losses.categorical_crossentropy`, clipping included,
    with two exceptions where Keras is not the maths: with `label_smoothing`
    and an `axis` other than the last, Keras divides by the size of the last
    axis, here $K$ is the size of `axis`; and from logits with targets that
    do not sum to 1, TensorFlow's fused kernel (which Keras calls on
    TensorFlow) returns the gradient $y - \tilde t$, while ours is the exact
    one above, as Keras's is on JAX and PyTorch. A
    probability tensor made by a Keras softmax is not traced back to its
    logits: pass `from_logits=True` with the logits for the exact value.

    Args:
        y_true: the targets $t$ (one-hot, or any distribution).
        y_pred: probabilities $p$, or logits $z$ when `from_logits`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: $\lambda$ in $[0, 1]$, which moves the targets
            towards uniform. Defaults to `0.0`.
        axis: the class axis. Defaults to `-1`.

    Returns:
        The loss per sample: the shape of `y_pred` without `axis`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.losses import categorical_crossentropy
        >>> t = [[0, 1, 0], [0, 0, 1]]
        >>> np.asarray(categorical_crossentropy(t, [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])).round(4)
        array([0.0513, 2.3026], dtype=float32)

    References:
        - Goodfellow, Bengio and Courville, 2016. Deep learning, section 6.2.2.
    """
    _check_bool("from_logits", from_logits)
    lam = _check_smoothing(label_smoothing)
    axis = _check_axis(axis)
    p = ops.convert_to_tensor(y_pred)
    t = ops.cast(y_true, p.dtype)
    _check_same_shape(t, p)
    if lam:
        t = t * (1.0 - lam) + lam / ops.cast(ops.shape(p)[axis], p.dtype)
    if from_logits:
        return _softmax_cross_entropy(axis)(t, p)
    eps = keras.config.epsilon()
    p = ops.clip(p / ops.sum(p, axis=axis, keepdims=True), eps, 1.0 - eps)
    return -ops.sum(t * ops.log(p), axis=axis)


@keras.saving.register_keras_serializable(
    package="kerastoolkit", name="sparse_categorical_crossentropy"
)
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    r"""Categorical cross-entropy with integer class labels instead of one-hot rows.

    The label $c$ selects the one term of the categorical cross-entropy that
    is not multiplied by zero: the loss is $-\log$ of the probability of the
    right class. Probabilities are clipped to $[\epsilon, 1 - \epsilon]$ and
    their logarithms then treated as logits, so the loss and its gradient
    (softmax minus one-hot) are those of the logits case.

    Let $c$ be `y_true`, $z$ be `y_pred` when `from_logits` and
    $\log \operatorname{clip}(p, \epsilon, 1 - \epsilon)$ otherwise, $e_c$
    the one-hot row of $c$, and the sums run over the last axis:

    $$\begin{aligned}
    L &= -\log y_c = \log \sum_j e^{z_j} - z_c, \quad
    y = \operatorname{softmax}(z) \\
    \frac{\partial L}{\partial z} &= y - e_c
    \end{aligned}$$

    Equal to `keras.losses.sparse_categorical_crossentropy`. Samples whose
    label is `ignore_class` get a loss of 0; the `SparseCategoricalCrossentropy`
    class also leaves them out of the average, as Keras does.

    Args:
        y_true: integer labels $c$, the shape of `y_pred` without its last
            axis (or with a last axis of size 1).
        y_pred: probabilities $p$, or logits $z$ when `from_logits`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: a label whose samples are ignored, or `None`.
            Defaults to `None`.
        axis: the class axis; only the last axis is supported, as in Keras.
            Defaults to `-1`.

    Returns:
        The loss per sample: the shape of `y_pred` without its last axis.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.losses import sparse_categorical_crossentropy
        >>> p = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> np.asarray(sparse_categorical_crossentropy([1, 2], p)).round(4)
        array([0.0513, 2.3026], dtype=float32)

    References:
        - Goodfellow, Bengio and Courville, 2016. Deep learning, section 6.2.2.
    """
    _check_bool("from_logits", from_logits)
    axis = _check_axis(axis)
    z = ops.convert_to_tensor(y_pred)
    if axis not in (-1, len(z.shape) - 1):
        raise ValueError(f"Only the last axis (-1) is supported. Received: axis={axis}")
    c = ops.convert_to_tensor(y_true)
    if len(c.shape) == len(z.shape) and c.shape[-1] == 1:
        c = ops.squeeze(c, -1)
    _check_label_shape(c, z)
    c = ops.cast(c, "int32")
    num_classes = z.shape[-1] if z.shape[-1] is not None else ops.shape(z)[-1]
    valid = None if ignore_class is None else c != ignore_class
    out_of_range = _check_labels(c, num_classes, valid)
    if valid is not None:
        c = ops.where(valid, c, 0)
    if not from_logits:
        eps = keras.config.epsilon()
        z = ops.log(ops.clip(z, eps, 1.0 - eps))
    loss = _softmax_cross_entropy(-1, one_hot=True)(ops.one_hot(c, num_classes, dtype=z.dtype), z)
    if valid is not None:
        loss = ops.where(valid, loss, 0.0)
    # Where the check above could not raise (a compiled step), a row whose
    # label is out of range costs NaN, never the silent 0 of an all-zero one-hot.
    return ops.where(out_of_range, ops.cast(float("nan"), loss.dtype), loss)


def _check_label_shape(c, z):
    """Refuse integer labels whose known shape is not `y_pred`'s without its class axis."""
    expected = tuple(z.shape[:-1])
    same = len(c.shape) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(c.shape, expected)
    )
    if not same:
        raise ValueError(
            "`y_true` must hold one integer label per row of `y_pred`: the shape of `y_pred` "
            "without its last (class) axis, or with a last axis of size 1. "
            f"Received: y_true.shape={tuple(c.shape)}, y_pred.shape={tuple(z.shape)}"
        )


def _is_concrete(x):
    """Whether the values of `x` can be read now (eager), not inside a traced/compiled step."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.executing_eagerly()
    if backend == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer)
    return True


def _check_labels(c, num_classes, valid):
    """Raise on labels outside [0, K) (rows where `valid` is False are exempt).

    Eagerly (any backend) the error is a `ValueError`; in a TensorFlow graph a
    `tf.debugging.Assert` raises `InvalidArgumentError` when the step runs.
    Inside a JAX `jit` nothing can raise on a value, so the mask of offending
    rows is returned for the caller to turn their loss into NaN.
    """
    out_of_range = ops.logical_or(c < 0, c >= num_classes)
    if valid is not None:
        out_of_range = ops.logical_and(out_of_range, valid)
    if _is_concrete(c):
        bad = ops.convert_to_numpy(out_of_range)
        if bad.any():
            labels = sorted({int(v) for v in ops.convert_to_numpy(c)[bad]})
            raise ValueError(
                f"`y_true` holds class labels outside [0, {int(num_classes)}): "
                f"{labels[:10]}{' ...' if len(labels) > 10 else ''}. `y_pred` has "
                f"K={int(num_classes)} classes (its last axis), so a label must be an "
                "integer in [0, K) (or equal to `ignore_class`)."
            )
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.debugging.Assert(
            ops.logical_not(ops.any(out_of_range)),
            [
                "sparse_categorical_crossentropy: `y_true` holds class labels outside [0, K), K =",
                num_classes,
                "; offending labels:",
                tf.boolean_mask(c, out_of_range),
            ],
            name="check_sparse_labels",
        )
    return out_of_range


class _Loss(keras.losses.Loss):
    """A `Loss` that calls one of the functions above with its stored arguments."""

    fn = None

    def __init__(self, reduction, name, dtype, **fn_kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn_kwargs = fn_kwargs
        self.dtype_arg = dtype
        for key, value in fn_kwargs.items():
            setattr(self, key, value)

    def call(self, y_true, y_pred):
        y_true, y_pred = _same_rank(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))
        return type(self).fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        config = {"dtype": keras.saving.serialize_keras_object(self.dtype_arg), **self.fn_kwargs}
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class MeanSquaredError(_Loss):
    r"""Mean squared error, reduced over the batch: see `mean_squared_error`.

    $$\begin{aligned}
    L &= \frac{1}{n} \sum_{i=1}^{n} (t_i - p_i)^2
    \end{aligned}$$

    Equal to `keras.losses.MeanSquaredError`: same arguments and defaults,
    same reductions and `sample_weight` handling (inherited from
    `keras.losses.Loss`).

    Args:
        reduction: `"sum_over_batch_size"`, `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or `None`.
            Defaults to `"sum_over_batch_size"`.
        name: the loss's name. Defaults to `"mean_squared_error"`.
        dtype: the dtype of the computation (`None`: `keras.config.floatx()`).
            Defaults to `None`.

    Examples:
        >>> from kerastoolkit.losses import MeanSquaredError
        >>> float(MeanSquaredError()([[1.0, 0.0], [1.0, 1.0]], [[0.9, 0.1], [0.8, 1.0]]))
        0.015

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 5.2.
    """

    fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class BinaryCrossentropy(_Loss):
    r"""Binary cross-entropy, reduced over the batch: see `binary_crossentropy`.

    With $\ell$ the per-element loss of `binary_crossentropy` (clipped
    probabilities, or the overflow-free logits form):

    $$\begin{aligned}
    L &= \operatorname{mean}_{\text{axis}}(\ell)
    \end{aligned}$$

    Equal to `keras.losses.BinaryCrossentropy`: same arguments and defaults,
    same reductions and `sample_weight` handling.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: in $[0, 1]$, squeezes the targets towards 1/2.
            Defaults to `0.0`.
        axis: the axis averaged over. Defaults to `-1`.
        reduction: `"sum_over_batch_size"`, `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or `None`.
            Defaults to `"sum_over_batch_size"`.
        name: the loss's name. Defaults to `"binary_crossentropy"`.
        dtype: the dtype of the computation (`None`: `keras.config.floatx()`).
            Defaults to `None`.

    Examples:
        >>> from kerastoolkit.losses import BinaryCrossentropy
        >>> round(float(BinaryCrossentropy()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 3)
        0.815

    References:
        - Bishop, 2006. Pattern recognition and machine learning, section 4.3.2.
    """

    fn = staticmethod(binary_crossentropy)

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=_check_bool("from_logits", from_logits),
            label_smoothing=_check_smoothing(label_smoothing),
            axis=_check_axis(axis),
        )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class CategoricalCrossentropy(_Loss):
    r"""Categorical cross-entropy, reduced over the batch: see `categorical_crossentropy`.

    With $\tilde t$ the (smoothed) targets and $p$ the renormalised, clipped
    probabilities (or $y = \operatorname{softmax}(z)$ from logits, whose
    gradient is $y - \tilde t$):

    $$\begin{aligned}
    L &= -\sum_k \tilde t_k \log p_k
    \end{aligned}$$

    Equal to `keras.losses.CategoricalCrossentropy`: same arguments and
    defaults, same reductions and `sample_weight` handling.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: in $[0, 1]$, moves the targets towards uniform.
            Defaults to `0.0`.
        axis: the class axis. Defaults to `-1`.
        reduction: `"sum_over_batch_size"`, `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or `None`.
            Defaults to `"sum_over_batch_size"`.
        name: the loss's name. Defaults to `"categorical_crossentropy"`.
        dtype: the dtype of the computation (`None`: `keras.config.floatx()`).
            Defaults to `None`.

    Examples:
        >>> from kerastoolkit.losses import CategoricalCrossentropy
        >>> t = [[0, 1, 0], [0, 0, 1]]
        >>> round(float(CategoricalCrossentropy()(t, [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 3)
        1.177

    References:
        - Goodfellow, Bengio and Courville, 2016. Deep learning, section 6.2.2.
    """

    fn = staticmethod(categorical_crossentropy)

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=_check_bool("from_logits", from_logits),
            label_smoothing=_check_smoothing(label_smoothing),
            axis=_check_axis(axis),
        )


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SparseCategoricalCrossentropy(_Loss):
    r"""Sparse categorical cross-entropy, reduced over the batch.

    See `sparse_categorical_crossentropy`. Let $\ell_n$ be the loss of
    sample $n$, $w_n$ its `sample_weight` and $v_n$ 1 unless its label is
    `ignore_class` (then 0); with the default reduction, ignored samples
    leave the average entirely:

    $$\begin{aligned}
    L &= \frac{\sum_n v_n w_n \ell_n}{\sum_n v_n}
    \end{aligned}$$

    Equal to `keras.losses.SparseCategoricalCrossentropy`: same arguments
    and defaults (in Keras's order), same reductions and `sample_weight`
    handling.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: a label whose samples are ignored, or `None`.
            Defaults to `None`.
        reduction: `"sum_over_batch_size"`, `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or `None`.
            Defaults to `"sum_over_batch_size"`.
        axis: the class axis (only the last). Defaults to `-1`.
        name: the loss's name. Defaults to `"sparse_categorical_crossentropy"`.
        dtype: the dtype of the computation (`None`: `keras.config.floatx()`).
            Defaults to `None`.

    Examples:
        >>> from kerastoolkit.losses import SparseCategoricalCrossentropy
        >>> p = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
        >>> round(float(SparseCategoricalCrossentropy()([1, 2], p)), 3)
        1.177

    References:
        - Goodfellow, Bengio and Courville, 2016. Deep learning, section 6.2.2.
    """

    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        if ignore_class is not None and (
            isinstance(ignore_class, bool) or not isinstance(ignore_class, int)
        ):
            raise TypeError(
                "`ignore_class` must be an integer or None. "
                f"Received: ignore_class={ignore_class!r}"
            )
        axis = _check_axis(axis)
        if axis != -1:
            raise ValueError(f"Only the last axis (-1) is supported. Received: axis={axis}")
        super().__init__(
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=_check_bool("from_logits", from_logits),
            ignore_class=ignore_class,
            axis=axis,
        )

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight)
        c = ops.convert_to_tensor(y_true)
        if len(c.shape) == len(ops.shape(y_pred)) and c.shape[-1] == 1:
            c = ops.squeeze(c, -1)
        v = ops.cast(c != self.ignore_class, self.dtype)
        if self.reduction in ("sum_over_batch_size", "mean"):
            n = ops.cast(ops.size(v), self.dtype)
            v = v * ops.divide_no_nan(n, ops.sum(v))
        w = v if sample_weight is None else _broadcast_weight(sample_weight, v)
        return super().__call__(y_true, y_pred, w)


def _broadcast_weight(sample_weight, v):
    """`sample_weight` times the validity weights `v`, ranks aligned as Keras aligns them."""
    w = ops.convert_to_tensor(sample_weight, dtype=v.dtype)
    v, w = _same_rank(v, w)
    return v * w
