r"""Rosenblatt's perceptron: a step-function neuron trained by the perceptron learning rule."""

from __future__ import annotations

import keras
from keras import ops

from kerastoolkit import activations
from kerastoolkit.models.regression import _HandDerivedModel

__all__ = ["Perceptron"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Perceptron(_HandDerivedModel):
    r"""A single step-function neuron trained by the perceptron learning rule.

    The neuron fires (1) when its weighted sum is positive and stays silent
    (0) otherwise, so its decision boundary is the straight line (plane)
    $xw + b = 0$. The step has zero derivative wherever it has one, so
    gradient descent on any loss of its output would never move the weights;
    Rosenblatt's rule moves them instead by the *error* $y - \hat y$ itself:
    nothing when the prediction is right, towards $x$ when the neuron should
    have fired, away from $x$ when it should not have. On linearly separable
    data it stops after finitely many mistakes (Novikoff's theorem); on XOR,
    which no line separates, it never does.

    For a batch of $B$ samples $x_i$ (rows of the input), targets
    $y_i \in \{0, 1\}$ and sample weights $s_i$ (1 when not given), with
    kernel $w$, bias $b$ and learning rate $\eta$:

    $$\begin{aligned}
    \hat y_i &= h(x_i w + b), \qquad h(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases} \\
    \Delta w &= \frac{\eta}{B}\sum_i s_i (y_i - \hat y_i)\, x_i^\top,
    \qquad \Delta b = \frac{\eta}{B}\sum_i s_i (y_i - \hat y_i) \\
    w &\leftarrow w + \Delta w, \qquad b \leftarrow b + \Delta b
    \end{aligned}$$

    With `batch_size=1` this is the classic online rule, one sample at a
    time. The rule is not the gradient of a loss: `train_step` hands
    $-\Delta w / \eta$ and $-\Delta b / \eta$ to the compiled optimizer as if
    they were gradients, so that with `keras.optimizers.SGD(learning_rate=η)`
    (the default, $\eta = 1$) the step is exactly the rule above. The
    reported `loss` is the weighted error rate
    $\frac1B \sum_i s_i |y_i - \hat y_i|$, the fraction of mistakes.
    `compile` takes an optimizer and metrics, not a loss. There is no Keras
    twin; `h` is [`kerastoolkit.activations.step`][kerastoolkit.activations.step].

    Args:
        kernel_initializer: the initializer of $w$. Defaults to `"zeros"`
            (with zero weights the rule's mistakes do not depend on $\eta$).
        bias_initializer: the initializer of $b$. Defaults to `"zeros"`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models import Perceptron
        >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
        >>> y = np.array([0, 0, 0, 1], "float32")  # AND
        >>> p = Perceptron()
        >>> p.compile()
        >>> _ = p.fit(x, y, epochs=10, batch_size=1, shuffle=False, verbose=0)
        >>> y_pred = keras.ops.convert_to_numpy(p(x))  # NumPy on every backend
        >>> y_pred[:, 0].tolist(), np.asarray(p.w)[:, 0].tolist(), float(p.b[0])
        ([0.0, 0.0, 0.0, 1.0], [2.0, 1.0], -2.0)

    References:
        - Rosenblatt, 1958. The perceptron: a probabilistic model for
          information storage and organization in the brain.
        - Novikoff, 1962. On convergence proofs on perceptrons.
    """

    def __init__(self, kernel_initializer="zeros", bias_initializer="zeros", **kwargs):
        super().__init__(
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer, **kwargs
        )

    def compile(self, optimizer=None, loss=None, **kwargs):
        if optimizer is None:
            optimizer = keras.optimizers.SGD(learning_rate=1.0)
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def call(self, x):
        return activations.step(self._z(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y, s = self._targets_and_weights(y, sample_weight)
        return ops.mean(s * ops.abs(y - y_pred))

    def gradients(self, x, y, sample_weight=None):
        r"""The rule's step, negated and divided by $\eta$: $[-\Delta w/\eta, -\Delta b/\eta]$."""
        x = ops.convert_to_tensor(x, self.compute_dtype)
        y, s = self._targets_and_weights(y, sample_weight)
        e = s * (y - self.call(x))
        n = ops.cast(ops.shape(x)[0], self.compute_dtype)
        return [-ops.matmul(ops.transpose(x), e) / n, -ops.sum(e, axis=0) / n]
