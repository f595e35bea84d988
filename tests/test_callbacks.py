"""GradientNormHistory records the true per-layer gradient norms and changes nothing about fit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerastoolkit.callbacks import GradientNormHistory

# One float32 forward/backward pass through a tiny network, norms of order 0.01-10.
RTOL = 1e-5
DEPTH = 6
WIDTH = 8


def _data(n=16, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.integers(0, 2, size=(n, 1)).astype("float32")
    return x, y


def _model(activation="relu", extra=()):
    layers = [keras.Input((4,))]
    layers += [keras.layers.Dense(WIDTH, activation=activation) for _ in range(DEPTH)]
    layers += list(extra)
    layers += [keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
    return model


def test_norms_equal_a_hand_computed_tape():
    x, y = _data()
    model = _model()
    callback = GradientNormHistory(x, y)
    callback.set_model(model)
    recorded = callback.layer_norms()
    with tf.GradientTape() as tape:
        loss = keras.losses.binary_crossentropy(y, model(x, training=False))
        loss = tf.reduce_mean(loss)
    dense = [layer for layer in model.layers if layer.trainable_weights]
    grads = tape.gradient(loss, [[w.value for w in layer.trainable_weights] for layer in dense])
    expected = [np.sqrt(sum(float(tf.reduce_sum(g**2)) for g in gs)) for gs in grads]
    assert list(recorded) == [layer.name for layer in dense]
    np.testing.assert_allclose(list(recorded.values()), expected, rtol=RTOL)


@pytest.mark.parametrize("record_initial, entries", [(True, 4), (False, 3)])
def test_one_entry_per_epoch_and_layers_without_weights_skipped(record_initial, entries):
    x, y = _data()
    model = _model(extra=[keras.layers.Dropout(0.5), keras.layers.Activation("relu")])
    norms = GradientNormHistory(x, y, record_initial=record_initial)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[norms])
    assert len(norms.history) == DEPTH + 1
    assert all(len(v) == entries for v in norms.history.values())
    assert all(np.isfinite(v).all() and min(v) > 0 for v in norms.history.values())


def test_recording_does_not_change_training():
    # Inference mode on a fixed batch: no dropout draw, no batch-norm update,
    # no optimizer step, so the run with the callback is bit-identical.
    x, y = _data()
    runs = []
    for callbacks in ([], [GradientNormHistory(x, y)]):
        keras.utils.set_random_seed(0)
        model = _model(extra=[keras.layers.Dropout(0.3), keras.layers.BatchNormalization()])
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=callbacks)
        runs.append((history.history["loss"], [w.numpy() for w in model.weights]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_a_deep_sigmoid_network_loses_its_gradient_towards_the_input():
    x, y = _data(n=64)
    ratios = {}
    for activation in ("sigmoid", "relu"):
        keras.utils.set_random_seed(0)
        norms = GradientNormHistory(x, y)
        _model(activation).fit(x, y, epochs=1, verbose=0, callbacks=[norms])
        first, *_, last = [v[0] for v in norms.history.values()]
        ratios[activation] = first / last
    # sigma' <= 1/4 per layer: over six layers at least a hundredfold loss.
    assert ratios["sigmoid"] < 1e-2
    assert ratios["relu"] > 10 * ratios["sigmoid"]


def test_bad_record_initial_is_refused():
    with pytest.raises(TypeError, match="record_initial=1"):
        GradientNormHistory(np.ones((1, 1)), np.ones((1, 1)), record_initial=1)
