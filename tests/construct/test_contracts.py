"""add_producer: exact grants, documented environment, consumers-first order, clear errors."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import (
    ConfigurationError,
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    SafeFunction,
)
from constructs_pkg._text import upper_snake
from tests.cdk_helpers import function_kwargs, logical_id, new_stack, resources_of, template


def _pair(kind="kinesis", **consumer_kwargs):
    stack = new_stack()
    consumer_fn = SafeFunction(stack, "Projector", **function_kwargs(timeout=Duration.seconds(30)))
    producer = SafeFunction(stack, "Orders", **function_kwargs())
    cls = KinesisOrderedConsumer if kind == "kinesis" else FifoOrderedConsumer
    consumer = cls(stack, "OrderEvents", consumer=consumer_fn, **consumer_kwargs)
    return stack, consumer_fn, producer, consumer


def _producer_policy(tpl, producer):
    role_id = logical_id(producer.function.role)
    return next(
        p
        for p in resources_of(tpl, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    )


def test_kinesis_producer_gets_exactly_put_record_env_and_order():
    stack, consumer_fn, producer, events = _pair(accepted_format_versions=(1, 2))
    events.add_producer(producer, format_version=2)
    tpl = template(stack)
    statements = _producer_policy(tpl, producer)["Properties"]["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(events.stream), "Arn"]},
        }
    ]
    tpl.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "ORDER_EVENTS_STREAM_NAME": {"Ref": logical_id(events.stream)},
                    "ORDER_EVENTS_FORMAT_VERSION": "2",
                }
            }
        },
    )
    producer_alias = resources_of(tpl, "AWS::Lambda::Alias")[logical_id(producer.alias)]
    assert producer_alias["DependsOn"] == [logical_id(consumer_fn.alias)]
    assert events.producers == [("TestStack/Orders", 2)]


def test_fifo_producer_gets_exactly_send_message_and_queue_url():
    stack, consumer_fn, producer, jobs = _pair("fifo", env_prefix="JOBS")
    jobs.add_producer(producer, format_version=1)
    tpl = template(stack)
    statements = _producer_policy(tpl, producer)["Properties"]["PolicyDocument"]["Statement"]
    assert statements == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(jobs.queue), "Arn"]},
        }
    ]
    tpl.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "JOBS_QUEUE_URL": {"Ref": logical_id(jobs.queue)},
                    "JOBS_FORMAT_VERSION": "1",
                }
            }
        },
    )
    tpl.has_resource("AWS::Lambda::Alias", {"DependsOn": [logical_id(consumer_fn.alias)]})


def test_plain_function_producer_waits_for_the_consumer():
    stack, consumer_fn, _, events = _pair()
    plain = lambda_.Function(stack, "Plain", **function_kwargs())
    events.add_producer(plain, format_version=1)
    depends_on = resources_of(template(stack), "AWS::Lambda::Function")[logical_id(plain)][
        "DependsOn"
    ]
    assert logical_id(consumer_fn.alias) in depends_on


def test_unaccepted_format_version_names_both_sides():
    _, _, producer, events = _pair(accepted_format_versions=(1, 2))
    with pytest.raises(
        ConfigurationError,
        match=r"\[TestStack/OrderEvents\] format_version=3 is not allowed: "
        r"expected one of \[1, 2\], the versions TestStack/OrderEvents accepts. "
        r"Producer TestStack/Orders would emit records its "
        r"consumer alias live of TestStack/Projector cannot read",
    ):
        events.add_producer(producer, format_version=3)


@pytest.mark.parametrize("versions", [(), (0,), (1, 1), "1", (1.5,), (True,)])
def test_accepted_versions_are_validated(versions):
    with pytest.raises(
        ConfigurationError, match=r"accepted_format_versions=.* expected a non-empty sequence"
    ):
        _pair(accepted_format_versions=versions)


def test_cycles_are_reported_with_the_loop():
    stack = new_stack()
    a = SafeFunction(stack, "A", **function_kwargs())
    b = SafeFunction(stack, "B", **function_kwargs())
    to_b = FifoOrderedConsumer(stack, "ToB", consumer=b)
    to_a = FifoOrderedConsumer(stack, "ToA", consumer=a)
    to_b.add_producer(a, format_version=1)  # A is released after B
    with pytest.raises(
        ConfigurationError,
        match=r"add_producer='TestStack/B' is not allowed: .* this would make a cycle: "
        r"TestStack/B -> TestStack/A -> TestStack/B",
    ):
        to_a.add_producer(b, format_version=1)


def test_a_function_may_produce_to_its_own_queue():
    stack = new_stack()
    worker = SafeFunction(stack, "Worker", **function_kwargs())
    jobs = FifoOrderedConsumer(stack, "Jobs", consumer=worker)
    jobs.add_producer(worker, format_version=1)  # requeues follow-up steps
    alias = resources_of(template(stack), "AWS::Lambda::Alias")[logical_id(worker.alias)]
    assert "DependsOn" not in alias


def test_imported_producer_is_rejected():
    stack, _, _, events = _pair()
    imported = lambda_.Function.from_function_name(stack, "Imported", "other")
    with pytest.raises(
        ConfigurationError,
        match=r"producer='<.*TestStack/Imported>' is not allowed: expected a SafeFunction",
    ):
        events.add_producer(imported, format_version=1)


def test_env_prefix_is_validated():
    with pytest.raises(ConfigurationError, match=r"env_prefix='1BAD' is not allowed"):
        _pair(env_prefix="1BAD")


@pytest.mark.parametrize(
    ("construct_id", "prefix"),
    [
        ("OrderEvents", "ORDER_EVENTS"),
        ("Jobs", "JOBS"),
        ("FulfillmentJobs2", "FULFILLMENT_JOBS2"),
        ("my-queue", "MY_QUEUE"),
    ],
)
def test_env_prefix_from_construct_id(construct_id, prefix):
    assert upper_snake(construct_id) == prefix


def test_plan_metadata_lists_producers_and_versions():
    stack, _, producer, events = _pair(accepted_format_versions=(1, 2))
    events.add_producer(producer, format_version=2)
    mapping = resources_of(template(stack), "AWS::Lambda::EventSourceMapping")[
        logical_id(events.event_source_mapping)
    ]
    plan = mapping["Metadata"]["constructs_pkg:consumer"]
    assert plan["kind"] == "kinesis"
    assert plan["consumer"] == "TestStack/Projector"
    assert plan["accepted_format_versions"] == [1, 2]
    assert plan["producers"] == [{"producer": "TestStack/Orders", "format_version": 2}]
    assert plan["capacity"]["max_concurrent_invocations"] == 1
