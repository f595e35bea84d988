"""Stochastic gradient descent, with classical momentum and Nesterov momentum."""

import keras
from keras import ops

from kerastoolkit.optimizers.base import Optimizer, check_bool, check_in_range

__all__ = ["SGD", "Momentum", "Nesterov"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SGD(Optimizer):
    r"""Gradient descent, optionally with (Nesterov) momentum.

    Plain gradient descent steps every parameter against its gradient. Momentum
    adds a velocity that accumulates past steps, so a ball rolling down a long
    narrow valley speeds up along the floor while the side-to-side zig-zag
    cancels out. Nesterov momentum looks ahead: it takes the gradient where the
    velocity is about to carry the parameters, which damps overshooting.

    Let $\eta$ be `learning_rate`, $\gamma$ be `momentum`, $g_t$ the gradient
    of the loss $J$ with respect to the parameters $\theta$, and $v$ the
    velocity (starting at 0). With `momentum=0`:

    $$\theta_t = \theta_{t-1} - \eta\, g_t$$

    With momentum ($\gamma > 0$):

    $$\begin{aligned}
    v_t &= \gamma\, v_{t-1} - \eta\, g_t \\
    \theta_t &= \theta_{t-1} + v_t
    \end{aligned}$$

    With `nesterov=True` the taught rule evaluates the gradient at the
    look-ahead point, $v_t = \gamma v_{t-1} - \eta \nabla J(\theta_{t-1} +
    \gamma v_{t-1})$, $\theta_t = \theta_{t-1} + v_t$. Writing
    $\phi = \theta + \gamma v$ for the look-ahead parameters, the same
    trajectory reads

    $$\begin{aligned}
    v_t &= \gamma\, v_{t-1} - \eta\, g_t \\
    \phi_t &= \phi_{t-1} + \gamma\, v_t - \eta\, g_t
    \end{aligned}$$

    with $g_t = \nabla J(\phi_{t-1})$: the gradient is taken at the stored
    parameters, so no second forward pass is needed. This is the form
    implemented (the stored variables are $\phi$); it is the same as
    `keras.optimizers.SGD`, whose conventions it follows — the velocity holds
    $-\eta g$ (the step), not the raw gradient as in PyTorch.

    Args:
        learning_rate: $\eta$, a positive float, a
            `keras.optimizers.schedules.LearningRateSchedule`, or a callable
            returning the rate. Defaults to `0.01`.
        momentum: $\gamma$, in $[0, 1)$; `0` is plain gradient descent and
            creates no velocity slots. Defaults to `0.0`.
        nesterov: whether to use Nesterov momentum. Defaults to `False`.
        **kwargs: the base optimizer's options (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`,
            `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.optimizers import SGD
        >>> w = keras.Variable([1.0, 2.0])
        >>> opt = SGD(learning_rate=0.1, momentum=0.9)
        >>> _ = opt.apply_gradients([(np.array([1.0, 1.0], "float32"), w)])
        >>> _ = opt.apply_gradients([(np.array([1.0, 1.0], "float32"), w)])
        >>> np.round(keras.ops.convert_to_numpy(w), 4)  # 1 - 0.1 - (0.09 + 0.1)
        array([0.71, 1.71], dtype=float32)

    References:
        - Polyak, 1964. Some methods of speeding up the convergence of
          iteration methods.
        - Sutskever et al., 2013. On the importance of initialization and
          momentum in deep learning.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_in_range("momentum", momentum, 0, 1)
        self.nesterov = check_bool("nesterov", nesterov)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        if self.momentum == 0:
            self.assign_sub(variable, lr * g)
            return
        gamma = ops.cast(self.momentum, dtype)
        v = self.momentums[self._get_variable_index(variable)]
        self.assign(v, gamma * v - lr * g)
        if self.nesterov:
            self.assign_add(variable, gamma * v - lr * g)
        else:
            self.assign_add(variable, v)

    def get_config(self):
        config = super().get_config()
        return {**config, "momentum": self.momentum, "nesterov": self.nesterov}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Momentum(SGD):
    r"""Gradient descent with classical momentum: `SGD(momentum=0.9)` by name.

    $$\begin{aligned}
    v_t &= \gamma\, v_{t-1} - \eta\, g_t \\
    \theta_t &= \theta_{t-1} + v_t
    \end{aligned}$$

    The course's "Momentum" optimizer, with $\eta$ = `learning_rate` and
    $\gamma$ = `momentum`; see [`SGD`][kerastoolkit.optimizers.SGD] for the
    derivation. Equal to `keras.optimizers.SGD(learning_rate, momentum)`.

    Args:
        learning_rate: $\eta$. Defaults to `0.01`.
        momentum: $\gamma$, in $[0, 1)$. Defaults to `0.9`.
        **kwargs: the base optimizer's options, as for `SGD`.

    Examples:
        >>> from kerastoolkit.optimizers import Momentum
        >>> Momentum().get_config()["momentum"]
        0.9
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, name=None, **kwargs):
        _pop_fixed_nesterov(kwargs, False, "Momentum")
        super().__init__(learning_rate=learning_rate, momentum=momentum, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Nesterov(SGD):
    r"""Nesterov accelerated gradient: `SGD(momentum=0.9, nesterov=True)` by name.

    The gradient is taken at the look-ahead point $\theta + \gamma v$; stored as
    look-ahead parameters $\phi$ this becomes

    $$\begin{aligned}
    v_t &= \gamma\, v_{t-1} - \eta\, g_t \\
    \phi_t &= \phi_{t-1} + \gamma\, v_t - \eta\, g_t
    \end{aligned}$$

    with $\eta$ = `learning_rate` and $\gamma$ = `momentum`; see
    [`SGD`][kerastoolkit.optimizers.SGD] for why the two forms are the same
    trajectory. Equal to `keras.optimizers.SGD(learning_rate, momentum,
    nesterov=True)`.

    Args:
        learning_rate: $\eta$. Defaults to `0.01`.
        momentum: $\gamma$, in $[0, 1)$. Defaults to `0.9`.
        **kwargs: the base optimizer's options, as for `SGD`.

    Examples:
        >>> from kerastoolkit.optimizers import Nesterov
        >>> Nesterov().get_config()["nesterov"]
        True
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, name=None, **kwargs):
        _pop_fixed_nesterov(kwargs, True, "Nesterov")
        super().__init__(
            learning_rate=learning_rate, momentum=momentum, nesterov=True, name=name, **kwargs
        )


def _pop_fixed_nesterov(kwargs, fixed, cls_name):
    # A saved config carries `nesterov`; accept it when it agrees with the class.
    nesterov = kwargs.pop("nesterov", fixed)
    if nesterov is not fixed:
        raise ValueError(
            f"`{cls_name}` always has nesterov={fixed}; use `SGD` to choose. "
            f"Received: nesterov={nesterov!r}"
        )
