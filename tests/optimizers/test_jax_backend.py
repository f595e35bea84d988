"""The same optimizers on the JAX backend: equal to Keras's there too, inside fit as well.

Keras picks its backend once per process, so this runs in a subprocess with
KERAS_BACKEND=jax. The fused TensorFlow update is not involved: this is the
plain `update_step` path, written with `keras.ops` only.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

SCRIPT = textwrap.dedent(
    """
    import json
    import keras
    import numpy as np
    from kerastoolkit import optimizers
    from kerastoolkit.testing import assert_optimizers_match

    PAIRS = {
        "SGD": (optimizers.SGD(0.1), keras.optimizers.SGD(0.1)),
        "Nesterov": (optimizers.Nesterov(0.1, 0.8),
                     keras.optimizers.SGD(0.1, 0.8, nesterov=True)),
        "Adagrad": (optimizers.Adagrad(0.1), keras.optimizers.Adagrad(0.1)),
        "RMSprop": (optimizers.RMSprop(0.01, momentum=0.5, centered=True),
                    keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True)),
        "Adadelta": (optimizers.Adadelta(1.0), keras.optimizers.Adadelta(1.0)),
        "Adam": (optimizers.Adam(0.01, amsgrad=True), keras.optimizers.Adam(0.01, amsgrad=True)),
        "Nadam": (optimizers.Nadam(0.01), keras.optimizers.Nadam(0.01)),
    }
    rng = np.random.default_rng(0)
    initial = [rng.normal(size=(3, 2)).astype("float32")]
    steps = [[rng.normal(size=(3, 2)).astype("float32")] for _ in range(10)]
    for ours, theirs in PAIRS.values():
        assert_optimizers_match(ours, theirs, initial, steps, rtol=1e-5, atol=1e-6)

    losses = {}
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    for label, opt in (("ours", optimizers.Nadam(0.01)), ("keras", keras.optimizers.Nadam(0.01))):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=opt, loss="mse")
        losses[label] = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    print(json.dumps({"backend": keras.backend.backend(), "losses": losses}))
    """
)


def test_optimizers_on_jax_match_keras():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax"
    ours, theirs = result["losses"]["ours"], result["losses"]["keras"]
    assert ours == pytest.approx(theirs, rel=1e-5)
