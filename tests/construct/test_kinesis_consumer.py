"""KinesisOrderedConsumer synthesized and asserted: defaults, alarms, streams, Kinesis-only rules.

Every way the arguments can be wrong (bounds, whole units, tokens, rules between arguments):
test_consumer_boundaries.py. What both consumers share (options, consumer kinds,
existing-source conflicts): test_consumer_common.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from constructs_pkg import KinesisOrderedConsumer
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of
from tests.construct.consumer_helpers import ConsumerApp, plain_alias, worker

#: Scenario name -> consumer arguments (the worker has a 20 s timeout).
SCENARIOS: dict[str, dict[str, Any]] = {
    "Defaults": {},
    "Alarms": {"max_record_age": Duration.minutes(10)},
    "UnboundedAge": {"max_record_age": None, "retention_period": Duration.hours(48)},
    "Capacity": {
        "shard_count": 4,
        "parallelization_factor": 2,
        "batch_size": 100,
        "retry_attempts": 5,
        "record_duration": Duration.millis(50),
    },
    "SevenDays": {"max_record_age": Duration.days(7), "retention_period": Duration.days(7)},
    "AgeBounded": {"retry_attempts": -1},
    "RetriesBounded": {"max_record_age": None, "retry_attempts": 10},
    "Latest": {"starting_position": lambda_.StartingPosition.LATEST},
}


#: Scenarios whose consumer is a SafeFunction (its alias, its rollback alarms); the others
#: use a plain alias, which synthesizes faster.
RELEASED = {"Defaults", "Alarms"}


@pytest.fixture(scope="module")
def app() -> tuple[ConsumerApp, dict[str, Any]]:
    """Every scenario in one App: name -> (worker, consumer) or what the test needs."""
    app = ConsumerApp()
    built: dict[str, Any] = {}
    for name, arguments in SCENARIOS.items():
        stack = app.stack(name)
        fn = worker(stack) if name in RELEASED else plain_alias(stack)
        built[name] = (fn, KinesisOrderedConsumer(stack, "Events", consumer=fn, **arguments))

    stack = app.stack("Grants")
    producer = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    KinesisOrderedConsumer(stack, "Events", consumer=plain_alias(stack)).grant_publish(producer)
    built["Grants"] = producer

    stack = app.stack("ExistingStream")
    stream = kinesis.Stream(stack, "Mine", shard_count=3, retention_period=Duration.hours(48))
    built["ExistingStream"] = (
        stream,
        KinesisOrderedConsumer(
            stack,
            "Events",
            consumer=plain_alias(stack),
            stream=stream,
            max_record_age=Duration.hours(30),
        ),
    )

    stack = app.stack("ImportedStream")
    imported = kinesis.Stream.from_stream_arn(
        stack, "Imported", "arn:aws:kinesis:eu-west-1:123456789012:stream/s"
    )
    built["ImportedStream"] = KinesisOrderedConsumer(
        stack, "Events", consumer=plain_alias(stack), stream=imported
    )

    stack = app.stack("GivenDlq")
    dlq = sqs.Queue(stack, "Failures")
    built["GivenDlq"] = (
        dlq,
        KinesisOrderedConsumer(stack, "Events", consumer=plain_alias(stack), dead_letter_queue=dlq),
    )
    return app, built


def test_defaults(app):
    app, built = app
    fn, events = built["Defaults"]
    tpl = app.template("Defaults")
    tpl.has_resource(
        "AWS::Kinesis::Stream",
        {
            "Properties": {
                "ShardCount": 1,
                "RetentionPeriodHours": 24,
                "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    tpl.has_resource(
        "AWS::SQS::Queue",
        {
            "Properties": {
                "MessageRetentionPeriod": 1209600,
                "SqsManagedSseEnabled": True,
                "FifoQueue": Match.absent(),
            },
            "DeletionPolicy": "Retain",
        },
    )
    alias_id = logical_id(fn.alias)
    tpl.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 100,
            "ParallelizationFactor": 1,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 3,
            "MaximumRecordAgeInSeconds": 3600,
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {
                "OnFailure": {
                    "Destination": {"Fn::GetAtt": [logical_id(events.dead_letter_queue), "Arn"]}
                }
            },
            "EventSourceArn": {"Fn::GetAtt": [logical_id(events.stream), "Arn"]},
            "FunctionName": {
                "Fn::Join": [
                    "",
                    [{"Fn::Select": [6, {"Fn::Split": [":", {"Ref": alias_id}]}]}, ":live"],
                ]
            },
        },
    )
    assert events.event_source_mapping.node.path.endswith("Events/EventSourceMapping")


def test_consumer_role_can_read_the_stream_and_send_failures(app):
    app, _ = app
    policy = str(resources_of(app.template("Defaults"), "AWS::IAM::Policy"))
    assert "kinesis:GetRecords" in policy
    assert "sqs:SendMessage" in policy


def test_grant_publish(app):
    app, built = app
    app.template("Grants").has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": logical_id(built["Grants"])}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(
                                    ["kinesis:PutRecord", "kinesis:PutRecords"]
                                )
                            }
                        )
                    ]
                )
            },
        },
    )


def test_alarms_dimensions_thresholds_and_rollback(app):
    app, built = app
    fn, events = built["Alarms"]
    tpl = app.template("Alarms")
    fn_id = logical_id(fn.function)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "IteratorAge",
            "Statistic": "Maximum",
            "Period": 60,
            "Threshold": 300_000,  # half of the 10-minute age budget, in ms
            "EvaluationPeriods": 3,
            "Dimensions": [
                {"Name": "FunctionName", "Value": {"Ref": fn_id}},
                {"Name": "Resource", "Value": {"Fn::Join": ["", [{"Ref": fn_id}, ":live"]]}},
            ],
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "NumberOfMessagesSent",
            "Namespace": "AWS/SQS",
            "Statistic": "Sum",
            "Threshold": 0,
            "Dimensions": [
                {
                    "Name": "QueueName",
                    "Value": {"Fn::GetAtt": [logical_id(events.dead_letter_queue), "QueueName"]},
                }
            ],
        },
    )
    assert [a.node.id for a in events.alarms] == ["IteratorAge", "FailedRecords"]
    assert events.alarms[1] in fn.rollback_alarms
    assert events.alarms[0] not in fn.rollback_alarms


def test_iterator_age_threshold_uses_retention_when_age_is_unbounded(app):
    app, _ = app
    app.template("UnboundedAge").has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "IteratorAge", "Threshold": 48 * 3600 * 1000 / 2}
    )


def test_iterator_age_of_a_version_consumer_watches_the_version():
    stack = new_stack()
    fn = lambda_.Function(stack, "Plain", **function_kwargs())
    version = fn.current_version
    events = KinesisOrderedConsumer(stack, "Events", consumer=version)
    (iterator_age,) = [a for a in events.alarms if a.node.id == "IteratorAge"]
    dimensions = stack.resolve(iterator_age.metric.dimensions)  # type: ignore[attr-defined]
    assert dimensions == {
        "FunctionName": stack.resolve(fn.function_name),
        "Resource": stack.resolve(f"{fn.function_name}:{version.version}"),
    }


def test_capacity_report(app):
    app, built = app
    _, events = built["Capacity"]
    capacity = events.capacity
    assert capacity.max_concurrent_invocations == 8
    assert capacity.per_key_records_per_second == 20
    assert capacity.max_records_per_second == 160
    # min(1 h, (5 + 1) x (ceil(log2 100) + 1 = 8) x 20 s = 960 s)
    assert capacity.poison_stall_seconds == 960
    infos = app.messages("Capacity", "info", "max concurrency 8")
    assert [info.id for info in infos] == ["/Capacity/Events"]


# --- existing streams and queues -------------------------------------------------------------


def test_existing_l2_stream_is_used_and_read(app):
    app, built = app
    stream, events = built["ExistingStream"]
    app.template("ExistingStream").resource_count_is("AWS::Kinesis::Stream", 1)
    assert events.stream is stream
    assert events.capacity.max_concurrent_invocations == 3


def test_imported_stream_has_unknown_capacity(app):
    app, built = app
    app.template("ImportedStream").resource_count_is("AWS::Kinesis::Stream", 0)
    assert built["ImportedStream"].capacity.max_concurrent_invocations is None


def test_existing_standard_dead_letter_queue_is_used(app):
    app, built = app
    dlq, events = built["GivenDlq"]
    assert events.dead_letter_queue is dlq
    app.template("GivenDlq").resource_count_is("AWS::SQS::Queue", 1)
    app.template("GivenDlq").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "DestinationConfig": {
                "OnFailure": {"Destination": {"Fn::GetAtt": [logical_id(dlq), "Arn"]}}
            }
        },
    )


# --- Kinesis-only rules ----------------------------------------------------------------------


def test_seven_day_record_age_with_seven_day_retention(app):
    app, _ = app
    app.template("SevenDays").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"MaximumRecordAgeInSeconds": 7 * 86400}
    )


def test_retries_or_age_may_be_unbounded_alone(app):
    app, _ = app
    app.template("AgeBounded").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": 3600},
    )
    app.template("RetriesBounded").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"MaximumRetryAttempts": 10, "MaximumRecordAgeInSeconds": Match.absent()},
    )


def test_latest_starting_position(app):
    app, _ = app
    app.template("Latest").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"StartingPosition": "LATEST"}
    )
