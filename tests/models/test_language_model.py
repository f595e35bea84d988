"""LanguageModel and its helpers: TBPTT layout and state carry, clipping, perplexity, text."""

import codecs
import contextlib
import io

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.models import (
    LanguageModel,
    Perplexity,
    Vocabulary,
    clip_by_global_norm,
    cosine_similarity,
    tokenize,
    truncated_bptt_batches,
)
from kerastoolkit.testing import value_and_gradients

# float32: a norm, a division and a product per element.
CLIP_RTOL = 1e-6
# float32 forward passes of two stacked LSTMs over at most 12 steps, the same
# operations in the same order whether run in blocks or in one pass.
STATE_RTOL = 1e-5
STATE_ATOL = 1e-6

TINY = "you say goodbye and i say hello."


def zen_of_python():
    """The Zen of Python, the real text shipped with the standard library (`this`)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return codecs.decode(this.s, "rot13")


def tiny_model(vocab, **kwargs):
    options = {"embedding_dim": 8, "units": 8, "dropout": 0.0, **kwargs}
    return LanguageModel(vocab, **options)


# --- tokenizer and vocabulary ---


def test_course_corpus_ids():
    vocab = Vocabulary.from_text(TINY)
    assert vocab.words == ["you", "say", "goodbye", "and", "i", "hello", "."]
    assert vocab.encode(TINY).tolist() == [0, 1, 2, 3, 4, 1, 5, 6]
    assert vocab.decode(vocab.encode(TINY)) == tokenize(TINY)


def test_vocabulary_errors():
    with pytest.raises(ValueError, match=r"Received: \['bye'\]"):
        Vocabulary.from_text(TINY).encode("you say bye")
    with pytest.raises(ValueError, match="must be distinct"):
        Vocabulary(["a", "b", "a"])


# --- truncated BPTT blocks ---


@given(
    n=st.integers(3, 60), batch_size=st.integers(1, 4), time_size=st.integers(1, 6)
)
def test_blocks_continue_each_stream_in_order(n, batch_size, time_size):
    ids = np.arange(n) * 7 % 11
    length = (n - 1) // batch_size
    if length < time_size:
        with pytest.raises(ValueError, match="at least batch_size \\* time_size \\+ 1"):
            truncated_bptt_batches(ids, batch_size, time_size)
        return
    x, y = truncated_bptt_batches(ids, batch_size, time_size)
    blocks = length // time_size
    assert x.shape == y.shape == (blocks * batch_size, time_size)
    for b in range(batch_size):
        stream_x = np.concatenate(x[b::batch_size])  # batch k, row b, for k = 0, 1, ...
        stream_y = np.concatenate(y[b::batch_size])
        start = b * length
        np.testing.assert_array_equal(stream_x, ids[start : start + blocks * time_size])
        np.testing.assert_array_equal(stream_y, ids[start + 1 : start + 1 + blocks * time_size])


def test_block_arguments_are_checked():
    with pytest.raises(ValueError, match="Received: time_size=0"):
        truncated_bptt_batches(range(10), 2, 0)


# --- clipping ---


@st.composite
def gradient_lists(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shapes = draw(st.lists(st.lists(st.integers(1, 4), max_size=2).map(tuple), min_size=1,
                           max_size=3))
    scale = draw(st.floats(1e-3, 1e3))
    return [(scale * rng.normal(size=s)).astype("float32") for s in shapes]


def global_norm(grads):
    return np.sqrt(sum(np.sum(np.square(g, dtype="float64")) for g in grads))


@given(grads=gradient_lists(), threshold=st.floats(0.01, 100.0))
def test_clipping_caps_the_global_norm(grads, threshold):
    norm = global_norm(grads)
    clipped = [keras.ops.convert_to_numpy(g) for g in clip_by_global_norm(grads, threshold)]
    if norm >= threshold:
        np.testing.assert_allclose(global_norm(clipped), threshold, rtol=CLIP_RTOL)
        for c, g in zip(clipped, grads):  # same direction: c = (threshold / norm) g
            np.testing.assert_allclose(c, g * (threshold / norm), rtol=CLIP_RTOL, atol=1e-30)
    else:
        for c, g in zip(clipped, grads):
            np.testing.assert_array_equal(c, g)
    want, _ = tf.clip_by_global_norm(grads, threshold)
    for c, w in zip(clipped, want):
        np.testing.assert_allclose(c, w, rtol=CLIP_RTOL, atol=1e-30)


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_clipping_equals_keras_global_clipnorm():
    """SGD with learning rate 1 moves each variable by minus its clipped gradient."""
    grads = [np.array([3.0, 0.0], "float32"), np.array([[4.0]], "float32")]
    variables = [keras.Variable(np.zeros_like(g)) for g in grads]
    keras.optimizers.SGD(1.0, global_clipnorm=2.5).apply_gradients(zip(grads, variables))
    for v, c in zip(variables, clip_by_global_norm(grads, 2.5)):
        np.testing.assert_allclose(-v.numpy(), c, rtol=CLIP_RTOL)
    assert keras.ops.convert_to_numpy(clip_by_global_norm(grads, 5.0)[0]).tolist() == [3.0, 0.0]


def test_clipping_keeps_none_and_checks_threshold():
    g = clip_by_global_norm([None, np.ones(4, "float32")], 1.0)
    assert g[0] is None
    np.testing.assert_allclose(keras.ops.convert_to_numpy(g[1]), np.full(4, 0.5))
    with pytest.raises(ValueError, match="Received: threshold=0"):
        clip_by_global_norm([], 0)


def _summed_rows_gradient():
    """The gradient of sum(2 * table[[1, 1, 2]]) written out: row 1 is read twice."""
    return np.array([[0, 0], [4, 4], [2, 2], [0, 0]], "float32")


@pytest.mark.tensorflow_only  # tf.IndexedSlices, TensorFlow's sparse gradient of a gather
def test_clipping_measures_a_sparse_gradient_by_its_dense_form():
    """An embedding's tape gradient (rows 1, 1, 2) counts as the dense gradient it stands for.

    Row 1 is read twice: its gradient is the sum of the two slices, so the
    norm is sqrt(|2 + 2|^2 + |2|^2) per column, not sqrt(2^2 + 2^2 + 2^2).
    """
    table = tf.Variable(np.ones((4, 2), "float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(table, [1, 1, 2]) * 2.0)
    sparse = tape.gradient(loss, table)
    assert isinstance(sparse, tf.IndexedSlices)
    dense = tf.convert_to_tensor(sparse).numpy()
    got = clip_by_global_norm([sparse], 1.0)[0]
    want = clip_by_global_norm([dense], 1.0)[0]
    np.testing.assert_allclose(tf.convert_to_tensor(got), want, rtol=CLIP_RTOL)
    np.testing.assert_allclose(global_norm([tf.convert_to_tensor(got).numpy()]), 1.0,
                               rtol=CLIP_RTOL)
    np.testing.assert_array_equal(dense, _summed_rows_gradient())


def test_clipping_an_embedding_gradient_on_every_backend():
    """The gradient each backend's autodiff gives a table read at rows 1, 1, 2 (dense on JAX
    and PyTorch, densified from TensorFlow's slices) is the summed-rows gradient, and
    clipping rescales it to norm 1: sqrt(4^2 + 2^2) per column, not sqrt(3 * 2^2)."""
    table = keras.Variable(np.ones((4, 2), "float32"))
    _, _, _, (grad,) = value_and_gradients(
        lambda: (keras.ops.sum(keras.ops.take(table, np.array([1, 1, 2]), axis=0) * 2.0), None),
        [], variables=[table],
    )
    want = _summed_rows_gradient()
    np.testing.assert_array_equal(grad, want)
    got = keras.ops.convert_to_numpy(clip_by_global_norm([grad], 1.0)[0])
    np.testing.assert_allclose(got, want / np.sqrt((want**2).sum()), rtol=CLIP_RTOL)


# --- similarity and perplexity ---


def test_cosine_similarity_identities():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 5, 3))
    sim = keras.ops.convert_to_numpy(cosine_similarity(x, y))
    np.testing.assert_allclose(sim, -keras.losses.cosine_similarity(x, y).numpy(), rtol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(cosine_similarity(x, 3 * x)), 1.0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(cosine_similarity(x, -x)), -1.0)
    assert float(cosine_similarity(np.zeros(3), x[0])) == 0.0


def test_perplexity_is_exp_mean_cross_entropy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4, 6)).astype("float32")
    y = rng.integers(0, 6, size=(3, 4))
    ce = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True).numpy()
    metric = Perplexity()
    metric.update_state(y, logits)
    np.testing.assert_allclose(float(metric.result()), np.exp(ce.mean()), rtol=1e-6)
    uniform = Perplexity()
    uniform.update_state(y, np.zeros_like(logits))
    np.testing.assert_allclose(float(uniform.result()), 6.0, rtol=1e-6)


# --- truncated BPTT in the model ---


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_state_carried_across_blocks_equals_one_long_pass():
    """fit with a zero learning rate leaves the weights; its carried state is the long pass's."""
    vocab = Vocabulary.from_text(TINY)
    ids = np.tile(vocab.encode(TINY), 4)
    batch_size, time_size = 2, 5
    x, y = truncated_bptt_batches(ids, batch_size, time_size)
    model = tiny_model(vocab)
    model.compile(keras.optimizers.SGD(0.0))
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    streams = np.stack([np.concatenate(x[b::batch_size]) for b in range(batch_size)])
    _, states = model.forward(streams, training=False)
    for got, want in zip(model.carried_states(), states):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=STATE_RTOL, atol=STATE_ATOL)
    # And block by block through `forward`, handing the states over, gives the same.
    carried = None
    for k in range(len(x) // batch_size):
        _, carried = model.forward(x[k * batch_size : (k + 1) * batch_size], carried)
    for got, want in zip(carried, states):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=STATE_RTOL, atol=STATE_ATOL)


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_gradients_stop_at_block_boundaries():
    vocab = Vocabulary.from_text(TINY)
    ids = vocab.encode(TINY)
    first, second, target = ids[None, :3], ids[None, 3:6], ids[None, 4:7]
    model = tiny_model(vocab)
    model(first)

    def loss(scores):
        return tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(target, scores, from_logits=True)
        )

    with tf.GradientTape(persistent=True) as tape:
        _, states = model.forward(first)
        scores, _ = model.forward(second, states)
        chained = loss(scores)
    flat_states = [s for pair in states for s in pair]
    assert all(g is None for g in tape.gradient(chained, flat_states))
    frozen = [[tf.constant(s.numpy()) for s in pair] for pair in states]
    with tf.GradientTape() as fresh:
        scores, _ = model.forward(second, frozen)
        alone = loss(scores)
    got = tape.gradient(chained, model.trainable_variables)
    want = fresh.gradient(alone, model.trainable_variables)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(tf.convert_to_tensor(g), tf.convert_to_tensor(w))


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_each_epoch_starts_the_streams_from_zero():
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 2), 1, 5)
    model = tiny_model(vocab)
    model.compile(keras.optimizers.SGD(0.0))
    one = model.fit(x, y, batch_size=1, epochs=1, verbose=0).history["loss"]
    two = model.fit(x, y, batch_size=1, epochs=2, verbose=0).history["loss"]
    np.testing.assert_allclose(two, one * 2, rtol=STATE_RTOL)


# --- training on text ---


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_tiny_corpus_perplexity_falls_well_below_vocabulary_size():
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 10), 2, 5)
    model = tiny_model(vocab, dropout=0.1)
    model.compile(keras.optimizers.Adam(0.05))
    before = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
    history = model.fit(
        x, y, batch_size=2, epochs=12, verbose=0, validation_data=(x, y), validation_freq=12
    )
    after = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
    assert before > 0.9 * len(vocab)  # about uniform before training
    assert after < 1.5 < len(vocab) / 4
    assert history.history["val_perplexity"][-1] == pytest.approx(after, rel=1e-5)


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_real_text_from_an_installed_package():
    vocab = Vocabulary.from_text(zen_of_python())
    x, y = truncated_bptt_batches(vocab.encode(zen_of_python()), 4, 10)
    model = LanguageModel(vocab, embedding_dim=32, units=32, dropout=0.2, tie_weights=True)
    model.compile(keras.optimizers.Adam(0.02))
    history = model.fit(x, y, batch_size=4, epochs=30, verbose=0).history["perplexity"]
    assert history[0] > len(vocab) / 2
    assert history[-1] < len(vocab) / 4  # 7 to 16 over seeds 0-2
    text = model.generate("beautiful is", length=6, seed=1)
    assert len(text.split()) == 6 and set(tokenize(text)) <= set(vocab.words)


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_saved_model_generates_the_same_text(tmp_path):
    vocab = Vocabulary.from_text(TINY)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 4), 2, 5)
    for tie in (False, True):
        model = tiny_model(vocab, tie_weights=tie, dropout=0.3)
        model.compile(keras.optimizers.Adam(0.05))
        model.fit(x, y, batch_size=2, epochs=3, verbose=0)
        path = tmp_path / f"lm_{tie}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        assert type(loaded) is LanguageModel and loaded.tie_weights is tie
        text = model.generate("you say", length=8, seed=7)
        assert loaded.generate("you say", length=8, seed=7) == text
        assert model.generate(["you", "say"], length=8, seed=7) == text
        np.testing.assert_array_equal(loaded.word_vectors, model.word_vectors)


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_weight_tying_reuses_the_embedding():
    vocab = Vocabulary.from_text(TINY)
    untied, tied = tiny_model(vocab), tiny_model(vocab, tie_weights=True)
    tokens = vocab.encode(TINY)[None]
    untied(tokens), tied(tokens)
    assert untied.count_params() - tied.count_params() == len(vocab) * 8
    tied.output_bias.assign(np.arange(len(vocab), dtype="float32"))
    h = tokens  # the scores are (top LSTM output) @ E^T + b
    x = tied.embedding(h)
    for lstm in tied.recurrent_layers:
        x = lstm(x)[0]
    want = x.numpy() @ tied.word_vectors.T + np.arange(len(vocab))
    np.testing.assert_allclose(tied(tokens), want, rtol=1e-5, atol=1e-6)


def test_dropout_only_in_depth():
    model = LanguageModel(["a", "b"], embedding_dim=4, units=4, num_layers=3, dropout=0.4)
    assert [d.rate for d in model.drops] == [0.4] * 4
    assert all(lstm.dropout == lstm.recurrent_dropout == 0 for lstm in model.recurrent_layers)


def test_most_similar_by_cosine():
    model = LanguageModel(["a", "b", "c", "d"], embedding_dim=2, units=2, dropout=0.0)
    model(np.zeros((1, 1), "int32"))
    model.embedding.embeddings.assign(np.array([[1, 0], [1, 1], [-1, 0], [0.9, 0.1]], "float32"))
    got = model.most_similar("a", top_k=2)
    assert [w for w, _ in got] == ["d", "b"]
    np.testing.assert_allclose([s for _, s in got], [0.9 / np.hypot(0.9, 0.1), 1 / np.sqrt(2)],
                               rtol=1e-6)
    with pytest.raises(ValueError, match=r"Received: \['z'\]"):
        model.most_similar("z")


@pytest.mark.tensorflow_only  # LanguageModel trains with tf.GradientTape
def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="Received: embedding_dim=8, units=4"):
        LanguageModel(["a"], embedding_dim=8, units=4, tie_weights=True)
    with pytest.raises(ValueError, match="Received: dropout=1.0"):
        LanguageModel(["a"], dropout=1.0)
    with pytest.raises(ValueError, match="Received: threshold=-1"):
        LanguageModel(["a"], clipnorm=-1)
    vocab = Vocabulary.from_text(TINY)
    model = tiny_model(vocab)
    with pytest.raises(ValueError, match=r"shape \(batch, time\).*\(2, 3, 1\)"):
        model.forward(np.zeros((2, 3, 1), "int32"))
    tokens = np.zeros((2, 3), "int32")
    with pytest.raises(ValueError, match="one \\[h, c\\] pair per LSTM"):
        model.forward(tokens, [[np.zeros((2, 8), "float32")] * 2])
    with pytest.raises(ValueError, match="`initial_state` must be 2 tensor"):
        model.forward(tokens, [[np.zeros((2, 5), "float32")] * 2] * 2)
    x, y = truncated_bptt_batches(np.tile(vocab.encode(TINY), 4), 2, 5)
    model.compile(keras.optimizers.SGD())
    with pytest.raises(ValueError, match="Received: shuffle=True"):
        model.fit(x, y, batch_size=2, shuffle=True)
    with pytest.raises(ValueError, match="Received: batch_size=4, 6 blocks"):
        model.fit(x, y, batch_size=4)
