"""Every rule over odd-but-valid CloudFormation: intrinsics where lists or objects are usual,
wrong arities, strings for numbers and booleans, deep nesting. No rule may crash a synth."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_pkg.assembly.model import TemplateSet, alternatives, direct_refs, items
from constructs_pkg.checks import RULES, CheckOptions, Finding

NO_VALUE = {"Ref": "AWS::NoValue"}


def _if(yes: Any, no: Any) -> dict[str, Any]:
    return {"Fn::If": ["IsProd", yes, no]}


def _run(resources: dict[str, Any]) -> list[Finding]:
    templates = TemplateSet({"Stack": {"Conditions": {"IsProd": {}}, "Resources": resources}})
    return [finding for rule in RULES for finding in rule.run(templates, CheckOptions())]


def _rule_ids(resources: dict[str, Any]) -> set[str]:
    return {finding.rule_id for finding in _run(resources)}


#: A released function (alias with a CodeDeploy update policy) and a Lambda deployment group.
BASE: dict[str, Any] = {
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 30}},
    "Alias": {
        "Type": "AWS::Lambda::Alias",
        "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live"},
        "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {}},
    },
    "App": {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Lambda"}},
    "Group": {
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": {
            "ApplicationName": {"Ref": "App"},
            "AlarmConfiguration": {"Alarms": [{"Name": "a"}], "Enabled": True},
            "AutoRollbackConfiguration": {"Enabled": True, "Events": ["DEPLOYMENT_STOP_ON_ALARM"]},
        },
    },
    "Queue": {
        "Type": "AWS::SQS::Queue",
        "Properties": {"VisibilityTimeout": 180, "RedrivePolicy": {"maxReceiveCount": 3}},
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    },
    "Stream": {
        "Type": "AWS::Kinesis::Stream",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    },
}


def _with(**resources: Any) -> dict[str, Any]:
    merged = copy.deepcopy(BASE)
    merged.update(resources)
    return merged


def _deep(levels: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(levels):
        value = {"Fn::Select": [0, [value]]}
    return value


def _mapping(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"FunctionName": {"Ref": "Alias"}, **properties},
    }


#: name -> (extra resources, rule ids that must be found, rule ids that must not be)
CORPUS: dict[str, tuple[dict[str, Any], set[str], set[str]]] = {
    "the base is clean": ({}, set(), {r.id for r in RULES}),
    "Events rule Targets is Fn::If with an unqualified target in one branch": (
        {
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Targets": _if([{"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}, "Id": "t"}], NO_VALUE)
                },
            }
        },
        {"UnqualifiedInvoke"},
        set(),
    ),
    "Events rule Targets is a Ref": (
        {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": {"Ref": "P"}}}},
        set(),
        {"UnqualifiedInvoke"},
    ),
    "Events rule target is a string": (
        {"Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": ["x", 5, None]}}},
        set(),
        {"UnqualifiedInvoke"},
    ),
    "3-element Fn::Join as FunctionName": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Fn::Join": [":", [{"Ref": "Fn"}, "live"], "extra"]},
                    "Principal": "events.amazonaws.com",
                },
            }
        },
        {"UnqualifiedInvoke"},  # not the alias form: it names the function
        set(),
    ),
    "Fn::Join of a string": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Fn::Join": [":", "notalist"]}},
            }
        },
        set(),
        set(),
    ),
    "Fn::Join of nothing": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Fn::Join": []}},
            }
        },
        set(),
        set(),
    ),
    "Properties a list": ({"X": {"Type": "AWS::SQS::Queue", "Properties": []}}, set(), set()),
    "Properties a string": (
        {"X": {"Type": "AWS::Lambda::Function", "Properties": "x"}},
        set(),
        set(),
    ),
    "Properties an Fn::If": (
        {"X": {"Type": "AWS::Lambda::Function", "Properties": _if({"Timeout": 3}, {})}},
        set(),
        set(),
    ),
    "AlarmConfiguration a string": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {**BASE["Group"]["Properties"], "AlarmConfiguration": "x"},
            }
        },
        {"DeploymentGroupWithoutAlarms"},
        set(),
    ),
    "AlarmConfiguration an Fn::If with an empty branch": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {
                    **BASE["Group"]["Properties"],
                    "AlarmConfiguration": _if({"Alarms": [{"Name": "a"}]}, {"Alarms": []}),
                },
            }
        },
        {"DeploymentGroupWithoutAlarms"},
        set(),
    ),
    "Alarms an Fn::If with alarms in both branches, Enabled a string": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {
                    **BASE["Group"]["Properties"],
                    "AlarmConfiguration": {
                        "Alarms": _if([{"Name": "a"}], [{"Name": "b"}]),
                        "Enabled": "true",
                    },
                },
            }
        },
        set(),
        {"DeploymentGroupWithoutAlarms"},
    ),
    "Alarms disabled as a string": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {
                    **BASE["Group"]["Properties"],
                    "AlarmConfiguration": {"Alarms": [{"Name": "a"}], "Enabled": "false"},
                },
            }
        },
        {"DeploymentGroupWithoutAlarms"},
        set(),
    ),
    "AutoRollback Events a string, Enabled a string": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {
                    **BASE["Group"]["Properties"],
                    "AutoRollbackConfiguration": {
                        "Enabled": "true",
                        "Events": "DEPLOYMENT_STOP_ON_ALARM",
                    },
                },
            }
        },
        {"NoRollbackOnAlarm"},  # Events must be a list
        set(),
    ),
    "AutoRollbackConfiguration a number": (
        {
            "Group": {
                **BASE["Group"],
                "Properties": {**BASE["Group"]["Properties"], "AutoRollbackConfiguration": 5},
            }
        },
        {"NoRollbackOnAlarm"},
        set(),
    ),
    "stream mapping DestinationConfig a string": (
        {"Esm": _mapping(EventSourceArn={"Fn::GetAtt": ["Stream", "Arn"]}, DestinationConfig="x")},
        {"StreamWithoutFailureDestination"},
        set(),
    ),
    "stream mapping OnFailure an Fn::If with NoValue": (
        {
            "Esm": _mapping(
                EventSourceArn={"Fn::GetAtt": ["Stream", "Arn"]},
                DestinationConfig={"OnFailure": _if({"Destination": "arn:q"}, NO_VALUE)},
                MaximumRetryAttempts="10",
                FunctionResponseTypes=["ReportBatchItemFailures"],
            )
        },
        set(),
        {"StreamWithoutFailureDestination", "StreamUnboundedRetry", "NoPartialBatchResponse"},
    ),
    "stream mapping retries as strings": (
        {
            "Esm": _mapping(
                EventSourceArn={"Fn::GetAtt": ["Stream", "Arn"]},
                MaximumRetryAttempts="-1",
                MaximumRecordAgeInSeconds="-1",
                DestinationConfig={"OnFailure": {"Destination": "arn:q"}},
                FunctionResponseTypes=_if(["ReportBatchItemFailures"], NO_VALUE),
            )
        },
        {"StreamUnboundedRetry"},
        {"NoPartialBatchResponse"},
    ),
    "FunctionResponseTypes a number": (
        {"Esm": _mapping(EventSourceArn={"Fn::GetAtt": ["Queue", "Arn"]}, FunctionResponseTypes=5)},
        {"NoPartialBatchResponse"},
        set(),
    ),
    "RedrivePolicy a JSON string on a FIFO queue with a standard DLQ": (
        {
            "Dlq": {
                "Type": "AWS::SQS::Queue",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
            },
            "Fifo": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "FifoQueue": "true",
                    "RedrivePolicy": '{"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}}',
                },
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
            },
        },
        {"FifoDeadLetterNotFifo"},
        set(),
    ),
    "RedrivePolicy a list, VisibilityTimeout a string": (
        {
            "Queue": {
                **BASE["Queue"],
                "Properties": {"VisibilityTimeout": "20", "RedrivePolicy": ["x"]},
            },
            "Esm": _mapping(
                EventSourceArn={"Fn::GetAtt": ["Queue", "Arn"]},
                FunctionResponseTypes=["ReportBatchItemFailures"],
            ),
        },
        {"VisibilityBelowTimeout"},  # 20 s < the function's 30 s
        set(),
    ),
    "UpdatePolicy a string and a number": (
        {
            "A1": {**BASE["Alias"], "UpdatePolicy": "x"},
            "A2": {**BASE["Alias"], "UpdatePolicy": 5},
        },
        {"AliasWithoutDeploymentGroup"},
        set(),
    ),
    "DeletionPolicy an Fn::If": (
        {"Q": {"Type": "AWS::SQS::Queue", "DeletionPolicy": _if("Retain", "Delete")}},
        {"StatefulNotRetained"},
        set(),
    ),
    "Timeout a Ref and a float string": (
        {
            "F1": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": {"Ref": "T"}}},
            "F2": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": "1e400"}},
        },
        set(),
        set(),
    ),
    "reserved concurrency as strings and booleans": (
        {
            "F1": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"ReservedConcurrentExecutions": "950"},
            },
            "F2": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"ReservedConcurrentExecutions": True},
            },
        },
        {"ReservedConcurrencyHeadroom"},
        set(),
    ),
    "async principal computed, DestinationConfig a list": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "Alias"},
                    "Principal": {"Fn::Join": ["", ["sns.", {"Ref": "AWS::URLSuffix"}]]},
                },
            },
            "Cfg": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "DestinationConfig": []},
            },
            "Sub": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"Protocol": "lambda", "Endpoint": {"Ref": "Alias"}},
            },
        },
        {"AsyncWithoutFailureDestination"},
        set(),
    ),
    "deeply nested references": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": _deep(3_000, {"Ref": "Fn"}),
                    "Principal": _deep(3_000, "x"),
                },
            },
            "Esm": _mapping(EventSourceArn=_deep(3_000, "arn:aws:sqs:eu-west-1:1:q")),
        },
        {"UnqualifiedInvoke"},
        set(),
    ),
    "GetAtt of odd shapes": (
        {
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Fn::GetAtt": [5, "Arn"]}},
            },
            "Perm2": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Fn::GetAtt": "Fn.Arn"}},
            },
            "Perm3": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Fn::GetAtt": {}}},
            },
        },
        {"UnqualifiedInvoke"},
        set(),
    ),
    "metadata path a number": (
        {"Q": {**BASE["Queue"], "Metadata": {"aws:cdk:path": 5}, "DeletionPolicy": "Delete"}},
        {"StatefulNotRetained"},
        set(),
    ),
    "a resource that is not an object": ({"Weird": "x", "Odd": [1]}, set(), set()),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_every_rule_runs_over_odd_but_valid_templates(case: str) -> None:
    extra, found, absent = CORPUS[case]
    ids = _rule_ids(_with(**extra))
    assert found <= ids, f"missing {found - ids}"
    assert not (absent & ids), f"unexpected {absent & ids}"


def test_accessors_on_odd_values() -> None:
    assert alternatives(_if(_if(1, 2), NO_VALUE)) == [1, 2]
    assert alternatives({"Fn::If": ["C", 1]}) == [{"Fn::If": ["C", 1]}]  # wrong arity: as is
    assert items(_if([1], "x")) == [1]
    assert list(direct_refs(_deep(5_000, {"Ref": "A"}))) == ["A"]


# --- random templates ------------------------------------------------------------------------

LOGICAL_IDS = ["Fn", "Alias", "App", "Group", "Queue", "Stream", "X1", "X2"]
TYPES = sorted(
    {
        "AWS::Lambda::Function",
        "AWS::Lambda::Alias",
        "AWS::Lambda::Version",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::SNS::Subscription",
        "AWS::ApiGateway::Method",
        "AWS::ApiGatewayV2::Integration",
        "AWS::Events::Rule",
        "AWS::CodeDeploy::Application",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::SQS::Queue",
        "AWS::Kinesis::Stream",
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::IAM::Policy",
    }
)
#: Every key a rule reads.
KEYS = [
    "FunctionName",
    "Name",
    "Endpoint",
    "Protocol",
    "Integration",
    "Uri",
    "IntegrationUri",
    "Targets",
    "Arn",
    "ApplicationName",
    "ComputePlatform",
    "AlarmConfiguration",
    "Alarms",
    "Enabled",
    "AutoRollbackConfiguration",
    "Events",
    "EventSourceArn",
    "Timeout",
    "VisibilityTimeout",
    "DestinationConfig",
    "OnFailure",
    "Destination",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "RedrivePolicy",
    "deadLetterTargetArn",
    "FifoQueue",
    "FunctionResponseTypes",
    "Principal",
    "DeadLetterConfig",
    "TargetArn",
    "ReservedConcurrentExecutions",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "true",
            "false",
            "-1",
            "30",
            "Lambda",
            "lambda",
            "DEPLOYMENT_STOP_ON_ALARM",
            "ReportBatchItemFailures",
            "sns.amazonaws.com",
            "arn:aws:sqs:eu-west-1:1:q",
            ":live",
            ":$LATEST",
            "Retain",
        ]
    ),
)


def _intrinsics(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    ids = st.sampled_from(LOGICAL_IDS)
    return st.one_of(
        st.builds(lambda i: {"Ref": i}, ids | st.just("AWS::NoValue") | st.integers()),
        st.builds(lambda i, a: {"Fn::GetAtt": [i, a]}, ids, st.sampled_from(["Arn", "Name"])),
        st.builds(lambda v: {"Fn::GetAtt": v}, inner),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, st.text(max_size=3), inner, inner),
        st.builds(lambda v: {"Fn::If": v}, inner),
        st.builds(
            lambda s, parts: {"Fn::Join": [s, parts]},
            st.sampled_from(["", ":"]),
            st.lists(inner, max_size=4),
        ),
        st.builds(lambda v: {"Fn::Join": v}, inner),
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    )


values = st.recursive(scalars, _intrinsics, max_leaves=12)
resources = st.fixed_dictionaries(
    {"Type": st.sampled_from(TYPES)},
    optional={
        "Properties": values,
        "UpdatePolicy": values,
        "DeletionPolicy": values,
        "UpdateReplacePolicy": values,
        "Metadata": values,
    },
)
templates = st.dictionaries(st.sampled_from(LOGICAL_IDS), resources | values, max_size=8)


@pytest.mark.property
@given(templates)
def test_no_rule_crashes_on_generated_templates(generated: dict[str, Any]) -> None:
    for finding in _run(generated):
        assert finding.rule_id in {rule.id for rule in RULES}
        assert isinstance(finding.message, str)
        assert finding.message
        assert str(finding)  # renders


# --- through cdk synth ---------------------------------------------------------------------


def _escape_hatch_app() -> Any:
    """Valid CloudFormation written through escape hatches: Fn::If Targets, 3-part Fn::Join."""
    from aws_cdk import CfnCondition, CfnResource, Fn, Stack
    from aws_cdk import aws_events as events
    from aws_cdk import aws_lambda as lambda_

    from tests.cdk_helpers import function_kwargs, new_app

    app = new_app()
    stack = Stack(app, "Odd")
    prod = CfnCondition(stack, "IsProd", expression=Fn.condition_equals("a", "a"))
    function = lambda_.Function(stack, "Fn", **function_kwargs())
    lambda_.Alias(stack, "Live", alias_name="live", version=function.current_version)
    rule = events.CfnRule(stack, "Rule", schedule_expression="rate(1 hour)")
    rule.add_property_override(
        "Targets",
        Fn.condition_if(
            prod.logical_id, [{"Arn": function.function_arn, "Id": "t"}], Fn.ref("AWS::NoValue")
        ),
    )
    CfnResource(
        stack,
        "Permission",
        type="AWS::Lambda::Permission",
        properties={
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Fn::Join": [":", [function.function_name, "live"], "x"]},
        },
    )
    return app


def test_the_plugin_reports_instead_of_crashing_a_synth_on_escape_hatches():
    from aws_cdk import Validations

    from constructs_pkg.checks import DeploymentSafetyChecks

    report = DeploymentSafetyChecks().validate_scope(_escape_hatch_app())
    assert "UnqualifiedInvoke" in report.rule_ids  # the Fn::If branch was read
    app = _escape_hatch_app()
    Validations.of(app).add_plugins(DeploymentSafetyChecks())
    with pytest.raises(RuntimeError, match=r"^ValidationFailed: ERROR") as raised:
        app.synth()
    assert "UnqualifiedInvoke" in str(raised.value)
    assert "Traceback" not in str(raised.value)
