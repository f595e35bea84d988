"""Nadam: Adam with Nesterov's look-ahead on the first moment."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_in_range

__all__ = ["Nadam"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Nadam(Optimizer):
    r"""Nesterov-accelerated Adam.

    Adam's first moment is a classical momentum; Nadam replaces it with
    Nesterov's look-ahead, mixing the next step's momentum $\mu_{t+1} m_t$ with
    the current gradient. Dozat's momentum schedule warms $\mu_t$ up from
    $\beta_1 / 2$ towards $\beta_1$, and the bias correction uses the running
    product of the schedule.

    Let $\eta$ be `learning_rate`, $\beta_1$ be `beta_1`, $\beta_2$ be
    `beta_2`, $\epsilon$ be `epsilon`, $g_t$ the gradient at step
    $t = 1, 2, \dots$, $m_0 = v_0 = 0$ and $\Pi_0 = 1$:

    $$\begin{aligned}
    \mu_t &= \beta_1 \left(1 - \tfrac{1}{2}\, 0.96^{t}\right) \\
    \Pi_t &= \Pi_{t-1}\, \mu_t \\
    m_t &= \beta_1\, m_{t-1} + (1 - \beta_1)\, g_t \\
    v_t &= \beta_2\, v_{t-1} + (1 - \beta_2)\, g_t^2 \\
    \hat m_t &= \frac{\mu_{t+1}\, m_t}{1 - \Pi_t\, \mu_{t+1}}
        + \frac{(1 - \mu_t)\, g_t}{1 - \Pi_t} \\
    \hat v_t &= \frac{v_t}{1 - \beta_2^t} \\
    \theta_t &= \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
    \end{aligned}$$

    Equal to `keras.optimizers.Nadam`, whose conventions it follows: Dozat's
    schedule with the factor $0.96^t$ (the `SCHEDULE_DECAY` constant below;
    Keras 2 and Dozat's code used $0.96^{0.004\,t}$, which warms up 250
    times more slowly), and
    $\Pi_t$ kept as one optimizer variable shared by all parameters, updated
    once per step before the per-variable updates.

    Args:
        learning_rate: $\eta$, a positive float, a schedule or a callable.
            Defaults to `0.001`.
        beta_1: $\beta_1$, in $[0, 1)$. Defaults to `0.9`.
        beta_2: $\beta_2$, in $[0, 1)$. Defaults to `0.999`.
        epsilon: $\epsilon$, positive. Defaults to `1e-7`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import Nadam
        >>> w = keras.Variable([1.0])
        >>> _ = Nadam(learning_rate=0.1).apply_gradients([(np.array([2.0], "float32"), w)])
        >>> print(f"{float(keras.ops.convert_to_numpy(w)[0]):.4f}")
        0.8937

    References:
        - Dozat, 2016. Incorporating Nesterov momentum into Adam.
    """

    SCHEDULE_DECAY = 0.96

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_in_range("beta_1", beta_1, 0, 1)
        self.beta_2 = check_in_range("beta_2", beta_2, 0, 1)
        self.epsilon = check_in_range("epsilon", epsilon, 0, low_open=True)

    def build(self, var_list):
        if self.built:
            return
        dtype = var_list[0].dtype if var_list else keras.backend.floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        self._u_product = keras.Variable(1.0, dtype=dtype)

    def _mu(self, step, dtype):
        """The momentum schedule $\\mu_t$ at (float) step `step`."""
        decay = ops.cast(self.SCHEDULE_DECAY, dtype)
        return ops.cast(self.beta_1, dtype) * (1.0 - 0.5 * ops.power(decay, step))

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # Pi_t = Pi_{t-1} * mu_t, once per step, shared by every variable.
        dtype = self._u_product.dtype
        t = ops.cast(self.iterations + 1, dtype)
        self.assign(self._u_product, self._u_product * self._mu(t, dtype))
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        mu_t, mu_next = self._mu(t, dtype), self._mu(t + 1, dtype)
        pi_t = ops.cast(self._u_product, dtype)
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        self.assign(m, beta_1 * m + (1 - beta_1) * g)
        self.assign(v, beta_2 * v + (1 - beta_2) * ops.square(g))
        m_hat = mu_next * m / (1 - pi_t * mu_next) + (1 - mu_t) * g / (1 - pi_t)
        v_hat = v / (1 - ops.power(beta_2, t))
        self.assign_sub(variable, lr * m_hat / (ops.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        return {**config, "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
