"""Snapshots of normalized templates: the sample app and each SafeFunction variant.

Update after an intended change with ``.venv/bin/pytest tests/snapshot --snapshot-update``.
"""

from __future__ import annotations

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_pkg import RollbackAlarms, Rollout, SafeFunction, SmokeTest
from sample_app.app import build
from tests.cdk_helpers import TEST_ENV, function_kwargs, new_app


@pytest.fixture(scope="module")
def sample_stacks() -> list[Stack]:
    return build(new_app())


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
