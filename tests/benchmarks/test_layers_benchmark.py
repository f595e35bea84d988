"""The layers benchmark runs end to end (its quick mode); it asserts no timing."""

from benchmarks import layers as suite
from benchmarks.harness import format_table


def test_quick_run_measures_every_architecture():
    rows = suite.run(quick=True)
    # Quick mode keeps the first compilation mode only: one row per architecture.
    assert len(rows) == len(suite.ARCHITECTURES)
    for row, name in zip(rows, suite.ARCHITECTURES):
        assert row.component.startswith(f"{name} train step, B={suite.QUICK_BATCH}")
        assert row.target == suite.TARGETS[name]
        assert row.ours_ms > 0 and row.keras_ms > 0
    table = format_table(rows, "quick")
    assert table.count("\n| ") == len(rows) + 1  # header plus one line per row
