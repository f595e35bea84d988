"""Every guide page is also a Jupyter notebook, generated at build time, and it runs.

docs/hooks/notebooks.py writes `page.ipynb` beside each built page (the Korean
ones under `ko/`). The notebooks are checked against their pages (prose as
Markdown cells, every `python` block a code cell, in order) and the English
ones are executed top to bottom with nbclient in a fresh kernel; a Korean
notebook's code cells must equal its English twin's, so it need not run twice.
"""

import base64
import os
import re

import nbformat
import pytest
from docs_site import DOCS, ROOT, built_site, english_twin, guide_pages, html_of, korean_pages
from nbclient import NotebookClient

FENCED_PYTHON = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
CELL_TIMEOUT_S = 300
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _notebook_path(page):
    return built_site() / html_of(page).replace(".html", ".ipynb")


def _read(page):
    return nbformat.read(_notebook_path(page), as_version=4)


def _code(notebook):
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def _id(page):
    return page.relative_to(DOCS).as_posix()


PAGES = [*guide_pages(), *korean_pages()]


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_the_page_is_served_as_its_notebook(page):
    notebook = _read(page)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata.kernelspec.name == "python3"
    blocks = [b.rstrip("\n") for b in FENCED_PYTHON.findall(page.read_text())]
    assert _code(notebook) == blocks, "the code cells are not the page's python blocks in order"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    title = page.read_text().splitlines()[0]
    assert markdown.startswith(title)
    html = (built_site() / html_of(page)).read_text()
    name = _notebook_path(page).name
    assert f'href="{name}"' in html and "md-button" in html, "the page has no download button"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_the_notebook_carries_the_pages_figures(page):
    figures = re.findall(r"\]\(((?:\.\./)*figures/[^)\s]+\.png)\)", page.read_text())
    attachments = {
        name: data["image/png"]
        for cell in _read(page).cells if cell.cell_type == "markdown"
        for name, data in cell.get("attachments", {}).items()
    }
    assert sorted(attachments) == sorted({f.rsplit("/", 1)[1] for f in figures})
    for data in attachments.values():
        assert base64.b64decode(data).startswith(PNG_MAGIC)


@pytest.mark.parametrize("korean", korean_pages(), ids=_id)
def test_a_korean_notebook_has_its_english_twins_code(korean):
    assert _code(_read(korean)) == _code(_read(english_twin(korean)))


@pytest.mark.parametrize("page", guide_pages(), ids=_id)
def test_the_notebook_runs_top_to_bottom(page, tmp_path, monkeypatch):
    notebook = _read(page)
    if not _code(notebook):
        pytest.skip("the page has no code")
    # The kernel imports this tree's kerastoolkit, and runs in a scratch
    # directory so whatever a notebook writes stays out of the tree.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), path])))
    monkeypatch.chdir(tmp_path)
    NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
