"""Experiment `optimizers`: adaptive steps beat plain SGD on the MNIST sample (quick, seeded)."""

import pytest

from kerastoolkit.experiments import optimizers as experiment

# The measurement (20 epochs, 4,000 images) puts RMSprop and Adam ~6 points above SGD;
# the quick run (3 epochs, 1,000 images) leaves SGD much further behind. Demand 5 points.
MARGIN_PP = 5.0


def test_adam_and_rmsprop_end_above_plain_sgd():
    result = experiment.run(quick=True, verbose=0, names=("SGD", "RMSprop", "Adam"))
    accuracy = {row["optimizer"]: row["test_accuracy"] for row in result.rows}
    assert accuracy["RMSprop"] > accuracy["SGD"] + MARGIN_PP
    assert accuracy["Adam"] > accuracy["SGD"] + MARGIN_PP
    # The course's numbers sit beside ours where the notes give one.
    assert {row["optimizer"]: row["course"] for row in result.rows} == {
        "SGD": None, "RMSprop": 97.93, "Adam": 98.12}
    assert result.dataset == "mnist_sample" and "1,000 training" in result.data
    # One loss per iteration: 3 epochs of ceil(1000 / 32) = 32 batches. The first is
    # measured before any update, from the same weights and batch: equal for all three.
    curves = [h["iteration_loss"] for h in result.histories.values()]
    assert [len(c) for c in curves] == [96] * 3
    assert curves[0][0] == pytest.approx(curves[1][0], rel=1e-6) == pytest.approx(curves[2][0])


def test_batch_losses_recover_each_iteration_from_the_running_mean():
    import keras
    import numpy as np

    from kerastoolkit.experiments._common import BatchLosses

    # Keras logs the running mean over the epoch; the callback undoes it exactly.
    means = [4.0, 3.0, 2.7]  # batch losses 4, 2, 1.5 (batches of 2, 2 and 1 samples)
    recorder = BatchLosses(num_samples=5, batch_size=2)
    recorder.set_model(keras.Sequential([keras.Input((1,))]))
    recorder.on_epoch_begin(0)
    for k, mean in enumerate(means):
        recorder.on_train_batch_end(k, {"loss": mean})
    np.testing.assert_allclose(recorder.losses, [4.0, 2.0, 1.5], rtol=1e-12)
