"""Layers written with `keras.ops`, drop-in twins of `keras.layers`."""

# Each section is owned by the module named in it; keep them apart.

# --- activation layers (activation.py, glu.py) ---
from kerastoolkit.layers.activation import ELU as ELU
from kerastoolkit.layers.activation import Identity as Identity
from kerastoolkit.layers.activation import LeakyReLU as LeakyReLU
from kerastoolkit.layers.activation import ReLU as ReLU
from kerastoolkit.layers.activation import Sigmoid as Sigmoid
from kerastoolkit.layers.activation import Softmax as Softmax
from kerastoolkit.layers.activation import Step as Step
from kerastoolkit.layers.activation import Tanh as Tanh
from kerastoolkit.layers.glu import GLU as GLU

# isort: split

# --- core layers (dense.py, conv.py, pooling.py, dropout.py, normalization.py,
#     residual.py, embedding.py, reshaping.py) ---
from kerastoolkit.layers.conv import Conv2D as Conv2D
from kerastoolkit.layers.dense import Dense as Dense
from kerastoolkit.layers.dropout import Dropout as Dropout
from kerastoolkit.layers.embedding import Embedding as Embedding
from kerastoolkit.layers.normalization import BatchNormalization as BatchNormalization
from kerastoolkit.layers.pooling import AveragePooling2D as AveragePooling2D
from kerastoolkit.layers.pooling import MaxPooling2D as MaxPooling2D
from kerastoolkit.layers.reshaping import Flatten as Flatten
from kerastoolkit.layers.residual import Residual as Residual

# --- recurrent layers (rnn.py, lstm.py) ---
# isort: split
from kerastoolkit.layers.lstm import LSTM as LSTM
from kerastoolkit.layers.lstm import LSTMCell as LSTMCell
from kerastoolkit.layers.rnn import RNN as RNN
from kerastoolkit.layers.rnn import DropoutMasks as DropoutMasks
from kerastoolkit.layers.rnn import SimpleRNN as SimpleRNN
from kerastoolkit.layers.rnn import SimpleRNNCell as SimpleRNNCell
