"""Figures of the hand-written CNN guide: training curves, tape vs hand-derived backward."""

import keras
from figure_library import figure

from kerastoolkit import datasets, optimizers, plotting
from kerastoolkit.models import ConvolutionNetwork

CNN_EPOCHS = 8
CNN_BATCH = 32
CNN_LEARNING_RATE = 0.01


def _histories():
    (x, y), validation, _ = datasets.train_val_test_split(*datasets.load_digits())
    histories = {}
    for backward in ("tape", "manual"):
        keras.utils.set_random_seed(0)
        model = ConvolutionNetwork(backward=backward)
        model.compile(optimizers.Adam(CNN_LEARNING_RATE), metrics=["accuracy"])
        histories[f'backward="{backward}"'] = model.fit(
            x, y, validation_data=validation, epochs=CNN_EPOCHS, batch_size=CNN_BATCH,
            verbose=0,
        )
    return histories


_cache = {}


def _cached_histories():
    if "histories" not in _cache:
        _cache["histories"] = _histories()
    return _cache["histories"]


@figure("cnn-loss")
def cnn_loss():
    return plotting.plot_history(
        _cached_histories(), metric="loss", log_scale=True,
        title="ConvolutionNetwork on the 8x8 digits: loss",
    )


@figure("cnn-accuracy")
def cnn_accuracy():
    return plotting.plot_history(
        _cached_histories(), metric="accuracy",
        title="ConvolutionNetwork on the 8x8 digits: accuracy",
    )
