"""mkdocs hook: one API reference page per public module, generated from the code.

Each page is only `:::` directives (mkdocstrings renders signatures, docstrings
and their LaTeX), written in memory at build time, so the reference follows
whatever modules exist: a module that lands appears, a symbol that is renamed
moves, and nothing is written by hand twice. The pages are appended to the nav
under "API reference".
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from mkdocs.structure.files import File

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


def on_config(config):
    pages = [{m.__name__: page_uri(m)} for m in public_modules()]
    config.nav = [entry for entry in (config.nav or []) if NAV_TITLE not in entry]
    config.nav.append({NAV_TITLE: pages})
    return config


def on_files(files, config):
    for module in public_modules():
        files.append(File.generated(config, page_uri(module), content=page_markdown(module)))
    return files
