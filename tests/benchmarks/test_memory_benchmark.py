"""The memory benchmark runs end to end (its quick mode); it asserts no memory figure."""

from benchmarks import memory as suite
from benchmarks.harness import format_table


def test_quick_run_measures_both_sides_in_megabytes():
    (row,) = suite.run(quick=True)
    assert row.unit == "MB" and row.target == suite.TARGET
    # A process that imported TensorFlow and trained holds well over 100 MB.
    assert row.ours_ms > 100 and row.keras_ms > 100
    assert f"{row.ours_ms:.2f} MB" in format_table([row])
