"""StickyRouter: a router in front of a SafeFunction that keeps each user on one version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from constructs_pkg import (
    ConfigurationError,
    RollbackAlarms,
    Rollout,
    SafeFunction,
    StickyRouter,
)
from constructs_pkg.defaults import (
    HOTFIX_CONTEXT_KEY,
    STICKY_CACHE_SECONDS,
    STICKY_ROUTER_MEMORY_MB,
    STICKY_ROUTER_TIMEOUT_MARGIN_SECONDS,
)
from constructs_pkg.release.sticky import ROUTER_HANDLER
from constructs_pkg.runtime import env
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of, template

KEY = "$.requestContext.authorizer.claims.sub"


def _routed(
    stack: Stack | None = None, *, alarms: RollbackAlarms | None = None, **router: object
) -> tuple[Stack, SafeFunction, StickyRouter]:
    stack = stack or new_stack()
    target = SafeFunction(
        stack,
        "Orders",
        **function_kwargs(timeout=Duration.seconds(20)),
        alarms=alarms or RollbackAlarms(),
    )
    sticky = StickyRouter(stack, "Router", target=target, key=KEY, **router)  # type: ignore[arg-type]
    return stack, target, sticky


@pytest.fixture(scope="module")
def built() -> tuple[Template, SafeFunction, StickyRouter]:
    stack, target, sticky = _routed(
        alarms=RollbackAlarms(p99_latency=Duration.seconds(2), throttles=5)
    )
    return template(stack), target, sticky


def _router_props(tpl: Template, sticky: StickyRouter) -> dict[str, Any]:
    props: dict[str, Any] = tpl.to_json()["Resources"][logical_id(sticky.function)]["Properties"]
    return props


def _policy_statements(tpl: Template, sticky: StickyRouter) -> list[dict[str, Any]]:
    role_id = logical_id(sticky.function.role)
    statements = []
    for policy in resources_of(tpl, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_the_router_is_the_primary_child_and_runs_the_runtime_router(built):
    tpl, target, sticky = built
    assert sticky.node.default_child is sticky.function
    props = _router_props(tpl, sticky)
    assert props["Handler"] == ROUTER_HANDLER
    assert props["MemorySize"] == STICKY_ROUTER_MEMORY_MB
    assert props["Timeout"] == 20 + STICKY_ROUTER_TIMEOUT_MARGIN_SECONDS
    variables = props["Environment"]["Variables"]
    assert variables[env.STICKY_FUNCTION_ENV] == {"Ref": logical_id(target.function)}
    assert variables[env.STICKY_ALIAS_ENV] == target.alias.alias_name
    assert variables[env.STICKY_KEY_ENV] == KEY
    assert variables[env.STICKY_CACHE_SECONDS_ENV] == str(STICKY_CACHE_SECONDS)


def test_the_router_reads_the_alias_and_invokes_only_qualified_arns(built):
    tpl, target, sticky = built
    statements = _policy_statements(tpl, sticky)
    by_action = {s["Action"]: s["Resource"] for s in statements}
    assert by_action["lambda:GetAlias"] == {"Ref": logical_id(target.alias)}
    # Versions and the alias by qualified ARN; never the unqualified function ($LATEST).
    assert by_action["lambda:InvokeFunction"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [logical_id(target.function), "Arn"]}, ":*"]]
    }


def _alarm_dimensions(alarm_props: dict[str, Any]) -> list[Any]:
    if "Dimensions" in alarm_props:
        return [alarm_props["Dimensions"]]
    return [
        q["MetricStat"]["Metric"]["Dimensions"]
        for q in alarm_props.get("Metrics", [])
        if "MetricStat" in q
    ]


def test_alarms_watch_the_new_versions_direct_invocations_and_roll_back(built):
    tpl, target, sticky = built
    assert len(sticky.rollback_alarms) == 3
    resources = tpl.to_json()["Resources"]
    (group,) = resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values()
    attached = group["Properties"]["AlarmConfiguration"]["Alarms"]
    version_id = logical_id(target.version)
    for alarm in sticky.rollback_alarms:
        alarm_id = logical_id(alarm)
        assert {"Name": {"Ref": alarm_id}} in attached
        props = resources[alarm_id]["Properties"]
        dimensions = _alarm_dimensions(props)
        assert dimensions, props
        for dims in dimensions:
            names = {d["Name"] for d in dims}
            assert names == {"FunctionName", "Resource"}
            (resource,) = [d["Value"] for d in dims if d["Name"] == "Resource"]
            assert version_id in json.dumps(resource)
    thresholds = sorted(
        resources[logical_id(a)]["Properties"]["Threshold"] for a in sticky.rollback_alarms
    )
    assert thresholds == [2, 5, 2000]  # error rate (default 2 %), throttles, p99 (ms)


def test_error_rate_and_default_p99_alarms_when_the_target_sets_no_thresholds():
    stack, target, sticky = _routed()
    assert [a.node.id for a in sticky.rollback_alarms] == ["RoutedErrorRate", "RoutedP99Latency"]
    assert all(a in target.rollback_alarms for a in sticky.rollback_alarms)
    resources = template(stack).to_json()["Resources"]
    p99 = resources[logical_id(sticky.rollback_alarms[1])]["Properties"]
    assert p99["Threshold"] == 10_000  # half the target's 20-second timeout
    assert p99["Metrics"][0]["Expression"] == "IF(invocations >= 300, p99, 0)"


def test_only_the_error_rate_alarm_when_the_target_has_no_latency_or_throttle_alarm():
    _, target, sticky = _routed(alarms=RollbackAlarms(p99_timeout_share=None))
    assert len(sticky.rollback_alarms) == 1
    assert sticky.rollback_alarms[0].node.id == "RoutedErrorRate"
    assert sticky.rollback_alarms[0] in target.rollback_alarms


def test_cache_ttl_and_memory_are_passed_through():
    stack, _, sticky = _routed(cache_ttl=Duration.seconds(30), memory_size=512)
    props = _router_props(template(stack), sticky)
    assert props["MemorySize"] == 512
    assert props["Environment"]["Variables"][env.STICKY_CACHE_SECONDS_ENV] == "30"


def test_the_router_timeout_is_capped_at_lambdas_maximum():
    stack = new_stack()
    target = SafeFunction(stack, "Slow", **function_kwargs(timeout=Duration.seconds(898)))
    sticky = StickyRouter(stack, "Router", target=target, key=KEY)
    assert _router_props(template(stack), sticky)["Timeout"] == 900


def test_the_router_adds_no_warning_and_no_safety_finding():
    from constructs_pkg.checks import DeploymentSafetyChecks

    stack, _, _ = _routed()
    annotations = Annotations.from_stack(stack)
    assert annotations.find_warning("*", Match.any_value()) == []
    assert annotations.find_error("*", Match.any_value()) == []
    # The router's qualified invoke of the target is acknowledged, not reported.
    assert DeploymentSafetyChecks().validate_scope(stack.node.root).rule_ids == []


def test_grant_invoke_grants_the_router_not_the_target():
    stack, _, sticky = _routed()
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"))
    sticky.grant_invoke(caller)
    tpl = template(stack)
    role_id = logical_id(caller)
    (policy,) = [
        p
        for p in resources_of(tpl, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    text = json.dumps(policy["Properties"]["PolicyDocument"])
    assert logical_id(sticky.function) in text


def test_a_hotfix_deploy_is_accepted():
    stack = new_stack(context={HOTFIX_CONTEXT_KEY: "true"})
    target = SafeFunction(stack, "Orders", **function_kwargs())
    sticky = StickyRouter(stack, "Router", target=target, key=KEY)
    assert sticky.function is not None


def test_a_key_from_a_token_is_not_parsed_at_synth():
    stack = new_stack()
    target = SafeFunction(stack, "Orders", **function_kwargs())
    from aws_cdk import CfnParameter

    key = CfnParameter(stack, "Key", default=KEY).value_as_string
    StickyRouter(stack, "Router", target=target, key=key)
    (props,) = [
        r["Properties"]
        for r in resources_of(template(stack), "AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == ROUTER_HANDLER
    ]
    assert props["Environment"]["Variables"][env.STICKY_KEY_ENV] == {"Ref": "Key"}


def _bad_target(stack: Stack) -> object:
    return lambda_.Function(stack, "Plain", **function_kwargs())


@pytest.mark.parametrize(
    ("argument", "overrides", "allowed"),
    [
        ("key", {"key": "requestContext.sub"}, "a path into the event"),
        ("key", {"key": "$.headers['x"}, "a path into the event"),
        ("key", {"key": 7}, "str"),
        ("cache_ttl", {"cache_ttl": Duration.seconds(0)}, "from 1 second"),
        ("cache_ttl", {"cache_ttl": Duration.seconds(61)}, "to 1 minute"),
        ("cache_ttl", {"cache_ttl": Duration.millis(1500)}, "whole"),
        ("cache_ttl", {"cache_ttl": 5}, "Duration"),
        ("memory_size", {"memory_size": 127}, "128"),
        ("memory_size", {"memory_size": 10241}, "10240"),
        ("memory_size", {"memory_size": float("nan")}, "128"),
    ],
)
def test_bad_options_name_the_argument(argument, overrides, allowed):
    stack = new_stack()
    target = SafeFunction(stack, "Orders", **function_kwargs())
    kwargs = {"target": target, "key": KEY, **overrides}
    with pytest.raises(ConfigurationError) as caught:
        StickyRouter(stack, "Router", **kwargs)
    assert caught.value.argument == argument
    assert allowed in str(caught.value)
    assert "TestStack/Router" in str(caught.value)


def test_the_target_must_be_a_safe_function():
    stack = new_stack()
    with pytest.raises(ConfigurationError, match="target") as caught:
        StickyRouter(stack, "Router", target=_bad_target(stack), key=KEY)  # type: ignore[arg-type]
    assert "SafeFunction" in str(caught.value)


@pytest.mark.parametrize("rollout", [Rollout.all_at_once(), Rollout.disabled()])
def test_a_rollout_without_a_canary_weight_is_rejected(rollout):
    stack = new_stack()
    target = SafeFunction(stack, "Orders", **function_kwargs(), rollout=rollout)
    with pytest.raises(ConfigurationError, match="released gradually") as caught:
        StickyRouter(stack, "Router", target=target, key=KEY)
    assert caught.value.argument == "target"


@pytest.mark.parametrize(
    "rollout", [Rollout.linear(every=Duration.minutes(2)), Rollout.named("Acme.Canary5")]
)
def test_linear_and_custom_named_rollouts_are_accepted(rollout):
    stack = new_stack()
    target = SafeFunction(stack, "Orders", **function_kwargs(), rollout=rollout)
    sticky = StickyRouter(stack, "Router", target=target, key=KEY)
    assert sticky.rollback_alarms[0] in target.rollback_alarms
