"""Experiment `initialization`: He keeps ReLU's spread through 5 layers, std 0.01 collapses it."""

import pytest

from kerastoolkit.experiments import initialization as experiment

# std of layer 5 over std of layer 1. He's variance 2/n is ReLU's fixed point: ~1
# (measured 1.12); 0.01 shrinks the spread ~14x per layer (measured 3e-5 after 4).
KEEPS_SPREAD = 0.5
COLLAPSED = 1e-3


@pytest.fixture(scope="module")
def rows():
    return experiment.run(quick=True, verbose=0).rows


def spread(rows, activation, initializer):
    (row,) = [r for r in rows if (r["activation"], r["initializer"]) == (activation, initializer)]
    return experiment.spread(row)


def test_he_keeps_relu_activations_spread_where_std_001_collapses_them(rows):
    assert spread(rows, "relu", "He") > KEEPS_SPREAD
    assert spread(rows, "relu", "std 0.01") < COLLAPSED
    # Glorot's 1/n-ish variance halves ReLU's spread layer after layer: in between.
    assert COLLAPSED < spread(rows, "relu", "Glorot (Xavier)") < KEEPS_SPREAD


def test_tanh_collapses_with_std_001_and_keeps_its_spread_with_glorot(rows):
    assert spread(rows, "tanh", "std 0.01") < COLLAPSED
    assert spread(rows, "tanh", "Glorot (Xavier)") > KEEPS_SPREAD


def test_nothing_is_trained_so_epochs_are_refused():
    with pytest.raises(ValueError, match="epochs=3"):
        experiment.run(epochs=3, verbose=0)
