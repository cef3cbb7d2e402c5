"""FifoOrderedConsumer: an SQS FIFO queue consumed in message-group order by a released alias."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._validation import check_duration, check_number, is_unresolved, seconds
from constructs_pkg.consumers._base import OrderedConsumerBase
from constructs_pkg.consumers._target import Consumer
from constructs_pkg.consumers.capacity import fifo_capacity
from constructs_pkg.runtime.env import QUEUE_URL_SUFFIX

__all__ = ["FifoOrderedConsumer"]

_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")


class FifoOrderedConsumer(OrderedConsumerBase):
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
    report_batch_item_failures
        Handlers report failed messages (see
        ``constructs_pkg.runtime.batch.process_fifo_batch``). Default: True.
    stuck_group_age
        The stuck-group alarm fires when the oldest message is older than this.
        Default: 3x the visibility timeout.
    record_duration
        Expected processing time of one message, for the capacity report. Default: the
        function timeout divided by ``batch_size``.
    removal_policy
        Of the created queues. Default: ``RemovalPolicy.RETAIN``.

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
        report_batch_item_failures: bool = True,
        stuck_group_age: Duration | None = None,
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
        timeout = self.consumer.timeout_seconds
        # The visibility timeout this construct gives a queue it creates (6x the timeout).
        derived_visibility = (
            self.consumer.assumed_timeout_seconds * defaults.FIFO_VISIBILITY_TIMEOUT_FACTOR
        )
        if queue is not None:
            self._reject_with_existing(
                "queue",
                queue_name=queue_name,
                max_receive_count=max_receive_count,
                visibility_timeout=visibility_timeout,
                content_based_deduplication=content_based_deduplication,
                high_throughput=high_throughput,
                dead_letter_queue=dead_letter_queue,
            )
            if not is_unresolved(queue.fifo) and not queue.fifo:
                self._fail(
                    "queue", queue.node.path, "a FIFO queue (fifo=True, name ending in .fifo)"
                )
        check_number(
            "batch_size",
            batch_size,
            minimum=1,
            maximum=limits.FIFO_MAX_BATCH_SIZE,
            whole=True,
            path=path,
        )
        if max_batching_window is not None and (
            max_batching_window.is_unresolved() or max_batching_window.to_milliseconds() > 0
        ):
            self._fail(
                "max_batching_window",
                max_batching_window,
                "no batching window (Lambda does not support one for FIFO queues)",
            )
        if (
            queue_name is not None
            and not is_unresolved(queue_name)
            and not _FIFO_NAME.match(queue_name)
        ):
            self._fail(
                "queue_name",
                queue_name,
                "1-75 letters, digits, '-' or '_' followed by '.fifo'",
            )
        if max_receive_count is not None:
            check_number(
                "max_receive_count",
                max_receive_count,
                minimum=1,
                maximum=limits.SQS_MAX_RECEIVE_COUNT_LIMIT,
                whole=True,
                path=path,
            )
        if max_concurrency is not None:
            check_number(
                "max_concurrency",
                max_concurrency,
                minimum=limits.SQS_MIN_MAX_CONCURRENCY,
                maximum=limits.SQS_MAX_MAX_CONCURRENCY,
                whole=True,
                path=path,
            )
            reserved = self.consumer.reserved_concurrency
            if (
                reserved is not None
                and not is_unresolved(max_concurrency)
                and max_concurrency > reserved
            ):
                self._fail(
                    "max_concurrency",
                    max_concurrency,
                    f"at most the function's reserved concurrency ({reserved})",
                    reason="Above it Lambda throttles the invocations; each throttled receive "
                    "counts towards max_receive_count and healthy messages reach the "
                    "dead-letter queue.",
                )
        if (
            dead_letter_queue is not None
            and not is_unresolved(dead_letter_queue.fifo)
            and not dead_letter_queue.fifo
        ):
            self._fail(
                "dead_letter_queue",
                dead_letter_queue.node.path,
                "a FIFO queue (the dead-letter queue of a FIFO queue must be FIFO)",
            )

        if queue is None:
            visibility = visibility_timeout or Duration.seconds(derived_visibility)
            check_duration(
                "visibility_timeout",
                visibility,
                minimum_seconds=0,
                maximum_seconds=limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
                whole="seconds",
                path=path,
            )
            receive_count: int | None = max_receive_count or defaults.FIFO_MAX_RECEIVE_COUNT
            redrive_target: sqs.IQueue = dead_letter_queue or sqs.Queue(
                self,
                "DeadLetterQueue",
                fifo=True,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(defaults.DEAD_LETTER_RETENTION_DAYS),
                removal_policy=removal_policy,
            )
            throughput: dict[str, Any] = (
                {
                    "deduplication_scope": sqs.DeduplicationScope.MESSAGE_GROUP,
                    "fifo_throughput_limit": sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
                }
                if high_throughput
                else {}
            )
            queue = sqs.Queue(
                self,
                "Queue",
                fifo=True,
                queue_name=queue_name,
                content_based_deduplication=(
                    True if content_based_deduplication is None else content_based_deduplication
                ),
                visibility_timeout=visibility,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(defaults.SOURCE_QUEUE_RETENTION_DAYS),
                dead_letter_queue=sqs.DeadLetterQueue(
                    max_receive_count=int(max_receive_count or defaults.FIFO_MAX_RECEIVE_COUNT),
                    queue=redrive_target,
                ),
                removal_policy=removal_policy,
                **throughput,
            )
            visibility_seconds = seconds(visibility)
            dlq: sqs.IQueue | None = redrive_target
        else:
            dlq, receive_count, visibility_seconds = self._inspect_existing(queue)

        #: The FIFO queue the consumer reads.
        self.queue: sqs.IQueue = queue
        #: The FIFO dead-letter queue (None only for an imported queue whose DLQ is unknown).
        self.dead_letter_queue: sqs.IQueue | None = dlq
        self._check_visibility(visibility_seconds, timeout)

        #: The event source mapping (invokes the alias / version).
        self.event_source_mapping = lambda_.EventSourceMapping(
            self,
            "EventSourceMapping",
            target=self.consumer.target,
            event_source_arn=queue.queue_arn,
            batch_size=batch_size,
            max_concurrency=max_concurrency,
            report_batch_item_failures=report_batch_item_failures,
        )
        self._grant_consumer(queue.grant_consume_messages, "consume access to the queue")

        if dlq is not None:
            self._alarm(
                "FailedMessages",
                metric=cloudwatch.MathExpression(
                    expression="DIFF(visible)",
                    using_metrics={
                        "visible": dlq.metric_approximate_number_of_messages_visible(
                            period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                        )
                    },
                    label="Messages newly in the dead-letter queue",
                    period=Duration.minutes(1),
                ),
                threshold=0,
                rollback=True,
                description="messages reached the dead-letter queue (their group's order is "
                "broken). During a release this rolls the consumer back.",
            )
        if stuck_group_age is not None:
            check_duration(
                "stuck_group_age", stuck_group_age, minimum_seconds=60, whole="seconds", path=path
            )
        # Unknown visibility (imported queue): assume the one this construct would create.
        assumed_visibility = visibility_seconds or derived_visibility
        stuck_seconds = seconds(stuck_group_age) or (
            assumed_visibility * defaults.STUCK_GROUP_VISIBILITY_TIMEOUTS
        )
        self._alarm(
            "StuckGroup",
            metric=queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=stuck_seconds,
            description=f"the oldest message waits more than {stuck_seconds:g} s: a message group "
            "is stuck behind a failing message or the consumer falls behind.",
        )
        self._finish(
            fifo_capacity(
                max_concurrency=None if max_concurrency is None else int(max_concurrency),
                reserved_concurrency=self.consumer.reserved_concurrency,
                max_receive_count=receive_count,
                visibility_timeout_seconds=visibility_seconds,
                record_duration_seconds=self._record_duration(record_duration, int(batch_size)),
            )
        )
        self._stamp_plan_metadata("sqs-fifo", self.queue.node.path)
        if receive_count is not None and receive_count < defaults.FIFO_MIN_SAFE_RECEIVE_COUNT:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:low-receive-count",
                f"max_receive_count is {receive_count}: throttled or timed-out receives count too, "
                f"so healthy messages can reach the dead-letter queue. Use at least "
                f"{defaults.FIFO_MIN_SAFE_RECEIVE_COUNT}.",
            )

    # --- checks ----------------------------------------------------------------------------

    def _inspect_existing(
        self, queue: sqs.IQueue
    ) -> tuple[sqs.IQueue | None, int | None, float | None]:
        """Dead-letter queue, receive count and visibility timeout of a queue passed in."""
        if not isinstance(queue, sqs.Queue):
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:imported-queue",
                "The queue is imported: its dead-letter queue and visibility timeout cannot be "
                "checked. Make sure it has a FIFO dead-letter queue and a visibility timeout of "
                "at least 6x the function timeout.",
            )
            return None, None, None
        redrive = queue.dead_letter_queue
        if redrive is None:
            self._fail(
                "queue",
                queue.node.path,
                "a queue with a FIFO dead-letter queue",
                reason="Without one a failing message is retried until it expires, blocking its "
                "message group for the whole retention period.",
            )
            raise AssertionError("unreachable")
        if not is_unresolved(redrive.queue.fifo) and not redrive.queue.fifo:
            self._fail(
                "queue",
                queue.node.path,
                "a queue whose dead-letter queue is FIFO",
            )
        cfn: Any = queue.node.default_child
        visibility = getattr(cfn, "visibility_timeout", None)
        if visibility is None:
            visibility_seconds: float | None = 30.0  # the SQS default
        elif is_unresolved(visibility):
            visibility_seconds = None
        else:
            visibility_seconds = float(visibility)
        return redrive.queue, int(redrive.max_receive_count), visibility_seconds

    def _check_visibility(self, visibility: float | None, timeout: float | None) -> None:
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
                f"function "
                f"timeout ({timeout:g} s): a retried or throttled batch can become visible again "
                "while it is still being processed.",
            )

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to send messages to the queue."""
        return self.queue.grant_send_messages(grantee)

    def _grant_producer(self, grantee: iam.IGrantable) -> None:
        self.queue.grant(grantee, "sqs:SendMessage")
        if self.queue.encryption_master_key is not None:
            self.queue.encryption_master_key.grant_encrypt_decrypt(grantee)

    def _producer_target(self) -> tuple[str, str]:
        return QUEUE_URL_SUFFIX, self.queue.queue_url
