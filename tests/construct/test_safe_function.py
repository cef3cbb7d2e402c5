"""SafeFunction synthesized into real templates and checked with assertions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match

from constructs_pkg import ConfigurationError, RollbackAlarms, Rollout, SafeFunction, SmokeTest
from constructs_pkg.release.bake import BAKE_HOOK_HANDLER
from constructs_pkg.release.smoke_test import HOOK_HANDLER
from constructs_pkg.runtime.bake_hook import BakeTiming
from constructs_pkg.runtime.env import BAKE_SECONDS_ENV
from tests.cdk_helpers import (
    function_kwargs,
    logical_id,
    new_app,
    new_stack,
    resources_of,
    template,
)


def _only(tpl, resource_type):
    found = resources_of(tpl, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


# --- what gets created -----------------------------------------------------------------------


def test_minimal_function_gets_version_alias_deployment_group_alarms_and_bake_hook():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    tpl = template(stack)
    counts = {
        t: len(resources_of(tpl, t))
        for t in (
            "AWS::Lambda::Function",
            "AWS::Lambda::Version",
            "AWS::Lambda::Alias",
            "AWS::CodeDeploy::DeploymentGroup",
            "AWS::CodeDeploy::Application",
            "AWS::CloudWatch::Alarm",
            "AWS::IAM::Role",
        )
    }
    assert counts == {
        # the function, the stack's version pruner and the bake (AfterAllowTraffic) hook
        "AWS::Lambda::Function": 3,
        "AWS::Lambda::Version": 1,
        "AWS::Lambda::Alias": 1,
        "AWS::CodeDeploy::DeploymentGroup": 1,
        "AWS::CodeDeploy::Application": 1,
        "AWS::CloudWatch::Alarm": 2,  # error rate and p99 latency
        # the function's own, the shared CodeDeploy role, the pruner's, the bake hook's
        "AWS::IAM::Role": 4,
    }
    assert len(resources_of(tpl, "Custom::VersionRetention")) == 1
    assert fn.node.default_child is fn.function
    assert fn.alias.alias_name == "live"
    assert fn.rollout == Rollout.canary()
    assert fn.rollout.predefined_name == "CodeDeployDefault.LambdaCanary10Percent10Minutes"
    assert fn.rollout.bake == 8
    assert [alarm.node.id for alarm in fn.rollback_alarms] == ["ErrorRate", "P99Latency"]
    assert fn.smoke_test_hook is None
    assert fn.post_traffic_hook is not None
    assert fn.post_traffic_hook.node.id == "PostTrafficHook"


def test_versions_are_retained_by_default_so_there_is_a_rollback_target():
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs())
    template(stack).has_resource(
        "AWS::Lambda::Version", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )


def test_explicit_version_removal_policy_is_respected():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(
            current_version_options=lambda_.VersionOptions(
                removal_policy=RemovalPolicy.DESTROY, description="release 42"
            )
        ),
    )
    tpl = template(stack)
    tpl.has_resource("AWS::Lambda::Version", {"DeletionPolicy": "Delete"})
    tpl.has_resource_properties("AWS::Lambda::Version", {"Description": "release 42"})


def test_alias_points_at_the_current_version_and_is_updated_by_codedeploy():
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs(), alias_name="prod")
    tpl = template(stack)
    version_id, _ = _only(tpl, "AWS::Lambda::Version")
    group_id, _ = _only(tpl, "AWS::CodeDeploy::DeploymentGroup")
    app_id, _ = _only(tpl, "AWS::CodeDeploy::Application")
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "Properties": {
                "Name": "prod",
                "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
            },
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": {
                    "ApplicationName": {"Ref": app_id},
                    "DeploymentGroupName": {"Ref": group_id},
                }
            },
        },
    )


def test_functions_of_a_stack_share_one_application_and_one_service_role():
    stack = new_stack()
    for name in ("A", "B", "C"):
        SafeFunction(stack, name, **function_kwargs())
    tpl = template(stack)
    app_id, _ = _only(tpl, "AWS::CodeDeploy::Application")
    roles = {
        k: v
        for k, v in resources_of(tpl, "AWS::IAM::Role").items()
        if "codedeploy.amazonaws.com" in str(v["Properties"]["AssumeRolePolicyDocument"])
    }
    assert len(roles) == 1
    (role_id,) = roles
    groups = resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup")
    assert len(groups) == 3
    for group in groups.values():
        assert group["Properties"]["ApplicationName"] == {"Ref": app_id}
        assert group["Properties"]["ServiceRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_auto_rollback_on_failure_stop_and_alarm():
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs())
    template(stack).has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "AutoRollbackConfiguration": {
                "Enabled": True,
                "Events": Match.array_equals(
                    ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"]
                ),
            },
            "AlarmConfiguration": {"Enabled": True},
        },
    )


# --- rollouts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rollout", "name"),
    [
        (None, "CodeDeployDefault.LambdaCanary10Percent10Minutes"),
        (
            Rollout.linear(percent=10, every=Duration.minutes(3)),
            "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
        ),
        (Rollout.all_at_once(), "CodeDeployDefault.LambdaAllAtOnce"),
    ],
)
def test_predefined_rollouts_are_used_by_name_without_extra_resources(rollout, name):
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs(), rollout=rollout)
    tpl = template(stack)
    tpl.has_resource_properties("AWS::CodeDeploy::DeploymentGroup", {"DeploymentConfigName": name})
    tpl.resource_count_is("AWS::CodeDeploy::DeploymentConfig", 0)


@pytest.mark.parametrize(
    ("rollout", "routing"),
    [
        (
            Rollout.canary(percent=25, interval=Duration.minutes(7)),
            {
                "Type": "TimeBasedCanary",
                "TimeBasedCanary": {"CanaryPercentage": 25, "CanaryInterval": 7},
            },
        ),
        (
            Rollout.linear(percent=20, every=Duration.minutes(4)),
            {
                "Type": "TimeBasedLinear",
                "TimeBasedLinear": {"LinearPercentage": 20, "LinearInterval": 4},
            },
        ),
    ],
)
def test_custom_rollouts_create_one_config_per_shape_per_stack(rollout, routing):
    stack = new_stack()
    SafeFunction(stack, "A", **function_kwargs(), rollout=rollout)
    SafeFunction(stack, "B", **function_kwargs(), rollout=rollout)
    tpl = template(stack)
    config_id, _ = _only(tpl, "AWS::CodeDeploy::DeploymentConfig")
    tpl.has_resource_properties(
        "AWS::CodeDeploy::DeploymentConfig",
        {"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing},
    )
    for group in resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values():
        assert group["Properties"]["DeploymentConfigName"] == {"Ref": config_id}


# --- rollback alarms -------------------------------------------------------------------------


def _new_version_dims(tpl, alias="live"):
    # The one function with a version (not the stack's version pruner).
    version_id, version = _only(tpl, "AWS::Lambda::Version")
    fn_id = version["Properties"]["FunctionName"]["Ref"]
    return [
        {"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [version_id, "Version"]}},
        {"Name": "FunctionName", "Value": {"Ref": fn_id}},
        {"Name": "Resource", "Value": {"Fn::Join": ["", [{"Ref": fn_id}, f":{alias}"]]}},
    ]


def test_error_rate_alarm_watches_the_new_version_with_an_error_floor():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        alarms=RollbackAlarms(error_rate_percent=2, min_errors=5),
    )
    tpl = template(stack)
    dims = _new_version_dims(tpl)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 2,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "TreatMissingData": "notBreaching",
            "Metrics": Match.array_with(
                [
                    Match.object_like(
                        {
                            "Expression": ("IF(errors >= 5, 100 * errors / invocations, 0)"),
                            "ReturnData": True,
                        }
                    ),
                    {
                        "Id": "errors",
                        "MetricStat": {
                            "Metric": {
                                "Dimensions": dims,
                                "MetricName": "Errors",
                                "Namespace": "AWS/Lambda",
                            },
                            "Period": 120,
                            "Stat": "Sum",
                        },
                        "ReturnData": False,
                    },
                    {
                        "Id": "invocations",
                        "MetricStat": {
                            "Metric": {
                                "Dimensions": dims,
                                "MetricName": "Invocations",
                                "Namespace": "AWS/Lambda",
                            },
                            "Period": 120,
                            "Stat": "Sum",
                        },
                        "ReturnData": False,
                    },
                ]
            ),
        },
    )


def test_latency_and_throttle_alarms():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(timeout=Duration.seconds(10)),
        alarms=RollbackAlarms(
            p99_latency=Duration.seconds(2), throttles=5, period=Duration.minutes(3)
        ),
    )
    tpl = template(stack)
    tpl.resource_count_is("AWS::CloudWatch::Alarm", 3)
    dims = _new_version_dims(tpl)
    # An explicit p99 threshold wins over the timeout share; the latency alarm keeps its
    # one-minute period and 2-of-3 rule whatever the error-rate period.
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 2000,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "TreatMissingData": "notBreaching",
            "Metrics": Match.array_with(
                [
                    Match.object_like(
                        {"Expression": "IF(invocations >= 300, p99, 0)", "ReturnData": True}
                    ),
                    {
                        "Id": "p99",
                        "MetricStat": {
                            "Metric": {
                                "Dimensions": dims,
                                "MetricName": "Duration",
                                "Namespace": "AWS/Lambda",
                            },
                            "Period": 60,
                            "Stat": "p99",
                        },
                        "ReturnData": False,
                    },
                ]
            ),
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Throttles",
            "Statistic": "Sum",
            "Threshold": 5,
            "Period": 180,
            "Dimensions": [d for d in dims if d["Name"] != "ExecutedVersion"],
        },
    )
    group = next(iter(resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values()))
    assert len(group["Properties"]["AlarmConfiguration"]["Alarms"]) == 3


def _user_alarm(stack, i):
    return cloudwatch.Alarm.from_alarm_name(stack, f"User{i}", f"user-alarm-{i}")


def _group_alarm_names(tpl):
    group = next(iter(resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values()))
    return [a["Name"] for a in group["Properties"]["AlarmConfiguration"]["Alarms"]]


def test_user_alarms_are_rollback_alarms():
    stack = new_stack()
    fn = SafeFunction(
        stack, "Orders", **function_kwargs(), alarms=RollbackAlarms(extra=[_user_alarm(stack, 0)])
    )
    fn.add_rollback_alarm(_user_alarm(stack, 1))
    names = _group_alarm_names(template(stack))
    # after the two generated alarms (error rate, p99 latency)
    assert len(names) == 4
    assert names[2:] == ["user-alarm-0", "user-alarm-1"]
    assert len(fn.rollback_alarms) == 4


def test_exactly_ten_alarms_are_attached_directly():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    for i in range(8):  # 2 generated + 8 = 10
        fn.add_rollback_alarm(_user_alarm(stack, i))
    tpl = template(stack)
    names = _group_alarm_names(tpl)
    assert len(names) == 10
    assert names[2:] == [f"user-alarm-{i}" for i in range(8)]
    tpl.resource_count_is("AWS::CloudWatch::CompositeAlarm", 0)


def test_more_than_ten_alarms_are_combined_into_one_composite():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    for i in range(12):
        fn.add_rollback_alarm(_user_alarm(stack, i))
    tpl = template(stack)
    names = _group_alarm_names(tpl)
    assert len(names) == 10
    composite_id, composite = _only(tpl, "AWS::CloudWatch::CompositeAlarm")
    assert names[-1] == {"Ref": composite_id}
    rule = str(composite["Properties"]["AlarmRule"])
    for i in range(7, 12):  # alarms 10..14 (user alarms 7..11) are inside the composite
        assert f"alarm:user-alarm-{i}" in rule
    assert 'alarm:user-alarm-6"' not in rule
    assert len(fn.rollback_alarms) == 14


def test_eleventh_alarm_is_an_error_when_combining_is_off():
    stack = new_stack()
    fn = SafeFunction(
        stack, "Orders", **function_kwargs(), alarms=RollbackAlarms(combine_over_limit=False)
    )
    for i in range(8):  # 2 generated + 8 = 10
        fn.add_rollback_alarm(_user_alarm(stack, i))
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Orders\] number of rollback alarms=11 is not allowed: "
        r"expected at most 10 "
        r"per CodeDeploy deployment group",
    ):
        fn.add_rollback_alarm(_user_alarm(stack, 8))


def test_composite_child_limit():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    for i in range(107):  # 2 generated + 107 = 109 = 9 direct + 100 in the composite
        fn.add_rollback_alarm(_user_alarm(stack, i))
    with pytest.raises(
        ConfigurationError,
        match=r"number of rollback alarms=110 is not allowed: expected at most 109 \(9 direct",
    ):
        fn.add_rollback_alarm(_user_alarm(stack, 200))


def test_latency_threshold_must_be_below_the_timeout():
    stack = new_stack()
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Orders\] alarms.p99_latency=<10 seconds> is not allowed: expected a "
        r"Duration below the function timeout \(10 seconds\)",
    ):
        SafeFunction(
            stack,
            "Orders",
            **function_kwargs(timeout=Duration.seconds(10)),
            alarms=RollbackAlarms(p99_latency=Duration.seconds(10)),
        )
    SafeFunction(
        stack,
        "Ok",
        **function_kwargs(timeout=Duration.seconds(10)),
        alarms=RollbackAlarms(p99_latency=Duration.millis(9999)),
    )


def test_latency_threshold_is_checked_against_the_default_timeout():
    with pytest.raises(ConfigurationError, match=r"below the function timeout \(3 seconds\)"):
        SafeFunction(
            new_stack(),
            "Orders",
            **function_kwargs(),
            alarms=RollbackAlarms(p99_latency=Duration.seconds(3)),
        )


def test_warns_when_alarms_cannot_fire_before_the_canary_step_or_the_deployment_ends():
    stack = new_stack()
    # Default alarms (1 x 2-minute period) take up to 6.67 minutes in the rehearsal model.
    SafeFunction(
        stack,
        "ShortStep",
        **function_kwargs(),
        rollout=Rollout.canary(interval=Duration.minutes(5)),
    )
    SafeFunction(
        stack,
        "NoBake",
        **function_kwargs(),
        rollout=Rollout.all_at_once(bake=Duration.minutes(0)),
    )
    SafeFunction(stack, "Default", **function_kwargs())  # 10-minute step, 18 minutes in all
    SafeFunction(stack, "Baked", **function_kwargs(), rollout=Rollout.all_at_once())  # 8 min
    SafeFunction(
        stack,
        "SlowAlarms",
        **function_kwargs(),
        alarms=RollbackAlarms(period=Duration.minutes(3), evaluation_periods=4),
    )
    warnings = {
        w.id: str(w.entry.data)
        for w in Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp(r"\[ack: constructs_pkg:alarm-window\]")
        )
    }
    assert sorted(warnings) == [
        "/TestStack/NoBake",
        "/TestStack/ShortStep",
        "/TestStack/SlowAlarms",
    ]
    short = warnings["/TestStack/ShortStep"]
    assert "(canary: 10% for 5 minutes, then 100%; 8-minute bake)" in short
    assert "up to 6.67 min" in short
    assert "but the canary step lasts 5 min" in short
    no_bake = warnings["/TestStack/NoBake"]
    assert "(all at once: 100% immediately; no bake)" in no_bake
    assert "but the deployment (shifts and bake) lasts 0 s" in no_bake
    # 4 x 3 minutes + 280 s outlasts even the default 10-minute step and 18-minute deployment.
    assert "up to 16.7 min" in warnings["/TestStack/SlowAlarms"]
    assert "but the canary step lasts 10 min" in warnings["/TestStack/SlowAlarms"]


# --- smoke tests -----------------------------------------------------------------------------


def test_smoke_test_hook_invokes_the_exact_new_version_and_reports_to_its_group():
    stack = new_stack()
    fn = SafeFunction(
        stack,
        "Orders",
        **function_kwargs(timeout=Duration.seconds(20)),
        smoke_test=SmokeTest(payload={"ping": True}, expect={"ok": True}),
    )
    tpl = template(stack)
    version_id, _ = _only(tpl, "AWS::Lambda::Version")
    hook_id = logical_id(fn.smoke_test_hook)
    tpl.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": HOOK_HANDLER,
            "Runtime": "python3.14",
            "Timeout": 80,
            "Environment": {
                "Variables": {
                    "SMOKE_TARGET_FUNCTION_ARN": {"Ref": version_id},
                    "SMOKE_PAYLOAD": '{"ping": true}',
                    "SMOKE_EXPECT": '{"ok": true}',
                    "SMOKE_TARGET_TIMEOUT_SECONDS": "20",
                }
            },
        },
    )
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": Match.object_like(
                    {"BeforeAllowTrafficHook": {"Ref": hook_id}}
                )
            }
        },
    )
    # The hook may invoke that version only, and report on its own deployment group only.
    hook_policy = next(
        p
        for p in resources_of(tpl, "AWS::IAM::Policy").values()
        if "PutLifecycleEventHookExecutionStatus" in str(p)
    )
    statements = hook_policy["Properties"]["PolicyDocument"]["Statement"]
    assert {
        "Action": "lambda:InvokeFunction",
        "Effect": "Allow",
        "Resource": {"Ref": version_id},
    } in statements
    report = next(
        s for s in statements if s["Action"] == "codedeploy:PutLifecycleEventHookExecutionStatus"
    )
    assert ":deploymentgroup:" in str(report["Resource"])
    assert "*" not in str(report["Resource"])
    # CodeDeploy's role may invoke the hook.
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "lambda:InvokeFunction",
                                "Resource": Match.array_with([{"Fn::GetAtt": [hook_id, "Arn"]}]),
                            }
                        )
                    ]
                )
            }
        },
    )


def test_post_traffic_test_adds_an_after_allow_traffic_hook():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs(), post_traffic_test=SmokeTest(payload={}))
    tpl = template(stack)
    hook_id = logical_id(fn.post_traffic_hook)
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": Match.object_like(
                    {"AfterAllowTrafficHook": {"Ref": hook_id}}
                )
            }
        },
    )
    assert fn.smoke_test_hook is None


def test_hook_timeout_is_capped_at_the_lambda_maximum():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(timeout=Duration.minutes(15)),
        smoke_test=SmokeTest(payload={}),
    )
    template(stack).has_resource_properties(
        "AWS::Lambda::Function", {"Handler": HOOK_HANDLER, "Timeout": 900}
    )


# --- hotfix mode -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "TRUE", True])
def test_hotfix_context_shifts_all_at_once_ignores_alarms_and_warns(value):
    stack = new_stack(context={"constructs_pkg:hotfix": value})
    fn = SafeFunction(stack, "Orders", **function_kwargs(), rollout=Rollout.linear())
    tpl = template(stack)
    tpl.has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
            "AlarmConfiguration": Match.object_like({"Enabled": False}),
        },
    )
    assert fn.hotfix is True
    assert fn.rollout == Rollout.all_at_once(bake=Duration.minutes(0))
    assert fn.rollout.bake == 0
    assert fn.post_traffic_hook is None  # no bake: the alarms are ignored anyway
    warnings = Annotations.from_stack(stack).find_warning(
        "/TestStack/Orders", Match.string_like_regexp("HOTFIX")
    )
    assert len(warnings) == 1
    assert "was: linear" in str(warnings[0].entry.data)


@pytest.mark.parametrize("value", ["false", False, None])
def test_without_hotfix_the_rollout_is_kept(value):
    context = {} if value is None else {"constructs_pkg:hotfix": value}
    stack = new_stack(context=context)
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    assert fn.hotfix is False
    template(stack).has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            "AlarmConfiguration": {"Enabled": True, "Alarms": Match.any_value()},
        },
    )


def test_hotfix_typo_is_an_error():
    stack = new_stack(context={"constructs_pkg:hotfix": "yes"})
    with pytest.raises(
        ConfigurationError,
        match=r"context constructs_pkg:hotfix='yes' is not allowed: expected true or false",
    ):
        SafeFunction(stack, "Orders", **function_kwargs())


# --- function options ------------------------------------------------------------------------


def test_function_options_reach_the_function():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        memory_size=512,
        timeout=Duration.seconds(30),
        environment={"MODE": "strict"},
        architecture=lambda_.Architecture.ARM_64,
        tracing=lambda_.Tracing.ACTIVE,
        reserved_concurrent_executions=7,
        description="orders api",
    )
    template(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "MemorySize": 512,
            "Timeout": 30,
            "Environment": {"Variables": {"MODE": "strict"}},
            "Architectures": ["arm64"],
            "TracingConfig": {"Mode": "Active"},
            "ReservedConcurrentExecutions": 7,
            "Description": "orders api",
        },
    )


def test_invocation_options_are_applied_to_the_alias():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        retry_attempts=0,
        max_event_age=Duration.minutes(10),
        provisioned_concurrent_executions=2,
    )
    tpl = template(stack)
    alias_id, _ = _only(tpl, "AWS::Lambda::Alias")
    _, config = _only(tpl, "AWS::Lambda::EventInvokeConfig")
    assert config["Properties"]["MaximumRetryAttempts"] == 0
    assert config["Properties"]["MaximumEventAgeInSeconds"] == 600
    assert config["Properties"]["Qualifier"] == {
        "Fn::Select": [7, {"Fn::Split": [":", {"Ref": alias_id}]}]
    }
    tpl.has_resource_properties(
        "AWS::Lambda::Alias",
        {"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}},
    )


def test_event_sources_attach_to_the_alias_not_latest():
    from aws_cdk import aws_lambda_event_sources as sources

    stack = new_stack()
    queue = sqs.Queue(stack, "Jobs", visibility_timeout=Duration.seconds(60))
    SafeFunction(stack, "Orders", **function_kwargs(), events=[sources.SqsEventSource(queue)])
    tpl = template(stack)
    alias_id, _ = _only(tpl, "AWS::Lambda::Alias")
    _, mapping = _only(tpl, "AWS::Lambda::EventSourceMapping")
    # "<function name>:live", the function name taken from the alias ARN
    assert mapping["Properties"]["FunctionName"] == {
        "Fn::Join": ["", [{"Fn::Select": [6, {"Fn::Split": [":", {"Ref": alias_id}]}]}, ":live"]]
    }


def test_grant_invoke_targets_the_alias():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    grant = fn.grant_invoke(role)
    assert grant.success
    tpl = template(stack)
    alias_id, _ = _only(tpl, "AWS::Lambda::Alias")
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "lambda:InvokeFunction",
                                "Resource": {"Ref": alias_id},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_metrics_have_alias_and_version_dimensions():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    assert set(fn.metric_errors().dimensions or {}) == {"FunctionName", "Resource"}
    assert set(fn.metric_invocations(new_version_only=True).dimensions or {}) == {
        "FunctionName",
        "Resource",
        "ExecutedVersion",
    }
    assert fn.metric_duration().statistic == "Average"  # CDK's default, as on IFunction
    assert fn.metric_duration(statistic="p99").statistic == "p99"
    assert fn.metric_throttles().metric_name == "Throttles"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "123", "$LATEST", "x" * 129, "has space", "a:b"])
def test_invalid_alias_names(name):
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Orders\] alias_name=.* is not allowed: expected 1-128 letters, digits",
    ):
        SafeFunction(new_stack(), "Orders", **function_kwargs(), alias_name=name)


@pytest.mark.parametrize(
    ("argument", "value", "allowed"),
    [
        ("timeout", Duration.millis(999), "a Duration from 1 second to 15 minutes"),
        ("timeout", Duration.seconds(901), "a Duration from 1 second to 15 minutes"),
        ("memory_size", 127, "a whole number from 128 to 10240"),
        ("memory_size", 10241, "a whole number from 128 to 10240"),
        ("memory_size", 256.5, "a whole number from 128 to 10240"),
        ("reserved_concurrent_executions", -1, "a whole number from 0 to 2147483647"),
        ("reserved_concurrent_executions", 2**31, "a whole number from 0 to 2147483647"),
        ("provisioned_concurrent_executions", 0, "a whole number from 1 to 2147483647"),
    ],
)
def test_function_argument_bounds_rejected(argument, value, allowed):
    with pytest.raises(
        ConfigurationError, match=rf"\[TestStack/Orders\] {argument}=.* expected {allowed}"
    ):
        SafeFunction(new_stack(), "Orders", **function_kwargs(**{argument: value}))


def test_provisioned_concurrency_cannot_exceed_reserved():
    with pytest.raises(
        ConfigurationError,
        match=r"provisioned_concurrent_executions=6 .* "
        r"at most reserved_concurrent_executions \(5\)",
    ):
        SafeFunction(
            new_stack(),
            "Orders",
            **function_kwargs(),
            reserved_concurrent_executions=5,
            provisioned_concurrent_executions=6,
        )


def test_timeout_must_be_whole_seconds():
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Orders\] timeout=<1 second 500 millis> is not allowed: "
        r"expected a Duration from 1 second to 15 minutes, in whole seconds",
    ):
        SafeFunction(new_stack(), "Orders", **function_kwargs(timeout=Duration.millis(1500)))


# --- accepted values reach the template ------------------------------------------------------

_TOKEN_ALIAS = {"Ref": "AliasName"}
_TOKEN_MEMORY = {"Ref": "Memory"}
#: case -> (SafeFunction options, resource type, properties the template must have)
ACCEPTED: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    **{
        f"alias {name[:8]}": ({"alias_name": name}, "AWS::Lambda::Alias", {"Name": name})
        for name in ("live", "a", "v2-prod_1", "x" * 128, "1a")
    },
    "alias token": (
        {"alias_name": Token.as_string(_TOKEN_ALIAS)},
        "AWS::Lambda::Alias",
        {"Name": _TOKEN_ALIAS},
    ),
    "timeout 1 s": ({"timeout": Duration.seconds(1)}, "AWS::Lambda::Function", {"Timeout": 1}),
    "timeout 900 s": (
        {"timeout": Duration.seconds(900)},
        "AWS::Lambda::Function",
        {"Timeout": 900},
    ),
    "timeout 2000 ms": (
        {"timeout": Duration.millis(2000)},
        "AWS::Lambda::Function",
        {"Timeout": 2},
    ),
    "memory 128": ({"memory_size": 128}, "AWS::Lambda::Function", {"MemorySize": 128}),
    "memory 10240": ({"memory_size": 10240}, "AWS::Lambda::Function", {"MemorySize": 10240}),
    "memory token": (
        {"memory_size": Token.as_number(_TOKEN_MEMORY)},
        "AWS::Lambda::Function",
        {"MemorySize": _TOKEN_MEMORY},
    ),
    "reserved 0": (
        {"reserved_concurrent_executions": 0},
        "AWS::Lambda::Function",
        {"ReservedConcurrentExecutions": 0},
    ),
    "provisioned 1": (
        {"provisioned_concurrent_executions": 1},
        "AWS::Lambda::Alias",
        {"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 1}},
    ),
    "provisioned = reserved": (
        {"reserved_concurrent_executions": 5, "provisioned_concurrent_executions": 5},
        "AWS::Lambda::Alias",
        {"ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 5}},
    ),
}


@pytest.fixture(scope="module")
def accepted_templates() -> dict[str, Any]:
    """One stack per accepted case, all in one App, synthesized once."""
    app = new_app()
    stacks = {case: new_stack(app, f"Accepted{index}") for index, case in enumerate(ACCEPTED)}
    for case, stack in stacks.items():
        SafeFunction(stack, "Orders", **function_kwargs(), **ACCEPTED[case][0])
    return {case: template(stack) for case, stack in stacks.items()}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_accepted_values_reach_the_template_unchanged(accepted_templates, case):
    _, resource_type, properties = ACCEPTED[case]
    accepted_templates[case].has_resource_properties(resource_type, properties)


# --- options ---------------------------------------------------------------------------------


def test_function_options_match_aws_lambda_function():
    """A new aws_lambda.Function option (after a CDK upgrade) must be offered or refused."""
    import inspect

    from constructs_pkg.release.function_options import (
        DEPRECATED_FUNCTION_OPTIONS,
        FUNCTION_OPTIONS,
        INVOCATION_OPTIONS,
    )

    cdk = set(inspect.signature(lambda_.Function.__init__).parameters) - {"self", "scope", "id"}
    ours = FUNCTION_OPTIONS | INVOCATION_OPTIONS | {"code", "handler", "runtime"}
    offered = cdk - set(DEPRECATED_FUNCTION_OPTIONS)
    assert offered - ours == set(), "aws_lambda.Function options SafeFunction does not offer"
    assert ours - cdk == {"provisioned_concurrent_executions"}  # an Alias option
    assert set(DEPRECATED_FUNCTION_OPTIONS) <= cdk


def test_every_argument_that_is_not_a_lambda_option_is_type_checked():
    """SafeFunction takes its own arguments by the names of ``_ARGUMENT_TYPES``."""
    import inspect

    from constructs_pkg.release.safe_function import _ARGUMENT_TYPES

    parameters = set(inspect.signature(SafeFunction.__init__).parameters)
    assert parameters - {"self", "scope", "construct_id", "options"} == set(_ARGUMENT_TYPES)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("memory", r"There is no option memory\. Did you mean memory_size\?"),
        ("log_retention", r"log_retention is not offered: deprecated by CDK"),
        ("nonsense_xyz", r"There is no option nonsense_xyz\.$"),
    ],
)
def test_unknown_option_is_an_error_not_silently_dropped(name, reason):
    with pytest.raises(
        ConfigurationError, match=rf"\[TestStack/Orders\] {name}=1 is not allowed: .*{reason}"
    ):
        SafeFunction(new_stack(), "Orders", **function_kwargs(**{name: 1}))


def test_ifunction_keyword_types_mirror_the_cdk_structs():
    import inspect

    from constructs_pkg.release.function_options import MIRRORED_STRUCTS

    for ours, cdk in MIRRORED_STRUCTS.items():
        fields = set(inspect.signature(cdk).parameters) - {"principal"}
        assert set(getattr(ours, "__optional_keys__")) == fields, ours.__name__  # noqa: B009


def test_on_rollback_alarm_sees_every_alarm_past_and_future():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    seen: list[cloudwatch.IAlarm] = []
    fn.on_rollback_alarm(seen.append)
    assert seen == fn.rollback_alarms  # the generated error-rate alarm, replayed
    later = _user_alarm(stack, 1)
    fn.add_rollback_alarm(later)
    assert seen[-1] is later
    assert seen == fn.rollback_alarms


# --- the bake (managed AfterAllowTraffic hook) ---------------------------------------------------


def _own_hook(stack: Any, construct_id: str = "OwnHook") -> lambda_.IFunction:
    return lambda_.Function.from_function_arn(
        stack, construct_id, "arn:aws:lambda:eu-west-1:123456789012:function:own-post-traffic"
    )


#: case -> SafeFunction arguments besides the required ones; one stack each, one App.
BAKE_CASES: dict[str, dict[str, Any]] = {
    "default": {"timeout": Duration.seconds(10)},
    "later alarm": {"timeout": Duration.seconds(10)},
    "post test": {
        "timeout": Duration.seconds(20),
        "post_traffic_test": SmokeTest(payload={"ping": True}, expect={"ok": True}),
    },
    "no bake": {"rollout": Rollout.canary(bake=Duration.minutes(0))},
    "no bake, post test": {
        "rollout": Rollout.linear(bake=Duration.minutes(0)),
        "post_traffic_test": SmokeTest(payload={}),
    },
    "short bake": {"rollout": Rollout.all_at_once(bake=Duration.minutes(3))},
    "no p99": {"timeout": Duration.seconds(10), "alarms": RollbackAlarms(p99_timeout_share=None)},
    "share": {
        "timeout": Duration.seconds(8),
        "alarms": RollbackAlarms(p99_timeout_share=0.25, latency_min_invocations=50),
    },
}


@pytest.fixture(scope="module")
def baked() -> dict[str, tuple[SafeFunction, Any]]:
    """case -> (the SafeFunction, its stack's template), all synthesized once."""
    app = new_app()
    functions: dict[str, SafeFunction] = {}
    for index, (case, arguments) in enumerate(BAKE_CASES.items()):
        stack = new_stack(app, f"Bake{index}")
        functions[case] = SafeFunction(stack, "Orders", **function_kwargs(**arguments))
    later = functions["later alarm"]
    later.add_rollback_alarm(
        cloudwatch.Alarm(
            later,
            "Business",
            metric=cloudwatch.Metric(namespace="Shop", metric_name="Declined"),
            threshold=5,
            evaluation_periods=1,
        )
    )
    return {case: (fn, template(fn.stack)) for case, fn in functions.items()}


def _hook_resource(tpl: Any, fn: SafeFunction) -> dict[str, Any]:
    assert fn.post_traffic_hook is not None
    resource: dict[str, Any] = tpl.to_json()["Resources"][logical_id(fn.post_traffic_hook)]
    return resource


def _hook_statements(tpl: Any, fn: SafeFunction) -> list[dict[str, Any]]:
    hook = fn.post_traffic_hook
    assert isinstance(hook, lambda_.Function)
    role_ref = {"Ref": logical_id(hook.role)}
    return [
        statement
        for policy in resources_of(tpl, "AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _resources(statement: dict[str, Any]) -> list[Any]:
    """A statement's Resource as a list, in a stable order (CDK renders one as a scalar)."""
    resource = statement["Resource"]
    return sorted(resource if isinstance(resource, list) else [resource], key=str)


def _alarm_arns(alarms: list[cloudwatch.IAlarm]) -> list[Any]:
    return sorted(({"Fn::GetAtt": [logical_id(alarm), "Arn"]} for alarm in alarms), key=str)


def _functions_with_handler(tpl: Any, handler: str) -> dict[str, Any]:
    return dict(tpl.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": handler}}))


def test_default_function_bakes_8_minutes_in_its_after_allow_traffic_hook(baked):
    fn, tpl = baked["default"]
    hook = fn.post_traffic_hook
    assert isinstance(hook, lambda_.Function)
    assert hook.node.id == "PostTrafficHook"
    assert fn.node.find_child("PostTrafficHook") is hook
    props = _hook_resource(tpl, fn)["Properties"]
    assert props["Handler"] == BAKE_HOOK_HANDLER
    assert props["Environment"]["Variables"] == {BAKE_SECONDS_ENV: "480"}
    # Room for the whole bake, its final alarm check and the report to CodeDeploy.
    assert props["Timeout"] == BakeTiming.for_bake(480, None).hook_seconds
    assert 480 < props["Timeout"] <= 900
    tpl.has_resource(
        "AWS::Lambda::Alias",
        {
            "UpdatePolicy": {
                "CodeDeployLambdaAliasUpdate": Match.object_like(
                    {"AfterAllowTrafficHook": {"Ref": logical_id(hook)}}
                )
            }
        },
    )
    assert fn.release_record().rollout.bake_minutes == 8
    assert "8-minute bake" in fn.release_record().rollout.description


def test_bake_hook_reads_its_deployment_group_and_only_the_groups_alarms(baked):
    fn, tpl = baked["default"]
    statements = _hook_statements(tpl, fn)
    (describe,) = [s for s in statements if s["Action"] == "cloudwatch:DescribeAlarms"]
    assert describe["Effect"] == "Allow"
    assert _resources(describe) == _alarm_arns(fn.rollback_alarms)
    assert len(_resources(describe)) == 2  # error rate and p99 latency
    assert "*" not in str(describe["Resource"])
    (reads,) = [s for s in statements if "codedeploy:GetDeployment" in s["Action"]]
    assert {"codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup"} <= set(reads["Action"])
    group_arn = str(reads["Resource"])
    assert ":deploymentgroup:" in group_arn
    assert str({"Ref": logical_id(fn.deployment_group)}) in group_arn
    assert "*" not in group_arn
    # Nothing else: no invoke without a post-traffic test, no wildcard anywhere.
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {
        "cloudwatch:DescribeAlarms",
        "codedeploy:GetDeployment",
        "codedeploy:GetDeploymentGroup",
        "codedeploy:PutLifecycleEventHookExecutionStatus",
    }
    assert all("*" not in str(s["Resource"]) for s in statements)


def test_bake_hook_may_read_alarms_added_after_the_construct(baked):
    fn, tpl = baked["later alarm"]
    (describe,) = [
        s for s in _hook_statements(tpl, fn) if s["Action"] == "cloudwatch:DescribeAlarms"
    ]
    assert len(fn.rollback_alarms) == 3
    assert _resources(describe) == _alarm_arns(fn.rollback_alarms)


def test_post_traffic_test_runs_inside_the_bake_hook(baked):
    fn, tpl = baked["post test"]
    assert fn.smoke_test_hook is None
    props = _hook_resource(tpl, fn)["Properties"]
    assert props["Handler"] == BAKE_HOOK_HANDLER
    assert props["Environment"]["Variables"] == {
        BAKE_SECONDS_ENV: "480",
        "SMOKE_TARGET_FUNCTION_ARN": {"Ref": logical_id(fn.version)},
        "SMOKE_PAYLOAD": '{"ping": true}',
        "SMOKE_EXPECT": '{"ok": true}',
        "SMOKE_TARGET_TIMEOUT_SECONDS": "20",
    }
    assert props["Timeout"] == BakeTiming.for_bake(480, 20).hook_seconds
    # One AfterAllowTraffic hook: no separate smoke-test function.
    assert _functions_with_handler(tpl, HOOK_HANDLER) == {}
    assert len(_functions_with_handler(tpl, BAKE_HOOK_HANDLER)) == 1
    statements = _hook_statements(tpl, fn)
    assert {
        "Action": "lambda:InvokeFunction",
        "Effect": "Allow",
        "Resource": {"Ref": logical_id(fn.version)},
    } in statements


def test_a_shorter_bake_is_sized_to_its_minutes(baked):
    fn, tpl = baked["short bake"]
    props = _hook_resource(tpl, fn)["Properties"]
    assert props["Environment"]["Variables"] == {BAKE_SECONDS_ENV: "180"}
    assert props["Timeout"] == BakeTiming.for_bake(180, None).hook_seconds


def test_bake_0_leaves_no_after_allow_traffic_hook(baked):
    fn, tpl = baked["no bake"]
    assert fn.rollout.bake == 0
    assert fn.post_traffic_hook is None
    assert _functions_with_handler(tpl, BAKE_HOOK_HANDLER) == {}
    (alias,) = resources_of(tpl, "AWS::Lambda::Alias").values()
    assert "AfterAllowTrafficHook" not in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert "; no bake" in fn.rollout.describe()


def test_bake_0_with_a_post_traffic_test_is_a_plain_smoke_hook(baked):
    fn, tpl = baked["no bake, post test"]
    props = _hook_resource(tpl, fn)["Properties"]
    assert props["Handler"] == HOOK_HANDLER
    assert BAKE_SECONDS_ENV not in props["Environment"]["Variables"]
    assert _functions_with_handler(tpl, BAKE_HOOK_HANDLER) == {}
    assert not any(s["Action"] == "cloudwatch:DescribeAlarms" for s in _hook_statements(tpl, fn))


def test_hotfix_deploy_has_no_bake_hook():
    stack = new_stack(context={"constructs_pkg:hotfix": "true"})
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    assert fn.rollout == Rollout.all_at_once(bake=Duration.minutes(0))
    assert fn.post_traffic_hook is None
    tpl = template(stack)
    assert _functions_with_handler(tpl, BAKE_HOOK_HANDLER) == {}
    (alias,) = resources_of(tpl, "AWS::Lambda::Alias").values()
    assert "AfterAllowTrafficHook" not in alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]


def test_own_post_traffic_hook_with_the_default_bake_warns_no_bake():
    stack = new_stack()
    own = _own_hook(stack)
    fn = SafeFunction(stack, "Orders", **function_kwargs(), post_traffic_hook=own)
    ack = _own_hook(stack, "AckHook")
    SafeFunction(
        stack,
        "Explicit",
        **function_kwargs(),
        rollout=Rollout.canary(bake=Duration.minutes(0)),
        post_traffic_hook=ack,
    )
    assert fn.post_traffic_hook is own  # the user's hook wins
    tpl = template(stack)
    assert _functions_with_handler(tpl, BAKE_HOOK_HANDLER) == {}
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp(r"\[ack: constructs_pkg:no-bake\]")
    )
    # Only the one that did not say bake=Duration.minutes(0).
    assert [w.id for w in warnings] == ["/TestStack/Orders"]
    text = str(warnings[0].entry.data)
    assert "own post_traffic_hook" in text
    assert "there is no bake" in text


def test_own_post_traffic_hook_leaves_a_rollout_in_force_without_bake():
    stack = new_stack()
    fn = SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        rollout=Rollout.all_at_once(),
        post_traffic_hook=_own_hook(stack),
    )
    assert fn.rollout.bake == 0
    record = fn.release_record().rollout
    assert record.bake_minutes == 0
    assert record.description.endswith("; no bake")
    # All at once without a bake leaves the alarms no time at all: the window warning is due.
    warnings = Annotations.from_stack(stack).find_warning(
        "/TestStack/Orders", Match.string_like_regexp(r"\[ack: constructs_pkg:alarm-window\]")
    )
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("rollout", "described"),
    [
        (
            Rollout.canary(bake=Duration.minutes(8)),
            "canary: 10% for 10 minutes, then 100%; 8-minute bake",
        ),
        (
            Rollout.all_at_once(bake=Duration.minutes(3)),
            "all at once: 100% immediately; 3-minute bake",
        ),
    ],
)
def test_explicit_bake_and_own_post_traffic_hook_is_an_error(rollout, described):
    stack = new_stack()
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Orders\] post_traffic_hook=.* is not allowed: expected no value "
        rf"when the rollout bakes \({re.escape(described)}\).*post_traffic_test=",
    ):
        SafeFunction(
            stack,
            "Orders",
            **function_kwargs(),
            rollout=rollout,
            post_traffic_hook=_own_hook(stack),
        )


# --- the default p99 latency alarm ---------------------------------------------------------------


def _alarm_props(tpl: Any, alarm: cloudwatch.IAlarm) -> dict[str, Any]:
    props: dict[str, Any] = tpl.to_json()["Resources"][logical_id(alarm)]["Properties"]
    return props


def test_default_p99_alarm_is_half_the_timeout_over_minutes_with_300_calls(baked):
    fn, tpl = baked["default"]
    error_rate, p99 = fn.rollback_alarms
    assert (error_rate.node.id, p99.node.id) == ("ErrorRate", "P99Latency")
    props = _alarm_props(tpl, p99)
    assert props["Threshold"] == 5000  # half of the 10-second timeout, in milliseconds
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert props["TreatMissingData"] == "notBreaching"
    expression, *queries = props["Metrics"]
    assert expression["Expression"] == "IF(invocations >= 300, p99, 0)"
    assert expression["ReturnData"] is True
    dims = _new_version_dims(tpl)
    assert sorted(queries, key=lambda q: q["Id"]) == [
        {
            "Id": "invocations",
            "MetricStat": {
                "Metric": {
                    "Dimensions": dims,
                    "MetricName": "Invocations",
                    "Namespace": "AWS/Lambda",
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {
            "Id": "p99",
            "MetricStat": {
                "Metric": {"Dimensions": dims, "MetricName": "Duration", "Namespace": "AWS/Lambda"},
                "Period": 60,
                "Stat": "p99",
            },
            "ReturnData": False,
        },
    ]
    assert (
        "above 5000 ms in 2 of 3 minutes with at least 300 invocations" in props["AlarmDescription"]
    )
    # The error-rate alarm's defaults: above 2 % with at least 4 errors per 2 minutes.
    rate = _alarm_props(tpl, error_rate)
    assert rate["Threshold"] == 2
    assert rate["Metrics"][0]["Expression"] == "IF(errors >= 4, 100 * errors / invocations, 0)"
    assert {q["MetricStat"]["Period"] for q in rate["Metrics"][1:]} == {120}
    assert _group_alarm_names(tpl) == [
        {"Ref": logical_id(error_rate)},
        {"Ref": logical_id(p99)},
    ]


def test_p99_share_and_call_guard_are_configurable(baked):
    fn, tpl = baked["share"]
    props = _alarm_props(tpl, fn.rollback_alarms[1])
    assert props["Threshold"] == 2000  # a quarter of 8 seconds
    assert props["Metrics"][0]["Expression"] == "IF(invocations >= 50, p99, 0)"


def test_default_p99_threshold_follows_the_lambda_default_timeout(baked):
    fn, tpl = baked["no bake"]  # no timeout given: Lambda's 3 seconds
    assert _alarm_props(tpl, fn.rollback_alarms[1])["Threshold"] == 1500


def test_p99_timeout_share_none_leaves_only_the_error_rate_alarm(baked):
    fn, tpl = baked["no p99"]
    assert [alarm.node.id for alarm in fn.rollback_alarms] == ["ErrorRate"]
    tpl.resource_count_is("AWS::CloudWatch::Alarm", 1)
    assert _group_alarm_names(tpl) == [{"Ref": logical_id(fn.rollback_alarms[0])}]
    (describe,) = [
        s for s in _hook_statements(tpl, fn) if s["Action"] == "cloudwatch:DescribeAlarms"
    ]
    assert _resources(describe) == _alarm_arns(fn.rollback_alarms)
    assert len(_resources(describe)) == 1


def test_a_deploy_time_timeout_has_no_default_p99_alarm():
    from aws_cdk import CfnParameter

    stack = new_stack()
    seconds = CfnParameter(stack, "Timeout", type="Number", default=10).value_as_number
    fn = SafeFunction(stack, "Orders", **function_kwargs(timeout=Duration.seconds(seconds)))
    # The threshold would be a share of a value unknown at synth: only the error rate.
    assert [alarm.node.id for alarm in fn.rollback_alarms] == ["ErrorRate"]
    template(stack).has_resource_properties(
        "AWS::Lambda::Function", {"Timeout": {"Ref": "Timeout"}}
    )
