r"""Dynamic loss scaling whose skip-or-apply decision is the same on every replica."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["LossScaleOptimizer"]


@keras.saving.register_keras_serializable(package="kerastoolkit", name="LossScaleOptimizer")
class LossScaleOptimizer(keras.optimizers.LossScaleOptimizer):
    r"""Keras's dynamic loss scaling, with the finiteness check taken over all replicas.

    Under `mixed_float16` the loss is multiplied by a scale $S$ before the
    backward pass so that small `float16` gradients do not underflow to zero,
    and the gradients are divided by $S$ before the update. When any gradient
    is `inf` or `NaN` (the scaled backward pass overflowed), the step is
    skipped and $S$ halves; after `dynamic_growth_steps` finite steps in a
    row, $S$ doubles. With $g_r$ the scaled gradients computed on replica
    $r$ of $R$, $k$ the `step_counter` and $N$ `dynamic_growth_steps`:

    $$
    \begin{aligned}
    \text{finite} &= \bigwedge_{r=1}^{R} \operatorname{all}(\operatorname{isfinite}(g_r)) \\
    \text{if finite:}\quad w &\leftarrow \text{inner}\Big(w, \tfrac{1}{S}\textstyle\sum_r g_r\Big),
        \quad (S, k) \leftarrow \begin{cases} (2S, 0) & k = N - 1 \\
        (S, k + 1) & \text{otherwise} \end{cases} \\
    \text{else:}\quad w &\leftarrow w, \quad (S, k) \leftarrow (S / 2, 0)
    \end{aligned}
    $$

    The arguments, the variables (`step_counter`, `dynamic_scale`, then the
    inner optimizer's), the behaviour on one device and the `.keras` config
    are Keras's `keras.optimizers.LossScaleOptimizer`, which this class
    subclasses. The one difference is the first line: Keras 3.15 takes
    "finite" from the *first replica's* local gradients only, so under
    `tf.distribute.MirroredStrategy` an overflow that happens on another
    replica is applied — the weights become `inf` and the scale does not
    move. Here each replica's verdict is all-reduced (the count of
    replicas that overflowed must be 0) before it is used, so all replicas skip or apply together.
    On one device, and on JAX (whose distributed gradients are global
    arrays), the reduction is the identity.

    `Model.compile` under `mixed_float16` wraps a bare optimizer in *Keras's*
    wrapper; pass this one yourself (an instance of it is left alone):
    `model.compile(optimizer=LossScaleOptimizer(Adam()), ...)`.

    Args:
        inner_optimizer: the `keras.optimizers.Optimizer` instance to wrap
            (a kerastoolkit optimizer or a Keras one).
        initial_scale: the initial loss scale $S$. Defaults to `2**15`.
        dynamic_growth_steps: $N$, the number of finite steps in a row after
            which $S$ doubles. Defaults to `2000`.
        name: the optimizer's name. Defaults to `None`.
        **kwargs: accepted for Keras's config compatibility only (Keras
            refuses every base-optimizer argument here; set them on
            `inner_optimizer`).

    Examples:
        >>> import keras
        >>> import numpy as np
        >>> from kerastoolkit.optimizers import SGD, LossScaleOptimizer
        >>> opt = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
        >>> w = keras.Variable([1.0])
        >>> opt.apply([keras.ops.convert_to_tensor([np.inf])], [w])  # overflow: skipped
        >>> float(w.numpy()[0]), float(opt.dynamic_scale.numpy())
        (1.0, 4.0)
        >>> opt.apply([keras.ops.convert_to_tensor([4.0])], [w])  # 4 / 4 = 1 -> w - 0.1
        >>> round(float(w.numpy()[0]), 6)
        0.9

    References:
        Micikevicius et al., *Mixed Precision Training*, ICLR 2018.
    """

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not isinstance(inner_optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "`inner_optimizer` must be a `keras.optimizers.Optimizer` instance. "
                f"Received: inner_optimizer={inner_optimizer!r}"
            )
        super().__init__(
            inner_optimizer,
            initial_scale=initial_scale,
            dynamic_growth_steps=dynamic_growth_steps,
            name=name,
            **kwargs,
        )

    def check_finite(self, grads):
        r"""Return one boolean: are `grads` finite on *every* replica?

        Keras calls this once per replica, in replica context. Under a
        `tf.distribute` strategy with several replicas in sync, the local
        verdict is all-reduced (the number of replicas that overflowed is summed
        and must be 0), so every replica returns the
        same value. Elsewhere it is Keras's local check.
        """
        finite = super().check_finite(grads)
        if keras.backend.backend() != "tensorflow":
            return finite
        import tensorflow as tf

        if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
            return finite
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return finite
        overflowed = ops.cast(ops.logical_not(finite), "int32")
        overflowed = context.all_reduce(tf.distribute.ReduceOp.SUM, overflowed)
        return ops.equal(overflowed, 0)
