"""kerastoolkit: classic deep-learning algorithms as readable Keras 3 components."""

import importlib

from kerastoolkit import activations, layers, losses, models, optimizers, saving, testing

__version__ = "0.1.0"

# Imported on first use: they pull in scikit-learn, matplotlib and KerasTuner.
_LAZY = ("callbacks", "datasets", "experiments", "plotting")

__all__ = ["activations", "layers", "losses", "models", "optimizers", "saving", "testing", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"kerastoolkit.{name}")
    raise AttributeError(f"module 'kerastoolkit' has no attribute {name!r}")
