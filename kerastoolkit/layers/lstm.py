"""Long short-term memory: the gated cell and the layer that runs it over a sequence."""

import keras
from keras import ops

from kerastoolkit.layers.rnn import (
    ProjectedInputs,
    _CellSequence,
    _check_rate,
    _check_units,
    masked,
    previous,
    rows,
    scan,
    split_last,
)

__all__ = ["LSTM", "LSTMCell"]

# The four gates, in Keras's order along the last axis of kernel and bias.
GATES = 4

# Keras's two ways of computing the gates: 1 (four products), 2 (one fused product).
IMPLEMENTATIONS = (1, 2)


def _check_implementation(implementation):
    if isinstance(implementation, bool) or implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f"`implementation` must be one of {IMPLEMENTATIONS}. "
            f"Received: implementation={implementation!r}"
        )
    return implementation


def lstm_recurrence(z, h0, c0, recurrent_kernel, recurrent_mask=None):
    r"""The LSTM over a whole sequence, its backward through time by hand.

    The forward pass is `LSTMCell.step` at every step of the projected inputs
    $z_t = (x_t \odot m_x) W_x + b$ (time major, shape $(T, B, 4H)$):

    $$\begin{aligned}
    [a_i, a_f, a_g, a_o] &= z_t + (h_{t-1} \odot m_h) W_h, \qquad
    i, f, o = \sigma(a_{i,f,o}), \quad g = \tanh(a_g) \\
    c_t &= f \odot c_{t-1} + g \odot i, \qquad h_t = o \odot \tanh(c_t)
    \end{aligned}$$

    The forward loop keeps every step's gates; from them the backward pass
    first computes, for all steps at once, the local derivatives
    $\partial h_t / \partial c_t = o \odot (1 - \tanh^2 c_t)$ and
    $G_t = [\,g \odot i(1-i),\ c_{t-1} \odot f(1-f),\ i \odot (1-g^2),\
    \tanh(c_t) \odot o(1-o)\,]$, the derivatives of $c_t$ (for $i, f, g$) and
    of $h_t$ (for $o$) with respect to the four pre-activations. The loop in
    reverse time, from $dh^{\text{next}} = 0$ and $dc^{\text{next}} = dc_T$,
    then does only

    $$\begin{aligned}
    dh &= dh_t + dh^{\text{next}}, \qquad
    dc = dc^{\text{next}} + dh \odot o \odot (1 - \tanh^2 c_t) \\
    da_t &= [\,dc, dc, dc, dh\,] \odot G_t, \qquad
    dh^{\text{next}} \leftarrow (da_t W_h^\top) \odot m_h, \qquad
    dc^{\text{next}} \leftarrow dc \odot f
    \end{aligned}$$

    ($dh_t$: the gradient reaching the output $h_t$ from outside, $dc_T$: the
    final memory cell's), and $\partial J / \partial W_h = \sum_t (h_{t-1} \odot m_h)^\top da_t$
    is one product after it. What is left at the start is the gradient of
    $h_0$ and $c_0$.

    Returns every $h_t$ followed by $c_T$, shape $(T + 1, B, H)$.
    """

    def gates(sig, tanh):
        """i, f, o from σ of the four blocks, g from their tanh."""
        i, f, _, o = ops.split(sig, GATES, axis=-1)
        return i, f, ops.split(tanh, GATES, axis=-1)[2], o

    @ops.custom_gradient
    def recurrence(z, h0, c0, w_h):
        def forward(state, z_t):
            h, c, _, _ = state
            a = z_t + ops.matmul(masked(h, recurrent_mask), w_h)
            # Both functions over all four blocks (two ops, not four), kept for
            # the backward pass in the carry, which `scan` stacks step by step.
            sig, tanh = ops.sigmoid(a), ops.tanh(a)
            i, f, g, o = gates(sig, tanh)
            c = f * c + g * i
            h = o * ops.tanh(c)
            return (h, c, sig, tanh), (h, c, sig, tanh)

        no_gates = ops.zeros_like(z[0])
        _, (hs, cs, sigs, tanhs) = scan(forward, (h0, c0, no_gates, no_gates), z)

        def grad(*args, upstream=None):
            d_out = args[0] if upstream is None else upstream  # TF: positional; JAX: keyword
            h_in = masked(previous(h0, hs), recurrent_mask)
            i, f, g, o = gates(sigs, tanhs)
            tanh_c = ops.tanh(cs)
            dh_dc = o * (1 - tanh_c * tanh_c)
            local = ops.concatenate(
                [g * i * (1 - i), previous(c0, cs) * f * (1 - f), i * (1 - g * g),
                 tanh_c * o * (1 - o)],
                axis=-1,
            )
            w_h_t = ops.transpose(w_h)

            def backward(state, step):
                dh_next, dc_next = state
                d_h, dh_dc_t, local_t, f_t = step
                dh = d_h + dh_next
                dc = dc_next + dh * dh_dc_t
                da = ops.concatenate([dc, dc, dc, dh], axis=-1) * local_t
                dh_next = masked(ops.matmul(da, w_h_t), recurrent_mask)
                return (dh_next, dc * f_t), (dh, dc)

            (dh0, dc0), (dh, dc) = scan(
                backward,
                (ops.zeros_like(h0), d_out[-1]),  # dc^next starts at c_T's gradient
                (d_out[:-1], dh_dc, local, f),
                reverse=True,
            )
            da = ops.concatenate([dc, dc, dc, dh], axis=-1) * local
            return da, dh0, dc0, ops.matmul(ops.transpose(rows(h_in)), rows(da))

        return ops.concatenate([hs, cs[-1:]], axis=0), grad

    return recurrence(z, h0, c0, recurrent_kernel)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LSTMCell(ProjectedInputs, keras.layers.Layer):
    r"""One step of the long short-term memory network.

    Besides the hidden state $h$ that it outputs, the LSTM keeps a memory cell
    $c$ that only it reads. Three sigmoid gates decide, unit by unit, how much
    of the old memory to forget ($f$), how much of a tanh candidate $g$ to
    write ($i$) and how much of the squashed memory to show ($o$). Because the
    memory is updated by addition rather than by a matrix product, gradients
    flow back through many steps without vanishing.

    Let $W_x$ be `kernel` (features × 4·`units`), $W_h$ be
    `recurrent_kernel` (`units` × 4·`units`), $b$ be `bias` (4·`units`), each
    holding the gates side by side in the order $i, f, g, o$; $\sigma$ be
    `recurrent_activation`, $\tanh$ be `activation`; $m_x$, $m_h$ the dropout
    masks (all ones unless training with `dropout` / `recurrent_dropout`, see
    `DropoutMasks`). One fused product gives all four gates:

    $$\begin{aligned}
    [z_i, z_f, z_g, z_o] &= (x_t \odot m_x) W_x + (h_{t-1} \odot m_h) W_h + b \\
    i &= \sigma(z_i), \quad f = \sigma(z_f), \quad g = \tanh(z_g),
    \quad o = \sigma(z_o) \\
    c_t &= f \odot c_{t-1} + g \odot i \\
    h_t &= o \odot \tanh(c_t)
    \end{aligned}$$

    It matches `keras.layers.LSTMCell`: same arguments and defaults, same
    weights in the same gate order (Keras names $g$ "c"), so `set_weights`
    copies across; `unit_forget_bias` starts $b_f$ at 1. Two differences:
    dropout rates outside $[0, 1)$ are refused rather than clamped, and one
    mask $m_x$ and one mask $m_h$ serve all four gates, keeping the single
    fused product. Keras does the same without `recurrent_dropout`; with it,
    Keras switches to its per-gate implementation, drawing four input masks
    (for `dropout`) and four recurrent masks, one per gate, with a product
    per gate; so with dropout in training the two draw different masks.
    Keras's `implementation` argument is accepted (1 or 2); both compute the
    one fused product here (Keras's 1 splits it into four, the same sums up
    to rounding), and it is not saved in the config, as in Keras.

    Args:
        units: the size of $h$ and $c$, a positive integer.
        activation: the squashing function written $\tanh$. Defaults to `"tanh"`.
        recurrent_activation: the gate function $\sigma$.
            Defaults to `"sigmoid"`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $W_x$. Defaults to `"glorot_uniform"`.
        recurrent_initializer: initializer of $W_h$. Defaults to `"orthogonal"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
        unit_forget_bias: start the forget-gate bias $b_f$ at 1 (the other
            gates use `bias_initializer`). Defaults to `True`.
        kernel_regularizer: regularizer of $W_x$. Defaults to `None`.
        recurrent_regularizer: regularizer of $W_h$. Defaults to `None`.
        bias_regularizer: regularizer of $b$. Defaults to `None`.
        kernel_constraint: constraint on $W_x$. Defaults to `None`.
        recurrent_constraint: constraint on $W_h$. Defaults to `None`.
        bias_constraint: constraint on $b$. Defaults to `None`.
        dropout: rate of $m_x$, in $[0, 1)$. Defaults to `0.0`.
        recurrent_dropout: rate of $m_h$, in $[0, 1)$. Defaults to `0.0`.
        seed: seed of the dropout masks. Defaults to `None`.
        implementation: `1` or `2`, accepted for Keras's configs and
            scripts; the computation is the same. Defaults to `2`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import LSTMCell
        >>> cell = LSTMCell(2, kernel_initializer="zeros")
        >>> x, h0, c0 = np.ones((1, 3)), np.zeros((1, 2)), np.ones((1, 2))
        >>> h, (h1, c1) = cell(x.astype("float32"), [h0.astype("float32"), c0.astype("float32")])
        >>> np.round(keras.ops.convert_to_numpy(c1), 4)  # sigmoid(1) * 1 + tanh(0) * 0.5
        array([[0.7311, 0.7311]], dtype=float32)

    References:
        - Hochreiter & Schmidhuber, 1997. Long short-term memory.
        - Gers, Schmidhuber & Cummins, 2000. Learning to forget: continual
          prediction with LSTM.
        - Jozefowicz, Zaremba & Sutskever, 2015. An empirical exploration of
          recurrent network architectures.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        implementation=2,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.implementation = _check_implementation(implementation)
        self.units = _check_units(units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = _check_rate("dropout", dropout)
        self.recurrent_dropout = _check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _forget_bias_initializer(self, shape, dtype=None):
        n = self.units
        return ops.concatenate(
            [
                self.bias_initializer((n,), dtype=dtype),
                ops.ones((n,), dtype=dtype),
                self.bias_initializer((2 * n,), dtype=dtype),
            ]
        )

    def build(self, input_shape):
        n = self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], GATES * n),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(n, GATES * n),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(GATES * n,),
                name="bias",
                initializer=(
                    self._forget_bias_initializer
                    if self.unit_forget_bias
                    else self.bias_initializer
                ),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def step(self, z_x, states, training=False):
        r"""One step from the projected input $z_x$: the gates, $c_t$ and $h_t$."""
        h_tm1, c_tm1 = states[0], states[1]
        _, h_in = self.dropped(None, h_tm1, training)
        z = z_x + ops.matmul(h_in, self.recurrent_kernel)
        z_i, z_f, z_g, z_o = ops.split(z, GATES, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        g = self.activation(z_g)
        o = self.recurrent_activation(z_o)
        c = f * c_tm1 + g * i
        h = o * self.activation(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, n), dtype=self.compute_dtype) for n in self.state_size]

    def sequence_backward_applies(self):
        """Whether `sequence` can run this cell: the tanh / sigmoid it is derived for."""
        return (
            self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
        )

    def sequence(self, z, states, recurrent_mask=None):
        """Every $h_t$ (time major) and the final $[h_T, c_T]$, by `lstm_recurrence`."""
        w_h = ops.cast(self.recurrent_kernel, self.compute_dtype)
        out = lstm_recurrence(z, states[0], states[1], w_h, recurrent_mask)
        hs, c_T = split_last(out)
        return hs, [hs[-1], c_T]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": keras.regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": keras.constraints.serialize(self.recurrent_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LSTM(_CellSequence):
    r"""The LSTM over a whole sequence (the course's "Time LSTM").

    `LSTMCell` applied at every time step by `RNN`, carrying the hidden state
    $h$ and the memory cell $c$ from step to step ($h_0 = c_0 = 0$ unless
    `initial_state` or `stateful`):

    $$\begin{aligned}
    [z_i, z_f, z_g, z_o] &= (x_t \odot m_x) W_x + (h_{t-1} \odot m_h) W_h + b \\
    c_t &= \sigma(z_f) \odot c_{t-1} + \tanh(z_g) \odot \sigma(z_i) \\
    h_t &= \sigma(z_o) \odot \tanh(c_t), \quad t = 1, \dots, T
    \end{aligned}$$

    with the symbols of `LSTMCell`. It matches `keras.layers.LSTM`: same
    arguments, defaults, outputs (with `return_state`: output, $h_T$, $c_T$)
    and weight layout, so `set_weights` copies across. Keras's LSTM can hand
    the loop to cuDNN on a GPU; this one always runs the cell in Keras's
    backend loop, which is what Keras's LSTM runs on a CPU, so `use_cudnn`
    is accepted as `"auto"` or `False` and `True` is refused.

    Args:
        units: the size of $h$ and $c$, a positive integer.
        activation: the squashing function written $\tanh$. Defaults to `"tanh"`.
        recurrent_activation: the gate function $\sigma$.
            Defaults to `"sigmoid"`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $W_x$. Defaults to `"glorot_uniform"`.
        recurrent_initializer: initializer of $W_h$. Defaults to `"orthogonal"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
        unit_forget_bias: start the forget-gate bias at 1. Defaults to `True`.
        kernel_regularizer: regularizer of $W_x$. Defaults to `None`.
        recurrent_regularizer: regularizer of $W_h$. Defaults to `None`.
        bias_regularizer: regularizer of $b$. Defaults to `None`.
        activity_regularizer: regularizer of the output. Defaults to `None`.
        kernel_constraint: constraint on $W_x$. Defaults to `None`.
        recurrent_constraint: constraint on $W_h$. Defaults to `None`.
        bias_constraint: constraint on $b$. Defaults to `None`.
        dropout: rate of $m_x$, in $[0, 1)$. Defaults to `0.0`.
        recurrent_dropout: rate of $m_h$, in $[0, 1)$. Defaults to `0.0`.
        seed: seed of the dropout masks. Defaults to `None`.
        return_sequences: return every $h_t$, not only $h_T$. Defaults to `False`.
        return_state: also return $h_T$ and $c_T$. Defaults to `False`.
        go_backwards: read the sequence from the end. Defaults to `False`.
        stateful: carry $(h_T, c_T)$ of each batch row into the next batch.
            Defaults to `False`.
        unroll: unroll the loop into a static graph. Defaults to `False`.
        use_cudnn: `"auto"` or `False` (the backend loop either way); `True`
            is refused. Defaults to `"auto"`.
        implementation: `1` or `2`, see `LSTMCell`. Defaults to `2`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import LSTM
        >>> lstm = LSTM(4, return_state=True)
        >>> y, h, c = lstm(np.ones((2, 5, 3), "float32"))
        >>> y.shape, c.shape
        (TensorShape([2, 4]), TensorShape([2, 4]))
        >>> bool(np.allclose(y, h))
        True

    References:
        - Hochreiter & Schmidhuber, 1997. Long short-term memory.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        implementation=2,
        **kwargs,
    ):
        if not (use_cudnn is False or use_cudnn == "auto"):
            raise ValueError(
                "LSTM runs Keras's backend loop, never cuDNN, so `use_cudnn` must be 'auto' "
                f"or False. Received: use_cudnn={use_cudnn!r}"
            )
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            implementation=implementation,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_cudnn = use_cudnn
