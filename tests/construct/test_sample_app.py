"""The sample app is clean: cfn-lint has no errors, CDK's built-in validation passes."""

from __future__ import annotations

import pytest
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from constructs_pkg import FifoOrderedConsumer, KinesisOrderedConsumer, SafeFunction
from constructs_pkg.release.bake import BAKE_HOOK_HANDLER
from constructs_pkg.testing import assert_no_cfn_lint_errors, cfn_lint_findings
from sample_app.app import build
from tests.cdk_helpers import TEST_ENV, function_kwargs, logical_id, new_app


def test_sample_app_has_no_cfn_lint_errors(sample_stacks):
    for stack in sample_stacks:
        assert_no_cfn_lint_errors(stack, regions=["eu-west-1", "us-east-1"])


def test_lint_helper_reports_errors():
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python3.12", "Handler": "x.y", "Timeout": 5000},
            }
        }
    }
    findings = cfn_lint_findings(template)
    assert any(f.is_error for f in findings)
    with pytest.raises(AssertionError, match=r"cfn-lint found \d+ error\(s\)"):
        assert_no_cfn_lint_errors(template)


def test_sample_app_passes_builtin_validation_in_strict_mode():
    app = new_app(validation=True, context={"@aws-cdk/core:validateAgainstDefaultRules": True})
    stacks = build(app)
    app.synth()  # raises on any finding
    assert all(Template.from_stack(s).to_json()["Resources"] for s in stacks)


def test_builtin_validation_is_really_on_in_that_test():
    app = new_app(validation=True, context={"@aws-cdk/core:validateAgainstDefaultRules": True})
    stack = Stack(app, "Broken", env=TEST_ENV)
    fn = SafeFunction(stack, "Fn", **function_kwargs())
    fn.function.node.default_child.add_property_override("Timeout", 5000)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match=r"ValidationFailed"):
        app.synth()


def test_sample_app_uses_every_public_release_construct(sample_stacks):
    (stack,) = sample_stacks
    functions = [c for c in stack.node.find_all() if isinstance(c, SafeFunction)]
    # Every function is canaried (Catalog's custom 25 %, Payments' longer 15 minutes, the
    # rest the default 10 % for 10 minutes), and every rollout ends with the default bake.
    assert {
        f.node.id: (f.rollout.kind, f.rollout.percent, f.rollout.interval_minutes)
        for f in functions
    } == {
        "Catalog": ("canary", 25, 10),
        "Payments": ("canary", 10, 15),
        "Orders": ("canary", 10, 10),
        "OrderProjector": ("canary", 10, 10),
        "Fulfillment": ("canary", 10, 10),
    }
    assert {f.rollout.bake for f in functions} == {8}
    assert any(f.smoke_test_hook for f in functions)
    # The bake holds every AfterAllowTraffic slot; Payments' post-traffic test runs in it.
    hooks = {f.node.id: f.post_traffic_hook for f in functions}
    assert all(isinstance(h, lambda_.Function) for h in hooks.values())
    resources = Template.from_stack(stack).to_json()["Resources"]
    for name, hook in hooks.items():
        resource = resources[logical_id(hook)]
        assert resource["Properties"]["Handler"] == BAKE_HOOK_HANDLER, name
        variables = resource["Properties"]["Environment"]["Variables"]
        assert variables["BAKE_SECONDS"] == "480", name
        assert ("SMOKE_PAYLOAD" in variables) == (name == "Payments"), name
    assert all(isinstance(f.function, lambda_.Function) for f in functions)
    consumers = {
        type(c).__name__
        for c in stack.node.find_all()
        if isinstance(c, KinesisOrderedConsumer | FifoOrderedConsumer)
    }
    assert consumers == {"KinesisOrderedConsumer", "FifoOrderedConsumer"}
    payments = next(f for f in functions if f.node.id == "Payments")
    assert len(payments.rollback_alarms) == 4  # error rate, p99, throttles, declined payments
