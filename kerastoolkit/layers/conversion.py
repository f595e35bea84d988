"""Move a model built or saved with Keras's layers onto kerastoolkit's twins."""

import keras

from kerastoolkit.layers.activation import ELU, Identity, LeakyReLU, ReLU, Softmax
from kerastoolkit.layers.conv import Conv2D
from kerastoolkit.layers.dense import Dense
from kerastoolkit.layers.dropout import Dropout
from kerastoolkit.layers.embedding import Embedding
from kerastoolkit.layers.lstm import LSTM, LSTMCell
from kerastoolkit.layers.normalization import BatchNormalization
from kerastoolkit.layers.pooling import AveragePooling2D, MaxPooling2D
from kerastoolkit.layers.reshaping import Flatten
from kerastoolkit.layers.rnn import RNN, SimpleRNN, SimpleRNNCell

__all__ = ["KERAS_TWINS", "from_keras"]

# Keras's class -> ours: same arguments, defaults, weights (in the same order) and masks.
KERAS_TWINS = {
    keras.layers.Dense: Dense,
    keras.layers.Conv2D: Conv2D,
    keras.layers.MaxPooling2D: MaxPooling2D,
    keras.layers.AveragePooling2D: AveragePooling2D,
    keras.layers.Flatten: Flatten,
    keras.layers.Dropout: Dropout,
    keras.layers.BatchNormalization: BatchNormalization,
    keras.layers.Embedding: Embedding,
    keras.layers.Identity: Identity,
    keras.layers.ReLU: ReLU,
    keras.layers.LeakyReLU: LeakyReLU,
    keras.layers.ELU: ELU,
    keras.layers.Softmax: Softmax,
    keras.layers.SimpleRNNCell: SimpleRNNCell,
    keras.layers.LSTMCell: LSTMCell,
    keras.layers.SimpleRNN: SimpleRNN,
    keras.layers.LSTM: LSTM,
    keras.layers.RNN: RNN,
}


def _twin(layer):
    """Our twin of `layer` made from its config, or a fresh copy of it when it has none.

    Only exact Keras classes are swapped: a subclass may change what the layer
    computes, so it is copied as it is.
    """
    ours = KERAS_TWINS.get(type(layer))
    config = layer.get_config()
    if ours is None:
        return type(layer).from_config(config)
    if ours is RNN:
        config.pop("cell")
        return RNN(_twin(layer.cell), **config)
    try:
        return ours.from_config(config)
    except TypeError as error:
        # Keras's from_config wraps our ValueError (which names the refused argument).
        if isinstance(error.__context__, ValueError):
            raise error.__context__ from None
        raise


def _copy_weights(source, target):
    """Copy every weight of `source` into `target`, layer by layer (models recursively)."""
    if isinstance(source, keras.Model):
        for a, b in zip(source.layers, target.layers, strict=True):
            _copy_weights(a, b)
    else:
        target.set_weights(source.get_weights())


def from_keras(model):
    r"""Rebuild a Sequential or functional Keras model with kerastoolkit's layers, same weights.

    Each layer of `model` that has a twin here (`Dense`, `Conv2D`,
    `MaxPooling2D`, `AveragePooling2D`, `Flatten`, `Dropout`,
    `BatchNormalization`, `Embedding`, `Identity`, `ReLU`, `LeakyReLU`,
    `ELU`, `Softmax`, `SimpleRNN`, `LSTM`, `RNN` and the two cells) is
    replaced by ours, built from the layer's own config; other layers are
    copied as they are. Nested Sequential and functional models are rebuilt
    the same way. Every weight is then copied, so the new model computes what
    the old one did. A config using a feature we do not implement (LoRA,
    quantization, `groups > 1`, `channels_first`, batch renormalization)
    raises a `ValueError` naming the argument. The new model is not compiled.

    A `.keras` file saved with Keras's layers names them as Keras built-ins,
    which `keras.saving.load_model` resolves to Keras's classes whatever
    `custom_objects` says; so load it first, then convert:
    `from_keras(keras.saving.load_model("model.keras"))`.

    Args:
        model: a built `keras.Sequential` or functional `keras.Model`, e.g.
            from `keras.saving.load_model("model.keras")`.

    Returns:
        A new `keras.Model` of the same kind, with our layers.

    Raises:
        TypeError: `model` is a subclassed model (its layers are wired in
            Python code, which cannot be rebuilt from configs).

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.layers import from_keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> ours = from_keras(model)
        >>> type(ours.layers[0]).__module__
        'kerastoolkit.layers.dense'
        >>> x = np.ones((1, 3), "float32")
        >>> bool(np.array_equal(ours.predict(x, verbose=0), model.predict(x, verbose=0)))
        True
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: model={model!r}")
    if not isinstance(model, keras.Sequential) and not _is_functional(model):
        raise TypeError(
            "from_keras rebuilds Sequential and functional models from their configs; a "
            f"subclassed model ({type(model).__name__}) has no such config. Construct it with "
            "kerastoolkit's layers instead."
        )
    new = keras.models.clone_model(model, clone_function=_twin, recursive=True)
    _copy_weights(model, new)
    return new


def _is_functional(model):
    """A functional model knows its symbolic inputs; a subclassed one does not."""
    return isinstance(getattr(model, "inputs", None), list)
