"""Release controls: CodeDeploy on the platform team's terms (issue: release controls)."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match

from constructs_pkg import ConfigurationError, Rollout, SafeFunction, SmokeTest
from constructs_pkg.checks import DeploymentSafetyChecks
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of, template


def _group(tpl):
    (group,) = resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup").values()
    return group["Properties"]


def test_an_existing_role_and_application_are_used_instead_of_the_shared_ones():
    stack = new_stack()
    role = iam.Role.from_role_arn(
        stack, "Bounded", "arn:aws:iam::123456789012:role/codedeploy-bounded", mutable=False
    )
    application = codedeploy.LambdaApplication.from_lambda_application_name(
        stack, "App", "platform-releases"
    )
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        deployment_role=role,
        deployment_application=application,
    )
    tpl = template(stack)
    group = _group(tpl)
    assert group["ServiceRoleArn"] == "arn:aws:iam::123456789012:role/codedeploy-bounded"
    assert group["ApplicationName"] == "platform-releases"
    assert resources_of(tpl, "AWS::CodeDeploy::Application") == {}
    roles = resources_of(tpl, "AWS::IAM::Role")
    assert all(
        "codedeploy" not in str(r["Properties"]["AssumeRolePolicyDocument"]) for r in roles.values()
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
            Rollout.linear(every=Duration.minutes(3)),
        ),
        ("CodeDeployDefault.LambdaAllAtOnce", Rollout.all_at_once()),
    ],
)
def test_a_predefined_name_is_its_shape(name, expected):
    assert Rollout.named(name) == expected


def test_a_named_custom_config_is_used_by_name():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs(), rollout=Rollout.named("Acme.Canary5"))
    assert fn.rollout.kind == "named"
    assert fn.rollout.timeline() == []
    tpl = template(stack)
    assert _group(tpl)["DeploymentConfigName"] == "Acme.Canary5"
    assert resources_of(tpl, "AWS::CodeDeploy::DeploymentConfig") == {}


def test_from_config_takes_a_config_object():
    stack = new_stack()
    config = codedeploy.LambdaDeploymentConfig(
        stack,
        "Config",
        traffic_routing=codedeploy.TrafficRouting.time_based_canary(
            interval=Duration.minutes(15), percentage=5
        ),
    )
    SafeFunction(stack, "Orders", **function_kwargs(), rollout=Rollout.from_config(config))
    assert _group(template(stack))["DeploymentConfigName"] == {"Ref": logical_id(config)}


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda: Rollout.named("has space"), r"Rollout\.named\(name\)='has space'"),
        (lambda: Rollout.named(""), r"Rollout\.named\(name\)=''"),
        (
            lambda: Rollout.from_config("CodeDeployDefault.LambdaAllAtOnce"),  # type: ignore[arg-type]
            r"from_config\(config\)",
        ),
    ],
)
def test_bad_names_and_configs(build, pattern):
    with pytest.raises(ConfigurationError, match=pattern):
        build()


def test_notifications_go_to_an_sns_topic_the_role_may_publish_to():
    stack = new_stack()
    topic = sns.Topic(stack, "Releases")
    SafeFunction(stack, "Orders", **function_kwargs(), notifications=topic)
    tpl = template(stack)
    (trigger,) = _group(tpl)["TriggerConfigurations"]
    assert trigger["TriggerTargetArn"] == {"Ref": logical_id(topic)}
    assert set(trigger["TriggerEvents"]) >= {"DeploymentFailure", "DeploymentRollback"}
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Action": "sns:Publish", "Resource": {"Ref": logical_id(topic)}}
                        )
                    ]
                )
            }
        },
    )


def test_deployment_events_pattern_names_the_group():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs(), deployment_group_name="orders")
    pattern = fn.deployment_events("FAILURE")
    assert pattern.source == ["aws.codedeploy"]
    assert pattern.detail is not None
    assert pattern.detail["state"] == ["FAILURE"]
    assert stack.resolve(pattern.detail["deploymentGroup"]) == [
        {"Ref": logical_id(fn.deployment_group)}
    ]


def test_poll_alarm_failures_and_auto_rollback_events():
    stack = new_stack()
    SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        ignore_poll_alarms_failure=True,
        auto_rollback=codedeploy.AutoRollbackConfig(
            failed_deployment=True, stopped_deployment=False, deployment_in_alarm=True
        ),
    )
    group = _group(template(stack))
    assert group["AlarmConfiguration"]["IgnorePollAlarmFailure"] is True
    assert group["AutoRollbackConfiguration"]["Events"] == [
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    ]


def test_own_hooks_fill_the_slots_next_to_a_smoke_test():
    stack = new_stack()
    own = lambda_.Function(
        stack,
        "Verify",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    fn = SafeFunction(
        stack,
        "Orders",
        **function_kwargs(),
        smoke_test=SmokeTest(payload={}),
        post_traffic_hook=own,
    )
    assert fn.post_traffic_hook is own
    assert fn.pre_traffic_hook is fn.smoke_test_hook
    tpl = template(stack)
    (alias,) = resources_of(tpl, "AWS::Lambda::Alias").values()
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["AfterAllowTrafficHook"] == {"Ref": logical_id(own)}
    assert update["BeforeAllowTrafficHook"] == {"Ref": logical_id(fn.smoke_test_hook)}


def test_two_hooks_in_one_slot_is_an_error():
    stack = new_stack()
    own = lambda_.Function.from_function_name(stack, "Verify", "verify")
    with pytest.raises(
        ConfigurationError,
        match=r"pre_traffic_hook=.* no value when smoke_test= is given\. .* one BeforeAllowTraffic",
    ):
        SafeFunction(
            stack,
            "Orders",
            **function_kwargs(),
            smoke_test=SmokeTest(payload={}),
            pre_traffic_hook=own,
        )


def test_a_disabled_rollout_has_no_group_warns_and_is_a_safety_finding():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs(), rollout=Rollout.disabled())
    assert fn.deployment_group is None
    tpl = template(stack)
    assert resources_of(tpl, "AWS::CodeDeploy::DeploymentGroup") == {}
    (alias,) = resources_of(tpl, "AWS::Lambda::Alias").values()
    assert "UpdatePolicy" not in alias
    # still alarms (error rate, p99 latency), nothing rolls back, and no bake hook
    assert [alarm.node.id for alarm in fn.rollback_alarms] == ["ErrorRate", "P99Latency"]
    assert len(resources_of(tpl, "AWS::CloudWatch::Alarm")) == 2
    assert fn.post_traffic_hook is None
    assert fn.rollout.bake == 0
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Orders", Match.string_like_regexp("has no rollout")
    )
    report = DeploymentSafetyChecks().validate_scope(stack)
    assert "AliasWithoutDeploymentGroup" in report.rule_ids


def test_a_disabled_rollout_takes_no_hooks():
    with pytest.raises(
        ConfigurationError, match=r"smoke_test=.* no hook when rollout=Rollout\.disabled"
    ):
        SafeFunction(
            new_stack(),
            "Orders",
            **function_kwargs(),
            rollout=Rollout.disabled(),
            smoke_test=SmokeTest(payload={}),
        )


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("deployment_role", "arn:aws:iam::1:role/x", r"expected an IRole"),
        ("notifications", "arn:aws:sns:eu-west-1:1:t", r"expected an ITopic"),
        ("ignore_poll_alarms_failure", "yes", r"expected True or False"),
        ("auto_rollback", {"failed_deployment": True}, r"expected an AutoRollbackConfig"),
    ],
)
def test_release_controls_are_type_checked(argument, value, expected):
    with pytest.raises(ConfigurationError, match=rf"{argument}=.* {expected}"):
        SafeFunction(new_stack(), "Orders", **function_kwargs(), **{argument: value})


# --- retiring versions ------------------------------------------------------------------------


def test_old_versions_are_retired_after_each_release_by_one_pruner_per_stack():
    stack = new_stack()
    orders = SafeFunction(stack, "Orders", **function_kwargs())
    SafeFunction(stack, "Payments", **function_kwargs(), keep_versions=3)
    SafeFunction(stack, "Catalog", **function_kwargs(), keep_versions=None)
    tpl = template(stack)
    retention = resources_of(tpl, "Custom::VersionRetention")
    assert sorted(r["Properties"]["Keep"] for r in retention.values()) == ["10", "3"]
    (orders_retention,) = [
        r
        for r in retention.values()
        if r["Properties"]["FunctionName"] == {"Ref": logical_id(orders.function)}
    ]
    assert orders_retention["DependsOn"] == [logical_id(orders.alias)]  # after the shift
    version_id = logical_id(orders.version)
    assert orders_retention["Properties"]["Version"] == {"Fn::GetAtt": [version_id, "Version"]}
    pruners = [
        f
        for f in resources_of(tpl, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "constructs_pkg.runtime.version_pruner.handler"
    ]
    assert len(pruners) == 1


def test_the_pruner_may_delete_versions_never_the_function():
    stack = new_stack()
    fn = SafeFunction(stack, "Orders", **function_kwargs())
    tpl = template(stack)
    fn_arn = {"Fn::GetAtt": [logical_id(fn.function), "Arn"]}
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "lambda:DeleteFunction",
                            "Effect": "Allow",
                            "Resource": {"Fn::Join": ["", [fn_arn, ":*"]]},
                        }
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize("keep", [0, 1001, 2.5, "10"])
def test_keep_versions_bounds(keep):
    with pytest.raises(ConfigurationError, match=r"keep_versions=.* from 1 to 1000"):
        SafeFunction(new_stack(), "Orders", **function_kwargs(), keep_versions=keep)


# --- recycling ---------------------------------------------------------------------------------


def _environment(stack) -> dict[str, str]:
    (version,) = resources_of(template(stack), "AWS::Lambda::Version").values()
    function_id = version["Properties"]["FunctionName"]["Ref"]
    function = resources_of(template(stack), "AWS::Lambda::Function")[function_id]
    return dict(function["Properties"].get("Environment", {}).get("Variables", {}))


def test_recycle_changes_the_configuration_not_the_code():
    plain, recycled = new_stack(), new_stack()
    a = SafeFunction(plain, "Orders", **function_kwargs(environment={"MODE": "x"}))
    b = SafeFunction(
        recycled, "Orders", **function_kwargs(environment={"MODE": "x"}), recycle="2026-12-03"
    )
    assert _environment(plain) == {"MODE": "x"}
    assert _environment(recycled) == {"MODE": "x", "CONSTRUCTS_PKG_RECYCLE": "2026-12-03"}
    assert b.release_record().recycle == "2026-12-03"
    assert a.release_record().recycle is None


def test_recycle_from_context_applies_to_every_function():
    stack = new_stack(context={"constructs_pkg:recycle": "r42"})
    SafeFunction(stack, "Orders", **function_kwargs())
    assert _environment(stack) == {"CONSTRUCTS_PKG_RECYCLE": "r42"}


@pytest.mark.parametrize("token", ["", "has space", "x" * 65, "r\n"])
def test_recycle_tokens_are_checked(token):
    with pytest.raises(ConfigurationError, match=r"recycle=.* 1-64 letters"):
        SafeFunction(new_stack(), "Orders", **function_kwargs(), recycle=token)


def test_recycle_variable_is_ours():
    with pytest.raises(
        ConfigurationError, match=r"environment=.* no variable named CONSTRUCTS_PKG_RECYCLE"
    ):
        SafeFunction(
            new_stack(), "Orders", **function_kwargs(environment={"CONSTRUCTS_PKG_RECYCLE": "x"})
        )
