"""RMSprop: divide each step by a running root-mean-square of recent gradients."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_bool, check_in_range

__all__ = ["RMSprop"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class RMSprop(Optimizer):
    r"""Root-mean-square propagation: Adagrad with a forgetting average.

    Adagrad's sum of squared gradients only grows; RMSprop replaces it with an
    exponential moving average, so old gradients fade and the step size does
    not decay to zero. The centered variant divides by an estimate of the
    gradient's variance instead of its second moment, and `momentum` adds a
    velocity on top of the scaled step.

    Let $\eta$ be `learning_rate`, $\rho$ be `rho`, $\mu$ be `momentum`,
    $\epsilon$ be `epsilon`, $g_t$ the gradient, $v$ the average of squared
    gradients, $\bar g$ the average gradient (centered only) and $m$ the
    velocity, all starting at 0:

    $$\begin{aligned}
    v_t &= \rho\, v_{t-1} + (1 - \rho)\, g_t^2 \\
    \bar g_t &= \rho\, \bar g_{t-1} + (1 - \rho)\, g_t
        && \text{(centered)} \\
    \Delta_t &= \eta\, \frac{g_t}{\sqrt{v_t - \bar g_t^2 + \epsilon}}
        && (\bar g_t = 0 \text{ unless centered}) \\
    m_t &= \mu\, m_{t-1} + \Delta_t && \text{(with momentum; else } m_t = \Delta_t) \\
    \theta_t &= \theta_{t-1} - m_t
    \end{aligned}$$

    Equal to `keras.optimizers.RMSprop`, whose convention it follows:
    $\epsilon$ inside the square root, as in the course's $\sqrt{G + \epsilon}$
    (PyTorch adds it to $\sqrt{v}$).

    Args:
        learning_rate: $\eta$, a positive float, a schedule or a callable.
            Defaults to `0.001`.
        rho: $\rho$, the averages' decay, in $[0, 1)$. Defaults to `0.9`.
        momentum: $\mu$, in $[0, 1)$; `0` creates no velocity slots.
            Defaults to `0.0`.
        epsilon: $\epsilon$, positive. Defaults to `1e-7`.
        centered: divide by the variance estimate $v - \bar g^2$.
            Defaults to `False`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import RMSprop
        >>> w = keras.Variable([1.0])
        >>> _ = RMSprop(learning_rate=0.1).apply_gradients([(np.array([2.0], "float32"), w)])
        >>> np.round(keras.ops.convert_to_numpy(w), 4)  # 1 - 0.1 * 2 / sqrt(0.1 * 4)
        array([0.6838], dtype=float32)

    References:
        - Hinton, 2012. Neural networks for machine learning, lecture 6e.
        - Graves, 2013. Generating sequences with recurrent neural networks
          (the centered variant).
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_in_range("rho", rho, 0, 1)
        self.momentum = check_in_range("momentum", momentum, 0, 1)
        self.epsilon = check_in_range("epsilon", epsilon, 0, low_open=True)
        self.centered = check_bool("centered", centered)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        rho = ops.cast(self.rho, dtype)
        # 1 - rho is taken before rounding to float32, as Keras does.
        one_minus_rho = ops.cast(1 - self.rho, dtype)
        i = self._get_variable_index(variable)
        v = self._velocities[i]
        self.assign(v, rho * v + one_minus_rho * ops.square(g))
        if self.centered:
            g_bar = self._average_gradients[i]
            self.assign(g_bar, rho * g_bar + one_minus_rho * g)
            denominator = v - ops.square(g_bar) + self.epsilon
        else:
            denominator = v + self.epsilon
        delta = lr * g / ops.sqrt(denominator)
        if self.momentum > 0:
            m = self._momentums[i]
            self.assign(m, ops.cast(self.momentum, dtype) * m + delta)
            self.assign_sub(variable, m)
        else:
            self.assign_sub(variable, delta)

    def get_config(self):
        config = super().get_config()
        return {
            **config,
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
