"""What every ordered consumer shares: options, opening checks, alarms, producers, capacity.

A source module (``kinesis.py``, ``fifo.py``) writes only what differs: its own arguments,
the resources it creates, its mapping, its table of alarms and its capacity formula. The
constructor of each reads as the same sequence of steps::

    super().__init__(...)     # resolve the consumer, the shared options, the opening checks
    self._validate(...)       # the source's own bounds and rules (nothing created yet)
    self._build_<source>(...) # the stream / queue and the failure destination
    self._build_mapping(...)  # the event source mapping (MappingOptions), the consumer's grants
    self._build_alarms(...)   # one table of AlarmSpec, one add path
    self._report_capacity(...)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, TypedDict

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from constructs_pkg import defaults
from constructs_pkg._lazy import add_lazy_metadata
from constructs_pkg._text import upper_snake
from constructs_pkg._validation import check_duration, check_name, check_number, seconds
from constructs_pkg.assembly.records import ConsumerRecord, ProducerRecord
from constructs_pkg.consumers._target import ConsumerTarget, describe_value, resolve_consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity
from constructs_pkg.contracts.order import ReleaseOrder
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.limits import LAMBDA_MAX_TIMEOUT_SECONDS
from constructs_pkg.release.alarms import add_alarm
from constructs_pkg.runtime.env import FORMAT_VERSION_SUFFIX

__all__ = [
    "METRIC_PERIOD",
    "AlarmSpec",
    "ConsumerGrant",
    "DurationRange",
    "MappingOptions",
    "OrderedConsumerBase",
    "OrderedConsumerOptions",
    "WholeNumber",
]

_ENV_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Period of every metric a consumer alarm watches.
METRIC_PERIOD = Duration.minutes(1)


class OrderedConsumerOptions(TypedDict, total=False):
    """Keyword arguments every ordered consumer takes, after those of its source.

    Attributes
    ----------
    report_batch_item_failures
        Handlers report which records failed (see ``constructs_pkg.runtime.batch``:
        ``process_kinesis_batch`` reports the first failed sequence number,
        ``process_fifo_batch`` the first failed message and every later one). Default: True.
    record_duration
        Expected processing time of one record, for the capacity report, from 1 ms to the
        Lambda maximum (15 minutes). Default: the function timeout divided by ``batch_size``.
    removal_policy
        Of the stateful resources the construct creates (stream, queue, dead-letter queue).
        Default: ``RemovalPolicy.RETAIN``.
    accepted_format_versions
        Format versions the consumer reads; :meth:`OrderedConsumerBase.add_producer` accepts
        only producers that write one of them. Distinct whole numbers of at least 1.
        Default: ``(1,)``.
    env_prefix
        Prefix of the environment variables ``add_producer`` sets on producers, an
        environment-variable name. Default: the construct id in upper snake case
        (``OrderEvents`` -> ``ORDER_EVENTS``).
    """

    report_batch_item_failures: bool
    record_duration: Duration | None
    removal_policy: RemovalPolicy
    accepted_format_versions: Sequence[int]
    env_prefix: str | None


class MappingOptions(TypedDict, total=False):
    """What a source passes to its event source mapping, by ``lambda.EventSourceMapping`` name.

    The base adds the target, the source ARN and ``report_batch_item_failures``.
    """

    batch_size: int
    max_concurrency: int | None
    parallelization_factor: int
    max_batching_window: Duration | None
    retry_attempts: int
    max_record_age: Duration | None
    bisect_batch_on_error: bool
    starting_position: lambda_.StartingPosition
    tumbling_window: Duration | None
    on_failure: lambda_.IEventSourceDlq
    support_s3_on_failure_destination: bool | None


#: A grant the consumer needs (``queue.grant_consume_messages``) and what it allows, in words.
ConsumerGrant = tuple[Callable[[iam.IGrantable], iam.Grant], str]


@dataclass(frozen=True)
class WholeNumber:
    """One row of a ``_validate`` table: a whole number from ``minimum`` to ``maximum``.

    Tokens are not checked; nor is None, unless the argument is ``required`` (it has a
    default, so None can only be a mistake).
    """

    argument: str
    value: Any
    minimum: int
    maximum: int | None = None
    required: bool = False


@dataclass(frozen=True)
class DurationRange:
    """One row of a ``_validate`` table: a Duration from ``minimum`` to ``maximum`` seconds.

    ``whole`` requires whole seconds or hours (what CloudFormation takes). Tokens and None
    (not given) are not checked.
    """

    argument: str
    value: Duration | None
    minimum: float
    maximum: float | None = None
    whole: Literal["seconds", "hours"] | None = "seconds"


@dataclass(frozen=True)
class AlarmSpec:
    """One row of a consumer's ``_alarm_specs`` table.

    The alarm fires above ``threshold`` (missing data is not breaching, like every alarm of
    the library); a ``rollback`` alarm is also added to the consumer's SafeFunction, so a
    release that trips it is rolled back.
    """

    construct_id: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    evaluation_periods: int = 1
    rollback: bool = False


class OrderedConsumerBase(Construct):
    """Base of :class:`KinesisOrderedConsumer` and :class:`FifoOrderedConsumer`.

    Its parameters are positional-only: only a subclass's ``super().__init__`` passes them.

    Parameters
    ----------
    scope, construct_id
        As for any construct.
    consumer
        What the mapping invokes (see :func:`resolve_consumer`).
    source
        ``(argument, value)`` of an existing source, e.g. ``("queue", queue)``; value None
        when the construct creates it.
    created
        The settings that shape only a source this construct creates (a TypedDict of the
        source): each one given (not None) is an error together with an existing source, as
        it would be silently ignored.
    options
        The :class:`OrderedConsumerOptions` given.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        consumer: Any,
        source: tuple[str, IConstruct | None],
        created: Mapping[str, object],
        options: OrderedConsumerOptions,
        /,
    ) -> None:
        _reject_unknown_options(type(self).__name__, options)
        super().__init__(scope, construct_id)
        #: What the event source mapping invokes (an alias or a version, never $LATEST).
        self.consumer: ConsumerTarget = resolve_consumer(consumer, path=self.node.path)
        #: Format versions the consumer reads; producers must emit one of them.
        self.accepted_format_versions: tuple[int, ...] = self._check_versions(
            options.get("accepted_format_versions", (1,))
        )
        #: Prefix of the environment variables ``add_producer`` sets on producers.
        self.env_prefix: str = self._check_env_prefix(
            options.get("env_prefix") or upper_snake(construct_id)
        )
        #: Producers added with :meth:`add_producer`: (construct path, format version).
        self.producers: list[tuple[str, int]] = []
        #: Every alarm this consumer created.
        self.alarms: list[cloudwatch.Alarm] = []
        #: The event source mapping (set by the subclass).
        self.event_source_mapping: lambda_.EventSourceMapping
        self._record_duration = options.get("record_duration")
        self._removal_policy = options.get("removal_policy", RemovalPolicy.RETAIN)
        self._report_batch_item_failures = options.get("report_batch_item_failures", True)
        self._capacity: ConsumerCapacity | None = None
        self._check_bounds(
            DurationRange(
                "record_duration",
                self._record_duration,
                minimum=0.001,
                maximum=LAMBDA_MAX_TIMEOUT_SECONDS,
                whole=None,
            )
        )
        self._warn_unknown_timeout()
        self._reject_with_existing(*source, created)

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
                describe_value(producer),
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
        """Grant ``grantee`` exactly the write actions on the source (the subclass knows them)."""
        raise NotImplementedError

    def _producer_target(self) -> tuple[str, str]:
        """Return the environment-variable suffix and value that name the source."""
        raise NotImplementedError

    # --- opening checks ----------------------------------------------------------------------

    def _fail(self, argument: str, value: Any, allowed: str, reason: str | None = None) -> NoReturn:
        raise ConfigurationError(argument, value, allowed, path=self.node.path, reason=reason)

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

    def _check_env_prefix(self, prefix: str) -> str:
        check_name(
            "env_prefix",
            prefix,
            _ENV_NAME,
            "letters, digits and '_', starting with a letter (an environment variable name)",
            path=self.node.path,
        )
        return prefix

    def _warn_unknown_timeout(self) -> None:
        if self.consumer.timeout_seconds is None:
            Annotations.of(self).add_warning_v2(
                "constructs_pkg:unknown-timeout",
                "The consumer's timeout cannot be read (imported function or a token): it is not "
                "checked against the visibility timeout, and the capacity report assumes the "
                "900 s maximum.",
            )

    def _reject_with_existing(
        self, source: str, existing: IConstruct | None, created: Mapping[str, object]
    ) -> None:
        """Reject settings that only shape a resource this construct creates."""
        if existing is None:
            return
        for argument, value in created.items():
            if value is None:
                continue
            self._fail(
                argument,
                value,
                f"no value when {source}= is given",
                reason=f"{argument} configures the {source} this construct creates; set it on "
                f"your own {source} instead, it would otherwise be silently ignored.",
            )

    def _check_bounds(self, *rows: WholeNumber | DurationRange) -> None:
        """Check every row of a ``_validate`` table."""
        path = self.node.path
        for row in rows:
            if isinstance(row, WholeNumber):
                if row.value is not None or row.required:
                    check_number(
                        row.argument,
                        row.value,
                        minimum=row.minimum,
                        maximum=row.maximum,
                        whole=True,
                        path=path,
                    )
            elif row.value is not None:
                check_duration(
                    row.argument,
                    row.value,
                    minimum_seconds=row.minimum,
                    maximum_seconds=row.maximum,
                    whole=row.whole,
                    path=path,
                )

    # --- shared resources ----------------------------------------------------------------------

    def _build_dead_letter_queue(self, *, fifo: bool) -> sqs.Queue:
        """Where failed records go: SSE-SQS, TLS only, 14 days, ``removal_policy``."""
        return sqs.Queue(
            self,
            "DeadLetterQueue",
            fifo=True if fifo else None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(defaults.DEAD_LETTER_RETENTION_DAYS),
            removal_policy=self._removal_policy,
        )

    def _build_mapping(
        self, event_source_arn: str, mapping: MappingOptions, grants: Sequence[ConsumerGrant]
    ) -> lambda_.EventSourceMapping:
        """Map the source to the alias / version, then give the consumer ``grants``.

        A consumer without a role we can change (imported) gets a warning per grant instead.
        """
        esm = lambda_.EventSourceMapping(
            self,
            "EventSourceMapping",
            target=self.consumer.target,
            event_source_arn=event_source_arn,
            report_batch_item_failures=self._report_batch_item_failures,
            **mapping,
        )
        target: Any = self.consumer.target
        for grant, what in grants:
            if getattr(target, "role", None) is None:
                Annotations.of(self).add_warning_v2(
                    "constructs_pkg:consumer-without-role",
                    f"The consumer is imported without a role: grant it {what} yourself.",
                )
            else:
                grant(target)
        return esm

    def _consumer_metric(self, metric_name: str, statistic: str) -> cloudwatch.Metric:
        """Return a Lambda metric of the invoked alias or version, whichever version ran."""
        return self.consumer.metrics(METRIC_PERIOD).alias(metric_name, statistic)

    def _build_alarms(self, specs: Iterable[AlarmSpec]) -> None:
        """Create the alarms of the table in order; the library's one alarm factory path."""
        for spec in specs:
            alarm = add_alarm(
                self,
                spec.construct_id,
                metric=spec.metric,
                threshold=spec.threshold,
                description=f"{self.node.path}: {spec.description}",
                evaluation_periods=spec.evaluation_periods,
            )
            self.alarms.append(alarm)
            if spec.rollback and self.consumer.safe_function is not None:
                self.consumer.safe_function.add_rollback_alarm(alarm)

    # --- capacity ------------------------------------------------------------------------------

    def _record_seconds(self, batch_size: float) -> float:
        """Seconds per record for the capacity report: given, or timeout / batch size."""
        given = seconds(self._record_duration)
        if given is not None:
            return given
        return self.consumer.assumed_timeout_seconds / max(int(batch_size), 1)

    def _report_capacity(self, capacity: ConsumerCapacity, source: IConstruct) -> None:
        """Publish the report: attribute, info annotation, plan metadata, canary warning."""
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
        add_lazy_metadata(
            self.event_source_mapping,
            ConsumerRecord.key,
            lambda: self._record(capacity.source, source.node.path),
        )

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


def _reject_unknown_options(cls: str, options: Mapping[str, Any]) -> None:
    """Raise the TypeError Python raises for an unknown keyword (``**options`` hides it)."""
    for name in options:
        if name not in OrderedConsumerOptions.__optional_keys__:
            raise TypeError(f"{cls}.__init__() got an unexpected keyword argument {name!r}")
