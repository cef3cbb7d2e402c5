"""Test helpers for CDK apps built with constructs_pkg, and a pytest plugin.

With ``constructs-pkg[testing]`` installed, pytest loads the plugin by itself (no
``pytest_plugins`` line), so a test can snapshot a stack's normalized template (one JSON file
per snapshot)::

    def test_service(cdk_snapshot, stack):
        assert stack == cdk_snapshot

and lint it and check that it can be released safely::

    from constructs_pkg.testing import assert_no_cfn_lint_errors, assert_no_safety_findings
    assert_no_cfn_lint_errors(stack)
    assert_no_safety_findings(stack)

and that its synthesized releases roll a bad version back (and keep a healthy one)::

    from constructs_pkg.testing import assert_healthy_release_passes, assert_release_catches
    assert_release_catches("cdk.out", fault="errors=100%", traffic=[1, 10, 100])
    assert_healthy_release_passes("cdk.out", traffic=[1, 10, 100], at_most=0.001)

The helpers are imported on first use: the plugin
(:mod:`constructs_pkg.testing.plugin`) loads neither syrupy, cfn-lint nor the CDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from constructs_pkg.testing.plugin import cdk_snapshot

if TYPE_CHECKING:
    from constructs_pkg.testing.lint import (
        CfnLintFinding,
        assert_no_cfn_lint_errors,
        cfn_lint_findings,
    )
    from constructs_pkg.testing.rehearsal import (
        assert_healthy_release_passes,
        assert_release_catches,
    )
    from constructs_pkg.testing.safety import assert_no_safety_findings
    from constructs_pkg.testing.snapshot import (
        CdkTemplateExtension,
        SnapshotOptions,
        cdk_template_extension,
        normalize_template,
    )

_EXPORTS = {
    "CdkTemplateExtension": "constructs_pkg.testing.snapshot",
    "CfnLintFinding": "constructs_pkg.testing.lint",
    "SnapshotOptions": "constructs_pkg.testing.snapshot",
    "assert_healthy_release_passes": "constructs_pkg.testing.rehearsal",
    "assert_no_cfn_lint_errors": "constructs_pkg.testing.lint",
    "assert_no_safety_findings": "constructs_pkg.testing.safety",
    "assert_release_catches": "constructs_pkg.testing.rehearsal",
    "cdk_template_extension": "constructs_pkg.testing.snapshot",
    "cfn_lint_findings": "constructs_pkg.testing.lint",
    "normalize_template": "constructs_pkg.testing.snapshot",
}

__all__ = [
    "CdkTemplateExtension",
    "CfnLintFinding",
    "SnapshotOptions",
    "assert_healthy_release_passes",
    "assert_no_cfn_lint_errors",
    "assert_no_safety_findings",
    "assert_release_catches",
    "cdk_snapshot",
    "cdk_template_extension",
    "cfn_lint_findings",
    "normalize_template",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'constructs_pkg.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
