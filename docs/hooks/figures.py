"""mkdocs hook: draw every figure of the guides with kerastoolkit.plotting, at build time.

Nothing here is a checked-in image: each figure is computed by running the
toolkit's own components (our optimizers on Beale's function, our layers in
tiny training runs on scikit-learn's 8x8 digits, ...) and handed to mkdocs as
an in-memory file under `figures/`, so the pictures cannot drift from the code
and the git tree stays clean. The runs are kept tiny (a few epochs, small
models) so the whole build stays well under a minute or two on two cores.

Drawn figures are cached in `docs/generated/figures/` (git-ignored, and not
part of the site) under a key that hashes every source file they depend on —
the package, the figure hooks — and the versions of the libraries that compute
them: a second build of unchanged code (`make test` builds after the test
suite has) reuses them, and any change to the code redraws them all.

The same hook fills in the generated table of the verification guide.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import logging
import os
import time
from importlib import metadata
from pathlib import Path

from mkdocs.plugins import event_priority
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
HOOKS = Path(__file__).resolve().parent
ROOT = HOOKS.parents[1]
CACHE = ROOT / "docs" / "generated" / "figures"
LIBRARIES = ("keras", "tensorflow", "numpy", "matplotlib", "scikit-learn")


def code_key():
    """A hash of everything a figure depends on: our sources and the libraries' versions."""
    digest = hashlib.sha256()
    # Only the figure hooks: the API and notebook hooks draw nothing, and editing
    # them must not redraw every figure.
    for path in sorted([*(ROOT / "kerastoolkit").rglob("*.py"), *HOOKS.glob("figure*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:16]


def draw_png(draw):
    buffer = io.BytesIO()
    draw().savefig(buffer, format="png")
    return buffer.getvalue()


# After mkdocs-static-i18n has sorted the pages by language (it cannot handle
# in-memory files): every language's pages share the one copy at figures/.
@event_priority(-110)
def on_files(files, config):
    key = code_key()
    for name, draw in figure_library.FIGURES.items():
        cached = CACHE / f"{name}.{key}.png"
        start = time.perf_counter()
        if cached.exists():
            png = cached.read_bytes()
        else:
            png = draw_png(draw)
            CACHE.mkdir(parents=True, exist_ok=True)
            for stale in CACHE.glob(f"{name}.*.png"):
                stale.unlink()
            cached.write_bytes(png)
            log.info("figure %s drawn in %.1f s", name, time.perf_counter() - start)
        files.append(File.generated(config, f"{FIGURE_DIR}/{name}.png", content=png))
    return files


def on_page_markdown(markdown, page, config, files):
    return figure_library.fill_placeholders(markdown)
