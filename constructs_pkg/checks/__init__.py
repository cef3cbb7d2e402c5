"""Deployment-safety checks for any CDK app, as a CDK policy-validation plugin.

The template model and the rules need no aws_cdk; the plugin does, and is imported on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from constructs_pkg.assembly.model import TemplateSet
from constructs_pkg.checks.rules import RULES, CheckOptions, Finding, Rule

if TYPE_CHECKING:
    from constructs_pkg.checks.plugin import DeploymentSafetyChecks, SafetyReport

__all__ = [
    "RULES",
    "CheckOptions",
    "DeploymentSafetyChecks",
    "Finding",
    "Rule",
    "SafetyReport",
    "TemplateSet",
]


def __getattr__(name: str) -> Any:
    if name in ("DeploymentSafetyChecks", "SafetyReport"):
        return getattr(importlib.import_module("constructs_pkg.checks.plugin"), name)
    raise AttributeError(f"module 'constructs_pkg.checks' has no attribute {name!r}")
