r"""Linear and logistic regression trained with their hand-derived gradients."""

from __future__ import annotations

import keras
from keras import ops

from kerastoolkit.models._steps import hand_derived_train_step


class _HandDerivedModel(keras.Model):
    """One linear unit $z = xw + b$ whose `train_step` applies `gradients`, not a tape.

    Subclasses define `call` (the prediction), `compute_loss` (their fixed
    loss) and `gradients` (its hand-derived derivatives). `compile` takes an
    optimizer and metrics; the loss is the model's own, so passing one is an
    error.
    """

    def __init__(self, kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (batch, features). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.w = self.add_weight(
            shape=(input_shape[-1], 1), initializer=self.kernel_initializer, name="kernel"
        )
        self.b = self.add_weight(shape=(1,), initializer=self.bias_initializer, name="bias")

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        if loss is not None:
            raise ValueError(
                f"{type(self).__name__} trains on its own loss with hand-derived gradients; "
                f"compile it without `loss`. Received: loss={loss!r}"
            )
        super().compile(optimizer=optimizer, loss=None, **kwargs)

    def compile_from_config(self, config):
        # Keras skips compiling on load when `compile` is overridden; do it here.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def _z(self, x):
        return ops.matmul(ops.convert_to_tensor(x, self.compute_dtype), self.w) + self.b

    def _targets_and_weights(self, y, sample_weight):
        y = ops.reshape(ops.cast(y, self.compute_dtype), (-1, 1))
        s = ops.ones_like(y) if sample_weight is None else ops.reshape(
            ops.cast(sample_weight, self.compute_dtype), (-1, 1)
        )
        return y, s

    def train_step(self, *args):
        # (data,) on TensorFlow and PyTorch, (state, data) on JAX's stateless trainer.
        return hand_derived_train_step(self, args, self._gradients_and_log)

    def _gradients_and_log(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        grads = [self.optimizer.scale_loss(g) for g in self.gradients(x, y, sample_weight)]

        def log():
            for m in self.metrics:
                if m.name == "loss":
                    m.update_state(loss, sample_weight=ops.shape(x)[0])
            return self.compute_metrics(x, y, y_pred, sample_weight)

        return grads, log

    def get_config(self):
        config = {
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LinearRegression(_HandDerivedModel):
    r"""Least-squares linear regression trained with its hand-derived gradient.

    The model draws a straight line (a plane, for several features) through
    the data; each step moves the slope and the intercept against the
    derivative of the squared error, worked out by hand with the chain rule
    instead of by a gradient tape.

    For a batch of $B$ samples $x_i$ (rows of the input), targets $y_i$ and
    sample weights $s_i$ (1 when not given), with kernel $w$ and bias $b$:

    $$\begin{aligned}
    \hat y_i &= x_i w + b \\
    J &= \frac{1}{B}\sum_i s_i\, \tfrac12 (\hat y_i - y_i)^2 \\
    \frac{\partial J}{\partial w} &= \frac{1}{B}\sum_i s_i (\hat y_i - y_i)\, x_i^\top,
    \qquad \frac{\partial J}{\partial b} = \frac{1}{B}\sum_i s_i (\hat y_i - y_i)
    \end{aligned}$$

    With SGD (plain or with momentum), whose step is linear in the gradient,
    it equals `keras.layers.Dense(1)` trained on
    `keras.losses.MeanSquaredError` with half the learning rate ($J$ carries
    the course's factor ½). The adaptive optimizers (Adagrad, RMSprop, Adam,
    ...) divide by a running gradient scale, so the ½ nearly cancels there,
    but not exactly: $\epsilon$ and Adagrad's initial accumulator do not
    scale with it. The kernel has Dense's layout, shape (features, 1). `compile` takes an
    optimizer and metrics, not a loss: the loss is $J$.

    Args:
        kernel_initializer: the initializer of $w$. Defaults to `"glorot_uniform"`.
        bias_initializer: the initializer of $b$. Defaults to `"zeros"`.

    Examples:
        >>> import keras, numpy as np
        >>> x = np.linspace(-1, 1, 32, dtype="float32")[:, None]
        >>> model = LinearRegression()
        >>> model.compile(keras.optimizers.SGD(0.5))
        >>> _ = model.fit(x, 3 * x + 2, epochs=3, batch_size=1, verbose=0)
        >>> np.round([float(model.w[0, 0]), float(model.b[0])], 3).tolist()
        [3.0, 2.0]

    References:
        - Goodfellow, Bengio & Courville, 2016. Deep Learning, section 5.1.4.
    """

    def call(self, x):
        return self._z(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y, s = self._targets_and_weights(y, sample_weight)
        return ops.mean(s * 0.5 * ops.square(y_pred - y))

    def gradients(self, x, y, sample_weight=None):
        r"""The hand-derived $[\partial J/\partial w, \partial J/\partial b]$ on one batch."""
        x = ops.convert_to_tensor(x, self.compute_dtype)
        y, s = self._targets_and_weights(y, sample_weight)
        e = s * (self._z(x) - y)
        n = ops.cast(ops.shape(x)[0], self.compute_dtype)
        return [ops.matmul(ops.transpose(x), e) / n, ops.sum(e, axis=0) / n]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LogisticRegression(_HandDerivedModel):
    r"""Binary logistic regression trained with its hand-derived gradient.

    A linear score squashed by the sigmoid into a probability of class 1.
    With binary cross-entropy the derivative of the loss with respect to the
    score collapses to "prediction minus target", $a - y$ — the same error
    signal as linear regression, which is why the two updates look alike.

    For a batch of $B$ samples $x_i$, targets $y_i \in \{0, 1\}$ and sample
    weights $s_i$ (1 when not given), with kernel $w$ and bias $b$:

    $$\begin{aligned}
    z_i &= x_i w + b, \qquad a_i = \sigma(z_i) = \frac{1}{1 + e^{-z_i}} \\
    L &= -\frac{1}{B}\sum_i s_i \big(y_i \log a_i + (1 - y_i) \log(1 - a_i)\big) \\
    \frac{\partial L}{\partial w} &= \frac{1}{B}\sum_i s_i (a_i - y_i)\, x_i^\top,
    \qquad \frac{\partial L}{\partial b} = \frac{1}{B}\sum_i s_i (a_i - y_i)
    \end{aligned}$$

    It equals `keras.layers.Dense(1, activation="sigmoid")` trained on
    `keras.losses.BinaryCrossentropy`; $L$ is computed from $z$ as
    $\operatorname{softplus}(z) - yz$, the same value without $\log 0$.
    `compile` takes an optimizer and metrics, not a loss: the loss is $L$.

    Args:
        kernel_initializer: the initializer of $w$. Defaults to `"glorot_uniform"`.
        bias_initializer: the initializer of $b$. Defaults to `"zeros"`.

    Examples:
        >>> import keras, numpy as np
        >>> x, y = np.array([[-2.0], [-1.0], [1.0], [2.0]], "float32"), np.array([0, 0, 1, 1])
        >>> model = LogisticRegression()
        >>> model.compile(keras.optimizers.SGD(1.0), metrics=["accuracy"])
        >>> _ = model.fit(np.tile(x, (10, 1)), np.tile(y, 10), batch_size=4, verbose=0)
        >>> loss, accuracy = model.evaluate(x, y, verbose=0)
        >>> accuracy
        1.0

    References:
        - Bishop, 2006. Pattern Recognition and Machine Learning, section 4.3.2.
    """

    def call(self, x):
        return ops.sigmoid(self._z(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        y, s = self._targets_and_weights(y, sample_weight)
        z = self._z(x)
        return ops.mean(s * (ops.softplus(z) - y * z))

    def gradients(self, x, y, sample_weight=None):
        r"""The hand-derived $[\partial L/\partial w, \partial L/\partial b]$ on one batch."""
        x = ops.convert_to_tensor(x, self.compute_dtype)
        y, s = self._targets_and_weights(y, sample_weight)
        e = s * (ops.sigmoid(self._z(x)) - y)
        n = ops.cast(ops.shape(x)[0], self.compute_dtype)
        return [ops.matmul(ops.transpose(x), e) / n, ops.sum(e, axis=0) / n]
