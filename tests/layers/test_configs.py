"""Configs cross over: Keras's twin's config builds ours, and ours builds Keras's twin."""

import keras
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastoolkit import layers as K

ACTIVATIONS = st.sampled_from([None, "relu", "tanh", "sigmoid", "softmax"])
RATES = st.sampled_from([0.0, 0.1, 0.5])
SEEDS = st.one_of(st.none(), st.integers(0, 100))
POSITIVE = st.integers(1, 6)
PADDINGS = st.sampled_from(["valid", "same"])


def _pairs(draw_size):
    return st.tuples(st.integers(1, draw_size), st.integers(1, draw_size))


def _cell_options():
    return {
        "activation": st.sampled_from(["tanh", "relu"]),
        "use_bias": st.booleans(),
        "dropout": RATES,
        "recurrent_dropout": RATES,
        "seed": SEEDS,
    }


def _recurrent_kwargs():
    sequence_options = {
        name: st.booleans()
        for name in ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
    }
    return st.fixed_dictionaries(
        {"units": POSITIVE}, optional={**_cell_options(), **sequence_options}
    )


def _cell_kwargs():
    return st.fixed_dictionaries({"units": POSITIVE}, optional=_cell_options())


# name -> hypothesis strategy of keyword arguments both classes take.
TWINS = {
    "Dense": st.fixed_dictionaries(
        {"units": POSITIVE},
        optional={
            "activation": ACTIVATIONS,
            "use_bias": st.booleans(),
            "kernel_initializer": st.sampled_from(["glorot_uniform", "zeros", "he_normal"]),
            "kernel_regularizer": st.sampled_from([None, "l2"]),
            "activity_regularizer": st.sampled_from([None, "l1"]),
        },
    ),
    "Embedding": st.fixed_dictionaries(
        {"input_dim": POSITIVE, "output_dim": POSITIVE},
        optional={
            "mask_zero": st.booleans(),
            "embeddings_initializer": st.sampled_from(["uniform", "ones"]),
            "embeddings_regularizer": st.sampled_from([None, "l2"]),
        },
    ),
    "BatchNormalization": st.fixed_dictionaries(
        {},
        optional={
            "axis": st.sampled_from([-1, 1, 2]),
            "momentum": st.sampled_from([0.0, 0.9, 0.99]),
            "epsilon": st.sampled_from([1e-3, 1e-5]),
            "center": st.booleans(),
            "scale": st.booleans(),
            "synchronized": st.just(False),
            "renorm": st.just(False),
            "renorm_momentum": st.sampled_from([0.9, 0.99]),
        },
    ),
    "Dropout": st.fixed_dictionaries(
        {"rate": RATES},
        optional={
            "noise_shape": st.sampled_from([None, (None, 1), (None, 1, 4)]),
            "seed": SEEDS,
        },
    ),
    "ReLU": st.fixed_dictionaries(
        {},
        optional={
            "max_value": st.sampled_from([None, 1.0, 6.0]),
            "negative_slope": st.sampled_from([0.0, 0.1]),
            "threshold": st.sampled_from([0.0, 0.5]),
        },
    ),
    "LeakyReLU": st.fixed_dictionaries(
        {}, optional={"negative_slope": st.sampled_from([0.0, 0.01, 0.3])}
    ),
    "ELU": st.fixed_dictionaries({}, optional={"alpha": st.sampled_from([0.5, 1.0])}),
    "Softmax": st.fixed_dictionaries({}, optional={"axis": st.sampled_from([-1, 1, (1, 2)])}),
    "Identity": st.just({}),
    "Flatten": st.fixed_dictionaries(
        {}, optional={"data_format": st.sampled_from(["channels_last", "channels_first"])}
    ),
    "Conv2D": st.fixed_dictionaries(
        {"filters": POSITIVE, "kernel_size": _pairs(3)},
        optional={
            "strides": _pairs(2),
            "padding": PADDINGS,
            "activation": ACTIVATIONS,
            "use_bias": st.booleans(),
        },
    ),
    "MaxPooling2D": st.fixed_dictionaries(
        {}, optional={"pool_size": _pairs(3), "strides": _pairs(2), "padding": PADDINGS}
    ),
    "AveragePooling2D": st.fixed_dictionaries(
        {"pool_size": _pairs(3)}, optional={"strides": _pairs(2), "padding": PADDINGS}
    ),
    "SimpleRNNCell": _cell_kwargs(),
    "LSTMCell": _cell_kwargs(),
    "SimpleRNN": _recurrent_kwargs(),
    "LSTM": _recurrent_kwargs(),
}

# Keys one side writes and the other does not, on purpose (each documented).
EXTRA_KEYS = {
    # Keras's SimpleRNN takes `seed` but leaves it out of its config; ours keeps it.
    "SimpleRNN": {"seed"},
}


def _same_configs(name, ours, theirs):
    extra = EXTRA_KEYS.get(name, set())
    assert set(ours) - extra == set(theirs) - extra
    for key in set(theirs) - extra - {"name"}:
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("name", sorted(TWINS))
@given(data=st.data())
def test_kerass_config_builds_ours_and_ours_builds_kerass(name, data):
    kwargs = data.draw(TWINS[name])
    ours_cls, theirs_cls = getattr(K, name), getattr(keras.layers, name)

    theirs = theirs_cls(**kwargs)
    from_theirs = ours_cls.from_config(theirs.get_config())
    assert type(from_theirs) is ours_cls
    _same_configs(name, from_theirs.get_config(), theirs.get_config())

    ours = ours_cls(**kwargs)
    from_ours = theirs_cls.from_config(ours.get_config())
    assert type(from_ours) is theirs_cls
    _same_configs(name, ours.get_config(), from_ours.get_config())

    # And each round-trips into itself.
    _same_configs(name, ours_cls.from_config(ours.get_config()).get_config(), ours.get_config())


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell"])
@given(kwargs=_cell_kwargs(), return_sequences=st.booleans())
def test_rnn_configs_cross_over_with_the_cell_inside(cell, kwargs, return_sequences):
    theirs = keras.layers.RNN(
        getattr(keras.layers, cell)(**kwargs), return_sequences=return_sequences
    )
    ours = K.RNN.from_config(theirs.get_config())
    assert type(ours) is K.RNN
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}
    back = keras.layers.RNN.from_config(K.RNN(getattr(K, cell)(**kwargs)).get_config())
    assert type(back.cell) is getattr(K, cell)
    assert back.cell.get_config() == {
        **getattr(K, cell)(**kwargs).get_config(),
        "name": back.cell.name,
    }
