"""The examples in the rehearsal's docstrings run (and stay true)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "constructs_pkg._shifts",
    "constructs_pkg.rehearsal._cfn",
    "constructs_pkg.rehearsal._ops",
    "constructs_pkg.rehearsal.cloudwatch",
    "constructs_pkg.rehearsal.codedeploy",
    "constructs_pkg.rehearsal.metrics",
    "constructs_pkg.rehearsal.report",
    "constructs_pkg.rehearsal.timing",
    "constructs_pkg.rehearsal.traffic",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
