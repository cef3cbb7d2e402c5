"""The release constructs' boundary: wrong types, Lambda's own limits, tokens, NaN.

Every bad input is a ConfigurationError naming the argument, the value and what is allowed,
never a jsii trace, an AttributeError, a hang or a template AWS would reject.
"""

from __future__ import annotations

from typing import Any

import jsii
import pytest
from aws_cdk import CfnParameter, Duration, IStableNumberProducer, IStableStringProducer, Lazy, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from constructs_pkg import ConfigurationError, RollbackAlarms, Rollout, SafeFunction, SmokeTest
from tests.cdk_helpers import function_kwargs, new_stack, template


@jsii.implements(IStableNumberProducer)
class _Number:
    def __init__(self, value: float) -> None:
        self.value = value

    def produce(self) -> float:
        return self.value


@jsii.implements(IStableStringProducer)
class _String:
    def __init__(self, value: str) -> None:
        self.value = value

    def produce(self) -> str:
        return self.value


def lazy_number(value: float) -> float:
    return float(Lazy.number(_Number(value)))


def lazy_string(value: str) -> str:
    return str(Lazy.string(_String(value)))


# --- wrong types and Lambda's own limits, at construction -------------------------------------

#: case -> (SafeFunction keyword arguments, message pattern)
REJECTED: dict[str, tuple[dict[str, Any], str]] = {
    "rollout str": ({"rollout": "canary"}, r"rollout='canary' .* expected a Rollout, e\.g\. "),
    "alarms dict": ({"alarms": {"min_errors": 3}}, r"alarms=\{.*expected a RollbackAlarms"),
    "smoke dict": ({"smoke_test": {"payload": 1}}, r"smoke_test=\{.* expected a SmokeTest"),
    "code str": ({"code": "service/"}, r"code='service/' .* expected a Code \(aws_lambda\)"),
    "handler empty": ({"handler": ""}, r"handler='' .* 1-128 characters without white space"),
    "handler space": ({"handler": "a b"}, r"handler='a b' .* without white space"),
    "handler newline": ({"handler": "index.handler\n"}, r"handler='index\.handler\\n'"),
    "alias newline": ({"alias_name": "live\n"}, r"alias_name='live\\n' .*\(Lambda alias names\)"),
    "timeout int": (
        {"timeout": 5},
        r"timeout=5 .* expected a Duration, e\.g\. Duration\.seconds\(30\), from 1 second",
    ),
    "memory str": (
        {"memory_size": "512"},
        r"memory_size='512' .* expected a whole number from 128 to 10240\.",
    ),
    "retry nan": ({"retry_attempts": float("nan")}, r"retry_attempts=nan .* from 0 to 2"),
    "retry 3": ({"retry_attempts": 3}, r"retry_attempts=3 .* a whole number from 0 to 2"),
    "event age 59 s": (
        {"max_event_age": Duration.seconds(59)},
        r"max_event_age=<59 seconds> .* from 1 minute to 6 hours",
    ),
    "env key digit": (
        {"environment": {"1A": "x"}},
        r"environment key='1A' .* \(Lambda's key pattern\)",
    ),
    "env key dash": ({"environment": {"A-B": "x"}}, r"environment key='A-B'"),
    "env key one letter": ({"environment": {"A": "x"}}, r"environment key='A'"),
    "env reserved": (
        {"environment": {"AWS_REGION": "x"}},
        r"environment key='AWS_REGION' .* Lambda sets AWS_REGION itself",
    ),
    "env over 4 KB": (
        {"environment": {"BIG": "x" * 4094}},
        r"environment='<4097 bytes of keys and values>' .* at most 4096 bytes",
    ),
    "env value int": ({"environment": {"PORT": 8080}}, r"environment=\{'PORT': 8080\} .* strings"),
    "ephemeral 511": (
        {"ephemeral_storage_size": Size.mebibytes(511)},
        r"ephemeral_storage_size \(MiB\)=511 .* from 512 to 10240",
    ),
    "description 257": ({"description": "x" * 257}, r"description='<257 characters>'"),
    "function name empty": ({"function_name": ""}, r"function_name='' .* 1-64 letters"),
    "function name 65": ({"function_name": "f" * 65}, r"function_name='f{65}' .* 1-64 letters"),
    "group name 101": (
        {"deployment_group_name": "g" * 101},
        r"deployment_group_name='g{101}' .* 1-100 characters",
    ),
    "reserved huge": (
        {"reserved_concurrent_executions": 10**12},
        r"reserved_concurrent_executions=1000000000000 .* from 0 to 2147483647",
    ),
}


@pytest.mark.parametrize("case", list(REJECTED))
def test_bad_arguments_are_configuration_errors(case):
    arguments, pattern = REJECTED[case]
    with pytest.raises(ConfigurationError, match=rf"^\[TestStack/Orders\] {pattern}"):
        SafeFunction(new_stack(), "Orders", **function_kwargs(**arguments))


def test_an_interface_of_the_wrong_kind_is_refused():
    stack = new_stack()
    topic = sns.Topic(stack, "Topic")
    with pytest.raises(
        ConfigurationError,
        match=r"dead_letter_queue='<Topic TestStack/Topic>' .* expected an IQueue \(aws_sqs\)",
    ):
        SafeFunction(stack, "Orders", **function_kwargs(dead_letter_queue=topic))


def test_interfaces_accept_imported_resources():
    stack = new_stack()
    imported = sqs.Queue.from_queue_arn(stack, "Dlq", "arn:aws:sqs:eu-west-1:123456789012:dlq")
    SafeFunction(stack, "Orders", **function_kwargs(dead_letter_queue=imported))
    template(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {"DeadLetterConfig": {"TargetArn": "arn:aws:sqs:eu-west-1:123456789012:dlq"}},
    )


# --- value objects -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (
            lambda: Rollout.canary(interval=5),  # type: ignore[arg-type]
            r"Rollout\.canary\(interval\)=5 .* expected a Duration, e\.g\. Duration\.minutes\(5\)",
        ),
        (
            lambda: RollbackAlarms(p99_latency=800),  # type: ignore[arg-type]
            r"p99_latency\)=800 .* expected a Duration, e\.g\. Duration\.millis\(500\), from 1 "
            r"millisecond to 15 minutes",
        ),
        (
            # the default 120-second period: 86,400 s / 120 s
            lambda: RollbackAlarms(evaluation_periods=721),
            r"evaluation_periods\)=721 .* a whole number from 1 to 720",
        ),
        (
            lambda: RollbackAlarms(period=Duration.minutes(1), evaluation_periods=1441),
            r"evaluation_periods\)=1441 .* a whole number from 1 to 1440",
        ),
        (
            lambda: RollbackAlarms(period=Duration.minutes(5), evaluation_periods=289),
            r"evaluation_periods\)=289 .* a whole number from 1 to 288",
        ),
        (
            lambda: RollbackAlarms(p99_timeout_share=1.0),
            r"RollbackAlarms\(p99_timeout_share\)=1\.0 .* greater than 0 and at most 0\.99",
        ),
        (
            lambda: RollbackAlarms(latency_datapoints_to_alarm=4),
            r"latency_datapoints_to_alarm\)=4 .* a whole number from 1 to 3",
        ),
        (
            lambda: Rollout.canary(bake=Duration.minutes(13)),
            r"Rollout\.canary\(bake\)=<13 minutes> .* whole number of minutes from 0 seconds "
            r"to 12 minutes",
        ),
        (
            lambda: Rollout.linear(bake=Duration.seconds(90)),
            r"Rollout\.linear\(bake\)=<1 minute 30 seconds> .* whole number of minutes",
        ),
        (
            lambda: Rollout("disabled", bake_minutes=3),
            r"Rollout\.disabled\(bake\)=3 .* no bake",
        ),
        (
            lambda: RollbackAlarms(extra=[cloudwatch.Metric(namespace="A", metric_name="B")]),  # type: ignore[list-item]
            r"RollbackAlarms\(extra\)=\[.*\] is not allowed: "
            r"expected a list of IAlarms \(aws_cloudwatch\)",
        ),
        (
            lambda: Rollout(kind="all_at_once", percent=50, interval_minutes=999),
            r"Rollout\(kind='all_at_once'\)=\{'percent': 50, 'interval_minutes': 999\} .* no "
            r"percent or interval",
        ),
        (
            lambda: Rollout.canary(percent=lazy_number(150)),  # type: ignore[arg-type]
            r"Rollout\.canary\(percent\)=<a number token> .* known at synth time",
        ),
        (
            lambda: SmokeTest(payload=float("nan")),
            r"SmokeTest\(payload\)=nan .* a JSON value",
        ),
    ],
)
def test_value_objects_refuse_bad_input(build, pattern):
    with pytest.raises(ConfigurationError, match=pattern):
        build()


def test_value_objects_accept_their_upper_bounds():
    assert RollbackAlarms(evaluation_periods=720).evaluation_periods == 720
    assert RollbackAlarms(latency_datapoints_to_alarm=3).latency_datapoints_to_alarm == 3
    assert Rollout.canary(bake=Duration.minutes(12)).bake == 12
    assert Rollout.all_at_once(bake=Duration.minutes(0)).bake == 0


def test_a_deploy_time_percent_is_refused_at_once_not_a_hang():
    stack = new_stack()
    percent = CfnParameter(stack, "Percent", type="Number").value_as_number
    with pytest.raises(ConfigurationError, match=r"known at synth time"):
        Rollout.linear(percent=percent)  # type: ignore[arg-type]


# --- tokens resolved at synth are checked when they resolve --------------------------------------


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        ({"memory_size": lazy_number(99999)}, r"memory_size=99999 .* from 128 to 10240"),
        ({"reserved_concurrent_executions": lazy_number(-2)}, r"reserved_concurrent_executions=-2"),
        (
            {"timeout": Duration.seconds(lazy_number(901))},
            r"timeout=<15 minutes 1 second> .* from 1 second to 15 minutes",
        ),
        ({"alias_name": lazy_string("live\n")}, r"alias_name='live\\n'"),
    ],
)
def test_lazy_values_are_checked_when_they_resolve(arguments, pattern):
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs(**arguments))
    with pytest.raises(RuntimeError, match=rf"\[TestStack/Orders\] {pattern}"):
        template(stack)


def test_lazy_values_within_bounds_reach_the_template():
    stack = new_stack()
    SafeFunction(stack, "Orders", **function_kwargs(memory_size=lazy_number(512)))
    template(stack).has_resource_properties("AWS::Lambda::Function", {"MemorySize": 512})


def test_deploy_time_values_are_left_to_cloudformation():
    stack = new_stack()
    memory = CfnParameter(stack, "Memory", type="Number", default=256)
    SafeFunction(stack, "Orders", **function_kwargs(memory_size=memory.value_as_number))
    template(stack).has_resource_properties(
        "AWS::Lambda::Function", {"MemorySize": {"Ref": "Memory"}}
    )


# --- FunctionFleet ------------------------------------------------------------------------------


def _fleet(**overrides: Any) -> Any:
    from aws_cdk import aws_lambda as lambda_

    from constructs_pkg import FunctionFleet
    from tests.cdk_helpers import inline_code

    arguments: dict[str, Any] = {"code": inline_code(), "runtime": lambda_.Runtime.PYTHON_3_12}
    return FunctionFleet(new_stack(), "Backend", **{**arguments, **overrides})


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        ({"code": "service/"}, r"code='service/' .* expected a Code"),
        ({"secrets": "DB_PASSWORD"}, r"secrets='DB_PASSWORD' .* a list of ISecrets"),
        ({"memory_size": 99999}, r"memory_size=99999 .* from 128 to 10240"),
        ({"memroy_size": 512}, r"memroy_size=512 .* Did you mean memory_size\?"),
        ({"stacks_per_wave": float("inf")}, r"stacks_per_wave=inf .* from 1 to 100"),
    ],
)
def test_fleet_arguments_are_checked(arguments, pattern):
    with pytest.raises(ConfigurationError, match=rf"^\[TestStack/Backend\] {pattern}"):
        _fleet(**arguments)


def test_member_arguments_are_checked():
    fleet = _fleet()
    with pytest.raises(ConfigurationError, match=r"\[TestStack/Backend/Api\] rollout='canary'"):
        fleet.add_function("Api", handler="index.handler", rollout="canary")
