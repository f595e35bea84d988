"""The recurrent language model (LSTM or SimpleRNN), trained with truncated BPTT.

The model reads the text; its helpers live beside it: the tokenizer,
vocabulary, cosine similarity and perplexity in `text`, the block layout,
clipping and carried states of truncated BPTT in `bptt`, and the backward
pass derived by hand in `recurrent_backward`. They are re-exported here so
`from kerastoolkit.models.language_model import tokenize` keeps working.
"""

import contextlib

import keras
import numpy as np
from keras import ops

from kerastoolkit.layers import LSTM, Dense, Dropout, Embedding, SimpleRNN
from kerastoolkit.layers.rnn import _check_rate
from kerastoolkit.losses import sparse_categorical_crossentropy
from kerastoolkit.models.bptt import _Streams, clip_by_global_norm, truncated_bptt_batches
from kerastoolkit.models.recurrent_backward import language_model_gradients
from kerastoolkit.models.text import Perplexity, Vocabulary, cosine_similarity, tokenize

__all__ = [
    "LanguageModel",
    "Perplexity",
    "Vocabulary",
    "clip_by_global_norm",
    "cosine_similarity",
    "tokenize",
    "truncated_bptt_batches",
]

#: The recurrent layers the model can stack: the notes' RNNLM and its LSTM version.
CELLS = {"lstm": LSTM, "simple_rnn": SimpleRNN}
#: The ways `train_step` can compute the gradients.
BACKWARDS = ("tape", "manual")


@keras.saving.register_keras_serializable(package="kerastoolkit")
class LanguageModel(keras.Model):
    r"""A recurrent language model (LSTM or SimpleRNN): predicts every next word of a text.

    Words become vectors (Embedding), stacked recurrent layers read them in
    order, and a Dense layer scores every vocabulary word as the next one.
    Dropout sits between the layers in depth only — never on the connection
    from one time step to the next, which would erase the memory. With
    `tie_weights` the output layer reuses the embedding matrix, transposed, so
    a word's input and output vectors are the same and the model has $VD$
    fewer weights. `cell="simple_rnn"` is the course's RNN language model,
    `cell="lstm"` its LSTM successor.

    Let $E$ ($V \times D$) be the embedding matrix, $V$ = `len(vocabulary)`,
    $D$ = `embedding_dim`, $H$ = `units`, $L$ = `num_layers`, $\delta$ the
    dropout (rate `dropout`); for word ids $w_1 \dots w_T$:

    $$\begin{aligned}
    x^{(0)}_t &= \delta(E_{w_t}) \\
    h^{(l)}_t, c^{(l)}_t &= \text{LSTM}_l\big(x^{(l-1)}_t, h^{(l)}_{t-1}, c^{(l)}_{t-1}\big)
    \ \text{ or } \ h^{(l)}_t = \text{SimpleRNN}_l\big(x^{(l-1)}_t, h^{(l)}_{t-1}\big) \\
    x^{(l)}_t &= \delta(h^{(l)}_t), \quad l = 1 \dots L \\
    s_t &= x^{(L)}_t W + b \quad (W = E^\top \text{ with weight tying}) \\
    J &= -\frac{1}{BT}\sum_{b,t} \log \operatorname{softmax}(s_t)_{w_{t+1}}
    \end{aligned}$$

    `fit` trains with truncated backpropagation through time on the blocks of
    `truncated_bptt_batches`: the final states ($h$, and $c$ for the LSTM) of
    each batch are the initial states of the next (the streams continue), but
    enter it as constants, so gradients stop at block boundaries; before
    every update the gradients are clipped to global norm `clipnorm`
    (`clip_by_global_norm`). Each epoch starts the streams from zero. Compile
    with an optimizer only: the loss is $J$ and the metrics are its mean
    (`loss`) and `perplexity` $= \exp J$.

    The gradients come from `tf.GradientTape` (`backward="tape"`) or from
    the backward pass derived by hand (`backward="manual"`), in reverse time
    and layer by layer (`recurrent_backward.language_model_gradients`, every
    step's equation in its functions' docstrings), with the same dropout
    masks as the forward pass; the tests prove the two equal. `manual_gradients`
    returns the hand-derived gradients of one batch. The tape needs the
    TensorFlow backend; with `backward="manual"`, `fit`, `train_on_batch`
    and `evaluate` run on TensorFlow, JAX and PyTorch (on JAX the trainer's
    stateless steps carry the streams' states among the non-trainable state),
    and so do `manual_gradients`, `call`, `generate` and `most_similar`.

    There is no Keras built-in twin; the layers are kerastoolkit's, each
    proven equal to its Keras twin.

    Args:
        vocabulary: a `Vocabulary`, or the list of its words (id order).
        embedding_dim: $D$. Defaults to `100`.
        units: $H$, the recurrent layers' size. Defaults to `100`.
        num_layers: $L$, the number of stacked recurrent layers. Defaults to `2`.
        dropout: the rate of $\delta$, in $[0, 1)$. Defaults to `0.5`.
        tie_weights: use $E^\top$ as the output matrix $W$ (needs
            $D = H$). Defaults to `False`.
        clipnorm: the clipping threshold $\tau$. Defaults to `0.25`.
        cell: the recurrent layer, `"lstm"` (`LSTM`) or `"simple_rnn"`
            (`SimpleRNN`). Defaults to `"lstm"`.
        backward: how `fit` computes the gradients: `"tape"`
            (`tf.GradientTape`) or `"manual"` (by hand). Defaults to `"tape"`.

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
        - Werbos, 1990. Backpropagation through time: what it does and how
          to do it.
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
        cell="lstm",
        backward="tape",
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
        if cell not in CELLS:
            raise ValueError(f"`cell` must be one of {tuple(CELLS)}. Received: cell={cell!r}")
        if backward not in BACKWARDS:
            raise ValueError(
                f"`backward` must be one of {BACKWARDS}. Received: backward={backward!r}"
            )
        self.vocabulary = vocabulary
        self.embedding_dim = embedding_dim
        self.units = units
        self.num_layers = num_layers
        self.dropout = _check_rate("dropout", dropout)
        self.tie_weights = tie_weights
        self.clipnorm = clipnorm
        clip_by_global_norm([], clipnorm)  # validates the threshold now
        self.cell = cell
        self.backward = backward
        vocab_size = len(vocabulary)
        self.embedding = Embedding(vocab_size, embedding_dim, name="embedding")
        self.recurrent_layers = [
            CELLS[cell](units, return_sequences=True, return_state=True, name=f"{cell}_{k}")
            for k in range(num_layers)
        ]
        self.drops = [
            Dropout(self.dropout, name=f"dropout_{k}") for k in range(num_layers + 1)
        ]
        self.dense = None if tie_weights else Dense(vocab_size, name="dense")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.perplexity = Perplexity()
        self._streams = _Streams()

    @property
    def states_per_layer(self):
        """How many states each recurrent layer carries: 2 ($h$, $c$) for the LSTM, 1 ($h$)."""
        return 2 if self.cell == "lstm" else 1

    def build(self, input_shape):
        batch, time = tuple(input_shape)[:2]
        self.embedding.build(input_shape)
        shape = (batch, time, self.embedding_dim)
        for drop, layer in zip(self.drops, self.recurrent_layers):
            drop.build(shape)
            layer.build(shape)
            shape = (batch, time, self.units)
        self.drops[-1].build(shape)
        if self.tie_weights:
            self.output_bias = self.add_weight(
                shape=(len(self.vocabulary),), initializer="zeros", name="output_bias"
            )
        else:
            self.dense.build(shape)

    def _check_tokens(self, tokens):
        if len(tokens.shape) != 2:
            raise ValueError(
                f"`tokens` must be word ids of shape (batch, time). "
                f"Received: tokens of shape {tuple(tokens.shape)}"
            )
        if not self.built:
            self.build(tuple(tokens.shape))

    def _check_states(self, states):
        if states is not None and len(states) != self.num_layers:
            what = "[h, c] pair per LSTM" if self.cell == "lstm" else "[h] per SimpleRNN"
            raise ValueError(
                f"`states` must hold one {what} ({self.num_layers}). "
                f"Received: {len(states)} entries"
            )

    def forward(self, tokens, states=None, training=None):
        r"""Run the model from given states; return the scores and the final states.

        The given states enter as constants (`stop_gradient`): this is where
        truncated BPTT cuts the backward pass.

        Args:
            tokens: int word ids of shape (batch, time).
            states: `None` (zeros) or, per recurrent layer, its states:
                `[h, c]` for the LSTM, `[h]` for the SimpleRNN.
            training: whether dropout is on. Defaults to `None`.

        Returns:
            `(scores, states)`: the logits $s$ of shape (batch, time, $V$)
            and the final states of every recurrent layer.
        """
        self._check_tokens(tokens)
        self._check_states(states)
        x = self.drops[0](self.embedding(tokens), training=training)
        final = []
        for k, layer in enumerate(self.recurrent_layers):
            s0 = None if states is None else [
                ops.stop_gradient(ops.convert_to_tensor(s)) for s in states[k]
            ]
            x, *state = layer(x, initial_state=s0, training=training)
            final.append(state)
            x = self.drops[k + 1](x, training=training)
        if self.tie_weights:
            scores = ops.matmul(x, ops.transpose(self.embedding.embeddings)) + self.output_bias
        else:
            scores = self.dense(x)
        return scores, final

    def call(self, tokens, training=None):
        return self.forward(tokens, training=training)[0]

    def manual_gradients(self, x, y, states=None, training=True):
        r"""The hand-derived gradients of $J$ on one batch, in `trainable_variables` order.

        The backward pass of `backward="manual"`
        (`recurrent_backward.language_model_gradients`), before clipping.
        With dropout on (`training=True`), the masks are drawn as a forward
        pass would draw them, and the same masks serve the backward pass.

        Args:
            x: word ids of shape (batch, time).
            y: the next-word ids, of the same shape.
            states: `None` (zeros) or, per recurrent layer, its initial
                states (constants). Defaults to `None`.
            training: whether dropout is on. Defaults to `True`.

        Returns:
            A list of gradient tensors, one per trainable variable.
        """
        x = ops.convert_to_tensor(x)
        self._check_tokens(x)
        self._check_states(states)
        return language_model_gradients(self, x, y, states, training=training)[0]

    # --- truncated BPTT: the streams' states carried from batch to batch ---

    def carried_states(self, mode="train"):
        """The states the next `fit` (`mode="train"`) or `evaluate` batch starts from.

        Returns:
            Per recurrent layer, its states ($h$, or $h$ and $c$) as NumPy
            arrays of shape (streams, units).
        """
        return [[ops.convert_to_numpy(s) for s in layer] for layer in self._streams.states[mode]]

    def carried_state_variables(self, mode="train"):
        """The variables holding the `(h, c)` that `mode`'s streams carry to the next batch.

        `kerastoolkit.callbacks.BackupAndRestore` backs them up with the
        weights, so a resumed `fit` continues every stream from where it was.

        Returns:
            A list of `keras.Variable` (empty before the first `fit`/`evaluate`).
        """
        return [state for layer in self._streams.states.get(mode, []) for state in layer]

    def reset_states(self, mode="train"):
        """Start every stream of `mode` (`"train"` or `"test"`) from zero state."""
        self._streams.reset(mode)

    def _open_streams(self, mode, x, batch_size):
        if self.backward == "tape" and mode == "train" and keras.backend.backend() != "tensorflow":
            raise ValueError(
                "backward='tape' trains with tf.GradientTape, which needs the TensorFlow "
                "backend; use backward='manual' on another backend. "
                f"Received: backend={keras.backend.backend()!r}"
            )
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
        layout = [self.states_per_layer] * self.num_layers
        if self._streams.open(mode, batch_size, self.units, layout, self.compute_dtype):
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
        with self._threading("train"):
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

    def train_on_batch(self, x=None, y=None, **kwargs):
        """One update on one batch of blocks, its rows the streams, continuing the last batch's.

        The first call (or a call with another number of rows) starts the
        streams from zero state.
        """
        current = self._streams.states.get("train")
        if current is None or current[0][0].shape[0] != len(x):
            self._open_streams("train", x, len(x))
        with self._threading("train"):
            return super().train_on_batch(x, y, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        self._open_streams("test", x, batch_size)
        with self._threading("test"):
            return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    @property
    def metrics(self):
        return [self.loss_tracker, self.perplexity]

    def _loss(self, y, scores):
        ce = ops.mean(sparse_categorical_crossentropy(y, scores, from_logits=True))
        return ce + ops.sum(self.losses) if self.losses else ce

    def _report(self, loss, y, scores):
        self.loss_tracker.update_state(loss)
        self.perplexity.update_state(y, scores)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, *args):
        # TensorFlow and PyTorch call train_step(data); JAX calls train_step(state, data).
        if keras.backend.backend() == "jax":
            return self._stateless(self._train_step, *args)
        return self._train_step(*args)

    def test_step(self, *args):
        if keras.backend.backend() == "jax":
            return self._stateless(self._test_step, *args)
        return self._test_step(*args)

    def _train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        carried = self._streams.states["train"]
        weights = self.trainable_variables
        if self.backward == "tape":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                scores, final = self.forward(x, carried, training=True)
                loss = self._loss(y, scores)
                scaled = self.optimizer.scale_loss(loss)
            grads = tape.gradient(scaled, weights)
        else:
            grads, scores, final = language_model_gradients(
                self, x, y, carried, training=True, seed_scale=self.optimizer.scale_loss
            )
            loss = self._loss(y, scores)
        self._streams.assign("train", final)
        self.optimizer.apply(clip_by_global_norm(grads, self.clipnorm), weights)
        return self._report(loss, y, scores)

    def _test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        scores, final = self.forward(x, self._streams.states["test"], training=False)
        self._streams.assign("test", final)
        return self._report(self._loss(y, scores), y, scores)

    # --- JAX: the trainer's stateless steps around the same step code ---

    @property
    def non_trainable_variables(self):
        # While fit/evaluate runs on JAX, the running mode's carried states ride
        # along as non-trainable state: the trainer then passes their values
        # into each step and takes the new ones back, as it does for the
        # dropout seeds.
        variables = super().non_trainable_variables
        mode = getattr(self, "_threaded_mode", None)
        if mode is None:
            return variables
        return variables + [v for layer in self._streams.states[mode] for v in layer]

    @contextlib.contextmanager
    def _threading(self, mode):
        """On JAX, count the streams of `mode` among `non_trainable_variables` meanwhile."""
        if keras.backend.backend() != "jax":
            yield
            return
        outer = getattr(self, "_threaded_mode", None)
        self._threaded_mode = mode
        try:
            yield
        finally:
            self._threaded_mode = outer

    def _stateless(self, step, state, data):
        """Run `step(data)` as the JAX trainer's stateless step: `(logs, new_state)`.

        `state` holds the values of the trainable, non-trainable (the carried
        states among them), optimizer (training only) and metrics variables;
        `step` reads and assigns the variables themselves, which a
        `keras.StatelessScope` maps to these values and whose assignments it
        collects as the new state.
        """
        groups = [self.trainable_variables, self.non_trainable_variables]
        if len(state) == 4:
            groups.append(self.optimizer.variables)
        groups.append(self.metrics_variables)
        mapping = [(v, value) for vs, values in zip(groups, state) for v, value in zip(vs, values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = step(data)
        new_state = tuple(
            [scope.get_current_value(v) for v in vs] for vs in groups
        )
        return logs, new_state

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
            "cell": self.cell,
            "backward": self.backward,
        }
        return {**super().get_config(), **config}
