"""What both ordered consumers share: the target, the alarm path, the capacity report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_pkg._validation import check_duration
from constructs_pkg.consumers._target import ConsumerTarget, resolve_consumer
from constructs_pkg.consumers.capacity import ConsumerCapacity
from constructs_pkg.defaults import LAMBDA_MAX_TIMEOUT_SECONDS
from constructs_pkg.errors import ConfigurationError
from constructs_pkg.release.alarms import LAMBDA_NAMESPACE, add_alarm


class OrderedConsumerBase(Construct):
    """Base of :class:`KinesisOrderedConsumer` and :class:`FifoOrderedConsumer`."""

    def __init__(self, scope: Construct, construct_id: str, *, consumer: Any) -> None:
        super().__init__(scope, construct_id)
        #: What the event source mapping invokes (an alias or a version, never $LATEST).
        self.consumer: ConsumerTarget = resolve_consumer(consumer, path=self.node.path)
        #: Every alarm this consumer created.
        self.alarms: list[cloudwatch.Alarm] = []
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

    # --- helpers for subclasses ------------------------------------------------------------

    def _fail(self, argument: str, value: Any, allowed: str, reason: str | None = None) -> None:
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
        timeout = self.consumer.timeout_seconds or float(LAMBDA_MAX_TIMEOUT_SECONDS)
        return timeout / max(int(batch_size), 1)

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
