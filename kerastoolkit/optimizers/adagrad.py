"""Adagrad: a per-parameter step size that shrinks with the gradients seen so far."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_in_range

__all__ = ["Adagrad"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Adagrad(Optimizer):
    r"""Adaptive gradient: divide each step by the root of all past squared gradients.

    Parameters that received large gradients so far get small steps, rarely
    updated ones keep large steps. Because the sum $G$ only grows, the step
    size decays towards zero: Adagrad can stop learning before it arrives,
    which is what RMSprop and Adadelta fix.

    Let $\eta$ be `learning_rate`, $\epsilon$ be `epsilon`, $g_t$ the gradient
    and $G$ the accumulator, starting at $G_0$ = `initial_accumulator_value`:

    $$\begin{aligned}
    G_t &= G_{t-1} + g_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{G_t + \epsilon}}
    \end{aligned}$$

    Equal to `keras.optimizers.Adagrad`, whose conventions it follows where
    textbooks differ: $\epsilon$ sits inside the square root, as in the
    course's $\sqrt{G_t + \epsilon}$ (the paper and PyTorch add it to
    $\sqrt{G_t}$), and $G$ starts at 0.1, not 0.

    Args:
        learning_rate: $\eta$, a positive float, a schedule or a callable.
            Defaults to `0.001`.
        initial_accumulator_value: $G_0$, non-negative. Defaults to `0.1`.
        epsilon: $\epsilon$, positive. Defaults to `1e-7`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import Adagrad
        >>> w = keras.Variable([1.0])
        >>> _ = Adagrad(learning_rate=0.5).apply_gradients([(np.array([2.0], "float32"), w)])
        >>> np.round(keras.ops.convert_to_numpy(w), 4)  # 1 - 0.5 * 2 / sqrt(0.1 + 4)
        array([0.5061], dtype=float32)

    References:
        - Duchi et al., 2011. Adaptive subgradient methods for online learning
          and stochastic optimization.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        name=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_in_range(
            "initial_accumulator_value", initial_accumulator_value, 0
        )
        self.epsilon = check_in_range("epsilon", epsilon, 0, low_open=True)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list,
            "accumulator",
            initializer=keras.initializers.Constant(self.initial_accumulator_value),
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        G = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(G, ops.square(g))
        self.assign_sub(variable, lr * g / ops.sqrt(G + self.epsilon))

    def get_config(self):
        config = super().get_config()
        return {
            **config,
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
