"""The doctests of the runtime, assembly, tools and rule modules run (and pass)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "constructs_pkg.runtime.batch",
    "constructs_pkg.runtime.env",
    "constructs_pkg.runtime.secrets",
    "constructs_pkg.runtime.smoke_hook",
    "constructs_pkg.assembly.files",
    "constructs_pkg.assembly.model",
    "constructs_pkg.assembly.records",
    "constructs_pkg.tools.drain",
    "constructs_pkg.checks.rules",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
