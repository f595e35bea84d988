"""Figures of the recurrent guide: gradients through time, the language model's perplexity."""

import keras
import numpy as np
from figure_library import figure

from kerastoolkit import layers, optimizers, plotting

# --- recurrent ------------------------------------------------------------------

RNN_STEPS = 40
RNN_UNITS = 16
RNN_FEATURES = 4
RNN_BATCH = 8


def _dependence_on_each_step(layer, x):
    """The norm of the gradient of the last hidden state's sum w.r.t. each input step."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layer(x))
    g = tape.gradient(total, x).numpy()
    return np.sqrt(np.square(g).sum(axis=(0, 2)))


@figure("recurrent-gradient-through-time")
def gradient_through_time():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(RNN_BATCH, RNN_STEPS, RNN_FEATURES)).astype("float32")
    norms = {
        "SimpleRNN": _dependence_on_each_step(layers.SimpleRNN(RNN_UNITS), x),
        "LSTM": _dependence_on_each_step(layers.LSTM(RNN_UNITS), x),
    }
    return plotting.plot_gradient_norms(
        norms,
        title=f"Dependence of h_T on each x_t (T = {RNN_STEPS}, untrained)",
        xlabel="time step t",
    )


LM_TEXT = "you say goodbye and i say hello ."
LM_REPEATS = 8
LM_EPOCHS = 15
LM_SIZE = 8
LM_BATCH = 2
LM_TIME = 5
LM_LEARNING_RATE = 0.05


@figure("recurrent-language-model")
def language_model_perplexity():
    from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches

    keras.utils.set_random_seed(0)
    vocab = Vocabulary.from_text(LM_TEXT)
    x, y = truncated_bptt_batches(
        vocab.encode(" ".join([LM_TEXT] * LM_REPEATS)), batch_size=LM_BATCH, time_size=LM_TIME
    )
    lm = LanguageModel(vocab, embedding_dim=LM_SIZE, units=LM_SIZE, dropout=0.0)
    lm.compile(optimizers.Adam(LM_LEARNING_RATE))
    histories = {
        "training": lm.fit(x, y, batch_size=LM_BATCH, epochs=LM_EPOCHS, verbose=0),
    }
    return plotting.plot_history(
        histories, metric="perplexity", log_scale=True,
        title=f"LSTM language model, {len(vocab)}-word vocabulary",
    )
