"""Layers written with `keras.ops`, drop-in twins of `keras.layers`."""

from kerastoolkit.layers.activation import (
    ELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Step,
    Tanh,
)
from kerastoolkit.layers.conv import Conv2D
from kerastoolkit.layers.conversion import KERAS_TWINS, from_keras
from kerastoolkit.layers.dense import Dense
from kerastoolkit.layers.dropout import Dropout
from kerastoolkit.layers.embedding import Embedding
from kerastoolkit.layers.glu import GLU
from kerastoolkit.layers.lstm import LSTM, LSTMCell
from kerastoolkit.layers.normalization import BatchNormalization
from kerastoolkit.layers.pooling import AveragePooling2D, MaxPooling2D
from kerastoolkit.layers.reshaping import Flatten
from kerastoolkit.layers.residual import Residual
from kerastoolkit.layers.rnn import RNN, DropoutMasks, SimpleRNN, SimpleRNNCell

# Keras's short aliases (the course's code writes `MaxPool2D`); left out of
# __all__ so the API reference documents each class once.
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D

__all__ = [
    # activations
    "Step",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Identity",
    "Softmax",
    "GLU",
    # core
    "Dense",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "Residual",
    "Embedding",
    # recurrent
    "SimpleRNNCell",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "LSTM",
    "DropoutMasks",
    # moving a Keras model onto these layers
    "from_keras",
    "KERAS_TWINS",
]
