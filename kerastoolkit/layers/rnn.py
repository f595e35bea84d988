"""The simple recurrent cell, and the sequence layers that run a cell over time."""

import keras
from keras import ops

__all__ = ["DropoutMasks", "RNN", "SimpleRNN", "SimpleRNNCell"]

# Keys of a cell's base-layer config that the sequence layer sets itself.
_LAYER_KEYS = ("name", "trainable", "dtype")


def _check_units(units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
    return units


def _output_size(cell):
    """A cell's output width: `output_size`, or (as Keras reads it) its first state size."""
    size = getattr(cell, "output_size", None)
    if size is None:
        state_size = cell.state_size
        size = state_size[0] if isinstance(state_size, (list, tuple)) else state_size
    return size


def _check_rate(name, rate):
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"`{name}` must be a float in [0, 1). Received: {name}={rate!r}")
    return float(rate)


class DropoutMasks:
    r"""Variational dropout for a recurrent cell: one mask per sequence, not per step.

    Dropping different units at every time step would destroy the memory the
    recurrence carries; instead the same masks $m_x$ (on the input $x_t$) and
    $m_h$ (on the recurrent input $h_{t-1}$) serve every step of a sequence.
    They are drawn before the time loop by the sequence layer (`RNN`,
    `SimpleRNN`, `LSTM`), which calls `get_dropout_mask` and
    `get_recurrent_dropout_mask` first and the two `reset_*` methods after, as
    Keras's own layers do for its cells. Each entry of a mask is $0$ with
    probability $p$ and $1/(1-p)$ otherwise (inverted dropout), so the expected
    input is unchanged.

    A cell using this mixin sets `dropout`, `recurrent_dropout`, `units` and a
    `keras.random.SeedGenerator` in `seed_generator`.
    """

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _draw(self, like, rate):
        return keras.random.dropout(ops.ones_like(like), rate, seed=self.seed_generator)

    def get_dropout_mask(self, step_input):
        """Draw (once) and return $m_x$, shaped like one time step of the input."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._draw(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        """Draw (once) and return $m_h$, shaped like the hidden state."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._draw(step_state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        """Forget $m_x$: the next sequence draws a new one."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        """Forget $m_h$: the next sequence draws a new one."""
        self._recurrent_dropout_mask = None

    def dropped(self, x, h_tm1, training):
        """Apply the drawn masks to one step's input and previous state.

        Raises a `ValueError` when training needs masks that were not drawn,
        which happens when a cell with dropout runs inside a plain
        `keras.layers.RNN` (Keras draws masks only for its own cells): wrap it
        in `kerastoolkit.layers.RNN` instead.
        """
        if not training:
            return x, h_tm1
        for rate, mask, name in (
            (self.dropout, self._dropout_mask, "dropout"),
            (self.recurrent_dropout, self._recurrent_dropout_mask, "recurrent_dropout"),
        ):
            if rate > 0 and mask is None:
                raise ValueError(
                    f"{type(self).__name__}({name}={rate}) draws its dropout masks once per "
                    "sequence, before the time loop, and none was drawn: run the cell inside "
                    "`kerastoolkit.layers.RNN` (keras.layers.RNN draws masks only for Keras's "
                    "own cells), or call `get_dropout_mask` / `get_recurrent_dropout_mask` "
                    "before the loop."
                )
        if self._dropout_mask is not None and x is not None:
            # One step (batch, features), or a whole sequence (batch, time, features).
            m_x = self._dropout_mask
            x = x * (ops.expand_dims(m_x, 1) if len(x.shape) == 3 else m_x)
        if self._recurrent_dropout_mask is not None and h_tm1 is not None:
            h_tm1 = h_tm1 * self._recurrent_dropout_mask
        return x, h_tm1


def project_inputs(x, kernel, bias=None):
    r"""$x W_x (+ b)$ for one step (batch, features) or all steps (batch, time, features).

    The input's share of a recurrent pre-activation does not depend on the
    state, so a sequence layer computes it for every time step in one
    (batch·time × features) matrix product before the loop.
    """
    z = ops.matmul(ops.reshape(x, (-1, x.shape[-1])) if len(x.shape) == 3 else x, kernel)
    if bias is not None:
        z = z + bias  # on the 2-D product, where TensorFlow fuses it into the matmul
    if len(x.shape) == 3:
        z = ops.reshape(z, (ops.shape(x)[0], ops.shape(x)[1], kernel.shape[-1]))
    return z


class ProjectedInputs(DropoutMasks):
    r"""A cell's step split in two: `project`, the state-free $(x \odot m_x) W_x + b$,
    and the cell's own `step` from that projection and the state.

    `RNN` projects a whole sequence in one product before its time loop and
    then runs only `step`; called on its own (e.g. inside `keras.layers.RNN`),
    the cell projects one step and steps.
    """

    # Set by `RNN` while its loop feeds already projected inputs (see `project`).
    inputs_projected = False

    def call(self, inputs, states, training=False):
        z_x = inputs if self.inputs_projected else self.project(inputs, training)
        return self.step(z_x, states, training)

    def project(self, inputs, training=False):
        r"""$(x \odot m_x) W_x + b$, the state-free part, for one step or a whole sequence."""
        x, _ = self.dropped(inputs, None, training)
        return project_inputs(x, self.kernel, self.bias)


def time_major(x):
    """(batch, time, ...) <-> (time, batch, ...): the layout `keras.ops.scan` loops over."""
    return ops.transpose(x, (1, 0, *range(2, len(x.shape))))


def previous(h0, hs):
    r"""$h_{t-1}$ for every step: $h_0$ then $h_1 \dots h_{T-1}$, time major."""
    return ops.concatenate([ops.expand_dims(h0, 0), hs[:-1]], axis=0)


def masked(h, mask):
    """`h ⊙ mask`, or `h` when there is no dropout mask."""
    return h if mask is None else h * mask


def split_last(x):
    """`x[:-1]` and `x[-1]` along the first axis (one split when the length is known)."""
    n = x.shape[0]
    if n is None:
        return x[:-1], x[-1]
    first, last = ops.split(x, [n - 1], axis=0)
    return first, last[0]


def rows(x):
    """A (time, batch, width) array as one (time·batch, width) matrix."""
    return ops.reshape(x, (-1, x.shape[-1]))


# A sequence of at most this many steps (known when the graph is built) is
# unrolled by `scan`: TensorFlow's while loop adds about four control-flow ops
# per loop variable to every step, more than an LSTM step's own arithmetic.
UNROLL_STEPS = 100


def scan(step, init, xs, reverse=False):
    r"""`keras.ops.scan` for a step whose per-step output mirrors its carry.

    `step(carry, x_t)` returns `(carry, y_t)` with `y_t` shaped like `carry`
    (a tensor or a tuple of tensors); the result is the last carry and every
    $y_t$ stacked on a new leading axis, in time order (the loop runs from the
    end with `reverse`). On TensorFlow a sequence of a known length up to
    `UNROLL_STEPS` is unrolled into the graph, step after step; longer or
    unknown lengths, and the other backends, take `keras.ops.scan`.
    """
    n = keras.tree.flatten(xs)[0].shape[0]
    if keras.backend.backend() != "tensorflow" or n is None or n > UNROLL_STEPS:
        return ops.scan(step, init, xs, reverse=reverse)
    steps = [ops.unstack(x, axis=0) for x in keras.tree.flatten(xs)]
    carry, ys = init, [None] * n
    for t in reversed(range(n)) if reverse else range(n):
        carry, ys[t] = step(carry, keras.tree.pack_sequence_as(xs, [s[t] for s in steps]))
    stacked = [ops.stack(y, axis=0) for y in zip(*(keras.tree.flatten(y) for y in ys))]
    return carry, keras.tree.pack_sequence_as(init, stacked)


def tanh_recurrence(z, h0, recurrent_kernel, recurrent_mask=None):
    r"""The tanh recurrence over a whole sequence, its backward through time by hand.

    The forward pass is `SimpleRNNCell.step` at every step of the projected
    inputs $z_t = (x_t \odot m_x) W_x + b$ (time major, shape $(T, B, H)$):

    $$h_t = \tanh\big(z_t + (h_{t-1} \odot m_h) W_h\big), \qquad t = 1, \dots, T$$

    The backward pass, in reverse time from $dh^{\text{next}} = 0$, keeps in
    the loop only what depends on the step after:

    $$\begin{aligned}
    dz_t &= (dh_t + dh^{\text{next}}) \odot (1 - h_t^2), \qquad
    dh^{\text{next}} \leftarrow (dz_t W_h^\top) \odot m_h
    \end{aligned}$$

    and sums the weight's gradient over every step in one matrix product
    after the loop, $\partial J / \partial W_h = \sum_t (h_{t-1} \odot m_h)^\top dz_t$;
    the $dh^{\text{next}}$ left at the start is $\partial J / \partial h_0$.
    Automatic differentiation of the loop instead accumulates that sum one
    small product per step.

    Returns every $h_t$, time major.
    """

    @ops.custom_gradient
    def recurrence(z, h0, w_h):
        def forward(h, z_t):
            h = ops.tanh(z_t + ops.matmul(masked(h, recurrent_mask), w_h))
            return h, h

        _, hs = scan(forward, h0, z)

        def grad(*args, upstream=None):
            d_hs = args[0] if upstream is None else upstream  # TF: positional; JAX: keyword
            w_h_t = ops.transpose(w_h)

            def backward(dh_next, step):
                d_h, slope = step
                dz = (d_h + dh_next) * slope
                return masked(ops.matmul(dz, w_h_t), recurrent_mask), dz

            dh0, dz = scan(backward, ops.zeros_like(h0), (d_hs, 1 - hs * hs), reverse=True)
            h_in = masked(previous(h0, hs), recurrent_mask)
            return dz, dh0, ops.matmul(ops.transpose(rows(h_in)), rows(dz))

        return hs, grad

    return recurrence(z, h0, recurrent_kernel)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SimpleRNNCell(ProjectedInputs, keras.layers.Layer):
    r"""One step of the plain (Elman) recurrent network.

    The new hidden state mixes the current input with the previous hidden
    state through two matrices and squashes the sum; the state is both the
    step's output and what the next step remembers. Run it over a sequence
    with `SimpleRNN` (or `RNN(SimpleRNNCell(...))`).

    Let $W_x$ be `kernel` (features × `units`), $W_h$ be `recurrent_kernel`
    (`units` × `units`), $b$ be `bias`, $\phi$ be `activation`, and $m_x$,
    $m_h$ the dropout masks (all ones unless training with `dropout` /
    `recurrent_dropout`, see `DropoutMasks`):

    $$\begin{aligned}
    h_t &= \phi\big((x_t \odot m_x) W_x + (h_{t-1} \odot m_h) W_h + b\big)
    \end{aligned}$$

    It matches `keras.layers.SimpleRNNCell` (same arguments, defaults and
    weights `kernel`, `recurrent_kernel`, `bias`); unlike Keras it refuses
    dropout rates outside $[0, 1)$ instead of clamping them.

    Args:
        units: the size of $h$, a positive integer.
        activation: $\phi$. Defaults to `"tanh"`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $W_x$. Defaults to `"glorot_uniform"`.
        recurrent_initializer: initializer of $W_h$. Defaults to `"orthogonal"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
        kernel_regularizer: regularizer of $W_x$. Defaults to `None`.
        recurrent_regularizer: regularizer of $W_h$. Defaults to `None`.
        bias_regularizer: regularizer of $b$. Defaults to `None`.
        kernel_constraint: constraint on $W_x$. Defaults to `None`.
        recurrent_constraint: constraint on $W_h$. Defaults to `None`.
        bias_constraint: constraint on $b$. Defaults to `None`.
        dropout: rate of $m_x$, in $[0, 1)$. Defaults to `0.0`.
        recurrent_dropout: rate of $m_h$, in $[0, 1)$. Defaults to `0.0`.
        seed: seed of the dropout masks. Defaults to `None`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import SimpleRNNCell
        >>> cell = SimpleRNNCell(3, kernel_initializer="ones",
        ...                      recurrent_initializer="zeros")
        >>> h, [h_next] = cell(np.ones((1, 2), "float32"), [np.zeros((1, 3), "float32")])
        >>> np.round(keras.ops.convert_to_numpy(h), 4)  # tanh(1 + 1)
        array([[0.964, 0.964, 0.964]], dtype=float32)

    References:
        - Elman, 1990. Finding structure in time.
        - Gal & Ghahramani, 2016. A theoretically grounded application of
          dropout in recurrent neural networks.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _check_units(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
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
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def step(self, z_x, states, training=False):
        r"""$h_t = \phi(z_x + (h_{t-1} \odot m_h) W_h)$ from the projected input $z_x$."""
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        _, h_in = self.dropped(None, h_tm1, training)
        h = self.activation(z_x + ops.matmul(h_in, self.recurrent_kernel))
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def sequence_backward_applies(self):
        """Whether `sequence` can run this cell: tanh, the one derivative it is written for."""
        return self.activation is keras.activations.tanh

    def sequence(self, z, states, recurrent_mask=None):
        """Every $h_t$ (time major) and the final state, by `tanh_recurrence`."""
        h0 = states[0] if isinstance(states, (list, tuple)) else states
        w_h = ops.cast(self.recurrent_kernel, self.compute_dtype)
        hs = tanh_recurrence(z, h0, w_h, recurrent_mask)
        return hs, [hs[-1]]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
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
class RNN(keras.layers.RNN):
    r"""Run a recurrent cell over a whole sequence ("Time RNN"), drawing dropout masks first.

    The cell is applied at every time step, each step's new state feeding the
    next: from $s_0$ (zeros, `initial_state`, or the kept state when
    `stateful`), $y_t, s_t = \text{cell}(x_t, s_{t-1})$ for
    $t = 1, \dots, T$. The result is $y_T$, or all of $y_1 \dots y_T$ with
    `return_sequences`, followed by the final state $s_T$ with
    `return_state`. Masked steps keep the previous output and state.

    It is `keras.layers.RNN` (whose loop, masking, `stateful`,
    `go_backwards` and `unroll` it inherits) plus three things. It computes
    the input projection of kerastoolkit's cells for all steps before the
    loop, and on TensorFlow and JAX, for `SimpleRNNCell` and `LSTMCell` without a
    mask or `unroll`, it runs the cell's whole-sequence `sequence` (the
    backward pass through time derived by hand, see `tanh_recurrence`)
    instead of Keras's loop. Before
    the loop it draws the per-sequence dropout masks of kerastoolkit's cells
    (`DropoutMasks`), which Keras does only for its own cells, and it checks
    `initial_state` against the cell's `state_size` so a mismatch fails with a
    clear message.

    Args:
        cell: a recurrent cell (`SimpleRNNCell`, `LSTMCell`, any Keras cell;
            without `output_size`, the first state size is the output's, as
            in Keras) or a list of cells to stack.
        return_sequences: return every $y_t$, not only $y_T$.
            Defaults to `False`.
        return_state: also return the final state(s). Defaults to `False`.
        go_backwards: read the sequence from the end. Defaults to `False`.
        stateful: keep the final state of each batch row as the initial state
            of the same row in the next batch. Defaults to `False`.
        unroll: unroll the loop into a static graph. Defaults to `False`.
        zero_output_for_mask: output zeros (not the previous output) at
            masked steps. Defaults to `False`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import RNN, SimpleRNNCell
        >>> rnn = RNN(SimpleRNNCell(4, dropout=0.5), return_sequences=True)
        >>> rnn(np.ones((2, 5, 3), "float32"), training=True).shape
        TensorShape([2, 5, 4])

    References:
        - Werbos, 1990. Backpropagation through time: what it does and how
          to do it.
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )
        self.input_spec = keras.InputSpec(ndim=3)

    def _check_initial_state(self, sequences, initial_state):
        states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        want = [(sequences.shape[0], size) for size in self.state_size]
        got = [tuple(getattr(s, "shape", ())) for s in states]
        ok = len(got) == len(want) and all(
            len(g) == 2 and g[1] == w[1] and (None in (g[0], w[0]) or g[0] == w[0])
            for g, w in zip(got, want)
        )
        if not ok:
            raise ValueError(
                f"`initial_state` must be {len(want)} tensor(s) of shape (batch, state size) "
                f"with state sizes {[w[1] for w in want]} for inputs of shape "
                f"{tuple(sequences.shape)}. Received: initial_state shapes={got}"
            )

    def _cells(self):
        return getattr(self.cell, "cells", [self.cell])

    def _draw_masks(self, sequences):
        batch = ops.shape(sequences)[0]
        width = sequences.shape[-1]
        for cell in self._cells():
            if isinstance(cell, DropoutMasks):
                cell.get_dropout_mask(ops.ones((batch, width), dtype=cell.compute_dtype))
                cell.get_recurrent_dropout_mask(
                    ops.ones((batch, cell.units), dtype=cell.compute_dtype)
                )
            width = _output_size(cell)

    def _reset_masks(self):
        for cell in self._cells():
            if isinstance(cell, DropoutMasks):
                cell.reset_dropout_mask()
                cell.reset_recurrent_dropout_mask()

    def inner_loop(self, sequences, initial_state, mask, training=False):
        r"""Keras's loop, with the input projection of our cells taken out of it.

        A kerastoolkit cell (one with `project` and `step`) has its input
        share $(x_t \odot m_x) W_x$ computed for all time steps in one matrix
        product first; Keras's loop then runs on the projected sequence, each
        step calling the cell with `inputs_projected` set so that it only
        adds the recurrent share. Masking, `go_backwards` and `unroll` act on
        the projected sequence exactly as on the inputs. Where
        `_sequence_backward_applies`, the cell's `sequence` runs instead of
        Keras's loop, on the time-major projection (reversed for
        `go_backwards`). Other cells (Keras's, stacks of cells) run Keras's
        loop unchanged.
        """
        cell = self.cell
        if not (hasattr(cell, "project") and hasattr(cell, "step")):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if self._sequence_backward_applies(mask):
            # Time major before the projection: the inputs are narrower than z.
            x, _ = cell.dropped(sequences, None, training)
            z = project_inputs(time_major(x), cell.kernel, cell.bias)
            if self.go_backwards:
                z = ops.flip(z, axis=0)
            recurrent_mask = cell._recurrent_dropout_mask if training else None
            hs, states = cell.sequence(z, initial_state, recurrent_mask)
            outputs = time_major(hs)
            return outputs[:, -1], outputs, states
        projected = cell.project(sequences, training=training)
        cell.inputs_projected = True
        try:
            return super().inner_loop(projected, initial_state, mask, training=training)
        finally:
            cell.inputs_projected = False

    def _sequence_backward_applies(self, mask):
        """Whether the cell's whole-sequence loop with the backward by hand runs.

        On TensorFlow and JAX, for a kerastoolkit cell whose `sequence_backward_applies`
        holds, without a mask and without `unroll`; otherwise Keras's loop runs
        and is differentiated automatically.
        """
        return (
            keras.backend.backend() in ("tensorflow", "jax")
            and mask is None
            and not self.unroll
            and hasattr(self.cell, "sequence")
            and self.cell.sequence_backward_applies()
        )

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if initial_state is not None:
            self._check_initial_state(sequences, initial_state)
        if training:
            self._draw_masks(sequences)
        try:
            return super().call(
                sequences, initial_state=initial_state, mask=mask, training=training
            )
        finally:
            self._reset_masks()


class _CellSequence(RNN):
    """A sequence layer built from its cell's arguments; its config is the cell's, flat."""

    @property
    def units(self):
        return self.cell.units

    @property
    def dropout(self):
        return self.cell.dropout

    @property
    def recurrent_dropout(self):
        return self.cell.recurrent_dropout

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config["activity_regularizer"] = keras.regularizers.serialize(self.activity_regularizer)
        cell_config = {
            k: v for k, v in self.cell.get_config().items() if k not in _LAYER_KEYS
        }
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class SimpleRNN(_CellSequence):
    r"""The plain recurrent network over a whole sequence (the course's "Time RNN").

    `SimpleRNNCell` applied at every time step by `RNN`, with the hidden state
    $h$ carried from step to step:

    $$\begin{aligned}
    h_t &= \phi\big((x_t \odot m_x) W_x + (h_{t-1} \odot m_h) W_h + b\big),
    \quad t = 1, \dots, T
    \end{aligned}$$

    with the symbols of `SimpleRNNCell` ($h_0$ zeros unless `initial_state`
    or `stateful`). It matches `keras.layers.SimpleRNN`: same arguments,
    defaults, outputs and weight layout, so `set_weights` copies across.

    Args:
        units: the size of $h$, a positive integer.
        activation: $\phi$. Defaults to `"tanh"`.
        use_bias: whether to add $b$. Defaults to `True`.
        kernel_initializer: initializer of $W_x$. Defaults to `"glorot_uniform"`.
        recurrent_initializer: initializer of $W_h$. Defaults to `"orthogonal"`.
        bias_initializer: initializer of $b$. Defaults to `"zeros"`.
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
        return_state: also return $h_T$. Defaults to `False`.
        go_backwards: read the sequence from the end. Defaults to `False`.
        stateful: carry $h_T$ of each batch row into the next batch.
            Defaults to `False`.
        unroll: unroll the loop into a static graph. Defaults to `False`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.layers import SimpleRNN
        >>> rnn = SimpleRNN(4, return_sequences=True, return_state=True)
        >>> seq, h = rnn(np.ones((2, 5, 3), "float32"))
        >>> seq.shape, h.shape
        (TensorShape([2, 5, 4]), TensorShape([2, 4]))
        >>> bool(np.allclose(seq[:, -1], h))
        True

    References:
        - Elman, 1990. Finding structure in time.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        **kwargs,
    ):
        cell = SimpleRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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
