"""Reading templates and running inside Lambda never start the CDK's Node process."""

from __future__ import annotations

import subprocess
import sys

import pytest

import constructs_pkg


@pytest.mark.parametrize(
    "module",
    [
        "constructs_pkg.tools.plan",
        "constructs_pkg.tools.cli",
        "constructs_pkg.rehearsal",
        "constructs_pkg.runtime.batch",
        "constructs_pkg.checks.rules",
    ],
)
def test_module_does_not_import_aws_cdk(module):
    code = f"import sys, {module}; assert 'aws_cdk' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_resolve():
    for name in constructs_pkg.__all__:
        assert getattr(constructs_pkg, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        constructs_pkg.Nope  # noqa: B018
