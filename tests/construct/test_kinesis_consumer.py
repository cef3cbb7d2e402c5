"""KinesisOrderedConsumer synthesized: defaults, alarms, streams (map: consumer_helpers.py)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from constructs_pkg import KinesisOrderedConsumer
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of
from tests.construct.consumer_helpers import (
    Scenario,
    producer_role,
    scenario_fixture,
    sqs_alarm,
)

STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/s"

SCENARIOS = {
    "Defaults": Scenario(released=True),
    "Alarms": Scenario({"max_record_age": Duration.minutes(10)}, released=True),
    "Grants": Scenario(then=lambda stack, consumer: consumer.grant_publish(producer_role(stack))),
    "UnboundedAge": Scenario({"max_record_age": None, "retention_period": Duration.hours(48)}),
    "SevenDays": Scenario(
        {"max_record_age": Duration.days(7), "retention_period": Duration.days(7)}
    ),
    "AgeBounded": Scenario({"retry_attempts": -1}),
    "RetriesBounded": Scenario({"max_record_age": None, "retry_attempts": 10}),
    "Latest": Scenario({"starting_position": lambda_.StartingPosition.LATEST}),
    "ExistingStream": Scenario(
        {
            "stream": lambda s: kinesis.Stream(
                s, "Mine", shard_count=3, retention_period=Duration.hours(48)
            ),
            "max_record_age": Duration.hours(30),
        }
    ),
    "ImportedStream": Scenario(
        {"stream": lambda s: kinesis.Stream.from_stream_arn(s, "Imported", STREAM_ARN)}
    ),
    "GivenDlq": Scenario({"dead_letter_queue": lambda s: sqs.Queue(s, "Failures")}),
}


app = scenario_fixture(KinesisOrderedConsumer, SCENARIOS)


def test_defaults(app):
    fn, events = app.built["Defaults"]
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
    assert events.event_source_mapping.node.path == "Defaults/Consumer/EventSourceMapping"


def test_consumer_role_can_read_the_stream_and_send_failures(app):
    policy = str(resources_of(app.template("Defaults"), "AWS::IAM::Policy"))
    assert "kinesis:GetRecords" in policy
    assert "sqs:SendMessage" in policy


def test_grant_publish(app):
    app.template("Grants").has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": logical_id(app.stacks["Grants"].node.find_child("Producer"))}],
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


def test_iterator_age_alarm_watches_the_alias(app):
    fn, _ = app.built["Alarms"]
    fn_id = logical_id(fn.function)
    app.has_alarm(
        "Alarms",
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


def test_failed_records_alarm_counts_sends_to_the_failure_queue(app):
    _, events = app.built["Alarms"]
    app.has_alarm("Alarms", sqs_alarm("NumberOfMessagesSent", "Sum", 0, events.dead_letter_queue))


def test_iterator_age_threshold_uses_retention_when_age_is_unbounded(app):
    app.has_alarm("UnboundedAge", {"MetricName": "IteratorAge", "Threshold": 48 * 3600 * 1000 / 2})


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


# --- existing streams and queues -------------------------------------------------------------


def test_existing_l2_stream_is_used_and_read(app):
    _, events = app.built["ExistingStream"]
    app.template("ExistingStream").resource_count_is("AWS::Kinesis::Stream", 1)
    assert events.stream is app.stacks["ExistingStream"].node.find_child("Mine")
    assert events.capacity.max_concurrent_invocations == 3


def test_imported_stream_has_unknown_capacity(app):
    app.template("ImportedStream").resource_count_is("AWS::Kinesis::Stream", 0)
    _, events = app.built["ImportedStream"]
    assert events.capacity.max_concurrent_invocations is None


def test_existing_standard_dead_letter_queue_is_used(app):
    _, events = app.built["GivenDlq"]
    dlq = app.stacks["GivenDlq"].node.find_child("Failures")
    assert events.dead_letter_queue is dlq
    tpl = app.template("GivenDlq")
    tpl.resource_count_is("AWS::SQS::Queue", 1)
    destination = {"OnFailure": {"Destination": {"Fn::GetAtt": [logical_id(dlq), "Arn"]}}}
    tpl.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"DestinationConfig": destination}
    )


# --- Kinesis-only rules ----------------------------------------------------------------------


def test_seven_day_record_age_with_seven_day_retention(app):
    app.template("SevenDays").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"MaximumRecordAgeInSeconds": 7 * 86400}
    )


def test_retries_or_age_may_be_unbounded_alone(app):
    app.template("AgeBounded").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": 3600},
    )
    app.template("RetriesBounded").has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"MaximumRetryAttempts": 10, "MaximumRecordAgeInSeconds": Match.absent()},
    )


def test_latest_starting_position(app):
    app.template("Latest").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"StartingPosition": "LATEST"}
    )
