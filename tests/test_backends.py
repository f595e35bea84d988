"""Across Keras backends: a .keras file moves between them, and JAX's DataParallel trains alike.

Keras fixes its backend once per process, so each step runs in a subprocess
with its own KERAS_BACKEND; this file itself runs once, in the TensorFlow
session of `make test` (the equivalence suites run under every backend on
their own, see the Makefile).
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]

# The same weights on another backend: the same float32 ops in another
# kernel's summation order, a few ulps apart after the LSTM's 6 steps.
PREDICT_RTOL, PREDICT_ATOL = 1e-5, 1e-6


def run(backend, script, extra_env=None, timeout=420):
    """Run `script` under `backend`; return the JSON of its last line of output."""
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "JAX_PLATFORMS": "cpu",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


CYCLE_STEP = """
    import json
    import keras, numpy as np
    from kerastoolkit import layers, optimizers

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(8, 6, 6, 1)).astype("float32")
    tokens = rng.integers(0, 10, size=(8, 5))
    labels = rng.integers(0, 3, size=8)

    def build():
        image = keras.Input((6, 6, 1))
        x = layers.Conv2D(3, 3, padding="same", activation="relu")(image)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Flatten()(x)
        text = keras.Input((5,), dtype="int32")
        t = layers.Embedding(10, 4)(text)
        t = layers.LSTM(4)(t)
        x = keras.layers.Concatenate()([x, t])
        x = layers.Dropout(0.1, seed=0)(x)
        out = layers.Dense(3)(x)
        return keras.Model([image, text], out)

    def predict(model):
        return keras.ops.convert_to_numpy(model([images, tokens], training=False)).tolist()

    def fit(model):
        return model.fit([images, tokens], labels, epochs=1, batch_size=4, shuffle=False,
                         verbose=0).history["loss"]

    {body}
"""

START = CYCLE_STEP.replace("{body}", """
    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit(model)
    model.save(OUT)
    print(json.dumps({"backend": keras.backend.backend(), "predict": predict(model)}))
""")

HOP = CYCLE_STEP.replace("{body}", """
    model = keras.saving.load_model(IN)
    loaded = predict(model)
    ours = [type(l).__module__.split(".")[0] for l in model.layers
            if type(l).__name__ not in ("InputLayer", "Concatenate")]
    assert ours == ["kerastoolkit"] * 8, ours
    assert type(model.optimizer).__module__.startswith("kerastoolkit"), model.optimizer
    losses = fit(model)
    model.save(OUT)
    print(json.dumps({"backend": keras.backend.backend(), "loaded": loaded,
                      "losses": losses, "predict": predict(model)}))
""")


def test_a_keras_file_moves_tensorflow_jax_torch_tensorflow(tmp_path):
    """Saved under one backend, a model of our layers loads under the next, predicts the same
    and keeps training there (with our optimizer's state) - round the cycle TF -> JAX ->
    PyTorch -> TF."""
    cycle = ["tensorflow", "jax", "torch", "tensorflow"]
    paths = [tmp_path / f"{i}-{b}.keras" for i, b in enumerate(cycle)]
    previous = run(cycle[0], START.replace("OUT", repr(str(paths[0]))))
    assert previous["backend"] == "tensorflow"
    for i, backend in enumerate(cycle[1:], start=1):
        script = HOP.replace("IN", repr(str(paths[i - 1]))).replace("OUT", repr(str(paths[i])))
        result = run(backend, script)
        assert result["backend"] == backend
        np.testing.assert_allclose(
            result["loaded"], previous["predict"], rtol=PREDICT_RTOL, atol=PREDICT_ATOL,
            err_msg=f"{cycle[i - 1]} -> {backend}",
        )
        assert np.isfinite(result["losses"]).all()
        previous = result


DATA_PARALLEL = """
    import json
    import jax, keras, numpy as np
    from kerastoolkit import layers, optimizers

    assert len(jax.devices()) == 4, jax.devices()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = rng.integers(0, 3, size=64)

    def train(distributed):
        keras.distribution.set_distribution(
            keras.distribution.DataParallel() if distributed else None
        )
        keras.utils.set_random_seed(1)
        model = keras.Sequential([
            keras.Input((6,)),
            layers.Dense(8, activation="tanh"),
            layers.BatchNormalization(),
            layers.Dense(3),
        ])
        model.compile(optimizers.Adam(0.01),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        weights = [w.tolist() for w in model.get_weights()]
        devices = len(model.weights[0].value.sharding.device_set)
        return history.history["loss"], weights, devices

    single = train(False)
    parallel = train(True)
    print(json.dumps({"single": single, "parallel": parallel}))
"""

# The global batch of 16 split over 4 devices: the mean loss and gradient are
# the same sums taken in another order (per-device partial sums, then an
# all-reduce), a few float32 ulps apart, compounded over 12 steps.
PARALLEL_RTOL, PARALLEL_ATOL = 1e-5, 1e-6


def test_jax_data_parallel_on_four_devices_equals_one_device():
    result = run(
        "jax", DATA_PARALLEL,
        extra_env={"XLA_FLAGS": "--xla_force_host_platform_device_count=4"},
    )
    (single_loss, single_weights, one), (loss, weights, four) = (
        result["single"], result["parallel"],
    )
    assert (one, four) == (1, 4)  # the weights are replicated on the 4 devices
    np.testing.assert_allclose(loss, single_loss, rtol=PARALLEL_RTOL, atol=PARALLEL_ATOL)
    for w, s in zip(weights, single_weights, strict=True):
        np.testing.assert_allclose(w, s, rtol=PARALLEL_RTOL, atol=PARALLEL_ATOL)
