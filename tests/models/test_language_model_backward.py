"""LanguageModel(backward="manual"): the hand-derived BPTT equals the tape, and trains.

The tape comparisons need `tf.GradientTape` and run on TensorFlow only; the
finite-difference check, the state carry and the training run use
`keras.ops` alone and run on any backend whose trainer can carry the states.
"""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches
from kerastoolkit.models.recurrent_backward import (
    embedding_backward,
    softmax_cross_entropy_backward,
)

BACKEND = keras.backend.backend()
TAPE_ONLY = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="compares with tf.GradientTape, TensorFlow only"
)

# Manual vs tape: the same products and sums in another order, through at most
# 3 layers x 6 steps. A gradient is a sum of terms as large as the model's
# largest gradient entry G and may cancel (the output bias sums softmax - onehot
# over every step), so the error is measured against G: float32 to within
# GRAD_RTOL[float32] x G (observed: below 1e-6 x G), float64 to within
# GRAD_RTOL[float64] x G, where the algebra itself is checked to 1e-12.
GRAD_RTOL = {"float32": 4e-6, "float64": 1e-12}
# After 3 epochs of SGD from the same weights, float32 rounding differences
# of the two backward passes have been applied 3 x (blocks) times.
FIT_RTOL = 1e-5
FIT_ATOL = 1e-6
# Finite differences in float32 along a unit direction, step 1e-2, fourth order:
# truncation ~1e-8; the loss (about 1.6) is rounded to ~2e-7, which the step
# divides into ~2e-5 of the slope. Gradients are 1e-4 to 1e-1 along a unit v.
FD_STEP = 1e-2
FD_RTOL = 1e-3
FD_ATOL = 3e-5

TINY = "you say goodbye and i say hello ."


def copy_dropout_streams(source, target):
    """Give `target`'s dropout layers the random state of `source`'s (the same masks next)."""
    for a, b in zip(source.drops, target.drops):
        b.seed_generator.state.assign(a.seed_generator.state)


def random_states(model, batch, rng):
    return [
        [rng.normal(size=(batch, model.units)).astype(model.compute_dtype)
         for _ in range(model.states_per_layer)]
        for _ in range(model.num_layers)
    ]


@st.composite
def model_cases(draw):
    vocab_size = draw(st.integers(2, 9))
    units = draw(st.integers(1, 5))
    tie = draw(st.booleans())
    return {
        "vocabulary": [f"w{k}" for k in range(vocab_size)],
        "embedding_dim": units if tie else draw(st.integers(1, 5)),
        "units": units,
        "num_layers": draw(st.integers(1, 3)),
        "dropout": draw(st.sampled_from([0.0, 0.4])),
        "tie_weights": tie,
        "cell": draw(st.sampled_from(["lstm", "simple_rnn"])),
    }


def tape_gradients(model, x, y, states):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        scores, _ = model.forward(x, states, training=True)
        loss = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(y, scores, from_logits=True)
        )
    return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.trainable_variables)]


# --- the hand-derived gradients equal the tape's ---


@TAPE_ONLY
@given(
    case=model_cases(),
    batch=st.integers(1, 3),
    time=st.integers(1, 6),
    carried=st.booleans(),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_manual_gradients_equal_the_tape(case, batch, time, carried, seed, dtype):
    keras.config.set_dtype_policy(dtype)
    rng = np.random.default_rng(seed)
    model = LanguageModel(**case)
    V = len(case["vocabulary"])
    x = rng.integers(0, V, size=(batch, time)).astype("int32")
    y = rng.integers(0, V, size=(batch, time)).astype("int32")
    model(x)
    for v in model.trainable_variables:  # biases away from zero, so every term counts
        v.assign(rng.normal(scale=0.5, size=v.shape).astype(dtype))
    states = random_states(model, batch, rng) if carried else None
    before = [d.seed_generator.state.numpy() for d in model.drops]
    want = tape_gradients(model, x, y, states)
    for d, s in zip(model.drops, before):  # draw the tape's masks again
        d.seed_generator.state.assign(s)
    got = model.manual_gradients(x, y, states=states)
    assert len(got) == len(want)
    largest = max(np.abs(w).max() for w in want)
    for g, w, v in zip(got, want, model.trainable_variables):
        g = keras.ops.convert_to_numpy(g)
        assert g.dtype == w.dtype == dtype and g.shape == w.shape, v.path
        np.testing.assert_allclose(g, w, rtol=0, atol=GRAD_RTOL[dtype] * largest, err_msg=v.path)


@TAPE_ONLY
@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
@pytest.mark.parametrize("tie_weights", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fit_ends_at_the_same_weights_in_both_modes(cell, tie_weights, dropout):
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 4), 2, 5)
    options = dict(embedding_dim=6, units=6, dropout=dropout, tie_weights=tie_weights,
                   cell=cell, clipnorm=0.1)
    tape = LanguageModel(vocab, backward="tape", **options)
    manual = LanguageModel(vocab, backward="manual", **options)
    tape(x[:2]), manual(x[:2])
    manual.set_weights(tape.get_weights())
    copy_dropout_streams(tape, manual)
    # Global-norm clipping at 0.1 is active: the first batch's gradient is longer.
    first = manual.manual_gradients(x[:2], y[:2], training=False)
    assert np.sqrt(sum(np.sum(keras.ops.convert_to_numpy(g) ** 2) for g in first)) > 0.1
    histories = []
    for model in (tape, manual):
        model.compile(keras.optimizers.SGD(1.0))
        histories.append(model.fit(x, y, batch_size=2, epochs=3, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[1], histories[0], rtol=FIT_RTOL)
    for a, b, v in zip(tape.get_weights(), manual.get_weights(), tape.trainable_variables):
        np.testing.assert_allclose(b, a, rtol=FIT_RTOL, atol=FIT_ATOL, err_msg=v.path)
    for a, b in zip(tape.carried_states(), manual.carried_states()):
        np.testing.assert_allclose(b, a, rtol=FIT_RTOL, atol=FIT_ATOL)


# --- on any backend, without a tape ---


@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
@pytest.mark.parametrize("tie_weights", [False, True])
def test_manual_gradients_match_finite_differences(cell, tie_weights):
    """<manual gradient, v> equals the slope of J along v, with the same dropout masks.

    No autodiff at all, so it runs on every backend (in float32: JAX computes
    in float32 unless x64 is switched on at start-up). The slope is the
    fourth-order central difference of J (float64 sums of the float32 log
    probabilities) along a unit direction v per weight array.
    """
    rng = np.random.default_rng(1)
    model = LanguageModel([f"w{k}" for k in range(5)], embedding_dim=3, units=3, num_layers=2,
                          dropout=0.3, tie_weights=tie_weights, cell=cell)
    x = rng.integers(0, 5, size=(2, 4)).astype("int32")
    y = rng.integers(0, 5, size=(2, 4)).astype("int32")
    model(x)
    states = random_states(model, 2, rng)
    weights = model.trainable_variables
    start = [keras.ops.convert_to_numpy(d.seed_generator.state) for d in model.drops]

    def same_masks():
        for d, s in zip(model.drops, start):
            d.seed_generator.state.assign(s)

    def loss():
        same_masks()
        scores, _ = model.forward(x, states, training=True)
        p = keras.ops.convert_to_numpy(keras.ops.log_softmax(scores, axis=-1)).astype("float64")
        return -np.take_along_axis(p, y[..., None], axis=-1).mean()

    same_masks()
    grads = [keras.ops.convert_to_numpy(g) for g in model.manual_gradients(x, y, states)]
    w0 = [keras.ops.convert_to_numpy(v) for v in weights]
    for k, v in enumerate(weights):  # one weight array at a time
        direction = rng.normal(size=w0[k].shape)
        direction /= np.linalg.norm(direction)

        def along(t, v=v, k=k, direction=direction):
            v.assign((w0[k] + t * direction).astype("float32"))
            return loss()

        e = FD_STEP
        slope = (8 * (along(e) - along(-e)) - (along(2 * e) - along(-2 * e))) / (12 * e)
        v.assign(w0[k])
        analytic = float(np.sum(grads[k] * direction))
        assert analytic == pytest.approx(slope, rel=FD_RTOL, abs=FD_ATOL), v.path


def test_softmax_cross_entropy_and_embedding_steps():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(2, 3, 4)).astype("float32")
    y = rng.integers(0, 4, size=(2, 3))
    p = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    want = (p - np.eye(4)[y]) / 6
    got = keras.ops.convert_to_numpy(softmax_cross_entropy_backward(s, y))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    dx = rng.normal(size=(2, 3, 5)).astype("float32")
    tokens = np.array([[1, 1, 0], [3, 1, 0]])
    dE = keras.ops.convert_to_numpy(embedding_backward(tokens, dx, 4))
    np.testing.assert_allclose(dE[1], dx[0, 0] + dx[0, 1] + dx[1, 1], rtol=1e-6)
    np.testing.assert_allclose(dE[0], dx[0, 2] + dx[1, 2], rtol=1e-6)
    np.testing.assert_array_equal(dE[2], 0.0)
    np.testing.assert_allclose(dE[3], dx[1, 0], rtol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
def test_manual_fit_carries_the_state_like_one_long_pass(cell):
    vocab = Vocabulary.from_text(TINY)
    batch_size = 2
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 4), batch_size, 5)
    model = LanguageModel(vocab, embedding_dim=8, units=8, dropout=0.0, cell=cell,
                          backward="manual")
    model.compile(keras.optimizers.SGD(0.0))
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    streams = np.stack([np.concatenate(x[b::batch_size]) for b in range(batch_size)])
    _, states = model.forward(streams, training=False)
    assert len(model.carried_states()[0]) == model.states_per_layer
    for got, want in zip(model.carried_states(), states):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, keras.ops.convert_to_numpy(w), rtol=1e-5, atol=1e-6)


def test_course_corpus_simple_rnn_trains_by_hand():
    """The notes' RNNLM on "you say goodbye and i say hello .", gradients derived by hand."""
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 10), 2, 5)
    model = LanguageModel(vocab, embedding_dim=8, units=8, dropout=0.0, cell="simple_rnn",
                          backward="manual")
    model.compile(keras.optimizers.Adam(0.05))
    before = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
    model.fit(x, y, batch_size=2, epochs=15, verbose=0)
    after = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
    assert before > 0.9 * len(vocab)  # about uniform before training
    assert after < 1.5 < len(vocab) / 4


def test_cell_and_backward_are_checked():
    with pytest.raises(ValueError, match=r"`cell` must be one of .*Received: cell='gru'"):
        LanguageModel(["a"], cell="gru")
    with pytest.raises(ValueError, match=r"`backward` must be one of .*Received: backward='auto'"):
        LanguageModel(["a"], backward="auto")
    model = LanguageModel(["a", "b"], embedding_dim=2, units=2, cell="simple_rnn")
    with pytest.raises(ValueError, match=r"one \[h\] per SimpleRNN \(2\). Received: 1"):
        model.manual_gradients(np.zeros((1, 2), "int32"), np.zeros((1, 2), "int32"),
                               [[np.zeros((1, 2), "float32")]])


def test_config_keeps_cell_and_backward():
    model = LanguageModel(["a", "b"], cell="simple_rnn", backward="manual")
    clone = LanguageModel.from_config(model.get_config())
    assert (clone.cell, clone.backward) == ("simple_rnn", "manual")
    assert [type(layer).__name__ for layer in clone.recurrent_layers] == ["SimpleRNN"] * 2


@pytest.mark.skipif(BACKEND == "tensorflow", reason="the refusal is for the other backends")
def test_tape_training_refused_off_tensorflow():
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 4), 2, 5)
    model = LanguageModel(vocab, embedding_dim=4, units=4)
    model.compile(keras.optimizers.SGD())
    with pytest.raises(ValueError, match="backward='tape' trains with tf.GradientTape|JAX"):
        model.fit(x, y, batch_size=2)
