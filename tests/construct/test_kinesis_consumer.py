"""KinesisOrderedConsumer synthesized: defaults, alarms, streams (map: consumer_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from constructs_pkg import KinesisOrderedConsumer
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of
from tests.construct.consumer_helpers import (
    ConsumerApp,
    Scenario,
    assert_rejected,
    plain_alias,
    producer_role,
    scenario_fixture,
    sqs_alarm,
)

STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/s"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:failures"

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
    # --- failure_destination: each service Lambda sends failed Kinesis batches to ---
    "QueueDestination": Scenario(
        {"failure_destination": lambda s: sqs.Queue(s, "Failures")}, released=True
    ),
    "TopicDestination": Scenario(
        {"failure_destination": lambda s: sns.Topic(s, "Failures", master_key=kms.Key(s, "Key"))},
        released=True,
    ),
    "BucketDestination": Scenario(
        {
            "failure_destination": lambda s: s3.Bucket(
                s, "Failures", encryption_key=kms.Key(s, "Key")
            )
        },
        released=True,
    ),
    "ImportedTopic": Scenario(
        {"failure_destination": lambda s: sns.Topic.from_topic_arn(s, "Failures", TOPIC_ARN)}
    ),
    "TokenTopic": Scenario(
        {
            "failure_destination": lambda s: sns.Topic.from_topic_arn(
                s, "Failures", CfnParameter(s, "TopicArn").value_as_string
            )
        }
    ),
    "ImportedBucket": Scenario(
        {"failure_destination": lambda s: s3.Bucket.from_bucket_name(s, "Failures", "failures")}
    ),
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


# --- failure destinations: SQS, SNS, S3 ------------------------------------------------------


def _failures(app: ConsumerApp, name: str) -> Any:
    return app.stacks[name].node.find_child("Failures")


def _consumer_statements(app: ConsumerApp, name: str) -> list[dict[str, Any]]:
    """Every IAM statement of the consumer function's role (SafeFunction or plain alias)."""
    function, _ = app.built[name]
    role = getattr(function, "function", None) or function.version.lambda_
    role_id = logical_id(role.role)
    return [
        statement
        for policy in resources_of(app.template(name), "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _non_stream_statements(app: ConsumerApp, name: str) -> list[dict[str, Any]]:
    """The consumer's statements except reading the stream (and its key)."""
    stream_read = ("kinesis:", "kms:Decrypt")
    return [
        s
        for s in _consumer_statements(app, name)
        if not all(str(a).startswith(stream_read) for a in _actions(s))
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def _destination(app: ConsumerApp, name: str) -> Any:
    (mapping,) = resources_of(app.template(name), "AWS::Lambda::EventSourceMapping").values()
    return mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]


def test_default_failure_destination_is_the_created_queue(app):
    _, events = app.built["Defaults"]
    assert events.failure_destination is events.dead_letter_queue
    assert events.dead_letter_queue.node.path == "Defaults/Consumer/DeadLetterQueue"


def test_dead_letter_queue_argument_is_the_failure_destination(app):
    _, events = app.built["GivenDlq"]
    assert events.failure_destination is events.dead_letter_queue is _failures(app, "GivenDlq")


def test_queue_as_failure_destination(app):
    _, events = app.built["QueueDestination"]
    queue = _failures(app, "QueueDestination")
    assert events.failure_destination is events.dead_letter_queue is queue
    app.template("QueueDestination").resource_count_is("AWS::SQS::Queue", 1)
    assert _destination(app, "QueueDestination") == {"Fn::GetAtt": [logical_id(queue), "Arn"]}
    (send,) = _non_stream_statements(app, "QueueDestination")
    assert "sqs:SendMessage" in _actions(send)
    assert send["Resource"] == {"Fn::GetAtt": [logical_id(queue), "Arn"]}
    app.has_alarm("QueueDestination", sqs_alarm("NumberOfMessagesSent", "Sum", 0, queue))


def test_topic_as_failure_destination(app):
    _, events = app.built["TopicDestination"]
    topic = _failures(app, "TopicDestination")
    key = app.stacks["TopicDestination"].node.find_child("Key")
    assert events.failure_destination is topic
    assert events.dead_letter_queue is None
    tpl = app.template("TopicDestination")
    tpl.resource_count_is("AWS::SQS::Queue", 0)
    assert _destination(app, "TopicDestination") == {"Ref": logical_id(topic)}
    assert _non_stream_statements(app, "TopicDestination") == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": logical_id(topic)}},
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(key), "Arn"]},
        },
    ]
    app.has_alarm(
        "TopicDestination",
        {
            "Namespace": "AWS/SNS",
            "MetricName": "NumberOfMessagesPublished",
            "Statistic": "Sum",
            "Period": 60,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": [
                {"Name": "TopicName", "Value": {"Fn::GetAtt": [logical_id(topic), "TopicName"]}}
            ],
        },
    )


def test_bucket_as_failure_destination(app):
    _, events = app.built["BucketDestination"]
    bucket = _failures(app, "BucketDestination")
    key = app.stacks["BucketDestination"].node.find_child("Key")
    bucket_id = logical_id(bucket)
    assert events.failure_destination is bucket
    assert events.dead_letter_queue is None
    tpl = app.template("BucketDestination")
    tpl.resource_count_is("AWS::SQS::Queue", 0)
    assert _destination(app, "BucketDestination") == {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert _non_stream_statements(app, "BucketDestination") == [
        {
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        },
        {
            "Action": "s3:ListBucket",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [bucket_id, "Arn"]},
        },
        {
            "Action": "kms:GenerateDataKey",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(key), "Arn"]},
        },
    ]
    (filter_id,) = [
        c["Id"]
        for c in app.resources("BucketDestination")[bucket_id]["Properties"][
            "MetricsConfigurations"
        ]
    ]
    assert filter_id.startswith("BucketDestinationConsumer")
    assert len(filter_id) <= 64
    app.has_alarm(
        "BucketDestination",
        {
            "Namespace": "AWS/S3",
            "MetricName": "PutRequests",
            "Statistic": "Sum",
            "Period": 60,
            "Threshold": 0,
            "Dimensions": [
                {"Name": "BucketName", "Value": {"Ref": bucket_id}},
                {"Name": "FilterId", "Value": filter_id},
            ],
        },
    )
    assert not app.warnings("BucketDestination", "failure-bucket-metrics")


@pytest.mark.parametrize("name", ["QueueDestination", "TopicDestination", "BucketDestination"])
def test_every_failure_destination_has_a_rollback_alarm(app, name):
    fn, events = app.built[name]
    (failed,) = [alarm for alarm in events.alarms if alarm.node.id == "FailedRecords"]
    assert failed in fn.rollback_alarms
    group = app.resources(name)[logical_id(fn.deployment_group)]
    assert {"Name": {"Ref": logical_id(failed)}} in group["Properties"]["AlarmConfiguration"][
        "Alarms"
    ]


def test_imported_topic_is_published_to_and_watched(app):
    assert _destination(app, "ImportedTopic") == TOPIC_ARN
    assert _non_stream_statements(app, "ImportedTopic") == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": TOPIC_ARN}
    ]
    app.has_alarm(
        "ImportedTopic",
        {
            "Namespace": "AWS/SNS",
            "MetricName": "NumberOfMessagesPublished",
            "Dimensions": [{"Name": "TopicName", "Value": "failures"}],
        },
    )


def test_token_topic_arn_reaches_the_template(app):
    assert _destination(app, "TokenTopic") == {"Ref": "TopicArn"}
    assert _non_stream_statements(app, "TokenTopic") == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": "TopicArn"}}
    ]


def test_imported_bucket_warns_that_its_alarm_needs_request_metrics(app):
    (warning,) = app.warnings("ImportedBucket", "failure-bucket-metrics")
    assert "ImportedBucket/Failures is imported" in str(warning.entry.data)
    _, events = app.built["ImportedBucket"]
    (failed,) = [alarm for alarm in events.alarms if alarm.node.id == "FailedRecords"]
    filter_id = app.stacks["ImportedBucket"].resolve(failed.metric.dimensions)["FilterId"]
    assert repr(filter_id) in str(warning.entry.data)
    app.has_alarm(
        "ImportedBucket",
        {
            "Namespace": "AWS/S3",
            "MetricName": "PutRequests",
            "Dimensions": [
                {"Name": "BucketName", "Value": "failures"},
                {"Name": "FilterId", "Value": filter_id},
            ],
        },
    )
    assert [s["Action"] for s in _non_stream_statements(app, "ImportedBucket")] == [
        "s3:PutObject",
        "s3:ListBucket",
    ]


# --- failure destinations refused --------------------------------------------------------------

_ALLOWED = r"expected an IQueue \(aws_sqs\) or an ITopic \(aws_sns\) or an IBucket \(aws_s3\)"
_FIFO = r"expected a standard SQS queue, a standard SNS topic or an S3 bucket\. "


def _consumer_with(**arguments: Any) -> Any:
    def build(stack: Stack) -> object:
        given = {k: v(stack) if callable(v) else v for k, v in arguments.items()}
        return KinesisOrderedConsumer(stack, "Consumer", consumer=plain_alias(stack), **given)

    return build


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"failure_destination": "arn:aws:sqs:eu-west-1:123456789012:failures"},
            rf"\[TestStack/Consumer\] failure_destination='arn:aws:sqs:.*' is not allowed: "
            rf"{_ALLOWED}",
        ),
        (
            {"failure_destination": lambda s: kinesis.Stream(s, "Other")},
            rf"failure_destination='<Stream TestStack/Other>' is not allowed: {_ALLOWED}",
        ),
        (
            {"failure_destination": lambda s: plain_alias(s, "Other")},
            rf"failure_destination='<Alias TestStack/OtherLive>' is not allowed: {_ALLOWED}",
        ),
        (
            {"dead_letter_queue": lambda s: sns.Topic(s, "Topic")},
            r"dead_letter_queue='<Topic TestStack/Topic>' is not allowed: expected an IQueue "
            r"\(aws_sqs\)\.",
        ),
        (
            {"failure_destination": lambda s: sqs.Queue(s, "Failures", fifo=True)},
            rf"failure_destination='TestStack/Failures' is not allowed: {_FIFO}.*a FIFO queue is "
            "rejected at deploy time",
        ),
        (
            {
                "failure_destination": lambda s: sqs.Queue.from_queue_arn(
                    s, "Failures", "arn:aws:sqs:eu-west-1:123456789012:failures.fifo"
                )
            },
            rf"failure_destination='TestStack/Failures' is not allowed: {_FIFO}.*FIFO queue",
        ),
        (
            {"failure_destination": lambda s: sns.Topic(s, "Failures", fifo=True)},
            rf"failure_destination='TestStack/Failures' is not allowed: {_FIFO}.*a FIFO topic is "
            "rejected at deploy time",
        ),
        (
            {
                "failure_destination": lambda s: sns.Topic.from_topic_arn(
                    s, "Failures", "arn:aws:sns:eu-west-1:123456789012:failures.fifo"
                )
            },
            rf"failure_destination='TestStack/Failures' is not allowed: {_FIFO}.*FIFO topic",
        ),
        (
            {
                "dead_letter_queue": lambda s: sqs.Queue(s, "Dlq"),
                "failure_destination": lambda s: sns.Topic(s, "Topic"),
            },
            r"dead_letter_queue='TestStack/Dlq' is not allowed: expected no value when "
            r"failure_destination= is given\.",
        ),
    ],
    ids=[
        "arn-string",
        "stream",
        "alias",
        "topic-as-dead-letter-queue",
        "fifo-queue",
        "imported-fifo-queue",
        "fifo-topic",
        "imported-fifo-topic",
        "both-arguments",
    ],
)
def test_failure_destination_refused(arguments, message):
    assert_rejected(_consumer_with(**arguments), message)
