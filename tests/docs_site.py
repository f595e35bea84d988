"""Build the documentation site once per test session, for the docs and browser tests.

The build runs `mkdocs build --strict` in a subprocess (TensorFlow state and
warning filters of the test process stay untouched) into a temporary
directory, so the work tree's `site/` is never written by tests.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BUILD_TIMEOUT_S = 600


KOREAN = ".ko.md"


def _hand_written():
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


def guide_pages():
    """Every English Markdown page written by hand (the hooks' directory is not part of the site).

    The Korean twins (`page.ko.md`) are left out: their code blocks are the
    English page's (tests/test_i18n.py checks), so they need not run twice.
    """
    return [p for p in _hand_written() if not p.name.endswith(KOREAN)]


def korean_pages():
    """Every Korean page (`page.ko.md` beside its English `page.md`)."""
    return [p for p in _hand_written() if p.name.endswith(KOREAN)]


def english_twin(korean):
    return korean.with_name(korean.name[: -len(KOREAN)] + ".md")


def korean_twin(english):
    return english.with_suffix(KOREAN)


def html_of(page):
    """The built page's path in the site (`optimizers.md` → `optimizers.html`, Korean in `ko/`)."""
    relative = page.relative_to(DOCS).as_posix()
    if relative.endswith(KOREAN):
        return "ko/" + relative[: -len(KOREAN)] + ".html"
    return relative[: -len(".md")] + ".html"


def docs_tree_status():
    """`git status` of the docs sources, ignored files included.

    Bytecode caches and the figure cache `docs/generated/` (git-ignored, made
    for exactly this) aside.
    """
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--", "docs", "mkdocs.yml"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return [
        line for line in status.splitlines()
        if "__pycache__" not in line and "docs/generated/" not in line
    ]


TREE_STATUS = {}
"""`git status` of the docs sources just before and just after the build."""


@functools.cache
def built_site() -> Path:
    """The directory of a fresh strict build of the site (built on first use only)."""
    TREE_STATUS["before"] = docs_tree_status()
    out = Path(tempfile.mkdtemp(prefix="kerastoolkit-site-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build --strict failed:\n{result.stderr[-5000:]}")
    TREE_STATUS["after"] = docs_tree_status()
    return out
