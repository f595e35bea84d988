"""Layers written with `keras.ops`, drop-in twins of `keras.layers`."""

# Each section is owned by the module named in it; keep them apart.

# --- activation layers (activation.py, glu.py) ---

# --- core layers (dense.py, conv.py, pooling.py, dropout.py, normalization.py,
#     residual.py, embedding.py, reshaping.py) ---

# --- recurrent layers (rnn.py, lstm.py) ---
# isort: split
from kerastoolkit.layers.lstm import LSTM as LSTM
from kerastoolkit.layers.lstm import LSTMCell as LSTMCell
from kerastoolkit.layers.rnn import RNN as RNN
from kerastoolkit.layers.rnn import DropoutMasks as DropoutMasks
from kerastoolkit.layers.rnn import SimpleRNN as SimpleRNN
from kerastoolkit.layers.rnn import SimpleRNNCell as SimpleRNNCell
