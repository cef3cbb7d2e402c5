"""Snapshots of normalized templates: the sample app and each SafeFunction variant.

Update after an intended change with ``.venv/bin/pytest tests/snapshot --snapshot-update``.
"""

from __future__ import annotations

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_sqs as sqs

from constructs_pkg import (
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    RollbackAlarms,
    Rollout,
    SafeFunction,
    SmokeTest,
)
from constructs_pkg.testing import assert_no_cfn_lint_errors
from tests.cdk_helpers import TEST_ENV, function_kwargs, new_app


def test_sample_app(sample_stacks, cdk_snapshot):
    for stack in sample_stacks:
        assert stack == cdk_snapshot(name=stack.stack_name)


@pytest.fixture(scope="module")
def variants() -> dict[str, Stack]:
    """Every variant in one App, built before the first synthesis."""
    app = new_app()
    hotfix_app = new_app(context={"constructs_pkg:hotfix": "true"})
    stacks = {
        name: Stack(app if name != "Hotfix" else hotfix_app, name, env=TEST_ENV)
        for name in ("Minimal", "Complete", "Hotfix")
    }
    SafeFunction(stacks["Minimal"], "Fn", **function_kwargs())

    complete = stacks["Complete"]
    fn = SafeFunction(
        complete,
        "Fn",
        **function_kwargs(timeout=Duration.seconds(30), memory_size=1024),
        alias_name="prod",
        rollout=Rollout.linear(percent=20, every=Duration.minutes(3)),
        alarms=RollbackAlarms(
            error_rate_percent=5,
            min_errors=10,
            p99_latency=Duration.seconds(20),
            throttles=10,
            period=Duration.minutes(1),
            extra=[cloudwatch.Alarm.from_alarm_name(complete, "Upstream", "upstream-5xx")],
        ),
        smoke_test=SmokeTest(payload={"ping": True}, expect={"ok": True}),
        post_traffic_test=SmokeTest(payload={"check": "post"}),
        deployment_group_name="complete-fn",
    )
    for i in range(8):  # 3 generated + 1 extra + 8 = 12 alarms: the last slot is a composite
        fn.add_rollback_alarm(cloudwatch.Alarm.from_alarm_name(complete, f"More{i}", f"more-{i}"))

    SafeFunction(stacks["Hotfix"], "Fn", **function_kwargs(), smoke_test=SmokeTest(payload={}))
    return stacks


@pytest.mark.parametrize("name", ["Minimal", "Complete", "Hotfix"])
def test_variant(variants, name, cdk_snapshot):
    assert variants[name] == cdk_snapshot


@pytest.fixture(scope="module")
def consumer_variants() -> dict[str, Stack]:
    """Each ordered consumer with a created and with an imported source."""
    app = new_app()
    names = ("KinesisCreated", "KinesisImported", "FifoCreated", "FifoImported")
    stacks = {name: Stack(app, name, env=TEST_ENV) for name in names}

    def consumer(stack: Stack) -> SafeFunction:
        return SafeFunction(
            stack,
            "Consumer",
            **function_kwargs(timeout=Duration.seconds(30)),
            rollout=Rollout.all_at_once(),
        )

    KinesisOrderedConsumer(
        stacks["KinesisCreated"],
        "Events",
        consumer=consumer(stacks["KinesisCreated"]),
        shard_count=4,
        parallelization_factor=2,
        retry_attempts=5,
        max_record_age=Duration.hours(1),
    )
    imported_stream = kinesis.Stream.from_stream_arn(
        stacks["KinesisImported"], "Stream", "arn:aws:kinesis:eu-west-1:123456789012:stream/events"
    )
    KinesisOrderedConsumer(
        stacks["KinesisImported"],
        "Events",
        consumer=consumer(stacks["KinesisImported"]),
        stream=imported_stream,
    )
    FifoOrderedConsumer(
        stacks["FifoCreated"],
        "Jobs",
        consumer=consumer(stacks["FifoCreated"]),
        max_concurrency=20,
        high_throughput=True,
    )
    imported_queue = sqs.Queue.from_queue_arn(
        stacks["FifoImported"], "Queue", "arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"
    )
    FifoOrderedConsumer(
        stacks["FifoImported"],
        "Jobs",
        consumer=consumer(stacks["FifoImported"]),
        queue=imported_queue,
    )
    return stacks


@pytest.mark.parametrize(
    "name", ["KinesisCreated", "KinesisImported", "FifoCreated", "FifoImported"]
)
def test_consumer_variant(consumer_variants, name, cdk_snapshot):
    assert consumer_variants[name] == cdk_snapshot


def test_every_variant_is_cfn_lint_clean(variants, consumer_variants):
    for stack in [*variants.values(), *consumer_variants.values()]:
        assert_no_cfn_lint_errors(stack, regions=["eu-west-1"])
