"""Batch normalization."""

import keras
from keras import ops

from kerastoolkit.layers._keras_args import refuse_unless_neutral

__all__ = ["BatchNormalization"]


@keras.saving.register_keras_serializable(package="kerastoolkit")
class BatchNormalization(keras.layers.Layer):
    r"""Batch normalization: standardize each feature with batch statistics, then rescale.

    In training, each feature (each entry along `axis`) is centred and scaled
    by the mean and variance of the current batch, which keeps the inputs of
    the next layer well conditioned and speeds training up; a learned scale
    $\gamma$ and shift $\beta$ give the layer back its expressive power. The
    batch statistics are also folded into exponential moving averages, which
    replace them at inference, when batches may be tiny or single samples.

    Let $x$ be the inputs, $B$ the set of positions reduced over (all axes
    but `axis`; with a `mask`, only the unmasked ones), $\rho$ be
    `momentum`, $\epsilon$ be `epsilon`, $\gamma$ be `gamma`, $\beta$ be
    `beta`, and $\hat\mu$, $\hat\sigma^2$ be
    `moving_mean`, `moving_variance`:

    $$\begin{aligned}
    \mu &= \frac{1}{|B|} \sum_{B} x, \qquad
    \sigma^2 = \frac{1}{|B|} \sum_{B} (x - \mu)^2 && \text{(training)} \\
    \hat\mu &\leftarrow \rho\, \hat\mu + (1 - \rho)\, \mu, \qquad
    \hat\sigma^2 \leftarrow \rho\, \hat\sigma^2 + (1 - \rho)\, \sigma^2
      && \text{(training, if trainable)} \\
    y &= \gamma \, \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta
      && (\mu, \sigma^2 \to \hat\mu, \hat\sigma^2 \text{ at inference})
    \end{aligned}$$

    It matches `keras.layers.BatchNormalization` (same arguments, defaults,
    weights `gamma`, `beta`, `moving_mean`, `moving_variance`, the biased
    batch variance, and the statistics computed in float32 under mixed
    precision). A `mask` (one axis fewer than the inputs, e.g. the padding
    mask of `Embedding(mask_zero=True)`) leaves the masked positions out of
    $\mu$ and $\sigma^2$ as Keras does: both sums are divided by
    $|B| + 10^{-7}$ (Keras's `keras.config.epsilon()`), so a fully masked
    batch gives $\mu = \sigma^2 = 0$; the mask passes on to the next layer.
    Keras's batch renormalization (`renorm=True`) and cross-replica
    statistics (`synchronized=True`) are not implemented and refused; at
    `renorm=False` the `renorm_clipping` and `renorm_momentum` arguments have
    no effect, in Keras as here.

    Args:
        axis: the feature axis, normalized per entry. Defaults to `-1`.
        momentum: $\rho$, in $[0, 1]$. Defaults to `0.99`.
        epsilon: $\epsilon$, a positive float. Defaults to `1e-3`.
        center: whether to add $\beta$. Defaults to `True`.
        scale: whether to multiply by $\gamma$. Defaults to `True`.
        beta_initializer: initializer of $\beta$. Defaults to `"zeros"`.
        gamma_initializer: initializer of $\gamma$. Defaults to `"ones"`.
        moving_mean_initializer: initializer of $\hat\mu$. Defaults to `"zeros"`.
        moving_variance_initializer: initializer of $\hat\sigma^2$.
            Defaults to `"ones"`.
        beta_regularizer: regularizer of $\beta$. Defaults to `None`.
        gamma_regularizer: regularizer of $\gamma$. Defaults to `None`.
        beta_constraint: constraint on $\beta$. Defaults to `None`.
        gamma_constraint: constraint on $\gamma$. Defaults to `None`.
        renorm: only `False` (batch renormalization is not implemented).
            Defaults to `False`.
        renorm_clipping: kept in the config, unused. Defaults to `None`.
        renorm_momentum: kept in the config, unused. Defaults to `0.99`.
        synchronized: only `False` (statistics are per replica).
            Defaults to `False`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import BatchNormalization
        >>> bn = BatchNormalization(momentum=0.5, epsilon=1e-8)
        >>> x = np.array([[1.0], [3.0]], "float32")
        >>> keras.ops.convert_to_numpy(bn(x, training=True)).ravel()
        array([-1.,  1.], dtype=float32)
        >>> keras.ops.convert_to_numpy(bn.moving_mean)  # 0.5 * 0 + 0.5 * 2
        array([1.], dtype=float32)

    References:
        - Ioffe & Szegedy, 2015. Batch normalization: accelerating deep
          network training by reducing internal covariate shift.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        refuse_unless_neutral("BatchNormalization", "renorm", renorm, False, "renormalization")
        refuse_unless_neutral(
            "BatchNormalization", "synchronized", synchronized, False, "synchronized statistics"
        )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"`axis` must be an integer. Received: axis={axis!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be in [0, 1]. Received: momentum={momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be positive. Received: epsilon={epsilon!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.moving_mean_initializer = keras.initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = keras.initializers.get(moving_variance_initializer)
        self.beta_regularizer = keras.regularizers.get(beta_regularizer)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
        self.beta_constraint = keras.constraints.get(beta_constraint)
        self.gamma_constraint = keras.constraints.get(gamma_constraint)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = False
        self.supports_masking = True

    def _feature_axis(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"`axis` is out of bounds for inputs of rank {rank}. Received: axis={self.axis}"
            )
        return self.axis % rank

    def build(self, input_shape):
        axis = self._feature_axis(input_shape)
        shape = (input_shape[axis],)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )
        self.moving_mean = self.add_weight(
            shape=shape,
            name="moving_mean",
            initializer=self.moving_mean_initializer,
            trainable=False,
            autocast=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
            autocast=False,
        )
        self.input_spec = keras.InputSpec(ndim=len(input_shape), axes={axis: shape[0]})

    def _moments(self, x, reduced, mask):
        """Batch mean and biased variance over `reduced`, counting unmasked positions only."""
        if mask is None:
            mu = ops.mean(x, axis=reduced, keepdims=True)
            return mu, ops.mean(ops.square(x - mu), axis=reduced, keepdims=True)
        m = ops.cast(ops.broadcast_to(ops.expand_dims(mask, -1), ops.shape(x)), "bool")
        count = ops.sum(ops.cast(m, "float32"), axis=reduced, keepdims=True)
        count = count + keras.config.epsilon()
        mu = ops.sum(ops.where(m, x, 0.0), axis=reduced, keepdims=True) / count
        var = ops.sum(ops.square(ops.where(m, x - mu, 0.0)), axis=reduced, keepdims=True) / count
        return mu, var

    def call(self, inputs, training=None, mask=None):
        rank = len(inputs.shape)
        axis = self._feature_axis(inputs.shape)
        reduced = tuple(a for a in range(rank) if a != axis)
        per_feature = [1] * rank
        per_feature[axis] = -1
        if mask is not None and len(mask.shape) != rank - 1:
            raise ValueError(
                "BatchNormalization's mask must have one axis fewer than the inputs. "
                f"Received: mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )

        def broadcast(v):
            return ops.reshape(ops.cast(v, "float32"), per_feature)

        x = ops.cast(inputs, "float32")
        rho = self.momentum
        if training and self.trainable:
            mu, var = self._moments(x, reduced, mask)
            mu_hat, var_hat = self.moving_mean, self.moving_variance
            mu_hat.assign(mu_hat * rho + ops.reshape(mu, (-1,)) * (1 - rho))
            var_hat.assign(var_hat * rho + ops.reshape(var, (-1,)) * (1 - rho))
        else:
            mu, var = broadcast(self.moving_mean), broadcast(self.moving_variance)
        y = (x - mu) / ops.sqrt(var + self.epsilon)
        if self.scale:
            y = y * broadcast(self.gamma)
        if self.center:
            y = y + broadcast(self.beta)
        return ops.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        self._feature_axis(input_shape)
        return input_shape

    def get_config(self):
        config = {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": keras.initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": keras.initializers.serialize(
                self.moving_variance_initializer
            ),
            "beta_regularizer": keras.regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": keras.regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": keras.constraints.serialize(self.beta_constraint),
            "gamma_constraint": keras.constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
        return {**super().get_config(), **config}
