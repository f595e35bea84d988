"""Figures of the overfitting guide: the course CNN with and without its cures; learning rates."""

import keras
import numpy as np
from figure_library import figure

from kerastoolkit import activations, datasets, layers, optimizers, plotting
from kerastoolkit.models import LinearRegression

# A deliberately small training set makes the plain CNN overfit within seconds.
TRAIN_SIZE = 150
FIT_EPOCHS = 20
FIT_BATCH = 32
FIT_LEARNING_RATE = 0.01
CONV_FILTERS = 10
HIDDEN_UNITS = 100
DROPOUT_RATE = 0.5
# Keras's default 0.99 needs hundreds of steps before the moving statistics used
# at inference forget their initial values; this run has only about 100.
BN_MOMENTUM = 0.9


def _course_cnn(cure):
    """The course CNN from our layers, plain or with a Dropout / BatchNormalization cure."""
    conv = [layers.Conv2D(CONV_FILTERS, 3, padding="same")]
    if cure == "batch normalization":
        conv.append(layers.BatchNormalization(momentum=BN_MOMENTUM))
    dense = [layers.Dense(HIDDEN_UNITS, activation=activations.relu)]
    if cure == "dropout":
        dense.append(layers.Dropout(DROPOUT_RATE))
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), *conv, keras.layers.Activation(activations.relu),
         layers.MaxPooling2D(2), layers.Flatten(), *dense,
         layers.Dense(10, activation=activations.softmax)]
    )
    model.compile(
        optimizers.Adam(FIT_LEARNING_RATE), loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@figure("overfitting-cures")
def overfitting_cures():
    (x, y), validation, _ = datasets.train_val_test_split(*datasets.load_digits())
    histories = {}
    for cure in ("none", "dropout", "batch normalization"):
        keras.utils.set_random_seed(0)
        histories[cure] = _course_cnn(cure).fit(
            x[:TRAIN_SIZE], y[:TRAIN_SIZE], validation_data=validation,
            epochs=FIT_EPOCHS, batch_size=FIT_BATCH, validation_batch_size=len(validation[0]),
            verbose=0,
        )
    return plotting.plot_history(
        histories, metric="loss", log_scale=True,
        title=f"Course CNN, {TRAIN_SIZE} training digits",
    )


# The course's linear regression: x = [1, 2, 3], y = [1, 2, 3], from w = 5, b = 0.
LR_X = np.array([[1.0], [2.0], [3.0]], "float32")
LR_Y = np.array([[1.0], [2.0], [3.0]], "float32")
LR_W0 = 5.0
LR_EPOCHS = 25
LR_RATES = {"too small": 0.005, "right": 0.15, "too large": 0.4}


@figure("overfitting-learning-rate")
def learning_rates():
    histories = {}
    for label, rate in LR_RATES.items():
        model = LinearRegression(kernel_initializer=keras.initializers.Constant(LR_W0))
        model.compile(optimizers.SGD(rate))
        histories[f"{label} (lr={rate:g})"] = model.fit(
            LR_X, LR_Y, epochs=LR_EPOCHS, batch_size=len(LR_X), verbose=0
        )
    return plotting.plot_history(
        histories, metric="loss", log_scale=True,
        title="Linear regression on x = y = [1, 2, 3], from w = 5",
    )
