r"""Saving and loading `.keras` files that fail loudly and never destroy a good file.

`keras.saving.load_model` and `keras.saving.save_model` with three guarantees
Keras 3.15 does not give:

* **A damaged file is refused, naming the file.** Keras reports a truncated
  `.keras` file as "File not found", and it loads a file whose weights were
  overwritten in place with no error at all (the zip archive's checksums are
  never read). [`load_model`][kerastoolkit.saving.load_model] checks the
  archive first, and every member's CRC-32, and raises a `ValueError` naming
  the file and the damaged member.
* **A component that does not exist is named.** A file saved by a newer
  kerastoolkit (or with a custom object that is not imported) fails in Keras
  with "Could not locate class ..." and the whole config. Here the `TypeError`
  names the file and the missing registered name first.
* **A failed save leaves the previous file intact.** Keras opens the target
  for writing before it serialises anything, so an exception midway (an
  unserialisable layer, a full disk) leaves a truncated file where a good one
  was. [`save_model`][kerastoolkit.saving.save_model] writes a temporary file
  in the same directory and renames it over the target only once it is
  complete (`os.replace`, atomic on POSIX and Windows).

Examples:
    >>> import os, tempfile
    >>> import keras
    >>> import kerastoolkit
    >>> from kerastoolkit.saving import load_model, save_model
    >>> model = keras.Sequential([keras.Input((3,)), kerastoolkit.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> save_model(model, path)
    >>> type(load_model(path).layers[0]).__name__
    'Dense'
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile

import keras

__all__ = ["load_model", "save_model"]

_MISSING = re.compile(r"Could not (?:locate|deserialize) (\w+) '([^']+)'")


def _check_archive(filepath):
    """Raise a `ValueError` naming `filepath` if it is not an intact zip archive."""
    if not zipfile.is_zipfile(filepath):
        raise ValueError(
            f"Cannot load {filepath!r}: it is not a complete `.keras` (zip) archive — the file "
            "is truncated or corrupted. Re-save the model, or restore the file from a backup."
        )
    try:
        with zipfile.ZipFile(filepath) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ValueError(
            f"Cannot load {filepath!r}: the `.keras` archive is corrupted ({err}). "
            "Re-save the model, or restore the file from a backup."
        ) from err
    if damaged is not None:
        raise ValueError(
            f"Cannot load {filepath!r}: its member {damaged!r} is corrupted (CRC-32 check "
            "failed). Re-save the model, or restore the file from a backup."
        )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    r"""`keras.saving.load_model`, with a damaged file or a missing component named.

    A local `.keras` file is checked before Keras reads it: it must be a
    complete zip archive whose members all pass their CRC-32 check. Other
    paths (remote, `.h5`) are passed to Keras unchecked.

    Args:
        filepath: the `.keras` file to load (`str` or `os.PathLike`).
        custom_objects: a dict of names to classes or functions used while
            deserialising. Defaults to `None`.
        compile: whether to compile the model after loading. Defaults to `True`.
        safe_mode: refuse to deserialise `lambda` code. Defaults to `True`.

    Returns:
        The loaded `keras.Model`.

    Raises:
        ValueError: the file exists but is truncated or corrupted; the message
            names the file (and the damaged member, when one is found).
        TypeError: the file names a class or function that is not registered
            here (saved by a newer kerastoolkit, or a custom object not
            imported); the message names the file and the missing name.

    Examples:
        >>> from kerastoolkit.saving import load_model
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "broken.keras")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(b"PK not really a zip")
        >>> load_model(path)
        Traceback (most recent call last):
        ...
        ValueError: Cannot load '...broken.keras': it is not a complete `.keras` (zip) archive ...
    """
    path = os.fspath(filepath)
    if path.endswith(".keras") and os.path.isfile(path):
        _check_archive(path)
    try:
        return keras.saving.load_model(
            filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    except (TypeError, ValueError) as err:
        found = _MISSING.search(str(err))
        if found is None:
            raise
        missing = _unregistered_names(path, custom_objects) or [found.group(2)]
        raise TypeError(
            f"Cannot load {path!r}: it uses {', '.join(map(repr, missing))}, which this "
            "installation does not have registered. A name starting with 'kerastoolkit>' comes "
            "from a newer kerastoolkit: upgrade it. Otherwise import the module that defines "
            f"the object, or pass it in `custom_objects`. (Keras: {str(err)[:200]} ...)"
        ) from err


def _unregistered_names(path, custom_objects):
    """The `package>Name` registered names in the file's config that nothing here resolves."""
    if not (path.endswith(".keras") and os.path.isfile(path)):
        return []
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    known = {**keras.saving.get_custom_objects(), **(custom_objects or {})}
    missing = []

    def walk(node):
        if isinstance(node, dict):
            name = node.get("registered_name")
            if isinstance(name, str) and ">" in name and name not in known:
                if name not in missing:
                    missing.append(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return missing


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    r"""`keras.saving.save_model`, written atomically for a local `.keras` file.

    The model is saved to a temporary file next to `filepath`, which replaces
    `filepath` only after the save completed. If saving raises, the temporary
    file is removed and an existing `filepath` is left exactly as it was.
    Other targets (remote paths, `.h5`, `zipped=False`) are passed to Keras.

    Args:
        model: the `keras.Model` to save.
        filepath: the target `.keras` file (`str` or `os.PathLike`).
        overwrite: whether an existing file may be replaced. Keras asks on the
            terminal when this is `False`; here an existing target raises
            `FileExistsError` instead (no prompt). Defaults to `True`.
        zipped: passed to Keras (`None`: zipped for `.keras`). Defaults to `None`.
        **kwargs: passed to `keras.saving.save_model`.

    Raises:
        FileExistsError: `overwrite=False` and `filepath` exists.

    Examples:
        >>> import os, tempfile
        >>> import keras
        >>> from kerastoolkit.saving import save_model
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> save_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]), path)
        >>> os.listdir(os.path.dirname(path))
        ['m.keras']
    """
    path = os.fspath(filepath)
    local_zip = path.endswith(".keras") and zipped is not False and "://" not in path
    if not local_zip:
        return keras.saving.save_model(
            model, filepath, overwrite=overwrite, zipped=zipped, **kwargs
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and `overwrite=False`.")
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(
        suffix=".keras", prefix=f".{os.path.basename(path)}.", dir=directory
    )
    os.close(handle)
    try:
        keras.saving.save_model(model, tmp, overwrite=True, zipped=zipped, **kwargs)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
