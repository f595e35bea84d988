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


# The notes' dh W_h^T argument: the gradient reaching h_{t-1} from h_t is dh W_h^T
# (the tanh derivative, at most 1, set aside). W_h is Keras's orthogonal
# initializer (every singular value 1) scaled by a gain, so every singular value
# is the gain: below 1 the norm shrinks by it at every step, above 1 it grows.
BPTT_STEPS = 40
BPTT_UNITS = 16
BPTT_BATCH = 4
BPTT_GAINS = (0.9, 1.1)
BPTT_CLIPNORM = 1.0


def _state_gradient_norms(gain, clipnorm=None):
    """‖∂L/∂h_t‖ for t = T, T-1, ..., 1, from a unit gradient at h_T, by dh <- dh W_h^T."""
    from keras import ops

    from kerastoolkit.models import clip_by_global_norm

    W_h = keras.initializers.Orthogonal(gain=gain, seed=0)((BPTT_UNITS, BPTT_UNITS))
    dh = keras.random.normal((BPTT_BATCH, BPTT_UNITS), seed=1)
    dh = dh / ops.sqrt(ops.sum(dh * dh))
    grads = []
    for _ in range(BPTT_STEPS):
        grads.append(dh)
        dh = ops.matmul(dh, ops.transpose(W_h))
    if clipnorm is not None:  # all the steps' gradients as one vector, rescaled to clipnorm
        grads = clip_by_global_norm(grads, clipnorm)
    return [float(ops.sqrt(ops.sum(g * g))) for g in grads]


@figure("recurrent-vanishing-exploding")
def vanishing_and_exploding():
    low, high = BPTT_GAINS
    norms = {
        f"largest singular value of W_h = {low}": _state_gradient_norms(low),
        f"largest singular value of W_h = {high}": _state_gradient_norms(high),
        f"{high}, clipped to global norm {BPTT_CLIPNORM}": _state_gradient_norms(
            high, BPTT_CLIPNORM
        ),
    }
    return plotting.plot_gradient_norms(
        norms,
        title=f"||dL/dh_t|| going back in time (dh <- dh W_h^T, T = {BPTT_STEPS})",
        xlabel="steps back from h_T (1 = h_T)",
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
