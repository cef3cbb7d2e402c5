"""Lint synthesized templates with cfn-lint, in one line from a test."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template

__all__ = ["CfnLintFinding", "assert_no_cfn_lint_errors", "cfn_lint_findings"]


@dataclass(frozen=True)
class CfnLintFinding:
    """One cfn-lint match: ``E3002 Resources/Fn/Properties: ...``."""

    rule_id: str
    path: str
    message: str

    @property
    def is_error(self) -> bool:
        """cfn-lint errors have ids starting with E; W and I are warnings and information."""
        return self.rule_id.startswith("E")

    def __str__(self) -> str:
        return f"{self.rule_id} {self.path}: {self.message}"


def _template_dict(template: Stack | Template | dict[str, Any]) -> dict[str, Any]:
    if isinstance(template, Stack):
        template = Template.from_stack(template)
    if isinstance(template, Template):
        return dict(template.to_json())
    return template


def cfn_lint_findings(
    template: Stack | Template | dict[str, Any],
    *,
    regions: Sequence[str] = ("us-east-1",),
    ignore_checks: Sequence[str] = (),
) -> list[CfnLintFinding]:
    """Run cfn-lint on a stack's template and return every finding.

    Parameters
    ----------
    template
        A ``Stack``, an ``assertions.Template`` or a template ``dict``.
    regions
        Regions whose resource specs the template is checked against.
    ignore_checks
        cfn-lint rule ids to skip (``W3005`` ...).
    """
    from cfnlint.api import ManualArgs, lint

    text = json.dumps(_template_dict(template))
    config = ManualArgs(regions=list(regions), ignore_checks=list(ignore_checks))
    return [
        CfnLintFinding(
            rule_id=str(match.rule.id),
            path="/".join(str(p) for p in getattr(match, "path", []) or []),
            message=str(match.message),
        )
        for match in lint(text, config=config)
    ]


def assert_no_cfn_lint_errors(
    template: Stack | Template | dict[str, Any],
    *,
    regions: Sequence[str] = ("us-east-1",),
    ignore_checks: Sequence[str] = (),
) -> list[CfnLintFinding]:
    """Fail with every cfn-lint error listed; return the non-error findings.

    Examples
    --------
    ::

        def test_stack_lints(stack):
            assert_no_cfn_lint_errors(stack)
    """
    findings = cfn_lint_findings(template, regions=regions, ignore_checks=ignore_checks)
    errors = [f for f in findings if f.is_error]
    if errors:
        listing = "\n".join(f"  {f}" for f in errors)
        raise AssertionError(f"cfn-lint found {len(errors)} error(s):\n{listing}")
    return findings
