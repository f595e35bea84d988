"""Activation layers and GLU: equal to their Keras twins; masks, configs, save/load, bad args."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerastoolkit import activations, layers
from kerastoolkit.testing import assert_layers_match, layer_outputs_and_gradients

# float32, same primitive ops as Keras: outputs and gradients agree to a few ulps.
RTOL = 1e-5
ATOL = 1e-6

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def _floats(bound):
    return st.floats(-bound, bound, width=32, allow_nan=False, allow_infinity=False)


def arrays(shape=shapes, bound=1e4, kinks=(0.0,)):
    """Every element drawn on its own (no repeated fill value), from a mix of moderate
    and full ranges, and the kinks exactly."""
    elements = st.one_of(
        _floats(min(bound, 1.0)),
        _floats(min(bound, 20.0)),
        _floats(bound),
        st.sampled_from([np.float32(k) for k in kinks]),
    )
    return hnp.arrays(np.float32, shape, elements=elements, fill=st.nothing())


@given(
    x=arrays(bound=20, kinks=(0.0, 0.5, 1.0, 6.0)),  # the kinks x = theta and x = m exactly
    m=st.sampled_from([None, 0.5, 6.0]),
    s=st.sampled_from([0.0, 0.2]),
    theta=st.sampled_from([0.0, 1.0]),
)
def test_relu_layer_matches_keras(x, m, s, theta):
    kwargs = {"max_value": m, "negative_slope": s, "threshold": theta}
    assert_layers_match(layers.ReLU(**kwargs), keras.layers.ReLU(**kwargs), x, rtol=RTOL, atol=ATOL)


@given(x=arrays(), s=st.one_of(st.none(), st.floats(0, 1)))
def test_leaky_relu_layer_matches_keras(x, s):
    kwargs = {} if s is None else {"negative_slope": s}  # None: both defaults (0.3)
    assert_layers_match(
        layers.LeakyReLU(**kwargs), keras.layers.LeakyReLU(**kwargs), x, rtol=RTOL, atol=ATOL
    )


@given(x=arrays(), alpha=st.floats(0, 3))
def test_elu_layer_matches_keras(x, alpha):
    assert_layers_match(layers.ELU(alpha), keras.layers.ELU(alpha), x, rtol=RTOL, atol=ATOL)


@given(x=arrays(), axis=st.sampled_from([-1, 0]))
def test_softmax_layer_matches_keras(x, axis):
    assert_layers_match(
        layers.Softmax(axis), keras.layers.Softmax(axis), x, rtol=RTOL, atol=ATOL
    )


@given(x=arrays(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)))
def test_softmax_layer_over_two_axes_sums_to_one_over_both(x):
    # Keras's layer uses exp(x - logsumexp(x)) for several axes, losing ulp(max x)
    # in the exponent; ours is checked against float64 NumPy instead.
    y = np.asarray(layers.Softmax(axis=(0, -1))(x))
    x64 = x.astype("float64")
    e = np.exp(x64 - x64.max(axis=(0, -1), keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(axis=(0, -1), keepdims=True), rtol=RTOL, atol=ATOL)


@given(
    x=arrays(st.tuples(st.integers(1, 3), st.integers(2, 5)), bound=50),
    data=st.data(),
)
def test_softmax_layer_mask_matches_keras(x, data):
    mask = data.draw(hnp.arrays(np.bool_, x.shape))
    ours = np.asarray(layers.Softmax()(x, mask=mask))
    theirs = np.asarray(keras.layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
    assert (ours[~mask] == 0).all()


@pytest.mark.parametrize(
    "ours, name",
    [(layers.Sigmoid, "sigmoid"), (layers.Tanh, "tanh"), (layers.Identity, "linear")],
)
@given(x=arrays())
def test_sigmoid_tanh_identity_layers_match_keras(ours, name, x):
    assert_layers_match(ours(), keras.layers.Activation(name), x, rtol=RTOL, atol=ATOL)


@given(x=arrays())
def test_step_layer_is_heaviside_with_zero_gradient(x):
    y, g, _, _ = layer_outputs_and_gradients(layers.Step(), x)
    # Compared with Keras, not NumPy: TensorFlow flushes float32 subnormals to zero.
    np.testing.assert_array_equal(y, keras.ops.convert_to_numpy(keras.ops.heaviside(x, 0.0)))
    np.testing.assert_array_equal(g, np.zeros_like(x))


@given(
    x=arrays(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3)),
    axis=st.sampled_from([-1, 1]),
)
def test_glu_layer_matches_keras(x, axis):
    x = np.concatenate([x, x[..., ::-1] if axis == -1 else -x], axis=axis)  # even along `axis`
    ours = layers.GLU(axis)
    assert_layers_match(
        ours,
        keras.layers.Activation(lambda v: keras.activations.glu(v, axis=axis)),
        x,
        rtol=RTOL,
        atol=ATOL,
    )
    expected = list(x.shape)
    expected[axis] //= 2
    assert ours.compute_output_shape(x.shape) == tuple(expected)


ALL = [
    layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    layers.LeakyReLU(0.1),
    layers.ELU(0.7),
    layers.Softmax(axis=(1, 2)),
    layers.Sigmoid(),
    layers.Tanh(),
    layers.Step(),
    layers.Identity(),
    layers.GLU(axis=1),
]


@pytest.mark.parametrize("layer", ALL, ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(0).normal(size=(2, 4, 4)).astype("float32")
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(layer(x)))


def test_elu_config_keeps_alpha():
    assert layers.ELU(alpha=0.5).get_config()["alpha"] == 0.5  # Keras's ELU drops it


def test_model_with_every_layer_saves_and_loads(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((4, 4)),
            layers.ReLU(max_value=6.0),
            layers.LeakyReLU(),
            layers.ELU(0.5),
            layers.Tanh(),
            layers.Sigmoid(),
            layers.Identity(),
            layers.GLU(axis=1),
            layers.Softmax(),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation=activations.elu),
            layers.Step(),
        ]
    )
    path = tmp_path / "layers.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(a) for a in loaded.layers] == [type(a) for a in model.layers]
    assert loaded.layers[-2].activation is activations.elu
    assert loaded.layers[2].alpha == 0.5
    x = np.random.default_rng(0).normal(size=(3, 4, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layers_train_in_fit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, size=32)

    def build(relu, softmax):
        return keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(8), relu, keras.layers.Dense(2), softmax]
        )

    reference = build(keras.layers.ReLU(), keras.layers.Softmax())
    ours = build(layers.ReLU(), layers.Softmax())
    ours.set_weights(reference.get_weights())
    losses = []
    for model in (ours, reference):
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        losses.append(model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0))
    np.testing.assert_allclose(losses[0].history["loss"], losses[1].history["loss"], rtol=RTOL)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.ReLU(max_value=-1.0), r"max_value=-1.0"),
        (lambda: layers.ReLU(negative_slope=-0.5), r"negative_slope=-0.5"),
        (lambda: layers.ReLU(threshold=-1.0), r"threshold=-1.0"),
        (lambda: layers.LeakyReLU(negative_slope=None), r"negative_slope=None"),
        (lambda: layers.ELU(alpha=-1.0), r"alpha=-1.0"),
    ],
)
def test_bad_arguments_raise_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_glu_refuses_an_odd_axis_at_build():
    with pytest.raises(ValueError, match=r"even.*input_shape=\(None, 3\)"):
        layers.GLU().build((None, 3))
    with pytest.raises(ValueError, match=r"axis=2"):
        layers.GLU(axis=2).build((None, 4))


def test_bad_axis_types():
    with pytest.raises(TypeError, match=r"axis='x'"):
        layers.Softmax(axis="x")
    with pytest.raises(TypeError, match=r"axis=1.5"):
        layers.GLU(axis=1.5)
