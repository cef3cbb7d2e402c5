"""Ordered consumers: order events on Kinesis (per customer), payments on SQS FIFO (per order)."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_

from constructs_pkg import (
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    Rollout,
    RuntimeLayer,
    SafeFunction,
)


def build(app: App) -> Stack:
    """Add the example stack to ``app`` and return it."""
    stack = Stack(app, "OrderedService")
    code = lambda_.Code.from_asset("sample_app/service")
    layers = [RuntimeLayer.of(stack)]  # constructs_pkg.runtime for the handlers

    projector = SafeFunction(
        stack,
        "Projector",
        code=code,
        handler="projector.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(30),
        layers=layers,
        rollout=Rollout.all_at_once(),  # one version per key at any time
    )
    events = KinesisOrderedConsumer(
        stack,
        "OrderEvents",
        consumer=projector,
        shard_count=4,
        parallelization_factor=2,
        batch_size=100,
        retry_attempts=5,
        max_record_age=Duration.hours(1),
    )

    payments_fn = SafeFunction(
        stack,
        "PaymentsWorker",
        code=code,
        handler="fulfillment.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        timeout=Duration.seconds(20),
        reserved_concurrent_executions=25,
        layers=layers,
        rollout=Rollout.all_at_once(),
    )
    payments = FifoOrderedConsumer(
        stack,
        "Payments",
        consumer=payments_fn,
        batch_size=10,
        max_concurrency=20,
        max_receive_count=5,
    )

    orders = SafeFunction(
        stack,
        "Orders",
        code=code,
        handler="orders.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    events.grant_publish(orders.function)
    payments.grant_send(orders.function)
    return stack
