"""The course's CNN written by hand, trained by a tape or by a hand-derived backward pass."""

from __future__ import annotations

import keras
from keras import ops

from kerastoolkit.models._steps import hand_derived_train_step

#: The side of the square convolution kernels (the course's 3×3).
KERNEL_SIZE = 3
#: The side (and stride) of the max-pooling windows (the course's 2×2).
POOL_SIZE = 2
#: The ways `train_step` can compute the gradients.
BACKWARDS = ("tape", "manual")
#: The compiled losses the hand-derived backward pass differentiates.
_MANUAL_LOSSES = ("CategoricalCrossentropy", "SparseCategoricalCrossentropy")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value


@keras.saving.register_keras_serializable(package="kerastoolkit")
class ConvolutionNetwork(keras.Model):
    r"""The course's CNN with its own weights, low-level ops and a written-out `train_step`.

    One 3×3 convolution finds `n_kernels` local patterns, ReLU keeps the
    positive evidence, 2×2 max pooling halves the resolution, and two dense
    layers turn the pooled feature maps into class scores (logits). Nothing
    is hidden in Keras layers: the weights are six variables, `call` is seven
    `keras.ops`, and `train_step` computes the gradients either with
    automatic differentiation (`backward="tape"`) or with the backward pass
    derived by hand (`backward="manual"`), which the tests prove equal.

    Let $x$ be a batch of $B$ images $H \times W \times C$, $K$ the conv
    kernel ($3 \times 3 \times C \times F$, $F$ = `n_kernels`) with bias
    $b_c$, $W_1, b_1$ the hidden layer ($U$ = `units`), $W_2, b_2$ the output
    layer ($N$ = `n_classes`), $Y$ the one-hot targets, $s$ the sample weights
    (1 when not given), $\star$ cross-correlation with stride 1 and "same"
    zero padding:

    $$\begin{aligned}
    c &= x \star K + b_c, \qquad r = \max(c, 0), \qquad
      p_{h,w} = \max_{(i,j) \in \text{window}(h,w)} r_{i,j} \\
    f &= \operatorname{flatten}(p), \qquad z_1 = f W_1 + b_1, \qquad a_1 = \max(z_1, 0),
      \qquad z_2 = a_1 W_2 + b_2 \\
    J &= -\frac{1}{B} \sum_{n} s_n \sum_k Y_{nk} \log \operatorname{softmax}(z_2)_{nk}
    \end{aligned}$$

    The hand-derived backward pass, read bottom to top:

    $$\begin{aligned}
    \delta_2 &= s \odot (\operatorname{softmax}(z_2) - Y) / B, \qquad
      \frac{\partial J}{\partial W_2} = a_1^\top \delta_2, \qquad
      \frac{\partial J}{\partial b_2} = \textstyle\sum_n \delta_2 \\
    \delta_1 &= (\delta_2 W_2^\top) \odot [z_1 > 0], \qquad
      \frac{\partial J}{\partial W_1} = f^\top \delta_1, \qquad
      \frac{\partial J}{\partial b_1} = \textstyle\sum_n \delta_1 \\
    \delta_r &= \operatorname{route}(\operatorname{unflatten}(\delta_1 W_1^\top)), \qquad
      \delta_c = \delta_r \odot [c > 0] \\
    \frac{\partial J}{\partial K} &= \operatorname{im2col}(x)^\top \delta_c, \qquad
      \frac{\partial J}{\partial b_c} = \textstyle\sum_{n,h,w} \delta_c
    \end{aligned}$$

    where $\operatorname{route}$ sends each pooled gradient to the position of
    its window's (first) maximum and zero elsewhere, and $\operatorname{im2col}(x)$
    holds one row per output pixel with the $3 \cdot 3 \cdot C$ inputs under
    the kernel, so the convolution is the matrix product
    $\operatorname{im2col}(x) K$ and its kernel gradient the transposed
    product. (The input $x$ needs no gradient, so the col2im step that would
    fold $\delta_c K^\top$ back onto the image is not needed.)

    It matches `keras.Sequential([Conv2D(F, 3, padding="same", activation="relu"),
    MaxPooling2D(2), Flatten(), Dense(U, activation="relu"), Dense(N)])` with the
    same weights (Glorot-uniform kernels, zero biases, Keras's weight layout),
    outputting logits rather than probabilities. `compile` as usual; with
    `loss=None` the loss is $J$. `backward="manual"` differentiates only $J$,
    so it accepts `loss=None`, `CategoricalCrossentropy(from_logits=True)` or
    `SparseCategoricalCrossentropy(from_logits=True)` (Keras's or
    kerastoolkit's, reduction `"sum_over_batch_size"` or its equal `"mean"`,
    no label smoothing) and refuses any other loss at `compile`. Labels may be
    one-hot rows or integer classes.

    Both run on every Keras backend. `backward="manual"` needs only
    `keras.ops`. `backward="tape"` is the course's `tf.GradientTape` on
    TensorFlow; on JAX and PyTorch it is the backend's own differentiation
    (Keras's `train_step`: `jax.value_and_grad` over `stateless_call`, or
    PyTorch's autograd).

    Args:
        n_kernels: $F$, the number of 3×3 convolution kernels. Defaults to `10`.
        units: $U$, the size of the hidden dense layer. Defaults to `100`.
        n_classes: $N$, the number of classes (logits). Defaults to `10`.
        backward: `"tape"` (`tf.GradientTape`, or the backend's automatic
            differentiation on JAX and PyTorch) or `"manual"` (the
            hand-derived pass above). Defaults to `"tape"`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models import ConvolutionNetwork
        >>> x = np.random.default_rng(0).uniform(size=(8, 6, 6, 1)).astype("float32")
        >>> y = np.arange(8) % 2
        >>> model = ConvolutionNetwork(n_kernels=2, units=4, n_classes=2, backward="manual")
        >>> model.compile(keras.optimizers.SGD(0.1), metrics=["accuracy"])
        >>> history = model.fit(x, y, epochs=2, verbose=0)
        >>> model.predict(x, verbose=0).shape, [tuple(w.shape) for w in model.trainable_weights]
        ((8, 2), [(3, 3, 1, 2), (2,), (18, 4), (4,), (4, 2), (2,)])

    References:
        - Park Hae-sun, 2019. Do it! 정직하게 코딩하며 배우는 딥러닝 입문, chapter 8.
        - Goodfellow, Bengio & Courville, 2016. Deep Learning, section 9.5.
        - Chellapilla, Puri & Simard, 2006. High performance convolutional
          neural networks for document processing (im2col).
    """

    def __init__(self, n_kernels=10, units=100, n_classes=10, backward="tape", **kwargs):
        super().__init__(**kwargs)
        self.n_kernels = _check_positive_int("n_kernels", n_kernels)
        self.units = _check_positive_int("units", units)
        self.n_classes = _check_positive_int("n_classes", n_classes)
        if backward not in BACKWARDS:
            raise ValueError(
                f"`backward` must be one of {BACKWARDS}. Received: backward={backward!r}"
            )
        self.backward = backward

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 4 or any(d is None for d in input_shape[1:]):
            raise self._bad_input(
                "ConvolutionNetwork expects images of shape (batch, height, width, channels) "
                f"with known height, width and channels. Received: input_shape={input_shape}"
            )
        _, h, w, c = input_shape
        if h < POOL_SIZE or w < POOL_SIZE:
            raise self._bad_input(
                f"Images must be at least {POOL_SIZE}x{POOL_SIZE} for the pooling. "
                f"Received: input_shape={input_shape}"
            )
        self.image_shape = (h, w, c)
        f_dim = (h // POOL_SIZE) * (w // POOL_SIZE) * self.n_kernels
        glorot = keras.initializers.GlorotUniform()
        self.conv_w = self.add_weight(
            shape=(KERNEL_SIZE, KERNEL_SIZE, c, self.n_kernels), initializer=glorot, name="conv_w"
        )
        self.conv_b = self.add_weight(shape=(self.n_kernels,), initializer="zeros", name="conv_b")
        self.w1 = self.add_weight(shape=(f_dim, self.units), initializer=glorot, name="w1")
        self.b1 = self.add_weight(shape=(self.units,), initializer="zeros", name="b1")
        self.w2 = self.add_weight(shape=(self.units, self.n_classes), initializer=glorot, name="w2")
        self.b2 = self.add_weight(shape=(self.n_classes,), initializer="zeros", name="b2")

    def _bad_input(self, message):
        """The error for bad inputs or targets met inside `fit`/`evaluate`/`predict`.

        The failed trace would leave Keras's compiled step function half-made
        (the next call could not create the weights); dropping it lets the
        next call, with good data, start afresh.
        """
        self.train_function = self.test_function = self.predict_function = None
        return ValueError(message)

    @property
    def _params(self):
        return [self.conv_w, self.conv_b, self.w1, self.b1, self.w2, self.b2]

    def _forward(self, x):
        """The forward pass; returns every intermediate the backward pass unpacks."""
        x = ops.convert_to_tensor(x)
        if tuple(x.shape[1:]) != tuple(self.image_shape):
            raise self._bad_input(
                f"ConvolutionNetwork was built for images of shape {self.image_shape}. "
                f"Received: inputs of shape {tuple(x.shape)}"
            )
        x = ops.cast(x, self.compute_dtype)
        K, b_c, W1, b1, W2, b2 = (ops.cast(v, self.compute_dtype) for v in self._params)
        c = ops.conv(x, K, strides=1, padding="same") + b_c
        r = ops.relu(c)
        p = ops.max_pool(r, pool_size=POOL_SIZE, strides=POOL_SIZE, padding="valid")
        f = ops.reshape(p, (-1, W1.shape[0]))
        z1 = ops.matmul(f, W1) + b1
        a1 = ops.relu(z1)
        z2 = ops.matmul(a1, W2) + b2
        return x, c, r, p, f, z1, a1, z2

    def call(self, x):
        return self._forward(x)[-1]

    def _one_hot(self, y):
        """Targets as one-hot rows $Y$; integer classes (shape (B,) or (B, 1)) are encoded."""
        y = ops.convert_to_tensor(y)
        # A retraced TensorFlow step can see targets of unknown rank (a
        # TensorShape whose rank is None, which has no len): refuse those too.
        rank = y.shape.rank if hasattr(y.shape, "rank") else len(y.shape)
        if rank == 1 or (rank == 2 and y.shape[-1] == 1 and self.n_classes > 1):
            return ops.one_hot(ops.reshape(ops.cast(y, "int32"), (-1,)), self.n_classes)
        if rank != 2 or y.shape[-1] != self.n_classes:
            raise self._bad_input(
                f"Targets must be integer classes of shape (batch,) or one-hot rows of shape "
                f"(batch, {self.n_classes}). Received: targets of shape "
                f"{tuple(y.shape) if rank is not None else y.shape}"
            )
        return ops.cast(y, "float32")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if self.loss is not None:
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        ce = ops.categorical_crossentropy(
            self._one_hot(y), ops.cast(y_pred, "float32"), from_logits=True
        )
        if sample_weight is not None:
            ce = ce * ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        loss = ops.mean(ce)
        return loss + sum(self.losses) if self.losses else loss

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        if self.backward == "manual":
            self._check_manual_loss(loss)
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def compile_from_config(self, config):
        # Keras skips compiling on load when `compile` is overridden; do it here.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def _check_manual_loss(self, loss):
        if loss is None:
            return
        config = loss.get_config() if isinstance(loss, keras.losses.Loss) else {}
        if not (
            type(loss).__name__ in _MANUAL_LOSSES
            and config.get("from_logits") is True
            and not config.get("label_smoothing")
            and config.get("axis", -1) == -1
            and config.get("ignore_class") is None
            # Keras computes "mean" exactly as "sum_over_batch_size".
            and config.get("reduction") in ("sum_over_batch_size", "mean")
        ):
            raise ValueError(
                "backward='manual' differentiates softmax cross-entropy from logits only: "
                "compile with loss=None, keras.losses.CategoricalCrossentropy(from_logits=True) "
                "or keras.losses.SparseCategoricalCrossentropy(from_logits=True), or use "
                f"backward='tape' for any other loss. Received: loss={loss!r}"
            )

    def _route_to_argmax(self, d_p, r):
        """Send each pooled gradient to its window's first maximum in `r`; zero elsewhere."""
        P = POOL_SIZE
        h, w, F = r.shape[1], r.shape[2], r.shape[3]
        hp, wp = h // P, w // P
        windows = ops.reshape(r[:, : hp * P, : wp * P, :], (-1, hp, P, wp, P, F))
        windows = ops.reshape(ops.transpose(windows, (0, 1, 3, 5, 2, 4)), (-1, hp, wp, F, P * P))
        first_max = ops.one_hot(ops.argmax(windows, axis=-1), P * P, dtype=d_p.dtype)
        d = ops.reshape(first_max * d_p[..., None], (-1, hp, wp, F, P, P))
        d = ops.reshape(ops.transpose(d, (0, 1, 4, 2, 5, 3)), (-1, hp * P, wp * P, F))
        return ops.pad(d, ((0, 0), (0, h - hp * P), (0, w - wp * P), (0, 0)))

    def _im2col(self, x):
        """One row per output pixel holding the 3×3×C inputs under the kernel, (kh, kw, c) order."""
        _, h, w, c = x.shape
        k = KERNEL_SIZE
        padded = ops.pad(x, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
        patches = [padded[:, i : i + h, j : j + w, :] for i in range(k) for j in range(k)]
        return ops.reshape(ops.stack(patches, axis=3), (-1, k * k * c))

    def _backward(self, y, sample_weight, cache, seed_scale):
        """The hand-derived gradients from the forward `cache`, in `_params` order."""
        x, c, r, p, f, z1, a1, z2 = cache
        dtype = z2.dtype
        _, W1, _, W2 = (ops.cast(v, dtype) for v in self._params[1:5])
        s = 1.0 if sample_weight is None else ops.reshape(
            ops.cast(sample_weight, "float32"), (-1, 1)
        )
        B = ops.cast(ops.shape(z2)[0], "float32")
        d2 = seed_scale(s * (ops.softmax(ops.cast(z2, "float32")) - self._one_hot(y)) / B)
        d2 = ops.cast(d2, dtype)
        dW2 = ops.matmul(ops.transpose(a1), d2)
        db2 = ops.sum(d2, axis=0)
        d1 = ops.matmul(d2, ops.transpose(W2)) * ops.cast(z1 > 0, dtype)
        dW1 = ops.matmul(ops.transpose(f), d1)
        db1 = ops.sum(d1, axis=0)
        d_p = ops.reshape(ops.matmul(d1, ops.transpose(W1)), ops.shape(p))
        d_c = self._route_to_argmax(d_p, r) * ops.cast(c > 0, dtype)
        cols = self._im2col(x)
        dK = ops.reshape(
            ops.matmul(ops.transpose(cols), ops.reshape(d_c, (-1, self.n_kernels))),
            self.conv_w.shape,
        )
        db_c = ops.sum(d_c, axis=(0, 1, 2))
        grads = [dK, db_c, dW1, db1, dW2, db2]
        return [ops.cast(g, v.dtype) for g, v in zip(grads, self._params)]

    def manual_gradients(self, x, y, sample_weight=None):
        r"""The hand-derived gradients of $J$ on one batch, in `trainable_weights` order."""
        x = ops.convert_to_tensor(x)
        if not self.built:
            self.build(tuple(x.shape))
        return self._backward(y, sample_weight, self._forward(x), lambda d: d)

    def train_step(self, *args):
        # (data,) on TensorFlow and PyTorch, (state, data) on JAX's stateless trainer.
        if self.backward == "manual":
            return hand_derived_train_step(self, args, self._manual_gradients_and_log)
        if keras.backend.backend() != "tensorflow":
            # The backend's own differentiation: Keras's train_step runs
            # jax.value_and_grad over stateless_call, or PyTorch's autograd.
            return super().train_step(*args)
        return self._tape_train_step(*args)

    def _tape_train_step(self, data):
        import tensorflow as tf

        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, self._params)
        self.optimizer.apply(grads, self._params)
        return self._log(loss, x, y, y_pred, sample_weight)

    def _manual_gradients_and_log(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if not self.built:
            self.build(tuple(x.shape))
        cache = self._forward(x)
        y_pred = cache[-1]
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        grads = self._backward(y, sample_weight, cache, self.optimizer.scale_loss)
        return grads, lambda: self._log(loss, x, y, y_pred, sample_weight)

    def _log(self, loss, x, y, y_pred, sample_weight):
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss, sample_weight=ops.shape(x)[0])
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self):
        config = {
            "n_kernels": self.n_kernels,
            "units": self.units,
            "n_classes": self.n_classes,
            "backward": self.backward,
        }
        return {**super().get_config(), **config}
