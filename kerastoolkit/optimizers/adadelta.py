"""Adadelta: RMSprop whose step carries its own units, from a running average of past steps."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_in_range

__all__ = ["Adadelta"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Adadelta(Optimizer):
    r"""Adadelta: scale each step by RMS(past steps) / RMS(past gradients).

    Like RMSprop it keeps a forgetting average of squared gradients, and it
    adds a second average, of squared updates. Their ratio gives the step the
    units of the parameters, so the algorithm as published needs no learning
    rate at all.

    Let $\eta$ be `learning_rate`, $\rho$ be `rho`, $\epsilon$ be `epsilon`,
    $g_t$ the gradient, $E[g^2]$ and $E[\Delta\theta^2]$ the two averages,
    starting at 0:

    $$\begin{aligned}
    E[g^2]_t &= \rho\, E[g^2]_{t-1} + (1 - \rho)\, g_t^2 \\
    \Delta\theta_t &= -\frac{\sqrt{E[\Delta\theta^2]_{t-1} + \epsilon}}
        {\sqrt{E[g^2]_t + \epsilon}}\, g_t \\
    E[\Delta\theta^2]_t &= \rho\, E[\Delta\theta^2]_{t-1} + (1 - \rho)\, \Delta\theta_t^2 \\
    \theta_t &= \theta_{t-1} + \eta\, \Delta\theta_t
    \end{aligned}$$

    Equal to `keras.optimizers.Adadelta`, whose convention it follows: the
    step is multiplied by `learning_rate` (default 0.001). The paper's
    learning-rate-free rule is `learning_rate=1.0`.

    Args:
        learning_rate: $\eta$, a positive float, a schedule or a callable.
            Defaults to `0.001`.
        rho: $\rho$, the averages' decay, in $[0, 1)$. Defaults to `0.95`.
        epsilon: $\epsilon$, positive. Defaults to `1e-7`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import Adadelta
        >>> w = keras.Variable([1.0])
        >>> opt = Adadelta(learning_rate=1.0, epsilon=1e-6)
        >>> _ = opt.apply_gradients([(np.array([2.0], "float32"), w)])
        >>> np.round(keras.ops.convert_to_numpy(w), 5)  # 1 - sqrt(1e-6 / (0.05 * 4 + 1e-6)) * 2
        array([0.99553], dtype=float32)

    References:
        - Zeiler, 2012. ADADELTA: an adaptive learning rate method.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_in_range("rho", rho, 0, 1)
        self.epsilon = check_in_range("epsilon", epsilon, 0, low_open=True)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        rho = ops.cast(self.rho, dtype)
        # 1 - rho is taken before rounding to float32, as Keras does.
        one_minus_rho = ops.cast(1 - self.rho, dtype)
        i = self._get_variable_index(variable)
        Eg2, Edx2 = self._accumulated_grads[i], self._accumulated_delta_vars[i]
        self.assign(Eg2, rho * Eg2 + one_minus_rho * ops.square(g))
        dx = -ops.sqrt(Edx2 + self.epsilon) / ops.sqrt(Eg2 + self.epsilon) * g
        self.assign(Edx2, rho * Edx2 + one_minus_rho * ops.square(dx))
        self.assign_add(variable, lr * dx)

    def get_config(self):
        config = super().get_config()
        return {**config, "rho": self.rho, "epsilon": self.epsilon}
