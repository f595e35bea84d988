"""Peak resident memory of a training run of the deeper CNN, kerastoolkit's layers vs Keras's.

im2col materializes a patch matrix k_h·k_w times the size of a layer's input
and keeps it for the backward pass, so our convolution may hold more memory
than Keras's built-in kernel. Each side trains the deeper CNN of
`benchmarks/layers.py` (conv 32-64-64, the same batch, Adam, Keras's default
`jit_compile`: graph mode on a CPU-only TensorFlow, XLA on JAX, eager on
PyTorch) for 200 `train_on_batch` steps in its own fresh Python process (under
the same `KERAS_BACKEND`), which then reports its peak resident set size; the
two processes run one after the other, so they do not share memory. The peak
is the kernel's high-water mark `VmHWM` of `/proc/self/status`, which starts
afresh at `exec`: Linux carries `resource.getrusage(...).ru_maxrss` over from
the parent at `fork`, so a child of a large process (`kerastoolkit bench`,
which has its backend loaded) would report the parent's size. Elsewhere it
falls back to `ru_maxrss`. The issue's target: ours at most 1.5 x Keras's
peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Row, format_table

TARGET = 1.5
STEPS, QUICK_STEPS = 200, 3

# Run in a child process: build the model from `sys.argv[1]`'s layers, train,
# print the peak resident memory in MB (both sources count in KB).
CHILD = """
import resource, sys
import keras, numpy as np
from benchmarks import layers as L
from kerastoolkit import layers as ours
which, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = L._model(L.deeper_cnn, ours if which == "ours" else keras.layers, "auto")
rng = np.random.default_rng(0)
x = rng.uniform(0, 1, size=(batch, L.SIDE, L.SIDE, 1)).astype("float32")
y = rng.integers(0, L.CLASSES, size=(batch,)).astype("int32")
for _ in range(steps):
    model.train_on_batch(x, y)
try:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(kb / 1024)
"""


def peak_rss_mb(which: str, steps: int, batch: int) -> float:
    """Train in a fresh interpreter and return its peak resident memory in MB."""
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which, str(steps), str(batch)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[Row]:
    from benchmarks.layers import BATCH, QUICK_BATCH

    steps, batch = (QUICK_STEPS, QUICK_BATCH) if quick else (STEPS, BATCH)
    ours, theirs = peak_rss_mb("ours", steps, batch), peak_rss_mb("keras", steps, batch)
    label = f"deeper CNN, {steps} training steps (B={batch}): peak resident memory"
    return [Row(label, ours, theirs, TARGET, unit="MB")]


if __name__ == "__main__":
    print(format_table(run(), "Memory: peak resident set size, ours vs Keras"))
