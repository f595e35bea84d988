"""The optimizer benchmark runs end to end (its quick mode); it asserts no timing."""

from benchmarks import optimizers as suite
from benchmarks.harness import format_table


def test_quick_run_measures_every_pair():
    rows = suite.run(quick=True)
    assert [r.component.split(" ")[0] for r in rows] == list(suite.PAIRS)
    assert all(r.ours_ms > 0 and r.keras_ms > 0 and r.target == suite.TARGET for r in rows)
    table = format_table(rows, "quick")
    assert table.count("\n| ") == len(rows) + 1  # header plus one line per pair
