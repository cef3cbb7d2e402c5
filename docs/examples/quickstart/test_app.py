"""Tests of the app: its template as a snapshot, cfn-lint, the deployment-safety rules.

The ``cdk_snapshot`` fixture comes from constructs_pkg's pytest plugin, which pytest loads by
itself once ``constructs-pkg[testing]`` is installed.
"""

import pytest
from app import build
from aws_cdk import App, Stack
from handler.orders import handler
from syrupy.assertion import SnapshotAssertion

from constructs_pkg.testing import assert_no_cfn_lint_errors, assert_no_safety_findings


@pytest.fixture(scope="module")
def stack() -> Stack:
    """Build the app's stack once for the module.

    ``cdk synth`` runs CDK's built-in CloudFormation validation; here cfn-lint checks the
    template, so the tests skip the built-in one (seconds per synthesis).
    """
    return build(App(builtin_cloud_formation_validation=False))


def test_template_matches_snapshot(stack: Stack, cdk_snapshot: SnapshotAssertion) -> None:
    """The normalized template is the one in __snapshots__/ (``pytest --snapshot-update``)."""
    assert stack == cdk_snapshot


def test_template_lints(stack: Stack) -> None:
    """cfn-lint finds no error."""
    assert_no_cfn_lint_errors(stack)


def test_release_is_safe(stack: Stack) -> None:
    """The deployment-safety rules find nothing."""
    assert_no_safety_findings(stack)


def test_handler() -> None:
    """The handler answers for a known order and explains a bad request."""
    assert handler({"order_id": "o-1"}, None)["status"] == "received"
    assert handler({}, None)["ok"] is False
