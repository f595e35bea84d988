"""kerastoolkit: classic deep-learning algorithms as readable Keras 3 components."""

__version__ = "0.1.0"

from kerastoolkit import activations, layers, losses, models, optimizers, testing

__all__ = ["activations", "layers", "losses", "models", "optimizers", "testing", "__version__"]
