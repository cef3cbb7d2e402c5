"""Replay releases of a new version, minute by minute, as CloudWatch and CodeDeploy see them.

One simulated release of one :class:`~constructs_pkg.rehearsal.model.Release`:

1. The deployment starts at a random second of a minute. A BeforeAllowTraffic hook (if
   any) passes after ``Timing.before_traffic_hook_seconds``; then the traffic shape's shifts
   follow; an AfterAllowTraffic hook (if any) runs after the last one; then CodeDeploy
   marks the deployment Succeeded and stops watching the alarms.
2. Every minute (warm-up minutes before the deployment included, so alias-wide metrics
   have the old version's history): each alarm is evaluated at its own random second over
   its evaluation range, seeing only the datapoints already published
   (:func:`~constructs_pkg.rehearsal.cloudwatch.evaluate_datapoints`); then CodeDeploy reads
   the group's alarm states at its own random second (composites from their children's
   states at that moment); then the minute's requests are drawn.
3. When CodeDeploy sees an alarm in ALARM during the deployment, it stops it; with
   automatic rollback on alarm, traffic is back on the old version
   ``Timing.shift_back_seconds`` later.

:func:`simulate` runs ``runs`` of them, all at once on numpy or one after the other in
pure Python (the same code: :mod:`constructs_pkg.rehearsal._ops`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from constructs_pkg.errors import ConfigurationError
from constructs_pkg.rehearsal._ops import NumpyOps, Ops, PythonOps, numpy_available
from constructs_pkg.rehearsal.cloudwatch import (
    ALARM,
    OK,
    evaluate_datapoints,
    evaluate_rule,
    low_sample_threshold,
)
from constructs_pkg.rehearsal.metrics import (
    NEW_VERSION_SERIES,
    DurationTables,
    MetricSource,
    PeriodCounts,
)
from constructs_pkg.rehearsal.metrics import statistic_value as _statistic_value
from constructs_pkg.rehearsal.model import CompositeAlarm, MetricAlarm, MetricQuery, Release
from constructs_pkg.rehearsal.timing import Timing
from constructs_pkg.rehearsal.traffic import DurationGrid, Fault, TrafficModel

__all__ = ["ENGINES", "Outcomes", "resolve_engine", "scenario_seed", "simulate"]

#: Engines: ``auto`` is numpy when it is installed, else pure Python.
ENGINES = ("auto", "numpy", "python")
_NEVER = 1e18


@dataclass(frozen=True)
class Outcomes:
    """What happened in each simulated release (one entry per run).

    ``seconds_to_rollback`` is NaN where the release was not rolled back;
    ``past_first_step`` is None for single-step (all-at-once) shapes.
    """

    rolled_back: list[bool]
    stopped: list[bool]
    seconds_to_rollback: list[float]
    served: list[float]
    failed: list[float]
    past_first_step: list[bool] | None
    deployment_seconds: list[float]

    @property
    def runs(self) -> int:
        """Number of simulated releases."""
        return len(self.rolled_back)


def resolve_engine(engine: str) -> str:
    """``numpy`` or ``python`` for ``engine`` (``auto`` picks numpy when installed)."""
    if engine not in ENGINES:
        raise ConfigurationError("engine", engine, "'auto', 'numpy' or 'python'")
    if engine == "auto":
        return "numpy" if numpy_available() else "python"
    if engine == "numpy" and not numpy_available():
        raise ConfigurationError(
            "engine",
            engine,
            "'python' or 'auto' (numpy is not installed: pip install 'constructs-pkg[rehearse]')",
        )
    return engine


def scenario_seed(seed: int, *parts: object) -> int:
    """Derive one scenario's seed: stable, and independent of the other scenarios."""
    return zlib.crc32("|".join(str(p) for p in (seed, *parts)).encode())


def simulate(
    release: Release,
    *,
    rate: float,
    fault: Fault,
    runs: int,
    seed: int,
    timing: Timing,
    traffic: TrafficModel,
    engine: str = "auto",
) -> Outcomes:
    """Simulate ``runs`` releases of a version with ``fault`` at ``rate`` requests per second."""
    if release.shape is None:
        raise ValueError(f"{release.name} has no known traffic shape: it cannot be rehearsed")
    engine = resolve_engine(engine)
    plan = _Plan(release, rate, fault, timing, traffic)
    if engine == "numpy":
        ops: Ops = NumpyOps(seed=seed, runs=runs)
        with ops.np.errstate(all="ignore"):  # type: ignore[attr-defined]
            result = _Batch(ops, plan).run()
        return _outcomes(ops, [result])
    python = PythonOps(seed=seed)
    return _outcomes(python, [_Batch(python, plan).run() for _ in range(runs)])


def _outcomes(ops: Ops, results: list[dict[str, Any]]) -> Outcomes:
    def column(name: str) -> list[float]:
        return [value for result in results for value in ops.values(result[name])]

    past = column("past_first_step") if results[0]["past_first_step"] is not None else None
    return Outcomes(
        rolled_back=[bool(v) for v in column("rolled_back")],
        stopped=[bool(v) for v in column("stopped")],
        seconds_to_rollback=column("seconds_to_rollback"),
        served=column("served"),
        failed=column("failed"),
        past_first_step=None if past is None else [bool(v) for v in past],
        deployment_seconds=column("deployment_seconds"),
    )


class _Plan:
    """Everything about one scenario that does not depend on the random draws."""

    def __init__(
        self, release: Release, rate: float, fault: Fault, timing: Timing, traffic: TrafficModel
    ) -> None:
        assert release.shape is not None
        self.release, self.rate, self.timing = release, rate, timing
        self.steps = release.shape.steps()
        self.pre = timing.before_traffic_hook_seconds if release.before_hook else 0.0
        self.post = _after_hook_seconds(release, timing)
        timeout_ms = release.timeout_seconds * 1000
        baseline = traffic.baseline(
            duration_threshold_ms=release.duration_threshold_ms(), timeout_ms=timeout_ms
        )
        healthy = Fault("healthy")
        self.new_profile = traffic.profile(fault, baseline_p99_ms=baseline, timeout_ms=timeout_ms)
        self.old_profile = traffic.profile(healthy, baseline_p99_ms=baseline, timeout_ms=timeout_ms)
        self.grid = DurationGrid.of(self.new_profile, self.old_profile)
        self.new_error = _with_timeouts(
            traffic.error_rate(fault), self.new_profile.timeout_probability
        )
        self.old_error = _with_timeouts(
            traffic.error_rate(healthy), self.old_profile.timeout_probability
        )
        self.alarms = [a for a in release.metric_alarms() if a.simulated]
        self.composites = {
            key: alarm for key, alarm in release.alarms.items() if isinstance(alarm, CompositeAlarm)
        }
        self.ranges = {
            a.key: a.evaluation_periods + timing.evaluation_range_extra for a in self.alarms
        }
        self.lookback = {
            a.key: 1 if any(q.expression is not None for q in a.queries) else 0 for a in self.alarms
        }
        self.warmup = 1 + max(
            [
                (self.ranges[a.key] + self.lookback[a.key] + 1) * (a.period_seconds // 60)
                for a in self.alarms
            ]
            or [0]
        )
        deployment = 60 + self.pre + 60 * self.steps[-1][0] + self.post
        self.last_minute = math.ceil(deployment / 60) + 1


def _after_hook_seconds(release: Release, timing: Timing) -> float:
    """How long the AfterAllowTraffic hook keeps the deployment open after the last shift.

    A bake hook: its bake, after its smoke test if it runs one. Any other hook: the assumed
    ``Timing.after_traffic_hook_seconds``. During that time CodeDeploy still reads the
    alarms once a minute (the bake hook reads them every 20 s; the model does not count
    that, so its detection times are an upper bound).
    """
    if not release.after_hook:
        return 0.0
    if release.bake_seconds is None:
        return timing.after_traffic_hook_seconds
    smoke = timing.after_traffic_hook_seconds if release.after_hook_tests else 0.0
    return smoke + release.bake_seconds


def _with_timeouts(error_rate: float, timeout_probability: float) -> float:
    return 1 - (1 - error_rate) * (1 - timeout_probability)


@dataclass(frozen=True)
class _Clock:
    """The random moments of a batch of releases (one value, or one vector, each)."""

    start: Any  # the deployment starts
    first: Any  # the first shift (after the BeforeAllowTraffic hook)
    shifts: list[Any]  # every shift
    end: Any  # CodeDeploy ends the deployment (after the AfterAllowTraffic hook)
    phases: dict[str, Any]  # alarm key -> its second of the minute
    offsets: dict[str, Any]  # alarm key -> its minute within the evaluation interval
    poll_phase: Any  # CodeDeploy's second of the minute
    poll_offset: Any  # CodeDeploy's minute within its poll interval
    stop_delay: float  # seconds from CodeDeploy seeing an alarm to the old version at 100 %


class _Batch:
    """One batch of simulated releases (all runs on numpy, one run in pure Python)."""

    def __init__(self, ops: Ops, plan: _Plan) -> None:
        self.ops, self.plan = ops, plan
        self.durations = DurationTables.of(ops, plan.grid, (plan.new_profile, plan.old_profile))
        self.minutes: dict[int, tuple[Any, Any, Any, Any, Any]] = {}
        self.values: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def run(self) -> dict[str, Any]:
        """Simulate the batch's releases; return each outcome as one vector per key."""
        ops, plan = self.ops, self.plan
        clock = self._draw_clock()
        state = {a.key: ops.full(float(OK)) for a in plan.alarms}
        hit = ops.full(_NEVER)
        served, failed = ops.full(0.0), ops.full(0.0)
        for minute in range(-plan.warmup, plan.last_minute + 1):
            before = dict(state)
            self._evaluate_alarms(minute, clock, state)
            hit = self._poll(minute, clock, state, before, hit)
            stop = ops.minimum(clock.end, ops.add(hit, clock.stop_delay))
            new_requests, new_errors = self._traffic(minute, clock.shifts, stop)
            served = ops.add(served, new_requests)
            failed = ops.add(failed, new_errors)
        return self._result(clock, hit, served, failed)

    def _draw_clock(self) -> _Clock:
        """Draw each release's start and the seconds at which the alarms and CodeDeploy look."""
        ops, plan, timing = self.ops, self.plan, self.plan.timing
        start = ops.uniform(0.0, 60.0)
        first = ops.add(start, plan.pre)
        shifts = [ops.add(first, 60.0 * minute) for minute, _ in plan.steps]
        return _Clock(
            start=start,
            first=first,
            shifts=shifts,
            end=ops.add(shifts[-1], plan.post),
            phases={a.key: ops.uniform(0.0, 60.0) for a in plan.alarms},
            offsets={a.key: ops.integers(timing.alarm_evaluation_minutes) for a in plan.alarms},
            poll_phase=ops.uniform(0.0, 60.0),
            poll_offset=ops.integers(timing.codedeploy_poll_minutes),
            stop_delay=timing.shift_back_seconds if plan.release.rollback_on_alarm else 0.0,
        )

    def _evaluate_alarms(self, minute: int, clock: _Clock, state: dict[str, Any]) -> None:
        """Evaluate every alarm that is due in ``minute``, at its own second (in ``state``)."""
        ops, every = self.ops, self.plan.timing.alarm_evaluation_minutes
        for alarm in self.plan.alarms:
            due = _due(ops, minute, clock.offsets[alarm.key], every)
            moment = ops.add(60.0 * minute, clock.phases[alarm.key])
            evaluated = self._evaluate(alarm, minute, moment, state[alarm.key])
            state[alarm.key] = ops.where(due, evaluated, state[alarm.key])

    def _poll(
        self,
        minute: int,
        clock: _Clock,
        state: dict[str, Any],
        before: dict[str, Any],
        hit: Any,
    ) -> Any:
        """Return when CodeDeploy first saw a watched alarm in ALARM, after ``minute``'s poll."""
        ops, release, timing = self.ops, self.plan.release, self.plan.timing
        if not (release.alarms_enabled and release.watched):
            return hit
        poll = ops.add(60.0 * minute, clock.poll_phase)
        polled = ops.and_(
            _due(ops, minute, clock.poll_offset, timing.codedeploy_poll_minutes),
            ops.and_(ops.compare(">=", poll, clock.start), ops.compare("<=", poll, clock.end)),
        )
        polled = ops.and_(polled, ops.compare(">=", hit, _NEVER))
        seen = _Seen(ops, release, state, before, clock.phases, clock.poll_phase)
        alarming = ops.compare("!=", ops.full(0.0), 0.0)
        for key in release.watched:
            alarming = ops.or_(alarming, ops.compare("==", seen.state(key), ALARM))
        return ops.where(ops.and_(polled, alarming), poll, hit)

    def _result(self, clock: _Clock, hit: Any, served: Any, failed: Any) -> dict[str, Any]:
        """Turn the moment CodeDeploy saw an alarm (if it did) into the outcomes."""
        ops, release = self.ops, self.plan.release
        caught = ops.compare("<", hit, _NEVER)
        rolled_back = ops.and_(caught, release.rollback_on_alarm)
        back = ops.add(hit, self.plan.timing.shift_back_seconds)
        seconds = ops.maximum(ops.sub(back, clock.first), 0.0)
        past = None
        if len(clock.shifts) > 1:
            past = ops.or_(ops.not_(caught), ops.compare(">=", hit, clock.shifts[1]))
        return {
            "rolled_back": rolled_back,
            "stopped": ops.and_(caught, not release.rollback_on_alarm),
            "seconds_to_rollback": ops.where(rolled_back, seconds, ops.nan),
            "served": served,
            "failed": failed,
            "past_first_step": past,
            "deployment_seconds": ops.sub(
                ops.minimum(clock.end, ops.add(hit, clock.stop_delay)), clock.start
            ),
        }

    # --- traffic -----------------------------------------------------------------------------

    def _traffic(self, minute: int, shifts: list[Any], stop: Any) -> tuple[Any, Any]:
        """Draw the minute's requests; return the new version's requests and errors."""
        ops, plan = self.ops, self.plan
        low, high = 60.0 * minute, 60.0 * minute + 60.0
        on_new: Any = 0.0
        for index, (_, share) in enumerate(plan.steps):
            until = shifts[index + 1] if index + 1 < len(shifts) else _NEVER
            upper = ops.minimum(ops.minimum(until, stop), high)
            overlap = ops.maximum(ops.sub(upper, ops.maximum(shifts[index], low)), 0.0)
            on_new = ops.add(on_new, ops.mul(overlap, share))
        new_lam = ops.mul(on_new, plan.rate)
        old_lam = ops.mul(ops.sub(60.0, on_new), plan.rate)
        new_errors = ops.poisson(ops.mul(new_lam, plan.new_error))
        new_ok = ops.poisson(ops.mul(new_lam, 1 - plan.new_error))
        old_errors = ops.poisson(ops.mul(old_lam, plan.old_error))
        old_ok = ops.poisson(ops.mul(old_lam, 1 - plan.old_error))
        delay = ops.uniform(*plan.timing.publish_delay_seconds)
        new_requests = ops.add(new_errors, new_ok)
        self.minutes[minute] = (
            new_requests,
            new_errors,
            ops.add(old_errors, old_ok),
            old_errors,
            delay,
        )
        return new_requests, new_errors

    # --- alarms ------------------------------------------------------------------------------

    def _evaluate(self, alarm: MetricAlarm, minute: int, moment: Any, previous: Any) -> Any:
        """Return the alarm's state after an evaluation at ``moment`` (during ``minute``)."""
        ops, plan = self.ops, self.plan
        k = alarm.period_seconds // 60
        newest = minute // k - 1
        width = plan.ranges[alarm.key] + plan.lookback[alarm.key]
        periods = list(range(newest - width + 1, newest + 1))
        metrics = {
            query.id: ops.stack([self._visible(query, k, p, moment)[0] for p in periods])
            for query in alarm.queries
            if query.expression is None
        }
        result = alarm.result_series(ops, metrics)
        lookback = plan.lookback[alarm.key]
        values = ops.stack([ops.column(result, i) for i in range(lookback, width)])
        state = evaluate_datapoints(
            ops,
            values,
            comparison=alarm.comparison,
            threshold=alarm.threshold,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            treat_missing=alarm.treat_missing,
            previous=previous,
        )
        low = self._low_sample(alarm, k, periods[lookback:], moment)
        return state if low is None else ops.where(low, previous, state)

    def _low_sample(self, alarm: MetricAlarm, k: int, periods: list[int], moment: Any) -> Any:
        """Where ``EvaluateLowSampleCountPercentile: ignore`` keeps the state, or None."""
        query = alarm.queries[0]
        if (
            alarm.low_sample != "ignore"
            or len(alarm.queries) != 1
            or query.statistic is None
            or query.statistic.percentile is None
        ):
            return None
        ops = self.ops
        newest_count = ops.full(ops.nan)
        for period in periods:
            value, count = self._visible(query, k, period, moment)
            newest_count = ops.where(ops.isnan(value), newest_count, count)
        threshold = low_sample_threshold(query.statistic.percentile)
        return ops.compare("<", newest_count, threshold)

    def _visible(self, query: MetricQuery, k: int, period: int, moment: Any) -> tuple[Any, Any]:
        """(value, sample count) of ``query`` for ``period``, NaN unless published by then."""
        ops = self.ops
        if not isinstance(query.source, MetricSource) or query.statistic is None:
            return ops.full(ops.nan), ops.full(0.0)
        last = (period + 1) * k - 1
        if period * k < -self.plan.warmup or last not in self.minutes:
            return ops.full(ops.nan), ops.full(0.0)
        value, count = self._period(query, k, period)
        published = ops.add(60.0 * (last + 1), self.minutes[last][4])
        shown = ops.compare("<=", published, moment)
        return ops.where(shown, value, ops.nan), count

    def _period(self, query: MetricQuery, k: int, period: int) -> tuple[Any, Any]:
        """Return the statistic's value over one period (cached: each is drawn once)."""
        assert isinstance(query.source, MetricSource)
        assert query.statistic is not None
        key = (query.source, query.statistic, k, period)
        if key not in self.values:
            ops = self.ops
            rows = [self.minutes[m] for m in range(period * k, (period + 1) * k)]
            new_n = _total(ops, [r[0] for r in rows])
            new_e = _total(ops, [r[1] for r in rows])
            if query.source.series in NEW_VERSION_SERIES:
                counts = PeriodCounts(new_n, new_e, ops.full(1.0))
            else:
                n = ops.add(new_n, _total(ops, [r[2] for r in rows]))
                e = ops.add(new_e, _total(ops, [r[3] for r in rows]))
                share = ops.div(new_n, ops.where(ops.compare(">", n, 0.0), n, 1.0))
                counts = PeriodCounts(n, e, share)
            value = _statistic_value(
                ops, query.source.metric, query.statistic, counts, self.durations
            )
            self.values[key] = (value, counts.invocations)
        return self.values[key]


def _total(ops: Ops, vectors: list[Any]) -> Any:
    total: Any = 0.0
    for vector in vectors:
        total = ops.add(total, vector)
    return total


def _due(ops: Ops, minute: int, offset: Any, every: int) -> Any:
    """Return True where an action repeated every ``every`` minutes (at ``offset``) is due."""
    if every == 1:
        return ops.compare("==", ops.full(0.0), 0.0)
    shifted = ops.add(offset, float(minute))
    remainder = ops.sub(shifted, ops.mul(ops.unary("floor", ops.div(shifted, float(every))), every))
    return ops.compare("==", remainder, 0.0)


class _Seen:
    """Alarm states as CodeDeploy reads them at its poll: before or after each evaluation."""

    def __init__(
        self,
        ops: Ops,
        release: Release,
        state: dict[str, Any],
        before: dict[str, Any],
        phases: dict[str, Any],
        poll_phase: Any,
    ) -> None:
        self.ops, self.release = ops, release
        self.current, self.before = state, before
        self.phases, self.poll_phase = phases, poll_phase
        self.cache: dict[str, Any] = {}
        self.resolving: set[str] = set()

    def state_of_name(self, composite: CompositeAlarm) -> Callable[[str], Any]:
        def lookup(name: str) -> Any:
            key = composite.children.get(name)
            return self.state(key) if key is not None else self.ops.full(float(OK))

        return lookup

    def state(self, key: str) -> Any:
        ops = self.ops
        if key in self.cache:
            return self.cache[key]
        alarm = self.release.alarms.get(key)
        if key in self.current:
            value = ops.where(
                ops.compare("<=", self.phases[key], self.poll_phase),
                self.current[key],
                self.before[key],
            )
        elif isinstance(alarm, CompositeAlarm) and key not in self.resolving:
            self.resolving.add(key)
            fired = evaluate_rule(ops, alarm.rule, self.state_of_name(alarm))
            self.resolving.discard(key)
            value = ops.where(fired, float(ALARM), float(OK))
        else:
            value = ops.full(float(OK))  # not simulated (reported) or a rule cycle
        self.cache[key] = value
        return value
