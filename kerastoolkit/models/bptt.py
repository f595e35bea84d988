"""Truncated backpropagation through time: block layout, clipping, the carried states."""

import keras
import numpy as np
from keras import ops

__all__ = ["clip_by_global_norm", "truncated_bptt_batches"]


@keras.saving.register_keras_serializable(package="kerastoolkit", name="truncated_bptt_batches")
def truncated_bptt_batches(ids, batch_size, time_size):
    r"""Cut a corpus into the consecutive blocks that truncated BPTT trains on.

    The corpus $w_0 \dots w_{N-1}$ is split into `batch_size` parallel
    streams of length $L = \lfloor (N-1)/B \rfloor$, stream $b$ starting at
    $w_{bL}$; each stream is read in order, `time_size` words at a time. Row
    $kB + b$ of the result is block $k$ of stream $b$, so `fit` with the same
    `batch_size` and no shuffling gives batch $k$ = block $k$ of every stream,
    and the hidden state at the end of one batch is the right start for the
    next. Targets are the inputs shifted by one word:

    $$\begin{aligned}
    x_{kB+b,\,t} &= w_{bL + kT + t}, \qquad y_{kB+b,\,t} = w_{bL + kT + t + 1}
    \end{aligned}$$

    with $B$ = `batch_size`, $T$ = `time_size`, $t < T$ and
    $k < \lfloor L/T \rfloor$ (a tail shorter than a block is dropped).

    Args:
        ids: the corpus as a 1-D sequence of word ids.
        batch_size: $B$, the number of parallel streams.
        time_size: $T$, the block length (how far gradients reach back).

    Returns:
        `(x, y)`, two int32 arrays of shape $(\lfloor L/T \rfloor B, T)$.

    Examples:
        >>> from kerastoolkit.models import truncated_bptt_batches
        >>> x, y = truncated_bptt_batches(range(9), batch_size=2, time_size=2)
        >>> x.tolist(), y.tolist()
        ([[0, 1], [4, 5], [2, 3], [6, 7]], [[1, 2], [5, 6], [3, 4], [7, 8]])
    """
    w = np.asarray(ids, dtype="int32")
    for name, value in (("batch_size", batch_size), ("time_size", time_size)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    length = (len(w) - 1) // batch_size
    blocks = length // time_size
    if w.ndim != 1 or blocks == 0:
        raise ValueError(
            f"`ids` must be a 1-D corpus of at least batch_size * time_size + 1 = "
            f"{batch_size * time_size + 1} words. Received: ids of shape {w.shape}"
        )

    def layout(stream):
        s = stream[: batch_size * length].reshape(batch_size, length)[:, : blocks * time_size]
        s = s.reshape(batch_size, blocks, time_size).transpose(1, 0, 2)
        return s.reshape(blocks * batch_size, time_size)

    return layout(w), layout(w[1:])


@keras.saving.register_keras_serializable(package="kerastoolkit", name="clip_by_global_norm")
def clip_by_global_norm(gradients, threshold):
    r"""Rescale a list of gradients so that their joint norm is at most `threshold`.

    Exploding gradients are cut back to a fixed length while keeping their
    direction. With $\hat g$ all gradients seen as one vector and
    $\tau$ = `threshold`:

    $$\begin{aligned}
    \|\hat g\| &= \sqrt{\textstyle\sum_k \|g_k\|^2} \\
    \hat g &\leftarrow \frac{\tau}{\|\hat g\|}\, \hat g
    \quad \text{if } \|\hat g\| \ge \tau
    \end{aligned}$$

    It matches Keras's `global_clipnorm` optimizer option (TensorFlow's
    `clip_by_global_norm`) on dense gradients. `None` gradients are kept as
    `None` and left out of the norm. A sparse gradient (TensorFlow's
    `tf.IndexedSlices`, what the tape gives an embedding table) counts in the
    norm as the dense gradient it stands for, a row read several times by
    the sum of its slices; Keras's `global_clipnorm` and TensorFlow's
    `clip_by_global_norm` square the slices one by one instead, so on a batch
    that reads a word twice they measure another norm than the same
    gradient's dense form (the one JAX and PyTorch, and the hand-derived
    backward pass, give). A clipped sparse gradient comes back dense.

    Args:
        gradients: a list of gradient tensors (or `None`).
        threshold: $\tau$, a positive float.

    Returns:
        The list of rescaled gradients.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models import clip_by_global_norm
        >>> g = clip_by_global_norm([np.array([3.0, 0.0]), np.array([4.0])], 1.0)
        >>> [keras.ops.convert_to_numpy(x).tolist() for x in g]  # norm 5 -> 1
        [[0.6000000238418579, 0.0], [0.800000011920929]]
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0:
        raise ValueError(f"`threshold` must be a positive float. Received: threshold={threshold!r}")
    g = [None if x is None else ops.convert_to_tensor(x, dtype="float32") for x in gradients]
    norm = ops.sqrt(sum(_squared_norm(x) for x in g if x is not None))
    scale = ops.where(norm >= threshold, threshold / norm, 1.0)
    return [None if x is None else x * ops.cast(scale, x.dtype) for x in g]


def _squared_norm(x):
    """The squared norm of a gradient; a sparse one adds the slices of a row before squaring."""
    if hasattr(x, "indices") and hasattr(x, "dense_shape"):  # tf.IndexedSlices
        x = ops.segment_sum(x.values, x.indices, num_segments=x.dense_shape[0])
    return ops.sum(ops.square(x))


class _Streams:
    r"""The hidden states carried across truncated-BPTT blocks: the one place they live.

    `states[mode]` (`mode` is `"train"` for `fit`, `"test"` for `evaluate`)
    holds, per recurrent layer, its state variables ($h$, or $h$ and $c$),
    each of shape (streams, units). They are plain `keras.Variable`s outside
    the model's weights, so they are not saved with it, and their shape (the
    number of streams) may change between `fit` calls. Each batch starts
    from them and writes its final states back (`assign`); they enter the
    forward pass as constants, which is where truncated BPTT cuts the
    backward pass.
    """

    def __init__(self):
        self.states = {}

    def open(self, mode, streams, units, states_per_layer, dtype=None):
        """Zero the states of `mode`, made anew if the number of streams changed.

        Returns:
            Whether new variables were made (a compiled step must be retraced).
        """
        current = self.states.get(mode)
        if current is not None and current[0][0].shape[0] == streams:
            self.reset(mode)
            return False
        self.states[mode] = [
            [
                keras.Variable(ops.zeros((streams, units), dtype=dtype), trainable=False)
                for _ in range(n)
            ]
            for n in states_per_layer
        ]
        return True

    def reset(self, mode):
        """Start every stream of `mode` from zero state."""
        for layer in self.states.get(mode, []):
            for v in layer:
                v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def assign(self, mode, final):
        """Keep the final states of a batch (per layer, a list of tensors) for the next."""
        for layer, new in zip(self.states[mode], final):
            for v, s in zip(layer, new):
                v.assign(s)
