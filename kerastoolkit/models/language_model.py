"""An LSTM language model trained with truncated backpropagation through time.

Besides the model: a tokenizer and vocabulary, the block layout of a corpus
for truncated BPTT, global-norm gradient clipping, cosine similarity and a
perplexity metric.
"""

import re

import keras
import numpy as np
from keras import ops

from kerastoolkit.layers import LSTM, Dense, Dropout, Embedding
from kerastoolkit.layers.rnn import _check_rate
from kerastoolkit.losses import sparse_categorical_crossentropy

__all__ = [
    "LanguageModel",
    "Perplexity",
    "Vocabulary",
    "clip_by_global_norm",
    "cosine_similarity",
    "tokenize",
    "truncated_bptt_batches",
]

# Words (letters, digits, apostrophes, hyphens) or single punctuation marks.
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")


@keras.saving.register_keras_serializable(package="kerastoolkit", name="tokenize")
def tokenize(text):
    r"""Split text into lower-case words and punctuation marks.

    Args:
        text: a string.

    Returns:
        A list of tokens.

    Examples:
        >>> from kerastoolkit.models import tokenize
        >>> tokenize("You say goodbye and I say hello.")
        ['you', 'say', 'goodbye', 'and', 'i', 'say', 'hello', '.']
    """
    return _TOKEN.findall(text.lower())


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Vocabulary:
    r"""The table between words and integer ids, in order of first appearance.

    Args:
        words: the distinct words, the word of id $k$ at position $k$.

    Examples:
        >>> from kerastoolkit.models import Vocabulary
        >>> vocab = Vocabulary.from_text("you say goodbye and i say hello.")
        >>> vocab.encode("you say goodbye and i say hello.").tolist()
        [0, 1, 2, 3, 4, 1, 5, 6]
        >>> vocab.decode([4, 1, 5])
        ['i', 'say', 'hello']
    """

    def __init__(self, words):
        self.words = list(words)
        self.ids = {w: k for k, w in enumerate(self.words)}
        if len(self.ids) != len(self.words):
            raise ValueError(f"`words` must be distinct. Received: words={self.words!r}")

    @classmethod
    def from_text(cls, text):
        """Build the vocabulary of `tokenize(text)`."""
        return cls(dict.fromkeys(tokenize(text)))

    def __len__(self):
        return len(self.words)

    def encode(self, text):
        """Ids of a string (tokenized) or of a list of words, as an int32 array."""
        tokens = tokenize(text) if isinstance(text, str) else list(text)
        unknown = [w for w in tokens if w not in self.ids]
        if unknown:
            raise ValueError(f"Words not in the vocabulary. Received: {unknown!r}")
        return np.array([self.ids[w] for w in tokens], dtype="int32")

    def decode(self, ids):
        """Words of a sequence of ids."""
        return [self.words[int(k)] for k in ids]

    def get_config(self):
        return {"words": self.words}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


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
    `clip_by_global_norm`). `None` gradients are kept as `None` and left out
    of the norm.

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
    norm = ops.sqrt(sum(ops.sum(ops.square(x)) for x in g if x is not None))
    scale = ops.where(norm >= threshold, threshold / norm, 1.0)
    return [None if x is None else x * ops.cast(scale, x.dtype) for x in g]


@keras.saving.register_keras_serializable(package="kerastoolkit", name="cosine_similarity")
def cosine_similarity(x, y, epsilon=1e-8):
    r"""Cosine of the angle between vectors: 1 for the same direction, 0 for orthogonal.

    $$\text{similarity}(x, y) = \frac{x \cdot y}{\|x\|\,\|y\| + \epsilon}$$

    over the last axis (batched), where $\epsilon$ = `epsilon` keeps a zero
    vector from dividing by zero. Unlike `keras.losses.cosine_similarity`
    (a loss) it is not negated.

    Args:
        x: an array of vectors along the last axis.
        y: an array broadcastable to `x`.
        epsilon: $\epsilon$. Defaults to `1e-8`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models import cosine_similarity
        >>> s = cosine_similarity(np.array([1.0, 1.0]), np.array([[2.0, 2.0], [1.0, -1.0]]))
        >>> np.round(keras.ops.convert_to_numpy(s), 4)
        array([1., 0.])
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    norms = ops.sqrt(ops.sum(x * x, axis=-1)) * ops.sqrt(ops.sum(y * y, axis=-1))
    return ops.sum(x * y, axis=-1) / (norms + epsilon)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Perplexity(keras.metrics.Mean):
    r"""Perplexity of next-word predictions: the exponential of the mean cross-entropy.

    The average number of words the model hesitates between: 1 for a perfect
    model, the vocabulary size $V$ for uniform guessing. With $N$ predicted
    words $y_n$ and predicted probabilities $p$:

    $$\text{perplexity} = \exp\Big(-\frac{1}{N}\sum_n \log p(y_n)\Big)$$

    Args:
        from_logits: whether `y_pred` holds logits (else probabilities).
            Defaults to `True`.
        name: the metric's name. Defaults to `"perplexity"`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.models import Perplexity
        >>> m = Perplexity()
        >>> m.update_state(np.array([[0, 1]]), np.zeros((1, 2, 4), "float32"))
        >>> round(float(m.result()), 4)  # uniform over 4 words
        4.0
    """

    def __init__(self, from_logits=True, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        ce = sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )
        super().update_state(ce, sample_weight=sample_weight)

    def result(self):
        return ops.exp(super().result())

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


class _Streams:
    """Hidden states carried across truncated-BPTT blocks, one set per mode.

    Kept in a plain object so they are not model weights: they are not saved,
    and their shape (the number of streams) may change between `fit` calls.
    """

    def __init__(self):
        self.states = {}


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LanguageModel(keras.Model):
    r"""An LSTM language model: predicts every next word of a text.

    Words become vectors (Embedding), stacked LSTMs read them in order, and
    a Dense layer scores every vocabulary word as the next one. Dropout sits
    between the layers in depth only — never on the connection from one time
    step to the next, which would erase the memory. With `tie_weights` the
    output layer reuses the embedding matrix, transposed, so a word's input
    and output vectors are the same and the model has $VD$ fewer weights.

    Let $E$ ($V \times D$) be the embedding matrix, $V$ = `len(vocabulary)`,
    $D$ = `embedding_dim`, $H$ = `units`, $L$ = `num_layers`, $\delta$ the
    dropout (rate `dropout`); for word ids $w_1 \dots w_T$:

    $$\begin{aligned}
    x^{(0)}_t &= \delta(E_{w_t}) \\
    h^{(l)}_t, c^{(l)}_t &= \text{LSTM}_l\big(x^{(l-1)}_t, h^{(l)}_{t-1}, c^{(l)}_{t-1}\big),
    \quad x^{(l)}_t = \delta(h^{(l)}_t), \quad l = 1 \dots L \\
    s_t &= x^{(L)}_t W + b \quad (W = E^\top \text{ with weight tying}) \\
    J &= -\frac{1}{BT}\sum_{b,t} \log \operatorname{softmax}(s_t)_{w_{t+1}}
    \end{aligned}$$

    `fit` trains with truncated backpropagation through time on the blocks of
    `truncated_bptt_batches`: the final $(h, c)$ of each batch is the initial
    state of the next (the streams continue), but enters it as a constant, so
    gradients stop at block boundaries; before every update the gradients are
    clipped to global norm `clipnorm` (`clip_by_global_norm`). Each epoch
    starts the streams from zero. Compile with an optimizer only: the loss
    is $J$ and the metrics are its mean (`loss`) and `perplexity`
    $= \exp J$. `fit` and `evaluate` run on the TensorFlow backend (they use
    `tf.GradientTape`); `call`, `generate` and `most_similar` on any backend.

    There is no Keras built-in twin; the layers are kerastoolkit's, each
    proven equal to its Keras twin.

    Args:
        vocabulary: a `Vocabulary`, or the list of its words (id order).
        embedding_dim: $D$. Defaults to `100`.
        units: $H$, the LSTM size. Defaults to `100`.
        num_layers: $L$, the number of stacked LSTMs. Defaults to `2`.
        dropout: the rate of $\delta$, in $[0, 1)$. Defaults to `0.5`.
        tie_weights: use $E^\top$ as the output matrix $W$ (needs
            $D = H$). Defaults to `False`.
        clipnorm: the clipping threshold $\tau$. Defaults to `0.25`.

    Examples:
        >>> import keras
        >>> from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches
        >>> text = "you say goodbye and i say hello ."
        >>> vocab = Vocabulary.from_text(text)
        >>> x, y = truncated_bptt_batches(vocab.encode(text * 8), batch_size=2, time_size=5)
        >>> lm = LanguageModel(vocab, embedding_dim=8, units=8, dropout=0.0)
        >>> lm.compile(keras.optimizers.Adam(0.05))
        >>> history = lm.fit(x, y, batch_size=2, epochs=30, verbose=0)
        >>> history.history["perplexity"][-1] < 2.0 < len(vocab)
        True
        >>> lm.generate("you", length=3, seed=0)
        'say goodbye and'

    References:
        - Zaremba, Sutskever & Vinyals, 2014. Recurrent neural network
          regularization.
        - Press & Wolf, 2017. Using the output embedding to improve language
          models.
        - Pascanu, Mikolov & Bengio, 2013. On the difficulty of training
          recurrent neural networks.
    """

    def __init__(
        self,
        vocabulary,
        embedding_dim=100,
        units=100,
        num_layers=2,
        dropout=0.5,
        tie_weights=False,
        clipnorm=0.25,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(vocabulary, Vocabulary):
            vocabulary = Vocabulary(vocabulary)
        for name, value in (
            ("embedding_dim", embedding_dim),
            ("units", units),
            ("num_layers", num_layers),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if tie_weights and embedding_dim != units:
            raise ValueError(
                "Weight tying needs `embedding_dim == units`. "
                f"Received: embedding_dim={embedding_dim}, units={units}"
            )
        self.vocabulary = vocabulary
        self.embedding_dim = embedding_dim
        self.units = units
        self.num_layers = num_layers
        self.dropout = _check_rate("dropout", dropout)
        self.tie_weights = tie_weights
        self.clipnorm = clipnorm
        clip_by_global_norm([], clipnorm)  # validates the threshold now
        vocab_size = len(vocabulary)
        self.embedding = Embedding(vocab_size, embedding_dim, name="embedding")
        self.lstms = [
            LSTM(units, return_sequences=True, return_state=True, name=f"lstm_{k}")
            for k in range(num_layers)
        ]
        self.drops = [
            Dropout(self.dropout, name=f"dropout_{k}") for k in range(num_layers + 1)
        ]
        self.dense = None if tie_weights else Dense(vocab_size, name="dense")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.perplexity = Perplexity()
        self._streams = _Streams()

    def build(self, input_shape):
        batch, time = tuple(input_shape)[:2]
        self.embedding.build(input_shape)
        shape = (batch, time, self.embedding_dim)
        for drop, lstm in zip(self.drops, self.lstms):
            drop.build(shape)
            lstm.build(shape)
            shape = (batch, time, self.units)
        self.drops[-1].build(shape)
        if self.tie_weights:
            self.output_bias = self.add_weight(
                shape=(len(self.vocabulary),), initializer="zeros", name="output_bias"
            )
        else:
            self.dense.build(shape)

    def forward(self, tokens, states=None, training=None):
        r"""Run the model from given states; return the scores and the final states.

        The given states enter as constants (`stop_gradient`): this is where
        truncated BPTT cuts the backward pass.

        Args:
            tokens: int word ids of shape (batch, time).
            states: `None` (zeros) or, per LSTM, its `[h, c]`.
            training: whether dropout is on. Defaults to `None`.

        Returns:
            `(scores, states)`: the logits $s$ of shape (batch, time, $V$)
            and the final `[h, c]` of every LSTM.
        """
        if len(tokens.shape) != 2:
            raise ValueError(
                f"`tokens` must be word ids of shape (batch, time). "
                f"Received: tokens of shape {tuple(tokens.shape)}"
            )
        if not self.built:
            self.build(tuple(tokens.shape))
        if states is not None and len(states) != self.num_layers:
            raise ValueError(
                f"`states` must hold one [h, c] pair per LSTM ({self.num_layers}). "
                f"Received: {len(states)} entries"
            )
        x = self.drops[0](self.embedding(tokens), training=training)
        final = []
        for k, lstm in enumerate(self.lstms):
            s0 = None if states is None else [ops.stop_gradient(s) for s in states[k]]
            x, h, c = lstm(x, initial_state=s0, training=training)
            final.append([h, c])
            x = self.drops[k + 1](x, training=training)
        if self.tie_weights:
            scores = ops.matmul(x, ops.transpose(self.embedding.embeddings)) + self.output_bias
        else:
            scores = self.dense(x)
        return scores, final

    def call(self, tokens, training=None):
        return self.forward(tokens, training=training)[0]

    # --- truncated BPTT: the streams' states carried from batch to batch ---

    def _stream_states(self, mode):
        flat = self._streams.states[mode]
        return [flat[2 * k : 2 * k + 2] for k in range(self.num_layers)]

    def carried_states(self, mode="train"):
        """The states the next `fit` (`mode="train"`) or `evaluate` batch starts from.

        Returns:
            Per LSTM, `[h, c]` as NumPy arrays of shape (streams, units).
        """
        return [[ops.convert_to_numpy(s) for s in pair] for pair in self._stream_states(mode)]

    def carried_state_variables(self, mode="train"):
        """The variables holding the `(h, c)` that `mode`'s streams carry to the next batch.

        `kerastoolkit.callbacks.BackupAndRestore` backs them up with the
        weights, so a resumed `fit` continues every stream from where it was.

        Returns:
            A list of `keras.Variable` (empty before the first `fit`/`evaluate`).
        """
        return list(self._streams.states.get(mode, []))

    def reset_states(self, mode="train"):
        """Start every stream of `mode` (`"train"` or `"test"`) from zero state."""
        for v in self._streams.states.get(mode, []):
            v.assign(ops.zeros_like(v))

    def _open_streams(self, mode, x, batch_size):
        if len(getattr(x, "shape", ())) != 2:
            raise ValueError(
                "Truncated BPTT takes the (blocks, time) word-id array of "
                f"`truncated_bptt_batches`. Received: x={type(x).__name__} of shape "
                f"{getattr(x, 'shape', None)}"
            )
        if batch_size is None or len(x) % batch_size:
            raise ValueError(
                "Truncated BPTT needs `batch_size` = the number of streams, dividing the "
                f"number of blocks. Received: batch_size={batch_size}, {len(x)} blocks"
            )
        if not self.built:
            self.build((batch_size, *x.shape[1:]))
        current = self._streams.states.get(mode)
        if current is not None and current[0].shape[0] == batch_size:
            self.reset_states(mode)
            return
        self._streams.states[mode] = [
            keras.Variable(ops.zeros((batch_size, self.units)), trainable=False)
            for _ in range(2 * self.num_layers)
        ]
        if mode == "train":
            self.train_function = None
        else:
            self.test_function = None

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=False,
        **kwargs,
    ):
        if shuffle:
            raise ValueError("Truncated BPTT reads the blocks in order. Received: shuffle=True")
        self._open_streams("train", x, batch_size)
        reset = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: self.reset_states("train")
        )
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=[*(callbacks or []), reset],
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=False,
            **kwargs,
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        self._open_streams("test", x, batch_size)
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    @property
    def metrics(self):
        return [self.loss_tracker, self.perplexity]

    def _block(self, mode, data, training):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        carried = self._streams.states[mode]
        scores, final = self.forward(x, self._stream_states(mode), training=training)
        ce = ops.mean(sparse_categorical_crossentropy(y, scores, from_logits=True))
        loss = ce + ops.sum(self.losses) if self.losses else ce
        for v, s in zip(carried, [s for pair in final for s in pair]):
            v.assign(s)
        return loss, y, scores

    def _report(self, loss, y, scores):
        self.loss_tracker.update_state(loss)
        self.perplexity.update_state(y, scores)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, y, scores = self._block("train", data, training=True)
            scaled = self.optimizer.scale_loss(loss)
        weights = self.trainable_variables
        grads = clip_by_global_norm(tape.gradient(scaled, weights), self.clipnorm)
        self.optimizer.apply(grads, weights)
        return self._report(loss, y, scores)

    def test_step(self, data):
        return self._report(*self._block("test", data, training=False))

    # --- using the trained model ---

    def generate(self, prompt, length, seed=None):
        """Continue `prompt` by `length` words, each drawn from the predicted distribution.

        Args:
            prompt: a string, or a list of vocabulary words.
            length: the number of words to generate.
            seed: an int for reproducible text. Defaults to `None`.

        Returns:
            The generated words (without the prompt), joined by spaces.
        """
        ids = self.vocabulary.encode(prompt)
        if len(ids) == 0:
            raise ValueError(f"`prompt` must hold at least one word. Received: prompt={prompt!r}")
        rng = keras.random.SeedGenerator(seed)
        scores, states = self.forward(ops.convert_to_tensor(ids[None]), training=False)
        out = []
        for _ in range(length):
            w = keras.random.categorical(scores[:, -1], 1, seed=rng)
            out.append(int(ops.convert_to_numpy(w)[0, 0]))
            scores, states = self.forward(w, states, training=False)
        return " ".join(self.vocabulary.decode(out))

    @property
    def word_vectors(self):
        """The embedding matrix $E$ as a NumPy array: row $k$ is the vector of word $k$."""
        return ops.convert_to_numpy(self.embedding.embeddings)

    def most_similar(self, word, top_k=5):
        """The `top_k` words whose vectors are closest to `word`'s by `cosine_similarity`.

        Returns:
            A list of `(word, similarity)`, most similar first, `word` itself left out.
        """
        query = self.vocabulary.encode([word])[0]
        vectors = self.word_vectors
        sims = ops.convert_to_numpy(cosine_similarity(vectors[query], vectors))
        order = [k for k in np.argsort(-sims, kind="stable") if k != query][:top_k]
        return [(self.vocabulary.words[k], float(sims[k])) for k in order]

    def get_config(self):
        config = {
            "vocabulary": self.vocabulary.words,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "tie_weights": self.tie_weights,
            "clipnorm": self.clipnorm,
        }
        return {**super().get_config(), **config}
