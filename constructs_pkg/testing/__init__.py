"""Test helpers for CDK apps built with constructs_pkg, usable as a pytest plugin.

Enable the fixtures in a ``conftest.py``::

    pytest_plugins = ["constructs_pkg.testing"]

then snapshot a stack's normalized template (one JSON file per snapshot)::

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
"""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from constructs_pkg.testing.lint import CfnLintFinding, assert_no_cfn_lint_errors, cfn_lint_findings
from constructs_pkg.testing.rehearsal import assert_healthy_release_passes, assert_release_catches
from constructs_pkg.testing.safety import assert_no_safety_findings
from constructs_pkg.testing.snapshot import (
    CdkTemplateExtension,
    SnapshotOptions,
    cdk_template_extension,
    normalize_template,
)

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


@pytest.fixture
def cdk_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy ``snapshot`` that stores a normalized CloudFormation template per assertion."""
    return snapshot.use_extension(CdkTemplateExtension)
