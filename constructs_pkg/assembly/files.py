"""Read the JSON files of a cloud assembly as untrusted input.

A cloud assembly is input, not a promise: a ``templateFile`` may name a FIFO (reading it
would block forever), ``/dev/zero`` (it never ends), a directory, or a file of gigabytes;
the JSON may be nested too deeply for the parser or hold numbers Python refuses to convert.
:func:`read_json` turns each of these into an :class:`AssemblyError` with one line that
names the file. Standard library only.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Final

__all__ = ["MAX_FILE_BYTES", "AssemblyError", "kind", "read_json"]

#: Largest file read (128 MiB). CloudFormation itself takes templates of at most 1 MB from S3;
#: the margin lets ``plan`` read any baseline a tool could have produced.
MAX_FILE_BYTES: Final = 128 * 1024 * 1024


class AssemblyError(ValueError):
    """A cloud assembly or template is malformed; the message names the file and the problem."""


def kind(value: Any) -> str:
    """Say what a JSON value is, for error messages (``"a list"``, ``"null"``).

    Examples
    --------
    >>> kind([]), kind(None), kind("x"), kind(True), kind(1.5)
    ('a list', 'null', 'a string', 'a boolean', 'a number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def read_json(path: Path, *, what: str, limit: int = MAX_FILE_BYTES) -> Any:
    """Parse the JSON file ``path`` (a ``what``: "manifest", "template", ...).

    Only regular files are read (opened without blocking, checked on the open descriptor),
    at most ``limit`` bytes.

    Raises
    ------
    AssemblyError
        Not a regular file, larger than ``limit``, unreadable, not UTF-8, or not JSON.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise AssemblyError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise AssemblyError(f"{what} {path} is not a regular file")
        if info.st_size > limit:
            raise AssemblyError(
                f"{what} {path} has {info.st_size} bytes, more than the {limit} read"
            )
        with os.fdopen(descriptor, "rb") as handle:
            descriptor = -1  # the file object owns it now
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise AssemblyError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    if len(raw) > limit:
        raise AssemblyError(f"{what} {path} grew beyond the {limit} bytes read")
    try:
        return json.loads(raw)
    except RecursionError:
        raise AssemblyError(f"{what} {path} is nested too deeply to read") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, int digit limit
        raise AssemblyError(f"{what} {path} is not JSON: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
