"""The `kerastoolkit` command: `demo` trains the course's models ours vs Keras, `bench` times them.

`kerastoolkit demo` needs no network with its defaults: on the embedded
digits it trains (a) the course's MLP once with each kerastoolkit optimizer
and once with its Keras twin, and (b) the course's CNN three ways — Keras
layers with a Keras optimizer, kerastoolkit layers with a kerastoolkit
optimizer, and the hand-written `ConvolutionNetwork` — printing side-by-side
tables and writing loss/accuracy curves to `demo-output/`.

`kerastoolkit plot` draws the pictures of the docs site into PNG files:
each activation with its derivative, and the optimizers' paths on Beale's
function and on a narrow valley.

`kerastoolkit bench` runs the benchmark suites of a source checkout
(`benchmarks/<name>.py`, each with `run(quick=False) -> list[Row]`) and prints
one table of custom-vs-built-in ratios, under the active Keras backend or, with
`--backend tensorflow|jax|torch`, under that one (in a subprocess: Keras fixes
its backend once per process). A full run (not `--quick`) also records each
suite's table, with the date and the machine, in
`benchmarks/results/<backend>/<name>.md`, which the docs' verification page
shows, one table per backend.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import keras
from sklearn.model_selection import train_test_split

import kerastoolkit
from kerastoolkit import activations, datasets, layers, losses, optimizers
from kerastoolkit.models import ConvolutionNetwork
from kerastoolkit.plotting import PATH_PRESETS, plot_activation, plot_history

__all__ = ["main", "build_parser", "benchmarks_root", "available_suites"]

#: The kerastoolkit optimizers the demo compares with their Keras twins.
OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam")
#: The optimizer of the CNN comparison when `--optimizer` is not given (the course's).
CNN_OPTIMIZER = "Adam"
DEFAULT_EPOCHS = 5
BATCH_SIZE = 32
SEED = 0
#: The course's MLP hidden layer (784 -> 512 ReLU -> 10 softmax).
MLP_UNITS = 512
#: The course's CNN: 10 kernels of 3x3, 2x2 pooling, 100 hidden units.
CNN_KERNELS = 10
CNN_UNITS = 100
N_CLASSES = 10
#: MNIST's image side: the embedded digits are resized to it for the CNN.
MNIST_SIDE = 28
#: Our builds' test accuracy must be within this many percentage points of Keras's.
ACCURACY_MARGIN_PP = 1.0
#: The activations `kerastoolkit plot activations` draws (elementwise ones).
PLOTTED_ACTIVATIONS = ("step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity")
#: Benchmark suites in the order they are run; others found are run after them.
SUITE_ORDER = ("optimizers", "activations", "layers", "recurrent")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _optimizer_name(text):
    by_lower = {name.lower(): name for name in OPTIMIZERS}
    if text.lower() not in by_lower:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {text!r} (choose from {', '.join(OPTIMIZERS)})"
        )
    return by_lower[text.lower()]


def build_parser():
    """The argument parser of the `kerastoolkit` command."""
    parser = argparse.ArgumentParser(
        prog="kerastoolkit",
        description="Classic deep-learning algorithms as Keras 3 components, shown against Keras.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train the course's MLP and CNN with ours and with Keras, side by side"
    )
    demo.add_argument(
        "--dataset", choices=datasets.DATASETS, default="digits",
        help="digits is embedded (no network); mnist and fashion_mnist are downloaded once "
        "(default: %(default)s)",
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=DEFAULT_EPOCHS,
        help="epochs of every training run (default: %(default)s)",
    )
    demo.add_argument(
        "--optimizer", type=_optimizer_name, default=None,
        help="compare only this optimizer in the MLP part, and train the CNNs with it "
        f"(default: all in the MLP part, {CNN_OPTIMIZER} for the CNNs)",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo-output"),
        help="where the curves are written (default: %(default)s)",
    )
    plot = commands.add_parser(
        "plot", help="draw activation curves or optimizer paths into PNG files"
    )
    plot.add_argument(
        "what", choices=("activations", "optimizers"),
        help="activations: each function with its derivative; optimizers: every optimizer's "
        "path on a surface",
    )
    plot.add_argument(
        "--surface", choices=(*PATH_PRESETS, "all"), default="all",
        help="the surface of the optimizer paths (default: %(default)s)",
    )
    plot.add_argument(
        "--steps", type=_positive_int, default=None,
        help="optimizer steps per path (default: the surface's own, "
        + ", ".join(f"{k} {v.steps}" for k, v in PATH_PRESETS.items()) + ")",
    )
    plot.add_argument(
        "--out", type=Path, default=Path("plots"),
        help="where the PNG files are written (default: %(default)s)",
    )
    bench = commands.add_parser("bench", help="time our components against Keras's built-ins")
    bench.add_argument("--suite", help="run only this suite (default: every suite found)")
    bench.add_argument("--quick", action="store_true", help="a few repeats only (a smoke run)")
    bench.add_argument(
        "--backend", choices=BACKENDS,
        help="the Keras backend to time, run in a subprocess (default: the active one)",
    )
    return parser


def main(argv=None):
    """Run the command; return its exit code (0 success, 1 failure, 2 bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code
    if args.command == "demo":
        return run_demo(args)
    if args.command == "plot":
        return run_plot(args)
    return run_bench(args)


# --- demo ---------------------------------------------------------------------------------------


def _load(dataset):
    """Train/validation/test splits of one-hot labelled images (N, H, W, 1) in [0, 1]."""
    if dataset == "digits":
        x, y = datasets.load_digits(one_hot=True)
        return datasets.train_val_test_split(x, y, seed=SEED)
    loader = {"mnist": datasets.load_mnist, "fashion_mnist": datasets.load_fashion_mnist}[dataset]
    (x, y), test = loader(one_hot=True)
    val_share = 0.2
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=val_share, random_state=SEED, stratify=y.argmax(axis=1)
    )
    return (x_tr, y_tr), (x_va, y_va), test


def _resized(splits, side):
    def resize(x):
        if x.shape[1] == side:
            return x
        return keras.ops.convert_to_numpy(keras.ops.image.resize(x, (side, side)))

    return [(resize(x), y) for x, y in splits]


def _optimizer(side, name):
    """A fresh optimizer: kerastoolkit's `name`, or its Keras twin."""
    if side == "kerastoolkit":
        return getattr(optimizers, name)()
    twins = {
        "SGD": lambda: keras.optimizers.SGD(),
        "Momentum": lambda: keras.optimizers.SGD(momentum=0.9),
        "Nesterov": lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True),
    }
    return twins[name]() if name in twins else getattr(keras.optimizers, name)()


class _EpochTimer(keras.callbacks.Callback):
    """Seconds per epoch of one `fit`."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    @property
    def per_epoch(self):
        # The first epoch also traces and compiles the step: leave it out when we can.
        return statistics.mean(self.seconds[1:] or self.seconds)


def _fit(model, train, val, epochs, title):
    print(f"\n=== {title} ===", flush=True)
    timer = _EpochTimer()
    keras.utils.set_random_seed(SEED)  # the same shuffles for every run
    history = model.fit(
        *train, validation_data=val, epochs=epochs, batch_size=BATCH_SIZE, callbacks=[timer],
        verbose=1,
    )
    return history, timer.per_epoch


def _table(header, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in rows])


def _mlp_part(splits, epochs, names):
    """(a) The course's MLP with each kerastoolkit optimizer and its Keras twin."""
    (x_tr, y_tr), (x_va, y_va), _ = splits
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    train, val = (flat(x_tr), y_tr), (flat(x_va), y_va)
    rows = []
    for name in names:
        results = {}
        for side in ("kerastoolkit", "keras"):
            keras.utils.set_random_seed(SEED)  # the same initial weights for both
            model = keras.Sequential(
                [
                    keras.Input((train[0].shape[1],)),
                    keras.layers.Dense(MLP_UNITS, activation="relu"),
                    keras.layers.Dense(N_CLASSES, activation="softmax"),
                ]
            )
            model.compile(
                _optimizer(side, name), loss="categorical_crossentropy", metrics=["accuracy"]
            )
            history, _ = _fit(model, train, val, epochs, f"MLP · {name} · {side}")
            results[side] = (history.history["loss"][-1], history.history["accuracy"][-1])
        (l_ours, a_ours), (l_keras, a_keras) = results["kerastoolkit"], results["keras"]
        rows.append(
            [name, f"{l_ours:.6f}", f"{l_keras:.6f}", f"{l_ours - l_keras:+.1e}",
             f"{a_ours:.4f}", f"{a_keras:.4f}", f"{a_ours - a_keras:+.4f}"]
        )
    header = ["optimizer", "ours loss", "Keras loss", "Δ loss", "ours acc", "Keras acc", "Δ acc"]
    print(f"\n(a) MLP {MLP_UNITS} ReLU → {N_CLASSES} softmax, {epochs} epochs: "
          "final training loss and accuracy, kerastoolkit optimizer vs its Keras twin")
    print(_table(header, rows))


def _cnn_builds(image_shape, optimizer_name):
    """The course's CNN three ways, all starting from the Keras build's initial weights."""
    keras.utils.set_random_seed(SEED)
    reference = keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Conv2D(CNN_KERNELS, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(CNN_UNITS, activation="relu"),
            keras.layers.Dense(N_CLASSES, activation="softmax"),
        ]
    )
    reference.compile(
        _optimizer("keras", optimizer_name), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    ours = keras.Sequential(
        [
            keras.Input(image_shape),
            layers.Conv2D(CNN_KERNELS, 3, padding="same", activation=activations.relu),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(CNN_UNITS, activation=activations.relu),
            layers.Dense(N_CLASSES, activation=activations.softmax),
        ]
    )
    ours.compile(
        _optimizer("kerastoolkit", optimizer_name), loss=losses.CategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    hand = ConvolutionNetwork(CNN_KERNELS, CNN_UNITS, N_CLASSES)
    hand.build((None, *image_shape))
    hand.compile(_optimizer("kerastoolkit", optimizer_name), metrics=["accuracy"])
    for model in (ours, hand):
        model.set_weights(reference.get_weights())
    return {
        f"Keras layers + Keras {optimizer_name}": reference,
        f"kerastoolkit layers + kerastoolkit {optimizer_name}": ours,
        f"ConvolutionNetwork + kerastoolkit {optimizer_name}": hand,
    }


def _cnn_part(splits, epochs, optimizer_name, out):
    """(b) The course's CNN three ways; returns whether our builds are within the margin."""
    splits = _resized(splits, MNIST_SIDE)
    train, val, (x_te, y_te) = splits
    builds = _cnn_builds(train[0].shape[1:], optimizer_name)
    histories, rows, accuracies = {}, [], []
    keras_seconds = None
    for label, model in builds.items():
        history, seconds = _fit(model, train, val, epochs, f"CNN · {label}")
        test_loss, test_acc = model.evaluate(x_te, y_te, verbose=0)
        keras_seconds = keras_seconds or seconds
        histories[label] = history
        accuracies.append(test_acc)
        rows.append([label, f"{100 * test_acc:.2f} %", f"{history.history['loss'][-1]:.4f}",
                     f"{seconds:.3f}", f"{seconds / keras_seconds:.2f}"])
    header = ["build", "test accuracy", "final loss", "s / epoch", "ratio to Keras"]
    print(f"\n(b) the course's CNN, {epochs} epochs (s / epoch leaves out the first, "
          "which compiles the step)")
    print(_table(header, rows))
    gaps = [100 * abs(a - accuracies[0]) for a in accuracies[1:]]
    ok = max(gaps) <= ACCURACY_MARGIN_PP
    print(f"our builds' test accuracy is within {max(gaps):.2f} percentage points of the Keras "
          f"build (required: {ACCURACY_MARGIN_PP}): {'ok' if ok else 'MISSED'}")
    _write_curves(histories, out)
    return ok


def _write_curves(histories, out):
    # plot_history draws on a bare matplotlib Figure (Agg canvas): no GUI backend involved.
    out.mkdir(parents=True, exist_ok=True)
    for metric in ("loss", "accuracy"):
        fig = plot_history(histories, metric, title=f"The course's CNN: {metric}")
        path = out / f"cnn_{metric}.png"
        fig.savefig(path)
        print(f"wrote {path}")


def run_demo(args):
    """`kerastoolkit demo`: returns 0 when our builds match Keras's, 1 otherwise."""
    start = time.perf_counter()
    try:
        splits = _load(args.dataset)
    except Exception as error:  # a download can fail in many ways; report, do not trace back
        print(f"kerastoolkit demo: error: could not load {args.dataset!r}: {error}",
              file=sys.stderr)
        return 1
    names = [args.optimizer] if args.optimizer else list(OPTIMIZERS)
    _mlp_part(splits, args.epochs, names)
    ok = _cnn_part(splits, args.epochs, args.optimizer or CNN_OPTIMIZER, args.out)
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1


# --- plot ---------------------------------------------------------------------------------------


def run_plot(args):
    """`kerastoolkit plot`: write the figures as PNG files into `args.out`; 0 on success."""
    if args.what == "activations":
        if args.steps is not None or args.surface != "all":
            print("kerastoolkit plot: error: --steps and --surface apply to "
                  "`plot optimizers` only", file=sys.stderr)
            return 2
        figures = {
            f"activation_{name}": plot_activation(getattr(activations, name), name=name)
            for name in PLOTTED_ACTIVATIONS
        }
    else:
        surfaces = PATH_PRESETS if args.surface == "all" else [args.surface]
        figures = {
            f"optimizers_{name}": PATH_PRESETS[name].plot(steps=args.steps) for name in surfaces
        }
    args.out.mkdir(parents=True, exist_ok=True)
    for stem, fig in figures.items():
        path = args.out / f"{stem}.png"
        fig.savefig(path)
        print(f"wrote {path}")
    return 0


# --- bench --------------------------------------------------------------------------------------


def benchmarks_root():
    """The `benchmarks/` folder of the source checkout kerastoolkit is imported from."""
    return Path(kerastoolkit.__file__).resolve().parents[1] / "benchmarks"


def available_suites(root):
    """The suite names in `root` (every module but the harness), in `SUITE_ORDER` first."""
    found = {p.stem for p in root.glob("*.py") if p.stem not in ("__init__", "harness")}
    known = [name for name in SUITE_ORDER if name in found]
    return known + sorted(found - set(known))


#: The Keras backends `bench --backend` accepts.
BACKENDS = ("tensorflow", "jax", "torch")


def _bench_in_subprocess(args):
    """`bench --backend B`: the same command with KERAS_BACKEND=B in a fresh interpreter."""
    import subprocess

    argv = ["bench", *(["--suite", args.suite] if args.suite else []),
            *(["--quick"] if args.quick else [])]
    code = "import sys; from kerastoolkit.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "KERAS_BACKEND": args.backend}
    return subprocess.run([sys.executable, "-c", code, *argv], env=env).returncode


def run_bench(args):
    """`kerastoolkit bench`: run the suites, print one table; 0 on success."""
    if getattr(args, "backend", None) is not None:
        return _bench_in_subprocess(args)
    root = benchmarks_root()
    if not (root / "harness.py").is_file():
        print(f"kerastoolkit bench: error: the benchmarks live in a source checkout of "
              f"kerastoolkit; {root} has no harness.py (this kerastoolkit is installed from "
              f"{Path(kerastoolkit.__file__).parent}). Clone the repository and "
              "`pip install -e .` it.", file=sys.stderr)
        return 1
    suites = available_suites(root)
    if args.suite is not None and args.suite not in suites:
        print(f"kerastoolkit bench: error: argument --suite: unknown suite {args.suite!r} "
              f"(choose from {', '.join(suites)})", file=sys.stderr)
        return 2
    if str(root.parent) not in sys.path:
        sys.path.insert(0, str(root.parent))
    harness = importlib.import_module(f"{root.name}.harness")
    rows = []
    for name in [args.suite] if args.suite else suites:
        print(f"running benchmarks/{name}.py{' (quick)' if args.quick else ''} ...", flush=True)
        suite = importlib.import_module(f"{root.name}.{name}")
        suite_rows = suite.run(quick=args.quick)
        if not args.quick:
            backend = keras.backend.backend()
            record_results(root / "results" / backend / f"{name}.md", name, suite_rows, harness)
        rows += [dataclasses.replace(r, component=f"{name}: {r.component}") for r in suite_rows]
    title = f"kerastoolkit vs Keras on {keras.backend.backend()} (ratio = ours / Keras)"
    print(harness.format_table(rows, title))
    return 0


def record_results(path, name, rows, harness):
    """Write one suite's table to `path`, stamped with the date, machine and versions."""
    backend = keras.backend.backend()
    module = importlib.import_module(backend)
    label = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}.get(backend, backend)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = (
        f"Measured {time.strftime('%Y-%m-%d')} by `kerastoolkit bench` on "
        f"{platform.system()} {platform.machine()} ({os.cpu_count()} CPUs), "
        f"Python {platform.python_version()}, Keras {keras.__version__} on "
        f"{label} {module.__version__}; ratio = ours / Keras, each the median of "
        "interleaved repeats in one process."
    )
    path.write_text(f"{harness.format_table(rows, name)}\n\n{stamp}\n")
