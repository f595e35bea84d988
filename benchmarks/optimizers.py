"""apply_gradients time of each kerastoolkit optimizer vs its Keras twin, ~10 M parameters.

Both optimizers update their own copy of the same variables with the same
gradients, alternately, eagerly (as `model.fit` would call them inside its
step); each time is the median over the repeats.
"""

from __future__ import annotations

import keras
import numpy as np

from benchmarks.harness import Row, format_table, interleaved_median_ms
from kerastoolkit import optimizers

# The target: every ratio <= 1.10 (goal beyond it: <= 0.5).
TARGET = 1.10

# Shapes of an MLP with about 10 M parameters (3 x 1800x1800 + biases).
SHAPES = [(1800, 1800), (1800,), (1800, 1800), (1800,), (1800, 1800), (1800,)]

PAIRS = {
    "SGD": (optimizers.SGD, keras.optimizers.SGD, {}),
    "Momentum": (optimizers.Momentum, keras.optimizers.SGD, {"momentum": 0.9}),
    "Nesterov": (optimizers.Nesterov, keras.optimizers.SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (optimizers.Adagrad, keras.optimizers.Adagrad, {}),
    "RMSprop": (optimizers.RMSprop, keras.optimizers.RMSprop, {}),
    "Adadelta": (optimizers.Adadelta, keras.optimizers.Adadelta, {}),
    "Adam": (optimizers.Adam, keras.optimizers.Adam, {}),
    "Nadam": (optimizers.Nadam, keras.optimizers.Nadam, {}),
}


def _stepper(optimizer, values, grads):
    variables = [keras.Variable(v) for v in values]
    pairs = list(zip(grads, variables))

    def step():
        optimizer.apply_gradients(pairs)
        return keras.ops.convert_to_numpy(variables[-1][0])

    return step


def run(quick: bool = False) -> list[Row]:
    shapes = [(60, 60), (60,)] if quick else SHAPES
    rng = np.random.default_rng(0)
    values = [rng.normal(size=s).astype("float32") for s in shapes]
    grads = [keras.ops.convert_to_tensor(rng.normal(size=s).astype("float32")) for s in shapes]
    n_params = sum(v.size for v in values)
    rows = []
    for name, (ours_cls, keras_cls, extra) in PAIRS.items():
        keras_kwargs = extra
        ours_kwargs = {k: v for k, v in extra.items() if k != "nesterov"}
        ours = _stepper(ours_cls(**ours_kwargs), values, grads)
        theirs = _stepper(keras_cls(**keras_kwargs), values, grads)
        ours_ms, keras_ms = interleaved_median_ms(
            ours, theirs, repeats=3 if quick else 15, warmup=1 if quick else 3
        )
        rows.append(Row(f"{name} ({n_params / 1e6:.1f} M params)", ours_ms, keras_ms, TARGET))
    return rows


if __name__ == "__main__":
    print(format_table(run(), "Optimizers: apply_gradients, ours vs Keras"))
