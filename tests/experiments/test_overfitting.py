"""Experiment `overfitting`: on 300 images, weight decay and dropout shrink the train-test gap."""

import pytest

from kerastoolkit.experiments import overfitting as experiment

# The quick run (20 epochs) measured: plain 21.9 points, L2 14.9, decoupled weight decay
# 17.3, dropout 5.7. Demand that each cure narrows the plain gap by at least 2 points.
MIN_NARROWING_PP = 2.0


@pytest.fixture(scope="module")
def rows():
    return {row["cure"]: row for row in experiment.run(quick=True, verbose=0).rows}


def test_the_plain_deep_mlp_overfits_its_300_images(rows):
    plain = rows["none"]
    assert plain["train_accuracy"] > 95.0 and plain["gap"] > 10.0


@pytest.mark.parametrize("cure", ["L2 kernel_regularizer", "decoupled weight_decay", "Dropout"])
def test_each_cure_shrinks_the_train_test_gap(rows, cure):
    assert rows[cure]["gap"] < rows["none"]["gap"] - MIN_NARROWING_PP
    assert rows[cure]["gap"] == pytest.approx(
        rows[cure]["train_accuracy"] - rows[cure]["test_accuracy"], abs=0.011)
