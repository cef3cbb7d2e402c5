"""FifoOrderedConsumer: an SQS FIFO queue consumed in message-group order by a released alias."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from aws_cdk import Annotations, Duration, Tokenization
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._validation import check_name, is_unresolved, seconds
from constructs_pkg.consumers import _base as base
from constructs_pkg.consumers._target import Consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity, fifo_capacity
from constructs_pkg.runtime.env import QUEUE_URL_SUFFIX

__all__ = ["FifoOrderedConsumer"]

_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
#: The visibility timeout SQS gives a queue created without one.
_SQS_DEFAULT_VISIBILITY_SECONDS = 30.0


class _QueueSettings(TypedDict):
    """What shapes the queue this construct creates (each is an error with ``queue=``)."""

    queue_name: str | None
    max_receive_count: int | None
    visibility_timeout: Duration | None
    content_based_deduplication: bool | None
    high_throughput: bool | None
    dead_letter_queue: sqs.IQueue | None


@dataclass(frozen=True)
class _QueueFacts:
    """What the rest of the construct needs to know of the queue, created or given.

    None means unknown (an imported queue).
    """

    queue: sqs.IQueue
    dead_letter_queue: sqs.IQueue | None
    max_receive_count: int | None
    visibility_timeout_seconds: float | None


class FifoOrderedConsumer(base.OrderedConsumerBase):
    """An SQS FIFO queue, its event source mapping, FIFO dead-letter queue and alarms.

    Messages of one message group are processed in order, one batch at a time; different
    groups are processed in parallel up to ``max_concurrency``. The mapping invokes the
    consumer's alias. The queue's visibility timeout is derived from the function timeout
    so a message is never handed to a second invocation while the first still runs.

    Parameters
    ----------
    consumer
        A SafeFunction (its alias is used), a ``lambda.IAlias`` or a ``lambda.IVersion``.
    queue
        An existing FIFO queue; it must have a FIFO dead-letter queue. Default: a queue is
        created (FIFO, content-based deduplication, SSE-SQS, 4 days retention,
        ``removal_policy``) with a FIFO dead-letter queue (14 days).
    queue_name
        Physical name of the created queue; must end in ``.fifo``. Default: generated.
    batch_size
        Messages per invocation, 1-10 (the FIFO maximum). Default: 10.
    max_concurrency
        Most concurrent invocations, 2-1000, and at most the function's reserved
        concurrency (above it, throttled receives would count towards
        ``max_receive_count`` and dead-letter healthy messages). Default: no limit.
    max_receive_count
        Receives before a message moves to the dead-letter queue, 1-1000; below 5 a
        warning (throttling can exhaust it). Default: 5.
    visibility_timeout
        Of the created queue; at least the function timeout (error), should be at least
        6x (warning). Default: 6x the function timeout.
    content_based_deduplication
        Of the created queue. Default: True.
    high_throughput
        FIFO high-throughput mode (deduplication and throughput limit per message group).
        Default: False.
    dead_letter_queue
        A FIFO queue for the created queue's redrive policy. Default: one is created.
    max_batching_window
        Not supported by Lambda for FIFO queues: any value above zero is an error.
    stuck_group_age
        The stuck-group alarm fires when the oldest message is older than this.
        Default: 3x the visibility timeout.
    **options
        The options every ordered consumer takes (``OrderedConsumerOptions``):
        ``report_batch_item_failures`` (default True; see
        ``constructs_pkg.runtime.batch.process_fifo_batch``), ``record_duration`` (default:
        the function timeout divided by ``batch_size``), ``removal_policy`` of the created
        queues (default ``RemovalPolicy.RETAIN``), ``accepted_format_versions`` (default
        ``(1,)``), ``env_prefix`` (default: the construct id in upper snake case).

    Examples
    --------
    ::

        payments = FifoOrderedConsumer(stack, "Payments", consumer=payments_fn,
            batch_size=10, max_concurrency=20, max_receive_count=5)
        payments.grant_send(orders.function)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: Consumer,
        queue: sqs.IQueue | None = None,
        queue_name: str | None = None,
        batch_size: int = defaults.FIFO_BATCH_SIZE,
        max_concurrency: int | None = None,
        max_receive_count: int | None = None,
        visibility_timeout: Duration | None = None,
        content_based_deduplication: bool | None = None,
        high_throughput: bool | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        max_batching_window: Duration | None = None,
        stuck_group_age: Duration | None = None,
        **options: Unpack[base.OrderedConsumerOptions],
    ) -> None:
        created = _QueueSettings(
            queue_name=queue_name,
            max_receive_count=max_receive_count,
            visibility_timeout=visibility_timeout,
            content_based_deduplication=content_based_deduplication,
            high_throughput=high_throughput,
            dead_letter_queue=dead_letter_queue,
        )
        mapping: base.MappingOptions = {
            "batch_size": batch_size,
            "max_concurrency": max_concurrency,
        }
        super().__init__(scope, construct_id, consumer, ("queue", queue), created, options)
        self._validate(queue, created, mapping, max_batching_window, stuck_group_age)
        facts = self._build_queue(created) if queue is None else self._inspect_existing(queue)
        #: The FIFO queue the consumer reads.
        self.queue: sqs.IQueue = facts.queue
        #: The FIFO dead-letter queue (None only for an imported queue whose DLQ is unknown).
        self.dead_letter_queue: sqs.IQueue | None = facts.dead_letter_queue
        self._check_visibility(facts.visibility_timeout_seconds)
        #: The event source mapping (invokes the alias / version).
        self.event_source_mapping = self._build_mapping(
            self.queue.queue_arn,
            mapping,
            [(self.queue.grant_consume_messages, "consume access to the queue")],
        )
        self._build_alarms(self._alarm_specs(facts, stuck_group_age))
        self._report_capacity(self._capacity_of(mapping, facts), self.queue)
        self._warn_low_receive_count(facts.max_receive_count)

    # --- steps -------------------------------------------------------------------------------

    def _validate(
        self,
        queue: sqs.IQueue | None,
        created: _QueueSettings,
        mapping: base.MappingOptions,
        max_batching_window: Duration | None,
        stuck_group_age: Duration | None,
    ) -> None:
        """Bounds and rules of the arguments, before anything is created."""
        if queue is not None:
            self._require_fifo("queue", queue, "a FIFO queue (fifo=True, name ending in .fifo)")
        self._check_bounds(
            base.WholeNumber(
                "batch_size", mapping["batch_size"], 1, limits.FIFO_MAX_BATCH_SIZE, required=True
            ),
            base.WholeNumber(
                "max_receive_count",
                created["max_receive_count"],
                1,
                limits.SQS_MAX_RECEIVE_COUNT_LIMIT,
            ),
            base.WholeNumber(
                "max_concurrency",
                mapping["max_concurrency"],
                limits.SQS_MIN_MAX_CONCURRENCY,
                limits.SQS_MAX_MAX_CONCURRENCY,
            ),
            base.DurationRange(
                "visibility_timeout",
                created["visibility_timeout"],
                minimum=0,
                maximum=limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
            ),
            base.DurationRange("stuck_group_age", stuck_group_age, minimum=60),
        )
        window = max_batching_window
        if window is not None and (window.is_unresolved() or window.to_milliseconds() > 0):
            self._fail(
                "max_batching_window",
                window,
                "no batching window (Lambda does not support one for FIFO queues)",
            )
        if created["queue_name"] is not None:
            check_name(
                "queue_name",
                created["queue_name"],
                _FIFO_NAME,
                "1-75 letters, digits, '-' or '_' followed by '.fifo'",
                path=self.node.path,
            )
        concurrency, reserved = mapping["max_concurrency"], self.consumer.reserved_concurrency
        if (
            concurrency is not None
            and reserved is not None
            and not is_unresolved(concurrency)
            and concurrency > reserved
        ):
            self._fail(
                "max_concurrency",
                concurrency,
                f"at most the function's reserved concurrency ({reserved})",
                reason="Above it Lambda throttles the invocations; each throttled receive "
                "counts towards max_receive_count and healthy messages reach the "
                "dead-letter queue.",
            )
        if created["dead_letter_queue"] is not None:
            self._require_fifo(
                "dead_letter_queue",
                created["dead_letter_queue"],
                "a FIFO queue (the dead-letter queue of a FIFO queue must be FIFO)",
            )

    def _build_queue(self, created: _QueueSettings) -> _QueueFacts:
        """Create the FIFO queue and (unless given) its FIFO dead-letter queue."""
        visibility = created["visibility_timeout"] or Duration.seconds(self._derived_visibility)
        receive_count = created["max_receive_count"] or defaults.FIFO_MAX_RECEIVE_COUNT
        dead_letter_queue = created["dead_letter_queue"] or self._build_dead_letter_queue(fifo=True)
        throughput: dict[str, Any] = (
            {
                "deduplication_scope": sqs.DeduplicationScope.MESSAGE_GROUP,
                "fifo_throughput_limit": sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            }
            if created["high_throughput"]
            else {}
        )
        dedup = created["content_based_deduplication"]
        queue = sqs.Queue(
            self,
            "Queue",
            fifo=True,
            queue_name=created["queue_name"],
            content_based_deduplication=True if dedup is None else dedup,
            visibility_timeout=visibility,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(defaults.SOURCE_QUEUE_RETENTION_DAYS),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=int(receive_count), queue=dead_letter_queue
            ),
            removal_policy=self._removal_policy,
            **throughput,
        )
        return _QueueFacts(queue, dead_letter_queue, receive_count, seconds(visibility))

    def _inspect_existing(self, queue: sqs.IQueue) -> _QueueFacts:
        """Dead-letter queue, receive count and visibility timeout of a queue passed in."""
        if not isinstance(queue, sqs.Queue):
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:imported-queue",
                "The queue is imported: its dead-letter queue and visibility timeout cannot be "
                "checked. Make sure it has a FIFO dead-letter queue and a visibility timeout of "
                "at least 6x the function timeout.",
            )
            return _QueueFacts(queue, None, None, None)
        redrive = queue.dead_letter_queue
        if redrive is None:
            self._fail(
                "queue",
                queue.node.path,
                "a queue with a FIFO dead-letter queue",
                reason="Without one a failing message is retried until it expires, blocking its "
                "message group for the whole retention period.",
            )
        self._require_fifo(
            "queue", redrive.queue, "a queue whose dead-letter queue is FIFO", shown=queue
        )
        cfn: Any = queue.node.default_child
        visibility = getattr(cfn, "visibility_timeout", None)
        visibility_seconds: float | None
        if visibility is None:
            visibility_seconds = _SQS_DEFAULT_VISIBILITY_SECONDS
        elif is_unresolved(visibility):
            visibility_seconds = None
        else:
            visibility_seconds = float(visibility)
        return _QueueFacts(queue, redrive.queue, int(redrive.max_receive_count), visibility_seconds)

    def _check_visibility(self, visibility: float | None) -> None:
        """At least the function timeout (error); at least 6x it (warning)."""
        timeout = self.consumer.timeout_seconds
        if visibility is None or timeout is None:
            return
        if visibility < timeout:
            self._fail(
                "visibility_timeout",
                Duration.seconds(visibility),
                f"at least the function timeout ({timeout:g} seconds)",
                reason="Lambda rejects the event source mapping otherwise.",
            )
        factor = defaults.FIFO_VISIBILITY_TIMEOUT_FACTOR
        if visibility < timeout * factor:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:short-visibility-timeout",
                f"The queue's visibility timeout ({visibility:g} s) is below {factor}x the "
                f"function timeout ({timeout:g} s): a retried or throttled batch can become "
                "visible again while it is still being processed.",
            )

    def _alarm_specs(
        self, facts: _QueueFacts, stuck_group_age: Duration | None
    ) -> list[base.AlarmSpec]:
        """FailedMessages (rollback; needs a known DLQ) and StuckGroup."""
        specs = []
        dlq = facts.dead_letter_queue
        if dlq is not None:
            specs.append(
                base.AlarmSpec(
                    "FailedMessages",
                    metric=cloudwatch.MathExpression(
                        expression="DIFF(visible)",
                        using_metrics={
                            "visible": dlq.metric_approximate_number_of_messages_visible(
                                period=base.METRIC_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                            )
                        },
                        label="Messages newly in the dead-letter queue",
                        period=base.METRIC_PERIOD,
                    ),
                    threshold=0,
                    rollback=True,
                    description="messages reached the dead-letter queue (their group's order is "
                    "broken). During a release this rolls the consumer back.",
                )
            )
        stuck = _stuck_seconds(stuck_group_age, facts, self._derived_visibility)
        specs.append(
            base.AlarmSpec(
                "StuckGroup",
                metric=self.queue.metric_approximate_age_of_oldest_message(
                    period=base.METRIC_PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=stuck,
                description=f"the oldest message waits more than {_seconds_text(stuck)} s: a "
                "message group is stuck behind a failing message or the consumer falls behind.",
            )
        )
        return specs

    def _capacity_of(self, mapping: base.MappingOptions, facts: _QueueFacts) -> ConsumerCapacity:
        concurrency = mapping["max_concurrency"]
        return fifo_capacity(
            max_concurrency=None if concurrency is None else int(concurrency),
            reserved_concurrency=self.consumer.reserved_concurrency,
            max_receive_count=facts.max_receive_count,
            visibility_timeout_seconds=facts.visibility_timeout_seconds,
            record_duration_seconds=self._record_seconds(mapping["batch_size"]),
        )

    def _warn_low_receive_count(self, receive_count: int | None) -> None:
        if receive_count is not None and receive_count < defaults.FIFO_MIN_SAFE_RECEIVE_COUNT:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:low-receive-count",
                f"max_receive_count is {receive_count}: throttled or timed-out receives count too, "
                f"so healthy messages can reach the dead-letter queue. Use at least "
                f"{defaults.FIFO_MIN_SAFE_RECEIVE_COUNT}.",
            )

    # --- helpers -------------------------------------------------------------------------------

    @property
    def _derived_visibility(self) -> float:
        """The visibility timeout this construct gives a queue it creates (6x the timeout)."""
        return self.consumer.assumed_timeout_seconds * defaults.FIFO_VISIBILITY_TIMEOUT_FACTOR

    def _require_fifo(
        self, argument: str, queue: sqs.IQueue, allowed: str, *, shown: sqs.IQueue | None = None
    ) -> None:
        """Fail unless ``queue`` is FIFO; the error shows ``shown`` (default: ``queue``)."""
        if not queue.fifo:
            self._fail(argument, (shown or queue).node.path, allowed)

    # --- producers -----------------------------------------------------------------------------

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to send messages to the queue."""
        return self.queue.grant_send_messages(grantee)

    def _grant_producer(self, grantee: iam.IGrantable) -> None:
        self.queue.grant(grantee, "sqs:SendMessage")
        if self.queue.encryption_master_key is not None:
            self.queue.encryption_master_key.grant_encrypt_decrypt(grantee)

    def _producer_target(self) -> tuple[str, str]:
        return QUEUE_URL_SUFFIX, self.queue.queue_url


def _stuck_seconds(given: Duration | None, facts: _QueueFacts, derived: float) -> float:
    """Threshold of StuckGroup: ``stuck_group_age`` (a token stays one), else 3x visibility.

    An unknown visibility timeout (imported queue) is assumed to be the one this construct
    would create.
    """
    if given is not None:
        known = seconds(given)
        return given.to_seconds() if known is None else known
    visibility = facts.visibility_timeout_seconds or derived
    return visibility * defaults.STUCK_GROUP_VISIBILITY_TIMEOUTS


def _seconds_text(value: float) -> str:
    """``600.0`` -> ``600``; a token number -> a string token of it (resolved at synth)."""
    if is_unresolved(value):
        return Tokenization.stringify_number(value)
    return f"{value:g}"
