"""FifoOrderedConsumer synthesized and asserted: defaults, alarms, every rule."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match

from constructs_pkg import ConfigurationError, FifoOrderedConsumer, SafeFunction
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of, template


def _consumer(stack, reserved=None):
    return SafeFunction(
        stack,
        "Worker",
        **function_kwargs(timeout=Duration.seconds(20), reserved_concurrent_executions=reserved),
    )


def _build(reserved=None, **kwargs):
    stack = new_stack()
    fn = _consumer(stack, reserved)
    return stack, fn, FifoOrderedConsumer(stack, "Jobs", consumer=fn, **kwargs)


def _warnings(stack, pattern):
    return Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(pattern))


def test_defaults():
    stack, fn, jobs = _build()
    tpl = template(stack)
    dlq_id = logical_id(jobs.dead_letter_queue)
    tpl.has_resource(
        "AWS::SQS::Queue",
        {
            "Properties": {
                "FifoQueue": True,
                "ContentBasedDeduplication": True,
                "SqsManagedSseEnabled": True,
                "VisibilityTimeout": 120,  # 6 x the 20 s timeout
                "MessageRetentionPeriod": 345600,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                    "maxReceiveCount": 5,
                },
            },
            "DeletionPolicy": "Retain",
        },
    )
    tpl.has_resource(
        "AWS::SQS::Queue",
        {
            "Properties": {
                "FifoQueue": True,
                "MessageRetentionPeriod": 1209600,
                "SqsManagedSseEnabled": True,
            },
            "DeletionPolicy": "Retain",
        },
    )
    tpl.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "EventSourceArn": {"Fn::GetAtt": [logical_id(jobs.queue), "Arn"]},
            "ScalingConfig": Match.absent(),
            "MaximumBatchingWindowInSeconds": Match.absent(),
            "FunctionName": {
                "Fn::Join": [
                    "",
                    [
                        {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": logical_id(fn.alias)}]}]},
                        ":live",
                    ],
                ]
            },
        },
    )
    # only the visibility-timeout warning is absent: 6x is the default
    assert not _warnings(stack, "visibility timeout")


def test_high_throughput_mode():
    stack, _, _ = _build(high_throughput=True)
    template(stack).has_resource_properties(
        "AWS::SQS::Queue",
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )


def test_consumer_can_consume_and_producer_can_send():
    stack, _fn, jobs = _build()
    producer = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    jobs.grant_send(producer)
    policies = str(resources_of(template(stack), "AWS::IAM::Policy"))
    assert "sqs:ReceiveMessage" in policies
    assert "sqs:DeleteMessage" in policies
    assert "sqs:SendMessage" in policies


def test_alarms():
    stack, fn, jobs = _build(stuck_group_age=Duration.minutes(10))
    tpl = template(stack)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 0,
            "Metrics": Match.array_with(
                [
                    Match.object_like({"Expression": "DIFF(visible)", "ReturnData": True}),
                    Match.object_like(
                        {
                            "Id": "visible",
                            "MetricStat": {
                                "Metric": {
                                    "Dimensions": [
                                        {
                                            "Name": "QueueName",
                                            "Value": {
                                                "Fn::GetAtt": [
                                                    logical_id(jobs.dead_letter_queue),
                                                    "QueueName",
                                                ]
                                            },
                                        }
                                    ],
                                    "MetricName": "ApproximateNumberOfMessagesVisible",
                                    "Namespace": "AWS/SQS",
                                },
                                "Period": 60,
                                "Stat": "Maximum",
                            },
                        }
                    ),
                ]
            ),
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateAgeOfOldestMessage",
            "Statistic": "Maximum",
            "Threshold": 600,
            "Dimensions": [
                {
                    "Name": "QueueName",
                    "Value": {"Fn::GetAtt": [logical_id(jobs.queue), "QueueName"]},
                }
            ],
        },
    )
    assert [a.node.id for a in jobs.alarms] == ["FailedMessages", "StuckGroup"]
    assert jobs.alarms[0] in fn.rollback_alarms
    assert jobs.alarms[1] not in fn.rollback_alarms


def test_stuck_group_default_is_three_visibility_timeouts():
    stack, _, _ = _build()
    template(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360}
    )


def test_capacity_report():
    stack, _, jobs = _build(reserved=30, max_concurrency=20, record_duration=Duration.millis(250))
    capacity = jobs.capacity
    assert capacity.max_concurrent_invocations == 20
    assert capacity.per_key_records_per_second == 4
    assert capacity.max_records_per_second == 80
    assert capacity.poison_stall_seconds == 5 * 120
    assert "min(active message groups, max_concurrency 20)" in capacity.concurrency_formula
    assert Annotations.from_stack(stack).find_info(
        "/TestStack/Jobs", Match.string_like_regexp("sqs-fifo consumer capacity")
    )


def test_capacity_without_max_concurrency_uses_reserved_concurrency():
    _, _, jobs = _build(reserved=7)
    assert jobs.capacity.max_concurrent_invocations == 7


# --- existing queues -----------------------------------------------------------------------


def _existing_queue(stack, *, visibility=None, receive_count=5):
    """An L2 FIFO queue with a FIFO dead-letter queue, as a user would bring it."""
    dlq = sqs.Queue(stack, "Dlq", fifo=True)
    queue = sqs.Queue(
        stack,
        "Mine",
        fifo=True,
        visibility_timeout=visibility,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=receive_count),
    )
    return queue, dlq


def test_existing_fifo_queue_with_fifo_dlq_is_used_and_checked():
    stack = new_stack()
    queue, dlq = _existing_queue(stack, visibility=Duration.seconds(60), receive_count=8)
    jobs = FifoOrderedConsumer(stack, "Jobs", consumer=_consumer(stack), queue=queue)
    assert jobs.queue is queue
    assert jobs.dead_letter_queue is dlq
    assert jobs.capacity.poison_stall_seconds == 8 * 60
    template(stack).resource_count_is("AWS::SQS::Queue", 2)
    # 60 s < 6 x 20 s: a warning, not an error
    assert len(_warnings(stack, "visibility timeout \\(60 s\\) is below 6x")) == 1


def test_existing_queue_with_visibility_below_timeout_is_an_error():
    stack = new_stack()
    queue, _ = _existing_queue(stack, visibility=Duration.seconds(19))
    with pytest.raises(
        ConfigurationError,
        match=r"visibility_timeout=<19 seconds> is not allowed: "
        r"expected at least the function timeout \(20 seconds\)",
    ):
        FifoOrderedConsumer(stack, "Jobs", consumer=_consumer(stack), queue=queue)


def test_existing_queue_default_visibility_is_30_seconds():
    stack = new_stack()
    queue, _ = _existing_queue(stack)  # no visibility_timeout: SQS's 30 s
    jobs = FifoOrderedConsumer(stack, "Jobs", consumer=_consumer(stack), queue=queue)
    assert jobs.capacity.poison_stall_seconds == 150


def test_standard_queue_is_rejected():
    stack = new_stack()
    with pytest.raises(
        ConfigurationError,
        match=r"queue='TestStack/Standard' is not allowed: expected a FIFO queue",
    ):
        FifoOrderedConsumer(
            stack, "Jobs", consumer=_consumer(stack), queue=sqs.Queue(stack, "Standard")
        )


def test_fifo_queue_without_dlq_is_rejected():
    stack = new_stack()
    with pytest.raises(
        ConfigurationError,
        match=r"queue='TestStack/Mine' is not allowed: "
        r"expected a queue with a FIFO dead-letter queue",
    ):
        FifoOrderedConsumer(
            stack, "Jobs", consumer=_consumer(stack), queue=sqs.Queue(stack, "Mine", fifo=True)
        )


def test_imported_queue_warns_that_it_cannot_be_checked():
    stack = new_stack()
    queue = sqs.Queue.from_queue_arn(
        stack, "Imported", "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    )
    jobs = FifoOrderedConsumer(stack, "Jobs", consumer=_consumer(stack), queue=queue)
    assert jobs.dead_letter_queue is None
    assert len(_warnings(stack, "The queue is imported")) == 1
    assert jobs.capacity.poison_stall_seconds is None
    assert "unknown" in jobs.capacity.poison_stall_formula
    # stuck-group threshold assumes the visibility this construct would create: 3 x 6 x 20 s
    template(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360}
    )


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("queue_name", "x.fifo"),
        ("max_receive_count", 5),
        ("visibility_timeout", Duration.minutes(2)),
        ("content_based_deduplication", False),
        ("high_throughput", True),
    ],
)
def test_created_queue_settings_conflict_with_an_existing_queue(argument, value):
    stack = new_stack()
    queue = sqs.Queue.from_queue_arn(
        stack, "Imported", "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    )
    with pytest.raises(
        ConfigurationError, match=rf"{argument}=.* expected no value when queue= is given"
    ):
        FifoOrderedConsumer(
            stack, "Jobs", consumer=_consumer(stack), queue=queue, **{argument: value}
        )


def test_given_dead_letter_queue_must_be_fifo():
    stack = new_stack()
    worker = _consumer(stack)
    FifoOrderedConsumer(
        stack,
        "Ok",
        consumer=worker,
        dead_letter_queue=sqs.Queue(stack, "FifoDlq", fifo=True),
    )
    with pytest.raises(
        ConfigurationError,
        match=r"dead_letter_queue='TestStack/StdDlq' is not allowed: expected a FIFO queue",
    ):
        FifoOrderedConsumer(
            stack,
            "Jobs",
            consumer=worker,
            dead_letter_queue=sqs.Queue(stack, "StdDlq"),
        )


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "good", "bad", "allowed"),
    [
        ("batch_size", [1, 10], [0, 11], "a whole number from 1 to 10"),
        ("max_concurrency", [2, 1000], [1, 1001], "a whole number from 2 to 1000"),
        ("max_receive_count", [1, 1000], [0, 1001], "a whole number from 1 to 1000"),
        (
            "visibility_timeout",
            [Duration.seconds(20), Duration.hours(12)],
            [Duration.seconds(43_201)],
            "a Duration from 0 seconds to 12 hours",
        ),
        (
            "stuck_group_age",
            [Duration.minutes(1)],
            [Duration.seconds(59)],
            "a Duration of at least 1 minute",
        ),
    ],
)
def test_ranges_both_sides(argument, good, bad, allowed):
    for value in good:
        _build(**{argument: value})
    for value in bad:
        with pytest.raises(
            ConfigurationError,
            match=rf"\[TestStack/Jobs\] {argument}=.* is not allowed: expected {allowed}",
        ):
            _build(**{argument: value})


def test_max_concurrency_cannot_exceed_reserved_concurrency():
    _build(reserved=20, max_concurrency=20)
    with pytest.raises(
        ConfigurationError,
        match=r"max_concurrency=21 is not allowed: "
        r"expected at most the function's reserved concurrency \(20\)",
    ):
        _build(reserved=20, max_concurrency=21)


def test_visibility_timeout_rules():
    stack, _, _ = _build(visibility_timeout=Duration.seconds(120))
    assert not _warnings(stack, "visibility timeout")
    stack, _, _ = _build(visibility_timeout=Duration.seconds(119))
    assert len(_warnings(stack, "visibility timeout \\(119 s\\) is below 6x")) == 1
    with pytest.raises(
        ConfigurationError,
        match=r"visibility_timeout=<19 seconds> .* at least the function timeout",
    ):
        _build(visibility_timeout=Duration.seconds(19))


def test_low_receive_count_warns():
    stack, _, _ = _build(max_receive_count=4)
    assert len(_warnings(stack, "max_receive_count is 4")) == 1
    stack, _, _ = _build(max_receive_count=5)
    assert not _warnings(stack, "max_receive_count")


def test_batching_window_is_rejected_not_dropped():
    _build(max_batching_window=Duration.seconds(0))
    with pytest.raises(
        ConfigurationError,
        match=r"max_batching_window=<1 second> is not allowed: expected no batching window",
    ):
        _build(max_batching_window=Duration.seconds(1))


@pytest.mark.parametrize("name", ["jobs.fifo", "a" * 75 + ".fifo", "my-queue_1.fifo"])
def test_valid_queue_names(name):
    stack, _, _ = _build(queue_name=name)
    template(stack).has_resource_properties("AWS::SQS::Queue", {"QueueName": name})


@pytest.mark.parametrize(
    "name", ["jobs", "jobs.FIFO", "a" * 76 + ".fifo", "has space.fifo", ".fifo"]
)
def test_invalid_queue_names(name):
    with pytest.raises(
        ConfigurationError,
        match=r"queue_name=.* expected 1-75 letters, digits, '-' or '_' followed by '.fifo'",
    ):
        _build(queue_name=name)


def test_removal_policy_applies_to_created_queues():
    stack, _, _ = _build(removal_policy=RemovalPolicy.DESTROY)
    for queue in resources_of(template(stack), "AWS::SQS::Queue").values():
        assert queue["DeletionPolicy"] == "Delete"


def test_unresolved_numbers_are_accepted():
    _build(batch_size=Token.as_number({"Ref": "Batch"}))


@pytest.mark.parametrize(
    ("argument", "good", "bad"),
    [
        ("visibility_timeout", Duration.seconds(121), Duration.millis(120_500)),
        ("stuck_group_age", Duration.seconds(61), Duration.millis(60_500)),
    ],
)
def test_durations_in_whole_seconds(argument, good, bad):
    _build(**{argument: good})
    with pytest.raises(
        ConfigurationError,
        match=rf"\[TestStack/Jobs\] {argument}=.* is not allowed: .*, in whole seconds",
    ):
        _build(**{argument: bad})
