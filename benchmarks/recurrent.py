"""Training-step time of a recurrent language model, kerastoolkit's layers vs Keras's.

Two identical models, Embedding -> recurrent -> recurrent -> Dense(vocab) with
sparse categorical cross-entropy and SGD, differ only in the recurrent layers:
`kerastoolkit.layers.LSTM` / `SimpleRNN` vs `keras.layers.LSTM` / `SimpleRNN`
(same weights). Each step is one `train_on_batch` on the same batch, the two
models alternating. Both loop over time with the backend's loop (on
TensorFlow its `while_loop`): Keras's LSTM hands the loop to cuDNN only on a GPU, so on a CPU
it runs the same `keras.layers.RNN` loop as ours. Both run Keras's compiled
`tf.function` train step without XLA — what `jit_compile="auto"` picks on a
CPU-only machine — and, in a second pair of rows, both with XLA.

On JAX, Keras's default step is XLA and without it the step runs op by op
(which `fit` never does), so JAX times only the XLA pair; on PyTorch
`jit_compile=True` is `torch.compile`, not Keras's default, so PyTorch times
only the eager pair (`LEFT_OUT`).

For information, `LanguageModel`'s training step with the backward pass
derived by hand (`backward="manual"`) against the same model's
`tf.GradientTape` step (`backward="tape"`), same weights and batch, no
dropout, one `train_on_batch` each: the "Keras ms" column is then the tape's.
The hand-derived step unrolls its time loops into the traced graph (one
matrix product per step and layer, forward and backward), where the tape
differentiates the layers' `while_loop`; there is no target. The tape is
TensorFlow's, so these rows are timed on TensorFlow only.
"""

from __future__ import annotations

import keras
import numpy as np

from benchmarks.harness import Row, format_table, interleaved_median_ms
from kerastoolkit import layers
from kerastoolkit.models import LanguageModel

# The targets of issue 14: ours at most 0.80 x Keras's time without XLA (the
# input projection is out of the time loop), at most Keras's time with XLA.
TARGET = 0.80
XLA_TARGET = 1.0

# The shapes: vocabulary, hidden units (= embedding size), length, batch.
VOCAB, UNITS, LENGTH, BATCH = 1000, 100, 35, 20
QUICK = dict(VOCAB=50, UNITS=8, LENGTH=5, BATCH=4)

PAIRS = {
    "LSTM": (layers.LSTM, keras.layers.LSTM),
    "SimpleRNN": (layers.SimpleRNN, keras.layers.SimpleRNN),
}


def _model(recurrent, vocab, units, length, batch, jit_compile):
    model = keras.Sequential(
        [
            keras.Input((length,), batch_size=batch, dtype="int32"),
            keras.layers.Embedding(vocab, units),
            recurrent(units, return_sequences=True),
            recurrent(units, return_sequences=True),
            keras.layers.Dense(vocab),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return model


#: The hand-derived vs tape rows are information only: no target ratio.
LM_NOTE = "information: the hand-derived BPTT against the tape (the Keras column)"
LM_CELLS = ("lstm", "simple_rnn")

#: The `jit_compile` settings timed on each backend (quick runs time the first).
JIT_MODES = {"tensorflow": (False, True), "jax": (True,), "torch": (False,)}
#: What is not timed on a backend, and why; recorded under its table.
LEFT_OUT = {
    "jax": "left out on JAX: the jit_compile=False pair (op by op, which `fit` never runs "
    "on JAX) and the LanguageModel manual-vs-tape rows (the tape is TensorFlow's "
    "GradientTape; backward='tape' raises on JAX).",
    "torch": "left out on PyTorch: the XLA pair (jit_compile=True is `torch.compile` there, "
    "not Keras's default) and the LanguageModel manual-vs-tape rows (the tape is "
    "TensorFlow's GradientTape; backward='tape' raises on PyTorch).",
}


def _language_model_rows(vocab, units, length, batch, quick):
    rng = np.random.default_rng(1)
    x = rng.integers(0, vocab, size=(batch, length)).astype("int32")
    y = rng.integers(0, vocab, size=(batch, length)).astype("int32")
    words = [f"w{k}" for k in range(vocab)]
    rows = []
    for cell in LM_CELLS:
        models = {}
        for backward in ("manual", "tape"):
            model = LanguageModel(words, embedding_dim=units, units=units, dropout=0.0,
                                  cell=cell, backward=backward)
            model(x)
            model.compile(keras.optimizers.SGD(0.1))
            models[backward] = model
        models["manual"].set_weights(models["tape"].get_weights())
        manual_ms, tape_ms = interleaved_median_ms(
            _stepper(models["manual"], x, y),
            _stepper(models["tape"], x, y),
            repeats=3 if quick else 30,
            warmup=1 if quick else 5,
        )
        label = (
            f"LanguageModel({cell}) x2 train step, manual vs tape backward "
            f"(B={batch}, T={length}, H={units}, V={vocab})"
        )
        rows.append(Row(label, manual_ms, tape_ms, None, note=LM_NOTE))
    return rows


def _stepper(model, x, y):
    def step():
        return model.train_on_batch(x, y)

    return step


def run(quick: bool = False) -> list[Row]:
    sizes = QUICK if quick else dict(VOCAB=VOCAB, UNITS=UNITS, LENGTH=LENGTH, BATCH=BATCH)
    vocab, units, length, batch = (sizes[k] for k in ("VOCAB", "UNITS", "LENGTH", "BATCH"))
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, size=(batch, length)).astype("int32")
    y = rng.integers(0, vocab, size=(batch, length)).astype("int32")
    rows = []
    backend = keras.backend.backend()
    modes = JIT_MODES[backend]
    for jit_compile in modes[:1] if quick else modes:
        for name, (ours_cls, keras_cls) in PAIRS.items():
            theirs = _model(keras_cls, vocab, units, length, batch, jit_compile)
            ours = _model(ours_cls, vocab, units, length, batch, jit_compile)
            ours.set_weights(theirs.get_weights())
            ours_ms, keras_ms = interleaved_median_ms(
                _stepper(ours, x, y),
                _stepper(theirs, x, y),
                repeats=3 if quick else 30,
                warmup=1 if quick else 5,
            )
            label = (
                f"{name} x2 train step{', XLA' if jit_compile else ''} "
                f"(B={batch}, T={length}, H={units}, V={vocab})"
            )
            rows.append(Row(label, ours_ms, keras_ms, XLA_TARGET if jit_compile else TARGET))
    if backend != "tensorflow":
        return rows
    return rows + _language_model_rows(vocab, units, length, batch, quick)


if __name__ == "__main__":
    print(format_table(run(), "Recurrent layers: training step, ours vs Keras (CPU)"))
