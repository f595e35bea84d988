"""The figures of the guides, each a function returning a matplotlib Figure, and generated text.

`FIGURES` maps a name (the file `figures/<name>.png` on the site) to the
function that draws it. Hyperparameters are chosen for legible pictures, not
for benchmarks; each is stated next to the figure in the guide.
`PLACEHOLDERS` maps a marker `<!-- generated: NAME -->` in a page to the
function that writes its Markdown (the verification page's tables).
"""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import numpy as np

from kerastoolkit import layers, optimizers, plotting

FIGURES = {}


def figure(name):
    """Register the decorated function as the drawing of `figures/<name>.png`."""

    def register(draw):
        FIGURES[name] = draw
        return draw

    return register


# --- optimizers -------------------------------------------------------------

BEALE_START = (1.0, 1.5)
BEALE_MINIMUM = (3.0, 0.5)
BEALE_BOUNDS = ((-0.5, 4.0), (-1.0, 2.5))
BEALE_STEPS = 300
BEALE_SETTINGS = {
    "SGD": dict(learning_rate=0.01),
    "Momentum": dict(learning_rate=0.005, momentum=0.9),
    "Nesterov": dict(learning_rate=0.005, momentum=0.9),
    "Adagrad": dict(learning_rate=0.5),
    "RMSprop": dict(learning_rate=0.01),
    "Adadelta": dict(learning_rate=10.0),
    "Adam": dict(learning_rate=0.05),
    "Nadam": dict(learning_rate=0.05),
}

VALLEY_START = (-8.0, 1.5)
VALLEY_BOUNDS = ((-9.0, 2.0), (-2.0, 2.0))
VALLEY_STEPS = 60
VALLEY_SETTINGS = {
    "SGD": dict(learning_rate=0.09),
    "Momentum": dict(learning_rate=0.02, momentum=0.9),
    "Nesterov": dict(learning_rate=0.02, momentum=0.9),
    "Adagrad": dict(learning_rate=1.0),
    "RMSprop": dict(learning_rate=0.1),
    "Adadelta": dict(learning_rate=10.0),
    "Adam": dict(learning_rate=0.3),
    "Nadam": dict(learning_rate=0.3),
}


def _optimizers(settings, names):
    return {
        f"{name} (lr={settings[name]['learning_rate']:g})": getattr(optimizers, name)(
            **settings[name]
        )
        for name in names
    }


@figure("optimizers-beale-direction")
def beale_direction():
    return plotting.plot_optimizer_paths(
        _optimizers(BEALE_SETTINGS, ["SGD", "Momentum", "Nesterov"]),
        plotting.beale, BEALE_START, BEALE_STEPS, BEALE_BOUNDS, BEALE_MINIMUM,
        title=f"Beale's function, {BEALE_STEPS} steps: direction",
    )


@figure("optimizers-beale-step-size")
def beale_step_size():
    return plotting.plot_optimizer_paths(
        _optimizers(BEALE_SETTINGS, ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "Nadam"]),
        plotting.beale, BEALE_START, BEALE_STEPS, BEALE_BOUNDS, BEALE_MINIMUM,
        title=f"Beale's function, {BEALE_STEPS} steps: step size, and both",
    )


@figure("optimizers-valley")
def valley():
    return plotting.plot_optimizer_paths(
        _optimizers(VALLEY_SETTINGS, list(VALLEY_SETTINGS)),
        plotting.narrow_valley, VALLEY_START, VALLEY_STEPS, VALLEY_BOUNDS, (0.0, 0.0),
        title=f"A narrow valley (curvature ratio 20), {VALLEY_STEPS} steps",
    )


# --- recurrent ------------------------------------------------------------------

RNN_STEPS = 40
RNN_UNITS = 16
RNN_FEATURES = 4
RNN_BATCH = 8


def _dependence_on_each_step(layer, x):
    """The norm of the gradient of the last hidden state's sum w.r.t. each input step."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layer(x))
    g = tape.gradient(total, x).numpy()
    return np.sqrt(np.square(g).sum(axis=(0, 2)))


@figure("recurrent-gradient-through-time")
def gradient_through_time():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(RNN_BATCH, RNN_STEPS, RNN_FEATURES)).astype("float32")
    norms = {
        "SimpleRNN": _dependence_on_each_step(layers.SimpleRNN(RNN_UNITS), x),
        "LSTM": _dependence_on_each_step(layers.LSTM(RNN_UNITS), x),
    }
    return plotting.plot_gradient_norms(
        norms,
        title=f"Dependence of h_T on each x_t (T = {RNN_STEPS}, untrained)",
        xlabel="time step t",
    )


LM_TEXT = "you say goodbye and i say hello ."
LM_REPEATS = 8
LM_EPOCHS = 30
LM_SIZE = 8
LM_BATCH = 2
LM_TIME = 5
LM_LEARNING_RATE = 0.05


@figure("recurrent-language-model")
def language_model_perplexity():
    from kerastoolkit.models import LanguageModel, Vocabulary, truncated_bptt_batches

    keras.utils.set_random_seed(0)
    vocab = Vocabulary.from_text(LM_TEXT)
    x, y = truncated_bptt_batches(
        vocab.encode(LM_TEXT * LM_REPEATS), batch_size=LM_BATCH, time_size=LM_TIME
    )
    histories = {}
    for dropout in (0.0, 0.5):
        lm = LanguageModel(vocab, embedding_dim=LM_SIZE, units=LM_SIZE, dropout=dropout)
        lm.compile(optimizers.Adam(LM_LEARNING_RATE))
        histories[f"dropout {dropout:g}"] = lm.fit(
            x, y, batch_size=LM_BATCH, epochs=LM_EPOCHS, verbose=0
        )
    return plotting.plot_history(
        histories, metric="perplexity", log_scale=True,
        title=f"LSTM language model, {len(vocab)}-word vocabulary",
    )


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


@placeholder("benchmark-table")
def benchmark_table():
    tables = sorted(RESULTS_DIR.glob("*.md")) if RESULTS_DIR.is_dir() else []
    if not tables:
        return (
            "*No benchmark results have been recorded yet*: no table was found in "
            "`benchmarks/results/`. Run `make bench` to measure the ratios on your machine."
        )
    parts = []
    for table in tables:
        text = table.read_text().strip()
        if not text.startswith("#"):
            text = f"### {table.stem}\n\n{text}"
        parts.append(text)
    return "\n\n".join(parts)


def fill_placeholders(markdown):
    """Replace each `<!-- generated: NAME -->` marker by the text its function returns."""
    for name, write in PLACEHOLDERS.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, write())
    return markdown
