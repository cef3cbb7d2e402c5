"""KinesisOrderedConsumer: a Kinesis stream consumed in partition-key order by a released alias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

import jsii
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge
from constructs_pkg._validation import is_unresolved, seconds
from constructs_pkg.consumers import _base as base
from constructs_pkg.consumers._target import Consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity, kinesis_capacity
from constructs_pkg.runtime.env import STREAM_NAME_SUFFIX

__all__ = ["KinesisOrderedConsumer"]

DEFAULT_MAX_RECORD_AGE = Duration.seconds(defaults.KINESIS_MAX_RECORD_AGE_SECONDS)


class _StreamSettings(TypedDict):
    """What shapes the stream this construct creates (each is an error with ``stream=``)."""

    shard_count: int | None
    retention_period: Duration | None


@dataclass(frozen=True)
class _StreamFacts:
    """Shard count and retention of the stream, created or given; None when unknown."""

    shard_count: int | None
    retention_seconds: float | None

    @classmethod
    def of(cls, stream: kinesis.IStream) -> _StreamFacts:
        """Read a stream defined in this app; an imported one is unknown."""
        cfn: Any = getattr(stream.node, "default_child", None)
        if not isinstance(cfn, kinesis.CfnStream):
            return cls(None, None)
        shards = cfn.shard_count
        hours = cfn.retention_period_hours
        if hours is None:
            hours = defaults.KINESIS_RETENTION_HOURS
        return cls(
            None if shards is None or is_unresolved(shards) else int(shards),
            None if is_unresolved(hours) else float(hours) * 3600,
        )


class KinesisOrderedConsumer(base.OrderedConsumerBase):
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
    starting_position
        ``TRIM_HORIZON`` or ``LATEST``. Default: ``TRIM_HORIZON`` (nothing is skipped).
    tumbling_window
        Aggregation window, 0-900 seconds. Default: none.
    dead_letter_queue
        The on-failure destination: a *standard* SQS queue (Lambda does not send to FIFO
        queues). Default: one is created (SSE-SQS, 14 days retention, ``removal_policy``).
    **options
        The options every ordered consumer takes (``OrderedConsumerOptions``):
        ``report_batch_item_failures`` (default True; see
        ``constructs_pkg.runtime.batch.process_kinesis_batch``), ``record_duration`` (default:
        the function timeout divided by ``batch_size``), ``removal_policy`` of the created
        stream and queue (default ``RemovalPolicy.RETAIN``), ``accepted_format_versions``
        (default ``(1,)``), ``env_prefix`` (default: the construct id in upper snake case).

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
        starting_position: lambda_.StartingPosition = lambda_.StartingPosition.TRIM_HORIZON,
        tumbling_window: Duration | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        **options: Unpack[base.OrderedConsumerOptions],
    ) -> None:
        created: _StreamSettings = {
            "shard_count": shard_count,
            "retention_period": retention_period,
        }
        mapping: base.MappingOptions = {
            "batch_size": batch_size,
            "parallelization_factor": parallelization_factor,
            "max_batching_window": max_batching_window,
            "retry_attempts": retry_attempts,
            "max_record_age": max_record_age,
            "bisect_batch_on_error": bisect_batch_on_error,
            "starting_position": starting_position,
            "tumbling_window": tumbling_window,
        }
        super().__init__(scope, construct_id, consumer, ("stream", stream), created, options)
        self._validate(created, mapping, dead_letter_queue)
        #: The stream (created unless ``stream=`` was given).
        self.stream: kinesis.IStream = stream or self._build_stream(created)
        facts = _StreamFacts.of(self.stream)
        self._check_record_age(mapping, facts)
        #: Where records that exhaust the retry/age budget go (a standard queue).
        self.dead_letter_queue: sqs.IQueue = dead_letter_queue or self._build_failure_queue()
        #: The event source mapping (invokes the alias / version).
        self.event_source_mapping = self._build_mapping(
            self.stream.stream_arn,
            {**mapping, "on_failure": _QueueDestination(self.dead_letter_queue)},
            [
                (self.stream.grant_read, "read access to the stream"),
                (
                    self.dead_letter_queue.grant_send_messages,
                    "sqs:SendMessage on the failure queue",
                ),
            ],
        )
        self._build_alarms(self._alarm_specs(mapping, facts))
        self._report_capacity(self._capacity_of(mapping, facts), self.stream)

    # --- steps -------------------------------------------------------------------------------

    def _validate(
        self, created: _StreamSettings, mapping: base.MappingOptions, dead_letter_queue: Any
    ) -> None:
        """Bounds and rules of the arguments, before anything is created."""
        self._check_bounds(
            base.WholeNumber(
                "batch_size", mapping["batch_size"], 1, limits.KINESIS_MAX_BATCH_SIZE, required=True
            ),
            base.WholeNumber(
                "parallelization_factor",
                mapping["parallelization_factor"],
                1,
                limits.KINESIS_MAX_PARALLELIZATION_FACTOR,
                required=True,
            ),
            base.WholeNumber(
                "retry_attempts",
                mapping["retry_attempts"],
                -1,
                limits.KINESIS_MAX_RETRY_ATTEMPTS,
                required=True,
            ),
            base.WholeNumber("shard_count", created["shard_count"], 1),
            base.DurationRange(
                "retention_period",
                created["retention_period"],
                minimum=limits.KINESIS_MIN_RETENTION_HOURS * 3600,
                maximum=limits.KINESIS_MAX_RETENTION_HOURS * 3600,
                whole="hours",
            ),
            base.DurationRange(
                "max_record_age",
                mapping["max_record_age"],
                minimum=limits.KINESIS_MIN_RECORD_AGE_SECONDS,
                maximum=limits.KINESIS_MAX_RECORD_AGE_LIMIT_SECONDS,
            ),
            base.DurationRange(
                "max_batching_window",
                mapping["max_batching_window"],
                minimum=0,
                maximum=limits.KINESIS_MAX_BATCHING_WINDOW_SECONDS,
            ),
            base.DurationRange(
                "tumbling_window",
                mapping["tumbling_window"],
                minimum=0,
                maximum=limits.KINESIS_MAX_TUMBLING_WINDOW_SECONDS,
            ),
        )
        if mapping["max_record_age"] is None and mapping["retry_attempts"] == -1:
            self._fail(
                "retry_attempts",
                -1,
                "a finite number (0-10000) when max_record_age is None",
                reason="With both unbounded a poison record blocks its shard until it expires "
                "from the stream.",
            )
        if mapping["starting_position"] not in (
            lambda_.StartingPosition.TRIM_HORIZON,
            lambda_.StartingPosition.LATEST,
        ):
            self._fail("starting_position", mapping["starting_position"], "TRIM_HORIZON or LATEST")
        if dead_letter_queue is not None and dead_letter_queue.fifo:
            self._fail(
                "dead_letter_queue",
                dead_letter_queue.node.path,
                "a standard SQS queue",
                reason="Lambda sends failed Kinesis batches to an SQS standard queue, SNS or S3; "
                "a FIFO queue is rejected at deploy time.",
            )

    def _build_stream(self, created: _StreamSettings) -> kinesis.Stream:
        """Create the stream: ``shard_count`` shards, ``retention_period``, KMS-managed key."""
        return kinesis.Stream(
            self,
            "Stream",
            shard_count=created["shard_count"] or defaults.KINESIS_SHARD_COUNT,
            retention_period=created["retention_period"]
            or Duration.hours(defaults.KINESIS_RETENTION_HOURS),
            encryption=kinesis.StreamEncryption.MANAGED,
            removal_policy=self._removal_policy,
        )

    def _check_record_age(self, mapping: base.MappingOptions, facts: _StreamFacts) -> None:
        """``max_record_age`` must fit in the stream's retention."""
        age, retention = seconds(mapping["max_record_age"]), facts.retention_seconds
        if age is not None and retention is not None and age > retention:
            self._fail(
                "max_record_age",
                mapping["max_record_age"],
                f"at most the stream retention ({retention / 3600:g} hours)",
                reason="Records expire from the stream before they could reach that age.",
            )

    def _build_failure_queue(self) -> sqs.Queue:
        """Create the on-failure destination: a standard queue (Lambda cannot send to FIFO)."""
        queue = self._build_dead_letter_queue(fifo=False)
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue: the on-failure destination of the Kinesis "
            "event source mapping.",
        )
        return queue

    def _alarm_specs(
        self, mapping: base.MappingOptions, facts: _StreamFacts
    ) -> list[base.AlarmSpec]:
        """IteratorAge (needs a known age budget) and FailedRecords (rollback)."""
        specs = []
        budget = _age_budget(mapping, facts)
        if budget is not None:
            share = defaults.ITERATOR_AGE_ALARM_SHARE
            specs.append(
                base.AlarmSpec(
                    "IteratorAge",
                    metric=self._consumer_metric("IteratorAge", "Maximum"),
                    threshold=budget * 1000 * share,
                    evaluation_periods=defaults.ITERATOR_AGE_EVALUATION_PERIODS,
                    description=f"records wait longer than {share:.0%} of their age budget: the "
                    "consumer falls behind or a key is stuck.",
                )
            )
        specs.append(
            base.AlarmSpec(
                "FailedRecords",
                metric=self.dead_letter_queue.metric_number_of_messages_sent(
                    period=base.METRIC_PERIOD, statistic=cloudwatch.Stats.SUM
                ),
                threshold=0,
                rollback=True,
                description="records exhausted their retries and went to the failure "
                "destination. During a release this rolls the consumer back.",
            )
        )
        return specs

    def _capacity_of(self, mapping: base.MappingOptions, facts: _StreamFacts) -> ConsumerCapacity:
        return kinesis_capacity(
            shard_count=facts.shard_count,
            parallelization_factor=int(mapping["parallelization_factor"]),
            batch_size=int(mapping["batch_size"]),
            retry_attempts=int(mapping["retry_attempts"]),
            max_record_age_seconds=_age_budget(mapping, facts),
            timeout_seconds=self.consumer.assumed_timeout_seconds,
            record_duration_seconds=self._record_seconds(mapping["batch_size"]),
        )

    # --- producers -----------------------------------------------------------------------------

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to put records on the stream (``kinesis:PutRecord(s)`` and more)."""
        return self.stream.grant_write(grantee)

    def _grant_producer(self, grantee: iam.IGrantable) -> None:
        self.stream.grant(grantee, "kinesis:PutRecord", "kinesis:PutRecords")
        if self.stream.encryption_key is not None:
            self.stream.encryption_key.grant_encrypt(grantee)

    def _producer_target(self) -> tuple[str, str]:
        return STREAM_NAME_SUFFIX, self.stream.stream_name


def _age_budget(mapping: base.MappingOptions, facts: _StreamFacts) -> float | None:
    """How old a record can get: ``max_record_age``, else the stream's retention."""
    age = seconds(mapping["max_record_age"])
    return age if age is not None else facts.retention_seconds


@jsii.implements(lambda_.IEventSourceDlq)
class _QueueDestination:
    """On-failure destination without an implicit grant (``_build_mapping`` grants it)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.queue.queue_arn)
