"""KinesisOrderedConsumer synthesized and asserted: defaults, alarms, every rule."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match

from constructs_pkg import ConfigurationError, KinesisOrderedConsumer, Rollout, SafeFunction
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of, template


def _consumer(stack, **kwargs):
    return SafeFunction(
        stack, "Projector", **function_kwargs(timeout=Duration.seconds(30)), **kwargs
    )


def _build(**kwargs):
    stack = new_stack()
    fn = _consumer(stack)
    return stack, fn, KinesisOrderedConsumer(stack, "Events", consumer=fn, **kwargs)


def test_defaults():
    stack, fn, events = _build()
    tpl = template(stack)
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


def test_consumer_role_can_read_the_stream_and_send_failures():
    stack, _fn, _ = _build()
    policy = str(resources_of(template(stack), "AWS::IAM::Policy"))
    assert "kinesis:GetRecords" in policy
    assert "sqs:SendMessage" in policy


def test_grant_publish():
    stack, _, events = _build()
    producer = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    events.grant_publish(producer)
    template(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": logical_id(producer)}],
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


def test_alarms_dimensions_thresholds_and_rollback():
    stack, fn, events = _build(max_record_age=Duration.minutes(10))
    tpl = template(stack)
    fn_id = logical_id(fn.function)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "IteratorAge",
            "Statistic": "Maximum",
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


def test_iterator_age_threshold_uses_retention_when_age_is_unbounded():
    stack, _, _ = _build(max_record_age=None, retention_period=Duration.hours(48))
    template(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "IteratorAge", "Threshold": 48 * 3600 * 1000 / 2}
    )


def test_capacity_report():
    stack, _, events = _build(
        shard_count=4,
        parallelization_factor=2,
        batch_size=100,
        retry_attempts=5,
        record_duration=Duration.millis(50),
    )
    capacity = events.capacity
    assert capacity.max_concurrent_invocations == 8
    assert capacity.per_key_records_per_second == 20
    assert capacity.max_records_per_second == 160
    # min(1 h, (5 + 1) x (ceil(log2 100) + 1 = 8) x 30 s = 1440 s)
    assert capacity.poison_stall_seconds == 1440
    infos = Annotations.from_stack(stack).find_info(
        "/TestStack/Events", Match.string_like_regexp("max concurrency 8")
    )
    assert len(infos) == 1


def test_capacity_defaults_record_duration_to_timeout_over_batch():
    _, _, events = _build(batch_size=10)
    assert events.capacity.record_duration_seconds == 3.0


def test_gradual_rollout_warns_all_at_once_does_not():
    stack = new_stack()
    canary = _consumer(stack)
    KinesisOrderedConsumer(stack, "Canaried", consumer=canary)
    at_once = SafeFunction(stack, "AtOnce", **function_kwargs(), rollout=Rollout.all_at_once())
    KinesisOrderedConsumer(stack, "Direct", consumer=at_once)
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("shifts gradually")
    )
    assert [w.id for w in warnings] == ["/TestStack/Canaried"]


def test_existing_l2_stream_is_used_and_read():
    stack = new_stack()
    stream = kinesis.Stream(stack, "Mine", shard_count=3, retention_period=Duration.hours(48))
    events = KinesisOrderedConsumer(
        stack, "Events", consumer=_consumer(stack), stream=stream, max_record_age=Duration.hours(30)
    )
    template(stack).resource_count_is("AWS::Kinesis::Stream", 1)
    assert events.stream is stream
    assert events.capacity.max_concurrent_invocations == 3


def test_imported_stream_has_unknown_capacity():
    stack = new_stack()
    stream = kinesis.Stream.from_stream_arn(
        stack, "Imported", "arn:aws:kinesis:eu-west-1:123456789012:stream/s"
    )
    events = KinesisOrderedConsumer(stack, "Events", consumer=_consumer(stack), stream=stream)
    template(stack).resource_count_is("AWS::Kinesis::Stream", 0)
    assert events.capacity.max_concurrent_invocations is None


@pytest.mark.parametrize(
    ("argument", "value"), [("shard_count", 2), ("retention_period", Duration.hours(48))]
)
def test_created_stream_settings_conflict_with_an_existing_stream(argument, value):
    stack = new_stack()
    stream = kinesis.Stream(stack, "Mine")
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Events\] {argument}=.* expected no value when stream= is given",
    ):
        KinesisOrderedConsumer(
            stack, "Events", consumer=_consumer(stack), stream=stream, **{argument: value}
        )


def test_existing_standard_dead_letter_queue_is_used():
    stack = new_stack()
    dlq = sqs.Queue(stack, "Failures")
    events = KinesisOrderedConsumer(
        stack, "Events", consumer=_consumer(stack), dead_letter_queue=dlq
    )
    assert events.dead_letter_queue is dlq
    template(stack).resource_count_is("AWS::SQS::Queue", 1)


def test_fifo_failure_destination_is_rejected():
    stack = new_stack()
    dlq = sqs.Queue(stack, "Failures", fifo=True)
    with pytest.raises(
        ConfigurationError,
        match=r"dead_letter_queue='TestStack/Failures' is not allowed: "
        r"expected a standard SQS queue",
    ):
        KinesisOrderedConsumer(stack, "Events", consumer=_consumer(stack), dead_letter_queue=dlq)


def test_removal_policy_applies_to_created_resources():
    stack, _, _ = _build(removal_policy=RemovalPolicy.DESTROY)
    tpl = template(stack)
    tpl.has_resource("AWS::Kinesis::Stream", {"DeletionPolicy": "Delete"})
    tpl.has_resource("AWS::SQS::Queue", {"DeletionPolicy": "Delete"})


# --- consumer kinds ------------------------------------------------------------------------


def test_alias_and_version_consumers_are_accepted():
    stack = new_stack()
    fn = lambda_.Function(stack, "Plain", **function_kwargs())
    alias = lambda_.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    by_alias = KinesisOrderedConsumer(stack, "ByAlias", consumer=alias)
    by_version = KinesisOrderedConsumer(stack, "ByVersion", consumer=fn.current_version)
    assert by_alias.consumer.safe_function is None
    assert by_version.consumer.timeout_seconds == 3
    template(stack).resource_count_is("AWS::Lambda::EventSourceMapping", 2)


def test_unqualified_function_is_rejected_with_the_reason():
    stack = new_stack()
    fn = lambda_.Function(stack, "Plain", **function_kwargs())
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/Events\] consumer='<Function TestStack/Plain>' is not allowed: "
        r"expected a SafeFunction, a lambda.IAlias or a lambda.IVersion. "
        r".*invokes \$LATEST and bypasses the alias",
    ):
        KinesisOrderedConsumer(stack, "Events", consumer=fn)  # type: ignore[arg-type]


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "good", "bad", "allowed"),
    [
        ("batch_size", [1, 10_000], [0, 10_001, 2.5], "a whole number from 1 to 10000"),
        ("parallelization_factor", [1, 10], [0, 11], "a whole number from 1 to 10"),
        ("retry_attempts", [-1, 0, 10_000], [-2, 10_001], "a whole number from -1 to 10000"),
        ("shard_count", [1, 200], [0, -1], "a whole number of at least 1"),
        (
            "max_batching_window",
            [Duration.seconds(0), Duration.seconds(300)],
            [Duration.seconds(301)],
            "a Duration from 0 seconds to 5 minutes",
        ),
        (
            "tumbling_window",
            [Duration.seconds(0), Duration.seconds(900)],
            [Duration.seconds(901)],
            "a Duration from 0 seconds to 15 minutes",
        ),
        (
            "max_record_age",
            [Duration.seconds(60), Duration.hours(24)],
            [Duration.seconds(59), Duration.seconds(604_801)],
            "a Duration from 1 minute to 7 days",
        ),
        (
            "retention_period",
            [Duration.hours(24), Duration.days(365)],
            [Duration.hours(23), Duration.days(366)],
            "a Duration from 1 day to 365 days",
        ),
    ],
)
def test_ranges_both_sides(argument, good, bad, allowed):
    for value in good:
        _build(**{argument: value})
    for value in bad:
        with pytest.raises(
            ConfigurationError,
            match=rf"\[TestStack/Events\] {argument}=.* is not allowed: expected {allowed}",
        ):
            _build(**{argument: value})


def test_seven_day_record_age_needs_seven_day_retention():
    _build(max_record_age=Duration.days(7), retention_period=Duration.days(7))
    with pytest.raises(
        ConfigurationError,
        match=r"max_record_age=<7 days> is not allowed: "
        r"expected at most the stream retention \(24 hours\)",
    ):
        _build(max_record_age=Duration.days(7))


def test_retries_and_age_cannot_both_be_unbounded():
    _build(retry_attempts=-1)  # age bounded
    _build(max_record_age=None, retry_attempts=10)  # retries bounded
    with pytest.raises(
        ConfigurationError,
        match=r"retry_attempts=-1 is not allowed: "
        r"expected a finite number .* when max_record_age is None",
    ):
        _build(retry_attempts=-1, max_record_age=None)


def test_only_trim_horizon_or_latest():
    _build(starting_position=lambda_.StartingPosition.LATEST)
    with pytest.raises(
        ConfigurationError, match=r"starting_position=.* expected TRIM_HORIZON or LATEST"
    ):
        _build(starting_position=lambda_.StartingPosition.AT_TIMESTAMP)


def test_unresolved_numbers_are_accepted():
    _build(batch_size=Token.as_number({"Ref": "Batch"}))


def test_imported_function_version_warns_that_its_timeout_is_unknown():
    from constructs_pkg import FifoOrderedConsumer

    stack = new_stack()
    version = lambda_.Version.from_version_arn(
        stack, "Imported", "arn:aws:lambda:eu-west-1:123456789012:function:worker:3"
    )
    events = KinesisOrderedConsumer(stack, "Events", consumer=version)
    FifoOrderedConsumer(stack, "Jobs", consumer=version)
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("timeout cannot be read")
    )
    assert sorted(w.id for w in warnings) == ["/TestStack/Events", "/TestStack/Jobs"]
    assert events.consumer.timeout_seconds is None
    no_role = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("without a role")
    )
    assert sorted(w.id for w in no_role) == [
        "/TestStack/Events",
        "/TestStack/Events",
        "/TestStack/Jobs",
    ]


@pytest.mark.parametrize(
    ("argument", "good", "bad", "unit"),
    [
        ("max_record_age", Duration.seconds(61), Duration.millis(60_500), "seconds"),
        ("max_batching_window", Duration.seconds(1), Duration.millis(500), "seconds"),
        ("tumbling_window", Duration.seconds(2), Duration.millis(1500), "seconds"),
        ("retention_period", Duration.hours(25), Duration.minutes(24 * 60 + 30), "hours"),
    ],
)
def test_durations_in_whole_units(argument, good, bad, unit):
    _build(**{argument: good})
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Events\] {argument}=.* is not allowed: .*, in whole {unit}",
    ):
        _build(**{argument: bad})
