"""mkdocs hook: every guide page, in every language, is also a Jupyter notebook.

At build time each page's Markdown (after figures.py has filled in its
generated tables) is read by jupytext: its prose becomes Markdown cells and its
`python` code blocks code cells, in order (a block in another language, such
as the shell commands of getting started, stays a fenced block in the prose).
The page's figures are embedded as cell attachments, so the notebook shows
them away from the site. The notebook is served beside the page
(`optimizers.html` → `optimizers.ipynb`, `ko/optimizers.html` →
`ko/optimizers.ipynb`) and the page gets a download button under its title.
Nothing is written by hand or into the work tree, so a notebook cannot drift
from its page; tests/test_notebooks.py runs them.
"""

from __future__ import annotations

import base64
import posixpath
import re

import jupytext
import languages
import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

API_DIR = "api/"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
FIGURE_LINK = re.compile(r"!\[([^\]]*)\]\(((?:\.\./)*figures/[^)\s]+\.png)\)")
# autorefs' `[title][identifier]` means nothing to Jupyter: the notebook keeps the title.
CROSS_REFERENCE = re.compile(r"\[([^\]]+)\]\[[\w.]+\]")
MAGIC_CELL = re.compile(r"\A%%(\w+)\n(.*)\Z", re.DOTALL)
TITLE = re.compile(r"^# .*$", re.MULTILINE)
BUTTON = {
    "en": "Download this page as a notebook (.ipynb)",
    "ko": "이 페이지를 노트북(.ipynb)으로 내려받기",
}

_NOTEBOOKS = {}
"""The notebook File of each page of this build, by the page's source URI."""


def is_guide(src_uri):
    return src_uri.endswith(".md") and not src_uri.startswith(API_DIR)


def notebook_uri(src_uri):
    """`optimizers.md` → `optimizers.ipynb`, `optimizers.ko.md` → `optimizers.ko.ipynb`."""
    return src_uri[: -len(".md")] + ".ipynb"


def to_notebook(markdown, figure_bytes=lambda name: None):
    """The notebook of one page's Markdown (a `nbformat` v4 NotebookNode).

    Args:
        markdown: the page's Markdown source, generated parts filled in.
        figure_bytes: returns the PNG bytes of a `figures/...` path, or None;
            the figures found are attached to the cell that shows them.
    """
    notebook = jupytext.reads(markdown, fmt="md")
    cells = []
    for cell in notebook.cells:
        magic = MAGIC_CELL.match(cell.source) if cell.cell_type == "code" else None
        if magic:  # jupytext turns ```bash into a %%bash cell: keep it as prose
            language, body = magic.groups()
            cell = nbformat.v4.new_markdown_cell(f"```{language}\n{body}\n```")
        if cell.cell_type == "markdown":
            cell = _attach_figures(cell, figure_bytes)
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    result = nbformat.v4.new_notebook(cells=cells)
    result.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nbformat.validate(result)
    return result


def _attach_figures(cell, figure_bytes):
    attachments = {}

    def attach(match):
        alt, path = match.groups()
        png = figure_bytes(path)
        if png is None:
            return match.group(0)
        name = posixpath.basename(path)
        attachments[name] = {"image/png": base64.b64encode(png).decode("ascii")}
        return f"![{alt}](attachment:{name})"

    source = CROSS_REFERENCE.sub(r"\1", FIGURE_LINK.sub(attach, cell.source))
    cell = nbformat.v4.new_markdown_cell(source)
    if attachments:
        cell.attachments = attachments
    return cell


@event_priority(-110)  # after mkdocs-static-i18n has chosen this language's pages
def on_files(files, config):
    """Reserve one notebook file per page of this build, beside it (filled in per page)."""
    _NOTEBOOKS.clear()
    for file in list(files.documentation_pages()):
        if is_guide(file.src_uri):
            notebook = File.generated(config, notebook_uri(file.src_uri), content=b"")
            notebook.dest_uri = file.dest_uri[: -len(".html")] + ".ipynb"
            files.append(notebook)
            _NOTEBOOKS[file.src_uri] = notebook
    return files


@event_priority(-10)  # after figures.py has filled in the generated tables
def on_page_markdown(markdown, page, config, files):
    notebook = _NOTEBOOKS.get(page.file.src_uri)
    if notebook is None:
        return markdown

    def figure_bytes(path):
        here = posixpath.dirname(page.file.src_uri)
        file = files.get_file_from_path(posixpath.normpath(posixpath.join(here, path)))
        return None if file is None else file.content_bytes

    notebook.content_bytes = nbformat.writes(to_notebook(markdown, figure_bytes)).encode()
    label = BUTTON.get(languages.current_language(config), BUTTON["en"])
    name = posixpath.basename(notebook_uri(page.file.src_uri))
    button = f'[{label}]({name}){{ .md-button download="{_download_name(page)}" }}'
    title = TITLE.search(markdown)
    if title is None:
        return f"{button}\n\n{markdown}"
    return f"{markdown[: title.end()]}\n\n{button}\n{markdown[title.end():]}"


def _download_name(page):
    """The saved file's name: the page's name, with the language for another one."""
    stem = posixpath.basename(page.file.src_uri)[: -len(".md")]
    return f"{stem}.ipynb"
