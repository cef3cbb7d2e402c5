"""FifoOrderedConsumer synthesized: defaults, alarms, queues (map: consumer_helpers.py)."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from constructs_pkg import FifoOrderedConsumer
from tests.cdk_helpers import logical_id, resources_of
from tests.construct.consumer_helpers import (
    Scenario,
    producer_role,
    queue_dimensions,
    scenario_fixture,
    sqs_alarm,
)

QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
VALID_QUEUE_NAMES = ["jobs.fifo", "a" * 75 + ".fifo", "my-queue_1.fifo"]


def _existing_queue(stack, *, visibility=None, receive_count=5):
    """An L2 FIFO queue ``Mine`` with a FIFO dead-letter queue ``Dlq``, as a user brings it."""
    dlq = sqs.Queue(stack, "Dlq", fifo=True)
    return sqs.Queue(
        stack,
        "Mine",
        fifo=True,
        visibility_timeout=visibility,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=receive_count),
    )


SCENARIOS = {
    "Defaults": Scenario(released=True),
    "Alarms": Scenario({"stuck_group_age": Duration.minutes(10)}, released=True),
    "HighThroughput": Scenario({"high_throughput": True}),
    "Grants": Scenario(then=lambda stack, consumer: consumer.grant_send(producer_role(stack))),
    "Reserved": Scenario(reserved=7),
    "ReservedEqual": Scenario({"max_concurrency": 20}, reserved=20),
    "Visibility120": Scenario({"visibility_timeout": Duration.seconds(120)}),
    "Visibility119": Scenario({"visibility_timeout": Duration.seconds(119)}),
    "Receive4": Scenario({"max_receive_count": 4}),
    "Receive5": Scenario({"max_receive_count": 5}),
    "NoWindow": Scenario({"max_batching_window": Duration.seconds(0)}),
    "Existing": Scenario(
        {"queue": lambda s: _existing_queue(s, visibility=Duration.seconds(60), receive_count=8)}
    ),
    "ExistingDefault": Scenario({"queue": _existing_queue}),  # SQS's 30 s visibility
    "Imported": Scenario({"queue": lambda s: sqs.Queue.from_queue_arn(s, "Imported", QUEUE_ARN)}),
    "GivenDlq": Scenario({"dead_letter_queue": lambda s: sqs.Queue(s, "FifoDlq", fifo=True)}),
    **{f"QueueName{i}": Scenario({"queue_name": name}) for i, name in enumerate(VALID_QUEUE_NAMES)},
}


app = scenario_fixture(FifoOrderedConsumer, SCENARIOS)


def test_defaults(app):
    fn, jobs = app.built["Defaults"]
    tpl = app.template("Defaults")
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
    # 6x is the default: no visibility-timeout warning
    assert not app.warnings("Defaults", "visibility timeout")


def test_high_throughput_mode(app):
    app.template("HighThroughput").has_resource_properties(
        "AWS::SQS::Queue",
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )


def test_consumer_can_consume_and_producer_can_send(app):
    policies = str(resources_of(app.template("Grants"), "AWS::IAM::Policy"))
    assert "sqs:ReceiveMessage" in policies
    assert "sqs:DeleteMessage" in policies
    assert "sqs:SendMessage" in policies


def test_failed_messages_alarm_watches_dead_letter_queue_growth(app):
    _, jobs = app.built["Alarms"]
    visible = {
        "Id": "visible",
        "MetricStat": {
            "Metric": {
                "Dimensions": queue_dimensions(jobs.dead_letter_queue),
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Namespace": "AWS/SQS",
            },
            "Period": 60,
            "Stat": "Maximum",
        },
    }
    app.has_alarm(
        "Alarms",
        {
            "Threshold": 0,
            "Metrics": Match.array_with(
                [
                    Match.object_like({"Expression": "DIFF(visible)", "ReturnData": True}),
                    Match.object_like(visible),
                ]
            ),
        },
    )


def test_stuck_group_alarm_watches_the_oldest_message(app):
    _, jobs = app.built["Alarms"]
    app.has_alarm("Alarms", sqs_alarm("ApproximateAgeOfOldestMessage", "Maximum", 600, jobs.queue))


def test_stuck_group_default_is_three_visibility_timeouts(app):
    app.has_alarm("Defaults", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360})


def test_capacity_without_max_concurrency_uses_reserved_concurrency(app):
    _, jobs = app.built["Reserved"]
    assert jobs.capacity.max_concurrent_invocations == 7


# --- existing queues -----------------------------------------------------------------------


def test_existing_fifo_queue_with_fifo_dlq_is_used_and_checked(app):
    _, jobs = app.built["Existing"]
    stack = app.stacks["Existing"]
    assert jobs.queue is stack.node.find_child("Mine")
    assert jobs.dead_letter_queue is stack.node.find_child("Dlq")
    assert jobs.capacity.poison_stall_seconds == 8 * 60
    app.template("Existing").resource_count_is("AWS::SQS::Queue", 2)
    # 60 s < 6 x 20 s: a warning, not an error
    assert len(app.warnings("Existing", "visibility timeout \\(60 s\\) is below 6x")) == 1


def test_existing_queue_default_visibility_is_30_seconds(app):
    _, jobs = app.built["ExistingDefault"]
    assert jobs.capacity.poison_stall_seconds == 5 * 30


def test_imported_queue_warns_that_it_cannot_be_checked(app):
    _, jobs = app.built["Imported"]
    assert jobs.dead_letter_queue is None
    assert len(app.warnings("Imported", "The queue is imported")) == 1
    assert jobs.capacity.poison_stall_seconds is None
    assert "unknown" in jobs.capacity.poison_stall_formula
    # stuck-group threshold assumes the visibility this construct would create: 3 x 6 x 20 s
    app.has_alarm("Imported", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360})


def test_given_fifo_dead_letter_queue_is_the_redrive_target(app):
    _, jobs = app.built["GivenDlq"]
    given = app.stacks["GivenDlq"].node.find_child("FifoDlq")
    assert jobs.dead_letter_queue is given
    queue = app.resources("GivenDlq")[logical_id(jobs.queue)]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": [logical_id(given), "Arn"]
    }
    app.template("GivenDlq").resource_count_is("AWS::SQS::Queue", 2)


# --- FIFO-only rules -------------------------------------------------------------------------


def test_max_concurrency_may_equal_reserved_concurrency(app):
    app.template("ReservedEqual").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"ScalingConfig": {"MaximumConcurrency": 20}}
    )


def test_visibility_timeout_warns_below_six_times_the_timeout(app):
    assert not app.warnings("Visibility120", "visibility timeout")
    assert len(app.warnings("Visibility119", "visibility timeout \\(119 s\\) is below 6x")) == 1


def test_low_receive_count_warns(app):
    assert len(app.warnings("Receive4", "max_receive_count is 4")) == 1
    assert not app.warnings("Receive5", "max_receive_count")


def test_zero_batching_window_is_accepted_and_not_emitted(app):
    app.template("NoWindow").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"MaximumBatchingWindowInSeconds": Match.absent()}
    )


@pytest.mark.parametrize("index", range(len(VALID_QUEUE_NAMES)))
def test_valid_queue_names(app, index):
    name = f"QueueName{index}"
    _, jobs = app.built[name]
    queue = app.resources(name)[logical_id(jobs.queue)]["Properties"]
    assert queue["QueueName"] == VALID_QUEUE_NAMES[index]
