"""DeploymentSafetyChecks: the rule pack as a CDK policy-validation plugin."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    CfnElement,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Validations,
)
from constructs import IConstruct

from constructs_pkg.assembly.model import TemplateSet
from constructs_pkg.assembly.nested import nested_templates
from constructs_pkg.checks.rules import PLUGIN_NAME, RULES, CheckOptions, Finding, Rule

__all__ = ["DeploymentSafetyChecks", "SafetyReport"]

PLUGIN_VERSION = "0.1.0"


@dataclass(frozen=True)
class SafetyReport:
    """Findings of a run, acknowledged ones already removed."""

    findings: tuple[Finding, ...]
    acknowledged: tuple[Finding, ...] = ()

    @property
    def rule_ids(self) -> list[str]:
        """Sorted, de-duplicated rule ids of the findings."""
        return sorted({f.rule_id for f in self.findings})

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity ``error``."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def success(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def __str__(self) -> str:
        if not self.findings:
            return "DeploymentSafety: no findings"
        return "\n".join(str(f) for f in self.findings)


@jsii.implements(IPolicyValidationPlugin)
class DeploymentSafetyChecks:
    """Rules that check whether a CDK app can be *released* safely.

    Works on the synthesized templates of any CDK app (Refs and GetAtts resolved to
    the resources they point at), not only on apps built with constructs_pkg.

    Parameters
    ----------
    account_concurrency
        The account's Lambda concurrency limit. Default: 1000.
    min_unreserved
        Concurrency that must stay unreserved. Default: 100.
    rules
        The rules to run. Default: all of :data:`constructs_pkg.checks.RULES`.

    Examples
    --------
    ::

        Validations.of(app).add_plugins(DeploymentSafetyChecks())   # cdk synth reports
        report = DeploymentSafetyChecks().validate_scope(stack)      # in tests
        assert report.rule_ids == []

    Acknowledge a finding with a reason, on the construct or any parent::

        Validations.of(queue).acknowledge(
            Acknowledgment(id="DeploymentSafety::StatefulNotRetained", reason="scratch queue"))
    """

    def __init__(
        self,
        *,
        account_concurrency: int = 1000,
        min_unreserved: int = 100,
        rules: Sequence[Rule] = RULES,
    ) -> None:
        self._options = CheckOptions(
            account_concurrency=account_concurrency, min_unreserved=min_unreserved
        )
        self._rules = tuple(rules)

    @property
    def name(self) -> str:
        """Name shown in the validation report."""
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        """Version of the rule pack."""
        return PLUGIN_VERSION

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules this plugin runs."""
        return [rule.id for rule in self._rules]

    # --- running ---------------------------------------------------------------------------

    def check(self, templates: TemplateSet, options: CheckOptions | None = None) -> list[Finding]:
        """Run every rule over ``templates``."""
        options = options or self._options
        return [finding for rule in self._rules for finding in rule.run(templates, options)]

    def _plugin_options(self) -> CheckOptions:
        """In ``cdk synth``, SafeFunctions' own bypasses are the alias guard's to report."""
        return replace(self._options, released="skip")

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Entry point of CDK's validation framework (``cdk synth``)."""
        templates: dict[str, Any] = {}
        paths: dict[str, str] = {}
        for entry in context.stack_templates:
            name = entry.stack_construct_path
            templates[name] = json.loads(Path(entry.template_path).read_text())
            paths[name] = entry.template_path
            # CDK hands plugins the top-level templates only: follow nested stacks.
            directory = Path(entry.template_path).parent
            for nested_name, nested_path, nested in nested_templates(
                name, templates[name], directory, template_path=entry.template_path
            ):
                templates[nested_name] = nested
                paths[nested_name] = str(nested_path)
        findings = self.check(TemplateSet(templates, paths), self._plugin_options())
        rules = {rule.id: rule for rule in self._rules}
        return PolicyValidationPluginReport(
            # warnings are reported but do not fail the synth
            success=not any(f.severity == "error" for f in findings),
            violations=[_violation(rules[f.rule_id], f) for f in findings],
            plugin_version=PLUGIN_VERSION,
        )

    def validate_scope(self, scope: IConstruct) -> SafetyReport:
        """Check every stack in ``scope`` (a Stack or an App); acknowledgments apply.

        The stacks are synthesized (like ``assertions.Template.from_stack``).
        """
        from aws_cdk.assertions import Template

        from constructs_pkg.checks.guard import AliasGuard

        stacks = [c for c in scope.node.find_all() if isinstance(c, Stack)]
        with AliasGuard.standing_aside(scope):  # its rule runs here, with the others
            templates = {stack.node.path: Template.from_stack(stack).to_json() for stack in stacks}
        paths = _construct_paths(stacks)
        findings = [
            replace(f, construct_path=paths.get((f.stack, f.logical_id), f.construct_path))
            for f in self.check(TemplateSet(templates))
        ]
        acknowledged = _acknowledged(scope)
        kept = tuple(
            f
            for f in findings
            if f.acknowledgment_id not in acknowledged.get(f.construct_path or "", ())
        )
        return SafetyReport(kept, tuple(f for f in findings if f not in kept))


def _construct_paths(stacks: Sequence[Stack]) -> dict[tuple[str, str], str]:
    """(stack path, logical id) -> construct path of the CloudFormation resource."""
    result: dict[tuple[str, str], str] = {}
    for stack in stacks:
        for construct in stack.node.find_all():
            if isinstance(construct, CfnElement) and Stack.of(construct) is stack:
                result[(stack.node.path, str(stack.resolve(construct.logical_id)))] = (
                    construct.node.path
                )
    return result


def _violation(rule: Rule, finding: Finding) -> PolicyViolation:
    return PolicyViolation(
        rule_name=rule.id,
        description=f"{rule.title}: {finding.message}",
        fix=rule.fix,
        severity=finding.severity,
        violating_resources=[
            PolicyViolatingResource(
                resource_logical_id=finding.logical_id,
                template_path=finding.template_path or "",
                locations=[finding.location or "Properties"],
            )
        ],
    )


def _acknowledged(scope: IConstruct) -> dict[str, set[str]]:
    """Construct path -> acknowledgment ids set on it or on any of its parents."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    result: dict[str, set[str]] = {}
    for construct in scope.node.root.node.find_all():
        ids: set[str] = set()
        for ancestor in construct.node.scopes:
            for entry in ancestor.node.metadata:
                if entry.type == key and isinstance(entry.data, dict):
                    ids.update(str(k) for k in entry.data)
        if ids:
            result[construct.node.path] = ids
    return result
