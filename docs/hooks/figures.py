"""mkdocs hook: draw every figure of the guides with kerastoolkit.plotting, at build time.

Nothing here is a checked-in image: each figure is computed by running the
toolkit's own components (our optimizers on Beale's function, our layers in
tiny training runs on scikit-learn's 8x8 digits, ...) and handed to mkdocs as
an in-memory file under `figures/`, so the pictures cannot drift from the code
and the git tree stays clean. The runs are kept tiny (a few epochs, small
models) so the whole build stays well under a minute or two on two cores.

The same hook fills in the generated table of the verification guide.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import time
from pathlib import Path

from mkdocs.structure.files import File

# Quiet TensorFlow's start-up chatter before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# docs/hooks/ is on sys.path while mkdocs loads this hook: import the registry
# and every guide's figure module beside it (each registers its figures).
import figure_library  # noqa: E402

for _module in sorted(Path(__file__).parent.glob("figures_*.py")):
    importlib.import_module(_module.stem)

log = logging.getLogger("mkdocs.hooks.figures")

FIGURE_DIR = "figures"


def on_files(files, config):
    for name, draw in figure_library.FIGURES.items():
        start = time.perf_counter()
        fig = draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        files.append(File.generated(config, f"{FIGURE_DIR}/{name}.png", content=buffer.getvalue()))
        log.info("figure %s drawn in %.1f s", name, time.perf_counter() - start)
    return files


def on_page_markdown(markdown, page, config, files):
    return figure_library.fill_placeholders(markdown)
