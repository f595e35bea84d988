"""The command line, the experiments, the datasets and the plots on JAX and PyTorch.

Keras fixes its backend once per process, so each backend runs one
subprocess (`KERAS_BACKEND=jax`, then `=torch`) that calls the embedded data
loaders, the plotting functions, `GradientNormHistory`, and `kerastoolkit
demo` / `experiment list` / two `experiment NAME --quick` runs through
`kerastoolkit.cli.main`, on a small stride of the embedded MNIST sample. This
file is not in the Makefile's `BACKEND_SUITES`, so it runs once, in the
TensorFlow session of `make test` (the test itself picks the backends).
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"

# float32 arithmetic of a few ops (a 4x3 dense layer, squared error): the
# autodiff gradients and the closed form differ by a few ulps.
GRAD_RTOL = 1e-5
# tanh' = 1 - tanh² is formed at the scale of 1, so in float32 it is off by up
# to one unit in the last place of 1.0 (eps = 2**-23), whatever its own size.
TANH_PRIME_ATOL = float(np.finfo("float32").eps)

SCRIPT = """
    import json, sys
    from pathlib import Path
    import matplotlib
    matplotlib.use("Agg")
    import keras, numpy as np
    from kerastoolkit import activations, cli, datasets, optimizers, plotting
    from kerastoolkit.callbacks import GradientNormHistory

    out = Path(sys.argv[1])
    report = {"backend": keras.backend.backend()}

    # The embedded data, no network.
    x, y = datasets.load_mnist_sample(one_hot=True)
    report["mnist_sample"] = [list(x.shape), str(x.dtype), float(x.min()), float(x.max()),
                              y.sum(axis=0).tolist()]
    x, y = datasets.load_digits(image_size=28)
    report["digits"] = [list(x.shape), str(x.dtype), bool(x.min() >= 0 and x.max() <= 1),
                        np.bincount(y).tolist()]
    x, y = datasets.load_iris()
    report["iris"] = [list(x.shape), np.bincount(y).tolist()]

    # Plotting: derivatives and an optimizer's path by the backend's autodiff.
    points = np.array([-2.0, -0.5, 0.5, 3.0], "float32")
    report["d_tanh"] = plotting.derivative(activations.tanh, points).tolist()
    report["d_relu"] = plotting.derivative(activations.relu, points).tolist()
    path = plotting.optimizer_path(optimizers.SGD(learning_rate=0.01), plotting.narrow_valley,
                                   start=(1.0, 1.0), steps=2)
    report["path"] = path.tolist()
    plotting.plot_activation(activations.sigmoid).savefig(out / "sigmoid.png")

    # GradientNormHistory on a linear model, whose gradient has a closed form.
    rng = np.random.default_rng(0)
    px = rng.normal(size=(4, 3)).astype("float32")
    py = rng.normal(size=(4, 2)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="linear")])
    model.compile(optimizer="sgd", loss="mse")
    kernel, bias = model.get_weights()
    report["linear"] = [px.tolist(), py.tolist(), kernel.tolist(), bias.tolist()]
    norms = GradientNormHistory(px, py)
    norms.set_model(model)
    report["norms"] = norms.layer_norms()

    # The command line, on every 16th image of the embedded sample (313 images).
    real = datasets.load_mnist_sample
    datasets.load_mnist_sample = lambda one_hot=False: tuple(
        a[::16] for a in real(one_hot=one_hot))
    report["codes"] = {
        "demo": cli.main(["demo", "--epochs", "1", "--optimizer", "sgd",
                          "--out", str(out / "demo")]),
        "list": cli.main(["experiment", "list"]),
        "learning-rate": cli.main(["experiment", "learning-rate", "--quick",
                                   "--out", str(out / "learning-rate")]),
        "three-layer-inference": cli.main(["experiment", "three-layer-inference", "--quick",
                                           "--epochs", "1",
                                           "--out", str(out / "three-layer-inference")]),
    }
    print(json.dumps(report))
"""


def run_on(backend, out):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "JAX_PLATFORMS": "cpu",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(ROOT),
    }
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(out)],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout


@pytest.fixture(scope="module", params=["jax", "torch"])
def backend_run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / request.param
    report, printed = run_on(request.param, out)
    return request.param, report, printed, out


def test_the_embedded_datasets_load(backend_run):
    backend, report, _, _ = backend_run
    assert report["backend"] == backend
    assert report["mnist_sample"] == [[5000, 28, 28, 1], "float32", 0.0, 1.0, [500.0] * 10]
    shape, dtype, in_range, counts = report["digits"]
    assert shape == [1797, 28, 28, 1] and dtype == "float32" and in_range
    assert counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert report["iris"] == [[150, 4], [50, 50, 50]]


def test_plotting_differentiates_on_the_backend(backend_run):
    _, report, _, out = backend_run
    points = np.array([-2.0, -0.5, 0.5, 3.0], "float32")
    exact = 1 - np.tanh(points.astype("float64")) ** 2
    np.testing.assert_allclose(report["d_tanh"], exact, rtol=0, atol=TANH_PRIME_ATOL)
    assert report["d_relu"] == [0.0, 0.0, 1.0, 1.0]
    # SGD on x²/2 + 20 y²/2: each step multiplies x by 1 - 0.01 and y by 1 - 0.2.
    np.testing.assert_allclose(
        report["path"], [[1.0, 1.0], [0.99, 0.8], [0.9801, 0.64]], rtol=GRAD_RTOL
    )
    assert (out / "sigmoid.png").read_bytes()[:8] == PNG


def test_gradient_norm_history_equals_the_closed_form(backend_run):
    _, report, _, _ = backend_run
    x, y, kernel, bias = (np.asarray(a, "float64") for a in report["linear"])
    # mse averages over the batch and the 2 outputs: dL/dz = 2 (z - y) / (4 * 2).
    dz = 2 * (x @ kernel + bias - y) / y.size
    expected = np.sqrt(np.sum((x.T @ dz) ** 2) + np.sum(dz.sum(axis=0) ** 2))
    np.testing.assert_allclose(report["norms"]["linear"], expected, rtol=GRAD_RTOL)


def test_demo_and_experiments_run(backend_run):
    _, report, printed, out = backend_run
    assert report["codes"] == {
        "demo": 0, "list": 0, "learning-rate": 0, "three-layer-inference": 0
    }
    # The demo: the SGD pair identical from the same seed, the three CNN builds, the verdict.
    assert re.search(r"^\| +SGD \|.*\+0\.0000 \|$", printed, re.M)
    for label in (
        "Keras layers + Keras SGD",
        "kerastoolkit layers + kerastoolkit SGD",
        "ConvolutionNetwork + kerastoolkit SGD",
    ):
        assert re.search(rf"\| +{re.escape(label)} \|", printed)
    assert "percentage points of the Keras build (required: 1.0)" in printed
    for name in ("cnn_loss.png", "cnn_accuracy.png"):
        assert (out / "demo" / name).read_bytes()[:8] == PNG
    # experiment list names every experiment.
    for name in ("optimizers", "activations", "hyperparameter-search", "learning-rate"):
        assert re.search(rf"^{name} +\S", printed, re.M)
    # learning-rate: the notes' three step sizes, the same numbers as on TensorFlow.
    rows = json.loads((out / "learning-rate" / "results.json").read_text())["rows"]
    steps = [r for r in rows if "learning_rate" in r]
    assert [(r["learning_rate"], r["final_w"], r["behaviour"]) for r in steps] == [
        (0.01, 0.37992, "converges slowly"),
        (0.4, 0.76093, "oscillates, converges"),
        (0.51, -24.049, "diverges"),
    ]
    assert (out / "learning-rate" / "learning_rate.png").read_bytes()[:8] == PNG
    # three-layer-inference: batches of 100 give evaluate's accuracy.
    (row,) = json.loads((out / "three-layer-inference" / "results.json").read_text())["rows"]
    assert row["batch_inference_accuracy"] == row["evaluate_accuracy"]
    assert row["test_images"] == 63
