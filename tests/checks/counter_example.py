"""A plain-CDK app that trips every deployment-safety rule (the docs' counter-example)."""

from __future__ import annotations

from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs

from tests.cdk_helpers import TEST_ENV, inline_code


def _function(stack: Stack, name: str, **kwargs: object) -> lambda_.Function:
    return lambda_.Function(
        stack,
        name,
        code=inline_code(),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        **kwargs,  # type: ignore[arg-type]
    )


def build(app: App) -> Stack:
    """Add the unsafe stack to ``app``."""
    stack = Stack(app, "Unsafe", env=TEST_ENV)

    # An aliased function invoked around its alias, with too much reserved concurrency.
    worker = _function(
        stack, "Worker", timeout=Duration.seconds(60), reserved_concurrent_executions=950
    )
    lambda_.Alias(stack, "WorkerLive", alias_name="live", version=worker.current_version)
    jobs = sqs.Queue(  # no DLQ, visibility below the timeout, deleted with the stack
        stack, "Jobs", visibility_timeout=Duration.seconds(30), removal_policy=RemovalPolicy.DESTROY
    )
    worker.add_event_source(sources.SqsEventSource(jobs))  # $LATEST, no partial batch response
    topic = sns.Topic(stack, "Events")
    topic.add_subscription(subscriptions.LambdaSubscription(worker))  # async, no destination

    # A canaried function whose deployment group has no alarms and no rollback on alarm.
    api = _function(stack, "Api", timeout=Duration.seconds(10))
    api_live = lambda_.Alias(stack, "ApiLive", alias_name="live", version=api.current_version)
    codedeploy.LambdaDeploymentGroup(
        stack,
        "ApiDeployment",
        alias=api_live,
        auto_rollback=codedeploy.AutoRollbackConfig(deployment_in_alarm=False),
    )
    tasks = sqs.Queue(  # visibility 30 s < 6 x 10 s
        stack,
        "Tasks",
        visibility_timeout=Duration.seconds(30),
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=sqs.Queue(stack, "TasksDlq"), max_receive_count=5
        ),
    )
    api_live.add_event_source(sources.SqsEventSource(tasks, report_batch_item_failures=True))
    stream = kinesis.Stream(stack, "Clicks")  # no on-failure destination, unbounded retries
    api_live.add_event_source(
        sources.KinesisEventSource(
            stream,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            report_batch_item_failures=True,
        )
    )

    # A FIFO queue whose dead-letter queue is standard.
    sqs.Queue(
        stack,
        "Orders",
        fifo=True,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=sqs.Queue(stack, "OrdersDlq"), max_receive_count=5
        ),
    )
    return stack
