"""The sample order service: five functions and two ordered consumers, built with constructs_pkg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Annotations, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_pkg import (
    FifoOrderedConsumer,
    KinesisOrderedConsumer,
    RollbackAlarms,
    Rollout,
    RuntimeLayer,
    SafeFunction,
    SmokeTest,
)

SERVICE_CODE = Path(__file__).resolve().parent / "service"
#: The latest Python runtime (cdk-nag AwsSolutions-L1 asks for the latest).
RUNTIME = lambda_.Runtime.PYTHON_3_14


def service_code() -> lambda_.Code:
    """One code asset for every function of the service (handlers live side by side)."""
    return lambda_.Code.from_asset(str(SERVICE_CODE), exclude=["__pycache__", "*.pyc"])


class OrderServiceStack(Stack):
    """Orders, payments, catalog, an order-event projector and fulfillment.

    Each function is released through its own alias and rollout; the projector reads a
    Kinesis stream in customer order, fulfillment reads an SQS FIFO queue in order order.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        code = service_code()
        # constructs_pkg.runtime (batch processing, format versions) for the handlers.
        runtime_layer = RuntimeLayer.of(self)

        # Catalog: read-mostly, a custom canary (25 % for 10 minutes) -> its own
        # AWS::CodeDeploy::DeploymentConfig, shared by any function with that shape.
        self.catalog = SafeFunction(
            self,
            "Catalog",
            code=code,
            handler="catalog.handler",
            runtime=RUNTIME,
            memory_size=256,
            timeout=Duration.seconds(5),
            rollout=Rollout.canary(percent=25, interval=Duration.minutes(10)),
            alarms=RollbackAlarms(p99_latency=Duration.millis(800)),
            smoke_test=SmokeTest(payload={"sku": "SKU-1"}, expect={"sku": "SKU-1"}),
            description="Product catalog lookups",
        )

        # Payments: money moves here, so its canary lasts longer (10 % for 15 minutes, a
        # predefined CodeDeploy config), it also rolls back on any throttle, and a
        # post-traffic check runs before the bake.
        self.payments = SafeFunction(
            self,
            "Payments",
            code=code,
            handler="payments.handler",
            runtime=RUNTIME,
            memory_size=512,
            timeout=Duration.seconds(15),
            reserved_concurrent_executions=20,
            rollout=Rollout.canary(percent=10, interval=Duration.minutes(15)),
            alarms=RollbackAlarms(p99_latency=Duration.seconds(5), throttles=0),
            smoke_test=SmokeTest(payload={"ping": True}, expect={"ok": True}),
            post_traffic_test=SmokeTest(payload={"ping": True}, expect={"ok": True}),
            description="Authorizes card payments for orders",
        )
        # A business metric can roll a release back too: more than 5 declined payments a
        # minute on the new version (the handler logs it per FunctionVersion).
        self.payments.add_rollback_alarm(
            cloudwatch.Alarm(
                self,
                "PaymentsDeclinedOnNewVersion",
                metric=cloudwatch.Metric(
                    namespace="OrderService",
                    metric_name="PaymentsDeclined",
                    dimensions_map={"FunctionVersion": self.payments.version.version},
                    statistic="Sum",
                    period=Duration.minutes(1),
                ),
                threshold=5,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="More than 5 payments declined per minute by the new version",
            )
        )

        # Orders: the front door; the default rollout (canary 10 % for 10 minutes, then an
        # 8-minute bake) and alarms, with a tighter p99 than the default half timeout.
        self.orders = SafeFunction(
            self,
            "Orders",
            code=code,
            handler="orders.handler",
            runtime=RUNTIME,
            memory_size=256,
            timeout=Duration.seconds(10),
            alarms=RollbackAlarms(p99_latency=Duration.seconds(2)),
            smoke_test=SmokeTest(payload={"ping": True}, expect={"ok": True}),
            environment={
                "CATALOG_FUNCTION": self.catalog.alias.function_arn,
                "PAYMENTS_FUNCTION": self.payments.alias.function_arn,
            },
            layers=[runtime_layer],
            description="Accepts orders, prices them and takes payment",
        )
        # Orders calls the other two through their aliases, never $LATEST.
        self.catalog.grant_invoke(self.orders.function)
        self.payments.grant_invoke(self.orders.function)

        # Ordered consumers. Their handlers use constructs_pkg.runtime.batch from the layer.
        # Order events, keyed by customer: one customer's events are projected in order.
        self.projector = SafeFunction(
            self,
            "OrderProjector",
            code=code,
            handler="projector.handler",
            runtime=RUNTIME,
            timeout=Duration.seconds(30),
            layers=[runtime_layer],
            description="Projects order events into per-customer totals",
        )
        self.order_events = KinesisOrderedConsumer(
            self,
            "OrderEvents",
            consumer=self.projector,
            shard_count=2,
            parallelization_factor=2,
            batch_size=100,
            retry_attempts=5,
            max_record_age=Duration.hours(1),
            record_duration=Duration.millis(20),
            accepted_format_versions=(1,),
        )

        # Fulfillment jobs, grouped by order: one order's steps run one at a time, in order.
        self.fulfillment = SafeFunction(
            self,
            "Fulfillment",
            code=code,
            handler="fulfillment.handler",
            runtime=RUNTIME,
            timeout=Duration.seconds(20),
            reserved_concurrent_executions=25,
            layers=[runtime_layer],
            description="Reserves, packs and ships orders",
        )
        self.fulfillment_jobs = FifoOrderedConsumer(
            self,
            "FulfillmentJobs",
            consumer=self.fulfillment,
            batch_size=10,
            max_concurrency=20,
            max_receive_count=5,
            record_duration=Duration.millis(200),
            accepted_format_versions=(1,),
        )
        # Both consumers are canaried, so two versions interleave on a key during a rollout.
        # The handlers accept every event and job format either version writes, so that is
        # acceptable here (see docs/ordered-consumers.md).
        for consumer in (self.order_events, self.fulfillment_jobs):
            Annotations.of(consumer).acknowledge_warning(
                "constructs_pkg:ordered-canary",
                "handlers read every format both versions write",
            )

        # Orders produces to both, in format version 1: it gets PutRecord(s) / SendMessage,
        # ORDER_EVENTS_STREAM_NAME, FULFILLMENT_JOBS_QUEUE_URL and their *_FORMAT_VERSION, and
        # its releases wait until both consumers are released (consumers first).
        self.order_events.add_producer(self.orders, format_version=1)
        self.fulfillment_jobs.add_producer(self.orders, format_version=1)
        self._acknowledge_security_findings()

    def _acknowledge_security_findings(self) -> None:
        """cdk-nag AwsSolutionsChecks findings this service accepts, each with its reason."""
        for policy, reason in (
            (
                "AWSLambdaBasicExecutionRole",
                "Grants only CloudWatch Logs writes to the function's own log streams; the "
                "AWS-maintained policy tracks Lambda's logging needs.",
            ),
            (
                "AWSCodeDeployRoleForLambdaLimited",
                "The AWS-maintained policy for CodeDeploy Lambda deployments: alias updates, "
                "alarm reads and invoking CodeDeployHook_* functions only.",
            ),
        ):
            Validations.of(self).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{policy}]",
                    reason=reason,
                )
            )
