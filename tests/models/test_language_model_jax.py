"""LanguageModel(backward="manual") trains on JAX: the same fit as on TensorFlow, and it learns.

The JAX trainer calls stateless steps, `train_step(state, data)`; the model's
adapter maps the state into a `keras.StatelessScope` around its one step code
and carries the streams' states in that state. Each backend runs in its own
subprocess (a backend is fixed per process), so these tests prove it from a
suite running under any backend.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = "you say goodbye and i say hello ."

# The run both backends make: 3 epochs of `fit` from the saved weights, one
# `train_on_batch`, then `evaluate`; it saves the weights, the loss of every
# epoch and both modes' carried states.
RUN = r"""
import json, sys
import keras, numpy as np
from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches

cell, weights_path, out_path = sys.argv[1:4]
text = "you say goodbye and i say hello ."
vocab = Vocabulary.from_text(text)
x, y = truncated_bptt_batches(np.tile(vocab.encode(text), 6), 2, 5)
model = LanguageModel(vocab, embedding_dim=6, units=6, dropout=0.0, cell=cell,
                      backward="manual", clipnorm=1.0)
model.build((2, 5))
saved = np.load(weights_path)
model.set_weights([saved[f"w{k}"] for k in range(len(saved.files))])
model.compile(keras.optimizers.Adam(0.02))
history = model.fit(x, y, batch_size=2, epochs=3, verbose=0)
logs = model.train_on_batch(x[:2], y[:2], return_dict=True)
result = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)
out = {f"w{k}": w for k, w in enumerate(model.get_weights())}
out["loss"] = np.array(history.history["loss"] + [logs["loss"], result["loss"]])
for mode in ("train", "test"):
    for k, layer in enumerate(model.carried_states(mode)):
        for j, s in enumerate(layer):
            out[f"{mode}_{k}_{j}"] = s
np.savez(out_path, **out)
print(json.dumps({"backend": keras.backend.backend()}))
"""

# The course corpus on JAX, gradients by hand, validated every epoch; and the
# tape's refusal there.
COURSE = r"""
import json
import keras, numpy as np
from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches

text = "you say goodbye and i say hello ."
vocab = Vocabulary.from_text(text)
x, y = truncated_bptt_batches(np.tile(vocab.encode(text), 10), 2, 5)
model = LanguageModel(vocab, embedding_dim=8, units=8, dropout=0.0, cell="simple_rnn",
                      backward="manual")
model.compile(keras.optimizers.Adam(0.05))
before = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
history = model.fit(x, y, batch_size=2, epochs=15, verbose=0, validation_data=(x, y))
after = model.evaluate(x, y, batch_size=2, verbose=0, return_dict=True)["perplexity"]
streams = {id(v) for mode in ("train", "test") for layer in model._streams.states[mode]
           for v in layer}
leaked = any(id(v) in streams for v in model.non_trainable_variables)
tape = LanguageModel(vocab, embedding_dim=4, units=4)
tape.compile(keras.optimizers.SGD())
try:
    tape.fit(x, y, batch_size=2, verbose=0)
    refusal = None
except ValueError as e:
    refusal = str(e)
print(json.dumps({"backend": keras.backend.backend(), "vocab": len(vocab), "before": before,
                  "after": after, "train": history.history["perplexity"][-1],
                  "val": history.history["val_perplexity"][-1], "leaked": leaked,
                  "refusal": refusal}))
"""


def run(backend, code, *args):
    """Run `code` under `backend` in a fresh process; return the JSON of its last line."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend
    return result


# float32, 3 epochs x 6 Adam updates + 1 from the same weights: the backends
# compute the same products and sums with other kernels and in another order
# (XLA on JAX), so each update differs by float32 rounding, which the next
# updates carry on. Every compared value (weights, losses, states) is at most
# 2 in size; observed differences at most 4.2e-7 absolute (a few float32 ulps
# at 1.25, LSTM's carried c), so the bound 1e-6 + 1e-6 |x| leaves 2.4x or more.
RTOL = 1e-6
ATOL = 1e-6


@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
def test_manual_fit_on_jax_equals_the_same_fit_on_tensorflow(cell, tmp_path):
    rng = np.random.default_rng(0)
    # The initial weights, drawn here so both backends start from the same file:
    # embedding, then per recurrent layer kernel, recurrent kernel, bias, then
    # the dense kernel and bias (get_weights order).
    gates = 4 if cell == "lstm" else 1
    shapes = [(7, 6)] + [(6, 6 * gates), (6, 6 * gates), (6 * gates,)] * 2 + [(6, 7), (7,)]
    weights = {f"w{k}": rng.uniform(-0.5, 0.5, s).astype("float32") for k, s in enumerate(shapes)}
    np.savez(tmp_path / "init.npz", **weights)
    outs = {}
    for backend in ("tensorflow", "jax"):
        run(backend, RUN, cell, tmp_path / "init.npz", tmp_path / f"{backend}.npz")
        outs[backend] = np.load(tmp_path / f"{backend}.npz")
    tf_out, jax_out = outs["tensorflow"], outs["jax"]
    assert sorted(tf_out.files) == sorted(jax_out.files)
    assert any(name.startswith("test_") for name in tf_out.files)
    for name in tf_out.files:
        np.testing.assert_allclose(jax_out[name], tf_out[name], rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    # The run trained (the weights moved) and carried a state (not zeros).
    assert np.abs(tf_out["w0"] - weights["w0"]).max() > 1e-2
    assert np.abs(tf_out["train_0_0"]).max() > 1e-2


def test_course_corpus_trains_on_jax_by_hand():
    """The notes' RNNLM on "you say goodbye and i say hello .", fit on JAX."""
    result = run("jax", COURSE)
    assert result["before"] > 0.9 * result["vocab"]  # about uniform before training
    assert result["after"] < 1.5 < result["vocab"] / 4
    assert result["train"] < 1.5
    # Validation inside fit (an evaluate between epochs, its own streams) works
    # too, and the carried states ride along only while fit/evaluate runs.
    assert result["val"] < 1.5
    assert result["leaked"] is False
    # backward="tape" on JAX still refuses, naming the backend and the way out.
    assert "backward='tape'" in result["refusal"]
    assert "backward='manual'" in result["refusal"]
    assert "'jax'" in result["refusal"]
