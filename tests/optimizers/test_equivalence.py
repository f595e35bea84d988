"""Every optimizer equals its Keras twin: variables after every step, all slots at the end."""

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keras.ops import convert_to_numpy as to_numpy
from optimizer_cases import ATOL, DEFAULTS, RTOL, TWINS, keras_kwargs

from kerastoolkit import optimizers
from kerastoolkit.testing import assert_optimizers_match, optimizer_trajectories


@st.composite
def problems(draw):
    """Initial values and a 1-50 step gradient sequence for 1-2 small variables."""
    shapes = draw(
        st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1,
                 max_size=2)
    )
    n_steps = draw(st.integers(1, 50))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    initial = [rng.normal(size=s).astype("float32") for s in shapes]
    steps = [
        [rng.uniform(-5, 5, size=s).astype("float32") for s in shapes] for _ in range(n_steps)
    ]
    return initial, steps


@pytest.mark.parametrize("name", sorted(TWINS))
@given(data=st.data())
def test_matches_keras_twin(name, data):
    ours_cls, keras_cls, hyper = TWINS[name]
    kwargs = data.draw(hyper, label="hyperparameters")
    initial, steps = data.draw(problems(), label="problem")
    assert_optimizers_match(
        ours_cls(**kwargs), keras_cls(**kwargs), initial, steps, rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_named_entry_points_match_keras(name):
    ours_cls, keras_cls, kwargs = DEFAULTS[name]
    rng = np.random.default_rng(3)
    initial = [rng.normal(size=(3, 2)).astype("float32")]
    steps = [[rng.normal(size=(3, 2)).astype("float32")] for _ in range(20)]
    assert_optimizers_match(
        ours_cls(**kwargs), keras_cls(**keras_kwargs(name, kwargs)), initial, steps,
        rtol=RTOL, atol=ATOL,
    )


@pytest.mark.tensorflow_only  # the fused (XLA-compiled) update is TensorFlow's path
@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_fused_update_equals_keras_path(name):
    """The compiled update (the default on TensorFlow) equals Keras's op-by-op path."""
    ours_cls, _, kwargs = DEFAULTS[name]
    plain = ours_cls(**kwargs)
    plain.jit_update = False
    fused = ours_cls(**kwargs)
    rng = np.random.default_rng(4)
    initial = [rng.normal(size=(5,)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")]
    steps = [[rng.normal(size=v.shape).astype("float32") for v in initial] for _ in range(10)]
    assert_optimizers_match(fused, plain, initial, steps, rtol=RTOL, atol=ATOL)
    assert fused.__dict__.get("_fused_updates"), "the fused path was not taken"
    assert not plain.__dict__.get("_fused_updates")


def test_fused_cache_keeps_slots_apart():
    """Two variables of one shape, updated in separate calls, keep their own slots."""
    a, b = keras.Variable(np.ones(3, "float32")), keras.Variable(np.ones(3, "float32"))
    ra, rb = keras.Variable(np.ones(3, "float32")), keras.Variable(np.ones(3, "float32"))
    ours, ref = optimizers.Adam(0.1), keras.optimizers.Adam(0.1)
    ours.build([a, b])
    ref.build([ra, rb])
    for g_a, g_b in [(1.0, -2.0), (0.5, 3.0), (-1.0, 1.0)]:
        g_a, g_b = (keras.ops.full((3,), g, "float32") for g in (g_a, g_b))
        ours.apply_gradients([(g_a, a)])
        ours.apply_gradients([(g_b, b)])
        ref.apply_gradients([(g_a, ra)])
        ref.apply_gradients([(g_b, rb)])
    np.testing.assert_allclose(to_numpy(a), to_numpy(ra), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(to_numpy(b), to_numpy(rb), rtol=RTOL, atol=ATOL)


def test_momentum_zero_is_sgd():
    rng = np.random.default_rng(5)
    initial = [rng.normal(size=(4,)).astype("float32")]
    steps = [[rng.normal(size=(4,)).astype("float32")] for _ in range(10)]
    for cls in (optimizers.Momentum, optimizers.Nesterov):
        assert_optimizers_match(
            cls(learning_rate=0.1, momentum=0.0), optimizers.SGD(learning_rate=0.1),
            initial, steps, rtol=RTOL, atol=ATOL,
        )


def test_adadelta_step_is_scaled_by_learning_rate():
    """Keras's convention: the paper's rule times `learning_rate`."""
    rng = np.random.default_rng(6)
    g = [[rng.normal(size=(3,)).astype("float32")]]
    start = np.zeros(3, "float32")
    unit = optimizers.Adadelta(learning_rate=1.0)
    tenth = optimizers.Adadelta(learning_rate=0.1)
    from kerastoolkit.testing import optimizer_trajectories

    step_unit = optimizer_trajectories(unit, [start], g)["variables"][0][0]
    step_tenth = optimizer_trajectories(tenth, [start], g)["variables"][0][0]
    np.testing.assert_allclose(step_tenth, 0.1 * step_unit, rtol=RTOL, atol=ATOL)


def test_nesterov_equals_the_taught_look_ahead_form():
    """On f(θ) = ½ aθ², the stored φ equals θ + γv of the taught look-ahead rule."""
    a, lr, gamma, theta0 = 3.0, 0.05, 0.9, 2.0
    theta, v = theta0, 0.0
    phi = keras.Variable([theta0])
    opt = optimizers.Nesterov(learning_rate=lr, momentum=gamma)
    for _ in range(15):
        # Taught form: the gradient at the look-ahead point θ + γv.
        v = gamma * v - lr * a * (theta + gamma * v)
        theta = theta + v
        opt.apply_gradients([(np.array([a * to_numpy(phi)[0]], "float32"), phi)])
        np.testing.assert_allclose(to_numpy(phi)[0], theta + gamma * v, rtol=1e-5)


# Decays close to 1, where 1 - float32(beta) is off by ~1e-5 relative: the
# averages take 1 - beta before rounding, as Keras does, so the first step's
# slots agree to float32 rounding (a few ulps), far tighter than RTOL.
SLOT_ULPS_RTOL = 4 * float(np.finfo("float32").eps)
NEAR_ONE = {
    "Adam": dict(beta_1=0.9, beta_2=0.999),
    "Nadam": dict(beta_1=0.9, beta_2=0.999),
    "RMSprop": dict(rho=0.999),
    "Adadelta": dict(rho=0.999),
}


@pytest.mark.parametrize("name", sorted(NEAR_ONE))
def test_first_step_slots_round_like_keras_for_decays_near_one(name):
    ours_cls, keras_cls, _ = TWINS[name]
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(64,)).astype("float32")]
    steps = [[rng.normal(size=(64,)).astype("float32")]]
    ours = optimizer_trajectories(ours_cls(**NEAR_ONE[name]), values, steps)["slots"]
    theirs = optimizer_trajectories(keras_cls(**NEAR_ONE[name]), values, steps)["slots"]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=SLOT_ULPS_RTOL, atol=0)
