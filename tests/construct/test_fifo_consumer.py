"""FifoOrderedConsumer synthesized and asserted: defaults, alarms, queues, FIFO-only rules.

Every way the arguments can be wrong (bounds, whole units, tokens, rules between arguments):
test_consumer_boundaries.py. What both consumers share (options, consumer kinds,
existing-source conflicts): test_consumer_common.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match

from constructs_pkg import FifoOrderedConsumer
from tests.cdk_helpers import logical_id, resources_of
from tests.construct.consumer_helpers import ConsumerApp, plain_alias, worker

VALID_QUEUE_NAMES = ["jobs.fifo", "a" * 75 + ".fifo", "my-queue_1.fifo"]


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


#: Scenario name -> (reserved concurrency of the worker, consumer arguments).
SCENARIOS: dict[str, tuple[int | None, dict[str, Any]]] = {
    "Defaults": (None, {}),
    "HighThroughput": (None, {"high_throughput": True}),
    "Alarms": (None, {"stuck_group_age": Duration.minutes(10)}),
    "Capacity": (30, {"max_concurrency": 20, "record_duration": Duration.millis(250)}),
    "Reserved": (7, {}),
    "ReservedEqual": (20, {"max_concurrency": 20}),
    "Visibility120": (None, {"visibility_timeout": Duration.seconds(120)}),
    "Visibility119": (None, {"visibility_timeout": Duration.seconds(119)}),
    "Receive4": (None, {"max_receive_count": 4}),
    "Receive5": (None, {"max_receive_count": 5}),
    "NoWindow": (None, {"max_batching_window": Duration.seconds(0)}),
}


#: Scenarios whose consumer is a SafeFunction (its alias, its rollback alarms); the others
#: use a plain alias, which synthesizes faster.
RELEASED = {"Defaults", "Alarms"}


@pytest.fixture(scope="module")
def app() -> tuple[ConsumerApp, dict[str, Any]]:
    """Every scenario in one App: name -> (consumer function, consumer) or what it needs."""
    app = ConsumerApp()
    built: dict[str, Any] = {}
    for name, (reserved, arguments) in SCENARIOS.items():
        stack = app.stack(name)
        fn = (
            worker(stack, reserved=reserved)
            if name in RELEASED
            else plain_alias(stack, reserved=reserved)
        )
        built[name] = (fn, FifoOrderedConsumer(stack, "Jobs", consumer=fn, **arguments))

    stack = app.stack("Existing")
    queue, dlq = _existing_queue(stack, visibility=Duration.seconds(60), receive_count=8)
    built["Existing"] = (
        queue,
        dlq,
        FifoOrderedConsumer(stack, "Jobs", consumer=plain_alias(stack), queue=queue),
    )

    stack = app.stack("ExistingDefault")
    queue, _ = _existing_queue(stack)  # no visibility_timeout: SQS's 30 s
    built["ExistingDefault"] = FifoOrderedConsumer(
        stack, "Jobs", consumer=plain_alias(stack), queue=queue
    )

    stack = app.stack("Imported")
    imported = sqs.Queue.from_queue_arn(
        stack, "Imported", "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    )
    built["Imported"] = FifoOrderedConsumer(
        stack, "Jobs", consumer=plain_alias(stack), queue=imported
    )

    stack = app.stack("GivenDlq")
    given = sqs.Queue(stack, "FifoDlq", fifo=True)
    built["GivenDlq"] = (
        given,
        FifoOrderedConsumer(stack, "Jobs", consumer=plain_alias(stack), dead_letter_queue=given),
    )

    stack = app.stack("Grants")
    producer = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    FifoOrderedConsumer(stack, "Jobs", consumer=plain_alias(stack)).grant_send(producer)

    stack = app.stack("QueueNames")
    fn = plain_alias(stack)
    built["QueueNames"] = [
        FifoOrderedConsumer(stack, f"Jobs{i}", consumer=fn, queue_name=name)
        for i, name in enumerate(VALID_QUEUE_NAMES)
    ]
    return app, built


def test_defaults(app):
    app, built = app
    fn, jobs = built["Defaults"]
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
    app, _ = app
    app.template("HighThroughput").has_resource_properties(
        "AWS::SQS::Queue",
        {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )


def test_consumer_can_consume_and_producer_can_send(app):
    app, _ = app
    policies = str(resources_of(app.template("Grants"), "AWS::IAM::Policy"))
    assert "sqs:ReceiveMessage" in policies
    assert "sqs:DeleteMessage" in policies
    assert "sqs:SendMessage" in policies


def test_alarms(app):
    app, built = app
    fn, jobs = built["Alarms"]
    tpl = app.template("Alarms")
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


def test_stuck_group_default_is_three_visibility_timeouts(app):
    app, _ = app
    app.template("Defaults").has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360}
    )


def test_capacity_report(app):
    app, built = app
    _, jobs = built["Capacity"]
    capacity = jobs.capacity
    assert capacity.max_concurrent_invocations == 20
    assert capacity.per_key_records_per_second == 4
    assert capacity.max_records_per_second == 80
    assert capacity.poison_stall_seconds == 5 * 120
    assert "min(active message groups, max_concurrency 20)" in capacity.concurrency_formula
    infos = app.messages("Capacity", "info", "sqs-fifo consumer capacity")
    assert [info.id for info in infos] == ["/Capacity/Jobs"]


def test_capacity_without_max_concurrency_uses_reserved_concurrency(app):
    _, built = app
    _, jobs = built["Reserved"]
    assert jobs.capacity.max_concurrent_invocations == 7


# --- existing queues -----------------------------------------------------------------------


def test_existing_fifo_queue_with_fifo_dlq_is_used_and_checked(app):
    app, built = app
    queue, dlq, jobs = built["Existing"]
    assert jobs.queue is queue
    assert jobs.dead_letter_queue is dlq
    assert jobs.capacity.poison_stall_seconds == 8 * 60
    app.template("Existing").resource_count_is("AWS::SQS::Queue", 2)
    # 60 s < 6 x 20 s: a warning, not an error
    assert len(app.warnings("Existing", "visibility timeout \\(60 s\\) is below 6x")) == 1


def test_existing_queue_default_visibility_is_30_seconds(app):
    _, built = app
    assert built["ExistingDefault"].capacity.poison_stall_seconds == 5 * 30


def test_imported_queue_warns_that_it_cannot_be_checked(app):
    app, built = app
    jobs = built["Imported"]
    assert jobs.dead_letter_queue is None
    assert len(app.warnings("Imported", "The queue is imported")) == 1
    assert jobs.capacity.poison_stall_seconds is None
    assert "unknown" in jobs.capacity.poison_stall_formula
    # stuck-group threshold assumes the visibility this construct would create: 3 x 6 x 20 s
    app.template("Imported").has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 360}
    )


def test_given_fifo_dead_letter_queue_is_the_redrive_target(app):
    app, built = app
    given, jobs = built["GivenDlq"]
    assert jobs.dead_letter_queue is given
    queue = app.resources("GivenDlq")[logical_id(jobs.queue)]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": [logical_id(given), "Arn"]
    }
    app.template("GivenDlq").resource_count_is("AWS::SQS::Queue", 2)


# --- FIFO-only rules -------------------------------------------------------------------------


def test_max_concurrency_may_equal_reserved_concurrency(app):
    app, _ = app
    app.template("ReservedEqual").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"ScalingConfig": {"MaximumConcurrency": 20}}
    )


def test_visibility_timeout_warns_below_six_times_the_timeout(app):
    app, _ = app
    assert not app.warnings("Visibility120", "visibility timeout")
    assert len(app.warnings("Visibility119", "visibility timeout \\(119 s\\) is below 6x")) == 1


def test_low_receive_count_warns(app):
    app, _ = app
    assert len(app.warnings("Receive4", "max_receive_count is 4")) == 1
    assert not app.warnings("Receive5", "max_receive_count")


def test_zero_batching_window_is_accepted_and_not_emitted(app):
    app, _ = app
    app.template("NoWindow").has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"MaximumBatchingWindowInSeconds": Match.absent()}
    )


def test_valid_queue_names(app):
    app, built = app
    resources = app.resources("QueueNames")
    names = [resources[logical_id(c.queue)]["Properties"]["QueueName"] for c in built["QueueNames"]]
    assert names == VALID_QUEUE_NAMES
