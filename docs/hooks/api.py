"""mkdocs hook: one API reference page per public module, generated from the code.

Each page is only `:::` directives (mkdocstrings renders signatures, docstrings
and their LaTeX), written in memory at build time, so the reference follows
whatever modules exist: a module that lands appears, a symbol that is renamed
moves, and nothing is written by hand twice. The pages are appended to the nav
under "API reference".

The reference is one English reference: mkdocs-static-i18n builds the Korean
site in a second pass (into `site/ko/`), and in that pass the pages are not
generated again. The Korean nav links to the English pages instead, and the
Korean pages' cross-references (`[Dense][kerastoolkit.layers.Dense]`) reach
them as they are: autorefs keeps the anchors it registered while rendering the
English reference (site-relative URLs, and the Korean pages' own URLs start
with `ko/`). tests/test_i18n.py checks every link of the Korean site to the
reference lands on an existing anchor.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import languages
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.structure.nav import Link, Section

PACKAGE = "kerastoolkit"
API_DIR = "api"
NAV_TITLE = "API reference"
SKIPPED = {"__main__"}
# A helper is rendered on its own, so it needs its own heading (and anchor).
CONSTANT_OPTIONS = """    options:
      heading_level: 3
      show_root_heading: true
      show_root_full_path: true
      show_if_no_docstring: true
"""
EXTRA_OPTIONS = """    options:
      heading_level: 3
      show_root_heading: true
      show_root_full_path: true
"""


def _defined_within(obj, module):
    """Whether `obj` was defined in `module` or, for a package, in one of its submodules."""
    home = getattr(obj, "__module__", None) or ""
    return home == module.__name__ or home.startswith(module.__name__ + ".")


def public_names(module):
    """`module.__all__`, or else the public names defined in the module (or package) itself."""
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not n.startswith("_")]
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(obj) and _defined_within(obj, module)
    ]


def public_modules():
    """The top-level public modules and subpackages of the package, in name order."""
    package = importlib.import_module(PACKAGE)
    return [
        importlib.import_module(f"{PACKAGE}.{info.name}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
        if not info.name.startswith("_") and info.name not in SKIPPED
    ]


def submodule_extras(package):
    """Public symbols of a subpackage's modules that the subpackage does not re-export.

    Returns:
        A list of dotted paths such as `kerastoolkit.optimizers.base.check_bool`.
    """
    if not hasattr(package, "__path__"):
        return []
    exported = {id(getattr(package, n)) for n in public_names(package)}
    extras = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        extras += [
            f"{module.__name__}.{name}"
            for name in public_names(module)
            if id(getattr(module, name)) not in exported
        ]
    return extras


def _is_constant(obj):
    return not (inspect.isclass(obj) or callable(obj) or inspect.ismodule(obj))


def page_markdown(module):
    """The reference page of one module: its docstring and members, constants, then the extras.

    The members are listed explicitly: without `__all__` mkdocstrings would
    skip a package's re-exports, and a constant documented by a `#:` comment
    (which griffe does not read) would be hidden; constants get their own
    directive that shows them with their value even without a docstring.
    """
    names = public_names(module)
    constants = [n for n in names if _is_constant(getattr(module, n))]
    members = [n for n in names if n not in constants]
    lines = [f"# `{module.__name__}`", "", f"::: {module.__name__}"]
    lines += ["    options:", f"      members: {members}", ""]
    if constants:
        lines += ["## Constants", ""]
        lines += [
            f"::: {module.__name__}.{name}\n{CONSTANT_OPTIONS}" for name in constants
        ]
    extras = submodule_extras(module)
    if extras:
        lines += ["## Helpers of the submodules", ""]
        lines += [f"::: {path}\n{EXTRA_OPTIONS}" for path in extras]
    return "\n".join(lines)


def page_uri(module):
    return f"{API_DIR}/{module.__name__}.md"


def page_url(module):
    return f"{API_DIR}/{module.__name__}.html"


def on_config(config):
    config.nav = [entry for entry in (config.nav or []) if NAV_TITLE not in entry]
    if languages.is_default_build(config):
        pages = [{m.__name__: page_uri(m)} for m in public_modules()]
        config.nav.append({NAV_TITLE: pages})
    return config


# After mkdocs-static-i18n has sorted the pages by language (it cannot handle
# in-memory files).
@event_priority(-110)
def on_files(files, config):
    if not languages.is_default_build(config):
        return files
    for module in public_modules():
        files.append(File.generated(config, page_uri(module), content=page_markdown(module)))
    return files


def on_nav(nav, config, files):
    """Another language's nav links to the English reference (the same nav titles)."""
    if languages.is_default_build(config):
        return nav
    links = [Link(m.__name__, page_url(m)) for m in public_modules()]
    section = Section(NAV_TITLE, links)
    for link in links:
        link.parent = section
    nav.items.append(section)
    return nav


API_LINK = re.compile(r"\[([^\]]+)\]\((api/[^)#\s]+)\.md(#[^)\s]*)?\)")


def on_page_markdown(markdown, page, config, files):
    """Another language's links to `api/*.md` point at the English pages.

    The link is written out in HTML with its path from this page to the English
    root, since mkdocs would reject a link to a page of the other build.
    """
    if languages.is_default_build(config):
        return markdown
    up = "../" * page.file.url.count("/")

    def english(match):
        text, path, anchor = match.groups()
        return f'<a href="{up}{path}.html{anchor or ""}">{text}</a>'

    return API_LINK.sub(english, markdown)
