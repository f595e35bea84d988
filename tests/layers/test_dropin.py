"""Drop-in behaviour a Keras model relies on: masks, Keras's arguments, validation, subclasses."""

import warnings

import keras
import numpy as np
import pytest

from kerastoolkit import layers as K

# float32 products and sums over at most a few dozen terms, in another order.
RTOL, ATOL = 1e-6, 1e-6


def _numpy(value):
    return keras.ops.convert_to_numpy(value)


def assert_close(actual, desired, **tolerances):
    np.testing.assert_allclose(_numpy(actual), _numpy(desired), **tolerances)


def assert_equal(actual, desired):
    np.testing.assert_array_equal(_numpy(actual), _numpy(desired))


TF_ONLY = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="sparse/ragged symbolic inputs are TF-only"
)

# A padded batch: index 0 is padding, so Embedding(mask_zero=True) masks those steps.
TOKENS = np.array([[1, 2, 0, 0], [3, 4, 5, 0]])


def _padded_pipeline(middle):
    """Embedding(mask_zero) -> `middle` -> LSTM: the LSTM sees padding unless the mask passes."""
    return keras.Sequential(
        [
            keras.Input((TOKENS.shape[1],), dtype="int32"),
            keras.layers.Embedding(10, 4, mask_zero=True),
            middle,
            keras.layers.LSTM(2),
        ]
    )


# (ours, Keras's twin): each passes the mask on exactly where Keras's does.
MASK_TWINS = [
    (lambda: K.Dense(4), lambda: keras.layers.Dense(4)),
    (lambda: K.Dropout(0.5), lambda: keras.layers.Dropout(0.5)),
    (lambda: K.BatchNormalization(), lambda: keras.layers.BatchNormalization()),
    (lambda: K.Identity(), lambda: keras.layers.Identity()),
    (lambda: K.ReLU(), lambda: keras.layers.ReLU()),
    (lambda: K.LeakyReLU(), lambda: keras.layers.LeakyReLU()),
    (lambda: K.ELU(), lambda: keras.layers.ELU()),
    (lambda: K.Sigmoid(), lambda: keras.layers.Activation("sigmoid")),
    (lambda: K.Tanh(), lambda: keras.layers.Activation("tanh")),
    # Keras's Activation(glu) reports the unhalved shape symbolically, so the LSTM after it
    # would be built for the wrong width: GLU is checked by padding invariance alone.
    (lambda: K.GLU(), None),
]


@pytest.mark.parametrize("ours, theirs", MASK_TWINS)
def test_mask_reaches_the_next_layer_as_with_keras(ours, theirs):
    our_model = _padded_pipeline(ours())
    if theirs is not None:
        keras_model = _padded_pipeline(theirs())
        our_model.set_weights(keras_model.get_weights())
        assert_close(
            our_model.predict(TOKENS, verbose=0),
            keras_model.predict(TOKENS, verbose=0),
            rtol=RTOL,
            atol=ATOL,
        )
    # Padding must not matter: the same sequences padded further give the same result.
    longer = np.pad(TOKENS, ((0, 0), (0, 3)))
    our_longer = keras.Sequential(
        [keras.Input((longer.shape[1],), dtype="int32"), *our_model.layers]
    )
    assert_close(
        our_longer.predict(longer, verbose=0),
        our_model.predict(TOKENS, verbose=0),
        rtol=RTOL,
        atol=ATOL,
    )


def test_the_issue_example_dense_before_lstm():
    # Embedding(10, 3, mask_zero=True) -> Dense(3) -> LSTM(2) on [[1, 2, 0, 0]]:
    # -0.0047 with our Dense and -0.0078 with Keras's before masks passed through.
    x = np.array([[1, 2, 0, 0]])

    def model(dense):
        return keras.Sequential(
            [
                keras.Input((4,), dtype="int32"),
                keras.layers.Embedding(10, 3, mask_zero=True),
                dense,
                keras.layers.LSTM(2),
            ]
        )

    theirs, ours = model(keras.layers.Dense(3)), model(K.Dense(3))
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x), rtol=RTOL, atol=ATOL)


def test_batch_normalization_leaves_masked_steps_out_of_the_moments():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 0, 0, 0, 0]], bool)
    ours, theirs = K.BatchNormalization(momentum=0.5), keras.layers.BatchNormalization(momentum=0.5)
    y_ours = ours(x, training=True, mask=mask)
    y_theirs = theirs(x, training=True, mask=mask)
    assert_close(y_ours, y_theirs, rtol=RTOL, atol=ATOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        assert_close(a, b, rtol=RTOL, atol=ATOL)
    # The moving mean folds in the mean of the unmasked steps only (momentum 0.5).
    assert_close(ours.moving_mean, 0.5 * x[mask].mean(axis=0), rtol=RTOL, atol=ATOL)


def test_batch_normalization_fully_masked_batch_gives_zero_moments_as_keras():
    x = np.ones((2, 3, 2), "float32")
    mask = np.zeros((2, 3), bool)
    ours, theirs = K.BatchNormalization(momentum=0.0), keras.layers.BatchNormalization(momentum=0.0)
    assert_close(ours(x, training=True, mask=mask), theirs(x, training=True, mask=mask), rtol=RTOL)
    assert_equal(ours.moving_mean, np.zeros(2, "float32"))


def test_batch_normalization_refuses_a_mask_of_the_wrong_rank():
    with pytest.raises(ValueError, match="mask"):
        K.BatchNormalization()(
            np.ones((2, 3, 4), "float32"), training=True, mask=np.ones((2, 3, 4))
        )


@pytest.mark.parametrize("mask_shape", [(2, 3), (1, 1, 3), (1, 2)])
def test_softmax_refuses_a_mask_that_does_not_broadcast(mask_shape):
    with pytest.raises(ValueError, match="mask"):
        K.Softmax()(np.zeros((1, 3), "float32"), mask=np.ones(mask_shape, bool))


def test_softmax_numeric_mask_keeps_entries_above_one_half_as_keras():
    x = np.array([[1.0, 2.0, 3.0, 4.0]], "float32")
    mask = np.array([[0.3, 1.0, 0.7, 0.5]], "float32")
    y = K.Softmax()(x, mask=mask)
    assert_close(y, keras.layers.Softmax()(x, mask=mask), rtol=RTOL, atol=ATOL)
    assert float(y[0, 0]) == 0.0 and float(y[0, 3]) == 0.0


def test_glu_refuses_to_split_an_axis_the_mask_covers():
    layer = K.GLU(axis=1)
    with pytest.raises(ValueError, match="mask"):
        layer.compute_mask(np.ones((2, 4, 3), "float32"), np.ones((2, 4), bool))
    mask = np.ones((2, 4), bool)
    assert K.GLU().compute_mask(np.ones((2, 4, 6), "float32"), mask) is mask


# -- Keras's constructor arguments ---------------------------------------------------------


def test_batch_normalization_takes_kerass_arguments_at_their_defaults():
    layer = K.BatchNormalization(
        synchronized=False, renorm=False, renorm_clipping={"rmax": 3.0}, renorm_momentum=0.9
    )
    config = layer.get_config()
    assert (config["synchronized"], config["renorm"]) == (False, False)
    assert (config["renorm_clipping"], config["renorm_momentum"]) == ({"rmax": 3.0}, 0.9)


@pytest.mark.parametrize("name", ["synchronized", "renorm"])
def test_batch_normalization_refuses_what_it_does_not_implement(name):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}=True"):
        K.BatchNormalization(**{name: True})


@pytest.mark.parametrize("as_list", [True, False])
def test_embedding_weights_argument_loads_the_table(as_list):
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = K.Embedding(4, 3, weights=[table] if as_list else table)
    assert layer.built
    assert_equal(layer.embeddings, table)
    assert_equal(layer(np.array([[3, 0]]))[0], table[[3, 0]])


def test_embedding_input_length_is_deprecated_as_in_keras():
    with pytest.warns(UserWarning, match="input_length"):
        K.Embedding(4, 3, input_length=5)


@pytest.mark.parametrize("implementation", [1, 2])
def test_lstm_takes_kerass_implementation_argument(implementation):
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    ours = K.LSTM(4, implementation=implementation, return_sequences=True)
    theirs = keras.layers.LSTM(4, implementation=implementation, return_sequences=True)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    assert ours.cell.implementation == implementation


@pytest.mark.parametrize("implementation", [0, 3, True, "2"])
def test_lstm_refuses_other_implementations(implementation):
    with pytest.raises(ValueError, match="implementation"):
        K.LSTM(2, implementation=implementation)


def test_lstm_takes_use_cudnn_but_refuses_to_promise_cudnn():
    K.LSTM(2, use_cudnn=False)
    K.LSTM(2, use_cudnn="auto")
    with pytest.raises(ValueError, match="use_cudnn"):
        K.LSTM(2, use_cudnn=True)


def test_leaky_relu_alpha_is_the_deprecated_negative_slope_with_kerass_warning():
    x = np.array([-10.0, 0.0, 3.0], "float32")
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        ours = K.LeakyReLU(alpha=0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.layers.LeakyReLU(alpha=0.001)
    assert ours.negative_slope == 0.001
    assert_equal(ours(x), theirs(x))
    assert ours.get_config()["negative_slope"] == 0.001 and "alpha" not in ours.get_config()


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: K.Dense(2, **kw),
        lambda **kw: K.Embedding(3, 2, **kw),
    ],
)
def test_quantization_and_lora_arguments_only_at_their_defaults(make):
    make(lora_rank=None, lora_alpha=None, quantization_config=None)
    with pytest.raises(ValueError, match="lora_rank.*Received: lora_rank=4"):
        make(lora_rank=4)
    with pytest.raises(ValueError, match="lora_alpha"):
        make(lora_alpha=8)
    with pytest.raises(ValueError, match="quantization_config"):
        make(quantization_config={"mode": "int8"})
    with pytest.raises(NotImplementedError, match="LoRA"):
        make().enable_lora(2)


def test_conv2d_lora_arguments_only_at_their_defaults():
    K.Conv2D(2, 3, lora_rank=None, lora_alpha=None)
    with pytest.raises(ValueError, match="lora_rank"):
        K.Conv2D(2, 3, lora_rank=2)
    with pytest.raises(NotImplementedError, match="LoRA"):
        K.Conv2D(2, 3).enable_lora(2)


# -- validation like Keras -----------------------------------------------------------------


def test_dense_keeps_kerass_input_spec():
    layer = K.Dense(2)
    layer(keras.Input((3,)))
    with pytest.raises(ValueError, match="incompatible with the layer"):
        layer(keras.Input((4,)))
    with pytest.raises(ValueError, match="min_ndim=2"):
        K.Dense(2)(keras.Input(batch_shape=(3,)))


@pytest.mark.parametrize("noise_shape", ["abc", 5, (2, 1.5), (2, -1), (2, 0), (True, 1), [None, 0]])
def test_dropout_noise_shape_is_checked_at_construction(noise_shape):
    with pytest.raises(ValueError, match="noise_shape"):
        K.Dropout(0.5, noise_shape=noise_shape)


def test_dropout_noise_shape_as_a_list_is_kept_as_a_tuple():
    assert K.Dropout(0.5, noise_shape=[None, 1]).noise_shape == (None, 1)


# -- mutable attributes and subclasses -----------------------------------------------------


def test_dense_activation_can_be_removed_after_construction():
    x = np.array([[1.0, -2.0]], "float32")
    layer = K.Dense(2, activation="relu", kernel_initializer="ones", bias_initializer="zeros")
    layer.activation = None
    assert_equal(layer(x), np.array([[-1.0, -1.0]], "float32"))


@pytest.mark.parametrize("base", [K.ReLU, K.Sigmoid, K.Identity, K.Softmax, K.Dropout])
def test_a_subclass_that_overrides_build_gets_it_called(base):
    args = (0.5,) if base is K.Dropout else ()

    class WithScale(base):
        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

        def call(self, inputs):
            return super().call(inputs) * self.gain

    layer = WithScale(*args)
    assert not layer.built
    y = layer(np.ones((1, 3), "float32"))
    assert layer.built and [w.name for w in layer.weights] == ["gain"]
    assert y.shape == (1, 3)
    assert base(*args).built  # without a build of its own, built at construction as in Keras


def test_rnn_takes_a_cell_with_state_size_but_no_output_size():
    class MinimalCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

        def call(self, inputs, states):
            h = keras.ops.matmul(inputs, self.kernel) + states[0]
            return h, [h]

    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    ours, theirs = K.RNN(MinimalCell(5)), keras.layers.RNN(MinimalCell(5))
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x, training=True), theirs(x, training=True), rtol=RTOL)
    assert ours.compute_output_shape(x.shape) == (2, 5)


# -- symbolic flags ------------------------------------------------------------------------


@TF_ONLY
@pytest.mark.parametrize("make", [K.Flatten, K.Identity])
def test_sparse_symbolic_inputs_give_sparse_outputs(make):
    assert make()(keras.Input((2, 3), sparse=True)).sparse
    assert not make()(keras.Input((2, 3))).sparse


@TF_ONLY
def test_ragged_symbolic_indices_give_ragged_embeddings():
    assert K.Embedding(5, 2)(keras.Input((None,), ragged=True, dtype="int32")).ragged
    assert not K.Embedding(5, 2)(keras.Input((None,), dtype="int32")).ragged


def test_dropout_passes_the_mask_in_training_too():
    # Without training, the old Dropout returned its input tensor itself, mask attached; a
    # training call makes a new tensor, which carries the mask only if Dropout supports it.
    # noise_shape (None, 1, 4) draws one row per sequence, the same for any length.
    def model(length):
        net = _padded_pipeline(K.Dropout(0.5, noise_shape=(None, 1, 4), seed=3))
        return keras.Sequential([keras.Input((length,), dtype="int32"), *net.layers])

    short, long = model(TOKENS.shape[1]), model(TOKENS.shape[1] + 3)
    long.set_weights(short.get_weights())
    longer = np.pad(TOKENS, ((0, 0), (0, 3)))
    assert_close(long(longer, training=True), short(TOKENS, training=True), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("make", [K.MaxPooling2D, lambda: K.AveragePooling2D(2)])
def test_pooling_is_built_at_construction_and_still_checks_its_input(make):
    layer = make()
    assert layer.built
    with pytest.raises(ValueError, match="rank"):
        layer(keras.Input((4, 4)))
