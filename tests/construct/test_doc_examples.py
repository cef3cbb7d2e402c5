"""Every example the docs quote synthesizes, lints clean and does what the page says."""

from __future__ import annotations

import os

import pytest
from aws_cdk.assertions import Match, Template

from constructs_pkg.release.bake import BAKE_HOOK_HANDLER
from constructs_pkg.testing import assert_no_cfn_lint_errors
from docs.examples import ordered_consumers, safe_function_minimal
from tests.cdk_helpers import ROOT, new_app


@pytest.fixture(autouse=True)
def _repo_root():
    # Examples use repository-relative asset paths, like the sample app.
    cwd = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(cwd)


def test_minimal_example():
    stack = safe_function_minimal.build(new_app())
    tpl = Template.from_stack(stack)
    tpl.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes"},
    )
    # As the page says: error-rate and p99 rollback alarms (p99 above half the 10 s timeout) ...
    alarms = tpl.find_resources("AWS::CloudWatch::Alarm")
    assert sorted(a["Properties"]["Threshold"] for a in alarms.values()) == [2, 5000]
    # ... and an 8-minute bake in the AfterAllowTraffic hook.
    (bake_id,) = tpl.find_resources(
        "AWS::Lambda::Function",
        {
            "Properties": {
                "Handler": BAKE_HOOK_HANDLER,
                "Environment": {"Variables": {"BAKE_SECONDS": "480"}},
            }
        },
    )
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": Match.object_like(
                    {"AfterAllowTrafficHook": {"Ref": bake_id}}
                )
            }
        },
    )
    assert_no_cfn_lint_errors(stack)


def test_ordered_consumers_example():
    stack = ordered_consumers.build(new_app())
    tpl = Template.from_stack(stack)
    tpl.resource_count_is("AWS::Lambda::EventSourceMapping", 2)
    tpl.resource_count_is("AWS::Kinesis::Stream", 1)
    tpl.resource_count_is("AWS::SQS::Queue", 3)  # FIFO queue + FIFO DLQ + Kinesis failures
    tpl.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"ParallelizationFactor": 2, "MaximumRetryAttempts": 5}
    )
    tpl.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"ScalingConfig": {"MaximumConcurrency": 20}}
    )
    assert_no_cfn_lint_errors(stack)


def test_fleet_example():
    from aws_cdk import NestedStack, Stack

    from docs.examples import fleet

    stack = fleet.build(new_app())
    tpl = Template.from_stack(stack)
    tpl.resource_count_is("AWS::CloudFormation::Stack", 3)
    tpl.resource_count_is("AWS::CloudWatch::CompositeAlarm", 1)
    nested = [c for c in stack.node.find_all() if isinstance(c, NestedStack)]
    assert len(nested) == 3
    for child in nested:
        assert_no_cfn_lint_errors(child)
    jobs = next(c for c in stack.node.find_all() if c.node.path.endswith("/Worker/Jobs"))
    assert isinstance(Stack.of(jobs), NestedStack)


def test_sticky_canary_example():
    from aws_cdk.assertions import Annotations

    from constructs_pkg.checks import DeploymentSafetyChecks
    from constructs_pkg.release.sticky import ROUTER_HANDLER
    from docs.examples import sticky_canary

    app = new_app()
    stack = sticky_canary.build(app)
    # The router reaches Orders only by qualified ARNs: no deployment-safety finding.
    assert DeploymentSafetyChecks().validate_scope(app).rule_ids == []
    tpl = Template.from_stack(stack)
    # API Gateway invokes the router, never Orders' $LATEST or its alias directly.
    (router_id,) = tpl.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": ROUTER_HANDLER}}
    )
    (method,) = tpl.find_resources("AWS::ApiGateway::Method").values()
    assert router_id in str(method["Properties"]["Integration"]["Uri"])
    # The group rolls back on the alias's alarms (error rate, p99) and on the router's same
    # two alarms of routed calls.
    (group,) = tpl.find_resources("AWS::CodeDeploy::DeploymentGroup").values()
    attached = group["Properties"]["AlarmConfiguration"]["Alarms"]
    assert len(attached) == 4
    alarms = tpl.find_resources("AWS::CloudWatch::Alarm")
    assert sorted(alarms) == sorted(a["Name"]["Ref"] for a in attached)
    assert sorted(a["Properties"]["Threshold"] for a in alarms.values()) == [2, 2, 5000, 5000]
    Annotations.from_stack(stack).has_no_warning("*", Match.any_value())
    assert_no_cfn_lint_errors(stack)
