r"""Backpropagation through time by hand: the language model's layers, forward and backward.

The course's "Time" layers: each `*_forward` runs one layer over a whole
block and returns what its `*_backward` unpacks (the cache), and each
`*_backward` takes the gradient of the loss with respect to the layer's
outputs and returns the gradients of its inputs and weights, in reverse
time. Every function is written in `keras.ops` only, so it runs on
TensorFlow, JAX and PyTorch, and `LanguageModel(backward="manual")` chains
them (`language_model_gradients`). Shapes: $B$ streams, $T$ steps per block,
$D$ input features, $H$ units, $V$ words; a matrix product of a
$(B, T, \cdot)$ array is taken at every step.
"""

import keras
from keras import ops

__all__ = [
    "affine_backward",
    "embedding_backward",
    "language_model_gradients",
    "softmax_cross_entropy_backward",
    "time_lstm_backward",
    "time_lstm_forward",
    "time_rnn_backward",
    "time_rnn_forward",
]

# The four gates, side by side in Keras's order i, f, c (our g), o.
GATES = 4


@keras.saving.register_keras_serializable(
    package="kerastoolkit", name="softmax_cross_entropy_backward"
)
def softmax_cross_entropy_backward(s, y):
    r"""The gradient of the mean next-word cross-entropy with respect to the scores.

    With $J = -\frac{1}{BT}\sum_{b,t} \log \operatorname{softmax}(s_{bt})_{y_{bt}}$
    over every stream $b$ and step $t$:

    $$\frac{\partial J}{\partial s_{bt}} = \frac{\operatorname{softmax}(s_{bt})
      - \operatorname{onehot}(y_{bt})}{B \cdot T}$$

    Args:
        s: the scores (logits), shape $(B, T, V)$.
        y: the next-word ids, shape $(B, T)$.

    Returns:
        $\partial J / \partial s$, shape $(B, T, V)$.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models.recurrent_backward import softmax_cross_entropy_backward
        >>> ds = softmax_cross_entropy_backward(np.zeros((1, 2, 4), "float32"), np.array([[0, 3]]))
        >>> keras.ops.convert_to_numpy(ds)  # uniform 1/4, minus 1 at the target, over B T = 2
        array([[[-0.375,  0.125,  0.125,  0.125],
                [ 0.125,  0.125,  0.125, -0.375]]], dtype=float32)
    """
    s = ops.convert_to_tensor(s)
    B, T, V = ops.shape(s)
    p = ops.softmax(s, axis=-1)
    return (p - ops.one_hot(y, V, dtype=p.dtype)) / ops.cast(B * T, p.dtype)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="affine_backward")
def affine_backward(h, ds, W):
    r"""The time-distributed affine layer $s_t = h_t W + b$, backward.

    $$\frac{\partial J}{\partial W} = \sum_t h_t^\top ds_t, \qquad
      \frac{\partial J}{\partial b} = \sum_t \textstyle\sum_b ds_t, \qquad
      dh_t = ds_t W^\top$$

    Args:
        h: the layer's inputs $h$, shape $(B, T, D)$.
        ds: $\partial J / \partial s$, shape $(B, T, V)$.
        W: the weight matrix $W$, shape $(D, V)$.

    Returns:
        `(dW, db, dh)`.
    """
    dW = ops.einsum("btd,btv->dv", h, ds)
    db = ops.sum(ds, axis=(0, 1))
    dh = ops.matmul(ds, ops.transpose(W))
    return dW, db, dh


def _summed_over_steps(x, h_prev, dz, W_x):
    r"""`(dx, dW_x, dW_h, db)` from the pre-activation gradients $dz_t$ of every step.

    $\partial J / \partial W_h = \sum_t h_{t-1}^\top dz_t$,
    $\partial J / \partial W_x = \sum_t x_t^\top dz_t$,
    $\partial J / \partial b = \sum_t \sum_b dz_t$ and $dx_t = dz_t W_x^\top$:
    the same for the Time RNN and the Time LSTM (whose $dz_t$ holds the four
    gates side by side).
    """
    dW_h = ops.einsum("bti,btj->ij", h_prev, dz)
    dW_x = ops.einsum("btd,btj->dj", x, dz)
    db = ops.sum(dz, axis=(0, 1))
    dx = ops.matmul(dz, ops.transpose(W_x))
    return dx, dW_x, dW_h, db


@keras.saving.register_keras_serializable(package="kerastoolkit", name="time_rnn_forward")
def time_rnn_forward(x, h0, W_x, W_h, b):
    r"""The Time RNN forward: `SimpleRNN` over a block, keeping what the backward needs.

    $$h_t = \tanh(x_t W_x + h_{t-1} W_h + b), \qquad t = 1, \dots, T$$

    from $h_0$ = `h0` (the carried state, a constant).

    Args:
        x: the inputs, shape $(B, T, D)$.
        h0: the initial state, shape $(B, H)$.
        W_x: `kernel`, shape $(D, H)$.
        W_h: `recurrent_kernel`, shape $(H, H)$.
        b: `bias`, shape $(H,)$.

    Returns:
        `(hs, cache)`: every $h_t$, shape $(B, T, H)$, and the cache of
        `time_rnn_backward`.
    """
    xW = ops.matmul(x, W_x)  # x_t W_x for every t in one product
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = ops.tanh(xW[:, t] + ops.matmul(h, W_h) + b)
        hs.append(h)
    hs = ops.stack(hs, axis=1)
    h_prev = ops.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # h_{t-1} for every t
    return hs, (x, h_prev, hs, W_x, W_h)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="time_rnn_backward")
def time_rnn_backward(cache, dhs):
    r"""The Time RNN backward: from $dh_t$ (the loss's gradient at each output) to the weights.

    In reverse time, with $dh_{T}^{\text{next}} = 0$ (nothing flows in from
    the next block):

    $$\begin{aligned}
    dh &= dh_t + dh^{\text{next}} \quad \text{(from the output at } t
      \text{ and from step } t+1\text{)} \\
    dz_t &= dh \odot (1 - h_t^2) \\
    dh^{\text{next}} &\leftarrow dz_t W_h^\top \quad \text{(to step } t-1\text{)}
    \end{aligned}$$

    and then, summed over the steps,

    $$\frac{\partial J}{\partial W_h} = \sum_t h_{t-1}^\top dz_t, \quad
      \frac{\partial J}{\partial W_x} = \sum_t x_t^\top dz_t, \quad
      \frac{\partial J}{\partial b} = \sum_t \textstyle\sum_b dz_t, \quad
      dx_t = dz_t W_x^\top .$$

    The gradient left at step 1 for $h_0$ is dropped: the carried state is a
    constant (truncated BPTT).

    Args:
        cache: the cache of `time_rnn_forward`.
        dhs: $dh_t$ for every $t$, shape $(B, T, H)$.

    Returns:
        `(dx, dW_x, dW_h, db)`.
    """
    x, h_prev, hs, W_x, W_h = cache
    dh_next = ops.zeros_like(dhs[:, 0])
    dz = [None] * dhs.shape[1]
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dh_next
        dz[t] = dh * (1 - hs[:, t] ** 2)
        dh_next = ops.matmul(dz[t], ops.transpose(W_h))
    return _summed_over_steps(x, h_prev, ops.stack(dz, axis=1), W_x)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="time_lstm_forward")
def time_lstm_forward(x, h0, c0, W_x, W_h, b):
    r"""The Time LSTM forward: `LSTM` over a block, keeping what the backward needs.

    $$\begin{aligned}
    [z_i, z_f, z_g, z_o] &= x_t W_x + h_{t-1} W_h + b \\
    i = \sigma(z_i), \quad f &= \sigma(z_f), \quad g = \tanh(z_g), \quad o = \sigma(z_o) \\
    c_t &= f \odot c_{t-1} + g \odot i, \qquad h_t = o \odot \tanh(c_t)
    \end{aligned}$$

    from $h_0, c_0$ = `h0`, `c0` (the carried state, constants), the gates
    side by side in Keras's order $i, f, g, o$.

    Args:
        x: the inputs, shape $(B, T, D)$.
        h0: the initial hidden state, shape $(B, H)$.
        c0: the initial memory cell, shape $(B, H)$.
        W_x: `kernel`, shape $(D, 4H)$.
        W_h: `recurrent_kernel`, shape $(H, 4H)$.
        b: `bias`, shape $(4H,)$.

    Returns:
        `(hs, c_T, cache)`: every $h_t$, shape $(B, T, H)$, the last memory
        cell and the cache of `time_lstm_backward`.
    """
    xW = ops.matmul(x, W_x)  # x_t W_x for every t in one product
    h, c = h0, c0
    steps = []
    for t in range(x.shape[1]):
        z_i, z_f, z_g, z_o = ops.split(xW[:, t] + ops.matmul(h, W_h) + b, GATES, axis=-1)
        i, f, g, o = ops.sigmoid(z_i), ops.sigmoid(z_f), ops.tanh(z_g), ops.sigmoid(z_o)
        c_prev, h_prev = c, h
        c = f * c_prev + g * i
        tanh_c = ops.tanh(c)
        h = o * tanh_c
        steps.append((h_prev, c_prev, i, f, g, o, tanh_c, h))
    hs = ops.stack([s[-1] for s in steps], axis=1)
    return hs, c, (x, steps, W_x, W_h)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="time_lstm_backward")
def time_lstm_backward(cache, dhs):
    r"""The Time LSTM backward: from $dh_t$ through the gates to the weights.

    In reverse time, with $dh^{\text{next}} = dc^{\text{next}} = 0$ at the
    end of the block:

    $$\begin{aligned}
    dh &= dh_t + dh^{\text{next}}, \qquad
      do = dh \odot \tanh(c_t), \qquad
      dc = dc^{\text{next}} + dh \odot o \odot (1 - \tanh^2 c_t) \\
    df &= dc \odot c_{t-1}, \qquad di = dc \odot g, \qquad dg = dc \odot i \\
    dz_t &= [\,di \odot i(1 - i),\; df \odot f(1 - f),\; dg \odot (1 - g^2),\;
      do \odot o(1 - o)\,] \\
    dh^{\text{next}} &\leftarrow dz_t W_h^\top, \qquad dc^{\text{next}} \leftarrow dc \odot f
    \end{aligned}$$

    ($\sigma' = \sigma(1 - \sigma)$, $\tanh' = 1 - \tanh^2$), and the fused
    gate matrix gives, summed over the steps,

    $$\frac{\partial J}{\partial W_h} = \sum_t h_{t-1}^\top dz_t, \quad
      \frac{\partial J}{\partial W_x} = \sum_t x_t^\top dz_t, \quad
      \frac{\partial J}{\partial b} = \sum_t \textstyle\sum_b dz_t, \quad
      dx_t = dz_t W_x^\top .$$

    What is left for $h_0, c_0$ is dropped: the carried state is a constant.

    Args:
        cache: the cache of `time_lstm_forward`.
        dhs: $dh_t$ for every $t$, shape $(B, T, H)$.

    Returns:
        `(dx, dW_x, dW_h, db)`.
    """
    x, steps, W_x, W_h = cache
    dh_next = ops.zeros_like(dhs[:, 0])
    dc_next = ops.zeros_like(dh_next)
    dz = [None] * len(steps)
    for t in reversed(range(len(steps))):
        h_prev, c_prev, i, f, g, o, tanh_c, _ = steps[t]
        dh = dhs[:, t] + dh_next
        do = dh * tanh_c
        dc = dc_next + dh * o * (1 - tanh_c**2)
        df = dc * c_prev
        di = dc * g
        dg = dc * i
        dz[t] = ops.concatenate(
            [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=-1
        )
        dh_next = ops.matmul(dz[t], ops.transpose(W_h))
        dc_next = dc * f
    h_prev = ops.stack([s[0] for s in steps], axis=1)
    return _summed_over_steps(x, h_prev, ops.stack(dz, axis=1), W_x)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="embedding_backward")
def embedding_backward(tokens, dx, vocab_size):
    r"""The embedding $x_t = E_{w_t}$, backward: scatter-add $dx_t$ into the rows read.

    $$\frac{\partial J}{\partial E_k} = \sum_{(b, t):\, w_{bt} = k} dx_{bt}$$

    A row read twice gets both gradients; a row never read gets zero.

    Args:
        tokens: the word ids $w$, shape $(B, T)$.
        dx: $\partial J / \partial x$, shape $(B, T, D)$.
        vocab_size: $V$, the number of rows of $E$.

    Returns:
        $\partial J / \partial E$, shape $(V, D)$.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models.recurrent_backward import embedding_backward
        >>> dE = embedding_backward(np.array([[2, 0, 2]]), np.ones((1, 3, 2), "float32"), 4)
        >>> keras.ops.convert_to_numpy(dE)
        array([[1., 1.],
               [0., 0.],
               [2., 2.],
               [0., 0.]], dtype=float32)
    """
    dx = ops.convert_to_tensor(dx)
    rows = ops.reshape(ops.cast(tokens, "int32"), (-1,))
    return ops.segment_sum(ops.reshape(dx, (-1, dx.shape[-1])), rows, num_segments=vocab_size)


@keras.saving.register_keras_serializable(
    package="kerastoolkit", name="language_model_gradients"
)
def language_model_gradients(model, tokens, y, states=None, training=True, seed_scale=None):
    r"""The forward pass of a `LanguageModel` and its backward pass by hand, layer by layer.

    Forward, keeping every cache (the symbols of `LanguageModel`, $m^{(l)}$
    the dropout mask of $\delta$ after layer $l$, drawn by its `Dropout`
    layer as in the forward pass of `backward="tape"`):

    $$x^{(0)} = E_{w} \odot m^{(0)}, \quad
      h^{(l)} = \text{Time RNN/LSTM}_l(x^{(l-1)}), \quad
      x^{(l)} = h^{(l)} \odot m^{(l)}, \quad s = x^{(L)} W + b$$

    Backward, from the top:

    $$\begin{aligned}
    ds &= (\operatorname{softmax}(s) - \operatorname{onehot}(y)) / (BT)
      && \texttt{softmax\_cross\_entropy\_backward} \\
    dW, db, dx^{(L)} &= \textstyle\sum_t x^{(L)\top}_t ds_t,\ \sum_t ds_t,\ ds\, W^\top
      && \texttt{affine\_backward} \\
    dh^{(l)} &= dx^{(l)} \odot m^{(l)}, \quad
      dx^{(l-1)}, dW^{(l)}_x, dW^{(l)}_h, db^{(l)} = \text{backward}_l(dh^{(l)})
      && \texttt{time\_*\_backward},\ l = L \dots 1 \\
    dE &= \operatorname{scatter\_add}_w(dx^{(0)} \odot m^{(0)})
      \;\big(+\, dW^\top \text{ with weight tying, } W = E^\top\big)
      && \texttt{embedding\_backward}
    \end{aligned}$$

    Nothing flows into the initial `states`: they are the carried states
    of truncated BPTT, constants.

    Args:
        model: a built `LanguageModel`.
        tokens: the word ids $w$, shape $(B, T)$.
        y: the next-word ids, shape $(B, T)$.
        states: per recurrent layer, its initial states (`[h]` or `[h, c]`),
            or `None` for zeros. Defaults to `None`.
        training: whether dropout is on. Defaults to `True`.
        seed_scale: a function applied to $ds$ before it flows down (the
            optimizer's loss scaling), or `None`. Defaults to `None`.

    Returns:
        `(grads, scores, final_states)`: the gradients of $J$ in
        `model.trainable_variables` order, the scores $s$ and, per
        recurrent layer, its final states.
    """
    tokens = ops.convert_to_tensor(tokens)
    dtype = model.compute_dtype

    def weight(v):
        return ops.cast(v, dtype)

    E = weight(model.embedding.embeddings)
    B, T = ops.shape(tokens)[0], tokens.shape[1]
    zeros = ops.zeros((B, model.units), dtype=dtype)

    # Forward, keeping the caches and the dropout masks.
    masks = [model.drops[0](ops.ones((B, T, E.shape[1]), dtype=dtype), training=training)]
    x = ops.take(E, tokens, axis=0) * masks[0]
    caches, final = [], []
    for k, layer in enumerate(model.recurrent_layers):
        W_x, W_h, b = (weight(v) for v in (layer.cell.kernel, layer.cell.recurrent_kernel,
                                           layer.cell.bias))
        s0 = [zeros] * model.states_per_layer if states is None else states[k]
        s0 = [ops.cast(s, dtype) for s in s0]
        if model.cell == "lstm":
            hs, c, cache = time_lstm_forward(x, s0[0], s0[1], W_x, W_h, b)
            final.append([hs[:, -1], c])
        else:
            hs, cache = time_rnn_forward(x, s0[0], W_x, W_h, b)
            final.append([hs[:, -1]])
        caches.append(cache)
        masks.append(model.drops[k + 1](ops.ones_like(hs), training=training))
        x = hs * masks[-1]
    if model.tie_weights:
        W, b = ops.transpose(E), weight(model.output_bias)
    else:
        W, b = weight(model.dense.kernel), weight(model.dense.bias)
    scores = ops.matmul(x, W) + b

    # Backward, from the loss down.
    ds = softmax_cross_entropy_backward(scores, y)
    if seed_scale is not None:
        ds = seed_scale(ds)
    dW, db, dx = affine_backward(x, ds, W)
    grads = {}
    for k in reversed(range(model.num_layers)):
        cell = model.recurrent_layers[k].cell
        backward = time_lstm_backward if model.cell == "lstm" else time_rnn_backward
        dx, dW_x, dW_h, db_k = backward(caches[k], dx * masks[k + 1])
        grads.update({id(cell.kernel): dW_x, id(cell.recurrent_kernel): dW_h, id(cell.bias): db_k})
    dE = embedding_backward(tokens, dx * masks[0], E.shape[0])
    if model.tie_weights:
        dE = dE + ops.transpose(dW)  # the output layer's contribution, W = E^T
        grads[id(model.output_bias)] = db
    else:
        grads.update({id(model.dense.kernel): dW, id(model.dense.bias): db})
    grads[id(model.embedding.embeddings)] = dE
    weights = model.trainable_variables
    return [ops.cast(grads[id(v)], v.dtype) for v in weights], scores, final
