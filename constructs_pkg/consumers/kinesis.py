"""KinesisOrderedConsumer: a Kinesis stream consumed in partition-key order by a released alias."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, Unpack, cast

import jsii
from aws_cdk import Annotations, Duration, Names
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._acknowledge import acknowledge
from constructs_pkg._validation import check_type, is_unresolved, seconds
from constructs_pkg.consumers import _base as base
from constructs_pkg.consumers._target import Consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity, kinesis_capacity
from constructs_pkg.runtime.env import STREAM_NAME_SUFFIX

__all__ = ["KinesisOrderedConsumer"]

DEFAULT_MAX_RECORD_AGE = Duration.seconds(defaults.KINESIS_MAX_RECORD_AGE_SECONDS)

#: What ``failure_destination=`` accepts: where Lambda sends records it gives up on.
FailureDestination = sqs.IQueue | sns.ITopic | s3.IBucket


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
    age budget, then sent to the on-failure destination (a standard SQS queue by
    default; an SNS topic or an S3 bucket if given), so one poison record cannot block
    its key for the stream's whole retention.

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
    failure_destination
        The on-failure destination, any of those Lambda accepts for Kinesis: a *standard*
        ``sqs.IQueue`` or a *standard* ``sns.ITopic`` (Lambda sends the batch's metadata:
        shard, sequence numbers, condition) or an ``s3.IBucket`` (Lambda writes one object
        per failed batch, with the records' payload). FIFO queues and topics are rejected.
        The consumer's role gets exactly what Lambda needs to send there (see
        ``docs/ordered-consumers.md``), and the ``FailedRecords`` rollback alarm watches it.
        For a bucket of this app a request-metrics configuration is added to it (the alarm
        needs one; an imported bucket gets a warning). Default: a standard queue is created
        (SSE-SQS, 14 days retention, ``removal_policy``). Not together with
        ``dead_letter_queue``.
    dead_letter_queue
        The on-failure destination as a *standard* SQS queue: the same as
        ``failure_destination=`` with a queue (kept for existing code). Default: as for
        ``failure_destination``.
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
        failure_destination: FailureDestination | None = None,
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
        given = self._validate(created, mapping, failure_destination, dead_letter_queue)
        #: The stream (created unless ``stream=`` was given).
        self.stream: kinesis.IStream = stream or self._build_stream(created)
        facts = _StreamFacts.of(self.stream)
        self._check_record_age(mapping, facts)
        destination = _Destination.of(given or self._build_failure_queue(), self)
        #: Where records that exhaust the retry/age budget go: the queue, topic or bucket
        #: given (``failure_destination=`` or ``dead_letter_queue=``), else the created queue.
        self.failure_destination: FailureDestination = destination.resource
        #: The on-failure destination when it is an SQS queue (the default), else None.
        self.dead_letter_queue: sqs.IQueue | None = (
            cast(sqs.IQueue, destination.resource) if destination.kind == "sqs" else None
        )
        #: The event source mapping (invokes the alias / version).
        self.event_source_mapping = self._build_mapping(
            self.stream.stream_arn,
            {
                **mapping,
                "on_failure": _ArnDestination(destination.arn),
                "support_s3_on_failure_destination": destination.kind == "s3" or None,
            },
            [
                (self.stream.grant_read, "read access to the stream"),
                (destination.grant, destination.grant_description),
            ],
        )
        self._build_alarms(self._alarm_specs(mapping, facts, destination))
        self._report_capacity(self._capacity_of(mapping, facts), self.stream)

    # --- steps -------------------------------------------------------------------------------

    def _validate(
        self,
        created: _StreamSettings,
        mapping: base.MappingOptions,
        failure_destination: Any,
        dead_letter_queue: Any,
    ) -> FailureDestination | None:
        """Bounds and rules of the arguments, before anything is created.

        Return the on-failure destination given (``failure_destination`` or
        ``dead_letter_queue``), None when the construct creates its queue.
        """
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
        return self._check_failure_destination(failure_destination, dead_letter_queue)

    def _check_failure_destination(
        self, failure_destination: Any, dead_letter_queue: Any
    ) -> FailureDestination | None:
        """One destination at most, of a type Lambda accepts, never FIFO."""
        path = self.node.path
        check_type("dead_letter_queue", dead_letter_queue, sqs.IQueue | None, path=path)
        check_type("failure_destination", failure_destination, FailureDestination | None, path=path)
        if failure_destination is not None and dead_letter_queue is not None:
            self._fail(
                "dead_letter_queue",
                _path_of(dead_letter_queue),
                "no value when failure_destination= is given",
                reason="Both name the on-failure destination and a mapping has one; pass the "
                "queue as failure_destination= alone.",
            )
        argument = "dead_letter_queue" if dead_letter_queue is not None else "failure_destination"
        given: FailureDestination | None = failure_destination or dead_letter_queue
        kind = _kind_of(given) if given is not None else None
        if kind in ("sqs", "sns") and getattr(given, "fifo", False) is True:
            what = "queue" if kind == "sqs" else "topic"
            self._fail(
                argument,
                _path_of(given),
                "a standard SQS queue"
                if argument == "dead_letter_queue"
                else "a standard SQS queue, a standard SNS topic or an S3 bucket",
                reason="Lambda sends failed Kinesis batches to an SQS standard queue, SNS or S3; "
                f"a FIFO {what} is rejected at deploy time.",
            )
        return given

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
        self, mapping: base.MappingOptions, facts: _StreamFacts, destination: _Destination
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
                metric=destination.metric,
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


def _kind_of(destination: Any) -> Literal["sqs", "sns", "s3"]:
    """Which service an on-failure destination (already type-checked) belongs to."""
    if hasattr(destination, "queue_arn"):
        return "sqs"
    if hasattr(destination, "topic_arn"):
        return "sns"
    return "s3"


def _path_of(construct: Any) -> str:
    return str(construct.node.path)


@dataclass(frozen=True)
class _Destination:
    """An on-failure destination as the mapping, the grants and the alarm need it.

    Its ARN, the consumer's grant, and the metric that counts records arriving there (the
    ``FailedRecords`` alarm).
    """

    kind: Literal["sqs", "sns", "s3"]
    resource: FailureDestination
    arn: str
    grant: Callable[[iam.IGrantable], iam.Grant]
    grant_description: str
    metric: cloudwatch.IMetric

    @classmethod
    def of(cls, resource: FailureDestination, consumer: Construct) -> _Destination:
        """Describe ``resource``; a bucket gets the request metrics its alarm needs."""
        period, total = base.METRIC_PERIOD, cloudwatch.Stats.SUM
        kind = _kind_of(resource)
        if kind == "sqs":
            queue: Any = resource
            return cls(
                kind,
                resource,
                queue.queue_arn,
                queue.grant_send_messages,
                "sqs:SendMessage on the failure queue",
                queue.metric_number_of_messages_sent(period=period, statistic=total),
            )
        if kind == "sns":
            topic: Any = resource
            return cls(
                kind,
                resource,
                topic.topic_arn,
                topic.grant_publish,
                "sns:Publish on the failure topic",
                topic.metric_number_of_messages_published(period=period, statistic=total),
            )
        bucket: Any = resource
        filter_id = _request_metrics(bucket, consumer)
        return cls(
            kind,
            resource,
            bucket.bucket_arn,
            lambda grantee: _grant_failure_bucket(bucket, grantee),
            "s3:PutObject and s3:ListBucket on the failure bucket",
            cloudwatch.Metric(
                namespace="AWS/S3",
                metric_name="PutRequests",
                dimensions_map={"BucketName": bucket.bucket_name, "FilterId": filter_id},
                period=period,
                statistic=total,
            ),
        )


def _request_metrics(bucket: s3.IBucket, consumer: Construct) -> str:
    """Return the id of the bucket's request-metrics filter the alarm reads.

    A bucket of this app gets a whole-bucket filter of that id (S3 publishes request metrics
    only for a configured filter); for an imported one the user must add it: a warning says so.
    """
    filter_id = Names.unique_resource_name(
        consumer,
        max_length=limits.S3_MAX_METRICS_ID_LENGTH,
        allowed_special_characters="-_.",
    )
    if isinstance(bucket, s3.Bucket):
        bucket.add_metric(id=filter_id)
    else:
        Annotations.of(consumer).add_warning_v2(
            "constructs_pkg:failure-bucket-metrics",
            f"The failure bucket {bucket.node.path} is imported: add a request-metrics "
            f"configuration with id {filter_id!r} and no filter to it, otherwise S3 publishes "
            "no PutRequests metric and the FailedRecords alarm never fires.",
        )
    return filter_id


def _grant_failure_bucket(bucket: s3.IBucket, grantee: iam.IGrantable) -> iam.Grant:
    """Grant what Lambda needs to write a failed batch: s3:PutObject, s3:ListBucket, KMS."""
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:PutObject"], resource_arns=[bucket.arn_for_objects("*")]
    ).combine(
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["s3:ListBucket"], resource_arns=[bucket.bucket_arn]
        )
    )
    if bucket.encryption_key is not None:
        grant = grant.combine(bucket.encryption_key.grant(grantee, "kms:GenerateDataKey"))
    return grant


@jsii.implements(lambda_.IEventSourceDlq)
class _ArnDestination:
    """On-failure destination without an implicit grant (``_build_mapping`` grants it)."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def bind(
        self, target: lambda_.IEventSourceMapping, target_handler: lambda_.IFunction
    ) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.arn)
