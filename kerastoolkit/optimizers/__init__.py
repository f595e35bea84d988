r"""Optimizers: `keras.optimizers.Optimizer` subclasses, one module per family.

The lineage taught in the course: plain gradient descent ([`SGD`][kerastoolkit.optimizers.SGD])
improves its *direction* with [`Momentum`][kerastoolkit.optimizers.Momentum] and
[`Nesterov`][kerastoolkit.optimizers.Nesterov], its *step size* with
[`Adagrad`][kerastoolkit.optimizers.Adagrad], [`RMSprop`][kerastoolkit.optimizers.RMSprop] and
[`Adadelta`][kerastoolkit.optimizers.Adadelta], and both with
[`Adam`][kerastoolkit.optimizers.Adam] and [`Nadam`][kerastoolkit.optimizers.Nadam].
Each takes the same arguments as its Keras twin, so swapping the import is the
only change a script needs.
"""

from kerastoolkit.optimizers.adadelta import Adadelta
from kerastoolkit.optimizers.adagrad import Adagrad
from kerastoolkit.optimizers.adam import Adam
from kerastoolkit.optimizers.base import Optimizer
from kerastoolkit.optimizers.loss_scale import LossScaleOptimizer
from kerastoolkit.optimizers.nadam import Nadam
from kerastoolkit.optimizers.rmsprop import RMSprop
from kerastoolkit.optimizers.sgd import SGD, Momentum, Nesterov

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "Nadam",
    "LossScaleOptimizer",
]
