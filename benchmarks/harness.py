"""Shared timing and table printing for the benchmark suites.

A suite measures ours and the Keras built-in in one process, interleaved
(ours, theirs, ours, theirs, ...), so a slow patch of the machine hits both;
each side's time is the median over the repeats.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of a benchmark table: a component, both times and the target ratio.

    A row with `target=None` is information, not a target: its table line
    shows `note` (why it is kept) instead of ok / MISS. `unit` names what
    `ours_ms` and `keras_ms` hold when it is not milliseconds (a memory row
    holds megabytes).
    """

    component: str
    ours_ms: float
    keras_ms: float
    target: float | None
    note: str = ""
    unit: str = "ms"

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.keras_ms

    @property
    def ok(self) -> bool:
        return self.target is None or self.ratio <= self.target


def interleaved_median_ms(
    ours: Callable[[], object], keras_fn: Callable[[], object], repeats: int = 20, warmup: int = 3
) -> tuple[float, float]:
    """Time two zero-argument callables alternately; return both medians in ms.

    Each callable must block until its work is done (return a NumPy value or
    call `.numpy()` on its result).
    """
    for _ in range(warmup):
        ours()
        keras_fn()
    times = ([], [])
    for _ in range(repeats):
        for side, fn in enumerate((ours, keras_fn)):
            start = time.perf_counter()
            fn()
            times[side].append((time.perf_counter() - start) * 1e3)
    return statistics.median(times[0]), statistics.median(times[1])


def format_table(rows: list[Row], title: str = "") -> str:
    """Render rows as a Markdown table (component, ours ms, Keras ms, ratio, target)."""
    lines = [f"### {title}", ""] if title else []
    lines.append("| component | ours ms | Keras ms | ratio | target | |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for r in rows:
        unit = "" if r.unit == "ms" else f" {r.unit}"  # another unit is named in each cell
        if r.target is None:
            target, mark = "info", r.note or "information"
        else:
            target, mark = f"<= {r.target:.2f}", "ok" if r.ok else "MISS"
        lines.append(
            f"| {r.component} | {r.ours_ms:.2f}{unit} | {r.keras_ms:.2f}{unit} | "
            f"{r.ratio:.3f} | {target} | {mark} |"
        )
    return "\n".join(lines)
