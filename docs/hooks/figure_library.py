"""The registry of the guides' figures, and the generated text of the verification page.

`FIGURES` maps a name (the file `figures/<name>.png` on the site) to the
function that draws it; the functions live in one module per guide,
`figures_<guide>.py` beside this file, and register with `@figure(name)`.
Hyperparameters there are chosen for legible pictures, not for benchmarks;
each is stated next to the figure in the guide.
`PLACEHOLDERS` maps a marker `<!-- generated: NAME -->` in a page to the
function that writes its Markdown (the verification page's tables).
"""

from __future__ import annotations

import ast
from pathlib import Path

FIGURES = {}


def figure(name):
    """Register the decorated function as the drawing of `figures/<name>.png`."""

    def register(draw):
        FIGURES[name] = draw
        return draw

    return register


# --- generated text -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "benchmarks" / "results"
PLACEHOLDERS = {}


def placeholder(name):
    """Register the decorated function as the text of `<!-- generated: NAME -->`."""

    def register(write):
        PLACEHOLDERS[name] = write
        return write

    return register


def _comment_above(lines, lineno):
    """The `#` comment lines just above line `lineno` (1-based), joined."""
    comment = []
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        comment.insert(0, lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(comment)


def _tolerance_constants(path):
    """Module-level constants named `*TOL*` in a test file, with their values and comments."""
    source = path.read_text()
    lines = source.splitlines()
    rows, previous_end = [], None
    for node in ast.parse(source).body:
        after_previous = previous_end is not None and node.lineno == previous_end + 1
        previous_end = node.end_lineno
        if not isinstance(node, ast.Assign):
            continue
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        names += [
            e.id for t in node.targets if isinstance(t, ast.Tuple)
            for e in t.elts if isinstance(e, ast.Name)
        ]
        names = [n for n in names if "TOL" in n]
        if names:
            value = ast.get_source_segment(source, node.value)
            comment = _comment_above(lines, node.lineno)
            if not comment and after_previous and rows:
                comment = "(with the constant above)"
            rows.append((", ".join(names), value, comment))
    return rows


@placeholder("tolerance-table")
def tolerance_table():
    rows = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for names, value, comment in _tolerance_constants(path):
            rel = path.relative_to(ROOT).as_posix()
            rows.append(f"| `{rel}` | `{names}` | `{value}` | {comment} |")
    if not rows:
        return "*No test states a tolerance yet.*"
    header = ["| test file | constant | value | why |", "|---|---|---|---|"]
    return "\n".join(header + rows)


#: The backends' result folders under benchmarks/results/, with their headings.
BENCHMARK_BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


@placeholder("benchmark-table")
def benchmark_table():
    parts = []
    for folder, label in BENCHMARK_BACKENDS.items():
        tables = sorted((RESULTS_DIR / folder).glob("*.md"))
        if not tables:
            parts.append(
                f"### On {label}\n\n*No benchmark results have been recorded on {label} yet*: "
                f"run `kerastoolkit bench --backend {folder}` to measure the ratios."
            )
            continue
        parts.append(f"### On {label}")
        for table in tables:
            text = table.read_text().strip()
            if text.startswith("### "):  # a suite's heading, one level below its backend's
                text = "#" + text
            else:
                text = f"#### {table.stem}\n\n{text}"
            parts.append(text)
    return "\n\n".join(parts)


def fill_placeholders(markdown):
    """Replace each `<!-- generated: NAME -->` marker by the text its function returns."""
    for name, write in PLACEHOLDERS.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, write())
    return markdown
