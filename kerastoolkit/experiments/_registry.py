"""The experiments' registry and the result every experiment returns."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

#: Experiment name -> `Experiment`, in registration order.
EXPERIMENTS = {}


@dataclasses.dataclass
class Result:
    """What an experiment returns: its tables, histories and figures.

    Attributes:
        experiment: the experiment's registered name.
        dataset: the name of the data it ran on (e.g. `"mnist_sample"`).
        data: one sentence on that data (sizes of the splits used).
        tables: a dict from a table's title to its rows; each row is a dict
            from a column name to a value, with the course's reported number
            in a `"course"` column where the notes give one.
        histories: a dict from a run's label to its per-epoch metrics.
        figures: a dict from a file stem to a `matplotlib.figure.Figure`.
        summary: lines printed after the tables (e.g. a verdict).
        ok: `False` when the experiment's own check failed (the demo's
            accuracy margin); the command then exits with 1.
        formats: a dict from a column name to the format spec its printed
            cells use (e.g. `"+.4f"`); other numbers print as they are.
    """

    experiment: str
    dataset: str
    data: str
    tables: dict
    histories: dict = dataclasses.field(default_factory=dict)
    figures: dict = dataclasses.field(default_factory=dict)
    summary: list = dataclasses.field(default_factory=list)
    ok: bool = True
    formats: dict = dataclasses.field(default_factory=dict)

    @property
    def rows(self):
        """Every table's rows in one list, each tagged with its `"table"` if there are several."""
        if len(self.tables) == 1:
            return list(next(iter(self.tables.values())))
        return [{"table": title, **row} for title, rows in self.tables.items() for row in rows]

    def to_json(self):
        """The `results.json` document: `{"experiment", "dataset", "data", "rows"}`."""
        return {
            "experiment": self.experiment,
            "dataset": self.dataset,
            "data": self.data,
            "rows": self.rows,
        }

    def save(self, out):
        """Write `results.json` and every figure as `<stem>.png` into `out`; return the paths."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for stem, fig in self.figures.items():
            path = out / f"{stem}.png"
            fig.savefig(path)
            paths.append(path)
        path = out / "results.json"
        path.write_text(json.dumps(self.to_json(), indent=2, default=_plain) + "\n")
        paths.append(path)
        return paths


def _plain(value):
    """NumPy scalars as Python numbers for `json.dumps`."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"Cannot write {value!r} to JSON")


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    Attributes:
        name: the name `kerastoolkit experiment NAME` takes.
        run: the function that runs it and returns a `Result`.
        summary: one line for `kerastoolkit experiment list`.
        trains: whether `--epochs` applies (the initialization probe trains nothing).
        uses_dataset: whether `--dataset` applies (the learning-rate study
            uses the course's three points).
    """

    name: str
    run: Callable
    summary: str
    trains: bool = True
    uses_dataset: bool = True


def register(name, summary, trains=True, uses_dataset=True):
    """Register the decorated function as the experiment `name`."""

    def decorate(fn):
        if name in EXPERIMENTS:
            raise ValueError(f"Experiment {name!r} is registered twice")
        EXPERIMENTS[name] = Experiment(name, fn, summary, trains, uses_dataset)
        return fn

    return decorate
