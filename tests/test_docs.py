"""The documentation site: its examples run, its API reference is complete, it is self-contained.

`make test` runs `mkdocs build --strict` itself (broken links, missing pages
and docstring warnings fail it); these tests check what a strict build cannot.
"""

import importlib
import inspect
import pkgutil
import re
import subprocess

import pytest
from docs_site import DOCS, ROOT, TREE_STATUS, built_site, guide_pages

import kerastoolkit

FENCED_PYTHON = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _examples():
    for page in guide_pages():
        text = page.read_text()
        for match in FENCED_PYTHON.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(match.group(1), id=f"{page.relative_to(DOCS)}:{line}")


@pytest.mark.parametrize("code", list(_examples()))
def test_every_code_example_on_the_site_runs(code):
    exec(compile(code, "<docs example>", "exec"), {"__name__": "__docs_example__"})


def test_the_site_has_code_examples():
    assert len(list(_examples())) >= len(guide_pages()) - 1  # every guide but the home page


# --- the API reference --------------------------------------------------------


def _public_names(module):
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not n.startswith("_")]
    def defined_within(obj):
        home = getattr(obj, "__module__", None) or ""
        return home == module.__name__ or home.startswith(module.__name__ + ".")

    return [
        n for n, obj in vars(module).items()
        if not n.startswith("_") and not inspect.ismodule(obj) and defined_within(obj)
    ]


def _submodules(package):
    if not hasattr(package, "__path__"):
        return []
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]


PUBLIC_MODULES = [
    importlib.import_module(f"kerastoolkit.{info.name}")
    for info in pkgutil.iter_modules(kerastoolkit.__path__)
    if not info.name.startswith("_")
]


def _expected_anchors(module):
    """Every public symbol of the module and of its submodules, under the path it is shown."""
    exported = {id(getattr(module, n)): f"{module.__name__}.{n}" for n in _public_names(module)}
    anchors = set(exported.values())
    for sub in _submodules(module):
        for name in _public_names(sub):
            anchors.add(exported.get(id(getattr(sub, name)), f"{sub.__name__}.{name}"))
    return anchors


def test_every_public_module_is_covered():
    names = {m.__name__ for m in PUBLIC_MODULES}
    assert {"kerastoolkit.optimizers", "kerastoolkit.plotting", "kerastoolkit.callbacks"} <= names


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_api_reference_lists_every_public_symbol(module):
    page = built_site() / "api" / f"{module.__name__}.html"
    assert page.exists(), f"no API reference page for {module.__name__}"
    html = page.read_text()
    missing = sorted(a for a in _expected_anchors(module) if f'id="{a}"' not in html)
    assert not missing, f"public symbols missing from the API reference: {missing}"


def test_api_reference_renders_the_docstring_maths():
    html = (built_site() / "api" / "kerastoolkit.optimizers.html").read_text()
    assert html.count('class="arithmatex"') >= len(kerastoolkit.optimizers.__all__)
    assert r"\hat v_t" in html  # Adam's update rule, straight from its docstring


# --- self-contained and generated ---------------------------------------------

EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE
)


def test_built_pages_load_nothing_from_the_network():
    offenders = [
        p.relative_to(built_site())
        for p in built_site().rglob("*.html")
        if EXTERNAL_RESOURCE.search(p.read_text())
    ]
    assert not offenders, f"pages loading external resources: {offenders}"


def test_math_assets_are_vendored():
    for asset in ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js"):
        assert (built_site() / "assets" / "katex" / asset).stat().st_size > 0
    assert list((built_site() / "assets" / "katex" / "fonts").glob("*.woff2"))


def test_every_figure_is_generated_and_none_is_checked_in():
    tracked = subprocess.run(
        ["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [f for f in tracked if f.lower().endswith(IMAGE_SUFFIXES)]
    referenced = {
        name for page in guide_pages()
        for name in re.findall(r"\]\((figures/[^)\s]+)\)", page.read_text())
    }
    assert referenced, "the guides show no generated figure"
    for name in referenced:
        data = (built_site() / name).read_bytes()
        assert data.startswith(PNG_MAGIC), f"{name} is not a PNG"


def test_building_the_docs_leaves_the_work_tree_clean():
    built_site()
    assert TREE_STATUS["after"] == TREE_STATUS["before"], "the docs build wrote into the tree"


# --- the generated text of the verification page -------------------------------


def _text(html):
    return re.sub(r"<[^>]+>", " ", html)


def test_verification_lists_the_tolerances_the_tests_use():
    text = _text((built_site() / "verification.html").read_text())
    assert "tests/optimizers/optimizer_cases.py" in text
    assert "PATH_RTOL" in text and "1e-5" in text  # tests/test_plotting.py


def test_verification_shows_recorded_benchmarks_or_says_there_are_none():
    text = _text((built_site() / "verification.html").read_text())
    for backend, label in (("tensorflow", "TensorFlow"), ("jax", "JAX"), ("torch", "PyTorch")):
        recorded = sorted((ROOT / "benchmarks" / "results" / backend).glob("*.md"))
        assert f"On {label}" in text
        if not recorded:
            assert f"No benchmark results have been recorded on {label} yet" in text
        for table in recorded:
            first_row = next(line for line in table.read_text().splitlines() if "|" in line)
            assert first_row.split("|")[1].strip() in text
