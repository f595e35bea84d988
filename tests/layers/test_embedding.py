"""Embedding: row lookup equal to keras.layers.Embedding, with a sparse, correct gradient."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit.layers import Embedding
from kerastoolkit.testing import value_and_gradients

# A lookup copies rows, and its gradient adds at most 3*4 upstream values per
# row: float32 sums a few ulps apart.
RTOL, ATOL = 1e-6, 1e-6


def _lookup_and_gradient(layer, t, upstream):
    """The rows looked up and the (dense) gradient of sum(rows * upstream) w.r.t. the table."""

    def loss(t):
        y = layer(t)
        u = keras.ops.convert_to_tensor(upstream)
        return keras.ops.sum(keras.ops.cast(y, "float32") * u), y

    _, y, _, (g,) = value_and_gradients(loss, [t], [layer.embeddings])
    return y, g


def _tape_gradient(layer, t, upstream):
    """TensorFlow's own gradient object for the table (IndexedSlices when sparse)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y = layer(t)
        loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
    return y, tape.gradient(loss, layer.embeddings.value)


@given(
    input_dim=st.integers(1, 10),
    output_dim=st.integers(1, 4),
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_matches_keras_embedding_with_sparse_gradient(input_dim, output_dim, shape, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, input_dim, size=shape).astype("int32")
    upstream = rng.normal(size=(*shape, output_dim)).astype("float32")
    ours, theirs = Embedding(input_dim, output_dim), keras.layers.Embedding(input_dim, output_dim)
    ours.build(None)
    theirs.build(None)
    ours.set_weights(theirs.get_weights())
    y, g = _lookup_and_gradient(ours, t, upstream)
    y_ref, g_ref = _lookup_and_gradient(theirs, t, upstream)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(g, g_ref, RTOL, ATOL)
    # and equal to the one-hot formulation: dE = onehot(t)^T @ upstream
    onehot = np.eye(input_dim, dtype="float32")[t.ravel()]
    np.testing.assert_allclose(g, onehot.T @ upstream.reshape(-1, output_dim), RTOL, ATOL)


@pytest.mark.tensorflow_only  # IndexedSlices are TensorFlow's sparse gradients
def test_tensorflow_gradient_is_sparse_like_keras():
    import tensorflow as tf

    t = np.array([[1, 3, 1]], "int32")
    ours, theirs = Embedding(5, 2), keras.layers.Embedding(5, 2)
    ours.build(None)
    theirs.build(None)
    ours.set_weights(theirs.get_weights())
    upstream = np.ones((1, 3, 2), "float32")
    _, g = _tape_gradient(ours, t, upstream)
    _, g_ref = _tape_gradient(theirs, t, upstream)
    assert isinstance(g, tf.IndexedSlices) and isinstance(g_ref, tf.IndexedSlices)
    np.testing.assert_array_equal(tf.convert_to_tensor(g), tf.convert_to_tensor(g_ref))


def test_float_indices_are_cast_and_mask_zero_masks_padding():
    layer = Embedding(4, 2, mask_zero=True)
    t = np.array([[0, 3, 1]], "float32")
    y = layer(t)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(y)[0, 1], keras.ops.convert_to_numpy(layer.embeddings)[3]
    )
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.compute_mask(t)), [[False, True, True]]
    )
    assert Embedding(4, 2).compute_mask(t) is None


def test_mixed_precision_float16_rows_from_a_float32_table():
    keras.config.set_dtype_policy("mixed_float16")
    layer = Embedding(5, 3)
    layer.build(None)
    y, g = _lookup_and_gradient(layer, np.array([[1, 4]]), np.ones((1, 2, 3), "float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert layer.embeddings.dtype == "float32" and g.dtype == "float32"
    np.testing.assert_array_equal(g, [[0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]])


@pytest.mark.tensorflow_only  # IndexedSlices are TensorFlow's sparse gradients
def test_mixed_precision_sparse_gradient_is_float32():
    import tensorflow as tf

    keras.config.set_dtype_policy("mixed_float16")
    layer = Embedding(5, 3)
    layer.build(None)
    _, g = _tape_gradient(layer, np.array([[1, 4]]), np.ones((1, 2, 3), "float32"))
    assert isinstance(g, tf.IndexedSlices) and g.values.dtype == "float32"


def test_trains_in_a_model_and_reloads(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((3,), dtype="int32"),
            Embedding(6, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    t = np.array([[1, 2, 3], [4, 5, 0]], "int32")
    model.fit(t, np.array([[1.0], [-1.0]], "float32"), epochs=2, verbose=0)
    path = tmp_path / "embedding.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is Embedding
    np.testing.assert_array_equal(loaded.predict(t, verbose=0), model.predict(t, verbose=0))


@pytest.mark.parametrize(
    "args, match", [((0, 2), "input_dim=0"), ((3, -1), "output_dim=-1"), ((2.5, 2), "input_dim")]
)
def test_bad_sizes_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        Embedding(*args)
