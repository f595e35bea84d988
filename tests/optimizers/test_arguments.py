"""Constructor contract: Keras's signatures and defaults, clear errors, serialization."""

import inspect

import keras
import pytest
from optimizer_cases import DEFAULTS

from kerastoolkit import optimizers

TWIN_OF = {
    optimizers.SGD: keras.optimizers.SGD,
    optimizers.Adagrad: keras.optimizers.Adagrad,
    optimizers.RMSprop: keras.optimizers.RMSprop,
    optimizers.Adadelta: keras.optimizers.Adadelta,
    optimizers.Adam: keras.optimizers.Adam,
    optimizers.Nadam: keras.optimizers.Nadam,
}


@pytest.mark.parametrize("ours", list(TWIN_OF), ids=lambda c: c.__name__)
def test_signature_and_defaults_match_keras(ours):
    """Every argument Keras's twin takes, ours takes too, with the same default."""
    theirs = inspect.signature(TWIN_OF[ours].__init__).parameters
    mine = inspect.signature(ours.__init__).parameters
    algorithm_args = [n for n in mine if n not in ("self", "name", "kwargs")]
    for name in algorithm_args:
        assert mine[name].default == theirs[name].default, name
    # The base options travel through **kwargs and reach the base class.
    base = {
        "weight_decay": 0.01,
        "clipnorm": 1.0,
        "use_ema": True,
        "ema_momentum": 0.9,
        "ema_overwrite_frequency": 3,
        "loss_scale_factor": 8.0,
        "gradient_accumulation_steps": 2,
    }
    opt = ours(**base, name="mine")
    config = opt.get_config()
    for key, value in base.items():
        assert config[key] == value, key
    assert config["name"] == "mine"


def test_momentum_accepts_int_zero():
    """Keras's SGD refuses momentum=0 (an int); ours takes any real number in range."""
    assert optimizers.SGD(momentum=0).momentum == 0


BAD = [
    (optimizers.SGD, {"learning_rate": 0.0}, ValueError, r"learning_rate.*\(0, inf\).*0\.0"),
    (optimizers.Adam, {"learning_rate": -1e-3}, ValueError, r"learning_rate.*-0\.001"),
    (optimizers.SGD, {"momentum": 1.0}, ValueError, r"momentum.*\[0, 1\).*1\.0"),
    (optimizers.SGD, {"momentum": -0.1}, ValueError, r"momentum"),
    (optimizers.SGD, {"momentum": "0.9"}, TypeError, r"momentum.*real number"),
    (optimizers.SGD, {"nesterov": 1}, TypeError, r"nesterov.*True or False"),
    (optimizers.Momentum, {"nesterov": True}, ValueError, r"nesterov=False"),
    (optimizers.Nesterov, {"nesterov": False}, ValueError, r"nesterov=True"),
    (optimizers.Adagrad, {"epsilon": 0.0}, ValueError, r"epsilon"),
    (optimizers.Adagrad, {"initial_accumulator_value": -0.1}, ValueError,
     r"initial_accumulator_value"),
    (optimizers.RMSprop, {"rho": 1.0}, ValueError, r"rho"),
    (optimizers.RMSprop, {"momentum": 1.5}, ValueError, r"momentum"),
    (optimizers.RMSprop, {"centered": "yes"}, TypeError, r"centered"),
    (optimizers.Adadelta, {"rho": -0.5}, ValueError, r"rho"),
    (optimizers.Adadelta, {"epsilon": -1e-7}, ValueError, r"epsilon"),
    (optimizers.Adam, {"beta_1": 1.0}, ValueError, r"beta_1.*\[0, 1\)"),
    (optimizers.Adam, {"beta_2": 1.2}, ValueError, r"beta_2"),
    (optimizers.Adam, {"amsgrad": None}, TypeError, r"amsgrad"),
    (optimizers.Nadam, {"beta_1": -0.9}, ValueError, r"beta_1"),
    (optimizers.Nadam, {"epsilon": 0}, ValueError, r"epsilon"),
    (optimizers.Adam, {"learning_rate": True}, TypeError, r"learning_rate"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD)
def test_invalid_hyperparameters_are_refused(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_schedules_and_callables_are_accepted():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert optimizers.Adam(schedule).get_config()["learning_rate"]["class_name"]
    assert optimizers.SGD(lambda: 0.01).learning_rate == 0.01


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_config_round_trip(name):
    ours_cls, _, kwargs = DEFAULTS[name]
    opt = ours_cls(**kwargs)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(again) is ours_cls
    assert again.get_config() == opt.get_config()
    assert isinstance(keras.optimizers.get(opt), keras.optimizers.Optimizer)
