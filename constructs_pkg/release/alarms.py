"""Rollback alarms that watch the *new* version only.

During a canary the alias serves two versions. Lambda publishes metrics for an
alias invocation with the dimensions ``FunctionName``, ``Resource=<function>:<alias>``
and ``ExecutedVersion=<version>``; filtering on ``ExecutedVersion`` is the only way
to see the new version alone. (CDK's ``Version.metric*()`` emits other dimensions,
aws-cdk#14248, so the metrics here are built explicitly.)

The pieces follow cdk-monitoring-constructs: a metric factory
(:class:`ReleaseMetricFactory`), thresholds (:class:`RollbackAlarms`), one alarm
factory path (:func:`add_alarm`, also used by the ordered consumers), and the set of
alarms that roll one deployment group back (:class:`RollbackAlarmSet`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_pkg import defaults, limits
from constructs_pkg._lazy import lazy_string
from constructs_pkg._validation import check_duration, check_number, check_type
from constructs_pkg.errors import ConfigurationError

__all__ = ["ReleaseMetricFactory", "RollbackAlarms", "add_alarm"]

LAMBDA_NAMESPACE = "AWS/Lambda"


@dataclass(frozen=True)
class RollbackAlarms:
    """Thresholds of the alarms that roll a SafeFunction's deployment back.

    Every generated alarm watches the new version only and treats missing data as
    not breaching, so a quiet canary does not roll back. The defaults are the ones the
    release rehearsal shows catch a bad version at 1, 10 and 100 requests per second
    without rolling back healthy ones (docs/rehearsal.md).

    Parameters
    ----------
    error_rate_percent
        Roll back when more than this share of the new version's invocations end in a
        function error within one period. Greater than 0 and at most 100. Default: 2.
    min_errors
        ... and at least this many errors happened in that period, so a healthy version's
        occasional error at low traffic does not roll back. Whole number of at least 1.
        Default: 4.
    p99_latency
        Roll back when the new version's p99 duration exceeds this. Must be below the
        function timeout. Default: ``p99_timeout_share`` of the function timeout.
    p99_timeout_share
        Without ``p99_latency``, the p99 threshold is this share of the function timeout
        (a p99 that close to the timeout is a version about to time out). Greater than 0
        and at most 0.99; None for no latency alarm. Default: 0.5.
    latency_min_invocations
        The latency alarm counts a minute only when the new version served at least this
        many invocations in it: the p99 of a few dozen samples is their maximum, so one
        slow outlier would roll a healthy version back. Whole number from 1. Default: 300.
    latency_datapoints_to_alarm, latency_evaluation_periods
        The latency alarm fires when this many of the last ``latency_evaluation_periods``
        one-minute periods breach. Default: 2 of 3.
    throttles
        Roll back when the alias is throttled more than this many times in one period.
        Throttled requests never reach a version, so this alarm watches the alias as a
        whole. Default: no throttle alarm.
    period
        Period of the error-rate and throttle alarms, whole minutes from 1 to 60 (the
        latency alarm's is one minute). Default: 2 minutes.
    evaluation_periods
        Consecutive breaching periods before the error-rate and throttle alarms fire.
        Default: 1.
    extra
        More alarms (any ``IAlarm``) that roll the deployment back. Default: none.
    combine_over_limit
        CodeDeploy accepts at most 10 alarms per deployment group. When more are
        attached, the tenth and later ones are combined into one composite alarm
        (``ANY`` of them). Set False to get an error instead. Default: True.

    Examples
    --------
    >>> from aws_cdk import Duration
    >>> RollbackAlarms(error_rate_percent=1, min_errors=3, p99_latency=Duration.seconds(2))
    ... # doctest: +ELLIPSIS
    RollbackAlarms(error_rate_percent=1, min_errors=3, ...)
    """

    error_rate_percent: float = defaults.ERROR_RATE_PERCENT
    min_errors: int = defaults.MIN_ERRORS
    p99_latency: Duration | None = None
    p99_timeout_share: float | None = defaults.P99_TIMEOUT_SHARE
    latency_min_invocations: int = defaults.LATENCY_MIN_INVOCATIONS
    latency_datapoints_to_alarm: int = defaults.LATENCY_DATAPOINTS_TO_ALARM
    latency_evaluation_periods: int = defaults.LATENCY_EVALUATION_PERIODS
    throttles: int | None = None
    period: Duration = field(
        default_factory=lambda: Duration.seconds(defaults.ALARM_PERIOD_SECONDS)
    )
    evaluation_periods: int = defaults.ALARM_EVALUATION_PERIODS
    extra: Sequence[cloudwatch.IAlarm] = ()
    combine_over_limit: bool = True

    #: How the boundary's errors show a RollbackAlarms.
    __example__ = "RollbackAlarms(error_rate_percent=1, min_errors=3)"

    def __post_init__(self) -> None:
        # Every number here is used at synth (thresholds, math, descriptions): no tokens.
        check_number(
            "RollbackAlarms(error_rate_percent)",
            self.error_rate_percent,
            minimum=0,
            maximum=100,
            exclusive_minimum=True,
            tokens="reject",
        )
        check_number(
            "RollbackAlarms(min_errors)",
            self.min_errors,
            minimum=1,
            whole=True,
            tokens="reject",
        )
        if self.p99_latency is not None:
            check_duration(
                "RollbackAlarms(p99_latency)",
                self.p99_latency,
                minimum_seconds=0.001,
                maximum_seconds=limits.LAMBDA_MAX_TIMEOUT_SECONDS,
                tokens="reject",
            )
        self._check_latency()
        if self.throttles is not None:
            check_number(
                "RollbackAlarms(throttles)",
                self.throttles,
                minimum=0,
                whole=True,
                tokens="reject",
            )
        check_duration(
            "RollbackAlarms(period)",
            self.period,
            minimum_seconds=60,
            maximum_seconds=3600,
            whole="minutes",
            tokens="reject",
        )
        period_seconds = self.period.to_seconds()
        check_number(
            "RollbackAlarms(evaluation_periods)",
            self.evaluation_periods,
            minimum=1,
            maximum=limits.ALARM_MAX_EVALUATION_SECONDS // period_seconds,
            whole=True,
            tokens="reject",
        )
        check_type("RollbackAlarms(extra)", self.extra, Sequence[cloudwatch.IAlarm])
        check_type("RollbackAlarms(combine_over_limit)", self.combine_over_limit, bool)
        object.__setattr__(self, "extra", tuple(self.extra))

    def _check_latency(self) -> None:
        if self.p99_timeout_share is not None:
            check_number(
                "RollbackAlarms(p99_timeout_share)",
                self.p99_timeout_share,
                minimum=0,
                maximum=limits.P99_MAX_TIMEOUT_SHARE,
                exclusive_minimum=True,
                tokens="reject",
            )
        check_number(
            "RollbackAlarms(latency_min_invocations)",
            self.latency_min_invocations,
            minimum=1,
            maximum=limits.LATENCY_MAX_MIN_INVOCATIONS,
            whole=True,
            tokens="reject",
        )
        check_number(
            "RollbackAlarms(latency_evaluation_periods)",
            self.latency_evaluation_periods,
            minimum=1,
            maximum=limits.ALARM_MAX_EVALUATION_SECONDS // 60,
            whole=True,
            tokens="reject",
        )
        check_number(
            "RollbackAlarms(latency_datapoints_to_alarm)",
            self.latency_datapoints_to_alarm,
            minimum=1,
            maximum=self.latency_evaluation_periods,
            whole=True,
            tokens="reject",
        )

    def p99_threshold_ms(self, timeout_seconds: float | None) -> float | None:
        """Return the latency alarm's threshold in milliseconds for a function with this timeout.

        ``p99_latency`` if given, else ``p99_timeout_share`` of ``timeout_seconds`` (None:
        no latency alarm, also when the timeout is unknown at synth).

        Examples
        --------
        >>> RollbackAlarms().p99_threshold_ms(10)
        5000.0
        >>> RollbackAlarms(p99_latency=Duration.millis(800)).p99_threshold_ms(10)
        800.0
        """
        if self.p99_latency is not None:
            return float(self.p99_latency.to_milliseconds())
        if self.p99_timeout_share is None or timeout_seconds is None:
            return None
        return float(round(self.p99_timeout_share * timeout_seconds * 1000))

    @property
    def window_minutes(self) -> int:
        """Minutes of data an alarm needs before it can fire (period x evaluation periods)."""
        return int(self.period.to_minutes()) * int(self.evaluation_periods)


class ReleaseMetricFactory:
    """Lambda metrics of one alias, for the whole alias or for one executed version.

    Parameters
    ----------
    function_name
        The function's name (a token is fine).
    alias_name
        The alias the traffic goes through.
    version
        The version number (``Version.version``) the *new version* metrics filter on.
    period
        Period of every metric.

    Examples
    --------
    >>> factory = ReleaseMetricFactory("orders", "live", "7", Duration.minutes(1))
    >>> factory.new_version("Errors", "Sum").dimensions["ExecutedVersion"]
    '7'
    """

    def __init__(self, function_name: str, alias_name: str, version: str, period: Duration) -> None:
        self.function_name = function_name
        self.alias_name = alias_name
        self.version = version
        self.period = period

    def metric(
        self,
        metric_name: str,
        statistic: str,
        dimensions: dict[str, str],
        period: Duration | None = None,
    ) -> cloudwatch.Metric:
        """Lambda metric ``metric_name`` under ``dimensions``, at ``period`` (the factory's)."""
        return cloudwatch.Metric(
            namespace=LAMBDA_NAMESPACE,
            metric_name=metric_name,
            statistic=statistic,
            period=period or self.period,
            dimensions_map=dimensions,
        )

    def alias(
        self, metric_name: str, statistic: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Metric of every invocation through the alias, whichever version ran."""
        return self.metric(
            metric_name,
            statistic,
            {
                "FunctionName": self.function_name,
                "Resource": f"{self.function_name}:{self.alias_name}",
            },
            period,
        )

    def new_version(
        self, metric_name: str, statistic: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """Metric of the invocations through the alias that ran ``version``."""
        return self.metric(
            metric_name,
            statistic,
            {
                "FunctionName": self.function_name,
                "Resource": f"{self.function_name}:{self.alias_name}",
                "ExecutedVersion": self.version,
            },
            period,
        )

    def error_rate(self, min_errors: int) -> cloudwatch.MathExpression:
        """Error rate in percent of the new version, 0 while fewer than ``min_errors`` failed.

        No division by zero: ``errors >= min_errors >= 1`` implies ``invocations >= 1``.
        """
        return cloudwatch.MathExpression(
            expression=(f"IF(errors >= {int(min_errors)}, 100 * errors / invocations, 0)"),
            using_metrics={
                "errors": self.new_version("Errors", "Sum"),
                "invocations": self.new_version("Invocations", "Sum"),
            },
            label="New version error rate (%)",
            period=self.period,
        )

    def guarded_p99(self, min_invocations: int) -> cloudwatch.MathExpression:
        """Return the new version's p99 duration per minute, 0 in minutes with fewer calls.

        A percentile of a handful of samples is one of them (the p99 of 30 is their
        maximum): the guard keeps one slow outlier from rolling a healthy version back.
        """
        minute = Duration.minutes(1)
        return cloudwatch.MathExpression(
            expression=f"IF(invocations >= {int(min_invocations)}, p99, 0)",
            using_metrics={
                "p99": self.new_version("Duration", "p99", minute),
                "invocations": self.new_version("Invocations", "Sum", minute),
            },
            label=f"New version p99 duration (ms), minutes with {int(min_invocations)}+ calls",
            period=minute,
        )


def add_alarm(
    scope: Construct,
    construct_id: str,
    *,
    metric: cloudwatch.IMetric,
    threshold: float,
    description: str,
    evaluation_periods: int = 1,
    datapoints_to_alarm: int | None = None,
) -> cloudwatch.Alarm:
    """Create an alarm that fires above ``threshold``; missing data is not breaching.

    It fires when ``datapoints_to_alarm`` (default: all) of the last ``evaluation_periods``
    breach. Every alarm the library generates goes through here, so they all behave alike.
    """
    return cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm or evaluation_periods,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )


@dataclass(frozen=True)
class _AlarmSpec:
    """One generated rollback alarm: its id, what it watches and when it fires."""

    construct_id: str
    metric: cloudwatch.IMetric
    threshold: float
    description: str
    evaluation_periods: int
    datapoints_to_alarm: int

    def create(self, scope: Construct, prefix: str = "") -> cloudwatch.Alarm:
        """Create this alarm in ``scope`` (id ``prefix + construct_id``)."""
        return add_alarm(
            scope,
            prefix + self.construct_id,
            metric=self.metric,
            threshold=self.threshold,
            evaluation_periods=self.evaluation_periods,
            datapoints_to_alarm=self.datapoints_to_alarm,
            description=f"{self.description} Rolls the deployment back.",
        )


def _period_phrase(period: Duration) -> str:
    """``"2-minute period"`` or ``"90-second period"`` for an alarm description."""
    seconds = int(period.to_seconds())
    if seconds % 60 == 0:
        return f"{seconds // 60}-minute period"
    return f"{seconds}-second period"


def _rollback_alarm_specs(
    config: RollbackAlarms,
    metrics: ReleaseMetricFactory,
    subject: str,
    timeout_seconds: float | None,
) -> list[_AlarmSpec]:
    """List the alarms ``config`` asks for, in a stable order (error rate, p99, throttles).

    ``timeout_seconds`` is the function's timeout (None when unknown at synth), for the
    default latency threshold.
    """
    periods = config.evaluation_periods
    specs = [
        _AlarmSpec(
            "ErrorRate",
            metrics.error_rate(config.min_errors),
            config.error_rate_percent,
            f"{subject}: new version error rate above {config.error_rate_percent}% "
            f"with at least {config.min_errors} errors per {_period_phrase(config.period)}.",
            periods,
            periods,
        )
    ]
    threshold_ms = config.p99_threshold_ms(timeout_seconds)
    if threshold_ms is not None:
        specs.append(
            _AlarmSpec(
                "P99Latency",
                metrics.guarded_p99(config.latency_min_invocations),
                threshold_ms,
                f"{subject}: new version p99 duration above {threshold_ms:g} ms in "
                f"{config.latency_datapoints_to_alarm} of {config.latency_evaluation_periods} "
                f"minutes with at least {config.latency_min_invocations} invocations.",
                config.latency_evaluation_periods,
                config.latency_datapoints_to_alarm,
            )
        )
    if config.throttles is not None:
        specs.append(
            _AlarmSpec(
                "Throttles",
                metrics.alias("Throttles", "Sum"),
                config.throttles,
                f"{subject}: more than {config.throttles} throttles per period on the alias.",
                periods,
                periods,
            )
        )
    return specs


class RollbackAlarmSet(Construct):
    """Every alarm that rolls one CodeDeploy deployment group back, in the order added.

    CodeDeploy accepts 10 alarms per deployment group: the first nine are attached as
    they are; the tenth slot holds the tenth alarm or, from the eleventh alarm on, a
    composite alarm (``Combined``) that fires when any of alarms 10, 11, ... fires (unless
    ``RollbackAlarms(combine_over_limit=False)``, which makes the eleventh an error).
    Whoever needs to know of every alarm, also those added later, calls
    :meth:`on_alarm`.

    Parameters
    ----------
    scope, construct_id
        Where the construct lives (SafeFunction uses ``RollbackAlarms``).
    deployment_group
        The group the alarms roll back; None for ``Rollout.disabled()`` (the alarms only
        alarm).
    config
        Thresholds of the generated alarms, and ``extra`` alarms to attach.
    metrics
        Metrics of the alias and of its new version.
    subject
        Construct path the alarm descriptions name.
    timeout_seconds
        The function's timeout, for the default latency threshold (None: unknown, no
        default latency alarm).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deployment_group: codedeploy.LambdaDeploymentGroup | None,
        config: RollbackAlarms,
        metrics: ReleaseMetricFactory,
        subject: str,
        timeout_seconds: float | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._group = deployment_group
        self._config = config
        self._subject = subject
        self._alarms: list[cloudwatch.IAlarm] = []
        self._listeners: list[Callable[[cloudwatch.IAlarm], None]] = []
        self._composite: cloudwatch.CompositeAlarm | None = None
        self._describe_grants: list[iam.PolicyStatement] = []
        for spec in _rollback_alarm_specs(config, metrics, subject, timeout_seconds):
            self.add(spec.create(self))
        for extra in config.extra:
            self.add(extra)

    @property
    def alarms(self) -> list[cloudwatch.IAlarm]:
        """Every rollback alarm, in the order added."""
        return list(self._alarms)

    def on_alarm(self, listener: Callable[[cloudwatch.IAlarm], None]) -> None:
        """Call ``listener(alarm)`` for every alarm: those added so far, now, and later ones."""
        for alarm in self._alarms:
            listener(alarm)
        self._listeners.append(listener)

    def grant_describe(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` read the state of every alarm in the group (``DescribeAlarms``).

        Alarms added later, and the composite that holds the tenth slot, are included; no
        wildcard (least privilege, cdk-nag AwsSolutions-IAM5).
        """
        arns = [alarm.alarm_arn for alarm in self._alarms]
        if self._composite is not None:
            arns.append(self._composite.alarm_arn)
        statement = iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=arns)
        self._describe_grants.append(statement)
        grantee.grant_principal.add_to_principal_policy(statement)

    def add(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll the deployment back when ``alarm`` fires (see the class for the 10-alarm slots)."""
        limit = limits.CODEDEPLOY_MAX_ALARMS
        count = len(self._alarms) + 1
        if self._group is not None:
            self._check_room(count)
        self._alarms.append(alarm)
        for listener in self._listeners:
            listener(alarm)
        for statement in self._describe_grants:
            statement.add_resources(alarm.alarm_arn)
        if self._group is None:
            return
        if count < limit:
            self._group.add_alarm(alarm)
        elif count == limit:
            # The last slot: this alarm, or a composite of it and every later one.
            self._group.add_alarm(
                cloudwatch.Alarm.from_alarm_name(
                    self, "LastSlot", lazy_string(self._last_slot_name)
                )
            )
        elif self._composite is None:
            self._composite = cloudwatch.CompositeAlarm(
                self,
                "Combined",
                alarm_rule=cloudwatch.AlarmRule.from_string(lazy_string(self._combined_rule)),
                alarm_description=f"{self._subject}: any of rollback alarms {limit} and later "
                "(CodeDeploy takes at most 10 alarms). Rolls the deployment back.",
            )
            for statement in self._describe_grants:
                statement.add_resources(self._composite.alarm_arn)

    def _check_room(self, count: int) -> None:
        limit = limits.CODEDEPLOY_MAX_ALARMS
        most = limit - 1 + limits.COMPOSITE_MAX_CHILDREN
        if count > limit and not self._config.combine_over_limit:
            raise ConfigurationError(
                "number of rollback alarms",
                count,
                f"at most {limit} per CodeDeploy deployment group",
                path=self._subject,
                reason="Set RollbackAlarms(combine_over_limit=True) to combine the rest into "
                "one composite alarm.",
            )
        if count > most:
            raise ConfigurationError(
                "number of rollback alarms",
                count,
                f"at most {most} ({limit - 1} direct and {limits.COMPOSITE_MAX_CHILDREN} in one "
                "composite)",
                path=self._subject,
            )

    def _last_slot_name(self) -> str:
        """Name for the tenth alarm slot: the tenth alarm, or the composite of 10 and later."""
        if self._composite is not None:
            return self._composite.alarm_name
        return self._alarms[limits.CODEDEPLOY_MAX_ALARMS - 1].alarm_name

    def _combined_rule(self) -> str:
        """Composite alarm rule: ANY of the rollback alarms from the tenth on."""
        tail = self._alarms[limits.CODEDEPLOY_MAX_ALARMS - 1 :]
        return str(
            cloudwatch.AlarmRule.any_of(
                *[cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM) for a in tail]
            ).render_alarm_rule()
        )
