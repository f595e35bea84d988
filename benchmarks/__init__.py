"""Custom-vs-built-in benchmark suites; each module has `run()` and a `__main__`."""
