"""What a rehearsal reads from a cloud assembly: every CodeDeploy Lambda release in it.

A *release* is an ``AWS::Lambda::Alias`` whose ``UpdatePolicy.CodeDeployLambdaAliasUpdate``
names a deployment group: CloudFormation hands each update of the alias to CodeDeploy. From
the templates (nested stacks included) the model reads, for each release:

* the traffic shape: a predefined ``CodeDeployDefault.Lambda*`` name or an
  ``AWS::CodeDeploy::DeploymentConfig``'s ``TrafficRoutingConfig``;
* the hooks (``BeforeAllowTrafficHook`` / ``AfterAllowTrafficHook``);
* the group's ``AlarmConfiguration`` (``Enabled: false`` is a hotfix deploy) and whether
  ``AutoRollbackConfiguration`` rolls back on ``DEPLOYMENT_STOP_ON_ALARM``;
* every alarm, resolved by ``Ref`` or by literal ``AlarmName`` to its ``AWS::CloudWatch::Alarm``
  or ``CompositeAlarm`` (children of composites too), with what each metric of it watches
  (:func:`constructs_pkg.rehearsal.metrics.classify`).

Whatever cannot be resolved or evaluated is kept as a :class:`Finding` and reported, never
guessed: such an alarm stays OK in the simulation and the report says so. Any CDK app, not
only this library's. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_pkg.assembly import RELEASE_METADATA_KEY, Assembly, Resource
from constructs_pkg.limits import LAMBDA_DEFAULT_TIMEOUT_SECONDS
from constructs_pkg.rehearsal._cfn import Resolver
from constructs_pkg.rehearsal._ops import Ops, PythonOps
from constructs_pkg.rehearsal.cloudwatch import (
    COMPARISONS,
    TREAT_MISSING,
    Expression,
    RuleSyntaxError,
    Statistic,
    UnsupportedExpressionError,
    alarm_names,
    evaluate_expression,
    expression_ids,
    parse_alarm_rule,
    parse_expression,
    parse_statistic,
)
from constructs_pkg.rehearsal.codedeploy import PREDEFINED, TrafficShape
from constructs_pkg.rehearsal.metrics import LambdaIdentity, MetricSource, NotWatched, classify
from constructs_pkg.runtime.env import BAKE_SECONDS_ENV, SMOKE_TARGET_ENV

__all__ = [
    "CompositeAlarm",
    "Finding",
    "MetricAlarm",
    "MetricQuery",
    "Release",
    "read_releases",
]

_ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
_ROLLBACK_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"
_DEFAULT_CONFIG = "CodeDeployDefault.LambdaAllAtOnce"


@dataclass(frozen=True)
class Finding:
    """Something the rehearsal found, or could not model, about one release.

    ``kind``: ``no-data`` (an alarm can never see data), ``not-simulated`` (outside the
    model: it stays OK), ``unresolved`` (a name or value the templates do not define),
    ``unsupported`` (a statistic or expression the rehearsal cannot evaluate), ``hotfix``
    (alarms disabled), ``no-rollback`` (alarms stop but do not roll back), ``no-alarms``,
    ``assumed`` (a default the template leaves to CodeDeploy).
    """

    kind: str
    subject: str
    message: str

    def render(self) -> str:
        """``[kind] subject: message``."""
        return f"[{self.kind}] {self.subject}: {self.message}"


@dataclass(frozen=True)
class MetricQuery:
    """One entry of a metric alarm: a metric (``source``) or an ``expression``."""

    id: str
    return_data: bool
    period_seconds: int
    source: MetricSource | NotWatched | None = None
    statistic: Statistic | None = None
    expression: Expression | None = None
    text: str = ""


@dataclass(frozen=True)
class MetricAlarm:
    """An ``AWS::CloudWatch::Alarm`` as the simulation evaluates it.

    ``simulated`` is False when the alarm is outside the model (``reason`` says why); it
    then stays OK. ``never_fires`` is set when every metric it reads gets no data.
    """

    key: str
    name: str
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing: str
    low_sample: str
    period_seconds: int
    queries: tuple[MetricQuery, ...]
    result_id: str
    simulated: bool = True
    reason: str = ""

    @property
    def metric_ids(self) -> list[str]:
        """Ids of the metric (not expression) queries, in template order."""
        return [q.id for q in self.queries if q.expression is None]

    def result_series(self, ops: Ops, metrics: Mapping[str, Any]) -> Any:
        """Evaluate the expressions, in template order, on the metrics' series (id -> series).

        Returns the series of the entry that returns data.
        """
        series = dict(metrics)
        for query in self.queries:
            if query.expression is not None:
                series[query.id] = evaluate_expression(
                    ops,
                    query.expression,
                    series,
                    metric_ids=self.metric_ids,
                    period_seconds=self.period_seconds,
                )
        return series[self.result_id]

    def duration_threshold_ms(self) -> float | None:
        """Return the threshold when this is an upper bound on one Duration statistic (ms)."""
        durations = [
            q
            for q in self.queries
            if isinstance(q.source, MetricSource) and q.source.metric == "Duration"
        ]
        if len(durations) != 1 or self.comparison not in (
            "GreaterThanThreshold",
            "GreaterThanOrEqualToThreshold",
        ):
            return None
        statistic = durations[0].statistic
        if statistic is None or statistic.name in ("SampleCount", "Sum", "Minimum"):
            return None
        return self.threshold


@dataclass(frozen=True)
class CompositeAlarm:
    """An ``AWS::CloudWatch::CompositeAlarm``: its rule and each child name's alarm key."""

    key: str
    name: str
    rule: Expression
    children: Mapping[str, str | None]


@dataclass
class Release:
    """One CodeDeploy Lambda release: an alias, its deployment group, and what it watches."""

    name: str
    stack: str
    alias_id: str
    group_id: str
    function_id: str
    identity: LambdaIdentity
    timeout_seconds: float
    shape: TrafficShape | None
    before_hook: bool
    after_hook: bool
    alarms_enabled: bool
    rollback_on_alarm: bool
    #: The AfterAllowTraffic hook's bake (``BAKE_SECONDS`` in its environment), if it has one.
    bake_seconds: float | None = None
    #: True when the AfterAllowTraffic hook also runs a post-traffic smoke test first.
    after_hook_tests: bool = True
    watched: list[str] = field(default_factory=list)
    alarms: dict[str, MetricAlarm | CompositeAlarm] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def metric_alarms(self) -> list[MetricAlarm]:
        """Every metric alarm reachable from the group's alarms, in a stable order."""
        return [a for a in self.alarms.values() if isinstance(a, MetricAlarm)]

    def duration_threshold_ms(self) -> float | None:
        """Return the tightest duration threshold of the simulated alarms (None: none)."""
        found = [
            t
            for alarm in self.metric_alarms()
            if alarm.simulated and (t := alarm.duration_threshold_ms()) is not None
        ]
        return min(found) if found else None

    @property
    def rehearsable(self) -> bool:
        """False when the traffic shape is unknown (nothing can be simulated)."""
        return self.shape is not None


def read_releases(assembly: Assembly) -> list[Release]:
    """Every CodeDeploy Lambda release of ``assembly``, in template order."""
    resolver = Resolver(assembly.templates)
    releases = []
    for alias in resolver.resources.resources("AWS::Lambda::Alias"):
        policy = (alias.body.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if isinstance(policy, Mapping):
            releases.append(_Reader(resolver, alias, policy).release())
    return releases


class _Reader:
    """Reads one alias's release (a class so the lookups share the resolver and findings)."""

    def __init__(self, resolver: Resolver, alias: Resource, policy: Mapping[str, Any]) -> None:
        self.resolver = resolver
        self.alias = alias
        self.policy = policy
        self.findings: list[Finding] = []

    def release(self) -> Release:
        alias, resolver = self.alias, self.resolver
        record = (alias.body.get("Metadata") or {}).get(RELEASE_METADATA_KEY) or {}
        name = str(record.get("path") or _display(alias))
        function = resolver.resources.referenced(alias.stack, alias.properties.get("FunctionName"))
        function_id = function.logical_id if function is not None else "?"
        identity = LambdaIdentity(
            function_name=resolver.physical_name(function) if function is not None else "?",
            alias=str(resolver.string(alias.stack, alias.properties.get("Name")) or "?"),
            version=resolver.string(alias.stack, alias.properties.get("FunctionVersion")),
        )
        if function is None:
            self._find("unresolved", name, "the alias's FunctionName is not a function here")
        group = self._lookup(
            resolver.string(alias.stack, self.policy.get("DeploymentGroupName")),
            ("AWS::CodeDeploy::DeploymentGroup",),
        )
        timeout = (function.properties.get("Timeout") if function is not None else None) or (
            LAMBDA_DEFAULT_TIMEOUT_SECONDS
        )
        release = Release(
            name=name,
            stack=alias.stack,
            alias_id=alias.logical_id,
            group_id=group.logical_id if group is not None else "?",
            function_id=function_id,
            identity=identity,
            timeout_seconds=float(timeout) if isinstance(timeout, int | float) else 3.0,
            shape=None,
            before_hook="BeforeAllowTrafficHook" in self.policy,
            after_hook="AfterAllowTrafficHook" in self.policy,
            alarms_enabled=False,
            rollback_on_alarm=False,
        )
        self._read_bake(release)
        if group is None:
            self._find("unresolved", name, "its deployment group is not defined in the assembly")
        else:
            self._read_group(release, group)
        release.findings = self.findings
        return release

    def _read_bake(self, release: Release) -> None:
        """Read the bake of a constructs_pkg bake hook (any other hook: a plain hook)."""
        hook = self.resolver.resources.referenced(
            self.alias.stack, self.policy.get("AfterAllowTrafficHook")
        )
        if hook is None or hook.type != "AWS::Lambda::Function":
            return
        variables = (hook.properties.get("Environment") or {}).get("Variables") or {}
        raw = variables.get(BAKE_SECONDS_ENV) if isinstance(variables, Mapping) else None
        if isinstance(raw, str) and raw.isascii() and raw.isdigit():
            release.bake_seconds = float(raw)
            release.after_hook_tests = SMOKE_TARGET_ENV in variables

    # --- the deployment group -------------------------------------------------------------

    def _read_group(self, release: Release, group: Resource) -> None:
        props = group.properties
        release.shape = self._shape(group, props.get("DeploymentConfigName"))
        alarm_config = props.get("AlarmConfiguration") or {}
        entries = alarm_config.get("Alarms") or []
        enabled = alarm_config.get("Enabled")
        release.alarms_enabled = enabled is True and bool(entries)
        rollback = props.get("AutoRollbackConfiguration") or {}
        release.rollback_on_alarm = rollback.get("Enabled") is True and _ROLLBACK_ON_ALARM in (
            rollback.get("Events") or []
        )
        if not entries:
            self._find("no-alarms", release.name, "the deployment group has no alarms")
        elif enabled is False:
            self._find(
                "hotfix",
                release.name,
                "AlarmConfiguration.Enabled is false (a hotfix deploy): alarms are ignored",
            )
        elif enabled is not True:
            self._find(
                "assumed",
                release.name,
                "AlarmConfiguration.Enabled is not set: taken as false (the API default), so "
                "alarms do not stop the deployment",
            )
        if release.alarms_enabled and not release.rollback_on_alarm:
            self._find(
                "no-rollback",
                release.name,
                "AutoRollbackConfiguration does not roll back on DEPLOYMENT_STOP_ON_ALARM: an "
                "alarm stops the deployment and leaves the traffic where it is",
            )
        for entry in entries:
            value = entry.get("Name") if isinstance(entry, Mapping) else None
            key = self._alarm(
                group.stack, value, release, via=f"deployment group {group.logical_id}"
            )
            if key is not None and key not in release.watched:
                release.watched.append(key)

    def _shape(self, group: Resource, value: Any) -> TrafficShape | None:
        if value is None:
            self._find(
                "assumed",
                _display(group),
                f"no DeploymentConfigName: CodeDeploy's {_DEFAULT_CONFIG} is assumed",
            )
            return PREDEFINED[_DEFAULT_CONFIG]
        text = self.resolver.string(group.stack, value)
        if text in PREDEFINED:
            return PREDEFINED[text]
        config = self._lookup(text, ("AWS::CodeDeploy::DeploymentConfig",))
        if config is None:
            self._find(
                "unresolved",
                _display(group),
                f"deployment config {text or value!r} is neither predefined nor defined here: "
                "not rehearsed",
            )
            return None
        return _custom_shape(config, self._find)

    # --- alarms -----------------------------------------------------------------------------

    def _lookup(self, text: str | None, types: tuple[str, ...]) -> Resource | None:
        """Find the resource a resolved name or placeholder means (Ref, else literal name)."""
        if text is None:
            return None
        found = self.resolver.resource(text)
        if found is not None:
            return found if found.type in types else None
        for resource in self.resolver.resources.resources(*types):
            if self.resolver.physical_name(resource) == text:
                return resource
        return None

    def _alarm(self, stack: str, value: Any, release: Release, *, via: str) -> str | None:
        text = self.resolver.string(stack, value)
        resource = self._lookup(text, _ALARM_TYPES)
        if resource is None:
            shown = text if text is not None else repr(value)
            self._find(
                "unresolved",
                shown,
                f"named by {via}, this alarm is not defined in the assembly (imported by "
                "name?): it is treated as never firing",
            )
            return None
        key = f"{resource.stack}/{resource.logical_id}"
        if key in release.alarms:
            return key
        if resource.type == "AWS::CloudWatch::CompositeAlarm":
            release.alarms[key] = CompositeAlarm(
                key, _alarm_name(self.resolver, resource), _FALSE, {}
            )
            release.alarms[key] = self._composite(resource, key, release)
        else:
            release.alarms[key] = self._metric_alarm(resource, key, release.identity)
        return key

    def _composite(self, resource: Resource, key: str, release: Release) -> CompositeAlarm:
        name = _alarm_name(self.resolver, resource)
        text = self.resolver.string(resource.stack, resource.properties.get("AlarmRule"))
        if text is None:
            self._find("unresolved", name, "its AlarmRule cannot be resolved: treated as OK")
            return CompositeAlarm(key, name, _FALSE, {})
        try:
            rule = parse_alarm_rule(text)
        except RuleSyntaxError as exc:
            self._find("unsupported", name, f"{exc}: treated as OK")
            return CompositeAlarm(key, name, _FALSE, {})
        children = {
            child: self._alarm(resource.stack, child, release, via=f"composite alarm {name}")
            for child in sorted(alarm_names(rule))
        }
        return CompositeAlarm(key, name, rule, children)

    def _metric_alarm(self, resource: Resource, key: str, identity: LambdaIdentity) -> MetricAlarm:
        props = resource.properties
        name = _alarm_name(self.resolver, resource)
        n = _whole(props.get("EvaluationPeriods"), 1)
        base: dict[str, Any] = {
            "key": key,
            "name": name,
            "comparison": str(props.get("ComparisonOperator")),
            "threshold": _number(props.get("Threshold")),
            "evaluation_periods": n,
            "datapoints_to_alarm": _whole(props.get("DatapointsToAlarm"), n),
            "treat_missing": str(props.get("TreatMissingData") or "missing"),
            "low_sample": str(props.get("EvaluateLowSampleCountPercentile") or "evaluate"),
        }
        try:
            queries, result_id, period = self._queries(resource, identity)
        except UnsupportedExpressionError as exc:
            self._find("unsupported", name, f"{exc}: treated as OK")
            return MetricAlarm(
                **base,
                period_seconds=60,
                queries=(),
                result_id="",
                simulated=False,
                reason=str(exc),
            )
        alarm = MetricAlarm(**base, period_seconds=period, queries=queries, result_id=result_id)
        problem = _alarm_problem(alarm)
        if problem is not None:
            self._find("unsupported", name, f"{problem}: treated as OK")
            return _replace(alarm, simulated=False, reason=problem)
        watched = [q.source for q in queries if q.source is not None]
        outside = [s for s in watched if isinstance(s, NotWatched) and s.kind == "not-simulated"]
        if outside:
            reason = "; ".join(sorted({s.reason for s in outside}))
            self._find("not-simulated", name, f"{reason}: treated as OK")
            return _replace(alarm, simulated=False, reason=reason)
        if watched and all(isinstance(s, NotWatched) for s in watched):
            reason = next(s.reason for s in watched if isinstance(s, NotWatched))
            self._find("no-data", name, f"it can never see data: {reason}")
        return alarm

    def _queries(
        self, resource: Resource, identity: LambdaIdentity
    ) -> tuple[tuple[MetricQuery, ...], str, int]:
        props = resource.properties
        stack = resource.stack
        if "Metrics" not in props:
            stat_text = props.get("ExtendedStatistic") or props.get("Statistic")
            if not isinstance(stat_text, str):
                raise UnsupportedExpressionError("no Statistic or ExtendedStatistic")
            period = _whole(props.get("Period"), 60)
            source = self._source(stack, props, identity)
            query = MetricQuery("m", True, period, source, parse_statistic(stat_text))
            return (query,), "m", period
        queries, periods = [], set()
        for entry in props.get("Metrics") or []:
            query_id = str(entry.get("Id"))
            returns = entry.get("ReturnData", True) is not False
            if "Expression" in entry:
                text = self.resolver.string(stack, entry["Expression"])
                if text is None:
                    raise UnsupportedExpressionError(f"expression {query_id} cannot be resolved")
                queries.append(
                    MetricQuery(query_id, returns, 0, expression=parse_expression(text), text=text)
                )
                continue
            stat = entry.get("MetricStat") or {}
            metric = stat.get("Metric") or {}
            period = _whole(stat.get("Period"), 60)
            periods.add(period)
            queries.append(
                MetricQuery(
                    query_id,
                    returns,
                    period,
                    self._source(stack, metric, identity),
                    parse_statistic(str(stat.get("Stat"))),
                )
            )
        results = [q.id for q in queries if q.return_data]
        if len(results) != 1:
            raise UnsupportedExpressionError(f"{len(results)} entries return data (exactly 1 may)")
        if len(periods) > 1:
            raise UnsupportedExpressionError("its metrics use different periods")
        known = {q.id for q in queries}
        for query in queries:
            if query.expression is not None and not expression_ids(query.expression) <= known:
                missing = sorted(expression_ids(query.expression) - known)
                raise UnsupportedExpressionError(
                    f"expression {query.id} names unknown id {missing}"
                )
        return tuple(queries), results[0], periods.pop() if periods else 60

    def _source(
        self, stack: str, metric: Mapping[str, Any], identity: LambdaIdentity
    ) -> MetricSource | NotWatched:
        dimensions = {
            str(d.get("Name")): self.resolver.string(stack, d.get("Value"))
            for d in metric.get("Dimensions") or []
        }
        return classify(
            self.resolver.string(stack, metric.get("Namespace")),
            self.resolver.string(stack, metric.get("MetricName")),
            dimensions,
            identity,
        )

    def _find(self, kind: str, subject: str, message: str) -> None:
        finding = Finding(kind, subject, message)
        if finding not in self.findings:
            self.findings.append(finding)


_FALSE = Expression("constant", False)


def _alarm_problem(alarm: MetricAlarm) -> str | None:
    """Say what makes an alarm impossible to evaluate faithfully, if anything."""
    problem = _expression_problem(alarm)
    if problem is not None:
        return problem
    if alarm.comparison not in COMPARISONS:
        return f"ComparisonOperator {alarm.comparison} is not modelled (anomaly bands)"
    if alarm.treat_missing not in TREAT_MISSING:
        return f"TreatMissingData {alarm.treat_missing!r} is not valid"
    if not math.isfinite(alarm.threshold):
        return "its Threshold is not a number"
    if not 1 <= alarm.datapoints_to_alarm <= alarm.evaluation_periods:
        return "DatapointsToAlarm must be from 1 to EvaluationPeriods"
    if alarm.period_seconds < 60 or alarm.period_seconds % 60:
        return f"Period {alarm.period_seconds} s is not a whole number of minutes"
    return None


def _expression_problem(alarm: MetricAlarm) -> str | None:
    """Evaluate the alarm's expressions once on sample data: kinds and arities must fit."""
    sample = {q.id: [1.0, math.nan, 2.0] for q in alarm.queries if q.expression is None}
    try:
        alarm.result_series(PythonOps(seed=0), sample)
    except UnsupportedExpressionError as exc:
        return str(exc)
    return None


def _replace(alarm: MetricAlarm, *, simulated: bool, reason: str) -> MetricAlarm:
    from dataclasses import replace

    return replace(alarm, simulated=simulated, reason=reason)


def _custom_shape(config: Resource, find: Any) -> TrafficShape | None:
    routing = config.properties.get("TrafficRoutingConfig") or {}
    kind = routing.get("Type")
    name = str(config.properties.get("DeploymentConfigName") or _display(config))
    if kind == "AllAtOnce" or not routing:
        return TrafficShape("all_at_once", 100, 0, name)
    if kind == "TimeBasedCanary":
        body = routing.get("TimeBasedCanary") or {}
        percent, interval = body.get("CanaryPercentage"), body.get("CanaryInterval")
        shape = "canary"
    elif kind == "TimeBasedLinear":
        body = routing.get("TimeBasedLinear") or {}
        percent, interval = body.get("LinearPercentage"), body.get("LinearInterval")
        shape = "linear"
    else:
        find("unsupported", name, f"TrafficRoutingConfig type {kind!r}: not rehearsed")
        return None
    if not (isinstance(percent, int | float) and isinstance(interval, int) and 0 < percent < 100):
        find("unresolved", name, "its percentage or interval is not a literal: not rehearsed")
        return None
    return TrafficShape(shape, float(percent), int(interval), name)


def _display(resource: Resource) -> str:
    """Name a resource by construct path (without ``/Resource``), else by stack/logical id."""
    path = resource.construct_path
    if path:
        return path.removesuffix("/Resource")
    return f"{resource.stack}/{resource.logical_id}"


def _alarm_name(resolver: Resolver, resource: Resource) -> str:
    literal = resource.properties.get("AlarmName")
    return literal if isinstance(literal, str) else _display(resource)


def _whole(value: Any, default: int) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return int(value)


def _number(value: Any) -> float:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)
