"""Builders for test apps and stacks with the same feature flags as cdk.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from constructs import IConstruct

from constructs_pkg._acknowledge import logical_id as library_logical_id

ROOT = Path(__file__).resolve().parent.parent
CDK_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
TEST_ENV = Environment(account="123456789012", region="eu-west-1")


def new_app(*, validation: bool = False, context: dict[str, Any] | None = None) -> App:
    """An App with cdk.json's feature flags; built-in CFN validation only when asked."""
    return App(
        analytics_reporting=False,
        builtin_cloud_formation_validation=validation,
        context={**CDK_CONTEXT, **(context or {})},
    )


def new_stack(
    app: App | None = None,
    construct_id: str = "TestStack",
    *,
    context: dict[str, Any] | None = None,
) -> Stack:
    """A stack in a fresh App (or ``app``) with a fixed account and region."""
    return Stack(app or new_app(context=context), construct_id, env=TEST_ENV)


def logical_id(construct: IConstruct | None) -> str:
    """Logical id of a construct's default CloudFormation resource (the library's helper)."""
    assert construct is not None
    return library_logical_id(construct)


def inline_code(body: str = "return {'ok': True}") -> lambda_.Code:
    """Tiny inline handler code: no asset, fast to synthesize."""
    return lambda_.Code.from_inline(f"def handler(event, context):\n    {body}\n")


def function_kwargs(**overrides: Any) -> dict[str, Any]:
    """The required SafeFunction arguments with inline code."""
    return {
        "code": inline_code(),
        "handler": "index.handler",
        "runtime": lambda_.Runtime.PYTHON_3_12,
        **overrides,
    }


def template(stack: Stack) -> Template:
    """Synthesize ``stack`` into an assertions Template."""
    return Template.from_stack(stack)


def resources_of(tpl: Template, resource_type: str) -> dict[str, Any]:
    """Logical id -> resource for every resource of ``resource_type``."""
    return dict(tpl.find_resources(resource_type))
