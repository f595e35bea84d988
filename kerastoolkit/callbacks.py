r"""Training-time instruments: callbacks that measure what `fit` does not report."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

__all__ = ["GradientNormHistory"]


class GradientNormHistory(keras.callbacks.Callback):
    r"""Record the gradient norm of every layer on a fixed probe batch during `fit`.

    Backpropagation multiplies the gradient by each layer's local derivative
    on its way to the input. With saturating activations (sigmoid: $\sigma'
    \le 1/4$) the product shrinks geometrically with depth, so the layers
    nearest the input barely learn: the *vanishing gradient*. This callback
    makes that visible by recording, for each layer $l$ with trainable
    weights $W_l$ (kernel, bias, ...), the Euclidean norm of the loss gradient
    over all of them:

    $$\begin{aligned}
    \lVert g_l \rVert &= \sqrt{\textstyle\sum_{w \in W_l} \sum_i
        \left(\frac{\partial L(x, y)}{\partial w_i}\right)^2}
    \end{aligned}$$

    where $L$ is the model's compiled loss (`model.compute_loss`, so
    regularization terms are included) on the probe batch $(x, y)$ = `(x, y)`.

    How the gradients are obtained: `fit` does not hand its gradients to
    callbacks, and re-deriving them from a training batch inside the train
    step would need a custom `train_step`. Instead, after every epoch (and
    once before training, when `record_initial`), the callback runs its own
    forward and backward pass on the same fixed probe batch with TensorFlow's
    `GradientTape`, in inference mode (`training=False`: no dropout noise, no
    batch-norm statistics update). The optimizer never sees these gradients,
    so recording changes nothing about the training; measuring on one fixed
    batch makes successive epochs comparable. The cost is one extra
    forward/backward pass per epoch. This callback therefore needs the
    TensorFlow backend.

    Args:
        x: the probe inputs, an array (or anything the model accepts).
        y: the probe targets, matching the compiled loss.
        record_initial: also record the norms before the first training step,
            as entry 0. Defaults to `True`.

    Attributes:
        history: a dict from layer name to the list of that layer's norms, one
            per recording, in the order of `model.layers`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.callbacks import GradientNormHistory
        >>> x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="hidden"),
        ...                           keras.layers.Dense(1, name="out")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> norms = GradientNormHistory(x, y)
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[norms])
        >>> sorted(norms.history), len(norms.history["out"])
        (['hidden', 'out'], 3)
    """

    def __init__(self, x, y, record_initial=True):
        super().__init__()
        if not isinstance(record_initial, bool):
            raise TypeError(
                f"`record_initial` must be a bool. Received: record_initial={record_initial!r}"
            )
        self.x = x
        self.y = y
        self.record_initial = record_initial
        self.history = {}

    def on_train_begin(self, logs=None):
        self.history = {}
        if self.record_initial:
            self._record()

    def on_epoch_end(self, epoch, logs=None):
        self._record()

    def layer_norms(self):
        """The current gradient norm of each layer with trainable weights, on the probe batch.

        Returns:
            A dict from layer name to a float, in the order of `model.layers`.
        """
        if keras.backend.backend() != "tensorflow":
            raise ValueError(
                "GradientNormHistory takes gradients with TensorFlow's GradientTape. "
                f"Received: backend={keras.backend.backend()!r}, allowed: 'tensorflow'"
            )
        import tensorflow as tf

        model = self.model
        layers = [layer for layer in model.layers if layer.trainable_weights]
        weights = [w for layer in layers for w in layer.trainable_weights]
        with tf.GradientTape() as tape:
            y_pred = model(self.x, training=False)
            loss = model.compute_loss(x=self.x, y=self.y, y_pred=y_pred, training=False)
        grads = tape.gradient(loss, [w.value for w in weights])
        norms, start = {}, 0
        for layer in layers:
            count = len(layer.trainable_weights)
            layer_grads = [g for g in grads[start : start + count] if g is not None]
            squares = [float(ops.sum(ops.square(g))) for g in layer_grads]
            norms[layer.name] = float(np.sqrt(sum(squares)))
            start += count
        return norms

    def _record(self):
        for name, norm in self.layer_norms().items():
            self.history.setdefault(name, []).append(norm)
