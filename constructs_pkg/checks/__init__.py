"""Deployment-safety checks for any CDK app, as a CDK policy-validation plugin."""

from constructs_pkg.checks.model import TemplateSet
from constructs_pkg.checks.plugin import DeploymentSafetyChecks, SafetyReport
from constructs_pkg.checks.rules import RULES, CheckOptions, Finding, Rule

__all__ = [
    "RULES",
    "CheckOptions",
    "DeploymentSafetyChecks",
    "Finding",
    "Rule",
    "SafetyReport",
    "TemplateSet",
]
