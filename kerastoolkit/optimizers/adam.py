"""Adam: momentum on the gradient and RMSprop's scaling, both bias-corrected."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_bool, check_in_range

__all__ = ["Adam"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Adam(Optimizer):
    r"""Adaptive moment estimation: Momentum's direction with RMSprop's step size.

    Adam keeps two exponential averages: $m$ of the gradient (the direction,
    as in Momentum) and $v$ of its square (the scale, as in RMSprop). Both
    start at zero and are therefore biased towards zero early on; dividing by
    $1 - \beta^t$ corrects that. AMSGrad divides by the largest $v$ seen so
    far, so the factor $1 / (\sqrt{\hat v_t} + \epsilon)$ can never grow;
    the step size $\alpha_t$ still changes with $t$ (with the default betas
    its bias correction takes it from $0.32\,\eta$ at $t = 1$ down to
    $0.15\,\eta$ at $t = 12$ and then up towards $\eta$), so the
    per-parameter rate $\alpha_t / (\sqrt{\hat v_t} + \epsilon)$ can grow.

    Let $\eta$ be `learning_rate`, $\beta_1$ be `beta_1`, $\beta_2$ be
    `beta_2`, $\epsilon$ be `epsilon`, $g_t$ the gradient at step
    $t = 1, 2, \dots$, with $m_0 = v_0 = 0$:

    $$\begin{aligned}
    m_t &= \beta_1\, m_{t-1} + (1 - \beta_1)\, g_t \\
    v_t &= \beta_2\, v_{t-1} + (1 - \beta_2)\, g_t^2 \\
    \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{(amsgrad; else } \hat v_t = v_t) \\
    \alpha_t &= \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \\
    \theta_t &= \theta_{t-1} - \alpha_t\, \frac{m_t}{\sqrt{\hat v_t} + \epsilon}
    \end{aligned}$$

    Equal to `keras.optimizers.Adam`, whose convention it follows: the bias
    corrections are folded into the step size $\alpha_t$ ("epsilon hat"), so
    $\epsilon$ is added to $\sqrt{\hat v_t}$ (that is $\sqrt{v_t}$ without
    `amsgrad`) rather than to the bias-corrected $\sqrt{v_t / (1 -
    \beta_2^t)}$ as in the paper's Algorithm 1 and PyTorch; the two differ
    only through $\epsilon$.

    Args:
        learning_rate: $\eta$, a positive float, a schedule or a callable.
            Defaults to `0.001`.
        beta_1: $\beta_1$, decay of the first moment, in $[0, 1)$.
            Defaults to `0.9`.
        beta_2: $\beta_2$, decay of the second moment, in $[0, 1)$.
            Defaults to `0.999`.
        epsilon: $\epsilon$, positive. Defaults to `1e-7`.
        amsgrad: use the running maximum $\hat v$. Defaults to `False`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import Adam
        >>> w = keras.Variable([1.0, 1.0])
        >>> _ = Adam(learning_rate=0.1).apply_gradients([(np.array([3.0, -0.5], "float32"), w)])
        >>> np.round(keras.ops.convert_to_numpy(w), 4)  # the first step is -lr * sign(g)
        array([0.9, 1.1], dtype=float32)

    References:
        - Kingma and Ba, 2015. Adam: a method for stochastic optimization.
        - Reddi et al., 2018. On the convergence of Adam and beyond (AMSGrad).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_in_range("beta_1", beta_1, 0, 1)
        self.beta_2 = check_in_range("beta_2", beta_2, 0, 1)
        self.epsilon = check_in_range("epsilon", epsilon, 0, low_open=True)
        self.amsgrad = check_bool("amsgrad", amsgrad)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        # 1 - beta is taken before rounding to float32, as Keras does: for
        # beta_2 = 0.999, 1 - float32(beta_2) is off by 1.3e-5 relative.
        self.assign(m, beta_1 * m + ops.cast(1 - self.beta_1, dtype) * g)
        self.assign(v, beta_2 * v + ops.cast(1 - self.beta_2, dtype) * ops.square(g))
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        alpha = lr * ops.sqrt(1 - ops.power(beta_2, t)) / (1 - ops.power(beta_1, t))
        self.assign_sub(variable, alpha * m / (ops.sqrt(v) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        return {
            **config,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
