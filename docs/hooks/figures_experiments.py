"""Figures and tables of the experiment pages: each experiment's `--quick` run, cached.

Every experiment page shows the figure and the table of one run of
`kerastoolkit.experiments.run(name, quick=True)` (fewer images and epochs, so
the build stays short). A run is made only when its figure or its table is
not cached yet; both are cached under the same key as the other figures (the
package's and the hooks' sources and the libraries' versions), the tables in
`docs/generated/experiments/`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
from importlib import metadata
from pathlib import Path

from figure_library import figure, placeholder

HOOKS = Path(__file__).resolve().parent
ROOT = HOOKS.parents[1]
CACHE = ROOT / "docs" / "generated" / "experiments"
LIBRARIES = ("keras", "tensorflow", "numpy", "matplotlib", "scikit-learn", "keras-tuner")

#: Experiment name -> the stems of the figures its run draws.
FIGURES = {
    "optimizers": ("optimizers_loss",),
    "three-layer-inference": ("three_layer_accuracy",),
    "activations": ("activations_accuracy", "activations_gradient_norms"),
    "initialization": ("initialization_histograms",),
    "overfitting": ("overfitting_accuracy",),
    "batch-normalization": ("batch_normalization_accuracy",),
    "hyperparameter-search": ("hyperparameter_search",),
    "learning-rate": ("learning_rate",),
}


@functools.cache
def _key():
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "kerastoolkit").rglob("*.py"), *HOOKS.glob("*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:16]


@functools.cache
def _run(name):
    from kerastoolkit import experiments

    with tempfile.TemporaryDirectory() as out:
        return experiments.run(name, quick=True, verbose=0, out=Path(out))


def _table_markdown(result):
    from kerastoolkit.cli import format_table

    lines = []
    for title, rows in result.tables.items():
        lines += [f"**{title}**", "", format_table(rows, result.formats), ""]
    lines += [f"Data: {result.data}.", ""]
    for line in result.summary:
        lines += [f"{line[0].upper()}{line[1:]}.", ""]
    return "\n".join(lines)


def _cached_table(name):
    path = CACHE / f"{name}.{_key()}.json"
    if path.exists():
        return json.loads(path.read_text())["markdown"]
    markdown = _table_markdown(_run(name))
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"{name}.*.json"):
        stale.unlink()
    path.write_text(json.dumps({"markdown": markdown}))
    return markdown


def _register(name, stem):
    figure(f"experiment-{stem.replace('_', '-')}")(lambda: _run(name).figures[stem])


for _name, _stems in FIGURES.items():
    for _stem in _stems:
        _register(_name, _stem)
    placeholder(f"experiment-{_name}")(functools.partial(_cached_table, _name))
