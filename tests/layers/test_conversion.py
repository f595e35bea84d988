"""from_keras moves a model saved with Keras's layers onto ours, weights and numbers included."""

import keras
import numpy as np
import pytest
from test_dropin import assert_close

from kerastoolkit import layers as K
from kerastoolkit.layers import KERAS_TWINS, from_keras

# The same weights through the same maths in another order: a few float32 ulps.
RTOL, ATOL = 1e-5, 1e-6


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _assert_all_ours(model):
    for layer in _leaf_layers(model):
        if type(layer) in KERAS_TWINS.values():
            continue
        assert type(layer) not in KERAS_TWINS, f"{layer.name} is still Keras's {type(layer)}"


def _saved_and_loaded(model, path):
    model.save(path)
    return keras.saving.load_model(path)


def test_a_saved_sequential_text_model_moves_over(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            keras.layers.Embedding(20, 4, mask_zero=True),
            keras.layers.Dense(5, activation="tanh"),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(3, return_sequences=True),
            keras.layers.SimpleRNN(2),
            keras.layers.Dense(3),
            keras.layers.Softmax(),
        ]
    )
    x = np.array([[1, 5, 7, 0, 0, 0], [2, 3, 4, 5, 6, 0]])
    loaded = _saved_and_loaded(model, tmp_path / "text.keras")
    ours = from_keras(loaded)
    assert isinstance(ours, keras.Sequential)
    assert [type(layer) for layer in ours.layers] == [
        K.Embedding,
        K.Dense,
        K.Dropout,
        K.LSTM,
        K.SimpleRNN,
        K.Dense,
        K.Softmax,
    ]
    assert_close(ours.predict(x, verbose=0), loaded.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


def test_a_saved_functional_image_model_with_a_nested_block_moves_over(tmp_path):
    block = keras.Sequential(
        [
            keras.layers.Conv2D(4, 3, padding="same"),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
        ],
        name="block",
    )
    inputs = keras.Input((8, 8, 2))
    h = block(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.AveragePooling2D(2)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.LeakyReLU(negative_slope=0.1)(keras.layers.Dense(6)(h))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.ELU()(h))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 2)).astype("float32")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, np.eye(2)[[0, 1, 0]], epochs=1, verbose=0)  # moving statistics move

    loaded = _saved_and_loaded(model, tmp_path / "image.keras")
    ours = from_keras(loaded)
    _assert_all_ours(ours)
    assert type(ours.get_layer("block").layers[1]) is K.BatchNormalization
    assert_close(ours.predict(x, verbose=0), loaded.predict(x, verbose=0), rtol=RTOL, atol=ATOL)
    # The converted model saves and loads as ours.
    reloaded = _saved_and_loaded(ours, tmp_path / "ours.keras")
    _assert_all_ours(reloaded)
    assert_close(reloaded.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=0, atol=0)


def test_an_rnn_wrapper_gets_our_cell_too():
    model = keras.Sequential(
        [keras.Input((4, 3)), keras.layers.RNN(keras.layers.LSTMCell(2), return_sequences=True)]
    )
    ours = from_keras(model)
    rnn = ours.layers[0]
    assert type(rnn) is K.RNN and type(rnn.cell) is K.LSTMCell and rnn.return_sequences
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    assert_close(ours(x), model(x), rtol=RTOL, atol=ATOL)


def test_layers_without_a_twin_and_keras_subclasses_are_copied_as_they_are():
    class MyDense(keras.layers.Dense):
        pass

    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.GaussianNoise(0.1), MyDense(2), keras.layers.Dense(1)]
    )
    ours = from_keras(model)
    assert [type(layer) for layer in ours.layers] == [keras.layers.GaussianNoise, MyDense, K.Dense]
    x = np.ones((2, 3), "float32")
    assert_close(ours(x), model(x), rtol=RTOL, atol=ATOL)


def test_a_feature_we_do_not_implement_is_named():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, lora_rank=2)])
    with pytest.raises(ValueError, match="lora_rank"):
        from_keras(model)


def test_a_subclassed_model_or_a_layer_is_refused():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.ones((1, 3), "float32"))
    with pytest.raises(TypeError, match="subclassed"):
        from_keras(net)
    with pytest.raises(TypeError, match="keras.Model"):
        from_keras(keras.layers.Dense(2))
