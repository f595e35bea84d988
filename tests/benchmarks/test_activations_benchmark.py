"""The activations benchmark runs end to end (its quick mode); it asserts no timing."""

from benchmarks import activations as suite
from benchmarks.harness import format_table


def test_quick_run_measures_every_pair():
    rows = suite.run(quick=True)
    names = [*suite.ACTIVATIONS, *suite.LOSSES]
    micro = [f"{name} ({mode})" for mode in ("graph", "XLA") for name in names]
    assert [r.component for r in rows[: len(micro)]] == micro
    assert [r.target for r in rows] == [suite.MICRO_TARGET] * len(micro) + [suite.CNN_TARGET] * 2
    assert all(r.ours_ms > 0 and r.keras_ms > 0 for r in rows)
    table = format_table(rows, "quick")
    assert table.count("\n| ") == len(rows) + 1  # header plus one line per row
    # The micro rows are information: the reason stands beside each, never ok / MISS.
    assert all(r.ok for r in rows[: len(micro)])
    assert table.count(f"| info | {suite.MICRO_NOTE} |") == len(micro)
