"""The recurrent benchmark runs end to end (its quick mode); it asserts no timing."""

from benchmarks import recurrent as suite
from benchmarks.harness import format_table


def test_quick_run_measures_every_pair():
    rows = suite.run(quick=True)
    # Quick mode times without XLA only: one row per (ours, Keras) pair, then
    # one manual-vs-tape row per LanguageModel cell.
    assert len(rows) == len(suite.PAIRS) + len(suite.LM_CELLS)
    for row, cell in zip(rows[len(suite.PAIRS):], suite.LM_CELLS, strict=True):
        assert row.component.startswith(f"LanguageModel({cell}) x2 train step, manual vs tape")
        assert row.target is None and row.note == suite.LM_NOTE
        assert row.ours_ms > 0 and row.keras_ms > 0
    for row, name in zip(rows, suite.PAIRS):
        assert row.component.startswith(f"{name} x2 train step (")
        assert f"T={suite.QUICK['LENGTH']}" in row.component
        assert row.target == suite.TARGET
        assert row.ours_ms > 0 and row.keras_ms > 0
    table = format_table(rows, "quick")
    assert table.count("\n| ") == len(rows) + 1  # header plus one line per row
