"""Lambda's metrics as Lambda publishes them, and which of them an alarm actually watches.

For an invocation through an alias, Lambda publishes each metric (``Invocations``,
``Errors``, ``Duration``, ``Throttles``, ...) once a minute under exactly these dimension sets
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html):

* none (the whole account and region),
* ``FunctionName``,
* ``FunctionName`` + ``Resource`` = ``<function name>:<alias>``,
* ``FunctionName`` + ``Resource`` = ``<function name>:<alias>`` + ``ExecutedVersion``.

An invocation of a version by its own ARN (what the sticky canary router does) is published
under ``FunctionName`` + ``Resource`` = ``<function name>:<version>``, with no
``ExecutedVersion``. The rehearsal counts such a metric of the new version as the new
version's requests: with many users the router sends the new version the alias's canary
share, the same traffic the alias would (see docs/rehearsal.md).

A CloudWatch metric is identified by its namespace, name and *all* of its dimensions, so an
alarm whose dimensions are not one of these sets gets no data and never fires. That is the
bug of aws-cdk#14248: ``Version.metric*()`` asks for ``Resource`` = ``<function ARN>:<version>``,
which Lambda does not publish for alias invocations. :func:`classify` finds it on any app.

:func:`statistic_value` turns one period's simulated requests into the value of a statistic:
sums and counts exactly, percentiles as exact order statistics (a p99 of six samples is
their maximum), ``Average`` by the normal approximation. Standard library only.

Examples
--------
>>> release = LambdaIdentity(function_name="fn", alias="live", version="7")
>>> classify("AWS/Lambda", "Errors", {"FunctionName": "fn", "Resource": "fn:live",
...          "ExecutedVersion": "7"}, release)
MetricSource(series='new', metric='Errors')
>>> classify("AWS/Lambda", "Errors", {"FunctionName": "fn", "Resource": "fn:7"}, release)
MetricSource(series='version', metric='Errors')
>>> classify("AWS/Lambda", "Errors", {"FunctionName": "fn", "Resource": "arn:fn:7"},
...          release).kind
'no-data'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from constructs_pkg.rehearsal._cfn import show
from constructs_pkg.rehearsal._ops import Ops
from constructs_pkg.rehearsal.cloudwatch import Statistic
from constructs_pkg.rehearsal.traffic import DurationGrid, DurationProfile

__all__ = [
    "LAMBDA_NAMESPACE",
    "NEW_VERSION_SERIES",
    "SERIES",
    "SIMULATED_METRICS",
    "DurationTables",
    "LambdaIdentity",
    "MetricSource",
    "NotWatched",
    "PeriodCounts",
    "classify",
    "statistic_value",
]

LAMBDA_NAMESPACE: Final = "AWS/Lambda"
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
#: The metrics the rehearsal simulates (Throttles is always 0: the traffic model does not
#: throttle).
SIMULATED_METRICS: Final = ("Invocations", "Errors", "Duration", "Throttles")
#: Which requests each dimension set covers.
SERIES: Final = {
    "new": "the new version through the alias (FunctionName, Resource, ExecutedVersion)",
    "version": "the new version by its own ARN (FunctionName, Resource=<function>:<version>), "
    "as the sticky canary router invokes it",
    "alias": "both versions through the alias (FunctionName, Resource)",
    "function": "every invocation of the function (FunctionName)",
    "account": "every function of the account (no dimensions); only this one is simulated",
}

#: The series that count only the new version's requests.
NEW_VERSION_SERIES: Final = frozenset({"new", "version"})


@dataclass(frozen=True)
class LambdaIdentity:
    """The dimension values Lambda publishes for the release under test (resolved strings)."""

    function_name: str
    alias: str
    version: str | None

    @property
    def resource(self) -> str:
        """The ``Resource`` dimension of alias invocations."""
        return f"{self.function_name}:{self.alias}"

    @property
    def version_resource(self) -> str | None:
        """The ``Resource`` dimension of invocations of the new version by its own ARN."""
        return None if self.version is None else f"{self.function_name}:{self.version}"


@dataclass(frozen=True)
class MetricSource:
    """An alarm metric that is one of the simulated Lambda series."""

    series: str  # key of SERIES
    metric: str  # one of SIMULATED_METRICS


@dataclass(frozen=True)
class NotWatched:
    """An alarm metric that gets no simulated data, and why.

    ``kind`` is ``no-data`` (Lambda publishes nothing under these dimensions: the alarm
    really never sees data) or ``not-simulated`` (it watches something the rehearsal does
    not model: another namespace, another function, an unresolvable value).
    """

    kind: str
    reason: str


def classify(
    namespace: str | None,
    metric_name: str | None,
    dimensions: Mapping[str, str | None],
    release: LambdaIdentity,
) -> MetricSource | NotWatched:
    """Decide what data the metric ``namespace/metric_name{dimensions}`` gets in a rehearsal.

    Dimension values are resolved strings (placeholders for deploy-time values, see
    :mod:`constructs_pkg.rehearsal._cfn`); None marks a value that cannot be resolved.
    """
    if namespace != LAMBDA_NAMESPACE:
        return NotWatched("not-simulated", f"namespace {namespace} is not simulated")
    if metric_name not in SIMULATED_METRICS:
        return NotWatched("not-simulated", f"AWS/Lambda {metric_name} is not simulated")
    unresolved = sorted(name for name, value in dimensions.items() if value is None)
    if unresolved:
        return NotWatched("not-simulated", f"dimension {', '.join(unresolved)} cannot be resolved")
    dims = {name: str(value) for name, value in dimensions.items()}
    if not dims:
        return MetricSource("account", metric_name)
    function = dims.get("FunctionName")
    if function is None or ":" in _PLACEHOLDER.sub("", function):
        # A function name never holds ':'; a qualified name (CDK's Version.metric*()
        # FunctionName '<name>:<version>') is not a FunctionName Lambda publishes.
        return _no_data(dims, release)
    if function != release.function_name:
        return NotWatched("not-simulated", f"FunctionName={show(function)} is another function")
    if set(dims) == {"FunctionName"}:
        return MetricSource("function", metric_name)
    if set(dims) == {"FunctionName", "Resource"} and (
        release.version_resource is not None and dims["Resource"] == release.version_resource
    ):
        return MetricSource("version", metric_name)
    if dims.get("Resource") != release.resource:
        return _no_data(dims, release)
    if set(dims) == {"FunctionName", "Resource"}:
        return MetricSource("alias", metric_name)
    if set(dims) == {"FunctionName", "Resource", "ExecutedVersion"}:
        if release.version is not None and dims["ExecutedVersion"] == release.version:
            return MetricSource("new", metric_name)
        return NotWatched(
            "not-simulated",
            f"ExecutedVersion={dims['ExecutedVersion']} is not the version this release deploys",
        )
    return _no_data(dims, release)


def _no_data(dims: Mapping[str, str], release: LambdaIdentity) -> NotWatched:
    shown = ", ".join(f"{name}={show(value)}" for name, value in sorted(dims.items()))
    resource = show(release.resource)
    return NotWatched(
        "no-data",
        f"Lambda publishes no metric with dimensions {{{shown}}} for invocations through "
        f"{resource}: only FunctionName, + Resource={resource}, + ExecutedVersion "
        "(CDK's Version.metric*() asks for such dimensions, aws-cdk#14248)",
    )


@dataclass(frozen=True)
class DurationTables:
    """A :class:`DurationGrid` as lookup tables of one backend, with its two profiles."""

    x: Any
    new: Any
    old: Any
    size: int
    profiles: tuple[DurationProfile, DurationProfile]

    @classmethod
    def of(
        cls, ops: Ops, grid: DurationGrid, profiles: tuple[DurationProfile, DurationProfile]
    ) -> DurationTables:
        """``grid`` (which tabulates the (new, old) ``profiles``) as tables of ``ops``."""
        return cls(
            ops.table(grid.x), ops.table(grid.new), ops.table(grid.old), len(grid.x), profiles
        )


@dataclass
class PeriodCounts:
    """One period's simulated requests of one series (vectors of the backend)."""

    invocations: Any
    errors: Any
    new_share: Any  # share of the invocations that ran the new version


def statistic_value(
    ops: Ops,
    metric: str,
    statistic: Statistic,
    counts: PeriodCounts,
    durations: DurationTables,
) -> Any:
    """Return ``metric``'s ``statistic`` over one period; NaN where it had no requests."""
    n, e = counts.invocations, counts.errors
    empty = ops.compare("<=", n, 0.0)
    safe_n = ops.where(empty, 1.0, n)
    name, p = statistic.name, statistic.percentile
    if name == "SampleCount":
        value = n
    elif metric == "Invocations":
        value = n if name == "Sum" else ops.full(1.0)
    elif metric == "Throttles":
        value = ops.full(0.0)
    elif metric == "Errors":
        value = _errors(ops, name, p, n, e, safe_n)
    else:
        value = _duration(ops, name, p, safe_n, counts.new_share, durations)
    return ops.where(empty, ops.nan, value)


def _errors(ops: Ops, name: str, p: float | None, n: Any, e: Any, safe_n: Any) -> Any:
    """Errors is 1 per failed and 0 per successful invocation."""
    if name == "Sum":
        return e
    if name == "Average":
        return ops.div(e, safe_n)
    if name == "Maximum":
        return ops.where(ops.compare(">", e, 0.0), 1.0, 0.0)
    if name == "Minimum":
        return ops.where(ops.compare(">=", e, n), 1.0, 0.0)
    rank = _rank(ops, p or 0.0, safe_n)
    return ops.where(ops.compare(">", rank, ops.sub(n, e)), 1.0, 0.0)


def _rank(ops: Ops, percentile: float, n: Any) -> Any:
    """Nearest rank of ``pNN`` among ``n`` sorted samples: ceil(p/100 x n), at least 1."""
    return ops.maximum(ops.unary("ceil", ops.mul(n, percentile / 100)), 1.0)


def _duration(
    ops: Ops,
    name: str,
    p: float | None,
    n: Any,
    new_share: Any,
    durations: DurationTables,
) -> Any:
    if name in ("Average", "Sum"):
        (mean_new, var_new), (mean_old, var_old) = (p.moments() for p in durations.profiles)
        old_share = ops.sub(1.0, new_share)
        mean = ops.add(ops.mul(new_share, mean_new), ops.mul(old_share, mean_old))
        second = ops.add(
            ops.mul(new_share, var_new + mean_new**2), ops.mul(old_share, var_old + mean_old**2)
        )
        variance = ops.maximum(ops.sub(second, ops.mul(mean, mean)), 0.0)
        spread = ops.pow(ops.div(variance, n), 0.5)
        average = ops.maximum(ops.add(mean, ops.mul(spread, ops.normal())), 0.0)
        return average if name == "Average" else ops.mul(average, n)
    if name == "Minimum":
        rank = ops.full(1.0)
    elif name == "Maximum":
        rank = n
    else:
        rank = _rank(ops, p or 0.0, n)
    # The k-th smallest of n uniforms is Beta(k, n - k + 1); map it through the inverse CDF.
    u = ops.beta(rank, ops.add(ops.sub(n, rank), 1.0))
    return _inverse_cdf(ops, u, new_share, durations)


def _inverse_cdf(ops: Ops, u: Any, new_share: Any, tables: DurationTables) -> Any:
    """Smallest grid duration whose mixed CDF reaches ``u`` (bisection over grid indices)."""
    low, high = ops.full(0.0), ops.full(float(tables.size - 1))
    old_share = ops.sub(1.0, new_share)
    for _ in range(math.ceil(math.log2(tables.size))):
        middle = ops.unary("floor", ops.mul(ops.add(low, high), 0.5))
        cdf = ops.add(
            ops.mul(new_share, ops.take(tables.new, middle)),
            ops.mul(old_share, ops.take(tables.old, middle)),
        )
        below = ops.compare("<", cdf, u)
        low = ops.where(below, ops.add(middle, 1.0), low)
        high = ops.where(below, high, middle)
    return ops.take(tables.x, high)
