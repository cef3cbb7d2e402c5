"""What both ordered consumers share: the target, the alarm path, the capacity report."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct, IConstruct

from constructs_pkg._lazy import add_lazy_metadata
from constructs_pkg._text import upper_snake
from constructs_pkg._validation import check_duration, check_number
from constructs_pkg.assembly.records import ConsumerRecord, ProducerRecord
from constructs_pkg.consumers._target import ConsumerTarget, resolve_consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity
from constructs_pkg.contracts.order import ReleaseOrder
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.limits import LAMBDA_MAX_TIMEOUT_SECONDS
from constructs_pkg.release.alarms import LAMBDA_NAMESPACE, add_alarm
from constructs_pkg.runtime.env import FORMAT_VERSION_SUFFIX

_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _describe(value: Any) -> str:
    node = getattr(value, "node", None)
    return (
        f"<{type(value).__name__} {node.path}>" if node is not None else f"<{type(value).__name__}>"
    )


class OrderedConsumerBase(Construct):
    """Base of :class:`KinesisOrderedConsumer` and :class:`FifoOrderedConsumer`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: Any,
        accepted_format_versions: Sequence[int],
        env_prefix: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        #: What the event source mapping invokes (an alias or a version, never $LATEST).
        self.consumer: ConsumerTarget = resolve_consumer(consumer, path=self.node.path)
        #: Format versions the consumer reads; producers must emit one of them.
        self.accepted_format_versions: tuple[int, ...] = self._check_versions(
            accepted_format_versions
        )
        #: Prefix of the environment variables ``add_producer`` sets on producers.
        self.env_prefix = env_prefix or upper_snake(construct_id)
        if not _ENV_NAME.match(self.env_prefix):
            self._fail(
                "env_prefix",
                self.env_prefix,
                "letters, digits and '_', starting with a letter (an environment variable name)",
            )
        #: Producers added with :meth:`add_producer`: (construct path, format version).
        self.producers: list[tuple[str, int]] = []
        #: Every alarm this consumer created.
        self.alarms: list[cloudwatch.Alarm] = []
        #: The event source mapping (set by the subclass).
        self.event_source_mapping: lambda_.EventSourceMapping
        self._capacity: ConsumerCapacity | None = None
        if self.consumer.timeout_seconds is None:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:unknown-timeout",
                "The consumer's timeout cannot be read (imported function or a token): it is not "
                "checked against the visibility timeout, and the capacity report assumes the "
                "900 s maximum.",
            )

    @property
    def capacity(self) -> ConsumerCapacity:
        """The synth-time capacity report (also printed as an info annotation)."""
        assert self._capacity is not None
        return self._capacity

    # --- producers -------------------------------------------------------------------------

    def add_producer(self, producer: Any, *, format_version: int) -> None:
        """Wire ``producer`` to write to this consumer in ``format_version``.

        Grants exactly the write actions it needs, sets ``<PREFIX>_QUEUE_URL`` (FIFO) or
        ``<PREFIX>_STREAM_NAME`` (Kinesis) and ``<PREFIX>_FORMAT_VERSION`` in its
        environment, and makes its release wait for the consumer's (consumers first).

        Parameters
        ----------
        producer
            A SafeFunction or a ``lambda.Function`` of this app.
        format_version
            The format it writes; must be one of ``accepted_format_versions``.
        """
        from constructs_pkg.release.safe_function import SafeFunction

        if isinstance(producer, SafeFunction):
            function: Any = producer.function
            release: IConstruct = producer.alias
        elif isinstance(producer, lambda_.Function):
            function = release = producer
        else:
            self._fail(
                "producer",
                _describe(producer),
                "a SafeFunction or a lambda.Function defined in this app",
                reason="Its environment must be set, which an imported function does not allow.",
            )
        check_number("format_version", format_version, minimum=1, whole=True, path=self.node.path)
        if int(format_version) not in self.accepted_format_versions:
            self._fail(
                "format_version",
                format_version,
                f"one of {list(self.accepted_format_versions)}, the versions "
                f"{self.node.path} accepts",
                reason=f"Producer {producer.node.path} would emit records its consumer "
                f"{self.consumer.description} cannot read; release a consumer that accepts "
                f"version {format_version} first.",
            )
        owner = self.consumer.owner_path
        ReleaseOrder.of(self).add(producer.node.path, owner, path=self.node.path)
        if owner != producer.node.path:
            release.node.add_dependency(self.consumer.target)
        self._grant_producer(function)
        suffix, value = self._producer_target()
        function.add_environment(f"{self.env_prefix}{suffix}", value)
        function.add_environment(
            f"{self.env_prefix}{FORMAT_VERSION_SUFFIX}", str(int(format_version))
        )
        self.producers.append((producer.node.path, int(format_version)))

    def _grant_producer(self, grantee: iam.IGrantable) -> None:
        raise NotImplementedError

    def _producer_target(self) -> tuple[str, str]:
        """Return the environment-variable suffix and value that name the target."""
        raise NotImplementedError

    def _check_versions(self, versions: Sequence[int]) -> tuple[int, ...]:
        allowed = "a non-empty sequence of distinct whole numbers of at least 1"
        if isinstance(versions, str | int) or not versions:
            self._fail("accepted_format_versions", versions, allowed)
        for version in versions:
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                self._fail("accepted_format_versions", tuple(versions), allowed)
        if len(set(versions)) != len(versions):
            self._fail("accepted_format_versions", tuple(versions), allowed)
        return tuple(sorted(versions))

    def _record(self, kind: str, source: str) -> ConsumerRecord:
        """Describe the consumer for tools (``constructs-pkg plan``; metadata on the mapping)."""
        safe = self.consumer.safe_function
        return ConsumerRecord(
            kind=kind,
            path=self.node.path,
            consumer=safe.node.path if safe is not None else self.consumer.description,
            source=source,
            accepted_format_versions=self.accepted_format_versions,
            producers=tuple(
                ProducerRecord(producer=path, format_version=version)
                for path, version in self.producers
            ),
            capacity=self.capacity,
        )

    def _stamp_plan_metadata(self, kind: str, source: str) -> None:
        add_lazy_metadata(
            self.event_source_mapping, ConsumerRecord.key, lambda: self._record(kind, source)
        )

    # --- helpers for subclasses ------------------------------------------------------------

    def _fail(self, argument: str, value: Any, allowed: str, reason: str | None = None) -> NoReturn:
        raise ConfigurationError(argument, value, allowed, path=self.node.path, reason=reason)

    def _reject_with_existing(self, source: str, **given: Any) -> None:
        """Reject settings that only shape a resource this construct creates (with ``source=``)."""
        for argument, value in given.items():
            if value is not None:
                self._fail(
                    argument,
                    value,
                    f"no value when {source}= is given",
                    reason=f"{argument} configures the {source} this construct creates; set it on "
                    f"your own {source} instead, it would otherwise be silently ignored.",
                )

    def _record_duration(self, value: Duration | None, batch_size: int) -> float:
        """Seconds per record for the capacity report: given, or timeout / batch size."""
        if value is not None:
            check_duration(
                "record_duration",
                value,
                minimum_seconds=0.001,
                maximum_seconds=LAMBDA_MAX_TIMEOUT_SECONDS,
                path=self.node.path,
            )
            if not value.is_unresolved():
                return value.to_milliseconds() / 1000.0
        return self.consumer.assumed_timeout_seconds / max(int(batch_size), 1)

    def _grant_consumer(self, grant: Callable[[iam.IGrantable], iam.Grant], what: str) -> None:
        """Grant the consumer ``what``; warn instead when it has no role we can change."""
        target: Any = self.consumer.target
        if getattr(target, "role", None) is None:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:consumer-without-role",
                f"The consumer is imported without a role: grant it {what} yourself.",
            )
            return
        grant(target)

    def _lambda_metric(self, metric_name: str, statistic: str) -> cloudwatch.Metric:
        """Return a Lambda metric of the invoked alias/version (``FunctionName`` + ``Resource``)."""
        target: Any = self.consumer.target
        if hasattr(target, "alias_name"):
            function_name, qualifier = target.version.lambda_.function_name, target.alias_name
        else:
            function_name, qualifier = target.lambda_.function_name, target.version
        return cloudwatch.Metric(
            namespace=LAMBDA_NAMESPACE,
            metric_name=metric_name,
            statistic=statistic,
            period=Duration.minutes(1),
            dimensions_map={
                "FunctionName": function_name,
                "Resource": f"{function_name}:{qualifier}",
            },
        )

    def _alarm(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
        rollback: bool = False,
    ) -> cloudwatch.Alarm:
        alarm = add_alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            description=f"{self.node.path}: {description}",
            evaluation_periods=evaluation_periods,
        )
        self.alarms.append(alarm)
        if rollback and self.consumer.safe_function is not None:
            self.consumer.safe_function.add_rollback_alarm(alarm)
        return alarm

    def _finish(self, capacity: ConsumerCapacity) -> None:
        self._capacity = capacity
        Annotations.of(self).add_info(capacity.describe())
        safe = self.consumer.safe_function
        if safe is not None and safe.rollout.kind != "all_at_once":
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:ordered-canary",
                f"{safe.node.path} shifts gradually ({safe.rollout.describe()}): during the "
                "rollout the old and the new version both consume, so records of one key can be "
                "handled by either version, in order but not by one version. Use "
                "Rollout.all_at_once() for consumers whose versions must not interleave.",
            )
