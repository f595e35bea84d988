"""`kerastoolkit experiment`: the list, one run's files, and argparse-style errors (exit 2)."""

import json

import pytest

from kerastoolkit import cli, experiments

NAMES = ["optimizers", "three-layer-inference", "activations", "initialization", "overfitting",
         "batch-normalization", "hyperparameter-search", "learning-rate"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_list_names_exactly_the_courses_experiments(capsys):
    assert experiments.names() == NAMES
    assert cli.main(["experiment", "list"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == NAMES


def test_a_run_prints_its_table_and_writes_results_json_and_figures(tmp_path, capsys):
    assert cli.main(["experiment", "learning-rate", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "|          0.51 |" in printed  # cells right-aligned under their header
    assert "data: the notes' three points x = y = [1, 2, 3]" in printed
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["experiment"] == "learning-rate" and saved["dataset"] == "course"
    steps = [r for r in saved["rows"] if r["table"].startswith("20 steps")]
    assert [r["behaviour"] for r in steps] == ["converges slowly", "oscillates, converges",
                                              "diverges"]
    assert (tmp_path / "learning_rate.png").read_bytes().startswith(PNG_MAGIC)
    assert f"wrote {tmp_path / 'results.json'}" in printed


def test_a_quick_training_run_writes_its_results(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["experiment", "initialization", "--quick", "--seed", "1",
                     "--out", str(out)]) == 0
    saved = json.loads((out / "results.json").read_text())
    assert saved["dataset"] == "mnist_sample" and len(saved["rows"]) == 9
    assert {r["initializer"] for r in saved["rows"]} == {"std 0.01", "Glorot (Xavier)", "He"}
    assert (out / "initialization_histograms.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["experiment"], "the following arguments are required: NAME"),
        (["experiment", "nope"], "argument NAME: invalid choice: 'nope'"),
        (["experiment", "optimizers", "--epochs", "0"], "must be a positive integer, got 0"),
        (["experiment", "optimizers", "--seed", "-1"], "must be a non-negative integer, got -1"),
        (["experiment", "optimizers", "--dataset", "cifar10"], "invalid choice: 'cifar10'"),
        (["experiment", "learning-rate", "--dataset", "digits"], "takes no --dataset"),
        (["experiment", "initialization", "--epochs", "3"], "takes no --epochs"),
        (["experiment", "list", "--quick"], "`experiment list` takes no options"),
    ],
)
def test_bad_names_and_arguments_exit_2_with_a_usage_message(tmp_path, capsys, argv, message):
    assert cli.main([*argv, "--out", str(tmp_path)] if len(argv) > 1 else argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("usage: kerastoolkit") and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_a_failed_download_is_reported_not_traced(tmp_path, monkeypatch, capsys):
    import keras

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    assert cli.main(["experiment", "optimizers", "--dataset", "mnist", "--out",
                     str(tmp_path)]) == 1
    assert "could not load 'mnist': network unreachable" in capsys.readouterr().err
