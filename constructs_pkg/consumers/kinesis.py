"""KinesisOrderedConsumer: a Kinesis stream consumed in partition-key order by a released alias."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge
from constructs_pkg._validation import check_duration, check_number, is_unresolved, seconds
from constructs_pkg.consumers._base import OrderedConsumerBase
from constructs_pkg.consumers._target import Consumer
from constructs_pkg.consumers.capacity import kinesis_capacity
from constructs_pkg.runtime.env import STREAM_NAME_SUFFIX

__all__ = ["KinesisOrderedConsumer"]

DEFAULT_MAX_RECORD_AGE = Duration.seconds(defaults.KINESIS_MAX_RECORD_AGE_SECONDS)


class KinesisOrderedConsumer(OrderedConsumerBase):
    """A Kinesis stream, its event source mapping, failure destination and alarms.

    Records of one partition key are processed in order, one batch at a time per shard
    (or per shard slice with a parallelization factor). The mapping invokes the
    consumer's alias, so the consumer is released like any SafeFunction. A record that
    keeps failing is retried (the batch bisected each time) within a finite retry and
    age budget, then sent with its metadata to a standard SQS queue, so one poison
    record cannot block its key for the stream's whole retention.

    Parameters
    ----------
    consumer
        A SafeFunction (its alias is used), a ``lambda.IAlias`` or a ``lambda.IVersion``.
        An unqualified function is rejected: it would bypass the alias.
    stream
        An existing stream. Default: a stream is created (``StreamEncryption.MANAGED``,
        ``removal_policy``, ``shard_count`` shards, ``retention_period``).
    shard_count
        Shards of the created stream. Default: 1. Not allowed with ``stream=``.
    retention_period
        Retention of the created stream, 24 hours to 365 days. Default: 24 hours.
    batch_size
        Records per invocation, 1-10,000. Default: 100.
    parallelization_factor
        Concurrent batches per shard, 1-10 (order is kept per partition key). Default: 1.
    max_batching_window
        Wait up to this long to fill a batch, 0-300 seconds. Default: none.
    retry_attempts
        Retries of a failing batch, 0-10,000, or -1 for "until the record expires".
        Default: 3.
    max_record_age
        Records older than this are not retried but sent to the failure destination,
        60 seconds to 7 days; ``None`` means no age limit. Must not exceed the stream's
        retention. Default: 1 hour. Retries and age cannot both be unbounded.
    bisect_batch_on_error
        Split a failing batch in two and retry the halves. Default: True.
    report_batch_item_failures
        Handlers report the first failed sequence number (see
        ``constructs_pkg.runtime.batch.process_kinesis_batch``). Default: True.
    starting_position
        ``TRIM_HORIZON`` or ``LATEST``. Default: ``TRIM_HORIZON`` (nothing is skipped).
    tumbling_window
        Aggregation window, 0-900 seconds. Default: none.
    dead_letter_queue
        The on-failure destination: a *standard* SQS queue (Lambda does not send to FIFO
        queues). Default: one is created (SSE-SQS, 14 days retention, ``removal_policy``).
    record_duration
        Expected processing time of one record, for the capacity report. Default: the
        function timeout divided by ``batch_size``.
    removal_policy
        Of the created stream and queue. Default: ``RemovalPolicy.RETAIN``.

    Examples
    --------
    ::

        events = KinesisOrderedConsumer(stack, "OrderEvents", consumer=projector,
            shard_count=4, parallelization_factor=2, batch_size=100,
            retry_attempts=5, max_record_age=Duration.hours(1))
        events.grant_publish(orders.function)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: Consumer,
        stream: kinesis.IStream | None = None,
        shard_count: int | None = None,
        retention_period: Duration | None = None,
        batch_size: int = defaults.KINESIS_BATCH_SIZE,
        parallelization_factor: int = defaults.KINESIS_PARALLELIZATION_FACTOR,
        max_batching_window: Duration | None = None,
        retry_attempts: int = defaults.KINESIS_RETRY_ATTEMPTS,
        max_record_age: Duration | None = DEFAULT_MAX_RECORD_AGE,
        bisect_batch_on_error: bool = True,
        report_batch_item_failures: bool = True,
        starting_position: lambda_.StartingPosition = lambda_.StartingPosition.TRIM_HORIZON,
        tumbling_window: Duration | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        record_duration: Duration | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        accepted_format_versions: Sequence[int] = (1,),
        env_prefix: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            consumer=consumer,
            accepted_format_versions=accepted_format_versions,
            env_prefix=env_prefix,
        )
        path = self.node.path
        if stream is not None:
            self._reject_with_existing(
                "stream", shard_count=shard_count, retention_period=retention_period
            )
        check_number(
            "batch_size",
            batch_size,
            minimum=1,
            maximum=limits.KINESIS_MAX_BATCH_SIZE,
            whole=True,
            path=path,
        )
        check_number(
            "parallelization_factor",
            parallelization_factor,
            minimum=1,
            maximum=limits.KINESIS_MAX_PARALLELIZATION_FACTOR,
            whole=True,
            path=path,
        )
        check_number(
            "retry_attempts",
            retry_attempts,
            minimum=-1,
            maximum=limits.KINESIS_MAX_RETRY_ATTEMPTS,
            whole=True,
            path=path,
        )
        if shard_count is not None:
            check_number("shard_count", shard_count, minimum=1, whole=True, path=path)
        if retention_period is not None:
            check_duration(
                "retention_period",
                retention_period,
                minimum_seconds=limits.KINESIS_MIN_RETENTION_HOURS * 3600,
                maximum_seconds=limits.KINESIS_MAX_RETENTION_HOURS * 3600,
                whole="hours",
                path=path,
            )
        if max_record_age is not None:
            check_duration(
                "max_record_age",
                max_record_age,
                minimum_seconds=limits.KINESIS_MIN_RECORD_AGE_SECONDS,
                maximum_seconds=limits.KINESIS_MAX_RECORD_AGE_LIMIT_SECONDS,
                whole="seconds",
                path=path,
            )
        elif retry_attempts == -1:
            self._fail(
                "retry_attempts",
                -1,
                "a finite number (0-10000) when max_record_age is None",
                reason="With both unbounded a poison record blocks its shard until it expires "
                "from the stream.",
            )
        if max_batching_window is not None:
            check_duration(
                "max_batching_window",
                max_batching_window,
                minimum_seconds=0,
                maximum_seconds=300,
                whole="seconds",
                path=path,
            )
        if tumbling_window is not None:
            check_duration(
                "tumbling_window",
                tumbling_window,
                minimum_seconds=0,
                maximum_seconds=limits.KINESIS_MAX_TUMBLING_WINDOW_SECONDS,
                whole="seconds",
                path=path,
            )
        if starting_position not in (
            lambda_.StartingPosition.TRIM_HORIZON,
            lambda_.StartingPosition.LATEST,
        ):
            self._fail("starting_position", starting_position, "TRIM_HORIZON or LATEST")
        if dead_letter_queue is not None and dead_letter_queue.fifo:
            self._fail(
                "dead_letter_queue",
                dead_letter_queue.node.path,
                "a standard SQS queue",
                reason="Lambda sends failed Kinesis batches to an SQS standard queue, SNS or S3; "
                "a FIFO queue is rejected at deploy time.",
            )

        #: The stream (created unless ``stream=`` was given).
        self.stream: kinesis.IStream = stream or kinesis.Stream(
            self,
            "Stream",
            shard_count=shard_count or defaults.KINESIS_SHARD_COUNT,
            retention_period=retention_period or Duration.hours(defaults.KINESIS_RETENTION_HOURS),
            encryption=kinesis.StreamEncryption.MANAGED,
            removal_policy=removal_policy,
        )
        shards, retention_seconds = _stream_settings(self.stream)
        age_seconds = seconds(max_record_age)
        if (
            age_seconds is not None
            and retention_seconds is not None
            and age_seconds > retention_seconds
        ):
            self._fail(
                "max_record_age",
                max_record_age,
                f"at most the stream retention ({retention_seconds / 3600:g} hours)",
                reason="Records expire from the stream before they could reach that age.",
            )

        #: Where records that exhaust the retry/age budget go (a standard queue).
        self.dead_letter_queue: sqs.IQueue = dead_letter_queue or sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(defaults.DEAD_LETTER_RETENTION_DAYS),
            removal_policy=removal_policy,
        )
        if dead_letter_queue is None:
            acknowledge(
                self.dead_letter_queue,
                "AwsSolutions-SQS3",
                "This queue is the dead-letter queue: the on-failure destination of the Kinesis "
                "event source mapping.",
            )
        #: The event source mapping (invokes the alias / version).
        self.event_source_mapping = lambda_.EventSourceMapping(
            self,
            "EventSourceMapping",
            target=self.consumer.target,
            event_source_arn=self.stream.stream_arn,
            batch_size=batch_size,
            parallelization_factor=parallelization_factor,
            max_batching_window=max_batching_window,
            retry_attempts=retry_attempts,
            max_record_age=max_record_age,
            bisect_batch_on_error=bisect_batch_on_error,
            report_batch_item_failures=report_batch_item_failures,
            starting_position=starting_position,
            tumbling_window=tumbling_window,
            on_failure=_QueueDestination(self.dead_letter_queue),
        )
        self._grant_consumer(self.stream.grant_read, "read access to the stream")
        self._grant_consumer(
            self.dead_letter_queue.grant_send_messages, "sqs:SendMessage on the failure queue"
        )

        budget = age_seconds if age_seconds is not None else retention_seconds
        if budget is not None:
            self._alarm(
                "IteratorAge",
                metric=self._lambda_metric("IteratorAge", "Maximum"),
                threshold=budget * 1000 * defaults.ITERATOR_AGE_ALARM_SHARE,
                evaluation_periods=defaults.ITERATOR_AGE_EVALUATION_PERIODS,
                description=f"records wait longer than {defaults.ITERATOR_AGE_ALARM_SHARE:.0%} of "
                "their age budget: the consumer falls behind or a key is stuck.",
            )
        self._alarm(
            "FailedRecords",
            metric=self.dead_letter_queue.metric_number_of_messages_sent(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.SUM
            ),
            threshold=0,
            rollback=True,
            description="records exhausted their retries and went to the failure destination. "
            "During a release this rolls the consumer back.",
        )
        self._finish(
            kinesis_capacity(
                shard_count=shards,
                parallelization_factor=int(parallelization_factor),
                batch_size=int(batch_size),
                retry_attempts=int(retry_attempts),
                max_record_age_seconds=age_seconds
                if age_seconds is not None
                else retention_seconds,
                timeout_seconds=self.consumer.assumed_timeout_seconds,
                record_duration_seconds=self._record_duration(record_duration, int(batch_size)),
            )
        )
        self._stamp_plan_metadata("kinesis", self.stream.node.path)

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to put records on the stream (``kinesis:PutRecord(s)`` and more)."""
        return self.stream.grant_write(grantee)

    def _grant_producer(self, grantee: iam.IGrantable) -> None:
        self.stream.grant(grantee, "kinesis:PutRecord", "kinesis:PutRecords")
        if self.stream.encryption_key is not None:
            self.stream.encryption_key.grant_encrypt(grantee)

    def _producer_target(self) -> tuple[str, str]:
        return STREAM_NAME_SUFFIX, self.stream.stream_name


@jsii.implements(lambda_.IEventSourceDlq)
class _QueueDestination:
    """On-failure destination without an implicit grant (``_grant_consumer`` does it)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)


def _stream_settings(stream: kinesis.IStream) -> tuple[int | None, float | None]:
    """Shard count and retention (seconds) of a stream defined in this app, else None."""
    cfn: Any = getattr(stream.node, "default_child", None)
    if not isinstance(cfn, kinesis.CfnStream):
        return None, None
    shards = cfn.shard_count
    hours = cfn.retention_period_hours
    shards_known = None if shards is None or is_unresolved(shards) else int(shards)
    if hours is None:
        hours = defaults.KINESIS_RETENTION_HOURS
    hours_known = None if is_unresolved(hours) else float(hours) * 3600
    return shards_known, hours_known
